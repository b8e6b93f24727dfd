/**
 * Typed errors for the synthetic sky. A SkyError says what is wrong and names the
 * parameter at fault (as spelled in the API: 'seeingFwhmArcsec', 'optics.gainEPerAdu', …),
 * and for list inputs the index of the offending entry.
 */

export type SkyErrorCode =
  | 'BAD_ARGUMENT' // a parameter outside its domain (negative exposure, NaN magnitude, β ≤ 1, …)
  | 'TOO_LARGE'; // a request that would allocate or loop beyond our guards

export interface SkyLocation {
  /** Name of the parameter concerned. */
  parameter?: string;
  /** 0-based index in a list input (stars, sources, satellite trails). */
  index?: number;
}

export class SkyError extends Error {
  override readonly name = 'SkyError';
  readonly code: SkyErrorCode;
  readonly location: SkyLocation;

  constructor(code: SkyErrorCode, message: string, location: SkyLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: SkyLocation): string {
  const where: string[] = [];
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.index !== undefined) where.push(`#${loc.index}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

/**
 * Throws BAD_ARGUMENT unless `x` is a finite number in [min, max] (bounds inclusive;
 * `exclusiveMin` makes the lower bound strict, for quantities that must be positive).
 */
export function requireNumber(x: unknown, parameter: string, min = -Infinity, max = Infinity, exclusiveMin = false, index?: number): number {
  const ok = typeof x === 'number' && Number.isFinite(x) && (exclusiveMin ? x > min : x >= min) && x <= max;
  if (!ok) {
    const lo = min === -Infinity ? '' : exclusiveMin ? `> ${min}` : `≥ ${min}`;
    const hi = max === Infinity ? '' : `≤ ${max}`;
    const range = lo && hi ? `a number ${lo} and ${hi}` : lo || hi ? `a number ${lo || hi}` : 'a finite number';
    throw new SkyError('BAD_ARGUMENT', `must be ${range}, got ${String(x)}`, index === undefined ? { parameter } : { parameter, index });
  }
  return x as number;
}

/** Like requireNumber, for integers. */
export function requireInteger(x: unknown, parameter: string, min = -Infinity, max = Infinity): number {
  requireNumber(x, parameter, min, max);
  if (!Number.isInteger(x)) throw new SkyError('BAD_ARGUMENT', `must be an integer, got ${String(x)}`, { parameter });
  return x as number;
}
