/**
 * Which pending tasks a node could start now, best first, and why the others cannot.
 * Tasks are read per mission in their natural order (earliest not_before, then creation),
 * at most `perMission` of each; the sky is evaluated once per mission and task length.
 */
import { sql } from 'kysely';
import type { Mission, Task } from '../../platform/db/schema.js';
import { OPEN_MISSION_STATES } from '../missions/states.js';
import { OBSERVE_COMMAND_KIND, type Db } from '../missions/store.js';
import { evaluateTask, type Evaluation, type NodeRow, type RejectionReason, type SiteRow } from './evaluate.js';
import { rankCandidates } from './rank.js';

export interface Candidate {
  task: Task;
  mission: Mission;
  durationS: number;
  frameCount: number;
  visibility: Extract<Evaluation, { ok: true }>['visibility'];
  lastServedAt: Date | null;
}

export interface Rejection {
  taskId: string;
  missionId: string;
  reason: RejectionReason;
  message: string;
}

export interface CandidateReport {
  /** Best first (rank.ts). */
  candidates: Candidate[];
  /** One entry per task that was looked at and cannot start now. */
  rejected: Rejection[];
}

export interface CandidateOptions {
  /** Tasks read per mission (default 3): enough fallbacks when another node takes one. */
  perMission?: number;
  /** Visibility sampling step, seconds (default visibility.ts DEFAULT_STEP_S). */
  stepS?: number;
}

export interface PendingWork {
  tasks: Task[];
  missions: Map<string, Mission>;
  lastServed: Map<string, Date>;
}

/**
 * PENDING tasks of open missions whose window admits `from`…`until` (not_before ≤ until,
 * not_after > from), up to `perMission` per mission, with their missions and each
 * mission's last service time.
 */
export async function loadPendingWork(db: Db, from: Date, until: Date, perMission: number): Promise<PendingWork> {
  const ranked = db
    .selectFrom('tasks as t')
    .innerJoin('missions as m', 'm.id', 't.mission_id')
    .selectAll('t')
    .select(sql<number>`row_number() over (partition by t.mission_id order by t.not_before asc nulls first, t.created_at, t.id)`.as('rn'))
    .where('t.state', '=', 'PENDING')
    .where('m.state', 'in', OPEN_MISSION_STATES)
    .where((eb) => eb.or([eb('t.not_before', 'is', null), eb('t.not_before', '<=', until)]))
    .where((eb) => eb.or([eb('t.not_after', 'is', null), eb('t.not_after', '>', from)]));
  const rows = await db.selectFrom(ranked.as('x')).selectAll().where('rn', '<=', perMission).execute();
  const tasks: Task[] = rows.map(({ rn: _rn, ...task }) => task as Task);
  const missionIds = [...new Set(tasks.map((t) => t.mission_id))];
  const missions = new Map<string, Mission>();
  const lastServed = new Map<string, Date>();
  if (missionIds.length > 0) {
    for (const m of await db.selectFrom('missions').selectAll().where('id', 'in', missionIds).execute()) missions.set(m.id, m);
    const served = await db
      .selectFrom('commands as c')
      .innerJoin('tasks as t', 't.id', 'c.task_id')
      .select(['t.mission_id', sql<Date>`max(c.created_at)`.as('last')])
      .where('c.kind', '=', OBSERVE_COMMAND_KIND)
      .where('t.mission_id', 'in', missionIds)
      .groupBy('t.mission_id')
      .execute();
    for (const s of served) lastServed.set(s.mission_id, new Date(s.last));
  }
  return { tasks, missions, lastServed };
}

/** Evaluate pending work for one node at `now`; pure given the loaded rows. */
export function evaluateWork(node: NodeRow, site: SiteRow, work: PendingWork, now: Date, stepS?: number): CandidateReport {
  const cache = new Map<string, Evaluation>();
  const candidates: Candidate[] = [];
  const rejected: Rejection[] = [];
  for (const task of work.tasks) {
    const mission = work.missions.get(task.mission_id);
    if (!mission) continue;
    // Same mission, same length, same window edges → same verdict.
    const key = `${mission.id}|${task.exposure_s}|${task.not_before?.getTime() ?? ''}|${task.not_after?.getTime() ?? ''}`;
    let ev = cache.get(key);
    if (!ev) {
      ev = evaluateTask(node, site, mission, task, now, stepS);
      cache.set(key, ev);
    }
    if (ev.ok) {
      candidates.push({
        task,
        mission,
        durationS: ev.durationS,
        frameCount: ev.frameCount,
        visibility: ev.visibility,
        lastServedAt: work.lastServed.get(mission.id) ?? null,
      });
    } else rejected.push({ taskId: task.id, missionId: mission.id, reason: ev.reason, message: ev.message });
  }
  return { candidates: rankCandidates(candidates, now), rejected };
}

/** The tasks `node` at `site` could start at `now`, ranked, and the rejected ones with reasons. */
export async function candidateTasks(db: Db, node: NodeRow, site: SiteRow, now: Date, opts: CandidateOptions = {}): Promise<CandidateReport> {
  const work = await loadPendingWork(db, now, now, opts.perMission ?? 3);
  return evaluateWork(node, site, work, now, opts.stepS);
}
