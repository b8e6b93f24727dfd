/**
 * The upload file-name convention `ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits`
 * (ARCHITECTURE.md, core flow 5): which mission, which telescope, and the UTC start of the
 * exposure to the second. `.fit`, `.fts` and an fpack `.fz` suffix are accepted too.
 *
 * The frame key `{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}` is what the compact measurement
 * and the FITS file of one frame have in common, so they meet on the same exposure row
 * whatever order they arrive in.
 */
import { PipelineError } from '../errors.js';

export interface FrameFileName {
  missionId: string;
  nodeId: string;
  /** Start of the exposure, UTC, whole seconds. */
  startUtc: Date;
  /** 'YYYYMMDDTHHMMSS' as written. */
  stamp: string;
}

const NAME_RE = /^ObsReq-([0-9A-Za-z-]{1,64})_TelID-([0-9A-Za-z-]{1,64})_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(?:fits|fit|fts)(?:\.fz)?$/;

/** Parse a frame file name (no directories); PipelineError BAD_FILE_NAME says what is wrong. */
export function parseFrameFileName(fileName: string): FrameFileName {
  if (typeof fileName !== 'string' || fileName.length === 0) {
    throw new PipelineError('BAD_FILE_NAME', 'fileName is required');
  }
  if (fileName.includes('/') || fileName.includes('\\')) {
    throw new PipelineError('BAD_FILE_NAME', `'${fileName}': a file name, not a path, is expected`);
  }
  const m = NAME_RE.exec(fileName);
  if (!m) {
    throw new PipelineError(
      'BAD_FILE_NAME',
      `'${fileName}' does not follow ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits`,
    );
  }
  const [, missionId, nodeId, y, mo, d, h, mi, s] = m;
  const year = +y;
  const month = +mo;
  const day = +d;
  const hour = +h;
  const minute = +mi;
  const second = +s;
  const t = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(t);
  // Date.UTC rolls 31 April into 1 May; a real calendar date survives the round trip.
  if (
    month < 1 ||
    month > 12 ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    back.getUTCFullYear() !== year ||
    back.getUTCMonth() !== month - 1 ||
    back.getUTCDate() !== day
  ) {
    throw new PipelineError('BAD_FILE_NAME', `'${fileName}': ${y}${mo}${d}T${h}${mi}${s} is not a valid UTC date and time`);
  }
  return { missionId, nodeId, startUtc: back, stamp: `${y}${mo}${d}T${h}${mi}${s}` };
}

/** 'YYYYMMDDTHHMMSS' of an instant (UTC, truncated to the second). */
export function frameStamp(startUtc: Date): string {
  const t = startUtc.getTime();
  if (!Number.isFinite(t)) throw new PipelineError('BAD_REQUEST', 'frame start time is not a valid date');
  return startUtc.toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/** The conventional file name of a frame. */
export function formatFrameFileName(missionId: string, nodeId: string, startUtc: Date): string {
  return `ObsReq-${missionId}_TelID-${nodeId}_${frameStamp(startUtc)}.fits`;
}

/** Natural key of a frame: '{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}'. */
export function frameKey(missionId: string, nodeId: string, startUtc: Date): string {
  return `${missionId}/${nodeId}/${frameStamp(startUtc)}`;
}
