/**
 * Tonight's plan for a node: a forecast of what assignWork would hand it, made by playing
 * the night forward. From the start of the night (civil dusk, or now if later) the planner
 * repeatedly ranks the pending tasks the node could start at that moment (the same checks
 * and order as assignWork, with fair share updated as it plans), puts the best one in the
 * plan and moves on by its duration; when nothing fits it waits `idleStepS`. The task the
 * node already holds comes first.
 *
 * It is a forecast, not a reservation: other nodes may take planned tasks, and the weather
 * is assumed good (the node's current weather report is ignored).
 */
import type { Mission, Task } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { requireNow, requireUuid } from '../nodes/validate.js';
import { HELD_TASK_STATES } from '../missions/states.js';
import { subExposureCount } from '../missions/split.js';
import type { Db } from '../missions/store.js';
import { evaluateTask, type NodeRow, type SiteRow } from './evaluate.js';
import { loadPendingWork, type Candidate } from './candidates.js';
import { rankCandidates } from './rank.js';
import { TWILIGHT_SUN_ALTITUDE_DEG, checkVisibility, nightWindow } from './visibility.js';

export interface PlanEntry {
  missionId: string;
  missionName: string;
  taskId: string;
  targetName: string | null;
  filter: string;
  priority: number;
  startUtc: Date;
  endUtc: Date;
  exposureS: number;
  frameCount: number;
  altitudeStartDeg: number;
  altitudeEndDeg: number;
  minAltitudeDeg: number;
  maxAirmass: number;
  minMoonSeparationDeg: number;
  /** The node holds this task already (LEASED/RUNNING). */
  held: boolean;
}

export interface NightPlan {
  nodeId: string;
  siteId: string;
  generatedAt: Date;
  /** Civil dusk (or now) to civil dawn; null when the Sun does not get 6° below the horizon. */
  night: { startUtc: Date; endUtc: Date } | null;
  entries: PlanEntry[];
}

export interface PlanOptions {
  /** Wait when nothing fits, seconds (default 600). */
  idleStepS?: number;
  /** Visibility sampling step, seconds (default 600: the plan is a forecast). */
  sampleStepS?: number;
  /** Pending tasks read per mission (default 20). */
  perMission?: number;
  /** Longest plan (default 300 entries). */
  maxEntries?: number;
}

/** Tonight's plan for the node (see the module comment). */
export async function planNight(db: Db, nodeId: string, now: Date, opts: PlanOptions = {}): Promise<NightPlan> {
  requireNow(now);
  const nid = requireUuid(nodeId, 'nodeId');
  const node = await db.selectFrom('nodes').selectAll().where('id', '=', nid).executeTakeFirst();
  if (!node) throw new NetworkError('NOT_FOUND', `nodeId: no node with id '${nid}'`);
  const site = await db.selectFrom('sites').selectAll().where('id', '=', node.site_id).executeTakeFirstOrThrow();
  const base: NightPlan = { nodeId: node.id, siteId: site.id, generatedAt: now, night: null, entries: [] };
  const location = { latitudeDeg: site.latitude_deg, longitudeDeg: site.longitude_deg, elevationM: site.elevation_m };
  const night = nightWindow(location, now, TWILIGHT_SUN_ALTITUDE_DEG.civil);
  if (night === null) return base;
  base.night = { startUtc: night.start, endUtc: night.end };

  const idleMs = (opts.idleStepS ?? 600) * 1000;
  const sampleStepS = opts.sampleStepS ?? 600;
  const maxEntries = opts.maxEntries ?? 300;
  const planningNode: NodeRow = { ...node, weather_ok: null };
  let t = night.start;

  const held = await db.selectFrom('tasks').selectAll().where('node_id', '=', node.id).where('state', 'in', HELD_TASK_STATES).executeTakeFirst();
  if (held) {
    const mission = await db.selectFrom('missions').selectAll().where('id', '=', held.mission_id).executeTakeFirstOrThrow();
    const rest = Math.max(held.exposure_s - held.delivered_exposure_s, 0);
    const frames = subExposureCount(rest, mission.sub_exposure_s);
    const start = t;
    const end = new Date(start.getTime() + frames * mission.sub_exposure_s * 1000);
    base.entries.push({ ...describe(site, mission, held, start, end, sampleStepS), frameCount: frames, exposureS: rest, held: true });
    t = end;
  }

  const work = await loadPendingWork(db, night.start, night.end, opts.perMission ?? 20);
  const queues = new Map<string, Task[]>();
  for (const task of work.tasks) queues.set(task.mission_id, [...(queues.get(task.mission_id) ?? []), task]);
  for (const q of queues.values()) q.sort((a, b) => (a.not_before?.getTime() ?? -Infinity) - (b.not_before?.getTime() ?? -Infinity));
  const lastServed = new Map(work.lastServed);

  while (t < night.end && base.entries.length < maxEntries) {
    const options: Candidate[] = [];
    for (const [missionId, queue] of queues) {
      const task = queue[0];
      const mission = work.missions.get(missionId);
      if (!task || !mission) continue;
      const ev = evaluateTask(planningNode, site, mission, task, t, sampleStepS);
      if (ev.ok) {
        options.push({ task, mission, durationS: ev.durationS, frameCount: ev.frameCount, visibility: ev.visibility, lastServedAt: lastServed.get(missionId) ?? null });
      }
    }
    const best = rankCandidates(options, t)[0];
    if (!best) {
      t = new Date(t.getTime() + idleMs);
      continue;
    }
    const end = new Date(t.getTime() + best.durationS * 1000);
    base.entries.push({
      ...entryFields(best.mission, best.task, t, end),
      altitudeStartDeg: best.visibility.startAltitudeDeg,
      altitudeEndDeg: best.visibility.endAltitudeDeg,
      minAltitudeDeg: best.visibility.minAltitudeDeg,
      maxAirmass: best.visibility.maxAirmass,
      minMoonSeparationDeg: best.visibility.minMoonSeparationDeg,
      frameCount: best.frameCount,
      held: false,
    });
    queues.get(best.mission.id)!.shift();
    lastServed.set(best.mission.id, t);
    t = end;
  }
  return base;
}

function entryFields(mission: Mission, task: Task, start: Date, end: Date) {
  return {
    missionId: mission.id,
    missionName: mission.name,
    taskId: task.id,
    targetName: mission.target_name,
    filter: mission.filter,
    priority: mission.priority,
    startUtc: start,
    endUtc: end,
    exposureS: task.exposure_s,
  };
}

/** Entry with sky figures but no limits applied (the held task is shown whatever the sky). */
function describe(site: SiteRow, mission: Mission, task: Task, start: Date, end: Date, stepS: number) {
  const v = checkVisibility(
    { raDeg: mission.ra_deg ?? 0, decDeg: mission.dec_deg ?? 0 },
    { latitudeDeg: site.latitude_deg, longitudeDeg: site.longitude_deg, elevationM: site.elevation_m },
    start,
    end,
    { siteMinAltitudeDeg: -90, maxSunAltitudeDeg: 90 },
    stepS,
  );
  if (!v.ok) throw new Error('unreachable: visibility without limits failed');
  return {
    ...entryFields(mission, task, start, end),
    altitudeStartDeg: v.startAltitudeDeg,
    altitudeEndDeg: v.endAltitudeDeg,
    minAltitudeDeg: v.minAltitudeDeg,
    maxAirmass: v.maxAirmass,
    minMoonSeparationDeg: v.minMoonSeparationDeg,
  };
}
