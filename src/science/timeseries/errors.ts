/**
 * Typed errors for light-curve periodograms. A TimeseriesError says what is wrong and,
 * where it helps, which parameter, which data point, or which line and column of a file.
 */

export type TimeseriesErrorCode =
  | 'BAD_ARGUMENT' // a parameter outside its domain (negative frequency step, nterms < 1, …)
  | 'BAD_DATA' // a data point that cannot be used (NaN time, dy ≤ 0, …)
  | 'SIZE_MISMATCH' // arrays that must have the same length do not
  | 'TOO_FEW_POINTS' // not enough data to constrain the model asked for
  | 'TOO_LARGE' // a request that would allocate or loop beyond our guards
  | 'BAD_CSV' // a light-curve table that cannot be read
  | 'POOL'; // the worker pool is stopped, broken, or a worker failed

export interface TimeseriesLocation {
  /** Name of the parameter concerned (as in the API: 'nterms', 'grid.step', …). */
  parameter?: string;
  /** 0-based index of the data point concerned. */
  index?: number;
  /** 1-based line of a text file. */
  line?: number;
  /** 1-based column of a text file, or its header name. */
  column?: number | string;
  /** Source name (file path) of a text file. */
  source?: string;
}

export class TimeseriesError extends Error {
  override readonly name = 'TimeseriesError';
  readonly code: TimeseriesErrorCode;
  readonly location: TimeseriesLocation;

  constructor(code: TimeseriesErrorCode, message: string, location: TimeseriesLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: TimeseriesLocation): string {
  const where: string[] = [];
  if (loc.source !== undefined) where.push(loc.source);
  if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.column !== undefined) where.push(typeof loc.column === 'number' ? `column ${loc.column}` : `column '${loc.column}'`);
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.index !== undefined) where.push(`point ${loc.index}`);
  return where.length > 0 ? `${where.join(', ')}: ${message}` : message;
}

/** Throws BAD_ARGUMENT unless `x` is a finite number in [min, max]. */
export function requireFinite(x: number, parameter: string, min = -Infinity, max = Infinity): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    throw new TimeseriesError('BAD_ARGUMENT', `must be ${range}, got ${String(x)}`, { parameter });
  }
}

/** Throws BAD_ARGUMENT unless `x` is an integer in [min, max]. */
export function requireInteger(x: number, parameter: string, min: number, max: number): void {
  if (!Number.isInteger(x) || x < min || x > max) {
    throw new TimeseriesError('BAD_ARGUMENT', `must be an integer in [${min}, ${max}], got ${String(x)}`, { parameter });
  }
}
