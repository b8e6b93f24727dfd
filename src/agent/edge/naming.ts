/**
 * The frame file name convention: ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits,
 * the time being DATE-OBS (exposure start, UTC) truncated to the second. Underscores
 * separate the fields, so ids are letters, digits and hyphens (UUIDs fit). A tile-
 * compressed file may carry the fpack suffix .fits.fz.
 */
import { parseFitsDate } from '../../science/time/exposure.js';
import { AgentError } from '../errors.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const NAME = /^ObsReq-([A-Za-z0-9][A-Za-z0-9-]{0,63})_TelID-([A-Za-z0-9][A-Za-z0-9-]{0,63})_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.fits(\.fz)?$/;

export interface FrameName {
  missionId: string;
  nodeId: string;
  /** DATE-OBS truncated to the second, as ISO-8601 UTC ('2026-01-15T22:00:07Z'). */
  dateObs: string;
  /** Whether the name carries the .fz suffix. */
  fpacked: boolean;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** The file name of a frame; `dateObs` is a FITS/ISO date string (UTC) or a Date. */
export function frameFileName(p: { missionId: string; nodeId: string; dateObs: string | Date; fpacked?: boolean }): string {
  if (typeof p.missionId !== 'string' || !ID.test(p.missionId)) throw new AgentError('BAD_NAME', `mission id ${JSON.stringify(p.missionId)} must be 1–64 letters, digits or hyphens`);
  if (typeof p.nodeId !== 'string' || !ID.test(p.nodeId)) throw new AgentError('BAD_NAME', `node id ${JSON.stringify(p.nodeId)} must be 1–64 letters, digits or hyphens`);
  let stamp: string;
  if (p.dateObs instanceof Date) {
    const d = p.dateObs;
    if (!Number.isFinite(d.getTime())) throw new AgentError('BAD_NAME', 'DATE-OBS is an invalid date');
    stamp = `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  } else {
    let t;
    try {
      t = parseFitsDate(String(p.dateObs));
    } catch (e) {
      throw new AgentError('BAD_NAME', `DATE-OBS '${String(p.dateObs)}' is not a FITS date`, { cause: e });
    }
    if (!t.hasTime) throw new AgentError('BAD_NAME', `DATE-OBS '${String(p.dateObs)}' has no time of day`);
    stamp = `${pad(t.year, 4)}${pad(t.month)}${pad(t.day)}T${pad(t.hour)}${pad(t.minute)}${pad(t.second)}`;
  }
  return `ObsReq-${p.missionId}_TelID-${p.nodeId}_${stamp}.fits${p.fpacked ? '.fz' : ''}`;
}

export function parseFrameFileName(name: string): FrameName {
  const m = typeof name === 'string' ? NAME.exec(name) : null;
  if (!m) throw new AgentError('BAD_NAME', `'${String(name)}' does not follow ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits`);
  const [, missionId, nodeId, y, mo, d, h, mi, s, fz] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  try {
    parseFitsDate(iso);
  } catch (e) {
    throw new AgentError('BAD_NAME', `'${name}': ${iso} is not a valid time`, { cause: e });
  }
  return { missionId, nodeId, dateObs: `${iso}Z`, fpacked: fz !== undefined };
}
