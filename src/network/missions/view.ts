/**
 * Missions and tasks as the rules return them: camelCase, units in the names, times as
 * Date (the API turns them into ISO-8601 UTC).
 */
import type { Mission, MissionState, Task, TaskState } from '../../platform/db/schema.js';
import type { TargetConstraints } from './validate.js';
import { subExposureCount } from './split.js';

export interface MissionInfo {
  id: string;
  name: string;
  targetName: string | null;
  raDeg: number | null;
  decDeg: number | null;
  filter: string;
  totalExposureS: number;
  subExposureS: number;
  cadenceS: number | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  priority: number;
  constraints: TargetConstraints;
  state: MissionState;
  deliveredExposureS: number;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

export interface TaskInfo {
  id: string;
  missionId: string;
  /** The PARTIAL task this one is the remainder of. */
  parentTaskId: string | null;
  state: TaskState;
  exposureS: number;
  deliveredExposureS: number;
  nodeId: string | null;
  leaseExpiresAt: Date | null;
  notBefore: Date | null;
  notAfter: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export function missionInfo(row: Mission): MissionInfo {
  return {
    id: row.id,
    name: row.name,
    targetName: row.target_name,
    raDeg: row.ra_deg,
    decDeg: row.dec_deg,
    filter: row.filter,
    totalExposureS: row.total_exposure_s,
    subExposureS: row.sub_exposure_s,
    cadenceS: row.cadence_s,
    windowStart: row.window_start,
    windowEnd: row.window_end,
    priority: row.priority,
    constraints: row.constraints as TargetConstraints,
    state: row.state,
    deliveredExposureS: row.delivered_exposure_s,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
  };
}

export function taskInfo(row: Task): TaskInfo {
  return {
    id: row.id,
    missionId: row.mission_id,
    parentTaskId: row.parent_task_id,
    state: row.state,
    exposureS: row.exposure_s,
    deliveredExposureS: row.delivered_exposure_s,
    nodeId: row.node_id,
    leaseExpiresAt: row.lease_expires_at,
    notBefore: row.not_before,
    notAfter: row.not_after,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Frames a task asks for. */
export function taskFrameCount(task: Pick<Task, 'exposure_s'>, mission: Pick<Mission, 'sub_exposure_s'>): number {
  return subExposureCount(task.exposure_s, mission.sub_exposure_s);
}
