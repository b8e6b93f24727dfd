/**
 * Typed errors for the n-body forward model. A DynamicsError says what is wrong and,
 * for parsed input, where: the file, the 1-based line and the 1-based token on it (as a
 * person counts them in an editor).
 */

export type DynamicsErrorCode =
  | 'BAD_SYNTAX' // a token that is not a number, or text where none is expected
  | 'MISSING_VALUE' // the file ends before all expected values were read
  | 'EXTRA_VALUE' // more values than the convention allows
  | 'BAD_VALUE' // a number outside its domain (e < 0, mass <= 0, dt <= 0, ...)
  | 'UNBOUND_ORBIT' // an orbit that is not elliptic where a period is required
  | 'TOO_LARGE' // a request that would need an unreasonable amount of memory or time
  | 'NOT_CONVERGED' // an iteration that did not converge (close encounter, bad input)
  | 'BAD_ARGUMENT'; // caller passed something impossible

export interface DynamicsLocation {
  /** File the value came from (as given by the caller). */
  file?: string;
  /** 1-based line number. */
  line?: number;
  /** 1-based token number within the line. */
  token?: number;
  /** 0-based planet index (input order). */
  planet?: number;
}

export class DynamicsError extends Error {
  override readonly name = 'DynamicsError';
  readonly code: DynamicsErrorCode;
  readonly location: DynamicsLocation;

  constructor(code: DynamicsErrorCode, message: string, location: DynamicsLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: DynamicsLocation): string {
  const where: string[] = [];
  if (loc.file !== undefined) where.push(loc.file);
  if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.token !== undefined) where.push(`token ${loc.token}`);
  if (loc.planet !== undefined) where.push(`planet ${loc.planet}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}
