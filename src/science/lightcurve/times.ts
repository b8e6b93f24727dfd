/**
 * Times of archival light curves to BJD_TDB.
 *
 * Archives date observations in different ways: AAVSO and ETD in geocentric JD (UTC),
 * older transit work in HJD (UTC), missions in BJD_TDB with an offset (BKJD = BJD − 2454833,
 * BTJD = BJD − 2457000), and some software in "BJD_UTC" (barycentric light time, UTC
 * clock). Converting UTC-based times needs the target's coordinates (the light-time
 * correction depends on the direction) and, for full precision, the site (±21 ms).
 * Without a site the correction is geocentric: the mean of the corrections at a site and
 * its antipode, which cancels the site terms (Rømer, topocentric Einstein term) exactly,
 * both being linear in the site's geocentric position.
 *
 * Converted UTC times after the leap-second table's expiry carry a LEAP_SECONDS_EXPIRED
 * warning (decision 0019).
 */
import { barycentricCorrectionBatch, type BarycentricBatch, type ObservatorySite, type SkyTarget } from '../time/index.js';
import { leapSecondWarning } from '../time/leap-seconds.js';
import { MJD_ZERO_JD, SECONDS_PER_DAY, differenceSeconds, utcToTdb } from '../time/index.js';
import { LightCurveError } from './errors.js';
import type { LightCurveWarning } from './lightcurve.js';

/**
 * How input times are expressed:
 * - 'bjd_tdb': BJD on TDB (already what we use);
 * - 'bjd_utc': barycentric light time applied, but on the UTC clock;
 * - 'hjd_utc': heliocentric JD on UTC (the classic "HJD");
 * - 'jd_utc': geocentric (or topocentric) JD on UTC, i.e. the clock time;
 * - 'mjd_utc': the same as an MJD.
 */
export type TimeReference = 'bjd_tdb' | 'bjd_utc' | 'hjd_utc' | 'jd_utc' | 'mjd_utc';

export const TIME_REFERENCES: readonly TimeReference[] = ['bjd_tdb', 'bjd_utc', 'hjd_utc', 'jd_utc', 'mjd_utc'];

export interface TimeContext {
  /** Target coordinates (ICRS, degrees); needed for hjd_utc, jd_utc and mjd_utc. */
  target?: SkyTarget;
  /** Observatory; without it the correction is geocentric (≤ 21 ms off for a real site). */
  site?: ObservatorySite;
  /** Seconds added to every time before conversion, e.g. +exposure/2 for start-of-exposure stamps. */
  offsetS?: number;
  /** Names the source in errors. */
  source?: string;
  /**
   * Keep the file's times as they are (no barycentric correction) when they are not
   * BJD_TDB; the result carries a TIMES_NOT_BARYCENTRIC warning. For quick looks (a
   * period search) where the target's coordinates are not at hand.
   */
  uncorrected?: boolean;
}

export interface ConvertedTimes {
  bjdTdb: Float64Array;
  warnings: LightCurveWarning[];
}

/** Parses a time-reference name as users write it ('BJD_TDB', 'bjd-tdb', 'HJD', 'JD', 'MJD'). */
export function parseTimeReference(text: string): TimeReference {
  const t = text.trim().toLowerCase().replace(/[\s()-]+/g, '_').replace(/_+$/, '');
  const map: Record<string, TimeReference> = {
    bjd_tdb: 'bjd_tdb',
    bjdtdb: 'bjd_tdb',
    bjd: 'bjd_tdb',
    bjd_utc: 'bjd_utc',
    hjd_utc: 'hjd_utc',
    hjd: 'hjd_utc',
    jd_utc: 'jd_utc',
    jd: 'jd_utc',
    mjd_utc: 'mjd_utc',
    mjd: 'mjd_utc',
  };
  const ref = map[t];
  if (!ref) throw new LightCurveError('BAD_ARGUMENT', `'${text}' is not a time reference (one of ${TIME_REFERENCES.join(', ')})`, { parameter: 'timeReference' });
  return ref;
}

/** Converts times in `reference` to BJD_TDB. */
export function toBjdTdb(times: Float64Array, reference: TimeReference, context: TimeContext = {}): ConvertedTimes {
  if (!TIME_REFERENCES.includes(reference)) throw new LightCurveError('BAD_ARGUMENT', `'${String(reference)}' is not one of ${TIME_REFERENCES.join(', ')}`, { parameter: 'timeReference' });
  const n = times.length;
  const offsetDays = (context.offsetS ?? 0) / SECONDS_PER_DAY;
  if (!Number.isFinite(offsetDays)) throw new LightCurveError('BAD_ARGUMENT', `must be finite, got ${context.offsetS}`, { parameter: 'offsetS' });
  const jd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = times[i];
    if (!Number.isFinite(v)) throw new LightCurveError('BAD_ARGUMENT', `time ${v} is not finite`, { source: context.source, index: i });
    jd[i] = (reference === 'mjd_utc' ? v + MJD_ZERO_JD : v) + offsetDays;
  }
  if (reference === 'bjd_tdb') return { bjdTdb: jd, warnings: [] };
  if (context.uncorrected) {
    return {
      bjdTdb: jd,
      warnings: [{ code: 'TIMES_NOT_BARYCENTRIC', message: `times kept as ${reference.toUpperCase()} (not converted to BJD_TDB: up to ±8.3 min of light time and ~69 s of clock offset remain)` }],
    };
  }
  const warnings = leapWarnings(jd);
  if (reference === 'bjd_utc') {
    // Same light time, other clock: add TDB − UTC (geocentric; the site term is < 2 µs).
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = jd[i] + differenceSeconds(utcToTdb(jd[i]), jd[i]) / SECONDS_PER_DAY;
    return { bjdTdb: out, warnings };
  }
  const target = context.target;
  if (target === undefined) {
    throw new LightCurveError('NEEDS_TARGET', `${reference.toUpperCase()} times need the target's RA and Dec to become BJD_TDB (give --ra/--dec)`, { source: context.source, parameter: 'target' });
  }
  const corr = (jdUtc: Float64Array): BarycentricBatch => correction(jdUtc, target, context.site);
  if (reference === 'hjd_utc') {
    // HJD = JD + heliocentric light time: solve for JD (the light time changes by < 1e-4 s/s).
    const jdUtc = Float64Array.from(jd);
    for (let iter = 0; iter < 3; iter++) {
      const c = corr(jdUtc);
      for (let i = 0; i < n; i++) jdUtc[i] -= c.hjdUtc[i] - jd[i];
    }
    return { bjdTdb: corr(jdUtc).bjdTdb, warnings };
  }
  return { bjdTdb: corr(jd).bjdTdb, warnings };
}

/**
 * BJD_TDB → the clock time (JD UTC) at which the light arrived, geocentric or at `site`:
 * the inverse of toBjdTdb(…, 'jd_utc'), for formats that want JD (AAVSO).
 */
export function bjdTdbToJdUtc(bjdTdb: Float64Array, target: SkyTarget, site?: ObservatorySite): ConvertedTimes {
  const n = bjdTdb.length;
  const jd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(bjdTdb[i])) throw new LightCurveError('BAD_ARGUMENT', `time ${bjdTdb[i]} is not finite`, { index: i });
    jd[i] = bjdTdb[i];
  }
  // The correction varies by < 1e-4 s per s: fixed-point iteration converges in a few steps.
  for (let iter = 0; iter < 4; iter++) {
    const c = correction(jd, target, site);
    for (let i = 0; i < n; i++) jd[i] -= c.bjdTdb[i] - bjdTdb[i];
  }
  return { bjdTdb: jd, warnings: leapWarnings(jd) };
}

function correction(jdUtc: Float64Array, target: SkyTarget, site?: ObservatorySite): BarycentricBatch {
  if (site !== undefined) return barycentricCorrectionBatch(jdUtc, site, target);
  const a = barycentricCorrectionBatch(jdUtc, { latDeg: 0, lonDeg: 0, heightM: 0 }, target);
  const b = barycentricCorrectionBatch(jdUtc, { latDeg: 0, lonDeg: 180, heightM: 0 }, target);
  const n = jdUtc.length;
  const out: BarycentricBatch = {
    bjdTdb: new Float64Array(n),
    deltaBjdS: new Float64Array(n),
    hjdUtc: new Float64Array(n),
    romerS: new Float64Array(n),
    einsteinS: new Float64Array(n),
    shapiroS: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    out.deltaBjdS[i] = 0.5 * (a.deltaBjdS[i] + b.deltaBjdS[i]);
    out.bjdTdb[i] = jdUtc[i] + out.deltaBjdS[i] / SECONDS_PER_DAY;
    out.hjdUtc[i] = jdUtc[i] + 0.5 * (a.hjdUtc[i] - jdUtc[i] + (b.hjdUtc[i] - jdUtc[i]));
    out.romerS[i] = 0.5 * (a.romerS[i] + b.romerS[i]);
    out.einsteinS[i] = 0.5 * (a.einsteinS[i] + b.einsteinS[i]);
    out.shapiroS[i] = 0.5 * (a.shapiroS[i] + b.shapiroS[i]);
  }
  return out;
}

function leapWarnings(jdUtc: Float64Array): LightCurveWarning[] {
  let latest = -Infinity;
  for (const v of jdUtc) if (v > latest) latest = v;
  const w = leapSecondWarning(latest - MJD_ZERO_JD);
  return w ? [{ code: w.code, message: w.message }] : [];
}
