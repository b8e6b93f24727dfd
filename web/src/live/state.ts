/**
 * The live state the dashboard holds: the server's last snapshot with every diff since
 * applied. `applyDiff` is the inverse of the server's `diffSnapshots` (tested as such), and
 * keeps the lists in the server's order, so the state after a diff equals the next
 * snapshot exactly.
 */
import type { EntityDiff, LiveDiff, LiveJob, LiveMission, LiveNode, LiveSnapshot } from '../../../src/server/routes/events.js';

export type { EntityDiff, LiveDiff, LiveJob, LiveMission, LiveNode, LiveSnapshot };

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Same orders as src/server/routes/events.ts. */
export const compareNodes = (a: LiveNode, b: LiveNode): number => cmp(a.name, b.name) || cmp(a.id, b.id);
export const compareMissions = (a: LiveMission, b: LiveMission): number => cmp(b.createdAt, a.createdAt) || cmp(a.id, b.id);

function applyEntities<T extends { id: string }>(list: readonly T[], diff: EntityDiff<T> | undefined, order: (a: T, b: T) => number): T[] {
  if (!diff) return list.slice();
  const byId = new Map(list.map((e) => [e.id, e]));
  for (const id of diff.remove) byId.delete(id);
  for (const e of diff.upsert) byId.set(e.id, e);
  return [...byId.values()].sort(order);
}

/** The state after `diff`. Does not modify `state`. */
export function applyDiff(state: LiveSnapshot, diff: LiveDiff): LiveSnapshot {
  return {
    at: diff.at,
    nodes: applyEntities(state.nodes, diff.nodes, compareNodes),
    nodeCounts: diff.nodeCounts ?? state.nodeCounts,
    missions: applyEntities(state.missions, diff.missions, compareMissions),
    queues: diff.queues ?? state.queues,
    running: diff.running ?? state.running,
  };
}

/** Drop the `seq` the wire adds to each message. */
export function withoutSeq<T extends object>(message: T & { seq?: number }): T {
  const { seq: _seq, ...rest } = message;
  return rest as T;
}
