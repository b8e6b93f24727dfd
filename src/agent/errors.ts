/**
 * Typed errors of the node agent. Every failure a device, the INDI link, the outbox or the
 * edge processing can report carries a code the agent turns into a command's failure
 * reason ("BELOW_HORIZON: target at −12.3° altitude, limit 0°"), so a bad command is
 * reported and the node stays healthy.
 */
export type AgentErrorCode =
  | 'BAD_ARGUMENT' // an argument is out of range or of the wrong type
  | 'NOT_CONNECTED' // the device (or INDI link) is not connected
  | 'TIMEOUT' // an operation did not finish in time
  | 'ABORTED' // the caller aborted (AbortSignal) or abort() was called
  | 'BELOW_HORIZON' // slew target under the altitude limit now
  | 'FILTER_NOT_PRESENT' // no filter of that name in the wheel
  | 'PARKED' // motion asked of a parked mount
  | 'BUSY' // the device is already doing something that excludes this
  | 'DEVICE_ERROR' // the device reported a failure (INDI state Alert)
  | 'NOT_FOUND' // an INDI device or property the operation needs is not defined
  | 'PROTOCOL' // malformed or unexpected INDI XML
  | 'CONNECTION' // the TCP link failed or closed
  | 'BAD_BLOB' // a BLOB whose encoding, size or compression is wrong
  | 'IO' // a local file operation failed
  | 'LOCKED' // another agent holds the outbox directory
  | 'UNKNOWN_ITEM' // no outbox item of that id
  | 'BAD_NAME' // a frame file name that does not follow the convention
  | 'BAD_FRAME'; // a frame the edge processing cannot use (not an image, no EXPTIME, ...)

export interface AgentErrorContext {
  /** Device name (INDI device or simulator role). */
  device?: string;
  /** INDI property or argument name. */
  property?: string;
  cause?: unknown;
}

export class AgentError extends Error {
  override readonly name = 'AgentError';
  readonly code: AgentErrorCode;
  readonly device?: string;
  readonly property?: string;

  constructor(code: AgentErrorCode, message: string, ctx: AgentErrorContext = {}) {
    const where = [ctx.device, ctx.property].filter((s) => s !== undefined && s !== '').join('.');
    super(where ? `${message} (${where})` : message, ctx.cause !== undefined ? { cause: ctx.cause } : undefined);
    this.code = code;
    if (ctx.device !== undefined) this.device = ctx.device;
    if (ctx.property !== undefined) this.property = ctx.property;
  }
}

export function isAgentError(e: unknown, code?: AgentErrorCode): e is AgentError {
  return e instanceof AgentError && (code === undefined || e.code === code);
}

/** Throws ABORTED when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new AgentError('ABORTED', `${what} aborted`, { cause: signal.reason });
}

/** A short human description of any thrown value (for logs and outbox error records). */
export function describeError(e: unknown): string {
  if (e instanceof AgentError) return `${e.code}: ${e.message}`;
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}

export interface DeadlineOptions {
  /** Real milliseconds before the operation fails with TIMEOUT; undefined or Infinity for none. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Runs `work` with a deadline and the caller's AbortSignal. `work` receives a signal that
 * fires on timeout or abort so it can stop what it started; the returned promise settles
 * at the deadline even when `work` ignores that signal (a hung driver or server must not
 * hang the agent).
 */
export function withDeadline<T>(what: string, opts: DeadlineOptions, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const { timeoutMs, signal } = opts;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    return Promise.reject(new AgentError('BAD_ARGUMENT', `${what}: timeoutMs must be > 0, got ${timeoutMs}`));
  }
  if (signal?.aborted) return Promise.reject(new AgentError('ABORTED', `${what} aborted`, { cause: signal.reason }));
  const inner = new AbortController();
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => {
      const err = new AgentError('ABORTED', `${what} aborted`, { cause: signal?.reason });
      inner.abort(err);
      finish(() => reject(err));
    };
    const timer =
      timeoutMs !== undefined && Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            const err = new AgentError('TIMEOUT', `${what} timed out after ${timeoutMs} ms`);
            inner.abort(err);
            finish(() => reject(err));
          }, timeoutMs)
        : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    let p: Promise<T>;
    try {
      p = work(inner.signal);
    } catch (e) {
      finish(() => reject(e));
      return;
    }
    p.then(
      (v) => finish(() => resolve(v)),
      (e) => finish(() => reject(e)),
    );
  });
}
