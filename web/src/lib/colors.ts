/** Colours shared by every page, so a state or a site looks the same everywhere. */
import type { NodeState } from '../../../src/platform/db/schema.js';

export const NODE_STATE_COLOURS: Record<NodeState, string> = {
  ONLINE: '#2e9e44',
  BUSY: '#2f6fd6',
  PARKED: '#8a8f98',
  FAULTED: '#d63b2f',
};

export const NODE_STATES: readonly NodeState[] = ['ONLINE', 'BUSY', 'PARKED', 'FAULTED'];

export const MISSION_STATE_COLOURS: Record<string, string> = {
  PENDING: '#8a8f98',
  ACTIVE: '#2f6fd6',
  COMPLETE: '#2e9e44',
  CANCELLED: '#6b4f4f',
};

export const TASK_STATE_COLOURS: Record<string, string> = {
  PENDING: '#8a8f98',
  LEASED: '#c99a1c',
  RUNNING: '#2f6fd6',
  DONE: '#2e9e44',
  PARTIAL: '#d9822b',
  CANCELLED: '#6b4f4f',
};

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies. */
const SITE_PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#999999'];

/** A stable colour per site name (sorted order, so every chart agrees). */
export function siteColours(siteNames: Iterable<string>): Map<string, string> {
  const names = [...new Set(siteNames)].sort();
  return new Map(names.map((n, i) => [n, SITE_PALETTE[i % SITE_PALETTE.length]]));
}
