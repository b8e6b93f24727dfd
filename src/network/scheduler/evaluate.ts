/**
 * Can this node do this task, starting at `start`? Pure: rows in, verdict out. Checks run
 * cheapest first — weather, filter, field of view, time window — then visibility over the
 * whole task (sun, altitude limits, moon; visibility.ts).
 */
import type { Mission, Node, Site, Task } from '../../platform/db/schema.js';
import { nodeFieldOfViewDeg } from '../nodes/optics.js';
import { subExposureCount } from '../missions/split.js';
import type { TargetConstraints } from '../missions/validate.js';
import { TWILIGHT_SUN_ALTITUDE_DEG, checkVisibility, type Twilight, type VisibilityVerdict } from './visibility.js';

/** Twilight limit for missions that do not set one: nautical (Sun ≤ −12°). */
export const DEFAULT_TWILIGHT: Twilight = 'nautical';

export type RejectionReason =
  | 'WEATHER' // the node reports bad weather
  | 'FILTER' // the node lacks the mission's filter
  | 'FIELD_OF_VIEW' // the target is larger than the node's field
  | 'NOT_YET' // the task's window has not opened
  | 'WINDOW' // the task would not end before its window closes
  | 'DAYTIME' // the Sun is above the twilight limit during the task
  | 'BELOW_LIMIT' // the target is below the altitude/airmass/horizon limit during the task
  | 'MOON'; // the Moon is too close to the target during the task

export type NodeRow = Pick<Node, 'id' | 'filters' | 'weather_ok' | 'focal_length_mm' | 'pixel_size_um' | 'sensor_width_px' | 'sensor_height_px'>;
export type SiteRow = Pick<Site, 'latitude_deg' | 'longitude_deg' | 'elevation_m' | 'min_altitude_deg' | 'horizon_profile'>;

export type Evaluation =
  | { ok: true; durationS: number; frameCount: number; visibility: Extract<VisibilityVerdict, { ok: true }> }
  | { ok: false; reason: RejectionReason; message: string };

function twilightOf(mission: Pick<Mission, 'constraints'>): Twilight {
  return (mission.constraints as TargetConstraints).twilight ?? DEFAULT_TWILIGHT;
}

/** Everything except the sky: cheap checks a task fails regardless of the time. */
export function checkNodeFit(node: NodeRow, mission: Pick<Mission, 'filter' | 'constraints'>): Evaluation | null {
  if (node.weather_ok === false) return { ok: false, reason: 'WEATHER', message: 'the node reports bad weather' };
  const filters = Array.isArray(node.filters) ? node.filters : [];
  if (!filters.includes(mission.filter)) {
    return {
      ok: false,
      reason: 'FILTER',
      message: `the node has no '${mission.filter}' filter (it has ${filters.length > 0 ? filters.join(', ') : 'none'})`,
    };
  }
  const size = (mission.constraints as TargetConstraints).targetSizeArcmin;
  if (size !== undefined) {
    const fov = nodeFieldOfViewDeg({
      focalLengthMm: node.focal_length_mm,
      pixelSizeUm: node.pixel_size_um,
      sensorWidthPx: node.sensor_width_px,
      sensorHeightPx: node.sensor_height_px,
    });
    const fitArcmin = Math.min(fov.widthDeg, fov.heightDeg) * 60;
    if (size > fitArcmin) {
      return {
        ok: false,
        reason: 'FIELD_OF_VIEW',
        message: `the target (${size}′) does not fit the node's field of view (${(fov.widthDeg * 60).toFixed(1)}′ × ${(fov.heightDeg * 60).toFixed(1)}′)`,
      };
    }
  }
  return null;
}

/** Full verdict for the task starting at `start`. */
export function evaluateTask(
  node: NodeRow,
  site: SiteRow,
  mission: Pick<Mission, 'filter' | 'constraints' | 'ra_deg' | 'dec_deg' | 'sub_exposure_s'>,
  task: Pick<Task, 'exposure_s' | 'not_before' | 'not_after'>,
  start: Date,
  stepS?: number,
): Evaluation {
  const misfit = checkNodeFit(node, mission);
  if (misfit) return misfit;
  const frameCount = subExposureCount(task.exposure_s, mission.sub_exposure_s);
  const durationS = frameCount * mission.sub_exposure_s;
  const end = new Date(start.getTime() + durationS * 1000);
  if (task.not_before !== null && task.not_before > start) {
    return { ok: false, reason: 'NOT_YET', message: `the task may not start before ${task.not_before.toISOString()}` };
  }
  if (task.not_after !== null && end > task.not_after) {
    return {
      ok: false,
      reason: 'WINDOW',
      message: `the task needs ${durationS} s, ending ${end.toISOString()}, after its window closes at ${task.not_after.toISOString()}`,
    };
  }
  if (mission.ra_deg === null || mission.dec_deg === null) {
    // createMission always stores coordinates; a row without them cannot be pointed at.
    return { ok: false, reason: 'BELOW_LIMIT', message: 'the mission has no coordinates' };
  }
  const c = mission.constraints as TargetConstraints;
  const v = checkVisibility(
    { raDeg: mission.ra_deg, decDeg: mission.dec_deg },
    { latitudeDeg: site.latitude_deg, longitudeDeg: site.longitude_deg, elevationM: site.elevation_m },
    start,
    end,
    {
      siteMinAltitudeDeg: site.min_altitude_deg,
      horizonProfile: site.horizon_profile,
      minAltitudeDeg: c.minAltitudeDeg,
      maxAirmass: c.maxAirmass,
      maxSunAltitudeDeg: TWILIGHT_SUN_ALTITUDE_DEG[twilightOf(mission)],
      minMoonSeparationDeg: c.minMoonSeparationDeg,
    },
    stepS,
  );
  if (!v.ok) return { ok: false, reason: v.reason, message: v.message };
  return { ok: true, durationS, frameCount, visibility: v };
}
