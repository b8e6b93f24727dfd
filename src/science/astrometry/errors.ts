/**
 * Typed errors for star catalogs and plate solving. A failed solve is not an error (it is
 * a `SolveFailure` result with a reason); these are for bad input: malformed CSV (line and
 * column named), corrupt catalog files (byte offset named), impossible parameters.
 */

export type AstrometryErrorCode =
  | 'BAD_ARGUMENT' // impossible parameter (negative radius, scale-low > scale-high, ...)
  | 'BAD_CSV' // an importer input that cannot be parsed
  | 'BAD_CATALOG' // a catalog file that is not ours, truncated or inconsistent
  | 'BAD_TABLE' // a FITS table or astrometry.net index file without the columns or layout we need
  | 'BAD_INDEX' // a sky (blind-solving) index that is not ours, truncated, or built from another catalog
  | 'BAD_FRAME' // a frame that cannot be solved as given (no 2-D image, unreadable header)
  | 'BACKEND_FAILED' // an external solver (solve-field, astap) failed or printed nothing we can read
  | 'NOT_INSTALLED' // an external solver that is not on PATH
  | 'TOO_LARGE'; // a request that would need an unreasonable amount of memory

export interface AstrometryLocation {
  file?: string;
  /** 1-based line of a CSV file. */
  line?: number;
  /** Column name (or 1-based number) of a CSV file. */
  column?: string;
  /** Byte offset in a catalog file. */
  offset?: number;
  /** 0-based HDU of a FITS file. */
  hdu?: number;
  parameter?: string;
}

export class AstrometryError extends Error {
  override readonly name = 'AstrometryError';
  readonly code: AstrometryErrorCode;
  readonly location: AstrometryLocation;

  constructor(code: AstrometryErrorCode, message: string, location: AstrometryLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: AstrometryLocation): string {
  const where: string[] = [];
  if (loc.file !== undefined) where.push(loc.file);
  if (loc.hdu !== undefined) where.push(`HDU ${loc.hdu}`);
  if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.column !== undefined) where.push(`column '${loc.column}'`);
  if (loc.offset !== undefined) where.push(`byte ${loc.offset}`);
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

export function requireFinite(v: number, what: string, min = -Infinity, max = Infinity): number {
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new AstrometryError('BAD_ARGUMENT', `${v} must be a finite number in [${min}, ${max}]`, { parameter: what });
  }
  return v;
}
