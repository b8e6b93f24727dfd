/**
 * TAI − UTC since 1972 (whole seconds), as data.
 *
 * Source: IERS Bulletin C, as distributed in IANA tzdata's `leap-seconds.list`
 * (tzdata 2025b, Debian 12: /usr/share/zoneinfo/leap-seconds.list, last updated
 * NTP 3960835200 = 2025-07-08). That file states it **expires on 2026-06-28**: IERS
 * announces each leap second about six months ahead (Bulletin C, every January and
 * July), so later dates are served with the last value (37 s) on the assumption that
 * no leap second was added — check `isLeapSecondTableCurrent` (or attach
 * `leapSecondWarning` to results) and refresh this table from the latest Bulletin C
 * (https://hpiers.obspm.fr/iers/bul/bulc/) when it says false. Checked 2026-11-22: this
 * machine's tzdata (2025b-0+deb12u2) has no newer file, so the table stays as it is
 * (decision 0019).
 *
 * Before 1972-01-01 UTC ran at a rate offset from TAI with fractional steps (the
 * "rubber second", 1961–1971); it has no integer TAI − UTC, and this module refuses
 * such dates (OUT_OF_RANGE) rather than guess. Express older times in TT or TDB.
 */
import { TimeError } from './errors.js';

/** First UTC day (MJD) on which each TAI − UTC value applies. */
export interface LeapSecondEntry {
  readonly mjd: number;
  readonly taiMinusUtcS: number;
}

export const LEAP_SECONDS: readonly LeapSecondEntry[] = Object.freeze([
  { mjd: 41317, taiMinusUtcS: 10 }, // 1972-01-01
  { mjd: 41499, taiMinusUtcS: 11 }, // 1972-07-01
  { mjd: 41683, taiMinusUtcS: 12 }, // 1973-01-01
  { mjd: 42048, taiMinusUtcS: 13 }, // 1974-01-01
  { mjd: 42413, taiMinusUtcS: 14 }, // 1975-01-01
  { mjd: 42778, taiMinusUtcS: 15 }, // 1976-01-01
  { mjd: 43144, taiMinusUtcS: 16 }, // 1977-01-01
  { mjd: 43509, taiMinusUtcS: 17 }, // 1978-01-01
  { mjd: 43874, taiMinusUtcS: 18 }, // 1979-01-01
  { mjd: 44239, taiMinusUtcS: 19 }, // 1980-01-01
  { mjd: 44786, taiMinusUtcS: 20 }, // 1981-07-01
  { mjd: 45151, taiMinusUtcS: 21 }, // 1982-07-01
  { mjd: 45516, taiMinusUtcS: 22 }, // 1983-07-01
  { mjd: 46247, taiMinusUtcS: 23 }, // 1985-07-01
  { mjd: 47161, taiMinusUtcS: 24 }, // 1988-01-01
  { mjd: 47892, taiMinusUtcS: 25 }, // 1990-01-01
  { mjd: 48257, taiMinusUtcS: 26 }, // 1991-01-01
  { mjd: 48804, taiMinusUtcS: 27 }, // 1992-07-01
  { mjd: 49169, taiMinusUtcS: 28 }, // 1993-07-01
  { mjd: 49534, taiMinusUtcS: 29 }, // 1994-07-01
  { mjd: 50083, taiMinusUtcS: 30 }, // 1996-01-01
  { mjd: 50630, taiMinusUtcS: 31 }, // 1997-07-01
  { mjd: 51179, taiMinusUtcS: 32 }, // 1999-01-01
  { mjd: 53736, taiMinusUtcS: 33 }, // 2006-01-01
  { mjd: 54832, taiMinusUtcS: 34 }, // 2009-01-01
  { mjd: 56109, taiMinusUtcS: 35 }, // 2012-07-01
  { mjd: 57204, taiMinusUtcS: 36 }, // 2015-07-01
  { mjd: 57754, taiMinusUtcS: 37 }, // 2017-01-01
]);

/** First MJD (UTC) the table covers: 1972-01-01. */
export const LEAP_SECONDS_START_MJD = 41317;
/** The table's stated expiry, 2026-06-28 (MJD). */
export const LEAP_SECONDS_EXPIRES_MJD = 61219;
/** Where the table came from (for reports and file headers). */
export const LEAP_SECONDS_SOURCE =
  'IERS Bulletin C via IANA tzdata 2025b leap-seconds.list (updated 2025-07-08, expires 2026-06-28)';

/** True while `mjdUtc` is before the table's expiry, i.e. no unannounced leap second can affect it. */
export function isLeapSecondTableCurrent(mjdUtc: number): boolean {
  return mjdUtc < LEAP_SECONDS_EXPIRES_MJD;
}

/** Code of the warning attached to results that depend on UTC after the table's expiry. */
export const LEAP_SECONDS_EXPIRED = 'LEAP_SECONDS_EXPIRED';

/** A warning a result carries instead of an exception: the computation went ahead. */
export interface LeapSecondWarning {
  code: typeof LEAP_SECONDS_EXPIRED;
  message: string;
  /** Latest UTC (MJD) of the times concerned. */
  latestMjdUtc: number;
  /** The TAI − UTC that was assumed for them (the table's last value). */
  assumedTaiMinusUtcS: number;
}

/**
 * The warning for UTC times of which the latest is `latestMjdUtc`, or undefined while the
 * table covers them. Past the expiry, conversions keep using the last TAI − UTC (37 s):
 * the result is exact unless IERS announced a leap second after this table was made, in
 * which case UTC-based times after it are off by 1 s (BJD_TDB by 1.16e-5 d). Results that
 * convert such times carry this warning rather than failing (decision 0019).
 */
export function leapSecondWarning(latestMjdUtc: number): LeapSecondWarning | undefined {
  if (!Number.isFinite(latestMjdUtc) || isLeapSecondTableCurrent(latestMjdUtc)) return undefined;
  const assumed = LEAP_SECONDS[LEAP_SECONDS.length - 1].taiMinusUtcS;
  return {
    code: LEAP_SECONDS_EXPIRED,
    message:
      `UTC times up to MJD ${latestMjdUtc.toFixed(3)} lie after the leap-second table's expiry (MJD ${LEAP_SECONDS_EXPIRES_MJD}, 2026-06-28); ` +
      `TAI − UTC = ${assumed} s was assumed — times after an unannounced leap second would be 1 s early. Source: ${LEAP_SECONDS_SOURCE}; refresh from IERS Bulletin C`,
    latestMjdUtc,
    assumedTaiMinusUtcS: assumed,
  };
}

/**
 * TAI − UTC in seconds on the UTC day `mjdDay` (an integer MJD; a fractional value is
 * floored). Throws OUT_OF_RANGE before 1972-01-01.
 */
export function taiMinusUtcOnDay(mjdDay: number): number {
  const d = Math.floor(mjdDay);
  if (!(d >= LEAP_SECONDS_START_MJD)) {
    throw new TimeError(
      'OUT_OF_RANGE',
      `UTC before 1972-01-01 (MJD ${LEAP_SECONDS_START_MJD}) has no integer TAI − UTC; got MJD ${String(mjdDay)} — give such times in TT or TDB`,
      { parameter: 'jdUtc' },
    );
  }
  // The table is short and most data are recent: scan from the end.
  for (let i = LEAP_SECONDS.length - 1; i >= 0; i--) {
    if (d >= LEAP_SECONDS[i].mjd) return LEAP_SECONDS[i].taiMinusUtcS;
  }
  return LEAP_SECONDS[0].taiMinusUtcS; // unreachable: d ≥ start
}

/** Leap seconds inserted at the end of UTC day `mjdDay` (1 on 30 June / 31 December of a leap, else 0). */
export function leapSecondsAtEndOfDay(mjdDay: number): number {
  return taiMinusUtcOnDay(mjdDay + 1) - taiMinusUtcOnDay(mjdDay);
}

/** Length of UTC day `mjdDay` in SI seconds: 86400, or 86401 when it ends with a leap second. */
export function utcDayLengthS(mjdDay: number): number {
  return 86400 + leapSecondsAtEndOfDay(mjdDay);
}
