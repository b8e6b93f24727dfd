/** A raw frame as the edge processing needs it: pixels as float32, and the header facts. */
import { decompressImage, FitsError, FitsReader, type Header } from '../../science/fits/index.js';
import { headerExposureS } from '../../science/image/index.js';
import { AgentError } from '../errors.js';
import { frameTypeFromImagetyp } from '../devices/frame-header.js';
import type { FrameType } from '../devices/types.js';

export interface EdgeFrame {
  width: number;
  height: number;
  /** Physical pixel values (BZERO/BSCALE applied), NaN for BLANK. */
  data: Float32Array;
  header: Header;
  dateObs: string;
  exposureS: number;
  frameType: FrameType;
  filter?: string;
  /** e⁻/ADU from GAIN/EGAIN when written. */
  gainEPerAdu?: number;
}

/** Reads the first image (plain or tile-compressed) of a FITS file; BAD_FRAME when there is none or it is unusable. */
export async function readEdgeFrame(fits: Uint8Array): Promise<EdgeFrame> {
  let reader: FitsReader | undefined;
  try {
    reader = await FitsReader.open(fits);
    const hdu = reader.hdus.find((h) => (h.type === 'image' && h.dataByteLength > 0) || h.type === 'compressed-image');
    if (!hdu) throw new AgentError('BAD_FRAME', 'the FITS file holds no image');
    let header: Header;
    let width: number;
    let height: number;
    let pixels: ArrayLike<number>;
    if (hdu.type === 'compressed-image') {
      const d = decompressImage(hdu.header, await reader.readDataBytes(hdu.index), { hdu: hdu.index });
      header = d.header;
      ({ width, height } = d.image);
      pixels = d.image.data as ArrayLike<number>;
    } else {
      header = hdu.header;
      const img = await reader.readImage(hdu.index);
      ({ width, height } = img);
      pixels = img.data as ArrayLike<number>;
    }
    const axes = [header.getInt('NAXIS1') ?? width, header.getInt('NAXIS2') ?? height];
    if (header.getInt('NAXIS') !== 2 || axes[0] !== width || axes[1] !== height || width * height === 0) {
      throw new AgentError('BAD_FRAME', `expected a 2-D image, got NAXIS = ${String(header.get('NAXIS'))}`);
    }
    const data = pixels instanceof Float32Array ? pixels : Float32Array.from(pixels);
    const dateObs = header.getString('DATE-OBS');
    if (!dateObs) throw new AgentError('BAD_FRAME', 'frame has no DATE-OBS');
    const exposureS = headerExposureS(header);
    if (exposureS === undefined) throw new AgentError('BAD_FRAME', 'frame has no EXPTIME');
    const filter = header.getString('FILTER')?.trim();
    const gain = header.get('EGAIN') ?? header.get('GAIN');
    return {
      width,
      height,
      data,
      header,
      dateObs: dateObs.trim(),
      exposureS,
      frameType: frameTypeFromImagetyp(header.getString('IMAGETYP') ?? header.getString('FRAME')) ?? 'light',
      ...(filter ? { filter } : {}),
      ...(typeof gain === 'number' && gain > 0 ? { gainEPerAdu: gain } : {}),
    };
  } catch (e) {
    if (e instanceof AgentError) throw e;
    if (e instanceof FitsError) throw new AgentError('BAD_FRAME', `unreadable FITS frame: ${e.message}`, { cause: e });
    throw e;
  } finally {
    await reader?.close();
  }
}
