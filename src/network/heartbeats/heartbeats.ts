/**
 * Heartbeats: every 15–30 s (the node's heartbeat_interval_s) a node says it is alive, in
 * which state (ONLINE, BUSY, PARKED), what it is pointing at and whether its weather
 * allows observing. The latest heartbeat is folded into the node row (what the scheduler
 * and the fault sweeper read) and appended to the heartbeat log. A FAULTED node that
 * heartbeats again takes the state it reports: faults are about silence, and silence
 * ended.
 */
import { sql, type Kysely } from 'kysely';
import type { Node, NodeState, Schema } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { nodeInfo, type NodeInfo } from '../nodes/registry.js';
import { optionalBoolean, requireNow, requireText, requireUuid } from '../nodes/validate.js';

/** States a node may report; FAULTED is only ever set by the service. */
export const REPORTABLE_STATES: readonly NodeState[] = ['ONLINE', 'BUSY', 'PARKED'];

export interface HeartbeatInput {
  state: NodeState;
  /** What the mount points at (a target or task id, free text), if anything. */
  currentTarget?: string | null;
  /** Local weather allows observing; null/absent when the node has no sensor. */
  weatherOk?: boolean | null;
}

export interface HeartbeatResult {
  node: NodeInfo;
  /** State before this heartbeat. */
  previousState: NodeState;
  /** The node was FAULTED and this heartbeat brought it back. */
  recovered: boolean;
}

export function validateHeartbeat(input: HeartbeatInput): { state: NodeState; currentTarget: string | null; weatherOk: boolean | null } {
  if (input === null || typeof input !== 'object') throw new NetworkError('BAD_REQUEST', 'heartbeat: must be an object');
  if (!REPORTABLE_STATES.includes(input.state)) {
    throw new NetworkError('BAD_REQUEST', `state: must be one of ${REPORTABLE_STATES.join(', ')}, got '${String(input.state)}'`);
  }
  const currentTarget = input.currentTarget === undefined || input.currentTarget === null ? null : requireText(input.currentTarget, 'currentTarget', 200);
  const weatherOk = optionalBoolean(input.weatherOk, 'weatherOk');
  return { state: input.state, currentTarget, weatherOk };
}

/**
 * Record a heartbeat: one statement updates the node and appends to the log (so it is
 * atomic without an explicit transaction, and cheap — this is the service's hottest path).
 * NOT_FOUND for an unknown node.
 */
export async function recordHeartbeat(db: Kysely<Schema>, nodeId: string, input: HeartbeatInput, now: Date): Promise<HeartbeatResult> {
  requireNow(now);
  const id = requireUuid(nodeId, 'nodeId');
  const hb = validateHeartbeat(input);
  const at = now.toISOString();
  // RETURNING shows new values only, hence the locked `prev` row for the state before.
  const r = await sql<Node & { previous_state: NodeState }>`
    WITH prev AS (
      SELECT id, state FROM nodes WHERE id = ${id} FOR UPDATE
    ), updated AS (
      UPDATE nodes AS n
      SET state = ${hb.state}::text,
          last_heartbeat_at = ${at}::timestamptz,
          current_target = ${hb.currentTarget}::text,
          weather_ok = ${hb.weatherOk}::boolean,
          updated_at = ${at}::timestamptz
      FROM prev
      WHERE n.id = prev.id
      RETURNING n.*, prev.state AS previous_state
    ), logged AS (
      INSERT INTO heartbeats (node_id, received_at, state, current_target, weather_ok)
      SELECT id, ${at}::timestamptz, ${hb.state}::text, ${hb.currentTarget}::text, ${hb.weatherOk}::boolean FROM updated
    )
    SELECT * FROM updated`.execute(db);
  const row = r.rows[0];
  if (!row) throw new NetworkError('NOT_FOUND', `no node with id '${id}'`);
  const { previous_state: previousState, ...node } = row;
  return { node: nodeInfo(node), previousState, recovered: previousState === 'FAULTED' };
}

/** The node's most recent heartbeats, newest first. */
export async function recentHeartbeats(
  db: Kysely<Schema>,
  nodeId: string,
  limit = 100,
): Promise<Array<{ receivedAt: Date; state: NodeState; currentTarget: string | null; weatherOk: boolean | null }>> {
  const id = requireUuid(nodeId, 'nodeId');
  const rows = await db
    .selectFrom('heartbeats')
    .select(['received_at', 'state', 'current_target', 'weather_ok'])
    .where('node_id', '=', id)
    .orderBy('received_at', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.max(1, Math.min(10_000, Math.floor(limit))))
    .execute();
  return rows.map((h) => ({ receivedAt: h.received_at, state: h.state, currentTarget: h.current_target, weatherOk: h.weather_ok }));
}

/** Delete log entries received before `before` (the node rows keep the latest state). Returns the count. */
export async function pruneHeartbeats(db: Kysely<Schema>, before: Date): Promise<number> {
  requireNow(before, 'before');
  const r = await db.deleteFrom('heartbeats').where('received_at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
