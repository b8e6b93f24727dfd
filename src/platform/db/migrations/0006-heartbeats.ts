/**
 * 0006 — a cheaper heartbeat path (decision 0044). At thousands of heartbeats a second the
 * node row is rewritten constantly, so:
 *
 * - the (state, last_heartbeat_at) index goes: with it every heartbeat wrote a new entry in
 *   every index of `nodes`; without an index on an updated column the update is HOT (the
 *   new row version stays on its page, no index is touched). The fault sweeper it served
 *   filters on coalesce(last_heartbeat_at, registered_at) against each node's own interval,
 *   which that index could not answer anyway; a scan of the node table (45,000 rows, a few
 *   MB, every few seconds) is cheap.
 * - `nodes` leaves 30 % of each page free, room for those in-page row versions.
 * - the heartbeat log (now changes plus one row per node per window) gets a BRIN index on
 *   received_at: append-only and in time order, so pruning by age finds its pages for a few
 *   kilobytes of index.
 */
import type { Migration } from '../migrations.js';

export const heartbeatPath: Migration = {
  version: 6,
  name: 'heartbeat_path',
  statements: [
    `DROP INDEX IF EXISTS nodes_state_heartbeat_idx`,
    `ALTER TABLE nodes SET (fillfactor = 70)`,
    `CREATE INDEX heartbeats_received_brin ON heartbeats USING brin (received_at)`,
  ],
};
