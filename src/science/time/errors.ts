/**
 * Typed errors for time scales, Julian dates, FITS exposure times and barycentric
 * corrections. A TimeError says what is wrong and, where it helps, which parameter,
 * FITS keyword, input string or array element.
 */

export type TimeErrorCode =
  | 'BAD_ARGUMENT' // a number outside its domain (NaN, latitude > 90°, negative exposure, …)
  | 'BAD_FORMAT' // a date/time string that is not ISO-8601 (or the old FITS 'DD/MM/YY')
  | 'OUT_OF_RANGE' // a date the conversion cannot serve (UTC before 1972, year outside 1…9999)
  | 'MISSING_KEYWORD' // a FITS header lacks what is needed to date an exposure
  | 'UNSUPPORTED' // a valid input we do not handle (e.g. TIMESYS = 'TCG')
  | 'SIZE_MISMATCH'; // arrays that must have the same length do not

export interface TimeLocation {
  /** Name of the parameter concerned (as in the API: 'jdUtc', 'site.latDeg', …). */
  parameter?: string;
  /** FITS keyword concerned ('DATE-OBS', 'EXPTIME', …). */
  keyword?: string;
  /** 0-based index of the array element concerned. */
  index?: number;
}

export class TimeError extends Error {
  override readonly name = 'TimeError';
  readonly code: TimeErrorCode;
  readonly location: TimeLocation;

  constructor(code: TimeErrorCode, message: string, location: TimeLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: TimeLocation): string {
  const where: string[] = [];
  if (loc.keyword !== undefined) where.push(`keyword '${loc.keyword}'`);
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.index !== undefined) where.push(`element ${loc.index}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

/** Throws BAD_ARGUMENT unless `x` is a finite number (optionally within [min, max]). */
export function requireFinite(x: number, parameter: string, min = -Infinity, max = Infinity, index?: number): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    const loc: TimeLocation = index === undefined ? { parameter } : { parameter, index };
    throw new TimeError('BAD_ARGUMENT', `must be ${range}, got ${String(x)}`, loc);
  }
}
