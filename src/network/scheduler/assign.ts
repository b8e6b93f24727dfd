/**
 * Handing work to a node that asks for it. In one transaction: lock the node's row (one
 * assignment per node at a time), return the task it already holds if any (a repeated
 * request after a lost response gets the same work), else rank what it can do now and
 * lease a task of the best mission it can lock — `FOR UPDATE SKIP LOCKED` on a
 * still-PENDING row, so two nodes asking at the same moment never take the same task: the
 * second takes the mission's next task, or moves on to its next choice. The task leaves with an 'observe' command (commands.ts) carrying what the
 * agent needs.
 */
import { sql, type Transaction } from 'kysely';
import type { Mission, Node, Schema, Task } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { createCommand, commandInfo, type CommandInfo } from '../commands/commands.js';
import { requireNow, requireUuid } from '../nodes/validate.js';
import { HELD_TASK_STATES, TASK_MACHINE, transition } from '../missions/states.js';
import { OBSERVE_COMMAND_KIND, inTransaction, type Db } from '../missions/store.js';
import { subExposureCount } from '../missions/split.js';
import { missionInfo, taskInfo, type MissionInfo, type TaskInfo } from '../missions/view.js';
import { candidateTasks, type Rejection } from './candidates.js';

export const MIN_LEASE_S = 1;
export const MAX_LEASE_S = 86_400;

export interface AssignOptions {
  /** How long the node has to start (acknowledge the command) before the task goes back, seconds. */
  leaseS: number;
  /** Visibility sampling step, seconds. */
  stepS?: number;
}

/** What the agent needs to do an observe command. */
export interface ObservePayload {
  missionId: string;
  taskId: string;
  missionName: string;
  targetName: string | null;
  raDeg: number;
  decDeg: number;
  filter: string;
  subExposureS: number;
  /** Frames to take. */
  count: number;
  /** Exposure the task asks for (count × subExposureS may exceed it for the last task). */
  exposureS: number;
  /** Stop by then (ISO-8601 UTC) — the task's window end; null if none. */
  notAfter: string | null;
  /** Acknowledge the command before this (ISO-8601 UTC) or the task goes to another node. */
  leaseExpiresAt: string;
}

export interface Assignment {
  task: TaskInfo;
  mission: MissionInfo;
  command: CommandInfo;
  /** The node already held this task (a repeated request). */
  reused: boolean;
}

export interface AssignResult {
  assignment: Assignment | null;
  /** Why the tasks looked at could not be given (empty when reused). */
  rejected: Rejection[];
}

/** Lease the best task for the node, or null when none fits now. */
export async function assignWork(db: Db, nodeId: string, now: Date, opts: AssignOptions): Promise<Assignment | null> {
  return (await assignWorkExplained(db, nodeId, now, opts)).assignment;
}

/** assignWork, also saying why the other tasks were not given. */
export async function assignWorkExplained(db: Db, nodeId: string, now: Date, opts: AssignOptions): Promise<AssignResult> {
  requireNow(now);
  const nid = requireUuid(nodeId, 'nodeId');
  const leaseS = opts?.leaseS;
  if (typeof leaseS !== 'number' || !Number.isFinite(leaseS) || leaseS < MIN_LEASE_S || leaseS > MAX_LEASE_S) {
    throw new NetworkError('BAD_REQUEST', `leaseS: must be ${MIN_LEASE_S} … ${MAX_LEASE_S} seconds, got ${JSON.stringify(leaseS)}`);
  }
  return inTransaction(db, async (trx) => {
    const node = await trx.selectFrom('nodes').selectAll().where('id', '=', nid).forUpdate().executeTakeFirst();
    if (!node) throw new NetworkError('NOT_FOUND', `nodeId: no node with id '${nid}'`);
    // A FAULTED node gets nothing until a heartbeat brings it back (its work was released).
    if (node.state === 'FAULTED') return { assignment: null, rejected: [] };

    const held = await heldAssignment(trx, node, now);
    if (held) return { assignment: held, rejected: [] };

    const site = await trx.selectFrom('sites').selectAll().where('id', '=', node.site_id).executeTakeFirstOrThrow();
    const report = await candidateTasks(trx, node, site, now, { stepS: opts.stepS });
    for (const c of report.candidates) {
      if (c.mission.state === 'PENDING') {
        // Before the task lock: lock order mission → task (missions/store.ts).
        await trx.updateTable('missions').set({ state: 'ACTIVE', updated_at: now }).where('id', '=', c.mission.id).where('state', '=', 'PENDING').execute();
      }
      // Any pending task of this mission no longer than the candidate and inside its window
      // passes the same sky checks (a sub-interval of the one checked), so take the first
      // one nobody else is locking — not necessarily the very row that was ranked.
      const end = new Date(now.getTime() + c.durationS * 1000);
      const got = await trx
        .selectFrom('tasks')
        .select('id')
        .where('mission_id', '=', c.mission.id)
        .where('state', '=', 'PENDING')
        .where('exposure_s', '<=', c.task.exposure_s)
        .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
        .where((eb) => eb.or([eb('not_after', 'is', null), eb('not_after', '>=', end)]))
        .orderBy(sql`not_before asc nulls first`)
        .orderBy('created_at')
        .orderBy('id')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!got) continue; // other nodes hold them all
      const mission = await trx.selectFrom('missions').selectAll().where('id', '=', c.mission.id).executeTakeFirstOrThrow();
      if (mission.state !== 'ACTIVE') continue; // cancelled or completed meanwhile
      transition(TASK_MACHINE, 'PENDING', 'LEASED', got.id);
      const leaseExpiresAt = new Date(now.getTime() + leaseS * 1000);
      const task = await trx
        .updateTable('tasks')
        .set({ state: 'LEASED', node_id: node.id, lease_expires_at: leaseExpiresAt, updated_at: now })
        .where('id', '=', got.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const command = await createCommand(
        trx,
        { nodeId: node.id, taskId: task.id, kind: OBSERVE_COMMAND_KIND, payload: { ...observePayload(mission, task) } },
        now,
      );
      return { assignment: { task: taskInfo(task), mission: missionInfo(mission), command, reused: false }, rejected: report.rejected };
    }
    return { assignment: null, rejected: report.rejected };
  });
}

export function observePayload(mission: Mission, task: Task): ObservePayload {
  return {
    missionId: mission.id,
    taskId: task.id,
    missionName: mission.name,
    targetName: mission.target_name,
    raDeg: mission.ra_deg!,
    decDeg: mission.dec_deg!,
    filter: mission.filter,
    subExposureS: mission.sub_exposure_s,
    count: subExposureCount(task.exposure_s, mission.sub_exposure_s),
    exposureS: task.exposure_s,
    notAfter: task.not_after === null ? null : task.not_after.toISOString(),
    leaseExpiresAt: (task.lease_expires_at ?? task.updated_at).toISOString(),
  };
}

/** The task the node holds now, with its observe command (recreated if it went missing). */
async function heldAssignment(trx: Transaction<Schema>, node: Node, now: Date): Promise<Assignment | null> {
  const task = await trx
    .selectFrom('tasks')
    .selectAll()
    .where('node_id', '=', node.id)
    .where('state', 'in', HELD_TASK_STATES)
    .orderBy('updated_at', 'desc')
    .executeTakeFirst();
  if (!task) return null;
  const mission = await trx.selectFrom('missions').selectAll().where('id', '=', task.mission_id).executeTakeFirstOrThrow();
  const row = await trx
    .selectFrom('commands')
    .selectAll()
    .where('task_id', '=', task.id)
    .where('node_id', '=', node.id)
    .where('kind', '=', OBSERVE_COMMAND_KIND)
    .where('state', 'not in', ['CANCELLED', 'FAILED'])
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  const command = row
    ? commandInfo(row)
    : await createCommand(trx, { nodeId: node.id, taskId: task.id, kind: OBSERVE_COMMAND_KIND, payload: { ...observePayload(mission, task) } }, now);
  return { task: taskInfo(task), mission: missionInfo(mission), command, reused: true };
}
