/**
 * Typed errors for TTV inference. A TtvError says what is wrong and where: the file and
 * line of a transit-time table, or the path of a field in a model configuration
 * (`planets[1].massEarth.max`), or the parameter concerned.
 */

export type TtvErrorCode =
  | 'BAD_CONFIG' // a model description that cannot be used (missing field, bad prior, …)
  | 'BAD_DATA' // a transit-time table that cannot be used (bad cell, σ ≤ 0, unknown planet, …)
  | 'BAD_SAMPLES' // a samples file (warm start, prediction) that does not match the model
  | 'BAD_ARGUMENT' // caller passed something impossible
  | 'NOT_CONVERGED' // the optimiser found no finite likelihood to start from
  | 'TOO_LARGE'; // a request beyond our guards (rows, draws, span)

export interface TtvLocation {
  /** File the value came from. */
  file?: string;
  /** 1-based line. */
  line?: number;
  /** Path of a configuration field, e.g. `planets[0].periodDays.min`. */
  path?: string;
  /** Name of a model parameter, e.g. `massEarth_c`. */
  parameter?: string;
}

export class TtvError extends Error {
  override readonly name = 'TtvError';
  readonly code: TtvErrorCode;
  readonly location: TtvLocation;
  /** The message without its location prefix (to re-locate the error, e.g. add the file). */
  readonly detail: string;

  constructor(code: TtvErrorCode, message: string, location: TtvLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
    this.detail = message;
  }
}

function formatMessage(message: string, loc: TtvLocation): string {
  const where: string[] = [];
  if (loc.file !== undefined) where.push(loc.file);
  if (loc.line !== undefined) where.push(`line ${loc.line}`);
  if (loc.path !== undefined) where.push(`'${loc.path}'`);
  if (loc.parameter !== undefined) where.push(`parameter '${loc.parameter}'`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}
