/**
 * Splitting a mission into tasks — the schedulable slices a node takes one at a time.
 *
 * The rule:
 * - A task holds whole sub-exposures, at most `maxTaskExposureS` (default 1 h) of them, so
 *   a target that is up for a normal night can hold it on one node and a node that fails
 *   loses at most an hour of telescope time (its credited frames are kept anyway). A task
 *   always holds at least one sub-exposure. The last task takes what is left of the total
 *   (its frame count is rounded up; the mission's credit is capped at the total).
 * - Cadence missions (cadenceS): one task per visit, each `visitExposureS` long (default: a
 *   single sub-exposure), visit k not before start + k·cadenceS, where start is the
 *   window start or the creation time; with a window, every visit must end inside it.
 * - Window missions (window without cadence), e.g. a predicted transit: tasks are also cut
 *   to fit the window, and their earliest starts are staggered over the window in steps
 *   of one task length (slot j starts at windowStart + j·taskLength, j < floor(window /
 *   taskLength)), tasks spread evenly over the slots. Without this every node would grab
 *   the first hour of a transit at once and nobody would cover egress. All end by the
 *   window end.
 * - Missions with neither: no time bounds; the scheduler fits them into any night.
 */
import { NetworkError } from '../errors.js';

/** Default upper bound on one task's exposure, seconds. */
export const MAX_TASK_EXPOSURE_S = 3600;
/** More tasks than this for one mission is almost surely a unit mistake (ms for s). */
export const MAX_TASKS_PER_MISSION = 10_000;

export interface SplitSpec {
  totalExposureS: number;
  subExposureS: number;
  cadenceS: number | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  /** Cadence missions: exposure per visit (default one sub-exposure). */
  visitExposureS?: number | null;
  /** Upper bound on a task's exposure (default MAX_TASK_EXPOSURE_S). */
  maxTaskExposureS?: number;
}

export interface TaskSlice {
  exposureS: number;
  notBefore: Date | null;
  notAfter: Date | null;
}

/** Number of sub-exposures a task of `exposureS` asks for (the last one may be a partial slice of total). */
export function subExposureCount(exposureS: number, subExposureS: number): number {
  // The 1e-9 keeps 3 × 0.1 s from becoming 4 frames.
  return Math.max(1, Math.ceil(exposureS / subExposureS - 1e-9));
}

/** Wall-clock length of a task: its frames back to back (overheads are the node's business). */
export function taskDurationS(exposureS: number, subExposureS: number): number {
  return subExposureCount(exposureS, subExposureS) * subExposureS;
}

/** The tasks of a mission; `now` is the start of a cadence series without a window. */
export function splitIntoTasks(spec: SplitSpec, now: Date): TaskSlice[] {
  const { totalExposureS: total, subExposureS: sub } = spec;
  const maxTask = spec.maxTaskExposureS ?? MAX_TASK_EXPOSURE_S;
  const windowS =
    spec.windowStart && spec.windowEnd ? (spec.windowEnd.getTime() - spec.windowStart.getTime()) / 1000 : null;

  let subsPerTask: number;
  if (spec.cadenceS !== null) {
    subsPerTask = Math.max(1, Math.floor((spec.visitExposureS ?? sub) / sub + 1e-9));
  } else {
    const room = windowS === null ? maxTask : Math.min(maxTask, windowS);
    if (windowS !== null && sub > windowS) {
      throw new NetworkError('BAD_REQUEST', `subExposureS ${sub} s is longer than the window (${windowS} s)`);
    }
    subsPerTask = Math.max(1, Math.floor(room / sub + 1e-9));
  }
  const chunk = subsPerTask * sub;
  const n = Math.max(1, Math.ceil(total / chunk - 1e-9));
  if (n > MAX_TASKS_PER_MISSION) {
    throw new NetworkError(
      'BAD_REQUEST',
      `totalExposureS ${total} s in tasks of ${chunk} s makes ${n} tasks (at most ${MAX_TASKS_PER_MISSION}); check the units (seconds)`,
    );
  }
  const exposures = Array.from({ length: n }, (_, k) => (k < n - 1 ? chunk : total - (n - 1) * chunk));

  if (spec.cadenceS !== null) {
    const start = (spec.windowStart ?? now).getTime();
    return exposures.map((exposureS, k) => {
      const notBefore = new Date(start + k * spec.cadenceS! * 1000);
      if (spec.windowEnd && notBefore.getTime() + taskDurationS(exposureS, sub) * 1000 > spec.windowEnd.getTime()) {
        throw new NetworkError(
          'BAD_REQUEST',
          `cadenceS: ${n} visits every ${spec.cadenceS} s from ${new Date(start).toISOString()} do not fit before windowEnd ${spec.windowEnd.toISOString()}`,
        );
      }
      return { exposureS, notBefore, notAfter: spec.windowEnd };
    });
  }
  if (windowS !== null) {
    const slots = Math.max(1, Math.floor(windowS / chunk + 1e-9));
    const start = spec.windowStart!.getTime();
    return exposures.map((exposureS, k) => ({
      exposureS,
      notBefore: new Date(start + Math.floor((k * slots) / n) * chunk * 1000),
      notAfter: spec.windowEnd,
    }));
  }
  return exposures.map((exposureS) => ({ exposureS, notBefore: null, notAfter: null }));
}
