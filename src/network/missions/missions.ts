/**
 * Missions: create (validated, split into tasks, all in one transaction), list, show
 * progress, cancel.
 */
import { sql } from 'kysely';
import type { MissionState, TaskState } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { isUuid, requireNow } from '../nodes/validate.js';
import { MISSION_MACHINE, TASK_MACHINE, transition } from './states.js';
import { splitIntoTasks, type SplitSpec } from './split.js';
import { validateMission, type MissionInput } from './validate.js';
import { missionInfo, taskInfo, type MissionInfo, type TaskInfo } from './view.js';
import { closeOpenTasks, inTransaction, lockMission, type Db } from './store.js';

/** Insert rows in batches that stay well under PostgreSQL's 65 535 bind parameters. */
const INSERT_BATCH = 1000;

export interface CreateMissionOptions {
  /** Override the split rule's task length bound (split.ts), seconds. */
  maxTaskExposureS?: number;
}

export interface CreatedMission {
  mission: MissionInfo;
  tasks: TaskInfo[];
}

/** Validate, store the mission and its tasks. BAD_REQUEST (nothing written) on bad input. */
export async function createMission(db: Db, input: MissionInput, now: Date, opts: CreateMissionOptions = {}): Promise<CreatedMission> {
  requireNow(now);
  const spec = validateMission(input, now);
  const split: SplitSpec = { ...spec, maxTaskExposureS: opts.maxTaskExposureS };
  const slices = splitIntoTasks(split, now);
  return inTransaction(db, async (trx) => {
    const mission = await trx
      .insertInto('missions')
      .values({
        name: spec.name,
        target_name: spec.targetName,
        ra_deg: spec.raDeg,
        dec_deg: spec.decDeg,
        filter: spec.filter,
        total_exposure_s: spec.totalExposureS,
        sub_exposure_s: spec.subExposureS,
        cadence_s: spec.cadenceS,
        window_start: spec.windowStart,
        window_end: spec.windowEnd,
        priority: spec.priority,
        constraints: JSON.stringify(spec.constraints),
        state: 'PENDING',
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const tasks: TaskInfo[] = [];
    for (let i = 0; i < slices.length; i += INSERT_BATCH) {
      const rows = await trx
        .insertInto('tasks')
        .values(
          slices.slice(i, i + INSERT_BATCH).map((s) => ({
            mission_id: mission.id,
            state: 'PENDING' as const,
            exposure_s: s.exposureS,
            not_before: s.notBefore,
            not_after: s.notAfter,
            created_at: now,
            updated_at: now,
          })),
        )
        .returningAll()
        .execute();
      tasks.push(...rows.map(taskInfo));
    }
    return { mission: missionInfo(mission), tasks };
  });
}

export interface ListMissionsFilter {
  state?: MissionState;
  /** 1 … 500, default 100. */
  limit?: number;
  offset?: number;
}

const MISSION_STATES = Object.keys(MISSION_MACHINE.transitions) as MissionState[];

/** Missions, newest first. */
export async function listMissions(db: Db, filter: ListMissionsFilter = {}): Promise<MissionInfo[]> {
  const limit = filter.limit ?? 100;
  const offset = filter.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new NetworkError('BAD_REQUEST', `limit: must be an integer 1 … 500, got ${limit}`);
  if (!Number.isInteger(offset) || offset < 0) throw new NetworkError('BAD_REQUEST', `offset: must be an integer ≥ 0, got ${offset}`);
  if (filter.state !== undefined && !MISSION_STATES.includes(filter.state)) {
    throw new NetworkError('BAD_REQUEST', `state: must be one of ${MISSION_STATES.join(', ')}, got ${JSON.stringify(filter.state)}`);
  }
  let q = db.selectFrom('missions').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(limit).offset(offset);
  if (filter.state !== undefined) q = q.where('state', '=', filter.state);
  return (await q.execute()).map(missionInfo);
}

/** One mission (NOT_FOUND otherwise). */
export async function getMission(db: Db, missionId: string): Promise<MissionInfo> {
  const row = isUuid(missionId) ? await db.selectFrom('missions').selectAll().where('id', '=', missionId).executeTakeFirst() : undefined;
  if (!row) throw new NetworkError('NOT_FOUND', `missionId: no mission with id '${String(missionId)}'`);
  return missionInfo(row);
}

export interface NodeContribution {
  nodeId: string;
  nodeName: string | null;
  /** Sum of this node's accepted frames (before the mission's cap). */
  acceptedExposureS: number;
  acceptedFrames: number;
  rejectedFrames: number;
  /** Frames received but not yet checked. */
  pendingFrames: number;
  /** Tasks this node holds now or finished (DONE/PARTIAL). */
  tasks: number;
}

export interface PartialTask {
  taskId: string;
  nodeId: string | null;
  exposureS: number;
  deliveredExposureS: number;
  /** Remainder tasks made from it (normally one). */
  remainderTaskIds: string[];
}

export interface MissionProgress {
  mission: MissionInfo;
  /** Credited exposure (capped at the total). */
  deliveredExposureS: number;
  requiredExposureS: number;
  remainingExposureS: number;
  /** delivered / required, 0 … 1. */
  fraction: number;
  taskCounts: Record<TaskState, number>;
  tasks: TaskInfo[];
  nodes: NodeContribution[];
  partialTasks: PartialTask[];
  /** Tasks created as remainders of cut-short tasks (work that moved on). */
  reassignments: number;
}

/** Delivered vs required, tasks and who did them, partial tasks and their remainders. */
export async function missionProgress(db: Db, missionId: string): Promise<MissionProgress> {
  const mission = await getMission(db, missionId);
  const taskRows = await db
    .selectFrom('tasks')
    .selectAll()
    .where('mission_id', '=', mission.id)
    .orderBy('created_at')
    .orderBy('not_before')
    .orderBy('id')
    .execute();
  const frames = await db
    .selectFrom('exposures')
    .select(['node_id', 'state', sql<number>`count(*)::int`.as('n'), sql<number>`coalesce(sum(exposure_s), 0)::float8`.as('s')])
    .where('mission_id', '=', mission.id)
    .groupBy(['node_id', 'state'])
    .execute();

  const byNode = new Map<string, NodeContribution>();
  const contribution = (nodeId: string): NodeContribution => {
    let c = byNode.get(nodeId);
    if (!c) {
      c = { nodeId, nodeName: null, acceptedExposureS: 0, acceptedFrames: 0, rejectedFrames: 0, pendingFrames: 0, tasks: 0 };
      byNode.set(nodeId, c);
    }
    return c;
  };
  for (const f of frames) {
    const c = contribution(f.node_id);
    const n = Number(f.n);
    if (f.state === 'ACCEPTED') {
      c.acceptedFrames += n;
      c.acceptedExposureS += Number(f.s);
    } else if (f.state === 'REJECTED') c.rejectedFrames += n;
    else c.pendingFrames += n;
  }
  for (const t of taskRows) if (t.node_id !== null) contribution(t.node_id).tasks += 1;
  if (byNode.size > 0) {
    const names = await db.selectFrom('nodes').select(['id', 'name']).where('id', 'in', [...byNode.keys()]).execute();
    for (const n of names) byNode.get(n.id)!.nodeName = n.name;
  }

  const taskCounts = Object.fromEntries(Object.keys(TASK_MACHINE.transitions).map((s) => [s, 0])) as Record<TaskState, number>;
  for (const t of taskRows) taskCounts[t.state] += 1;
  const children = new Map<string, string[]>();
  for (const t of taskRows) {
    if (t.parent_task_id !== null) children.set(t.parent_task_id, [...(children.get(t.parent_task_id) ?? []), t.id]);
  }
  const partialTasks = taskRows
    .filter((t) => t.state === 'PARTIAL')
    .map((t) => ({
      taskId: t.id,
      nodeId: t.node_id,
      exposureS: t.exposure_s,
      deliveredExposureS: t.delivered_exposure_s,
      remainderTaskIds: children.get(t.id) ?? [],
    }));

  const required = mission.totalExposureS;
  const delivered = mission.deliveredExposureS;
  return {
    mission,
    deliveredExposureS: delivered,
    requiredExposureS: required,
    remainingExposureS: Math.max(0, required - delivered),
    fraction: Math.min(1, delivered / required),
    taskCounts,
    tasks: taskRows.map(taskInfo),
    nodes: [...byNode.values()].sort((a, b) => b.acceptedExposureS - a.acceptedExposureS || a.nodeId.localeCompare(b.nodeId)),
    partialTasks,
    reassignments: taskRows.filter((t) => t.parent_task_id !== null).length,
  };
}

/**
 * Cancel a mission: CANCELLED, its open tasks cancelled, nodes holding one told to abort.
 * Repeating it is harmless; CONFLICT once the mission is COMPLETE.
 */
export async function cancelMission(db: Db, missionId: string, now: Date): Promise<MissionInfo> {
  requireNow(now);
  if (!isUuid(missionId)) throw new NetworkError('NOT_FOUND', `missionId: no mission with id '${String(missionId)}'`);
  return inTransaction(db, async (trx) => {
    const mission = await lockMission(trx, missionId);
    if (mission.state === 'CANCELLED') return missionInfo(mission);
    transition(MISSION_MACHINE, mission.state, 'CANCELLED', mission.id);
    const updated = await trx
      .updateTable('missions')
      .set({ state: 'CANCELLED', updated_at: now })
      .where('id', '=', mission.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await closeOpenTasks(trx, updated, now, 'mission cancelled');
    return missionInfo(updated);
  });
}
