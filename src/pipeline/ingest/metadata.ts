/**
 * What ingest reads from a frame's header: when (mid-exposure UTC via science/time),
 * how long, which filter, where the telescope pointed (the WCS centre when there is a
 * celestial WCS, else RA/DEC, else OBJCTRA/OBJCTDEC), the optics (FOCALLEN, XPIXSZ,
 * APTDIA) and whether a WCS is present. Problems that make a keyword unusable are kept as
 * text (`problems`) for the validation step to turn into a rejection reason; nothing here
 * throws on a bad header.
 */
import { jdToIso } from '../../science/time/julian.js';
import { midExposureUtc, type MidExposure } from '../../science/time/exposure.js';
import { pixelScaleArcsec } from '../../science/wcs/geometry.js';
import { pixToSky } from '../../science/wcs/transform.js';
import { wcsFromHeader, type Wcs } from '../../science/wcs/wcs.js';
import { frameKeywords, type FrameImage } from './frame.js';
import { parseDecDeg, parseRaDeg } from './pointing.js';

export type PointingSource = 'WCS' | 'RA/DEC' | 'OBJCTRA/OBJCTDEC';

export interface FrameOptics {
  focalLengthMm?: number;
  /** Pixel pitch in µm (XPIXSZ, which acquisition programs write binned). */
  pixelSizeUm?: number;
  apertureMm?: number;
}

export interface FrameMetadata {
  width: number;
  height: number;
  /** Start of the exposure (UTC), when the header gives one. */
  startUtc?: Date;
  /** Mid-exposure (UTC), millisecond Date; `midIsoUtc` keeps microseconds. */
  midUtc?: Date;
  midIsoUtc?: string;
  /** Keywords the time came from, e.g. 'DATE-OBS, EXPTIME'. */
  timeSource?: string;
  exposureS?: number;
  filter?: string;
  raDeg?: number;
  decDeg?: number;
  pointingSource?: PointingSource;
  hasWcs: boolean;
  wcs?: Wcs;
  /** Pixel scale at the chip centre, arcsec/px: from the WCS, else from the optics. */
  pixelScaleArcsec?: number;
  optics: FrameOptics;
  /** Plain header keywords worth keeping with the frame (object, instrument, site...). */
  summary: Record<string, string | number | boolean>;
  /** Why a keyword could not be used, e.g. "DATE-OBS: '2026-13-01' is not a FITS date". */
  problems: string[];
}

const EXPOSURE_KEYS = ['EXPTIME', 'EXPOSURE'];
const SUMMARY_KEYS = [
  'OBJECT', 'IMAGETYP', 'TELESCOP', 'INSTRUME', 'OBSERVER', 'ORIGIN', 'CREATOR', 'SWCREATE',
  'DATE-OBS', 'EXPTIME', 'FILTER', 'GAIN', 'EGAIN', 'RDNOISE', 'OFFSET', 'PEDESTAL', 'SATURATE',
  'XBINNING', 'YBINNING', 'CCD-TEMP', 'SET-TEMP', 'FOCALLEN', 'XPIXSZ', 'YPIXSZ', 'APTDIA',
  'AIRMASS', 'SITELAT', 'SITELONG', 'SITEELEV', 'RA', 'DEC', 'OBJCTRA', 'OBJCTDEC', 'BITPIX',
];

/** ISO-8601 UTC text (possibly '…:60' in a leap second) → Date, clamping a leap second to :59.999. */
function isoToDate(iso: string): Date {
  const d = new Date(`${iso}Z`);
  if (Number.isFinite(d.getTime())) return d;
  return new Date(`${iso.replace(/:60(\.\d+)?$/, ':59.999')}Z`);
}

function positiveNumber(v: unknown): number | undefined {
  const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  return Number.isFinite(x) && x > 0 ? x : undefined;
}

/** Metadata of a decoded frame. */
export function frameMetadata(frame: FrameImage): FrameMetadata {
  const kw = frameKeywords(frame);
  const problems: string[] = [];
  const meta: FrameMetadata = { width: frame.width, height: frame.height, hasWcs: false, optics: {}, summary: {}, problems };

  // Exposure first: midExposureUtc needs it to find the mid-point.
  for (const key of EXPOSURE_KEYS) {
    const raw = kw.get(key);
    if (raw === undefined || raw === null) continue;
    const x = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : Number.NaN;
    if (Number.isFinite(x) && x >= 0) meta.exposureS = x;
    else problems.push(`${key}: ${JSON.stringify(raw)} is not an exposure time in seconds`);
    break;
  }

  let mid: MidExposure | undefined;
  try {
    mid = midExposureUtc(kw);
  } catch (err) {
    problems.push(`time: ${(err as Error).message}`);
  }
  if (mid) {
    meta.midIsoUtc = mid.isoUtc;
    meta.midUtc = isoToDate(mid.isoUtc);
    meta.timeSource = mid.source;
    if (mid.startJdUtc) meta.startUtc = isoToDate(jdToIso(mid.startJdUtc, { digits: 3 }));
  }

  const filter = kw.get('FILTER');
  if (typeof filter === 'string' && filter.trim() !== '') meta.filter = filter.trim();

  meta.optics = {
    focalLengthMm: positiveNumber(kw.get('FOCALLEN')),
    pixelSizeUm: positiveNumber(kw.get('XPIXSZ')),
    apertureMm: positiveNumber(kw.get('APTDIA')),
  };
  for (const k of Object.keys(meta.optics) as Array<keyof FrameOptics>) if (meta.optics[k] === undefined) delete meta.optics[k];

  const centre: [number, number] = [(frame.width - 1) / 2, (frame.height - 1) / 2];
  try {
    const wcs = wcsFromHeader(frame.header);
    if (wcs) {
      const [ra, dec] = pixToSky(wcs, centre[0], centre[1]);
      if (Number.isFinite(ra) && Number.isFinite(dec)) {
        meta.hasWcs = true;
        meta.wcs = wcs;
        meta.raDeg = ra;
        meta.decDeg = dec;
        meta.pointingSource = 'WCS';
        meta.pixelScaleArcsec = pixelScaleArcsec(wcs, centre);
      }
    }
  } catch (err) {
    problems.push(`WCS: ${(err as Error).message}`);
  }
  if (meta.pointingSource === undefined) {
    for (const [raKey, decKey] of [
      ['RA', 'DEC'],
      ['OBJCTRA', 'OBJCTDEC'],
    ] as const) {
      const ra = parseRaDeg(kw.get(raKey));
      const dec = parseDecDeg(kw.get(decKey));
      if (ra !== undefined && dec !== undefined) {
        meta.raDeg = ra;
        meta.decDeg = dec;
        meta.pointingSource = raKey === 'RA' ? 'RA/DEC' : 'OBJCTRA/OBJCTDEC';
        break;
      }
    }
  }
  if (meta.pixelScaleArcsec === undefined && meta.optics.focalLengthMm && meta.optics.pixelSizeUm) {
    // 206.265″ per µm/mm: small-angle plate scale.
    meta.pixelScaleArcsec = (206.264806 * meta.optics.pixelSizeUm) / meta.optics.focalLengthMm;
  }

  for (const key of SUMMARY_KEYS) {
    const v = kw.get(key);
    if (typeof v === 'string' || typeof v === 'boolean') meta.summary[key] = typeof v === 'string' ? v.trim() : v;
    else if (typeof v === 'number' && Number.isFinite(v)) meta.summary[key] = v;
    else if (typeof v === 'bigint') meta.summary[key] = Number(v);
  }
  return meta;
}

/** Radius of the field (centre to corner) in degrees, when the pixel scale is known. */
export function fieldRadiusDeg(meta: Pick<FrameMetadata, 'pixelScaleArcsec' | 'width' | 'height'>): number | undefined {
  if (meta.pixelScaleArcsec === undefined) return undefined;
  return (meta.pixelScaleArcsec * Math.hypot(meta.width, meta.height)) / 2 / 3600;
}
