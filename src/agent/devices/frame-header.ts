/**
 * The header keywords a capture program writes on a raw frame (the conventions of MaxIm
 * DL, N.I.N.A., SGP and the INDI CCD driver, which the pipeline reads): exposure start
 * and length, frame type, filter, the pointing asked for, the optics, the camera's gain
 * and temperature, and the site. No WCS: the pipeline plate-solves every frame.
 */
import { FitsError, FitsReader, Header, imageHdu, writeFits, type Card, type CardValue } from '../../science/fits/index.js';
import { AgentError } from '../errors.js';
import { IMAGETYP, type FrameFacts, type FrameType, type Site } from './types.js';

export interface FrameHeaderInput extends FrameFacts {
  telescope?: string;
  instrument?: string;
  /** Binned pixel pitch, µm. */
  pixelSizeUm?: number;
  focalLengthMm?: number;
  apertureMm?: number;
  gainEPerAdu?: number;
  setTempC?: number;
  site?: Site;
  airmass?: number;
  software?: string;
}

/** "+12:34:56.78"-style sexagesimal, `hours` for RA. */
export function sexagesimal(value: number, opts: { hours?: boolean; decimals?: number } = {}): string {
  const dec = opts.decimals ?? (opts.hours ? 2 : 1);
  const v = opts.hours ? (((value / 15) % 24) + 24) % 24 : value;
  const sign = v < 0 ? '-' : opts.hours ? '' : '+';
  const scale = 10 ** dec;
  let totalUnits = Math.round(Math.abs(v) * 3600 * scale);
  if (opts.hours) totalUnits %= 24 * 3600 * scale;
  const s = totalUnits % (60 * scale);
  const m = Math.floor(totalUnits / (60 * scale)) % 60;
  const d = Math.floor(totalUnits / (3600 * scale));
  const secText = (s / scale).toFixed(dec).padStart(dec > 0 ? 3 + dec : 2, '0');
  return `${sign}${String(d).padStart(2, '0')}:${String(m).padStart(2, '0')}:${secText}`;
}

/** The primary-header cards of a raw frame (without the structural keywords). */
export function frameHeader(f: FrameHeaderInput): Header {
  const h = new Header();
  const set = (k: string, v: CardValue | undefined, c: string): void => {
    if (v !== undefined && !(typeof v === 'number' && !Number.isFinite(v))) h.set(k, v, c);
  };
  set('BUNIT', 'ADU', 'pixel values are raw counts');
  set('DATE-OBS', f.dateObs, '[UTC] start of exposure');
  set('EXPTIME', f.exposureS, '[s] exposure time');
  set('EXPOSURE', f.exposureS, '[s] exposure time');
  set('IMAGETYP', IMAGETYP[f.frameType], 'type of image');
  set('XBINNING', f.binning, 'binning factor in x');
  set('YBINNING', f.binning, 'binning factor in y');
  set('FILTER', f.filter, 'filter in the light path');
  set('OBJECT', f.object, 'target name');
  if (f.raDeg !== undefined && f.decDeg !== undefined) {
    set('RA', f.raDeg, '[deg] requested pointing (J2000)');
    set('DEC', f.decDeg, '[deg] requested pointing (J2000)');
    set('OBJCTRA', sexagesimal(f.raDeg, { hours: true }).replaceAll(':', ' '), '[hms] requested RA (J2000)');
    set('OBJCTDEC', sexagesimal(f.decDeg).replaceAll(':', ' '), '[dms] requested Dec (J2000)');
    set('EQUINOX', 2000, 'equinox of RA/DEC');
  }
  set('TELESCOP', f.telescope, 'telescope');
  set('INSTRUME', f.instrument, 'camera');
  set('XPIXSZ', f.pixelSizeUm, '[um] pixel size in x, binned');
  set('YPIXSZ', f.pixelSizeUm, '[um] pixel size in y, binned');
  set('FOCALLEN', f.focalLengthMm, '[mm] focal length');
  set('APTDIA', f.apertureMm, '[mm] aperture diameter');
  set('GAIN', f.gainEPerAdu, '[e-/ADU] sensor gain');
  set('EGAIN', f.gainEPerAdu, '[e-/ADU] sensor gain');
  set('CCD-TEMP', f.ccdTempC, '[C] sensor temperature at start');
  set('SET-TEMP', f.setTempC, '[C] cooler setpoint');
  if (f.site) {
    set('SITELAT', f.site.latDeg, '[deg] site latitude (north positive)');
    set('SITELONG', f.site.lonDeg, '[deg] site longitude (east positive)');
    set('SITEELEV', f.site.heightM, '[m] site elevation');
  }
  set('AIRMASS', f.airmass, 'airmass at start');
  set('SWCREATE', f.software, 'capture software');
  return h;
}

/** A FITS file of one 2-D frame with `header`'s cards. */
export function frameFits(data: Uint8Array | Uint16Array | Uint32Array | Float32Array, width: number, height: number, header: Header): Uint8Array {
  return writeFits([imageHdu(data, [width, height], { header })]);
}

/**
 * Adds the cards of `extra` that the first HDU's header lacks (a driver's own values
 * win, except for the keywords listed in `override`), and returns the new file; the data
 * and any further HDUs are copied unchanged.
 */
export async function annotateFits(fits: Uint8Array, extra: Header, opts: { override?: string[] } = {}): Promise<Uint8Array> {
  const override = new Set(opts.override ?? []);
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(fits);
  } catch (e) {
    throw new AgentError('BAD_FRAME', `not a FITS file: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  try {
    const first = reader.hdus[0];
    const header = first.header.clone();
    const added: Card[] = [];
    for (const c of extra.cards) {
      if (c.value === undefined || (header.has(c.keyword) && !override.has(c.keyword))) continue;
      added.push(c);
    }
    if (added.length === 0) return fits;
    for (const c of added) header.set(c.keyword, c.value as CardValue, c.comment);
    const headerBytes = header.toBytes();
    const rest = fits.subarray(first.dataOffset);
    const out = new Uint8Array(headerBytes.length + rest.length);
    out.set(headerBytes, 0);
    out.set(rest, headerBytes.length);
    return out;
  } catch (e) {
    if (e instanceof FitsError) throw new AgentError('BAD_FRAME', `cannot annotate the frame header: ${e.message}`, { cause: e });
    throw e;
  } finally {
    await reader.close();
  }
}

export function frameTypeFromImagetyp(value: string | undefined): FrameType | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v.includes('bias') || v.includes('offset') || v.includes('zero')) return 'bias';
  if (v.includes('dark')) return 'dark';
  if (v.includes('flat')) return 'flat';
  if (v.includes('light') || v.includes('object') || v.includes('science')) return 'light';
  return undefined;
}
