/**
 * Typed errors for the transit model, transit-time fits and ephemerides. A TransitError
 * says what is wrong and, where it helps, which parameter or which data point.
 */

export type TransitErrorCode =
  | 'BAD_ARGUMENT' // a parameter outside its domain (period ≤ 0, e ≥ 1, NaN, …)
  | 'SIZE_MISMATCH' // arrays that must have the same length do not
  | 'TOO_LARGE' // a request that would allocate or loop beyond our guards
  | 'NO_CONVERGENCE' // an iteration that did not converge (fit, root finder)
  | 'TOO_FEW_POINTS'; // not enough data to constrain what was asked

export interface TransitLocation {
  /** Name of the parameter concerned (as in the API: 'periodDays', 'ecc', …). */
  parameter?: string;
  /** 0-based index of the data point or transit concerned. */
  index?: number;
}

export class TransitError extends Error {
  override readonly name = 'TransitError';
  readonly code: TransitErrorCode;
  readonly location: TransitLocation;

  constructor(code: TransitErrorCode, message: string, location: TransitLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: TransitLocation): string {
  const where: string[] = [];
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.index !== undefined) where.push(`point ${loc.index}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

/** Throws BAD_ARGUMENT unless `x` is a finite number (optionally within [min, max]). */
export function requireFinite(x: number, parameter: string, min = -Infinity, max = Infinity): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    throw new TransitError('BAD_ARGUMENT', `must be ${range}, got ${String(x)}`, { parameter });
  }
}
