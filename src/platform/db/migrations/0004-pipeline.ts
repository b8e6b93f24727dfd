/**
 * 0004 — uploads, ingest metadata, the pipeline's job ledger and products (issue 8).
 *
 * Byte counts are `integer`: an upload is assembled and parsed in memory, so nothing
 * larger than 2 GiB is accepted anyway, and int4 reads back as a JS number on both
 * engines (node-postgres returns int8 as a string).
 */
import type { Migration } from '../migrations.js';

export const pipelineTables: Migration = {
  version: 4,
  name: 'pipeline_tables',
  statements: [
    // Ingest metadata on the frame itself. frame_key '{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}'
    // is the natural key of a frame (from its file name): the compact measurement and the
    // FITS file of one frame meet on it whatever order they arrive in. pipeline_state:
    // received | ingested | rejected (later stages add solved, calibrated). header: a JSON
    // summary of the header keywords ingest read (object, optics, instrument).
    `ALTER TABLE exposures
      ADD COLUMN frame_key text,
      ADD COLUMN measurement_id text,
      ADD COLUMN pipeline_state text NOT NULL DEFAULT 'received',
      ADD COLUMN mid_utc timestamptz,
      ADD COLUMN ra_deg double precision,
      ADD COLUMN dec_deg double precision,
      ADD COLUMN pointing_source text,
      ADD COLUMN has_wcs boolean,
      ADD COLUMN width integer,
      ADD COLUMN height integer,
      ADD COLUMN header jsonb,
      ADD COLUMN ingested_at timestamptz`,
    `CREATE UNIQUE INDEX exposures_frame_key_idx ON exposures (frame_key)`,
    `CREATE INDEX exposures_mission_state_idx ON exposures (mission_id, state)`,
    // A resumable FITS upload. offset_bytes counts the bytes received and recorded in
    // upload_parts; the exposure row is written only once all `bytes` are in and the
    // SHA-256 matches. state: OPEN | COMPLETE.
    `CREATE TABLE uploads (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      node_id uuid NOT NULL REFERENCES nodes(id) ON DELETE CASCADE,
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      task_id uuid REFERENCES tasks(id) ON DELETE SET NULL,
      file_name text NOT NULL,
      frame_key text NOT NULL,
      bytes integer NOT NULL,
      sha256 text NOT NULL,
      offset_bytes integer NOT NULL DEFAULT 0,
      state text NOT NULL DEFAULT 'OPEN',
      exposure_id uuid REFERENCES exposures(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      expires_at timestamptz NOT NULL
    )`,
    `CREATE INDEX uploads_node_idx ON uploads (node_id, state)`,
    `CREATE INDEX uploads_expiry_idx ON uploads (state, expires_at)`,
    // One received chunk, stored as its own temporary object (so a resumed upload may land
    // on another server instance of the same deployment).
    `CREATE TABLE upload_parts (
      upload_id uuid NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
      offset_bytes integer NOT NULL,
      bytes integer NOT NULL,
      object_key text NOT NULL,
      PRIMARY KEY (upload_id, offset_bytes)
    )`,
    // The pipeline's ledger of stage jobs, one row per logical job (pg-boss keeps the job
    // id across retries). dedupe_key makes an enqueue idempotent ('stack:{missionId}').
    // state: queued | active | retry | completed | failed (failed = dead letter, after the
    // last retry; error holds the reason).
    `CREATE TABLE pipeline_jobs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      job_id uuid UNIQUE,
      dedupe_key text NOT NULL UNIQUE,
      queue text NOT NULL,
      stage text NOT NULL,
      input jsonb NOT NULL,
      state text NOT NULL DEFAULT 'queued',
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      progress double precision NOT NULL DEFAULT 0,
      message text,
      error text,
      worker text,
      created_at timestamptz NOT NULL,
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL
    )`,
    `CREATE INDEX pipeline_jobs_state_idx ON pipeline_jobs (state, queue, updated_at)`,
    // Science products of a mission (stack, later light curves...). One per (mission, kind):
    // a re-run replaces it, which is what makes the producing stage idempotent.
    `CREATE TABLE products (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      kind text NOT NULL,
      object_key text NOT NULL,
      sha256 text NOT NULL,
      summary jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      UNIQUE (mission_id, kind)
    )`,
  ],
};
