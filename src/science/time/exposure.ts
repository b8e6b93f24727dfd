/**
 * Mid-exposure time (UTC) from a FITS header.
 *
 * FITS Standard 4.0 (§4.4.2.2 and §9) takes DATE-OBS as the time the observation
 * *started*; DATE-BEG / DATE-END / DATE-AVG (and MJD-BEG / MJD-END / MJD-AVG) name the
 * start, end and mid-point explicitly, on the scale given by TIMESYS (UTC when absent).
 * In order of preference:
 *
 *   1. DATE-AVG, then MJD-AVG: the mid-point itself;
 *   2. the start — DATE-BEG; DATE-OBS with its own time of day; a date-only DATE-OBS
 *      ('YYYY-MM-DD', or the pre-2000 form 'DD/MM/YY' meaning 19YY) with the time of day
 *      from TIME-OBS, UT, UTSTART or UT-START ('hh:mm:ss[.s]'); MJD-BEG; MJD-OBS —
 *      plus half the exposure (EXPTIME, EXPOSURE, TELAPSE or XPOSURE, in seconds), or
 *      the mid-point to DATE-END / MJD-END when no exposure time is given.
 *
 * Some acquisition programs write the mid or end time into DATE-OBS; say so with
 * `dateObsMarks`. Arithmetic is done on TAI, so an exposure across a leap second is
 * handled. TIMESYS may be UTC (or UT), TAI, TT (TDT), GPS or TDB (geocentric).
 */
import { TimeError } from './errors.js';
import {
  addSeconds,
  differenceSeconds,
  jdToIso,
  jdValue,
  mjdToJd,
  parseIso,
  partsToJd,
  type IsoParts,
  type JulianDate,
  type TimeScale,
} from './julian.js';
import { taiToUtc, tdbToTt, ttToTai, utcToTai } from './scales.js';

/** Anything with FITS-header-like `get` (our fits Header, a Map, a plain adapter). */
export interface HeaderReader {
  get(keyword: string): unknown;
}

export interface MidExposureOptions {
  /** Exposure duration in seconds, overriding the header's. */
  exposureS?: number;
  /** What the start keywords (DATE-OBS, DATE-BEG, MJD-OBS, …) really mark; default 'start' (the standard). */
  dateObsMarks?: 'start' | 'mid' | 'end';
}

export interface MidExposure {
  /** Mid-exposure UTC JD in two parts. */
  jdUtc: JulianDate;
  /** The same as one float64 (~40 µs resolution). */
  jd: number;
  /** Mid-exposure as ISO-8601 UTC, microseconds. */
  isoUtc: string;
  /** Start of the exposure (UTC), when the header gives it. */
  startJdUtc?: JulianDate;
  /** Exposure duration used, seconds (undefined when the mid-point was given directly). */
  exposureS?: number;
  /** TIMESYS as read (normalised): the scale of the header's times. */
  timeSys: string;
  /** Which keywords were used, e.g. 'DATE-OBS + TIME-OBS, EXPTIME'. */
  source: string;
}

const EXPOSURE_KEYS = ['EXPTIME', 'EXPOSURE', 'TELAPSE', 'XPOSURE'];
const TIME_OF_DAY_KEYS = ['TIME-OBS', 'UT', 'UTSTART', 'UT-START'];
const OLD_DATE_RE = /^(\d{2})\/(\d{2})\/(\d{2})$/;
const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/;

type Scale = 'utc' | 'tai' | 'tt' | 'tdb' | 'gps';

function timeSystem(header: HeaderReader): { scale: Scale; name: string } {
  const raw = header.get('TIMESYS');
  if (raw === undefined || raw === null) return { scale: 'utc', name: 'UTC' };
  if (typeof raw !== 'string') {
    throw new TimeError('BAD_FORMAT', `expected a string, got ${String(raw)}`, { keyword: 'TIMESYS' });
  }
  const name = raw.trim().toUpperCase();
  switch (name) {
    case '':
    case 'UTC':
    case 'UT':
      return { scale: 'utc', name: 'UTC' };
    case 'TAI':
    case 'IAT':
      return { scale: 'tai', name: 'TAI' };
    case 'TT':
    case 'TDT':
      return { scale: 'tt', name: 'TT' };
    case 'GPS':
      return { scale: 'gps', name: 'GPS' };
    case 'TDB':
      return { scale: 'tdb', name: 'TDB' };
    default:
      throw new TimeError('UNSUPPORTED', `time scale '${raw}' is not supported (UTC, TAI, TT, GPS, TDB)`, {
        keyword: 'TIMESYS',
      });
  }
}

/** A JD on `scale` → TAI (uniform seconds, for arithmetic). */
function toTai(jd: JulianDate, scale: Scale): JulianDate {
  switch (scale) {
    case 'utc':
      return utcToTai(jd);
    case 'tai':
      return jd;
    case 'tt':
      return ttToTai(jd);
    case 'gps':
      return addSeconds(jd, 19); // TAI − GPS = 19 s
    case 'tdb':
      return ttToTai(tdbToTt(jd));
  }
}

function stringValue(header: HeaderReader, keyword: string): string | undefined {
  const v = header.get(keyword);
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    throw new TimeError('BAD_FORMAT', `expected a date/time string, got ${String(v)}`, { keyword });
  }
  const s = v.trim();
  return s === '' ? undefined : s;
}

function numberValue(header: HeaderReader, keyword: string): number | undefined {
  const v = header.get(keyword);
  if (v === undefined || v === null) return undefined;
  const x =
    typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(x)) {
    throw new TimeError('BAD_FORMAT', `expected a number, got ${String(v)}`, { keyword });
  }
  return x;
}

/**
 * A FITS date value: ISO-8601 ('YYYY-MM-DD[Thh:mm:ss[.s]]') or the pre-2000 'DD/MM/YY'
 * (years 1900–1999, FITS Standard 4.0 §4.4.2.2).
 */
export function parseFitsDate(value: string, keyword = 'DATE-OBS'): IsoParts {
  const s = value.trim();
  const old = OLD_DATE_RE.exec(s);
  if (old) {
    const iso = `19${old[3]}-${old[2]}-${old[1]}`;
    return reKeyword(() => parseIso(iso), keyword, value);
  }
  return reKeyword(() => parseIso(s), keyword, value);
}

function reKeyword<T>(f: () => T, keyword: string, value: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof TimeError) {
      throw new TimeError(e.code, `'${value}' is not a FITS date (YYYY-MM-DD[Thh:mm:ss[.sss]] or DD/MM/YY)`, { keyword });
    }
    throw e;
  }
}

function parseTimeOfDay(value: string, keyword: string): { hour: number; minute: number; second: number; secondFraction: number } {
  const m = TIME_RE.exec(value.trim());
  if (!m || +m[1] > 23 || +m[2] > 59 || (m[3] !== undefined && +m[3] > 60)) {
    throw new TimeError('BAD_FORMAT', `'${value}' is not a time of day (hh:mm:ss[.sss])`, { keyword });
  }
  return {
    hour: +m[1],
    minute: +m[2],
    second: m[3] !== undefined ? +m[3] : 0,
    secondFraction: m[4] !== undefined ? Number(`0.${m[4]}`) : 0,
  };
}

function isoJd(parts: IsoParts, scale: Scale, keyword: string, text: string): JulianDate {
  const s: TimeScale = scale === 'gps' ? 'tai' : scale; // GPS days have 86400 s, like TAI
  return reKeyword(() => partsToJd(parts, s, text), keyword, text);
}

/** The start-type time (TAI) and the keywords it came from, or undefined. */
function findStart(header: HeaderReader, scale: Scale): { tai: JulianDate; source: string } | undefined {
  const beg = stringValue(header, 'DATE-BEG');
  if (beg !== undefined) {
    const p = parseFitsDate(beg, 'DATE-BEG');
    if (p.hasTime) return { tai: toTai(isoJd(p, scale, 'DATE-BEG', beg), scale), source: 'DATE-BEG' };
  }
  const obs = stringValue(header, 'DATE-OBS');
  let dateOnly: IsoParts | undefined;
  if (obs !== undefined) {
    const p = parseFitsDate(obs, 'DATE-OBS');
    if (p.hasTime) return { tai: toTai(isoJd(p, scale, 'DATE-OBS', obs), scale), source: 'DATE-OBS' };
    dateOnly = p;
    for (const key of TIME_OF_DAY_KEYS) {
      const t = stringValue(header, key);
      if (t === undefined) continue;
      const tod = parseTimeOfDay(t, key);
      const parts: IsoParts = { ...p, ...tod, hasTime: true };
      return { tai: toTai(isoJd(parts, scale, key, `${obs} ${t}`), scale), source: `DATE-OBS + ${key}` };
    }
  }
  for (const key of ['MJD-BEG', 'MJD-OBS']) {
    const mjd = numberValue(header, key);
    if (mjd === undefined) continue;
    if (mjd < 0 || mjd > 3e6) throw new TimeError('BAD_FORMAT', `MJD ${mjd} is out of range`, { keyword: key });
    const jd = mjdToJd(mjd);
    if (dateOnly !== undefined) {
      // A date-only DATE-OBS with an MJD-OBS of the same day: the MJD carries the time.
      const day = isoJd(dateOnly, scale, 'DATE-OBS', String(obs));
      const offsetS = differenceSeconds(jd, day);
      if (offsetS < 0 || offsetS >= 86401) {
        throw new TimeError('BAD_FORMAT', `MJD ${mjd} is not on the day of DATE-OBS '${obs}'`, { keyword: key });
      }
    }
    return { tai: toTai(jd, scale), source: key };
  }
  if (dateOnly !== undefined) {
    throw new TimeError(
      'MISSING_KEYWORD',
      `'${obs}' has no time of day, and there is no ${TIME_OF_DAY_KEYS.join('/')} or MJD-OBS`,
      { keyword: 'DATE-OBS' },
    );
  }
  return undefined;
}

function findEnd(header: HeaderReader, scale: Scale): { tai: JulianDate; source: string } | undefined {
  const end = stringValue(header, 'DATE-END');
  if (end !== undefined) {
    const p = parseFitsDate(end, 'DATE-END');
    if (p.hasTime) return { tai: toTai(isoJd(p, scale, 'DATE-END', end), scale), source: 'DATE-END' };
  }
  const mjd = numberValue(header, 'MJD-END');
  if (mjd !== undefined) return { tai: toTai(mjdToJd(mjd), scale), source: 'MJD-END' };
  return undefined;
}

function findExposure(header: HeaderReader, options: MidExposureOptions): { seconds: number; source: string } | undefined {
  if (options.exposureS !== undefined) {
    if (!Number.isFinite(options.exposureS) || options.exposureS < 0 || options.exposureS > 1e7) {
      throw new TimeError('BAD_ARGUMENT', `must be a duration in [0, 1e7] s, got ${options.exposureS}`, { parameter: 'exposureS' });
    }
    return { seconds: options.exposureS, source: 'exposureS option' };
  }
  for (const key of EXPOSURE_KEYS) {
    const x = numberValue(header, key);
    if (x === undefined) continue;
    if (x < 0 || x > 1e7) throw new TimeError('BAD_FORMAT', `exposure ${x} s is out of range [0, 1e7]`, { keyword: key });
    return { seconds: x, source: key };
  }
  return undefined;
}

function result(midTai: JulianDate, timeSys: string, source: string, startTai?: JulianDate, exposureS?: number): MidExposure {
  const jdUtc = taiToUtc(midTai);
  const out: MidExposure = { jdUtc, jd: jdValue(jdUtc), isoUtc: jdToIso(jdUtc, { digits: 6 }), timeSys, source };
  if (startTai !== undefined) out.startJdUtc = taiToUtc(startTai);
  if (exposureS !== undefined) out.exposureS = exposureS;
  return out;
}

/**
 * Mid-exposure UTC from a FITS header (see the module comment for the keywords used).
 * Throws TimeError MISSING_KEYWORD when the header cannot date the exposure, BAD_FORMAT
 * for malformed values, UNSUPPORTED for an unknown TIMESYS.
 */
export function midExposureUtc(header: HeaderReader, options: MidExposureOptions = {}): MidExposure {
  if (header === null || typeof header !== 'object' || typeof header.get !== 'function') {
    throw new TimeError('BAD_ARGUMENT', 'must have a get(keyword) method', { parameter: 'header' });
  }
  const marks = options.dateObsMarks ?? 'start';
  if (marks !== 'start' && marks !== 'mid' && marks !== 'end') {
    throw new TimeError('BAD_ARGUMENT', `must be 'start', 'mid' or 'end', got ${String(marks)}`, { parameter: 'dateObsMarks' });
  }
  const { scale, name } = timeSystem(header);

  const avg = stringValue(header, 'DATE-AVG');
  if (avg !== undefined) {
    const p = parseFitsDate(avg, 'DATE-AVG');
    if (p.hasTime) return result(toTai(isoJd(p, scale, 'DATE-AVG', avg), scale), name, 'DATE-AVG');
  }
  const mjdAvg = numberValue(header, 'MJD-AVG');
  if (mjdAvg !== undefined) return result(toTai(mjdToJd(mjdAvg), scale), name, 'MJD-AVG');

  const start = findStart(header, scale);
  if (start === undefined) {
    throw new TimeError('MISSING_KEYWORD', 'no DATE-OBS, DATE-BEG, DATE-AVG or MJD-OBS to date the exposure', {
      keyword: 'DATE-OBS',
    });
  }
  const exposure = findExposure(header, options);
  if (exposure !== undefined) {
    const half = exposure.seconds / 2;
    const shift = marks === 'start' ? half : marks === 'mid' ? 0 : -half;
    const startTai = addSeconds(start.tai, shift - half);
    return result(addSeconds(start.tai, shift), name, `${start.source}, ${exposure.source}`, startTai, exposure.seconds);
  }
  if (marks === 'start') {
    const end = findEnd(header, scale);
    if (end !== undefined) {
      const spanS = differenceSeconds(end.tai, start.tai);
      if (spanS < 0) throw new TimeError('BAD_FORMAT', `ends ${-spanS} s before ${start.source}`, { keyword: end.source });
      return result(addSeconds(start.tai, spanS / 2), name, `${start.source} + ${end.source}`, start.tai, spanS);
    }
  }
  if (marks === 'mid') return result(start.tai, name, start.source);
  throw new TimeError('MISSING_KEYWORD', `no exposure time (${EXPOSURE_KEYS.join('/')}) or DATE-END to find the mid-point`, {
    keyword: 'EXPTIME',
  });
}
