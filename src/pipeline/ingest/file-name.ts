/**
 * The frame file-name convention as the ingest sees it: the rule itself lives in
 * src/network/frame-name.ts (the agent writes the same names); here its errors become
 * PipelineError BAD_FILE_NAME (HTTP 400).
 */
import {
  FrameNameError,
  formatFrameFileName as formatName,
  frameKey as key,
  parseFrameFileName as parseName,
  type FrameName,
} from '../../network/frame-name.js';
import { PipelineError } from '../errors.js';

export type FrameFileName = FrameName;

function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof FrameNameError) throw new PipelineError('BAD_FILE_NAME', e.message, { cause: e });
    throw e;
  }
}

export function parseFrameFileName(fileName: string): FrameFileName {
  return wrap(() => parseName(fileName));
}

export function formatFrameFileName(missionId: string, nodeId: string, startUtc: Date): string {
  return wrap(() => formatName({ missionId, nodeId, dateObs: startUtc }));
}

export function frameKey(missionId: string, nodeId: string, startUtc: Date): string {
  return wrap(() => key(missionId, nodeId, startUtc));
}
