/**
 * Resumable FITS uploads (the second upload tier), independent of HTTP.
 *
 * A session (uploads row) is created with the file name, size and SHA-256; chunks are
 * appended at the current offset, each stored as its own temporary object
 * (`uploads/tmp/{uploadId}/{offset}-{random}`) and recorded in upload_parts in the same
 * step that advances the offset — so the offset in the database always counts bytes that
 * are safely stored, any server instance can take the next chunk, and a chunk cut off by
 * a dropped connection or a killed server is simply not counted (the client asks for the
 * offset and sends the rest).
 *
 * When the last byte is in: the parts are assembled, the SHA-256 verified, the FITS decoded
 * (a corrupt tile is found here), the file name checked against the uploading node and the
 * header's DATE-OBS, the bytes stored under a content-addressed key, and then in ONE
 * transaction the exposure row is written (or the compact measurement's row completed) and
 * the ingest job enqueued. Until then no exposure row exists. A bad upload is discarded
 * whole: session, parts and temporary objects. The same bytes uploaded twice are stored
 * once: the second upload answers with the first exposure (`duplicate: true`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database } from '../../platform/db/database.js';
import type { Exposure, Schema, Upload } from '../../platform/db/schema.js';
import type { Jobs } from '../../platform/jobs/index.js';
import type { Clock } from '../../network/clock.js';
import type { ObjectStoreLike } from '../../server/context.js';
import { midExposureUtc } from '../../science/time/exposure.js';
import { jdToIso } from '../../science/time/julian.js';
import { enqueueStage } from '../enqueue.js';
import { PipelineError } from '../errors.js';
import { readObject } from '../objects.js';
import { checkAssignment, requireUuid } from './assignment.js';
import { frameKey, parseFrameFileName } from './file-name.js';
import { frameKeywords, readFrame, type FrameImage } from './frame.js';

export interface UploadLimits {
  /** Largest file accepted, bytes (default 512 MiB; at most 2 GiB − 1, the FITS reader's limit). */
  maxUploadBytes: number;
  /** Largest chunk in one request, bytes (default 64 MiB). */
  maxChunkBytes: number;
  /** An idle session is discarded after this many seconds (default 24 h). */
  sessionTtlS: number;
  /**
   * Largest difference allowed between the file name's time (whole seconds, truncated) and
   * the header's exposure start, seconds (default 2).
   */
  dateToleranceS: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxUploadBytes: 512 * 1024 * 1024,
  maxChunkBytes: 64 * 1024 * 1024,
  sessionTtlS: 24 * 3600,
  dateToleranceS: 2,
};

export interface UploadDeps {
  database: Database;
  storage: ObjectStoreLike;
  /** Required to finish an upload: the exposure row and its ingest job commit together. */
  jobs?: Jobs;
  clock: Clock;
  limits: UploadLimits;
}

export interface UploadStatus {
  uploadId: string;
  fileName: string;
  bytes: number;
  offset: number;
  state: 'OPEN' | 'COMPLETE';
  exposureId: string | null;
  expiresAt: string;
}

export interface FinishedUpload {
  uploadId: string | null;
  exposureId: string;
  /** True when these bytes were already stored for an earlier upload: nothing new was stored. */
  duplicate: boolean;
  objectKey: string;
  sha256: string;
}

export interface CreateUploadInput {
  fileName: unknown;
  bytes: unknown;
  sha256: unknown;
  taskId?: unknown;
}

const SHA256_RE = /^[0-9a-f]{64}$/;
const FITS_START = Buffer.from('SIMPLE  =', 'latin1');

/** Content-addressed key of a frame's bytes. */
export function frameObjectKey(sha256: string): string {
  return `frames/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}.fits`;
}

function partKey(uploadId: string, offset: number): string {
  return `uploads/tmp/${uploadId}/${String(offset).padStart(12, '0')}-${randomBytes(6).toString('hex')}`;
}

function statusOf(row: Upload): UploadStatus {
  return {
    uploadId: row.id,
    fileName: row.file_name,
    bytes: row.bytes,
    offset: row.offset_bytes,
    state: row.state,
    exposureId: row.exposure_id,
    expiresAt: new Date(row.expires_at).toISOString(),
  };
}

async function loadUpload(db: Kysely<Schema>, nodeId: string, uploadId: string): Promise<Upload> {
  const id = requireUuid(uploadId, 'upload id');
  const row = await db.selectFrom('uploads').selectAll().where('id', '=', id).executeTakeFirst();
  // Another node's upload is as good as absent: ids are not secrets, but sessions are private.
  if (!row || row.node_id !== nodeId) throw new PipelineError('NOT_FOUND', `no upload '${uploadId}' for this node`);
  return row;
}

async function existingBySha(db: Kysely<Schema>, sha256: string): Promise<Exposure | undefined> {
  return db.selectFrom('exposures').selectAll().where('sha256', '=', sha256).executeTakeFirst();
}

/**
 * Open an upload session. Checks the name (mission, node = the caller), the mission's
 * assignment and the size up front, so a bad upload is refused before any byte is sent.
 * When an exposure with this SHA-256 exists already, returns it instead (nothing to send).
 */
export async function createUpload(deps: UploadDeps, nodeId: string, input: CreateUploadInput): Promise<UploadStatus | FinishedUpload> {
  const { database, clock, limits } = deps;
  if (typeof input.fileName !== 'string') throw new PipelineError('BAD_REQUEST', 'fileName: a string is required');
  const name = parseFrameFileName(input.fileName);
  if (name.nodeId.toLowerCase() !== nodeId.toLowerCase()) {
    throw new PipelineError('FORBIDDEN', `fileName names node ${name.nodeId}, but the upload comes from node ${nodeId}`);
  }
  const missionId = requireUuid(name.missionId, 'fileName mission id');
  const bytes = input.bytes;
  if (typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 2880) {
    throw new PipelineError('BAD_REQUEST', `bytes: the file size in bytes (≥ 2880, one FITS block) is required, got ${JSON.stringify(bytes)}`);
  }
  const maxBytes = Math.min(limits.maxUploadBytes, 2 ** 31 - 1);
  if (bytes > maxBytes) throw new PipelineError('TOO_LARGE', `the file is ${bytes} bytes; the limit is ${maxBytes}`, { details: { limit: maxBytes } });
  if (typeof input.sha256 !== 'string' || !SHA256_RE.test(input.sha256.toLowerCase())) {
    throw new PipelineError('BAD_REQUEST', 'sha256: 64 hex digits (the SHA-256 of the whole file) are required');
  }
  const sha256 = input.sha256.toLowerCase();
  const taskId = input.taskId === undefined || input.taskId === null ? null : requireUuid(input.taskId, 'taskId');
  await checkAssignment(database.db, nodeId, missionId, taskId);

  const dup = await existingBySha(database.db, sha256);
  if (dup) {
    if (dup.node_id !== nodeId) throw new PipelineError('CONFLICT', `these bytes were already uploaded by another node (exposure ${dup.id})`);
    return { uploadId: null, exposureId: dup.id, duplicate: true, objectKey: dup.object_key ?? '', sha256 };
  }
  const key = frameKey(missionId, nodeId, name.startUtc);
  const same = await database.db.selectFrom('exposures').select(['id', 'sha256']).where('frame_key', '=', key).executeTakeFirst();
  if (same && same.sha256 !== null && same.sha256 !== sha256) {
    throw new PipelineError('CONFLICT', `frame ${input.fileName} was already uploaded with other bytes (exposure ${same.id})`);
  }
  const now = clock.now();
  const row = await database.db
    .insertInto('uploads')
    .values({
      node_id: nodeId,
      mission_id: missionId,
      task_id: taskId,
      file_name: input.fileName,
      frame_key: key,
      bytes,
      sha256,
      created_at: now,
      updated_at: now,
      expires_at: new Date(now.getTime() + limits.sessionTtlS * 1000),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return statusOf(row);
}

export async function uploadStatus(deps: UploadDeps, nodeId: string, uploadId: string): Promise<UploadStatus> {
  return statusOf(await loadUpload(deps.database.db, nodeId, uploadId));
}

/** Stream `body` through, failing with TOO_LARGE past `limit` bytes; remembers the first bytes. */
function limited(body: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array>, limit: number, head: { bytes: Buffer }): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    let n = 0;
    for await (const c of body) {
      const b = typeof c === 'string' ? Buffer.from(c) : Buffer.isBuffer(c) ? c : Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      n += b.length;
      if (n > limit) throw new PipelineError('TOO_LARGE', `the chunk goes past ${limit} bytes (the rest of the declared size, or the chunk limit)`, { details: { limit } });
      if (head.bytes.length < FITS_START.length) head.bytes = Buffer.concat([head.bytes, b.subarray(0, FITS_START.length - head.bytes.length)]);
      yield b;
    }
  }
  return Readable.from(gen(), { objectMode: false });
}

export interface AppendResult {
  status: UploadStatus;
  /** Present when this chunk completed the upload. */
  finished?: FinishedUpload;
}

/**
 * Append a chunk at `offset` (which must equal the bytes received so far: else
 * OFFSET_MISMATCH with the current offset). An empty chunk at the end finishes an upload
 * whose last chunk was stored but not finished (server stopped in between).
 */
export async function appendChunk(
  deps: UploadDeps,
  nodeId: string,
  uploadId: string,
  offset: number,
  body: AsyncIterable<Buffer | Uint8Array | string> | Iterable<Buffer | Uint8Array> | undefined,
): Promise<AppendResult> {
  const { database, storage, clock, limits } = deps;
  const up = await loadUpload(database.db, nodeId, uploadId);
  if (up.state === 'COMPLETE') {
    if (offset !== up.bytes) throw mismatch(up.bytes, offset);
    return { status: statusOf(up), finished: await finishUpload(deps, nodeId, up.id) };
  }
  if (!Number.isSafeInteger(offset) || offset < 0) throw new PipelineError('BAD_REQUEST', `Upload-Offset: a byte offset is required, got ${offset}`);
  if (offset !== up.offset_bytes) throw mismatch(up.offset_bytes, offset);
  const remaining = up.bytes - up.offset_bytes;
  let received = 0;
  if (remaining > 0 && body !== undefined) {
    const key = partKey(up.id, offset);
    const head = { bytes: Buffer.alloc(0) };
    try {
      const put = await storage.put(key, limited(body, Math.min(remaining, limits.maxChunkBytes), head));
      received = put.bytes;
    } catch (err) {
      await storage.delete(key).catch(() => {});
      throw unwrapLimit(err);
    }
    if (received > 0 && offset === 0 && head.bytes.length >= Math.min(FITS_START.length, up.bytes) && !head.bytes.equals(FITS_START.subarray(0, head.bytes.length))) {
      await storage.delete(key).catch(() => {});
      await discardUpload(deps, up.id);
      throw new PipelineError('NOT_FITS', `${up.file_name} is not a FITS file: it does not start with 'SIMPLE  ='`);
    }
    if (received === 0) await storage.delete(key).catch(() => {});
    else {
      const now = clock.now();
      const advanced = await database.db.transaction().execute(async (trx) => {
        const r = await trx
          .updateTable('uploads')
          .set({ offset_bytes: offset + received, updated_at: now, expires_at: new Date(now.getTime() + limits.sessionTtlS * 1000) })
          .where('id', '=', up.id)
          .where('offset_bytes', '=', offset)
          .where('state', '=', 'OPEN')
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) !== 1) return false;
        await trx.insertInto('upload_parts').values({ upload_id: up.id, offset_bytes: offset, bytes: received, object_key: key }).execute();
        return true;
      });
      if (!advanced) {
        // Another request for the same offset won the race; ours is not counted.
        await storage.delete(key).catch(() => {});
        const now2 = await loadUpload(database.db, nodeId, up.id);
        throw mismatch(now2.offset_bytes, offset);
      }
    }
  } else if (body !== undefined) {
    // Nothing more is expected; anything sent is past the declared size.
    for await (const c of body) {
      if (c.length > 0) throw new PipelineError('TOO_LARGE', `the upload already has all ${up.bytes} bytes`, { details: { limit: 0 } });
    }
  }
  const after = await loadUpload(database.db, nodeId, up.id);
  if (after.offset_bytes < after.bytes) return { status: statusOf(after) };
  const finished = await finishUpload(deps, nodeId, up.id);
  return { status: statusOf(await loadUpload(database.db, nodeId, up.id)), finished };
}

function mismatch(current: number, given: number): PipelineError {
  return new PipelineError('OFFSET_MISMATCH', `Upload-Offset ${given} does not match the ${current} bytes received; resume at ${current}`, {
    details: { offset: current },
  });
}

/** Storage wraps stream errors; bring our own TOO_LARGE back to the surface. */
function unwrapLimit(err: unknown): unknown {
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e instanceof PipelineError) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return err;
}

/** Remove a session, its parts and their objects (a bad or abandoned upload leaves nothing). */
export async function discardUpload(deps: Pick<UploadDeps, 'database' | 'storage'>, uploadId: string): Promise<void> {
  const parts = await deps.database.db.selectFrom('upload_parts').select('object_key').where('upload_id', '=', uploadId).execute();
  for (const p of parts) await deps.storage.delete(p.object_key).catch(() => {});
  await deps.database.db.deleteFrom('uploads').where('id', '=', uploadId).where('state', '=', 'OPEN').execute();
}

/** The node gives up an upload (DELETE): its parts are removed. A finished upload stays. */
export async function cancelUpload(deps: UploadDeps, nodeId: string, uploadId: string): Promise<void> {
  const up = await loadUpload(deps.database.db, nodeId, uploadId);
  if (up.state === 'OPEN') await discardUpload(deps, up.id);
}

async function assemble(deps: UploadDeps, uploadId: string, bytes: number): Promise<Buffer> {
  const parts = await deps.database.db
    .selectFrom('upload_parts')
    .selectAll()
    .where('upload_id', '=', uploadId)
    .orderBy('offset_bytes')
    .execute();
  const buffers: Uint8Array[] = [];
  let at = 0;
  for (const p of parts) {
    if (p.offset_bytes !== at) throw new PipelineError('STAGE_FAILED', `upload ${uploadId}: part at ${p.offset_bytes} does not follow byte ${at}`);
    const b = await readObject(deps.storage, p.object_key, p.bytes);
    if (b.length !== p.bytes) throw new PipelineError('STAGE_FAILED', `upload ${uploadId}: stored part at ${p.offset_bytes} has ${b.length} bytes, ${p.bytes} recorded`);
    buffers.push(b);
    at += b.length;
  }
  if (at !== bytes) throw new PipelineError('STAGE_FAILED', `upload ${uploadId}: ${at} bytes stored of ${bytes}`);
  return Buffer.concat(buffers, at);
}

/** UTC start of the exposure from the header, for the check against the file name. */
function headerStart(frame: FrameImage): Date {
  const kw = frameKeywords(frame);
  let start: Date | undefined;
  try {
    const mid = midExposureUtc(kw);
    if (mid.startJdUtc) start = new Date(`${jdToIso(mid.startJdUtc, { digits: 3 }).replace(/:60(\.\d+)?$/, ':59.999')}Z`);
  } catch (err) {
    throw new PipelineError('HEADER_MISMATCH', `the header does not date the exposure: ${(err as Error).message}`);
  }
  if (!start || !Number.isFinite(start.getTime())) {
    throw new PipelineError('HEADER_MISMATCH', 'the header gives no exposure start (DATE-OBS) to check against the file name');
  }
  return start;
}

function headerNumber(frame: FrameImage, keys: string[]): number | undefined {
  const kw = frameKeywords(frame);
  for (const k of keys) {
    const v = kw.get(k);
    const x = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN;
    if (Number.isFinite(x)) return x;
  }
  return undefined;
}

/**
 * Finish a complete upload (idempotent: a finished one answers with its exposure). Any
 * validation failure discards the upload and throws the reason.
 */
export async function finishUpload(deps: UploadDeps, nodeId: string, uploadId: string): Promise<FinishedUpload> {
  const { database, storage, jobs, limits } = deps;
  const up = await loadUpload(database.db, nodeId, uploadId);
  if (up.state === 'COMPLETE' && up.exposure_id !== null) {
    const e = await database.db.selectFrom('exposures').select(['id', 'object_key', 'sha256']).where('id', '=', up.exposure_id).executeTakeFirst();
    return { uploadId: up.id, exposureId: up.exposure_id, duplicate: false, objectKey: e?.object_key ?? '', sha256: up.sha256 };
  }
  if (up.offset_bytes < up.bytes) throw new PipelineError('BAD_REQUEST', `upload ${up.id} has ${up.offset_bytes} of ${up.bytes} bytes; send the rest first`);
  if (!jobs) throw new PipelineError('UNAVAILABLE', 'the job queue is not running on this server; cannot take frames now');

  let bytes: Buffer;
  let finished: FinishedUpload;
  try {
    bytes = await assemble(deps, up.id, up.bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (sha256 !== up.sha256) {
      throw new PipelineError('CHECKSUM_MISMATCH', `the ${up.bytes} bytes received have SHA-256 ${sha256}, not the declared ${up.sha256}; upload again`);
    }
    const dup = await existingBySha(database.db, sha256);
    if (dup) finished = await completeAsDuplicate(deps, up.id, dup);
    else {
      const frame = await readFrame(bytes);
      const name = parseFrameFileName(up.file_name);
      const start = headerStart(frame);
      const diffS = (start.getTime() - name.startUtc.getTime()) / 1000;
      // The name's time is truncated to the second: the header may be up to 1 s later.
      if (diffS < -limits.dateToleranceS || diffS > 1 + limits.dateToleranceS) {
        throw new PipelineError(
          'HEADER_MISMATCH',
          `the file name says the exposure started at ${name.startUtc.toISOString()}, the header (DATE-OBS) says ${start.toISOString()}`,
        );
      }
      const exposureS = headerNumber(frame, ['EXPTIME', 'EXPOSURE']);
      const filterRaw = frameKeywords(frame).get('FILTER');
      const key = frameObjectKey(sha256);
      await storage.put(key, bytes, { contentType: 'application/fits' });
      finished = await recordFrame(deps, up, { key, sha256, start, exposureS, filter: typeof filterRaw === 'string' && filterRaw.trim() !== '' ? filterRaw.trim() : null }).catch(async (err: unknown) => {
        // Not recorded: remove the object unless another exposure already points at it.
        const used = await existingBySha(database.db, sha256);
        if (!used) await storage.delete(key).catch(() => {});
        throw err;
      });
    }
  } catch (err) {
    // A concurrent finisher may have completed it meanwhile; then that answer stands.
    const again = await database.db.selectFrom('uploads').selectAll().where('id', '=', up.id).executeTakeFirst();
    if (again?.state === 'COMPLETE' && again.exposure_id !== null) {
      return { uploadId: up.id, exposureId: again.exposure_id, duplicate: false, objectKey: frameObjectKey(again.sha256), sha256: again.sha256 };
    }
    if (err instanceof PipelineError && err.status < 500) await discardUpload(deps, up.id);
    throw err;
  }
  await removeParts(deps, up.id);
  return finished;
}

async function removeParts(deps: Pick<UploadDeps, 'database' | 'storage'>, uploadId: string): Promise<void> {
  const parts = await deps.database.db.selectFrom('upload_parts').select('object_key').where('upload_id', '=', uploadId).execute();
  for (const p of parts) await deps.storage.delete(p.object_key).catch(() => {});
  await deps.database.db.deleteFrom('upload_parts').where('upload_id', '=', uploadId).execute();
}

async function completeAsDuplicate(deps: UploadDeps, uploadId: string, dup: Exposure): Promise<FinishedUpload> {
  const up = await deps.database.db.selectFrom('uploads').select(['node_id', 'sha256']).where('id', '=', uploadId).executeTakeFirstOrThrow();
  if (dup.node_id !== up.node_id) throw new PipelineError('CONFLICT', `these bytes were already uploaded by another node (exposure ${dup.id})`);
  const now = deps.clock.now();
  await deps.database.db
    .updateTable('uploads')
    .set({ state: 'COMPLETE', exposure_id: dup.id, updated_at: now })
    .where('id', '=', uploadId)
    .execute();
  return { uploadId, exposureId: dup.id, duplicate: true, objectKey: dup.object_key ?? frameObjectKey(up.sha256), sha256: up.sha256 };
}

/**
 * The one transaction that makes a frame exist: the exposure row (new, or the compact
 * measurement's row completed with the file) and its ingest job.
 */
async function recordFrame(
  deps: UploadDeps,
  up: { id: string; node_id: string; mission_id: string; task_id: string | null; file_name: string; frame_key: string; sha256: string },
  f: { key: string; sha256: string; start: Date; exposureS: number | undefined; filter: string | null },
): Promise<FinishedUpload> {
  const { database, jobs, clock } = deps;
  const now = clock.now();
  return database.db.transaction().execute(async (trx) => {
    const session = await trx.selectFrom('uploads').select(['state', 'exposure_id']).where('id', '=', up.id).forUpdate().executeTakeFirst();
    if (!session) throw new PipelineError('NOT_FOUND', `upload ${up.id} was discarded meanwhile`);
    if (session.state === 'COMPLETE' && session.exposure_id !== null) {
      return { uploadId: up.id, exposureId: session.exposure_id, duplicate: false, objectKey: f.key, sha256: f.sha256 };
    }
    const mission = await trx.selectFrom('missions').select(['filter']).where('id', '=', up.mission_id).executeTakeFirstOrThrow();
    const byFrame = await trx.selectFrom('exposures').selectAll().where('frame_key', '=', up.frame_key).forUpdate().executeTakeFirst();
    let exposureId: string;
    if (byFrame) {
      if (byFrame.sha256 !== null && byFrame.sha256 !== f.sha256) {
        throw new PipelineError('CONFLICT', `frame ${up.file_name} was already uploaded with other bytes (exposure ${byFrame.id})`);
      }
      await trx
        .updateTable('exposures')
        .set({
          sha256: f.sha256,
          object_key: f.key,
          file_name: up.file_name,
          started_at: f.start,
          ...(f.exposureS !== undefined && f.exposureS >= 0 ? { exposure_s: f.exposureS } : {}),
          ...(f.filter !== null ? { filter: f.filter } : {}),
          ...(byFrame.task_id === null && up.task_id !== null ? { task_id: up.task_id } : {}),
        })
        .where('id', '=', byFrame.id)
        .execute();
      exposureId = byFrame.id;
    } else {
      const row = await trx
        .insertInto('exposures')
        .values({
          mission_id: up.mission_id,
          task_id: up.task_id,
          node_id: up.node_id,
          started_at: f.start,
          exposure_s: f.exposureS !== undefined && f.exposureS >= 0 ? f.exposureS : 0,
          filter: f.filter ?? mission.filter,
          file_name: up.file_name,
          frame_key: up.frame_key,
          object_key: f.key,
          sha256: f.sha256,
          created_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      exposureId = row.id;
    }
    await trx.updateTable('uploads').set({ state: 'COMPLETE', exposure_id: exposureId, updated_at: now }).where('id', '=', up.id).execute();
    await enqueueStage(jobs as Jobs, trx, 'ingest', { exposureId }, now);
    return { uploadId: up.id, exposureId, duplicate: false, objectKey: f.key, sha256: f.sha256 };
  });
}

/**
 * Discard sessions idle past their expiry (and their parts). Returns how many. A part
 * object stored by a request whose server died before recording it is not in
 * upload_parts; `list` (when the store has it) finds those under the session's prefix.
 */
export async function expireUploads(deps: Pick<UploadDeps, 'database' | 'storage'>, now: Date): Promise<number> {
  const stale = await deps.database.db.selectFrom('uploads').select('id').where('state', '=', 'OPEN').where('expires_at', '<', now).limit(500).execute();
  const lister = deps.storage as ObjectStoreLike & { list?: (prefix: string) => AsyncIterable<{ key: string }> };
  for (const s of stale) {
    await discardUpload(deps, s.id);
    if (typeof lister.list === 'function') {
      for await (const o of lister.list(`uploads/tmp/${s.id}/`)) await deps.storage.delete(o.key).catch(() => {});
    }
  }
  return stale.length;
}

export interface UploadSweeper {
  stop(): Promise<void>;
}

/** Run expireUploads every `intervalS` (default 600) until stopped. */
export function startUploadSweeper(deps: Pick<UploadDeps, 'database' | 'storage' | 'clock'>, opts: { intervalS?: number; onError?: (err: unknown) => void } = {}): UploadSweeper {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = expireUploads(deps, deps.clock.now())
      .catch((err: unknown) => opts.onError?.(err))
      .finally(() => (running = undefined));
  }, (opts.intervalS ?? 600) * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
