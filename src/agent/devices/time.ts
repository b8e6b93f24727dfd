/**
 * Waiting on the device clock. The simulator's slews and exposures take clock time, which
 * may run faster than real time (a night in minutes) or be driven by hand in tests, so a
 * device waits through an injected Sleep instead of setTimeout.
 */
import type { ManualClock } from '../../network/clock.js';
import { AgentError } from '../errors.js';

/** Wait `ms` milliseconds of clock time; rejects with ABORTED when the signal fires. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

function aborted(signal: AbortSignal): AgentError {
  return signal.reason instanceof AgentError ? signal.reason : new AgentError('ABORTED', 'wait aborted', { cause: signal.reason });
}

/** setTimeout fires at once beyond 2³¹ − 1 ms; longer waits go in steps. */
const MAX_TIMER_MS = 2 ** 30;

/** Real time divided by `speed` (1 = real time; 60 = a minute of clock time per real second). */
export function realSleep(speed = 1): Sleep {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new AgentError('BAD_ARGUMENT', `sleep speed must be a positive number, got ${speed}`);
  return (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(aborted(signal));
      let left = Math.max(0, ms / speed);
      let timer: ReturnType<typeof setTimeout>;
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(aborted(signal!));
      };
      const step = (): void => {
        const now = Math.min(left, MAX_TIMER_MS);
        left -= now;
        timer = setTimeout(() => {
          if (left > 0) return step();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, now);
      };
      step();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
}

/**
 * For tests: waiting moves the manual clock forward by `ms` at once (after a macrotask
 * turn, so concurrent work such as an abort() gets a chance to run first).
 */
export function manualSleep(clock: ManualClock): Sleep {
  return (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(aborted(signal));
      setImmediate(() => {
        if (signal?.aborted) return reject(aborted(signal));
        if (ms > 0) clock.advance(ms);
        resolve();
      });
    });
}
