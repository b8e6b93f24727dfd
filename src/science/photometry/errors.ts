/**
 * Typed errors for cross-matching, photometric calibration, the instrument registry and
 * ensemble photometry. A PhotometryError says what is wrong and, where it helps, which
 * parameter, star or frame.
 */

export type PhotometryErrorCode =
  | 'BAD_ARGUMENT' // a parameter outside its domain (negative radius, sigma ≤ 0, …)
  | 'SIZE_MISMATCH' // arrays that must have the same length do not
  | 'TOO_FEW_STARS' // not enough usable stars for the fit asked for
  | 'DEGENERATE' // the data cannot constrain the model (all colours equal, …)
  | 'BAD_DOCUMENT'; // an instrument-registry document that cannot be read

export interface PhotometryLocation {
  /** Name of the parameter concerned ('radiusArcsec', 'catalog.colour', …). */
  parameter?: string;
  /** 0-based index of the star (or array element) concerned. */
  index?: number;
  /** 0-based frame concerned. */
  frame?: number;
  /** Registry key ('site/camera/filter'). */
  key?: string;
}

export class PhotometryError extends Error {
  override readonly name = 'PhotometryError';
  readonly code: PhotometryErrorCode;
  readonly location: PhotometryLocation;

  constructor(code: PhotometryErrorCode, message: string, location: PhotometryLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: PhotometryLocation): string {
  const where: string[] = [];
  if (loc.key !== undefined) where.push(`instrument '${loc.key}'`);
  if (loc.frame !== undefined) where.push(`frame ${loc.frame}`);
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.index !== undefined) where.push(`element ${loc.index}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

/** Returns `x` or throws BAD_ARGUMENT unless it is a finite number in [min, max]. */
export function requireFinite(x: number, parameter: string, min = -Infinity, max = Infinity): number {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) {
    const range = min === -Infinity && max === Infinity ? 'a finite number' : `a number in [${min}, ${max}]`;
    throw new PhotometryError('BAD_ARGUMENT', `must be ${range}, got ${String(x)}`, { parameter });
  }
  return x;
}

/** Throws SIZE_MISMATCH unless `a` has length `n`. */
export function requireLength(a: ArrayLike<unknown> | undefined, n: number, parameter: string): void {
  if (a === undefined || a === null || typeof a.length !== 'number') {
    throw new PhotometryError('BAD_ARGUMENT', 'must be an array', { parameter });
  }
  if (a.length !== n) throw new PhotometryError('SIZE_MISMATCH', `has ${a.length} values, expected ${n}`, { parameter });
}
