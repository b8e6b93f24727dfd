/**
 * Typed errors for light curves: importers say which file, line and column is wrong;
 * merging says which site or parameter.
 */

export type LightCurveErrorCode =
  | 'BAD_ARGUMENT' // a parameter outside its domain (bin width ≤ 0, unknown format, …)
  | 'BAD_FORMAT' // a file that is not what its format says (line/column named)
  | 'SIZE_MISMATCH' // arrays that must have the same length do not
  | 'TOO_FEW_POINTS' // not enough data for what was asked
  | 'NEEDS_TARGET' // UTC/HJD times need the target's coordinates to become BJD_TDB
  | 'DEGENERATE' // the data cannot constrain the model (a site that never overlaps the others, …)
  | 'UNSUPPORTED' // a valid input we do not handle (TIMESYS = 'TT' with TIMEREF = 'LOCAL', …)
  | 'TOO_LARGE'; // more rows or bins than our guards allow

export interface LightCurveLocation {
  /** File name (or other source label). */
  source?: string;
  /** 1-based line of a text file. */
  line?: number;
  /** Column name or 1-based number. */
  column?: string | number;
  /** Parameter concerned. */
  parameter?: string;
  /** Site (instrument) concerned. */
  site?: string;
  /** 0-based data point concerned. */
  index?: number;
}

export class LightCurveError extends Error {
  override readonly name = 'LightCurveError';
  readonly code: LightCurveErrorCode;
  readonly location: LightCurveLocation;

  constructor(code: LightCurveErrorCode, message: string, location: LightCurveLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: LightCurveLocation): string {
  const where: string[] = [];
  if (loc.source !== undefined) where.push(loc.source);
  if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.column !== undefined) where.push(typeof loc.column === 'number' ? `column ${loc.column}` : `column '${loc.column}'`);
  if (loc.site !== undefined) where.push(`site '${loc.site}'`);
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.index !== undefined) where.push(`point ${loc.index}`);
  return where.length > 0 ? `${where.join(', ')}: ${message}` : message;
}

/** Returns `x` or throws BAD_ARGUMENT unless it is a finite number in [min, max]. */
export function requireFinite(x: number, parameter: string, min = -Infinity, max = Infinity): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    throw new LightCurveError('BAD_ARGUMENT', `must be ${range}, got ${String(x)}`, { parameter });
  }
  return x;
}
