/**
 * The frame file-name convention `ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits`
 * (ARCHITECTURE.md, core flow 5): which mission, which telescope, and the UTC start of the
 * exposure (DATE-OBS) truncated to the second. A tile-compressed file may carry fpack's
 * `.fz` suffix. Underscores separate the fields, so ids are letters, digits and hyphens
 * (UUIDs fit). The agent writes these names and the ingest checks them, so the rule lives
 * here, once; each side wraps FrameNameError into its own error type.
 *
 * The frame key `{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}` is what the compact measurement and
 * the FITS file of one frame have in common, so they meet on one exposure row whatever
 * order they arrive in. A leap second (…T235960) is a valid stamp; its `startUtc` (a JS Date
 * cannot hold second 60) is the following second.
 */
import { parseFitsDate } from '../science/time/exposure.js';

export class FrameNameError extends Error {
  override readonly name = 'FrameNameError';
  readonly code = 'BAD_FILE_NAME';
}

export interface FrameName {
  missionId: string;
  nodeId: string;
  /** 'YYYYMMDDTHHMMSS' as written. */
  stamp: string;
  /** The stamp as ISO-8601 UTC, e.g. '2026-01-15T22:00:07Z' (second 60 kept as written). */
  dateObs: string;
  /** Start of the exposure, UTC, whole seconds. */
  startUtc: Date;
  /** The name carries the `.fz` suffix. */
  fpacked: boolean;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;
const NAME_RE =
  /^ObsReq-([A-Za-z0-9][A-Za-z0-9-]{0,63})_TelID-([A-Za-z0-9][A-Za-z0-9-]{0,63})_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.fits(\.fz)?$/;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 'YYYYMMDDTHHMMSS' of a Date or a FITS/ISO date string (UTC), truncated to the second. */
export function frameStamp(dateObs: Date | string): string {
  if (dateObs instanceof Date) {
    if (!Number.isFinite(dateObs.getTime())) throw new FrameNameError('DATE-OBS is an invalid date');
    return dateObs.toISOString().slice(0, 19).replace(/[-:]/g, '');
  }
  let t;
  try {
    t = parseFitsDate(String(dateObs));
  } catch (e) {
    throw new FrameNameError(`DATE-OBS '${String(dateObs)}' is not a FITS date`, { cause: e });
  }
  if (!t.hasTime) throw new FrameNameError(`DATE-OBS '${String(dateObs)}' has no time of day`);
  return `${pad(t.year, 4)}${pad(t.month)}${pad(t.day)}T${pad(t.hour)}${pad(t.minute)}${pad(t.second)}`;
}

function checkId(id: unknown, what: string): string {
  if (typeof id !== 'string' || !ID_RE.test(id)) {
    throw new FrameNameError(`${what} ${JSON.stringify(id)} must be 1–64 letters, digits or hyphens`);
  }
  return id;
}

/** The conventional file name of a frame. */
export function formatFrameFileName(p: { missionId: string; nodeId: string; dateObs: Date | string; fpacked?: boolean }): string {
  const missionId = checkId(p.missionId, 'mission id');
  const nodeId = checkId(p.nodeId, 'node id');
  return `ObsReq-${missionId}_TelID-${nodeId}_${frameStamp(p.dateObs)}.fits${p.fpacked ? '.fz' : ''}`;
}

/** Parse a frame file name (no directories); FrameNameError says what is wrong. */
export function parseFrameFileName(fileName: string): FrameName {
  if (typeof fileName !== 'string' || fileName.length === 0) throw new FrameNameError('fileName is required');
  if (fileName.includes('/') || fileName.includes('\\')) {
    throw new FrameNameError(`'${fileName}': a file name, not a path, is expected`);
  }
  const m = NAME_RE.exec(fileName);
  if (!m) throw new FrameNameError(`'${fileName}' does not follow ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits`);
  const [, missionId, nodeId, y, mo, d, h, mi, s, fz] = m;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
  let t;
  try {
    // Checks the calendar (no 30 February) and allows second 60 only as UTC does.
    t = parseFitsDate(iso);
  } catch (e) {
    throw new FrameNameError(`'${fileName}': ${y}${mo}${d}T${h}${mi}${s} is not a valid UTC date and time`, { cause: e });
  }
  const startUtc = new Date(Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second));
  return { missionId, nodeId, stamp: `${y}${mo}${d}T${h}${mi}${s}`, dateObs: `${iso}Z`, startUtc, fpacked: fz !== undefined };
}

/** Natural key of a frame: '{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}'. */
export function frameKey(missionId: string, nodeId: string, startUtc: Date | string): string {
  return `${missionId}/${nodeId}/${frameStamp(startUtc)}`;
}
