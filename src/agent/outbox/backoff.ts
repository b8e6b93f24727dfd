/**
 * Retry delays: exponential with a cap, with jitter so that nodes which failed together
 * (the server went down for all of them) do not come back in lockstep. With u uniform in
 * [0, 1) from the injected generator:
 *   d(n) = min(maxMs, baseMs · factor^(n − 1)) · (1 − jitter · u)      (n = attempts so far ≥ 1)
 * rounded to whole ms, so the delay lies in [(1 − jitter)·d, d].
 */
import { AgentError } from '../errors.js';

export interface BackoffPolicy {
  /** First retry delay, ms; default 5 s. */
  baseMs?: number;
  /** Default 2. */
  factor?: number;
  /** Cap, ms; default 30 min. */
  maxMs?: number;
  /** Fraction of the delay that is random, 0 … 1; default 0.5. */
  jitter?: number;
}

export function resolveBackoff(p: BackoffPolicy = {}): Required<BackoffPolicy> {
  const r = { baseMs: p.baseMs ?? 5000, factor: p.factor ?? 2, maxMs: p.maxMs ?? 30 * 60_000, jitter: p.jitter ?? 0.5 };
  if (!(r.baseMs > 0)) throw new AgentError('BAD_ARGUMENT', `backoff baseMs must be > 0, got ${r.baseMs}`);
  if (!(r.factor >= 1)) throw new AgentError('BAD_ARGUMENT', `backoff factor must be ≥ 1, got ${r.factor}`);
  if (!(r.maxMs >= r.baseMs)) throw new AgentError('BAD_ARGUMENT', `backoff maxMs must be ≥ baseMs, got ${r.maxMs}`);
  if (!(r.jitter >= 0 && r.jitter <= 1)) throw new AgentError('BAD_ARGUMENT', `backoff jitter must be in [0, 1], got ${r.jitter}`);
  return r;
}

/** Delay before the next attempt after `attempts` failures; `u` uniform in [0, 1). */
export function backoffDelayMs(attempts: number, policy: Required<BackoffPolicy>, u: number): number {
  const n = Math.max(1, Math.floor(attempts));
  // Past ~60 doublings the cap is reached anyway; avoid Infinity.
  const d = Math.min(policy.maxMs, policy.baseMs * Math.pow(policy.factor, Math.min(n - 1, 60)));
  return Math.round(d * (1 - policy.jitter * u));
}
