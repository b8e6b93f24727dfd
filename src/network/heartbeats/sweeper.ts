/**
 * The fault sweeper: no request is needed for a node to fail. A node that is not FAULTED
 * and whose last heartbeat (or, if it never sent one, its registration) is at least three
 * of its heartbeat intervals old becomes FAULTED. In the same transaction its leased tasks
 * go back to the pool (missions' releaseNodeTasks) and the commands it holds become
 * PENDING again, so nothing it held is stuck with it. A later heartbeat brings it back
 * (recordHeartbeat).
 *
 * Rows are claimed FOR UPDATE SKIP LOCKED: several servers may sweep at once without
 * faulting a node twice, and a node whose heartbeat is being written right now is skipped.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import type { Clock } from '../clock.js';
import { releaseNodeTasks } from '../missions/leases.js';
import { requeueNodeCommands } from '../commands/commands.js';
import { requireNow } from '../nodes/validate.js';

/** Heartbeat intervals of silence after which a node is FAULTED. */
export const MISSED_HEARTBEATS_TO_FAULT = 3;

/** Returns tasks leased to the node to the pool; how many. Inside the sweep's transaction. */
export type ReleaseNodeTasks = (trx: Transaction<Schema>, nodeId: string, now: Date) => Promise<number>;

export interface SweepOptions {
  /** Default: missions' releaseNodeTasks. Injectable for tests. */
  releaseTasks?: ReleaseNodeTasks;
}

function inTransaction<T>(db: Kysely<Schema>, fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Schema>) : db.transaction().execute(fn);
}

/** Fault every silent node; returns their ids (sorted). All or nothing. */
export async function sweepFaultedNodes(db: Kysely<Schema>, now: Date, opts: SweepOptions = {}): Promise<string[]> {
  requireNow(now);
  const releaseTasks = opts.releaseTasks ?? releaseNodeTasks;
  const at = now.toISOString();
  return inTransaction(db, async (trx) => {
    const silent = await trx
      .selectFrom('nodes')
      .select('id')
      .where('state', 'in', ['ONLINE', 'BUSY', 'PARKED'])
      .where(
        sql<boolean>`coalesce(last_heartbeat_at, registered_at) <= ${at}::timestamptz - heartbeat_interval_s * ${sql.lit(MISSED_HEARTBEATS_TO_FAULT)} * interval '1 second'`,
      )
      .orderBy('id')
      .forUpdate()
      .skipLocked()
      .execute();
    const ids = silent.map((r) => r.id);
    if (ids.length === 0) return [];
    await trx.updateTable('nodes').set({ state: 'FAULTED', updated_at: now }).where('id', 'in', ids).execute();
    for (const id of ids) {
      await releaseTasks(trx, id, now);
      await requeueNodeCommands(trx, id);
    }
    return ids;
  });
}

export interface SweeperOptions {
  database: { db: Kysely<Schema> };
  clock: Clock;
  /** Time between sweeps, ms (default 5000). */
  intervalMs?: number;
  /** Called with the ids faulted by a sweep (only when there are some). */
  onFaulted?: (nodeIds: string[]) => void | Promise<void>;
  /** A sweep or onFaulted failed; the sweeper carries on. Default: a process warning. */
  onError?: (err: unknown) => void;
  releaseTasks?: ReleaseNodeTasks;
  /** Timer functions (tests may pass fakes). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: unknown) => void };
}

export interface Sweeper {
  /** Sweep now (serialised with the timer's sweeps); resolves to the faulted ids. */
  tick(): Promise<string[]>;
  /** Stop the timer and wait for a sweep in flight. Idempotent. */
  stop(): Promise<void>;
}

/** Start sweeping every intervalMs (first sweep after one interval). */
export function startSweeper(opts: SweeperOptions): Sweeper {
  const intervalMs = opts.intervalMs ?? 5000;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError(`startSweeper: intervalMs must be > 0, got ${intervalMs}`);
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  const onError =
    opts.onError ??
    ((err: unknown) => process.emitWarning(`fault sweeper: ${err instanceof Error ? err.message : String(err)}`, 'OpenAstroWarning'));
  let stopped = false;
  let handle: unknown = null;
  let chain: Promise<unknown> = Promise.resolve();

  const sweepOnce = async (): Promise<string[]> => {
    const ids = await sweepFaultedNodes(opts.database.db, opts.clock.now(), { releaseTasks: opts.releaseTasks });
    if (ids.length > 0 && opts.onFaulted) {
      try {
        await opts.onFaulted(ids);
      } catch (err) {
        onError(err);
      }
    }
    return ids;
  };

  // One sweep at a time: a tick during a timer sweep runs after it.
  const enqueue = (): Promise<string[]> => {
    const next = chain.then(sweepOnce);
    chain = next.catch(() => {});
    return next;
  };

  const schedule = () => {
    if (stopped) return;
    handle = timers.setTimeout(() => {
      handle = null;
      enqueue()
        .catch(onError)
        .finally(schedule);
    }, intervalMs);
  };
  schedule();

  return {
    tick() {
      if (stopped) return Promise.reject(new Error('fault sweeper is stopped'));
      return enqueue();
    },
    async stop() {
      stopped = true;
      if (handle !== null) {
        timers.clearTimeout(handle);
        handle = null;
      }
      await chain;
    },
  };
}
