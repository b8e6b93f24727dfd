/**
 * Heartbeats: every 15–30 s (the node's heartbeat_interval_s) a node says it is alive, in
 * which state (ONLINE, BUSY, PARKED), what it is pointing at and whether its weather
 * allows observing. The latest heartbeat is folded into the node row (what the scheduler
 * and the fault sweeper read). A FAULTED node that heartbeats again takes the state it
 * reports: faults are about silence, and silence ended.
 *
 * The heartbeat log keeps what changed, not every beat: a heartbeat is logged when it is
 * the node's first, when its state, target or weather differ from the previous one (a
 * recovery from FAULTED is a change), and otherwise once per `logEveryS` window of wall
 * time (the first beat in each window), so the log still shows when a node was alive.
 * At 45,000 nodes every 15 s a full log would be 260 M rows a day (decision 0044).
 *
 * recordHeartbeats writes a batch in one statement (one round trip, one commit); the
 * heartbeat writer (writer.ts) groups concurrent requests into such batches.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { PREPARE_MARKER } from '../../platform/db/postgres.js';
import type { Node, NodeState, Schema } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { nodeInfo, type NodeInfo } from '../nodes/registry.js';
import { optionalBoolean, requireNow, requireText, requireUuid } from '../nodes/validate.js';

/** States a node may report; FAULTED is only ever set by the service. */
export const REPORTABLE_STATES: readonly NodeState[] = ['ONLINE', 'BUSY', 'PARKED'];

/** Default heartbeat-log sampling window, s: an unchanged node gets one log row per window. */
export const DEFAULT_LOG_EVERY_S = 300;

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
  /** This heartbeat went to the log (see the module comment for when it does). */
  logged: boolean;
}

export interface RecordHeartbeatOptions {
  /**
   * Log window, s (default 300): an unchanged heartbeat is logged only when it is the first
   * in its window. 0 logs every heartbeat.
   */
  logEveryS?: number;
  /**
   * Wait for the commit to reach disk (default false). A heartbeat lost in a database crash
   * costs nothing — the node sends the next within 15–30 s and faults take three missed
   * intervals — so heartbeats do not wait for the WAL flush (synchronous_commit off for
   * their own transaction only; every other write stays durable). Ignored when `db` is a
   * transaction: the caller's transaction keeps its own setting.
   */
  synchronousCommit?: boolean;
}

/** A checked heartbeat, ready to write. */
export interface CheckedHeartbeat {
  /** Lower-case UUID. */
  nodeId: string;
  state: NodeState;
  currentTarget: string | null;
  weatherOk: boolean | null;
  receivedAt: Date;
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

/** Check one heartbeat (node id, body, time); BAD_REQUEST naming the field. */
export function checkHeartbeat(nodeId: string, input: HeartbeatInput, now: Date): CheckedHeartbeat {
  requireNow(now);
  const id = requireUuid(nodeId, 'nodeId');
  return { nodeId: id, ...validateHeartbeat(input), receivedAt: now };
}

/** Check the options; BAD_REQUEST naming the bad one. */
export function checkRecordOptions(opts: RecordHeartbeatOptions): Required<RecordHeartbeatOptions> {
  const logEveryS = opts.logEveryS ?? DEFAULT_LOG_EVERY_S;
  if (!(Number.isFinite(logEveryS) && logEveryS >= 0)) throw new NetworkError('BAD_REQUEST', `logEveryS: must be a number >= 0, got ${String(logEveryS)}`);
  return { logEveryS, synchronousCommit: opts.synchronousCommit ?? false };
}

/**
 * Record a heartbeat: one statement updates the node and, when the log policy says so,
 * appends to the log. NOT_FOUND for an unknown node.
 */
export async function recordHeartbeat(db: Kysely<Schema>, nodeId: string, input: HeartbeatInput, now: Date, opts: RecordHeartbeatOptions = {}): Promise<HeartbeatResult> {
  const hb = checkHeartbeat(nodeId, input, now);
  const [r] = await writeHeartbeatsReturningNodes(db, [hb], checkRecordOptions(opts));
  if (!r) throw new NetworkError('NOT_FOUND', `no node with id '${hb.nodeId}'`);
  return r;
}

/**
 * Record several heartbeats of different nodes in one statement (all or nothing). Returns
 * one entry per input, in order: the result, or null for a node that does not exist.
 * BAD_REQUEST for a bad heartbeat (`heartbeats[i].field: …`) or a node given twice.
 */
export async function recordHeartbeats(
  db: Kysely<Schema>,
  heartbeats: ReadonlyArray<{ nodeId: string; input: HeartbeatInput; now: Date }>,
  opts: RecordHeartbeatOptions = {},
): Promise<Array<HeartbeatResult | null>> {
  if (!Array.isArray(heartbeats)) throw new NetworkError('BAD_REQUEST', 'heartbeats: must be an array');
  const seen = new Set<string>();
  const checked = heartbeats.map((h, i) => {
    let c: CheckedHeartbeat;
    try {
      c = checkHeartbeat(h?.nodeId, h?.input, h?.now);
    } catch (err) {
      if (err instanceof NetworkError) throw new NetworkError(err.code, `heartbeats[${i}].${err.message}`);
      throw err;
    }
    if (seen.has(c.nodeId)) throw new NetworkError('BAD_REQUEST', `heartbeats[${i}].nodeId: node ${c.nodeId} appears twice; one heartbeat per node per batch`);
    seen.add(c.nodeId);
    return c;
  });
  return writeHeartbeatsReturningNodes(db, checked, checkRecordOptions(opts));
}

/** What the heartbeat route answers: the node's new state and what the heartbeat did. */
export interface HeartbeatAck {
  nodeId: string;
  state: NodeState;
  previousState: NodeState;
  recovered: boolean;
  logged: boolean;
  heartbeatIntervalS: number;
  receivedAt: Date;
}

/**
 * The statement behind recordHeartbeat(s), returning only what the API answers (the hot
 * path: a tenth of the bytes of a node row to send and parse). Checked heartbeats of
 * distinct nodes in; one ack, or null (no such node), per heartbeat out, in order.
 */
export async function writeHeartbeats(
  db: Kysely<Schema>,
  heartbeats: readonly CheckedHeartbeat[],
  opts: Required<RecordHeartbeatOptions>,
): Promise<Array<HeartbeatAck | null>> {
  type Row = { id: string; state: NodeState; heartbeat_interval_s: number; last_heartbeat_at: Date; previous_state: NodeState; logged: boolean };
  // A fixed column list, so the statement can be prepared (planned once per connection).
  const rows = await heartbeatStatement<Row>(db, heartbeats, opts, sql`id, state, heartbeat_interval_s, last_heartbeat_at, previous_state, logged`, true);
  return matchRows(heartbeats, rows, (row) => ({
    nodeId: row.id,
    state: row.state,
    previousState: row.previous_state,
    recovered: row.previous_state === 'FAULTED',
    logged: row.logged,
    heartbeatIntervalS: row.heartbeat_interval_s,
    receivedAt: row.last_heartbeat_at,
  }));
}

/** The same statement returning whole node rows. */
async function writeHeartbeatsReturningNodes(
  db: Kysely<Schema>,
  heartbeats: readonly CheckedHeartbeat[],
  opts: Required<RecordHeartbeatOptions>,
): Promise<Array<HeartbeatResult | null>> {
  const rows = await heartbeatStatement<Node & { previous_state: NodeState; logged: boolean }>(db, heartbeats, opts, sql`*`, false);
  return matchRows(heartbeats, rows, ({ previous_state: previousState, logged, ...node }) => ({
    node: nodeInfo(node),
    previousState,
    recovered: previousState === 'FAULTED',
    logged,
  }));
}

function matchRows<R extends { id: string }, T>(heartbeats: readonly CheckedHeartbeat[], rows: readonly R[], map: (row: R) => T): Array<T | null> {
  const byId = new Map<string, R>();
  for (const row of rows) byId.set(row.id.toLowerCase(), row);
  return heartbeats.map((h) => {
    const row = byId.get(h.nodeId);
    return row ? map(row) : null;
  });
}

/**
 * One statement, one round trip, one commit: lock the nodes' rows, update them, log the
 * heartbeats the policy keeps, return `columns` of the updated rows (plus previous_state
 * and logged). `prepare`: mark it for a prepared statement (only with a fixed column list).
 */
async function heartbeatStatement<R>(
  db: Kysely<Schema>,
  heartbeats: readonly CheckedHeartbeat[],
  opts: Required<RecordHeartbeatOptions>,
  columns: RawBuilder<unknown>,
  prepare: boolean,
): Promise<R[]> {
  if (heartbeats.length === 0) return [];
  const ids = heartbeats.map((h) => h.nodeId);
  const states = heartbeats.map((h) => h.state);
  const targets = heartbeats.map((h) => h.currentTarget);
  const weather = heartbeats.map((h) => h.weatherOk);
  const at = heartbeats.map((h) => h.receivedAt.toISOString());
  // A transaction-local setting made inside the statement itself, so a heartbeat stays one
  // round trip: the implicit transaction commits with it and then forgets it. Inside a
  // caller's transaction it would weaken the caller's other writes too, so there the
  // caller's setting stands.
  const settings: RawBuilder<unknown> = opts.synchronousCommit || db.isTransaction
    ? sql`SELECT NULL::text AS synchronous_commit`
    : sql`SELECT set_config('synchronous_commit', 'off', true) AS synchronous_commit`;
  const windowed: RawBuilder<boolean> =
    opts.logEveryS > 0
      ? sql<boolean>`floor(extract(epoch FROM i.received_at) / ${opts.logEveryS}::float8) <> floor(extract(epoch FROM p.last_heartbeat_at) / ${opts.logEveryS}::float8)`
      : sql<boolean>`true`;
  // `prev` locks the rows in id order (two concurrent batches cannot deadlock) and reads
  // their state before the update, which RETURNING cannot show. FOR NO KEY UPDATE is the
  // lock the UPDATE takes anyway; it does not block inserts referencing the node. Locking
  // also makes the state read current: a sweep that FAULTED the node just before is seen.
  const r = await sql<R>`${sql.raw(prepare ? PREPARE_MARKER : '')}
    WITH settings AS MATERIALIZED (${settings}),
    input AS (
      SELECT t.*
      FROM settings,
           unnest(${ids}::uuid[], ${states}::text[], ${targets}::text[], ${weather}::boolean[], ${at}::timestamptz[])
             AS t(id, state, current_target, weather_ok, received_at)
    ), prev AS (
      SELECT n.id, n.state, n.current_target, n.weather_ok, n.last_heartbeat_at
      FROM nodes n JOIN input i ON i.id = n.id
      ORDER BY n.id
      FOR NO KEY UPDATE OF n
    ), updated AS (
      UPDATE nodes AS n
      SET state = i.state,
          last_heartbeat_at = i.received_at,
          current_target = i.current_target,
          weather_ok = i.weather_ok,
          updated_at = i.received_at
      FROM input i JOIN prev p ON p.id = i.id
      WHERE n.id = i.id
      RETURNING n.*, p.state AS previous_state,
        (p.last_heartbeat_at IS NULL
          OR p.state <> i.state
          OR p.current_target IS DISTINCT FROM i.current_target
          OR p.weather_ok IS DISTINCT FROM i.weather_ok
          OR ${windowed}) AS logged
    ), log AS (
      INSERT INTO heartbeats (node_id, received_at, state, current_target, weather_ok)
      SELECT id, last_heartbeat_at, state, current_target, weather_ok FROM updated WHERE logged
    )
    SELECT ${columns} FROM updated`.execute(db);
  return r.rows;
}

/** The node's logged heartbeats (changes, and one per log window), newest first. */
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
