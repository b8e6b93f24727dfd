/**
 * Time scales: UTC → TAI → TT → TDB and back, on two-part Julian dates.
 *
 *   TAI − UTC   whole seconds from the leap-second table (1972 onwards; leap-seconds.ts)
 *   TT − TAI    32.184 s exactly
 *   TDB − TT    FB90 series, truncated (tdb.ts; ≤ 0.5 µs vs the full series), plus, when
 *               a site is given, the site term (v_E · r_obs)/c² (≤ 2.1 µs) from the
 *               astronomy-engine ephemeris (earth.ts)
 *
 * UTC JDs follow the SOFA convention for leap-second days (see julian.ts). Inputs may be
 * one number or `{ jd1, jd2 }`; outputs are normalised two-part JDs. A single float64
 * JD near the present resolves ~40 µs: use two parts for anything finer.
 */
import { TimeError, requireFinite } from './errors.js';
import { AstroTime } from 'astronomy-engine';
import { checkSite, earthState, observerGeocentric, topocentricTdbTermS, type ObservatorySite } from './earth.js';
import { J2000_JD, MJD_ZERO_JD, SECONDS_PER_DAY, jdValue, normalizeJd, type JdInput, type JulianDate } from './julian.js';
import { taiMinusUtcOnDay, utcDayLengthS } from './leap-seconds.js';
import { tdbMinusTtGeocentricS } from './tdb.js';

/** TT − TAI in seconds (exact, by definition). */
export const TT_MINUS_TAI_S = 32.184;

/** TAI − UTC in seconds at UTC `jdUtc` (throws OUT_OF_RANGE before 1972). */
export function taiMinusUtcS(jdUtc: JdInput): number {
  const n = normalizeJd(jdUtc, 'jdUtc');
  return taiMinusUtcOnDay(n.jd1 - MJD_ZERO_JD);
}

/** TT − UTC in seconds at UTC `jdUtc`. */
export function ttMinusUtcS(jdUtc: JdInput): number {
  return taiMinusUtcS(jdUtc) + TT_MINUS_TAI_S;
}

export function utcToTai(jdUtc: JdInput): JulianDate {
  const n = normalizeJd(jdUtc, 'jdUtc');
  const day = n.jd1 - MJD_ZERO_JD;
  const seconds = n.jd2 * utcDayLengthS(day) + taiMinusUtcOnDay(day);
  return normalizeJd({ jd1: n.jd1, jd2: seconds / SECONDS_PER_DAY });
}

export function taiToUtc(jdTai: JdInput): JulianDate {
  const n = normalizeJd(jdTai, 'jdTai');
  // TAI is ahead of UTC by 10–37 s, so the UTC day is the TAI day or the one before.
  let day = n.jd1 - MJD_ZERO_JD;
  const taiSeconds = n.jd2 * SECONDS_PER_DAY;
  let seconds = taiSeconds - taiMinusUtcOnDay(day);
  if (seconds < 0) {
    day -= 1;
    seconds = taiSeconds - taiMinusUtcOnDay(day) + SECONDS_PER_DAY;
    // Within rounding of the day boundary: the next day's first instant.
    if (seconds >= utcDayLengthS(day)) {
      day += 1;
      seconds = 0;
    }
  }
  return normalizeJd({ jd1: day + MJD_ZERO_JD, jd2: seconds / utcDayLengthS(day) });
}

export function taiToTt(jdTai: JdInput): JulianDate {
  const n = normalizeJd(jdTai, 'jdTai');
  return normalizeJd({ jd1: n.jd1, jd2: n.jd2 + TT_MINUS_TAI_S / SECONDS_PER_DAY });
}

export function ttToTai(jdTt: JdInput): JulianDate {
  const n = normalizeJd(jdTt, 'jdTt');
  return normalizeJd({ jd1: n.jd1, jd2: n.jd2 - TT_MINUS_TAI_S / SECONDS_PER_DAY });
}

export function utcToTt(jdUtc: JdInput): JulianDate {
  return taiToTt(utcToTai(jdUtc));
}

export function ttToUtc(jdTt: JdInput): JulianDate {
  return taiToUtc(ttToTai(jdTt));
}

/**
 * TDB − TT in seconds at TT `jdTt`: geocentric without a site, topocentric with one
 * (as astropy does for a Time with a location). The site term uses the Earth's rotation
 * from astronomy-engine's ΔT model; its seconds-level error changes the ≤ 2 µs term by < 1 ns.
 */
export function tdbMinusTtS(jdTt: JdInput, site?: ObservatorySite): number {
  const n = normalizeJd(jdTt, 'jdTt');
  const geo = tdbMinusTtGeocentricS(n);
  if (site === undefined) return geo;
  checkSite(site);
  const ttDays = n.jd1 - J2000_JD + n.jd2;
  const earth = earthState(ttDays + geo / SECONDS_PER_DAY);
  const ut = AstroTime.FromTerrestrialTime(ttDays).ut;
  return geo + topocentricTdbTermS(earth.baryVel, observerGeocentric(ut, site));
}

export function ttToTdb(jdTt: JdInput, site?: ObservatorySite): JulianDate {
  const n = normalizeJd(jdTt, 'jdTt');
  return normalizeJd({ jd1: n.jd1, jd2: n.jd2 + tdbMinusTtS(n, site) / SECONDS_PER_DAY });
}

export function tdbToTt(jdTdb: JdInput, site?: ObservatorySite): JulianDate {
  const n = normalizeJd(jdTdb, 'jdTdb');
  // TDB − TT changes by < 1e-7 s per second: two fixed-point steps reach 1e-14 s.
  let dt = tdbMinusTtS(n, site);
  dt = tdbMinusTtS({ jd1: n.jd1, jd2: n.jd2 - dt / SECONDS_PER_DAY }, site);
  return normalizeJd({ jd1: n.jd1, jd2: n.jd2 - dt / SECONDS_PER_DAY });
}

export function utcToTdb(jdUtc: JdInput, site?: ObservatorySite): JulianDate {
  return ttToTdb(utcToTt(jdUtc), site);
}

export function tdbToUtc(jdTdb: JdInput, site?: ObservatorySite): JulianDate {
  return ttToUtc(tdbToTt(jdTdb, site));
}

function mapBatch(jd: Float64Array, parameter: string, f: (x: number) => JulianDate): Float64Array {
  if (!(jd instanceof Float64Array)) {
    throw new TimeError('BAD_ARGUMENT', 'must be a Float64Array', { parameter });
  }
  const out = new Float64Array(jd.length);
  for (let i = 0; i < jd.length; i++) {
    requireFinite(jd[i], parameter, -1e9, 1e9, i);
    try {
      out[i] = jdValue(f(jd[i]));
    } catch (e) {
      if (e instanceof TimeError) throw new TimeError(e.code, e.message, { ...e.location, index: i });
      throw e;
    }
  }
  return out;
}

/** UTC → TDB for many single-number JDs (each result rounded to one float64, ~40 µs). */
export function utcToTdbBatch(jdUtc: Float64Array, site?: ObservatorySite): Float64Array {
  if (site !== undefined) checkSite(site);
  return mapBatch(jdUtc, 'jdUtc', (x) => utcToTdb(x, site));
}

/** TDB → UTC for many single-number JDs (each result rounded to one float64, ~40 µs). */
export function tdbToUtcBatch(jdTdb: Float64Array, site?: ObservatorySite): Float64Array {
  if (site !== undefined) checkSite(site);
  return mapBatch(jdTdb, 'jdTdb', (x) => tdbToUtc(x, site));
}
