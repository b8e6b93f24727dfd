/**
 * Ranking the tasks a node can do now. Lexicographic, so each rule is easy to predict:
 * 1. priority, higher first. Alerts (a transient to follow up now) are submitted with a
 *    high priority, so they pre-empt routine work.
 * 2. urgency: tasks whose window closes within URGENT_WITHIN_S come before the rest, the
 *    one with the least slack (deadline − end of the task if started now) first — a
 *    transit window that ends tonight must not wait behind a survey that can wait a week.
 * 3. fair share: the mission served least recently (last observe command) first, never
 *    served before all; so equal missions take turns instead of one draining the network.
 * 4. ties: older mission, earlier task (not_before, creation), id — deterministic.
 */
import type { Mission, Task } from '../../platform/db/schema.js';

/** A window closing within this is urgent (one night and a bit). */
export const URGENT_WITHIN_S = 86_400;

export interface Rankable {
  task: Pick<Task, 'id' | 'not_before' | 'not_after' | 'created_at'>;
  mission: Pick<Mission, 'id' | 'priority' | 'window_end' | 'created_at'>;
  durationS: number;
  /** Last time work of this mission was handed to a node; null if never. */
  lastServedAt: Date | null;
}

/** The task's effective deadline: its own not_after or the mission window end, the earlier. */
export function deadlineOf(r: Pick<Rankable, 'task' | 'mission'>): Date | null {
  const a = r.task.not_after;
  const b = r.mission.window_end;
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

/** Seconds left after finishing the task if started at `now`; null without a deadline. */
export function slackS(r: Rankable, now: Date): number | null {
  const d = deadlineOf(r);
  return d === null ? null : (d.getTime() - now.getTime()) / 1000 - r.durationS;
}

function time(d: Date | null, ifNull: number): number {
  return d === null ? ifNull : d.getTime();
}

/** Comparator implementing the order above. */
export function compareCandidates(a: Rankable, b: Rankable, now: Date): number {
  if (a.mission.priority !== b.mission.priority) return b.mission.priority - a.mission.priority;
  const sa = slackS(a, now);
  const sb = slackS(b, now);
  const ua = sa !== null && sa <= URGENT_WITHIN_S;
  const ub = sb !== null && sb <= URGENT_WITHIN_S;
  if (ua !== ub) return ua ? -1 : 1;
  if (ua && ub && sa !== sb) return sa! - sb!;
  const la = time(a.lastServedAt, -Infinity);
  const lb = time(b.lastServedAt, -Infinity);
  if (la !== lb) return la < lb ? -1 : 1;
  const ca = a.mission.created_at.getTime();
  const cb = b.mission.created_at.getTime();
  if (ca !== cb) return ca - cb;
  const na = time(a.task.not_before, -Infinity);
  const nb = time(b.task.not_before, -Infinity);
  if (na !== nb) return na < nb ? -1 : 1;
  const ta = a.task.created_at.getTime();
  const tb = b.task.created_at.getTime();
  if (ta !== tb) return ta - tb;
  return a.task.id < b.task.id ? -1 : a.task.id > b.task.id ? 1 : 0;
}

/** A sorted copy, best first. */
export function rankCandidates<T extends Rankable>(list: readonly T[], now: Date): T[] {
  return [...list].sort((a, b) => compareCandidates(a, b, now));
}
