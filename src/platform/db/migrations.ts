/**
 * Versioned schema migrations, applied in order at start and recorded in
 * `schema_migrations`. Each migration is a list of single SQL statements (so the same list
 * runs unchanged through PGlite's extended protocol and through pg) applied in one
 * transaction together with its record, under an advisory lock so that several servers
 * starting at once against one PostgreSQL apply each migration exactly once.
 *
 * Rules for adding one: append a new entry with the next version; never edit an applied
 * one. Use SQL that PostgreSQL 15 and PGlite (PostgreSQL 17) both accept.
 */
import { sql, type Kysely, type Transaction } from 'kysely';

// Migrations work below the typed schema (they create it), hence Kysely<any>.
/* eslint-disable @typescript-eslint/no-explicit-any */
import { DbError, describeError } from './errors.js';
import { pipelineTables } from './migrations/0004-pipeline.js';
import { scienceTables } from './migrations/0005-science.js';
import { heartbeatPath } from './migrations/0006-heartbeats.js';

export interface Migration {
  /** Strictly increasing positive integer. */
  version: number;
  /** Short snake_case description, recorded with the version. */
  name: string;
  /** Single SQL statements, no parameters, run in order in one transaction. */
  statements: readonly string[];
}

/** Arbitrary constant key for pg_advisory_xact_lock serialising migration runs. */
const MIGRATION_LOCK_KEY = 741_113_907;

/**
 * 0001 — the coordination network (issue 7). States are plain text on purpose: their
 * meaning and transitions live in src/network (pure, tested rules), not in CHECK
 * constraints that every change of the state machine would have to migrate.
 */
const networkTables: Migration = {
  version: 1,
  name: 'network_tables',
  statements: [
    // An observing location. horizon_profile: JSON array of [azDeg, minAltDeg] pairs
    // (sorted by azimuth) overriding min_altitude_deg where the local horizon is higher.
    `CREATE TABLE sites (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      latitude_deg double precision NOT NULL,
      longitude_deg double precision NOT NULL,
      elevation_m double precision NOT NULL DEFAULT 0,
      min_altitude_deg double precision NOT NULL DEFAULT 20,
      horizon_profile jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    // A telescope + camera. token_hash: hex SHA-256 of the node token (the token itself is
    // shown once at registration). state: ONLINE | BUSY | PARKED | FAULTED.
    // filters: JSON array of filter names available on the node.
    `CREATE TABLE nodes (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      site_id uuid NOT NULL REFERENCES sites(id),
      name text NOT NULL,
      token_hash text NOT NULL UNIQUE,
      state text NOT NULL DEFAULT 'PARKED',
      aperture_mm double precision NOT NULL,
      focal_length_mm double precision NOT NULL,
      pixel_size_um double precision NOT NULL,
      sensor_width_px integer NOT NULL,
      sensor_height_px integer NOT NULL,
      filters jsonb NOT NULL DEFAULT '[]',
      gain_e_per_adu double precision,
      read_noise_e double precision,
      heartbeat_interval_s integer NOT NULL DEFAULT 30,
      last_heartbeat_at timestamptz,
      current_target text,
      weather_ok boolean,
      registered_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX nodes_site_id_idx ON nodes (site_id)`,
    // The fault sweeper scans nodes by state and last heartbeat.
    `CREATE INDEX nodes_state_heartbeat_idx ON nodes (state, last_heartbeat_at)`,
    // Heartbeat log (the latest one is also folded into nodes). Prunable history.
    `CREATE TABLE heartbeats (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      node_id uuid NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
      received_at timestamptz NOT NULL DEFAULT now(),
      state text NOT NULL,
      current_target text,
      weather_ok boolean
    )`,
    `CREATE INDEX heartbeats_node_received_idx ON heartbeats (node_id, received_at DESC)`,
    // An observation request. Either ra/dec or target_name (resolved later) identifies the
    // target. constraints: JSON object { minAltitudeDeg?, maxAirmass?, minMoonSeparationDeg?,
    // twilight? ('civil'|'nautical'|'astronomical') }. state: PENDING | ACTIVE | COMPLETE |
    // CANCELLED. delivered_exposure_s is the credited sum over accepted frames.
    `CREATE TABLE missions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      target_name text,
      ra_deg double precision,
      dec_deg double precision,
      filter text NOT NULL,
      total_exposure_s double precision NOT NULL,
      sub_exposure_s double precision NOT NULL,
      cadence_s double precision,
      window_start timestamptz,
      window_end timestamptz,
      priority integer NOT NULL DEFAULT 0,
      constraints jsonb NOT NULL DEFAULT '{}',
      state text NOT NULL DEFAULT 'PENDING',
      delivered_exposure_s double precision NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    )`,
    `CREATE INDEX missions_state_idx ON missions (state)`,
    // A schedulable slice of a mission. A task cut short keeps its credit and its remainder
    // becomes a new task whose parent_task_id points back. state: PENDING | LEASED |
    // RUNNING | DONE | PARTIAL | CANCELLED. node_id/lease_expires_at are set while leased.
    `CREATE TABLE tasks (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      parent_task_id uuid REFERENCES tasks(id),
      state text NOT NULL DEFAULT 'PENDING',
      exposure_s double precision NOT NULL,
      delivered_exposure_s double precision NOT NULL DEFAULT 0,
      node_id uuid REFERENCES nodes(id),
      lease_expires_at timestamptz,
      not_before timestamptz,
      not_after timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX tasks_mission_idx ON tasks (mission_id)`,
    `CREATE INDEX tasks_state_idx ON tasks (state, lease_expires_at)`,
    `CREATE INDEX tasks_node_idx ON tasks (node_id)`,
    // One frame reported by a node. state: RECEIVED | ACCEPTED | REJECTED; only ACCEPTED
    // frames credit exposure. sha256 deduplicates uploads; object_key locates the pixels in
    // object storage; measurement is the compact JSON photometry sent first.
    `CREATE TABLE exposures (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      task_id uuid REFERENCES tasks(id),
      node_id uuid NOT NULL REFERENCES nodes(id),
      started_at timestamptz NOT NULL,
      exposure_s double precision NOT NULL,
      filter text NOT NULL,
      state text NOT NULL DEFAULT 'RECEIVED',
      rejection_reason text,
      file_name text,
      object_key text,
      sha256 text UNIQUE,
      measurement jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`,
    `CREATE INDEX exposures_mission_idx ON exposures (mission_id)`,
    `CREATE INDEX exposures_node_idx ON exposures (node_id, started_at)`,
    // Work for a node, polled by its agent (at-least-once; the agent dedups by id).
    // state: PENDING | DELIVERED | ACKED | DONE | FAILED | CANCELLED. A DELIVERED command
    // whose lease expired is available again; attempts counts deliveries.
    `CREATE TABLE commands (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      node_id uuid NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
      task_id uuid REFERENCES tasks(id),
      kind text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      state text NOT NULL DEFAULT 'PENDING',
      attempts integer NOT NULL DEFAULT 0,
      lease_expires_at timestamptz,
      result jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      acked_at timestamptz,
      finished_at timestamptz
    )`,
    `CREATE INDEX commands_node_state_idx ON commands (node_id, state, created_at)`,
  ],
};

/** All migrations of this build, in order. */
export const migrations: readonly Migration[] = [networkTables, pipelineTables, scienceTables, heartbeatPath];

export interface MigrationResult {
  /** Versions applied by this run (empty when the schema was already current). */
  applied: number[];
  /** Highest version now recorded. */
  current: number;
}

/** Apply every migration not yet recorded. Safe to call on every start and concurrently. */
export async function runMigrations(db: Kysely<any>, list: readonly Migration[] = migrations): Promise<MigrationResult> {
  checkOrder(list);
  await db.transaction().execute(async (trx) => {
    await lock(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.execute(trx);
  });

  const known = new Set(list.map((m) => m.version));
  const recorded = await appliedVersions(db);
  const unknown = recorded.filter((v) => !known.has(v));
  if (unknown.length > 0) {
    throw new DbError(
      'SCHEMA_TOO_NEW',
      `database has migration(s) ${unknown.join(', ')} that this build does not know; upgrade openastro`,
    );
  }

  const applied: number[] = [];
  for (const m of list) {
    if (recorded.includes(m.version)) continue;
    const done = await db.transaction().execute(async (trx) => {
      await lock(trx);
      // Another process may have applied it while we waited for the lock.
      const again = await sql<{ n: number }>`SELECT count(*)::int AS n FROM schema_migrations WHERE version = ${m.version}`.execute(trx);
      if (again.rows[0].n > 0) return false;
      for (const [i, statement] of m.statements.entries()) {
        try {
          await sql.raw(statement).execute(trx);
        } catch (err) {
          throw new DbError(
            'MIGRATION_FAILED',
            `migration ${m.version} '${m.name}' statement ${i + 1} failed: ${describeError(err)}`,
            { cause: err },
          );
        }
      }
      await sql`INSERT INTO schema_migrations (version, name) VALUES (${m.version}, ${m.name})`.execute(trx);
      return true;
    });
    if (done) applied.push(m.version);
  }
  const all = await appliedVersions(db);
  return { applied, current: all.length > 0 ? all[all.length - 1] : 0 };
}

/** Versions recorded in schema_migrations, ascending (empty if the table does not exist). */
export async function appliedVersions(db: Kysely<any>): Promise<number[]> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('schema_migrations')::text AS t`.execute(db);
  if (exists.rows[0].t === null) return [];
  const r = await sql<{ version: number }>`SELECT version FROM schema_migrations ORDER BY version`.execute(db);
  return r.rows.map((row) => Number(row.version));
}

async function lock(trx: Transaction<any>): Promise<void> {
  await sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`.execute(trx);
}

function checkOrder(list: readonly Migration[]): void {
  let prev = 0;
  for (const m of list) {
    if (!Number.isInteger(m.version) || m.version <= prev) {
      throw new DbError('MIGRATION_FAILED', `migration versions must increase: ${m.version} after ${prev}`);
    }
    prev = m.version;
  }
}
