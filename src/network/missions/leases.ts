/**
 * Taking work back from nodes. Two ways a held task returns to the pool without the node
 * ending it:
 * - releaseNodeTasks: the node FAULTED (called by the fault sweeper inside its own
 *   transaction). Everything it holds goes back at once.
 * - expireTaskLeases: a lease ran out. A LEASED task the node never started (its observe
 *   command not acknowledged) goes back to PENDING; one whose command was acknowledged
 *   counts as started (RUNNING, deadline from the ack). A RUNNING task past its deadline
 *   (frames + RUNNING_GRACE_S, renewed by every frame) is cut short.
 * In both, credit already delivered stays: the task becomes PARTIAL and the rest a new
 * PENDING task; with nothing delivered it is simply PENDING again. The node's unfinished
 * commands for the task are withdrawn so it does not go on with work that moved on; frames
 * it still sends are credited to the mission all the same (credit.ts).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import type { Clock } from '../clock.js';
import { requireNow, requireUuid } from '../nodes/validate.js';
import { HELD_TASK_STATES, TASK_MACHINE, transition } from './states.js';
import { taskDurationS } from './split.js';
import { OBSERVE_COMMAND_KIND, RUNNING_GRACE_S, giveBack, inTransaction, remainingS } from './store.js';

/**
 * The node's LEASED/RUNNING tasks return to the pool (credit kept: PARTIAL + remainder).
 * Returns how many tasks were taken back.
 */
export async function releaseNodeTasks(db: Kysely<Schema> | Transaction<Schema>, nodeId: string, now: Date): Promise<number> {
  requireNow(now);
  const nid = requireUuid(nodeId, 'nodeId');
  return inTransaction(db, async (trx) => {
    const held = await trx
      .selectFrom('tasks')
      .select(['id', 'mission_id'])
      .where('node_id', '=', nid)
      .where('state', 'in', HELD_TASK_STATES)
      .orderBy('mission_id')
      .orderBy('id')
      .execute();
    let n = 0;
    for (const { id, mission_id } of held) {
      // Lock order mission → task (store.ts); re-check: a frame may have finished it meanwhile.
      const mission = await trx.selectFrom('missions').selectAll().where('id', '=', mission_id).forUpdate().executeTakeFirstOrThrow();
      const task = await trx.selectFrom('tasks').selectAll().where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (task.node_id !== nid || !HELD_TASK_STATES.includes(task.state)) continue;
      await giveBack(trx, mission, task, now, { cancelCommands: true });
      n += 1;
    }
    return n;
  });
}

/** Apply every lease that has run out by `now`; returns how many tasks changed. */
export async function expireTaskLeases(db: Kysely<Schema> | Transaction<Schema>, now: Date): Promise<number> {
  requireNow(now);
  return inTransaction(db, async (trx) => {
    const due = await trx
      .selectFrom('tasks')
      .select(['id', 'mission_id'])
      .where('state', 'in', HELD_TASK_STATES)
      .where('lease_expires_at', '<=', now)
      .orderBy('mission_id')
      .orderBy('id')
      .execute();
    let n = 0;
    for (const { id, mission_id } of due) {
      // SKIP LOCKED: a row busy with a frame or another sweep is left for the next pass.
      const mission = await trx.selectFrom('missions').selectAll().where('id', '=', mission_id).forUpdate().skipLocked().executeTakeFirst();
      if (!mission) continue;
      const task = await trx.selectFrom('tasks').selectAll().where('id', '=', id).forUpdate().skipLocked().executeTakeFirst();
      if (!task || !HELD_TASK_STATES.includes(task.state) || task.lease_expires_at === null || task.lease_expires_at > now) continue;

      if (task.state === 'LEASED' && task.node_id !== null) {
        const ack = await trx
          .selectFrom('commands')
          .select('acked_at')
          .where('task_id', '=', task.id)
          .where('node_id', '=', task.node_id)
          .where('kind', '=', OBSERVE_COMMAND_KIND)
          .where('acked_at', 'is not', null)
          .where('state', 'in', ['ACKED', 'DONE'])
          .orderBy('acked_at', 'desc')
          .executeTakeFirst();
        if (ack?.acked_at) {
          const deadline = new Date(ack.acked_at.getTime() + (taskDurationS(remainingS(task), mission.sub_exposure_s) + RUNNING_GRACE_S) * 1000);
          if (deadline > now) {
            transition(TASK_MACHINE, task.state, 'RUNNING', task.id);
            await trx.updateTable('tasks').set({ state: 'RUNNING', lease_expires_at: deadline, updated_at: now }).where('id', '=', task.id).execute();
            n += 1;
            continue;
          }
        }
      }
      await giveBack(trx, mission, task, now, { cancelCommands: true });
      n += 1;
    }
    return n;
  });
}

export interface LeaseExpirerOptions {
  database: { db: Kysely<Schema> };
  clock: Clock;
  /** Time between passes, ms (default 5000). */
  intervalMs?: number;
  /** A pass failed; the expirer carries on. Default: a process warning. */
  onError?: (err: unknown) => void;
  /** Timer functions (tests may pass fakes). */
  timers?: { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: unknown) => void };
}

export interface LeaseExpirer {
  /** Run a pass now (after any pass in flight); resolves to the number of tasks changed. */
  tick(): Promise<number>;
  /** Stop the timer and wait for a pass in flight. Idempotent. */
  stop(): Promise<void>;
}

/** Run expireTaskLeases every intervalMs until stopped (first pass after one interval). */
export function startLeaseExpirer(opts: LeaseExpirerOptions): LeaseExpirer {
  const intervalMs = opts.intervalMs ?? 5000;
  if (!(Number.isFinite(intervalMs) && intervalMs > 0)) throw new RangeError(`startLeaseExpirer: intervalMs must be > 0, got ${intervalMs}`);
  const timers = opts.timers ?? {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  };
  const onError =
    opts.onError ?? ((err: unknown) => process.emitWarning(`lease expirer: ${err instanceof Error ? err.message : String(err)}`, 'OpenAstroWarning'));
  let stopped = false;
  let handle: unknown = null;
  let chain: Promise<unknown> = Promise.resolve();

  // One pass at a time: a tick during a timer pass runs after it.
  const enqueue = (): Promise<number> => {
    const next = chain.then(() => expireTaskLeases(opts.database.db, opts.clock.now()));
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
      if (stopped) return Promise.reject(new Error('lease expirer is stopped'));
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
