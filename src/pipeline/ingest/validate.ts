/**
 * Ingest's acceptance rules for a frame of a mission. A rejected frame keeps its row with
 * `rejection_reason` (all reasons joined) so the telescope owner sees why it did not count;
 * only accepted frames credit exposure to the mission.
 *
 * Rules: the exposure must be dated and have a positive exposure time; its filter (when
 * the header names one) must be the mission's; its mid-time must fall in the mission's
 * window (when it has one); the mission's target must lie in the field (when both the
 * pointing and the plate scale are known — otherwise the solve stage decides); the pixels
 * must not be blank (constant or mostly non-finite).
 */
import { angularSeparationDeg } from '../../science/wcs/geometry.js';
import type { PixelArray } from '../../science/fits/image.js';
import { fieldRadiusDeg, type FrameMetadata } from './metadata.js';

export interface MissionTerms {
  filter: string;
  raDeg: number | null;
  decDeg: number | null;
  windowStart: Date | null;
  windowEnd: Date | null;
}

export interface FrameVerdict {
  accepted: boolean;
  reasons: string[];
  /** Filter to record: the header's, or the mission's when the header names none. */
  filter: string;
}

export interface JudgeOptions {
  /** Extra radius around the field inside which the target may fall, degrees (pointing error). Default 0.1. */
  pointingMarginDeg?: number;
  /** Largest fraction of non-finite pixels (NaN/BLANK) still accepted. Default 0.5. */
  maxNonFiniteFraction?: number;
}

/** Filter names compare case-insensitively, ignoring blanks ('r' = 'R', "Sloan r'" = "sloan r'"). */
export function sameFilter(a: string, b: string): boolean {
  const n = (s: string) => s.trim().toLowerCase().replace(/\s+/g, ' ');
  return n(a) === n(b);
}

/** Fraction of non-finite pixels and whether all finite pixels are equal. */
export function pixelSanity(data: PixelArray): { nonFiniteFraction: number; constant: boolean; value: number } {
  let nonFinite = 0;
  let first = Number.NaN;
  let constant = true;
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = Number(data[i]);
    if (!Number.isFinite(v)) {
      nonFinite++;
      continue;
    }
    if (Number.isNaN(first)) first = v;
    else if (v !== first) {
      constant = false;
      // Only the count of non-finite values is still needed; floats only can hold them.
      if (!(data instanceof Float32Array || data instanceof Float64Array)) break;
    }
  }
  return { nonFiniteFraction: n === 0 ? 1 : nonFinite / n, constant, value: first };
}

export function judgeFrame(meta: FrameMetadata, pixels: PixelArray, mission: MissionTerms, opts: JudgeOptions = {}): FrameVerdict {
  const reasons: string[] = [];
  const margin = opts.pointingMarginDeg ?? 0.1;
  const maxNonFinite = opts.maxNonFiniteFraction ?? 0.5;

  if (meta.midUtc === undefined) {
    reasons.push(meta.problems.find((p) => p.startsWith('time:')) ?? 'the header does not date the exposure (DATE-OBS)');
  }
  if (meta.exposureS === undefined) reasons.push('no exposure time (EXPTIME or EXPOSURE) in the header');
  else if (!(meta.exposureS > 0)) reasons.push(`exposure time ${meta.exposureS} s is not positive`);

  const filter = meta.filter ?? mission.filter;
  if (meta.filter !== undefined && !sameFilter(meta.filter, mission.filter)) {
    reasons.push(`filter '${meta.filter}' is not the mission's '${mission.filter}'`);
  }

  if (meta.midUtc !== undefined) {
    const t = meta.midUtc.getTime();
    if (mission.windowStart && t < mission.windowStart.getTime()) {
      reasons.push(`mid-exposure ${meta.midUtc.toISOString()} is before the mission window (starts ${mission.windowStart.toISOString()})`);
    }
    if (mission.windowEnd && t > mission.windowEnd.getTime()) {
      reasons.push(`mid-exposure ${meta.midUtc.toISOString()} is after the mission window (ends ${mission.windowEnd.toISOString()})`);
    }
  }

  const radius = fieldRadiusDeg(meta);
  if (mission.raDeg !== null && mission.decDeg !== null && meta.raDeg !== undefined && meta.decDeg !== undefined && radius !== undefined) {
    const sep = angularSeparationDeg(meta.raDeg, meta.decDeg, mission.raDeg, mission.decDeg);
    if (sep > radius + margin) {
      reasons.push(
        `the target is ${sep.toFixed(3)}° from the field centre (${meta.pointingSource}), outside the ${radius.toFixed(3)}° field radius`,
      );
    }
  }

  const sanity = pixelSanity(pixels);
  if (sanity.nonFiniteFraction > maxNonFinite) {
    reasons.push(`${(100 * sanity.nonFiniteFraction).toFixed(1)} % of the pixels are not finite (NaN or BLANK)`);
  } else if (sanity.constant) {
    reasons.push(`blank frame: every pixel is ${sanity.value}`);
  }
  return { accepted: reasons.length === 0, reasons, filter };
}
