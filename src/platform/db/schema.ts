/**
 * Kysely table types for the schema built by migrations.ts. Keep them in step with the
 * migrations: one interface per table, snake_case column names as in SQL.
 *
 * Conventions: timestamptz reads as Date and accepts Date or ISO string; jsonb reads as
 * the parsed value and is written as a JSON string (JSON.stringify) — node-postgres would
 * otherwise send a JS array as a PostgreSQL array literal, which jsonb rejects.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type Timestamp = ColumnType<Date, Date | string, Date | string>;
export type TimestampDefault = ColumnType<Date, Date | string | undefined, Date | string>;
/** jsonb column: reads as T, written as a JSON text. */
export type Json<T> = ColumnType<T, string, string>;
export type JsonDefault<T> = ColumnType<T, string | undefined, string>;
export type NullableJson<T> = ColumnType<T | null, string | null | undefined, string | null>;

export type NodeState = 'ONLINE' | 'BUSY' | 'PARKED' | 'FAULTED';
export type MissionState = 'PENDING' | 'ACTIVE' | 'COMPLETE' | 'CANCELLED';
export type TaskState = 'PENDING' | 'LEASED' | 'RUNNING' | 'DONE' | 'PARTIAL' | 'CANCELLED';
export type ExposureState = 'RECEIVED' | 'ACCEPTED' | 'REJECTED';
export type CommandState = 'PENDING' | 'DELIVERED' | 'ACKED' | 'DONE' | 'FAILED' | 'CANCELLED';

export interface MissionConstraints {
  minAltitudeDeg?: number;
  maxAirmass?: number;
  minMoonSeparationDeg?: number;
  twilight?: 'civil' | 'nautical' | 'astronomical';
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: TimestampDefault;
}

export interface SitesTable {
  id: Generated<string>;
  name: string;
  latitude_deg: number;
  longitude_deg: number;
  elevation_m: Generated<number>;
  min_altitude_deg: Generated<number>;
  /** [azDeg, minAltDeg] pairs. */
  horizon_profile: NullableJson<Array<[number, number]>>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface NodesTable {
  id: Generated<string>;
  site_id: string;
  name: string;
  token_hash: string;
  state: ColumnType<NodeState, NodeState | undefined, NodeState>;
  aperture_mm: number;
  focal_length_mm: number;
  pixel_size_um: number;
  sensor_width_px: number;
  sensor_height_px: number;
  filters: JsonDefault<string[]>;
  gain_e_per_adu: number | null;
  read_noise_e: number | null;
  heartbeat_interval_s: Generated<number>;
  last_heartbeat_at: Timestamp | null;
  current_target: string | null;
  weather_ok: boolean | null;
  registered_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface HeartbeatsTable {
  id: ColumnType<number, never, never>;
  node_id: string;
  received_at: TimestampDefault;
  state: NodeState;
  current_target: string | null;
  weather_ok: boolean | null;
}

export interface MissionsTable {
  id: Generated<string>;
  name: string;
  target_name: string | null;
  ra_deg: number | null;
  dec_deg: number | null;
  filter: string;
  total_exposure_s: number;
  sub_exposure_s: number;
  cadence_s: number | null;
  window_start: Timestamp | null;
  window_end: Timestamp | null;
  priority: Generated<number>;
  constraints: JsonDefault<MissionConstraints>;
  state: ColumnType<MissionState, MissionState | undefined, MissionState>;
  delivered_exposure_s: Generated<number>;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
  completed_at: Timestamp | null;
}

export interface TasksTable {
  id: Generated<string>;
  mission_id: string;
  parent_task_id: string | null;
  state: ColumnType<TaskState, TaskState | undefined, TaskState>;
  exposure_s: number;
  delivered_exposure_s: Generated<number>;
  node_id: string | null;
  lease_expires_at: Timestamp | null;
  not_before: Timestamp | null;
  not_after: Timestamp | null;
  created_at: TimestampDefault;
  updated_at: TimestampDefault;
}

export interface ExposuresTable {
  id: Generated<string>;
  mission_id: string;
  task_id: string | null;
  node_id: string;
  started_at: Timestamp;
  exposure_s: number;
  filter: string;
  state: ColumnType<ExposureState, ExposureState | undefined, ExposureState>;
  rejection_reason: string | null;
  file_name: string | null;
  object_key: string | null;
  sha256: string | null;
  measurement: NullableJson<Record<string, unknown>>;
  created_at: TimestampDefault;
}

export interface CommandsTable {
  id: Generated<string>;
  node_id: string;
  task_id: string | null;
  kind: string;
  payload: JsonDefault<Record<string, unknown>>;
  state: ColumnType<CommandState, CommandState | undefined, CommandState>;
  attempts: Generated<number>;
  lease_expires_at: Timestamp | null;
  result: NullableJson<Record<string, unknown>>;
  created_at: TimestampDefault;
  acked_at: Timestamp | null;
  finished_at: Timestamp | null;
}

export interface Schema {
  schema_migrations: SchemaMigrationsTable;
  sites: SitesTable;
  nodes: NodesTable;
  heartbeats: HeartbeatsTable;
  missions: MissionsTable;
  tasks: TasksTable;
  exposures: ExposuresTable;
  commands: CommandsTable;
}

export type Site = Selectable<SitesTable>;
export type NewSite = Insertable<SitesTable>;
export type SiteUpdate = Updateable<SitesTable>;
export type Node = Selectable<NodesTable>;
export type NewNode = Insertable<NodesTable>;
export type NodeUpdate = Updateable<NodesTable>;
export type Heartbeat = Selectable<HeartbeatsTable>;
export type NewHeartbeat = Insertable<HeartbeatsTable>;
export type Mission = Selectable<MissionsTable>;
export type NewMission = Insertable<MissionsTable>;
export type MissionUpdate = Updateable<MissionsTable>;
export type Task = Selectable<TasksTable>;
export type NewTask = Insertable<TasksTable>;
export type TaskUpdate = Updateable<TasksTable>;
export type Exposure = Selectable<ExposuresTable>;
export type NewExposure = Insertable<ExposuresTable>;
export type Command = Selectable<CommandsTable>;
export type NewCommand = Insertable<CommandsTable>;
export type CommandUpdate = Updateable<CommandsTable>;

// ---- Pipeline (migration 0004, issue 8) --------------------------------------------------

export type PipelineState = 'received' | 'ingested' | 'rejected' | 'solved' | 'calibrated';
export type UploadState = 'OPEN' | 'COMPLETE';
export type PipelineJobState = 'queued' | 'active' | 'retry' | 'completed' | 'failed';

/** Columns ingest adds to a frame (declaration merging with ExposuresTable above). */
export interface ExposuresTable {
  /** '{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}': where the measurement and the FITS of a frame meet. */
  frame_key: string | null;
  /** Idempotency key of the compact measurement (client id, or SHA-256 of its JSON). */
  measurement_id: string | null;
  pipeline_state: ColumnType<PipelineState, PipelineState | undefined, PipelineState>;
  mid_utc: Timestamp | null;
  ra_deg: number | null;
  dec_deg: number | null;
  /** 'WCS' | 'RA/DEC' | 'OBJCTRA/OBJCTDEC'. */
  pointing_source: string | null;
  has_wcs: boolean | null;
  width: number | null;
  height: number | null;
  /** Header keywords kept by ingest (object, optics, instrument, site...). */
  header: NullableJson<Record<string, unknown>>;
  ingested_at: Timestamp | null;
}

export interface UploadsTable {
  id: Generated<string>;
  node_id: string;
  mission_id: string;
  task_id: string | null;
  file_name: string;
  frame_key: string;
  bytes: number;
  sha256: string;
  offset_bytes: Generated<number>;
  state: ColumnType<UploadState, UploadState | undefined, UploadState>;
  exposure_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: Timestamp;
}

export interface UploadPartsTable {
  upload_id: string;
  offset_bytes: number;
  bytes: number;
  object_key: string;
}

export interface PipelineJobsTable {
  id: Generated<string>;
  /** pg-boss job id (the same across retries). */
  job_id: string | null;
  dedupe_key: string;
  queue: string;
  stage: string;
  input: Json<Record<string, unknown>>;
  state: ColumnType<PipelineJobState, PipelineJobState | undefined, PipelineJobState>;
  attempts: Generated<number>;
  max_attempts: number;
  progress: Generated<number>;
  message: string | null;
  error: string | null;
  worker: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface ProductsTable {
  id: Generated<string>;
  mission_id: string;
  /** 'stack' (later 'lightcurve', 'periodogram', ...). */
  kind: string;
  object_key: string;
  sha256: string;
  summary: JsonDefault<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface Schema {
  uploads: UploadsTable;
  upload_parts: UploadPartsTable;
  pipeline_jobs: PipelineJobsTable;
  products: ProductsTable;
}

export type Upload = Selectable<UploadsTable>;
export type PipelineJob = Selectable<PipelineJobsTable>;
export type Product = Selectable<ProductsTable>;

// ---- Science stages (migration 0005, issue 8) ---------------------------------------------

export type SolveStatus = 'header' | 'solved' | 'failed';
export type FrameCalibrationStatus = 'calibrated' | 'solve_failed' | 'failed';

/** Plate-solution columns of a frame (declaration merging with ExposuresTable above). */
export interface ExposuresTable {
  solve_status: SolveStatus | null;
  solve_reason: string | null;
  /** The celestial WCS as FITS cards. */
  wcs: NullableJson<Record<string, string | number | boolean>>;
  /** A copy of the frame with the solved WCS in its header. */
  solved_object_key: string | null;
  calibrated_at: Timestamp | null;
}

export interface FrameAstrometry {
  source?: 'header' | 'solved';
  raDeg?: number;
  decDeg?: number;
  scaleArcsecPerPx?: number;
  rotationDeg?: number;
  matched?: number;
  rmsArcsec?: number;
}

export interface FrameCalibrationsTable {
  exposure_id: string;
  mission_id: string;
  node_id: string;
  filter: string;
  status: FrameCalibrationStatus;
  reason: string | null;
  astrometry: JsonDefault<FrameAstrometry>;
  zp: number | null;
  zp_err: number | null;
  colour_term: number | null;
  colour_term_err: number | null;
  colour_term_source: string | null;
  scatter: number | null;
  matched: number | null;
  used: number | null;
  fwhm_px: number | null;
  aperture_radius_px: number | null;
  target_mag: number | null;
  target_mag_err: number | null;
  target_x_px: number | null;
  target_y_px: number | null;
  target_flags: number | null;
  mid_utc: Timestamp | null;
  bjd_tdb: number | null;
  details: JsonDefault<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ColourTermsTable {
  site: string;
  camera: string;
  filter: string;
  colour_index: ColumnType<string, string | undefined, string>;
  measurement_id: string;
  value: number;
  err: number;
  stars: number | null;
  observed_at: Timestamp | null;
}

export interface LightcurvePointsTable {
  mission_id: string;
  exposure_id: string;
  node_id: string;
  band: string;
  site: string;
  bjd_tdb: number;
  mag: number;
  err: number;
  offset_mag: ColumnType<number, number | undefined, number>;
  kept: boolean;
}

export interface TransitEphemeridesTable {
  mission_id: string;
  planet: string;
  period_days: number;
  t0_bjd_tdb: number;
  shape: JsonDefault<Record<string, unknown>>;
  ttv: NullableJson<Record<string, unknown>>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ArchivalTransitTimesTable {
  mission_id: string;
  planet: string;
  bjd_tdb: number;
  sigma_days: number;
  source: string;
}

export interface Schema {
  frame_calibrations: FrameCalibrationsTable;
  colour_terms: ColourTermsTable;
  lightcurve_points: LightcurvePointsTable;
  transit_ephemerides: TransitEphemeridesTable;
  archival_transit_times: ArchivalTransitTimesTable;
}

export type FrameCalibration = Selectable<FrameCalibrationsTable>;
export type LightcurvePoint = Selectable<LightcurvePointsTable>;
export type TransitEphemerisRow = Selectable<TransitEphemeridesTable>;
