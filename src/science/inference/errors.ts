/**
 * Typed errors for the samplers. An InferenceError says what is wrong and, where it
 * applies, where: the step and walker of an ensemble run, the iteration of a nested run,
 * the worker thread, or the byte offset in a checkpoint.
 */

export type InferenceErrorCode =
  | 'BAD_ARGUMENT' // caller passed something impossible (odd walker count, nDim = 0, ...)
  | 'BAD_INITIAL_STATE' // starting walkers outside the support, or not spanning the space
  | 'BAD_LOG_PROB' // the log-probability / log-likelihood returned NaN (or +Infinity)
  | 'LOG_PROB_FAILED' // the log-probability threw (in a worker thread or in-process)
  | 'BAD_STATE' // a checkpoint that cannot be decoded or does not match the run
  | 'POOL' // worker pool misuse or failure (not started, module missing, worker died)
  | 'TOO_LARGE' // a request that would need an unreasonable amount of memory
  | 'NOT_CONVERGED'; // a sampler that cannot make progress within its limits

export interface InferenceLocation {
  /** 0-based ensemble step (a step updates every walker once). */
  step?: number;
  /** 0-based walker index. */
  walker?: number;
  /** 0-based nested-sampling iteration. */
  iteration?: number;
  /** 0-based worker-thread index. */
  worker?: number;
  /** Byte offset in a binary checkpoint. */
  offset?: number;
  /** Field of a checkpoint or an options object. */
  field?: string;
}

export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  readonly code: InferenceErrorCode;
  readonly location: InferenceLocation;

  constructor(code: InferenceErrorCode, message: string, location: InferenceLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: InferenceLocation): string {
  const where: string[] = [];
  if (loc.field !== undefined) where.push(`'${loc.field}'`);
  if (loc.step !== undefined) where.push(`step ${loc.step}`);
  if (loc.walker !== undefined) where.push(`walker ${loc.walker}`);
  if (loc.iteration !== undefined) where.push(`iteration ${loc.iteration}`);
  if (loc.worker !== undefined) where.push(`worker ${loc.worker}`);
  if (loc.offset !== undefined) where.push(`byte ${loc.offset}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}
