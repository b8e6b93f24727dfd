/**
 * What the agent takes from an 'observe' command (the scheduler's ObservePayload,
 * src/network/scheduler/assign.ts) and what it sends back for each frame in the compact
 * tier (the measurement body of POST /api/v1/uploads/measurements). Checked here because
 * a command is input from the network: a bad one is reported failed with the reason.
 */
import { FitsReader } from '../../science/fits/index.js';
import { wcsFromHeader } from '../../science/wcs/index.js';
import type { CompactMeasurement } from '../edge/process.js';
import { AgentError } from '../errors.js';

export interface ObserveTask {
  missionId: string;
  taskId: string;
  /** What the frames are of (OBJECT): the target's name, else the mission's. */
  object: string;
  raDeg: number;
  decDeg: number;
  filter: string;
  subExposureS: number;
  count: number;
  notAfter: Date | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseObservePayload(p: unknown): ObserveTask {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new AgentError('BAD_ARGUMENT', 'observe payload: an object is required');
  const o = p as Record<string, unknown>;
  const id = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || !UUID.test(v)) throw new AgentError('BAD_ARGUMENT', `observe payload: ${k} must be a UUID, got ${JSON.stringify(v)}`);
    return v.toLowerCase();
  };
  const missionId = id('missionId');
  const taskId = id('taskId');
  const name = typeof o.targetName === 'string' && o.targetName.trim() !== '' ? o.targetName.trim() : undefined;
  const ra = o.raDeg;
  const dec = o.decDeg;
  if (typeof ra !== 'number' || typeof dec !== 'number' || !Number.isFinite(ra) || !Number.isFinite(dec)) {
    throw new AgentError('BAD_ARGUMENT', `unknown target${name ? ` '${name}'` : ''}: the command gives no usable RA/Dec (raDeg ${JSON.stringify(ra)}, decDeg ${JSON.stringify(dec)})`);
  }
  if (ra < 0 || ra >= 360 || dec < -90 || dec > 90) throw new AgentError('BAD_ARGUMENT', `unknown target: RA ${ra}° / Dec ${dec}° is not a sky position`);
  if (typeof o.filter !== 'string' || o.filter.trim() === '') throw new AgentError('BAD_ARGUMENT', 'observe payload: filter is required');
  const sub = o.subExposureS;
  if (typeof sub !== 'number' || !(sub > 0) || sub > 86_400) throw new AgentError('BAD_ARGUMENT', `observe payload: subExposureS must be in (0, 86400] s, got ${JSON.stringify(sub)}`);
  const count = o.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 100_000) throw new AgentError('BAD_ARGUMENT', `observe payload: count must be a positive integer, got ${JSON.stringify(count)}`);
  let notAfter: Date | null = null;
  if (o.notAfter !== undefined && o.notAfter !== null) {
    const t = typeof o.notAfter === 'string' ? Date.parse(o.notAfter) : NaN;
    if (!Number.isFinite(t)) throw new AgentError('BAD_ARGUMENT', `observe payload: notAfter must be an ISO-8601 time, got ${JSON.stringify(o.notAfter)}`);
    notAfter = new Date(t);
  }
  const missionName = typeof o.missionName === 'string' && o.missionName.trim() !== '' ? o.missionName.trim() : undefined;
  return { missionId, taskId, object: name ?? missionName ?? `RA ${ra.toFixed(4)} Dec ${dec.toFixed(4)}`, raDeg: ra, decDeg: dec, filter: o.filter.trim(), subExposureS: sub, count, notAfter };
}

/** Whether a FITS file's first image carries a celestial WCS (a capture program that solved it, or the simulator's rough one). */
export async function frameHasWcs(fits: Uint8Array): Promise<boolean> {
  let reader: FitsReader | undefined;
  try {
    reader = await FitsReader.open(fits);
    const hdu = reader.hdus.find((h) => (h.type === 'image' && h.dataByteLength > 0) || h.type === 'compressed-image');
    return hdu !== undefined && wcsFromHeader(hdu.header) !== undefined;
  } catch {
    return false;
  } finally {
    await reader?.close();
  }
}

/** DATE-OBS as written (often without a zone: UTC by the FITS standard) → epoch ms. */
function utcMs(dateObs: string): number {
  return Date.parse(/(Z|[+-]\d\d:?\d\d)$/i.test(dateObs) ? dateObs : `${dateObs}Z`);
}

/**
 * The compact-tier body for the service, or undefined when the frame has no target
 * photometry to send (no stars, target off the frame): the FITS file then goes alone.
 * Its id is the frame's name, so a resend (or a re-measurement) meets the same row.
 */
export function measurementBody(m: CompactMeasurement, o: { taskId: string; filter: string }): Record<string, unknown> | undefined {
  const ph = m.photometry;
  if (!ph) return undefined;
  const cal = ph.calibratedMag;
  let target: { mag?: number; flux?: number; err: number };
  if (cal && cal.mag !== null && cal.magErr !== null) target = { mag: cal.mag, err: cal.magErr };
  else if (ph.target.flux !== null && ph.target.fluxErr !== null && ph.target.fluxErr >= 0) target = { flux: ph.target.flux, err: ph.target.fluxErr };
  else return undefined;
  const start = utcMs(m.dateObs);
  if (!Number.isFinite(start)) return undefined;
  const comparisons = ph.comparisons
    .filter((c) => c.flux !== null && c.fluxErr !== null && c.fluxErr >= 0)
    .map((c) => ({ ...(c.name !== undefined ? { id: c.name.slice(0, 64) } : {}), flux: c.flux as number, err: c.fluxErr as number }));
  return {
    id: m.fileName.replace(/\.fits(\.fz)?$/, ''),
    missionId: m.missionId,
    taskId: o.taskId,
    fileName: m.fileName,
    timeUtc: new Date(start + (m.exposureS * 1000) / 2).toISOString(),
    exposureS: m.exposureS,
    filter: m.filter ?? o.filter,
    target,
    comparisons,
    flags: m.reasons.slice(0, 32).map((r) => r.slice(0, 64)),
  };
}
