/**
 * Exposure credit. A frame earns its mission credit when it is ACCEPTED (passed the
 * checks); the credit is capped at the mission's total; the mission row is locked
 * (SELECT … FOR UPDATE) for the whole step so concurrent frames for one mission add up
 * exactly, and a frame counted once (by exposure id or by SHA-256) is never counted again.
 * The frame that completes the mission moves it to COMPLETE and runs `onComplete` in the
 * same transaction — the server enqueues the stack job there, so the state change and its
 * job commit (or roll back) together.
 *
 * Frames are credited to the mission even when they arrive late (the task was given back
 * or is already PARTIAL): delivered exposure is never thrown away. A task's own counter
 * moves only for frames from the node that holds or held it.
 */
import type { Transaction } from 'kysely';
import type { Exposure, ExposureState, Mission, Schema, Task } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { requireJsonObject, requireNow, requireText, requireUuid } from '../nodes/validate.js';
import { MISSION_MACHINE, TASK_MACHINE, transition } from './states.js';
import { taskDurationS } from './split.js';
import { missionInfo, taskInfo, type MissionInfo, type TaskInfo } from './view.js';
import {
  EXPOSURE_EPSILON_S,
  RUNNING_GRACE_S,
  activateMission,
  closeOpenTasks,
  giveBack,
  inTransaction,
  isOpenMission,
  lockMission,
  lockTask,
  remainingS,
  type Db,
} from './store.js';

/** The pixels' metadata when the frame is not yet an exposures row. */
export interface FrameFields {
  startedAt: Date | string;
  /** Default: the mission's filter. */
  filter?: string;
  fileName?: string | null;
  objectKey?: string | null;
  /** Hex SHA-256 of the file; a second frame with the same hash is a duplicate. */
  sha256?: string | null;
  measurement?: Record<string, unknown> | null;
}

export interface FrameCreditInput {
  missionId: string;
  taskId?: string | null;
  nodeId: string;
  /** An exposures row already stored (state RECEIVED) by ingest. */
  exposureId?: string;
  /** Or the frame itself, stored here. Exactly one of exposureId and frame. */
  frame?: FrameFields;
  /** Required with `frame`; with `exposureId` it must match the row if given. */
  exposureS?: number;
  accepted: boolean;
  rejectionReason?: string | null;
}

export interface CreditOptions {
  /** Runs inside the crediting transaction when this frame completes the mission; a throw rolls everything back. */
  onComplete?: (trx: Transaction<Schema>, mission: MissionInfo) => Promise<void>;
}

export interface CreditResult {
  exposureId: string;
  exposureState: ExposureState;
  /** Seconds added to the mission by this frame (0 for rejected, duplicate or surplus frames). */
  creditedS: number;
  /** The frame had already been counted (same exposure id or SHA-256); nothing changed. */
  duplicate: boolean;
  /** This frame moved the mission to COMPLETE. */
  completed: boolean;
  mission: MissionInfo;
  task: TaskInfo | null;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

function positiveSeconds(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || v > 86_400) {
    throw new NetworkError('BAD_REQUEST', `${field}: must be a number of seconds > 0 and ≤ 86400, got ${JSON.stringify(v)}`);
  }
  return v;
}

function checkFrame(frame: FrameFields): Required<Omit<FrameFields, 'filter'>> & { startedAt: Date; filter: string | null } {
  if (frame === null || typeof frame !== 'object') throw new NetworkError('BAD_REQUEST', 'frame: must be an object');
  const startedAt = frame.startedAt instanceof Date ? frame.startedAt : new Date(String(frame.startedAt));
  if (!Number.isFinite(startedAt.getTime())) {
    throw new NetworkError('BAD_REQUEST', `frame.startedAt: must be an ISO-8601 time, got ${JSON.stringify(frame.startedAt)}`);
  }
  const opt = (v: unknown, field: string, max: number) => (v === undefined || v === null ? null : requireText(v, field, max));
  const sha256 = opt(frame.sha256, 'frame.sha256', 64);
  if (sha256 !== null && !SHA256_RE.test(sha256)) throw new NetworkError('BAD_REQUEST', 'frame.sha256: must be 64 lowercase hex digits');
  return {
    startedAt,
    filter: opt(frame.filter, 'frame.filter', 32),
    fileName: opt(frame.fileName, 'frame.fileName', 300),
    objectKey: opt(frame.objectKey, 'frame.objectKey', 1000),
    sha256,
    measurement: frame.measurement === undefined || frame.measurement === null ? null : requireJsonObject(frame.measurement, 'frame.measurement'),
  };
}

/**
 * Record one frame's verdict and credit it. Idempotent per frame: a repeat (same
 * exposureId already judged, or same SHA-256) returns `duplicate: true` and changes
 * nothing.
 */
export async function creditFrame(db: Db, input: FrameCreditInput, now: Date, opts: CreditOptions = {}): Promise<CreditResult> {
  requireNow(now);
  if (input === null || typeof input !== 'object') throw new NetworkError('BAD_REQUEST', 'frame credit: must be an object');
  const missionId = requireUuid(input.missionId, 'missionId');
  const nodeId = requireUuid(input.nodeId, 'nodeId');
  let taskId = input.taskId === undefined || input.taskId === null ? null : requireUuid(input.taskId, 'taskId');
  if (typeof input.accepted !== 'boolean') throw new NetworkError('BAD_REQUEST', `accepted: must be true or false, got ${JSON.stringify(input.accepted)}`);
  const hasId = input.exposureId !== undefined && input.exposureId !== null;
  if (hasId === (input.frame !== undefined && input.frame !== null)) {
    throw new NetworkError('BAD_REQUEST', 'exactly one of exposureId and frame is required');
  }
  const exposureId = hasId ? requireUuid(input.exposureId, 'exposureId') : null;
  const frame = input.frame ? checkFrame(input.frame) : null;
  const givenExposureS = input.exposureS === undefined || input.exposureS === null ? null : positiveSeconds(input.exposureS, 'exposureS');
  if (frame && givenExposureS === null) throw new NetworkError('BAD_REQUEST', 'exposureS: required with frame');
  const rejectionReason = input.rejectionReason === undefined || input.rejectionReason === null ? null : requireText(input.rejectionReason, 'rejectionReason', 500);

  return inTransaction(db, async (trx) => {
    let mission = await lockMission(trx, missionId);
    const node = await trx.selectFrom('nodes').select('id').where('id', '=', nodeId).executeTakeFirst();
    if (!node) throw new NetworkError('NOT_FOUND', `nodeId: no node with id '${nodeId}'`);

    // The frame: an existing RECEIVED row, or a new one.
    let existing: Exposure | undefined;
    if (exposureId !== null) {
      existing = await trx.selectFrom('exposures').selectAll().where('id', '=', exposureId).forUpdate().executeTakeFirst();
      if (!existing) throw new NetworkError('NOT_FOUND', `exposureId: no exposure with id '${exposureId}'`);
      if (existing.mission_id !== missionId) throw new NetworkError('BAD_REQUEST', `exposureId: exposure ${exposureId} belongs to mission ${existing.mission_id}, not ${missionId}`);
      if (existing.node_id !== nodeId) throw new NetworkError('FORBIDDEN', `exposureId: exposure ${exposureId} was taken by another node`);
      if (existing.state !== 'RECEIVED') return unchanged(trx, mission, existing);
      if (existing.task_id !== null) {
        if (taskId !== null && taskId !== existing.task_id) throw new NetworkError('BAD_REQUEST', `taskId: exposure ${exposureId} was taken for task ${existing.task_id}`);
        taskId = existing.task_id;
      }
    } else if (frame!.sha256 !== null) {
      const same = await trx.selectFrom('exposures').selectAll().where('sha256', '=', frame!.sha256).executeTakeFirst();
      if (same) {
        if (same.mission_id !== missionId || same.node_id !== nodeId) {
          throw new NetworkError('CONFLICT', `frame.sha256: the same file was already reported as exposure ${same.id} for another mission or node`);
        }
        if (same.state !== 'RECEIVED') return unchanged(trx, mission, same);
        existing = same; // stored by ingest, not judged yet: judge it now
        if (same.task_id !== null) taskId = same.task_id;
      }
    }
    if (existing && givenExposureS !== null && Math.abs(givenExposureS - existing.exposure_s) > EXPOSURE_EPSILON_S) {
      throw new NetworkError('BAD_REQUEST', `exposureS: ${givenExposureS} s does not match the stored exposure (${existing.exposure_s} s)`);
    }
    const exposureS = existing ? existing.exposure_s : givenExposureS!;
    const filter = existing ? existing.filter : (frame!.filter ?? mission.filter);

    let task: Task | null = null;
    if (taskId !== null) {
      task = await lockTask(trx, taskId);
      if (task.mission_id !== missionId) throw new NetworkError('BAD_REQUEST', `taskId: task ${taskId} belongs to mission ${task.mission_id}, not ${missionId}`);
    }

    let state: ExposureState = input.accepted ? 'ACCEPTED' : 'REJECTED';
    let reason = input.accepted ? null : (rejectionReason ?? 'rejected by the frame checks');
    if (state === 'ACCEPTED' && filter !== mission.filter) {
      state = 'REJECTED';
      reason = `filter '${filter}' is not the mission's filter '${mission.filter}'`;
    }

    const values = { state, rejection_reason: reason };
    const stored = existing
      ? await trx.updateTable('exposures').set(values).where('id', '=', existing.id).returningAll().executeTakeFirstOrThrow()
      : await trx
          .insertInto('exposures')
          .values({
            ...values,
            mission_id: missionId,
            task_id: taskId,
            node_id: nodeId,
            started_at: frame!.startedAt,
            exposure_s: exposureS,
            filter,
            file_name: frame!.fileName,
            object_key: frame!.objectKey,
            sha256: frame!.sha256,
            measurement: frame!.measurement === null ? null : JSON.stringify(frame!.measurement),
            created_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();

    let creditedS = 0;
    let completed = false;
    if (state === 'ACCEPTED') {
      if (task !== null && task.node_id === nodeId) task = await creditTask(trx, mission, task, exposureS, now);
      if (isOpenMission(mission)) {
        mission = await activateMission(trx, mission, now);
        creditedS = Math.min(exposureS, Math.max(0, mission.total_exposure_s - mission.delivered_exposure_s));
        const delivered = mission.delivered_exposure_s + creditedS;
        completed = delivered >= mission.total_exposure_s - EXPOSURE_EPSILON_S;
        if (completed) transition(MISSION_MACHINE, mission.state, 'COMPLETE', mission.id);
        mission = await trx
          .updateTable('missions')
          .set({
            // Completing sets the total exactly, so float sums never leave 1e-12 s "missing".
            delivered_exposure_s: completed ? mission.total_exposure_s : delivered,
            state: completed ? 'COMPLETE' : mission.state,
            completed_at: completed ? now : null,
            updated_at: now,
          })
          .where('id', '=', mission.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (completed) {
          await closeOpenTasks(trx, mission, now, 'mission complete');
          if (task !== null) task = await trx.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
          await opts.onComplete?.(trx, missionInfo(mission));
        }
      }
    }
    return {
      exposureId: stored.id,
      exposureState: stored.state,
      creditedS,
      duplicate: false,
      completed,
      mission: missionInfo(mission),
      task: task === null ? null : taskInfo(task),
    };
  });
}

async function unchanged(trx: Transaction<Schema>, mission: Mission, exposure: Exposure): Promise<CreditResult> {
  const task = exposure.task_id === null ? undefined : await trx.selectFrom('tasks').selectAll().where('id', '=', exposure.task_id).executeTakeFirst();
  return {
    exposureId: exposure.id,
    exposureState: exposure.state,
    creditedS: 0,
    duplicate: true,
    completed: false,
    mission: missionInfo(mission),
    task: task ? taskInfo(task) : null,
  };
}

/** A frame from the task's own node: counts toward the task; starts it; finishes it when full. */
async function creditTask(trx: Transaction<Schema>, mission: Mission, task: Task, exposureS: number, now: Date): Promise<Task> {
  const delivered = task.delivered_exposure_s + exposureS;
  let state = task.state;
  let lease = task.lease_expires_at;
  if (state === 'LEASED' || state === 'RUNNING') {
    if (state === 'LEASED') state = transition(TASK_MACHINE, state, 'RUNNING', task.id);
    const rest = remainingS({ exposure_s: task.exposure_s, delivered_exposure_s: delivered });
    if (rest === 0) {
      state = transition(TASK_MACHINE, state, 'DONE', task.id);
      lease = null;
    } else {
      // Alive and delivering: the deadline follows the frames still to come.
      lease = new Date(now.getTime() + (taskDurationS(rest, mission.sub_exposure_s) + RUNNING_GRACE_S) * 1000);
    }
  }
  // PARTIAL/DONE tasks of this node keep their state; a late frame still counts in their record.
  return trx
    .updateTable('tasks')
    .set({ delivered_exposure_s: delivered, state, lease_expires_at: lease, updated_at: now })
    .where('id', '=', task.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface EndTaskOptions {
  /** Why the node stopped (clouds, dawn, fault, finished …) — returned for the node's log. */
  reason?: string;
}

export interface EndTaskResult {
  task: TaskInfo;
  /** The new PENDING task holding the undelivered exposure, if one was made. */
  remainder: TaskInfo | null;
  reason: string | null;
}

/**
 * The node stops working on a task (finished, or cut short). Delivered in full → DONE;
 * partly → PARTIAL + a new PENDING task for the rest; nothing → back to PENDING. Repeating
 * the call for a task already ended by this node returns the same outcome.
 * LEASE_EXPIRED when the task is no longer this node's (it was given back meanwhile).
 */
export async function endTask(db: Db, taskId: string, nodeId: string, opts: EndTaskOptions, now: Date): Promise<EndTaskResult> {
  requireNow(now);
  const tid = requireUuid(taskId, 'taskId');
  const nid = requireUuid(nodeId, 'nodeId');
  const reason = opts?.reason === undefined || opts.reason === null ? null : requireText(opts.reason, 'reason', 500);
  return inTransaction(db, async (trx) => {
    const peek = await trx.selectFrom('tasks').select('mission_id').where('id', '=', tid).executeTakeFirst();
    if (!peek) throw new NetworkError('NOT_FOUND', `taskId: no task with id '${tid}'`);
    const mission = await lockMission(trx, peek.mission_id);
    const task = await lockTask(trx, tid);
    if (task.node_id !== nid) {
      throw new NetworkError('LEASE_EXPIRED', `task ${tid} is no longer leased to node ${nid}; its work went back to the pool`);
    }
    if (task.state === 'DONE' || task.state === 'PARTIAL' || task.state === 'CANCELLED') {
      const remainder = await trx.selectFrom('tasks').selectAll().where('parent_task_id', '=', task.id).orderBy('created_at').executeTakeFirst();
      return { task: taskInfo(task), remainder: remainder ? taskInfo(remainder) : null, reason };
    }
    const out = await giveBack(trx, mission, task, now, { cancelCommands: false });
    return { task: taskInfo(out.task), remainder: out.remainder ? taskInfo(out.remainder) : null, reason };
  });
}

/**
 * The node started a leased task (it acknowledged the observe command): RUNNING, with a
 * deadline of the task's frames plus RUNNING_GRACE_S. Idempotent while RUNNING.
 */
export async function startTask(db: Db, taskId: string, nodeId: string, now: Date): Promise<TaskInfo> {
  requireNow(now);
  const tid = requireUuid(taskId, 'taskId');
  const nid = requireUuid(nodeId, 'nodeId');
  return inTransaction(db, async (trx) => {
    const peek = await trx.selectFrom('tasks').select('mission_id').where('id', '=', tid).executeTakeFirst();
    if (!peek) throw new NetworkError('NOT_FOUND', `taskId: no task with id '${tid}'`);
    const mission = await lockMission(trx, peek.mission_id);
    const task = await lockTask(trx, tid);
    if (task.node_id !== nid || !(task.state === 'LEASED' || task.state === 'RUNNING')) {
      throw new NetworkError('LEASE_EXPIRED', `task ${tid} is not leased to node ${nid} (it is ${task.state}); ask for new work`);
    }
    if (task.state === 'RUNNING') return taskInfo(task);
    transition(TASK_MACHINE, task.state, 'RUNNING', task.id);
    const deadline = new Date(now.getTime() + (taskDurationS(remainingS(task), mission.sub_exposure_s) + RUNNING_GRACE_S) * 1000);
    const row = await trx
      .updateTable('tasks')
      .set({ state: 'RUNNING', lease_expires_at: deadline, updated_at: now })
      .where('id', '=', task.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return taskInfo(row);
  });
}
