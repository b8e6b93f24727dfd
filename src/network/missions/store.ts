/**
 * Row-level building blocks shared by the mission rules: transactions, locks in one fixed
 * order, and giving a task back. Lock order everywhere: node → mission → task, so that two
 * rules touching the same rows never wait on each other in a cycle.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Mission, Schema, Task } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { cancelCommand, createCommand } from '../commands/commands.js';
import { MISSION_MACHINE, OPEN_MISSION_STATES, OPEN_TASK_STATES, TASK_MACHINE, transition } from './states.js';

export type Db = Kysely<Schema> | Transaction<Schema>;

/** Exposure sums are float seconds; this much is "equal". */
export const EXPOSURE_EPSILON_S = 1e-6;
/** The command kind the scheduler hands a task out with. */
export const OBSERVE_COMMAND_KIND = 'observe';
/** Sent to a node whose held task was withdrawn (mission cancelled or complete). */
export const ABORT_COMMAND_KIND = 'abort';
/**
 * A RUNNING task's deadline is the time its remaining frames need plus this grace (slews,
 * focus, downloads); past it the task is treated as cut short (expireTaskLeases).
 */
export const RUNNING_GRACE_S = 900;

/** Run `fn` in a transaction — the caller's own if `db` already is one. */
export function inTransaction<T>(db: Db, fn: (trx: Transaction<Schema>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db as Transaction<Schema>) : db.transaction().execute(fn);
}

export async function lockMission(trx: Transaction<Schema>, missionId: string): Promise<Mission> {
  const row = await trx.selectFrom('missions').selectAll().where('id', '=', missionId).forUpdate().executeTakeFirst();
  if (!row) throw new NetworkError('NOT_FOUND', `missionId: no mission with id '${missionId}'`);
  return row;
}

export async function lockTask(trx: Transaction<Schema>, taskId: string): Promise<Task> {
  const row = await trx.selectFrom('tasks').selectAll().where('id', '=', taskId).forUpdate().executeTakeFirst();
  if (!row) throw new NetworkError('NOT_FOUND', `taskId: no task with id '${taskId}'`);
  return row;
}

export function isOpenMission(m: Pick<Mission, 'state'>): boolean {
  return OPEN_MISSION_STATES.includes(m.state);
}

/** Seconds of a task's exposure not yet delivered (0 when within epsilon). */
export function remainingS(task: Pick<Task, 'exposure_s' | 'delivered_exposure_s'>): number {
  const rest = task.exposure_s - task.delivered_exposure_s;
  return rest > EXPOSURE_EPSILON_S ? rest : 0;
}

/** Withdraw the unfinished commands a node holds for a task (it must not act on them any more). */
export async function cancelTaskCommands(trx: Transaction<Schema>, taskId: string, nodeId: string | null, now: Date): Promise<number> {
  let q = trx.selectFrom('commands').select('id').where('task_id', '=', taskId).where('state', 'in', ['PENDING', 'DELIVERED', 'ACKED']);
  if (nodeId !== null) q = q.where('node_id', '=', nodeId);
  const rows = await q.execute();
  for (const r of rows) await cancelCommand(trx, r.id, now);
  return rows.length;
}

export interface GiveBackResult {
  task: Task;
  /** The new PENDING task holding what was not delivered, when one was made. */
  remainder: Task | null;
}

/**
 * A held task (LEASED/RUNNING) stops on its node: fully delivered → DONE; some credit →
 * PARTIAL, and the rest becomes a new PENDING task (parent_task_id → this one); nothing
 * delivered → PENDING again, free for any node. When the mission is no longer open nothing
 * is handed out again (PARTIAL or CANCELLED). Caller holds the mission and task locks.
 */
export async function giveBack(
  trx: Transaction<Schema>,
  mission: Mission,
  task: Task,
  now: Date,
  opts: { cancelCommands: boolean },
): Promise<GiveBackResult> {
  const rest = remainingS(task);
  const delivered = task.delivered_exposure_s > EXPOSURE_EPSILON_S;
  const open = isOpenMission(mission);
  let next: Task['state'];
  if (rest === 0) next = 'DONE';
  else if (delivered) next = 'PARTIAL';
  else next = open ? 'PENDING' : 'CANCELLED';
  // Credit moves a task to RUNNING, so a LEASED task reaching DONE/PARTIAL passes through it.
  const path: Array<Task['state']> = task.state === 'LEASED' && (next === 'DONE' || next === 'PARTIAL') ? ['RUNNING', next] : [next];
  let from = task.state;
  for (const to of path) from = transition(TASK_MACHINE, from, to, task.id);

  if (opts.cancelCommands && task.node_id !== null) await cancelTaskCommands(trx, task.id, task.node_id, now);
  const keepsNode = next === 'DONE' || next === 'PARTIAL';
  const updated = await trx
    .updateTable('tasks')
    .set({
      state: next,
      node_id: keepsNode ? task.node_id : null,
      lease_expires_at: null,
      updated_at: now,
    })
    .where('id', '=', task.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  let remainder: Task | null = null;
  if (next === 'PARTIAL' && open) {
    remainder = await trx
      .insertInto('tasks')
      .values({
        mission_id: task.mission_id,
        parent_task_id: task.id,
        state: 'PENDING',
        exposure_s: rest,
        not_before: task.not_before,
        not_after: task.not_after,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  return { task: updated, remainder };
}

/**
 * The mission closed (COMPLETE or CANCELLED): its open tasks stop — a RUNNING task that
 * delivered something becomes PARTIAL (its credit stays on record), every other one
 * CANCELLED; no remainders. Their unfinished commands are withdrawn and nodes that held
 * one get an 'abort' command. Caller holds the mission lock. Returns the stopped tasks.
 */
export async function closeOpenTasks(trx: Transaction<Schema>, mission: Mission, now: Date, reason: string): Promise<Task[]> {
  // Bulk updates: every open state may go to CANCELLED, and RUNNING to PARTIAL (states.ts).
  const partial = await trx
    .updateTable('tasks')
    .set({ state: 'PARTIAL', lease_expires_at: null, updated_at: now })
    .where('mission_id', '=', mission.id)
    .where('state', '=', 'RUNNING')
    .where('delivered_exposure_s', '>', EXPOSURE_EPSILON_S)
    .returningAll()
    .execute();
  const cancelled = await trx
    .updateTable('tasks')
    .set({ state: 'CANCELLED', lease_expires_at: null, updated_at: now })
    .where('mission_id', '=', mission.id)
    .where('state', 'in', OPEN_TASK_STATES)
    .returningAll()
    .execute();
  const stopped = [...partial, ...cancelled];
  for (const task of stopped) {
    await cancelTaskCommands(trx, task.id, null, now);
    if (task.node_id !== null) {
      await createCommand(
        trx,
        { nodeId: task.node_id, taskId: task.id, kind: ABORT_COMMAND_KIND, payload: { missionId: mission.id, taskId: task.id, reason } },
        now,
      );
    }
  }
  return stopped;
}

/** PENDING → ACTIVE when work on the mission starts (a lease or a credited frame). */
export async function activateMission(trx: Transaction<Schema>, mission: Mission, now: Date): Promise<Mission> {
  if (mission.state !== 'PENDING') return mission;
  transition(MISSION_MACHINE, mission.state, 'ACTIVE', mission.id);
  return trx
    .updateTable('missions')
    .set({ state: 'ACTIVE', updated_at: now })
    .where('id', '=', mission.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
