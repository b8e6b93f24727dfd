/**
 * The frame file-name convention as the agent sees it: the rule itself lives in
 * src/network/frame-name.ts (the ingest checks the same names); here its errors become
 * AgentError BAD_NAME.
 */
import { FrameNameError, formatFrameFileName, parseFrameFileName as parseName } from '../../network/frame-name.js';
import { AgentError } from '../errors.js';

export interface FrameName {
  missionId: string;
  nodeId: string;
  /** DATE-OBS truncated to the second, as ISO-8601 UTC ('2026-01-15T22:00:07Z'). */
  dateObs: string;
  /** Whether the name carries the .fz suffix. */
  fpacked: boolean;
}

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FrameNameError) throw new AgentError('BAD_NAME', e.message, { cause: e });
    throw e;
  }
}

/** The file name of a frame; `dateObs` is a FITS/ISO date string (UTC) or a Date. */
export function frameFileName(p: { missionId: string; nodeId: string; dateObs: string | Date; fpacked?: boolean }): string {
  return wrap(() => formatFrameFileName(p));
}

export function parseFrameFileName(name: string): FrameName {
  const n = wrap(() => parseName(name));
  return { missionId: n.missionId, nodeId: n.nodeId, dateObs: n.dateObs, fpacked: n.fpacked };
}
