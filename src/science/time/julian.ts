/**
 * Julian dates in two parts, the Gregorian calendar and ISO-8601 strings.
 *
 * Precision: one float64 holding a JD near 2.46e6 has a resolution of 2^-31 d ≈ 40 µs.
 * Wherever that matters we carry a JD as two numbers whose sum is the date
 * (`{ jd1, jd2 }`); normalised, `jd1` is the JD of the preceding midnight (….5) and `jd2`
 * the fraction of the day in [0, 1), good to ~1e-11 s. Single numbers are accepted
 * everywhere (`JdInput`) and are exact to their own resolution.
 *
 * UTC days that end with a leap second are 86401 SI seconds long. A UTC JD spreads those
 * 86401 s over the day's fraction [0, 1) (the convention of the IAU SOFA library, hence
 * of astropy), so 2016-12-31T23:59:60.5 has a unique JD and ISO ↔ JD round-trips exactly.
 * Other scales (TAI, TT, TDB) always have 86400-s days.
 *
 * Calendar: proleptic Gregorian, years 1–9999 (ISO-8601's four-digit years).
 */
import { TimeError, requireFinite } from './errors.js';
import { LEAP_SECONDS_START_MJD, utcDayLengthS } from './leap-seconds.js';

/** A Julian date as the sum of two float64 numbers (`jd1 + jd2` days). */
export interface JulianDate {
  readonly jd1: number;
  readonly jd2: number;
}

/** A Julian date as one number or in two parts. */
export type JdInput = number | JulianDate;

/** Time scales whose JDs this module formats and parses. */
export type TimeScale = 'utc' | 'tai' | 'tt' | 'tdb';

export const SECONDS_PER_DAY = 86400;
/** JD of MJD 0 (1858-11-17T00:00). */
export const MJD_ZERO_JD = 2400000.5;
/** JD of the J2000.0 epoch (2000-01-01T12:00 TT). */
export const J2000_JD = 2451545.0;

const MIN_YEAR = 1;
const MAX_YEAR = 9999;

/**
 * Splits a JD into the JD of the preceding midnight (an integer + 0.5) and the fraction
 * of the day in [0, 1). Both steps are exact except the one addition of the fractions.
 */
export function normalizeJd(jd: JdInput, parameter = 'jd'): JulianDate {
  let jd1: number;
  let jd2: number;
  if (typeof jd === 'number') {
    jd1 = jd;
    jd2 = 0;
  } else if (jd !== null && typeof jd === 'object') {
    jd1 = jd.jd1;
    jd2 = jd.jd2;
  } else {
    throw new TimeError('BAD_ARGUMENT', `must be a number or { jd1, jd2 }, got ${String(jd)}`, { parameter });
  }
  requireFinite(jd1, parameter, -1e9, 1e9);
  requireFinite(jd2, parameter, -1e9, 1e9);
  const a = jd1 - 0.5; // exact for |jd1| < 2^51
  const ia = Math.floor(a);
  let f = a - ia + jd2;
  const ib = Math.floor(f);
  f -= ib;
  let day = ia + ib;
  if (f >= 1) {
    // f was just below an integer and rounded up
    f -= 1;
    day += 1;
  }
  return { jd1: day + 0.5, jd2: f };
}

/** The JD as a single float64 (resolution ~40 µs near the present). */
export function jdValue(jd: JdInput): number {
  return typeof jd === 'number' ? jd : jd.jd1 + jd.jd2;
}

/** `jd` plus `seconds` (of 86400 per day), keeping two-part precision. */
export function addSeconds(jd: JdInput, seconds: number): JulianDate {
  requireFinite(seconds, 'seconds');
  const n = normalizeJd(jd);
  return normalizeJd({ jd1: n.jd1, jd2: n.jd2 + seconds / SECONDS_PER_DAY });
}

/** `a − b` in seconds (of 86400 per day), computed part by part to keep precision. */
export function differenceSeconds(a: JdInput, b: JdInput): number {
  const na = normalizeJd(a, 'a');
  const nb = normalizeJd(b, 'b');
  return (na.jd1 - nb.jd1 + (na.jd2 - nb.jd2)) * SECONDS_PER_DAY;
}

/** Modified Julian Date in two parts (`jd1` becomes the integer MJD of the day). */
export function jdToMjd(jd: JdInput): JulianDate {
  const n = normalizeJd(jd);
  return { jd1: n.jd1 - MJD_ZERO_JD, jd2: n.jd2 };
}

/** Julian Date (two parts) from an MJD (one number or two parts). */
export function mjdToJd(mjd: JdInput): JulianDate {
  const m = typeof mjd === 'number' ? { jd1: mjd, jd2: 0 } : mjd;
  requireFinite(m.jd1, 'mjd', -1e9, 1e9);
  requireFinite(m.jd2, 'mjd', -1e9, 1e9);
  // Split off the whole days first: adding 2400000.5 to a fractional MJD would round it to 40 µs.
  const day = Math.floor(m.jd1);
  return normalizeJd({ jd1: day + MJD_ZERO_JD, jd2: m.jd1 - day + m.jd2 }, 'mjd');
}

/**
 * JD of 0h on a Gregorian calendar date (an integer + 0.5). Uses the integer
 * day-number formula of Fliegel & Van Flandern (1968, CACM 11, 657).
 */
export function calendarToJd(year: number, month: number, day: number): number {
  checkDate(year, month, day);
  const a = Math.floor((14 - month) / 12);
  const y = year + 4800 - a;
  const m = month + 12 * a - 3;
  const jdn =
    day + Math.floor((153 * m + 2) / 5) + 365 * y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) - 32045;
  return jdn - 0.5;
}

export interface CalendarDate {
  year: number;
  month: number;
  day: number;
  /** Fraction of the day since 0h, in [0, 1) (of the day's own length on a UTC leap day). */
  dayFraction: number;
}

/** Gregorian calendar date of a JD (inverse day-number algorithm, Richards 2013, Expl. Suppl. §15.11). */
export function jdToCalendar(jd: JdInput): CalendarDate {
  const n = normalizeJd(jd);
  const jdn = n.jd1 + 0.5; // integer day number of the civil day that starts at jd1
  const { year, month, day } = dayNumberToCalendar(jdn);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new TimeError('OUT_OF_RANGE', `JD ${jdValue(jd)} is outside the years ${MIN_YEAR}–${MAX_YEAR}`, { parameter: 'jd' });
  }
  return { year, month, day, dayFraction: n.jd2 };
}

function dayNumberToCalendar(jdn: number): { year: number; month: number; day: number } {
  const f = jdn + 1401 + Math.floor((Math.floor((4 * jdn + 274277) / 146097) * 3) / 4) - 38;
  const e = 4 * f + 3;
  const g = Math.floor((e % 1461) / 4);
  const h = 5 * g + 2;
  const day = Math.floor((h % 153) / 5) + 1;
  const month = ((Math.floor(h / 153) + 2) % 12) + 1;
  const year = Math.floor(e / 1461) - 4716 + Math.floor((12 + 2 - month) / 12);
  return { year, month, day };
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeapYear(year) ? 29 : DAYS_IN_MONTH[month - 1];
}

function checkDate(year: number, month: number, day: number): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new TimeError('OUT_OF_RANGE', `year must be an integer in ${MIN_YEAR}–${MAX_YEAR}, got ${year}`, { parameter: 'year' });
  }
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    throw new TimeError('BAD_ARGUMENT', `month must be an integer in 1–12, got ${month}`, { parameter: 'month' });
  }
  const dim = daysInMonth(year, month);
  if (!Number.isInteger(day) || day < 1 || day > dim) {
    throw new TimeError('BAD_ARGUMENT', `day must be an integer in 1–${dim} for ${year}-${pad(month, 2)}, got ${day}`, {
      parameter: 'day',
    });
  }
}

/** Length in SI seconds of the day starting at midnight JD `jd1` on `scale`. */
function dayLengthS(midnightJd: number, scale: TimeScale): number {
  if (scale !== 'utc') return SECONDS_PER_DAY;
  const mjd = midnightJd - MJD_ZERO_JD;
  // Before 1972 there are no leap seconds to place; conversions to TAI refuse such UTC anyway.
  return mjd < LEAP_SECONDS_START_MJD ? SECONDS_PER_DAY : utcDayLengthS(mjd);
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z)?)?$/;

export interface IsoParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** Whole seconds, 0–60 (60 only in a UTC leap second). */
  second: number;
  /** Fraction of a second in [0, 1). */
  secondFraction: number;
  /** True when the string carried a time of day. */
  hasTime: boolean;
}

/**
 * Parses 'YYYY-MM-DD', 'YYYY-MM-DDThh:mm', 'YYYY-MM-DDThh:mm:ss[.s…]' (a space may
 * replace 'T'; a trailing 'Z' is accepted; other zone offsets are not). Surrounding
 * blanks (FITS strings) are ignored. Checks ranges but not leap seconds.
 */
export function parseIso(iso: string, parameter = 'iso'): IsoParts {
  if (typeof iso !== 'string') {
    throw new TimeError('BAD_FORMAT', `expected an ISO-8601 string, got ${typeof iso}`, { parameter });
  }
  const s = iso.trim();
  const m = ISO_RE.exec(s);
  if (!m) {
    throw new TimeError('BAD_FORMAT', `'${iso}' is not an ISO-8601 date/time (YYYY-MM-DD[Thh:mm[:ss[.sss]]][Z])`, { parameter });
  }
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  const hasTime = m[4] !== undefined;
  const hour = hasTime ? +m[4] : 0;
  const minute = hasTime ? +m[5] : 0;
  const second = m[6] !== undefined ? +m[6] : 0;
  const secondFraction = m[7] !== undefined ? Number(`0.${m[7]}`) : 0;
  try {
    checkDate(year, month, day);
  } catch (e) {
    if (e instanceof TimeError) throw new TimeError(e.code === 'OUT_OF_RANGE' ? 'OUT_OF_RANGE' : 'BAD_FORMAT', `'${iso}': ${e.message}`, { parameter });
    throw e;
  }
  if (hour > 23 || minute > 59 || second > 60) {
    throw new TimeError('BAD_FORMAT', `'${iso}': time of day out of range (hh ≤ 23, mm ≤ 59, ss ≤ 60)`, { parameter });
  }
  return { year, month, day, hour, minute, second, secondFraction, hasTime };
}

/**
 * ISO-8601 string → two-part JD on `scale` (default UTC). A second of 60 is accepted
 * only at 23:59 of a UTC day that ends with a leap second.
 */
export function isoToJd(iso: string, scale: TimeScale = 'utc'): JulianDate {
  const p = parseIso(iso);
  return partsToJd(p, scale, iso);
}

/** Two-part JD from calendar parts (as returned by `parseIso`). */
export function partsToJd(p: IsoParts, scale: TimeScale = 'utc', text = ''): JulianDate {
  const midnight = calendarToJd(p.year, p.month, p.day);
  const len = dayLengthS(midnight, scale);
  if (p.second === 60 && !(len > SECONDS_PER_DAY && p.hour === 23 && p.minute === 59)) {
    throw new TimeError(
      'BAD_FORMAT',
      `'${text}': second 60 exists only at 23:59 UTC on a day that ends with a leap second`,
      { parameter: 'iso' },
    );
  }
  const seconds = p.hour * 3600 + p.minute * 60 + p.second + p.secondFraction;
  return { jd1: midnight, jd2: seconds / len };
}

export interface IsoFormatOptions {
  /** Scale of the JD; with 'utc' (default) leap seconds print as 23:59:60. */
  scale?: TimeScale;
  /** Digits after the decimal point of the seconds, 0–9 (default 3). */
  digits?: number;
}

/** Two-part (or single) JD → 'YYYY-MM-DDThh:mm:ss.sss', rounded to `digits`. */
export function jdToIso(jd: JdInput, options: IsoFormatOptions = {}): string {
  const scale = options.scale ?? 'utc';
  const digits = options.digits ?? 3;
  if (!Number.isInteger(digits) || digits < 0 || digits > 9) {
    throw new TimeError('BAD_ARGUMENT', `digits must be an integer in 0–9, got ${digits}`, { parameter: 'digits' });
  }
  const n = normalizeJd(jd);
  let midnight = n.jd1;
  const unit = 10 ** digits;
  let len = dayLengthS(midnight, scale);
  let ticks = Math.round(n.jd2 * len * unit); // integer count of 10^-digits s since midnight
  if (ticks >= len * unit) {
    ticks -= len * unit;
    midnight += 1;
    len = dayLengthS(midnight, scale);
  }
  const { year, month, day } = dayNumberToCalendar(midnight + 0.5);
  if (year < MIN_YEAR || year > MAX_YEAR) {
    throw new TimeError('OUT_OF_RANGE', `JD ${jdValue(jd)} is outside the years ${MIN_YEAR}–${MAX_YEAR}`, { parameter: 'jd' });
  }
  const whole = Math.floor(ticks / unit);
  const sub = ticks - whole * unit;
  let hh: number;
  let mm: number;
  let ss: number;
  if (whole >= SECONDS_PER_DAY) {
    hh = 23;
    mm = 59;
    ss = 60 + (whole - SECONDS_PER_DAY);
  } else {
    hh = Math.floor(whole / 3600);
    mm = Math.floor((whole - hh * 3600) / 60);
    ss = whole - hh * 3600 - mm * 60;
  }
  const frac = digits > 0 ? `.${pad(sub, digits)}` : '';
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}${frac}`;
}

function pad(x: number, width: number): string {
  return String(x).padStart(width, '0');
}
