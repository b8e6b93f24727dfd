/**
 * Long poll: hold a node's request until it has commands or the wait runs out. It polls
 * the database once at the start, then again whenever the notifier wakes it for this node
 * and at every `pollIntervalMs` (commands written by another process, leases running out),
 * and once more at the deadline. Returns [] if nothing came, or as soon as the caller's
 * `signal` aborts (the client went away) — without polling then, since a delivery nobody
 * receives would only wait for its lease.
 *
 * Time here is real waiting time (timers), while leases are stamped with `clock.now()`,
 * so a test can hold the clock still and still wait.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import type { Clock } from '../clock.js';
import { requireInteger, requireUuid } from '../nodes/validate.js';
import { MAX_POLL_LIMIT, pollCommands, type CommandInfo } from './commands.js';
import type { CommandNotifier } from './notifier.js';

export const MAX_LONG_POLL_MS = 120_000;
export const DEFAULT_POLL_INTERVAL_MS = 1000;

export interface LongPollDeps {
  database: { db: Kysely<Schema> };
  clock: Clock;
  /** In-process wake-ups; without one the wait re-polls every pollIntervalMs only. */
  notifier?: CommandNotifier;
}

export interface LongPollOptions {
  /** Longest wait, ms (0 … 120000); 0 = a single poll. */
  timeoutMs: number;
  /** Lease for delivered commands, seconds. */
  leaseS: number;
  /** Most commands to deliver (default 10). */
  limit?: number;
  /** Abort when the client disconnects: returns [] promptly. */
  signal?: AbortSignal;
  /** Re-poll period while waiting, ms (default 1000, at least 10). */
  pollIntervalMs?: number;
}

/** Resolves after `ms` or when `signal` aborts, whichever is first; never rejects. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function waitForCommands(deps: LongPollDeps, nodeId: string, opts: LongPollOptions): Promise<CommandInfo[]> {
  const id = requireUuid(nodeId, 'nodeId');
  const timeoutMs = requireInteger(opts.timeoutMs, 'timeoutMs', 0, MAX_LONG_POLL_MS);
  const limit = requireInteger(opts.limit ?? 10, 'limit', 1, MAX_POLL_LIMIT);
  const pollIntervalMs = requireInteger(opts.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, 'pollIntervalMs', 10, MAX_LONG_POLL_MS);
  const poll = () => pollCommands(deps.database.db, id, deps.clock.now(), { leaseS: opts.leaseS, limit });

  if (opts.signal?.aborted) return [];
  if (timeoutMs === 0) return poll();

  const ended = new AbortController(); // deadline or client gone
  const deadline = setTimeout(() => ended.abort(), timeoutMs);
  const onClientAbort = () => ended.abort();
  opts.signal?.addEventListener('abort', onClientAbort, { once: true });
  try {
    while (true) {
      const round = new AbortController();
      const endRound = () => round.abort();
      ended.signal.addEventListener('abort', endRound, { once: true });
      try {
        // Listen before polling, so a command written during the poll still wakes us.
        const woken = deps.notifier?.wait(id, round.signal);
        const found = await poll();
        if (found.length > 0) return found;
        if (ended.signal.aborted) break;
        await Promise.race(woken ? [woken, pause(pollIntervalMs, round.signal)] : [pause(pollIntervalMs, round.signal)]);
      } finally {
        round.abort(); // drops the notifier wait and the timer of this round
        ended.signal.removeEventListener('abort', endRound);
      }
      if (opts.signal?.aborted) return [];
      if (ended.signal.aborted) return poll(); // deadline: one last look
    }
    return [];
  } finally {
    clearTimeout(deadline);
    opts.signal?.removeEventListener('abort', onClientAbort);
  }
}
