/**
 * The compact upload tier: a node's own photometry of a frame (~1 KB of JSON) sent as soon
 * as the frame is taken, long before its FITS file gets through a slow link.
 *
 * It is stored on the frame's exposure row (exposures.measurement), found or created by the
 * frame key '{missionId}/{nodeId}/{YYYYMMDDTHHMMSS}' (from `fileName`, or from `startUtc`),
 * so the FITS file arriving later completes the same row, and a FITS file that came first
 * gets the measurement added. Idempotent by `id` (the client's) or else by the SHA-256 of
 * the canonical JSON: the same measurement again is a duplicate; a different one for the
 * same frame (the node re-reduced it) replaces it. A measurement alone does not credit
 * exposure: credit needs the frame's checks, which need the pixels.
 */
import { createHash } from 'node:crypto';
import type { Database } from '../../platform/db/database.js';
import type { Clock } from '../../network/clock.js';
import { PipelineError } from '../errors.js';
import { checkAssignment, requireUuid } from './assignment.js';
import { formatFrameFileName, frameKey, parseFrameFileName } from './file-name.js';

export interface PhotometryValue {
  mag?: number;
  flux?: number;
  err: number;
}

export interface ComparisonStar extends PhotometryValue {
  id?: string;
  raDeg?: number;
  decDeg?: number;
  /** Catalog magnitude of the comparison, in the mission's filter. */
  catalogMag?: number;
}

export interface Measurement {
  /** Client-chosen idempotency key (e.g. the agent's outbox id). */
  id?: string;
  missionId: string;
  taskId?: string;
  /** The frame's file name (ObsReq-…), or else `startUtc`. */
  fileName?: string;
  /** Start of the exposure, ISO-8601 UTC. */
  startUtc?: string;
  /** Mid-exposure time of the photometry, ISO-8601 UTC. */
  timeUtc: string;
  exposureS: number;
  filter: string;
  target: PhotometryValue;
  comparisons: ComparisonStar[];
  /** Quality flags as the node sets them (e.g. ['saturated', 'clouds']). */
  flags?: string[];
}

export interface MeasurementResult {
  exposureId: string;
  measurementId: string;
  /** The same measurement was stored before: nothing changed. */
  duplicate: boolean;
  /** A different measurement of the same frame was replaced. */
  replaced: boolean;
}

const MAX_COMPARISONS = 500;

function finite(v: unknown, field: string, opts: { min?: number; max?: number } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    const range = opts.min !== undefined || opts.max !== undefined ? ` in [${opts.min ?? '-∞'}, ${opts.max ?? '∞'}]` : '';
    throw new PipelineError('BAD_REQUEST', `${field}: must be a finite number${range}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function text(v: unknown, field: string, max: number): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > max) throw new PipelineError('BAD_REQUEST', `${field}: a non-empty string of at most ${max} characters is required`);
  return v;
}

function isoTime(v: unknown, field: string): Date {
  const s = text(v, field, 40);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) {
    throw new PipelineError('BAD_REQUEST', `${field}: an ISO-8601 UTC time with a zone (e.g. 2026-03-01T21:04:05.2Z) is required, got ${JSON.stringify(v)}`);
  }
  const d = new Date(s);
  if (!Number.isFinite(d.getTime())) throw new PipelineError('BAD_REQUEST', `${field}: ${JSON.stringify(v)} is not a valid time`);
  return d;
}

function photometry(v: unknown, field: string): PhotometryValue {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new PipelineError('BAD_REQUEST', `${field}: an object {mag|flux, err} is required`);
  const o = v as Record<string, unknown>;
  const out: PhotometryValue = { err: finite(o.err, `${field}.err`, { min: 0 }) };
  if (o.mag !== undefined) out.mag = finite(o.mag, `${field}.mag`, { min: -30, max: 40 });
  if (o.flux !== undefined) out.flux = finite(o.flux, `${field}.flux`);
  if (out.mag === undefined && out.flux === undefined) throw new PipelineError('BAD_REQUEST', `${field}: mag or flux is required`);
  return out;
}

/** Check and normalise a measurement body (unknown fields are dropped). */
export function validateMeasurement(body: unknown): Measurement {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new PipelineError('BAD_REQUEST', 'the measurement must be a JSON object');
  const b = body as Record<string, unknown>;
  const m: Measurement = {
    missionId: requireUuid(b.missionId, 'missionId'),
    timeUtc: isoTime(b.timeUtc, 'timeUtc').toISOString(),
    exposureS: finite(b.exposureS, 'exposureS', { min: 0, max: 86_400 }),
    filter: text(b.filter, 'filter', 32).trim(),
    target: photometry(b.target, 'target'),
    comparisons: [],
  };
  if (b.id !== undefined) m.id = text(b.id, 'id', 128);
  if (b.taskId !== undefined && b.taskId !== null) m.taskId = requireUuid(b.taskId, 'taskId');
  if (b.fileName !== undefined) m.fileName = text(b.fileName, 'fileName', 300);
  if (b.startUtc !== undefined) m.startUtc = isoTime(b.startUtc, 'startUtc').toISOString();
  if (m.fileName === undefined && m.startUtc === undefined) throw new PipelineError('BAD_REQUEST', 'fileName or startUtc is required to identify the frame');
  if (!Array.isArray(b.comparisons)) throw new PipelineError('BAD_REQUEST', 'comparisons: an array is required (may be empty)');
  if (b.comparisons.length > MAX_COMPARISONS) throw new PipelineError('BAD_REQUEST', `comparisons: at most ${MAX_COMPARISONS}`);
  m.comparisons = b.comparisons.map((c, i) => {
    const p = photometry(c, `comparisons[${i}]`) as ComparisonStar;
    const o = c as Record<string, unknown>;
    if (o.id !== undefined) p.id = text(o.id, `comparisons[${i}].id`, 64);
    if (o.raDeg !== undefined) p.raDeg = finite(o.raDeg, `comparisons[${i}].raDeg`, { min: 0, max: 360 });
    if (o.decDeg !== undefined) p.decDeg = finite(o.decDeg, `comparisons[${i}].decDeg`, { min: -90, max: 90 });
    if (o.catalogMag !== undefined) p.catalogMag = finite(o.catalogMag, `comparisons[${i}].catalogMag`, { min: -30, max: 40 });
    return p;
  });
  if (b.flags !== undefined) {
    if (!Array.isArray(b.flags) || b.flags.length > 32) throw new PipelineError('BAD_REQUEST', 'flags: an array of at most 32 strings is required');
    m.flags = b.flags.map((f, i) => text(f, `flags[${i}]`, 64));
  }
  return m;
}

/** JSON with keys sorted at every level: the same measurement always hashes the same. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export async function recordMeasurement(deps: { database: Database; clock: Clock }, nodeId: string, body: unknown): Promise<MeasurementResult> {
  const m = validateMeasurement(body);
  let startUtc: Date;
  if (m.fileName !== undefined) {
    const name = parseFrameFileName(m.fileName);
    if (name.nodeId.toLowerCase() !== nodeId.toLowerCase()) throw new PipelineError('FORBIDDEN', `fileName names node ${name.nodeId}, but the measurement comes from node ${nodeId}`);
    if (name.missionId.toLowerCase() !== m.missionId) throw new PipelineError('BAD_REQUEST', `fileName names mission ${name.missionId}, the body ${m.missionId}`);
    startUtc = name.startUtc;
  } else startUtc = new Date(m.startUtc as string);
  await checkAssignment(deps.database.db, nodeId, m.missionId, m.taskId ?? null);

  const measurementId = m.id ?? createHash('sha256').update(canonicalJson(m)).digest('hex');
  const key = frameKey(m.missionId, nodeId, startUtc);
  const fileName = m.fileName ?? formatFrameFileName(m.missionId, nodeId, startUtc);
  const now = deps.clock.now();
  const json = JSON.stringify(m);
  return deps.database.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto('exposures')
      .values({
        mission_id: m.missionId,
        task_id: m.taskId ?? null,
        node_id: nodeId,
        started_at: startUtc,
        exposure_s: m.exposureS,
        filter: m.filter,
        file_name: fileName,
        frame_key: key,
        measurement: json,
        measurement_id: measurementId,
        created_at: now,
      })
      .onConflict((oc) => oc.column('frame_key').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return { exposureId: inserted.id, measurementId, duplicate: false, replaced: false };
    const row = await trx.selectFrom('exposures').select(['id', 'measurement_id', 'node_id']).where('frame_key', '=', key).forUpdate().executeTakeFirstOrThrow();
    if (row.node_id !== nodeId) throw new PipelineError('FORBIDDEN', `frame ${key} belongs to another node`);
    if (row.measurement_id === measurementId) return { exposureId: row.id, measurementId, duplicate: true, replaced: false };
    const replaced = row.measurement_id !== null;
    await trx.updateTable('exposures').set({ measurement: json, measurement_id: measurementId }).where('id', '=', row.id).execute();
    return { exposureId: row.id, measurementId, duplicate: false, replaced };
  });
}
