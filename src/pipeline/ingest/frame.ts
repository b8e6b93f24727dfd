/**
 * Reading an uploaded frame: the first 2-D image of a FITS file, plain or tile-compressed
 * (fpack's layout: empty primary + compressed extension), decoded whole so that a corrupt
 * tile is found at upload time rather than by a later stage. FITS problems become
 * PipelineErrors a node can act on: NOT_FITS, CORRUPT_TILE, BAD_FITS.
 */
import { FitsError } from '../../science/fits/errors.js';
import { Header } from '../../science/fits/header.js';
import type { PixelArray } from '../../science/fits/image.js';
import { FitsReader } from '../../science/fits/reader.js';
import { readCompressedImage } from '../../science/fits/compression/read-tiles.js';
import { PipelineError } from '../errors.js';

export interface FrameImage {
  /** Header of the image HDU (for a compressed image: the equivalent uncompressed header). */
  header: Header;
  /** Primary header when the image is in an extension (its keywords apply too: fpack keeps DATE-OBS there sometimes). */
  primaryHeader?: Header;
  /** 0-based index of the image HDU. */
  hdu: number;
  compressed: boolean;
  width: number;
  height: number;
  /** Row-major physical pixel values (NaN for BLANK in float data). */
  data: PixelArray;
}

/** Keyword lookup over the image header, then the primary header (what a frame's metadata means). */
export function frameKeywords(frame: Pick<FrameImage, 'header' | 'primaryHeader'>): { get(keyword: string): unknown } {
  return {
    get(keyword: string): unknown {
      const v = frame.header.get(keyword);
      return v !== undefined ? v : frame.primaryHeader?.get(keyword);
    },
  };
}

/** Decode the frame in `bytes`. Throws PipelineError NOT_FITS / CORRUPT_TILE / BAD_FITS. */
export async function readFrame(bytes: Uint8Array): Promise<FrameImage> {
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(bytes);
  } catch (err) {
    throw fitsProblem(err);
  }
  try {
    const index = reader.hdus.findIndex(
      (h) =>
        (h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2 && h.dataByteLength > 0) ||
        h.type === 'compressed-image',
    );
    if (index < 0) throw new PipelineError('NOT_FITS', 'the FITS file holds no 2-D image (plain or tile-compressed)');
    const info = reader.hdus[index];
    const primaryHeader = index > 0 ? reader.hdus[0].header : undefined;
    if (info.type === 'compressed-image') {
      const dec = await readCompressedImage(reader, index);
      if (dec.image.axes.length < 2) throw new PipelineError('NOT_FITS', `HDU ${index}: the compressed image is not 2-D`);
      return { header: dec.header, primaryHeader, hdu: index, compressed: true, width: dec.image.width, height: dec.image.height, data: dec.image.data };
    }
    const img = await reader.readImage(index);
    return { header: info.header, primaryHeader, hdu: index, compressed: false, width: img.width, height: img.height, data: img.data };
  } catch (err) {
    throw fitsProblem(err);
  } finally {
    await reader.close();
  }
}

function fitsProblem(err: unknown): Error {
  if (err instanceof PipelineError) return err;
  if (err instanceof FitsError) {
    if (err.code === 'NOT_FITS') return new PipelineError('NOT_FITS', err.message, { cause: err });
    if (err.code === 'CORRUPT_TILE') return new PipelineError('CORRUPT_TILE', err.message, { cause: err });
    return new PipelineError('BAD_FITS', `${err.code}: ${err.message}`, { cause: err });
  }
  // Decoders can throw plain RangeErrors on garbage; that is still the file's fault.
  if (err instanceof RangeError || err instanceof TypeError) {
    return new PipelineError('BAD_FITS', `the FITS data do not decode: ${err.message}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}
