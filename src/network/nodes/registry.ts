/**
 * Node registration and lookup. A node is one telescope + camera at a site. Registration
 * checks the optics, stores the node PARKED with its token's hash, and hands the token
 * back once: it cannot be recovered later.
 */
import type { Kysely } from 'kysely';
import type { Node, NodeState, Schema } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { nodeFieldOfViewDeg, nodePixelScaleArcsec, type FieldOfView } from './optics.js';
import { generateNodeToken, hashToken } from './tokens.js';
import { requireSiteExists } from './sites.js';
import { isUuid, requireInteger, requireNow, requireNumber, requireText } from './validate.js';

/** Heartbeat interval bounds, seconds (ARCHITECTURE: every 15–30 s). */
export const MIN_HEARTBEAT_INTERVAL_S = 15;
export const MAX_HEARTBEAT_INTERVAL_S = 30;
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;

export const NODE_STATES: readonly NodeState[] = ['ONLINE', 'BUSY', 'PARKED', 'FAULTED'];

export interface NodeInput {
  siteId: string;
  name: string;
  apertureMm: number;
  focalLengthMm: number;
  pixelSizeUm: number;
  sensorWidthPx: number;
  sensorHeightPx: number;
  /** Filter names the node can put in the beam; non-empty, unique. */
  filters: string[];
  gainEPerAdu?: number | null;
  readNoiseE?: number | null;
  /** 15–30 s; default 30. */
  heartbeatIntervalS?: number;
}

export interface NodeInfo {
  id: string;
  siteId: string;
  name: string;
  state: NodeState;
  apertureMm: number;
  focalLengthMm: number;
  pixelSizeUm: number;
  sensorWidthPx: number;
  sensorHeightPx: number;
  filters: string[];
  gainEPerAdu: number | null;
  readNoiseE: number | null;
  heartbeatIntervalS: number;
  lastHeartbeatAt: Date | null;
  currentTarget: string | null;
  weatherOk: boolean | null;
  registeredAt: Date;
  updatedAt: Date;
  /** Derived: arcsec per pixel on the optical axis. */
  pixelScaleArcsec: number;
  /** Derived: angular size of the sensor. */
  fieldOfView: FieldOfView;
}

type CheckedNodeInput = Required<Omit<NodeInput, 'siteId'>>;

/** Checks everything but the site's existence (which needs the database). */
export function validateNodeInput(input: NodeInput): CheckedNodeInput {
  if (input === null || typeof input !== 'object') throw new NetworkError('BAD_REQUEST', 'node: must be an object');
  const name = requireText(input.name, 'name');
  const apertureMm = requireNumber(input.apertureMm, 'apertureMm', { min: 0, exclusiveMin: true, max: 1e5 });
  const focalLengthMm = requireNumber(input.focalLengthMm, 'focalLengthMm', { min: 0, exclusiveMin: true, max: 1e6 });
  const pixelSizeUm = requireNumber(input.pixelSizeUm, 'pixelSizeUm', { min: 0, exclusiveMin: true, max: 1000 });
  const sensorWidthPx = requireInteger(input.sensorWidthPx, 'sensorWidthPx', 1, 1 << 20);
  const sensorHeightPx = requireInteger(input.sensorHeightPx, 'sensorHeightPx', 1, 1 << 20);
  const filters = validateFilters(input.filters);
  const gainEPerAdu =
    input.gainEPerAdu === undefined || input.gainEPerAdu === null
      ? null
      : requireNumber(input.gainEPerAdu, 'gainEPerAdu', { min: 0, exclusiveMin: true, max: 1e6 });
  const readNoiseE =
    input.readNoiseE === undefined || input.readNoiseE === null ? null : requireNumber(input.readNoiseE, 'readNoiseE', { min: 0, max: 1e6 });
  const heartbeatIntervalS = requireInteger(
    input.heartbeatIntervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S,
    'heartbeatIntervalS',
    MIN_HEARTBEAT_INTERVAL_S,
    MAX_HEARTBEAT_INTERVAL_S,
  );
  return { name, apertureMm, focalLengthMm, pixelSizeUm, sensorWidthPx, sensorHeightPx, filters, gainEPerAdu, readNoiseE, heartbeatIntervalS };
}

function validateFilters(filters: unknown): string[] {
  if (!Array.isArray(filters)) throw new NetworkError('BAD_REQUEST', 'filters: must be an array of filter names');
  if (filters.length === 0) throw new NetworkError('BAD_REQUEST', 'filters: must name at least one filter');
  if (filters.length > 64) throw new NetworkError('BAD_REQUEST', `filters: at most 64 filters, got ${filters.length}`);
  const seen = new Set<string>();
  return filters.map((f: unknown, i) => {
    const name = requireText(f, `filters[${i}]`, 64);
    if (seen.has(name)) throw new NetworkError('BAD_REQUEST', `filters[${i}]: '${name}' is listed twice`);
    seen.add(name);
    return name;
  });
}

export function nodeInfo(row: Node): NodeInfo {
  const optics = {
    focalLengthMm: row.focal_length_mm,
    pixelSizeUm: row.pixel_size_um,
    sensorWidthPx: row.sensor_width_px,
    sensorHeightPx: row.sensor_height_px,
  };
  return {
    id: row.id,
    siteId: row.site_id,
    name: row.name,
    state: row.state,
    apertureMm: row.aperture_mm,
    focalLengthMm: row.focal_length_mm,
    pixelSizeUm: row.pixel_size_um,
    sensorWidthPx: row.sensor_width_px,
    sensorHeightPx: row.sensor_height_px,
    filters: row.filters,
    gainEPerAdu: row.gain_e_per_adu,
    readNoiseE: row.read_noise_e,
    heartbeatIntervalS: row.heartbeat_interval_s,
    lastHeartbeatAt: row.last_heartbeat_at,
    currentTarget: row.current_target,
    weatherOk: row.weather_ok,
    registeredAt: row.registered_at,
    updatedAt: row.updated_at,
    pixelScaleArcsec: nodePixelScaleArcsec(optics),
    fieldOfView: nodeFieldOfViewDeg(optics),
  };
}

export interface RegisterNodeOptions {
  /** Token source (tests fix it); default 32 bytes from the system CSPRNG. */
  generateToken?: () => string;
}

/**
 * Register a node at an existing site. Returns the node and its token; only the token's
 * SHA-256 is stored. The node starts PARKED; the fault sweeper counts its silence from
 * registration until the first heartbeat.
 */
export async function registerNode(
  db: Kysely<Schema>,
  input: NodeInput,
  now: Date,
  opts: RegisterNodeOptions = {},
): Promise<{ node: NodeInfo; token: string }> {
  requireNow(now);
  const n = validateNodeInput(input);
  const siteId = await requireSiteExists(db, input.siteId);
  const token = (opts.generateToken ?? generateNodeToken)();
  const row = await db
    .insertInto('nodes')
    .values({
      site_id: siteId,
      name: n.name,
      token_hash: hashToken(token),
      state: 'PARKED',
      aperture_mm: n.apertureMm,
      focal_length_mm: n.focalLengthMm,
      pixel_size_um: n.pixelSizeUm,
      sensor_width_px: n.sensorWidthPx,
      sensor_height_px: n.sensorHeightPx,
      filters: JSON.stringify(n.filters),
      gain_e_per_adu: n.gainEPerAdu,
      read_noise_e: n.readNoiseE,
      heartbeat_interval_s: n.heartbeatIntervalS,
      registered_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { node: nodeInfo(row), token };
}

/** The node, or NOT_FOUND. */
export async function getNode(db: Kysely<Schema>, nodeId: string): Promise<NodeInfo> {
  const row = isUuid(nodeId) ? await db.selectFrom('nodes').selectAll().where('id', '=', nodeId).executeTakeFirst() : undefined;
  if (!row) throw new NetworkError('NOT_FOUND', `no node with id '${String(nodeId)}'`);
  return nodeInfo(row);
}

export interface ListNodesFilter {
  siteId?: string;
  state?: NodeState;
  /** Page size, 1 … 10000 (default 1000). */
  limit?: number;
  offset?: number;
}

/** Nodes by name, optionally at one site and/or in one state. */
export async function listNodes(db: Kysely<Schema>, filter: ListNodesFilter = {}): Promise<NodeInfo[]> {
  const limit = requireInteger(filter.limit ?? 1000, 'limit', 1, 10_000);
  const offset = requireInteger(filter.offset ?? 0, 'offset', 0, Number.MAX_SAFE_INTEGER);
  let q = db.selectFrom('nodes').selectAll();
  if (filter.siteId !== undefined) {
    // An id that cannot exist matches nothing rather than failing in the driver.
    if (!isUuid(filter.siteId)) return [];
    q = q.where('site_id', '=', filter.siteId);
  }
  if (filter.state !== undefined) {
    if (!NODE_STATES.includes(filter.state)) {
      throw new NetworkError('BAD_REQUEST', `state: must be one of ${NODE_STATES.join(', ')}, got '${String(filter.state)}'`);
    }
    q = q.where('state', '=', filter.state);
  }
  const rows = await q.orderBy('name').orderBy('id').limit(limit).offset(offset).execute();
  return rows.map(nodeInfo);
}
