/**
 * Uploads from telescope nodes, two tiers (node token required; a node uploads only for
 * missions assigned to it):
 *
 *   POST /api/v1/uploads/measurements   compact photometry JSON, stored at once (idempotent)
 *   POST /api/v1/uploads                open a resumable FITS upload {fileName, bytes, sha256}
 *   PUT  /api/v1/uploads/:id            append a chunk: `Upload-Offset` header, raw body as
 *                                       application/offset+octet-stream (streamed to storage)
 *   HEAD/GET /api/v1/uploads/:id        current offset (`Upload-Offset`) and state
 *   DELETE /api/v1/uploads/:id          give up an unfinished upload
 *
 * The chunk that completes a file finishes it (SHA-256, FITS, name vs node and header,
 * exposure row + ingest job in one transaction): 201 with the exposure, or 200 with
 * `duplicate: true` when the same bytes were stored before. Errors are JSON
 * {code, message}; OFFSET_MISMATCH (409) also carries the current `offset` in the body and
 * the `Upload-Offset` header. The logic lives in src/pipeline/ingest; this file is HTTP only.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { Caller, ServerContext } from '../context.js';
import { PipelineError } from '../../pipeline/errors.js';
import {
  appendChunk,
  cancelUpload,
  createUpload,
  uploadStatus,
  DEFAULT_UPLOAD_LIMITS,
  type FinishedUpload,
  type UploadDeps,
  type UploadLimits,
  type UploadStatus,
} from '../../pipeline/ingest/uploads.js';
import { recordMeasurement } from '../../pipeline/ingest/measurements.js';

export interface UploadsRoutesOptions {
  limits?: Partial<UploadLimits>;
}

export const CHUNK_CONTENT_TYPE = 'application/offset+octet-stream';

function nodeOf(request: FastifyRequest): string {
  const caller: Caller = request.caller ?? { kind: 'anonymous' };
  if (caller.kind === 'anonymous') throw new PipelineError('UNAUTHORIZED', 'a node token is required to upload (Authorization: Bearer <token>)');
  if (caller.kind !== 'node') throw new PipelineError('FORBIDDEN', 'only a node uploads frames; an operator token cannot');
  return caller.nodeId;
}

function statusJson(s: UploadStatus) {
  return { ...s, complete: s.state === 'COMPLETE' };
}

function finishedJson(f: FinishedUpload) {
  return { uploadId: f.uploadId, exposureId: f.exposureId, duplicate: f.duplicate, sha256: f.sha256, complete: true };
}

// ---------------------------------------------------------------- schemas

const uuid = { type: 'string', format: 'uuid' } as const;
const errorSchema = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' }, offset: { type: 'integer' } },
  required: ['code', 'message'],
  additionalProperties: true,
} as const;
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorSchema]));

const photometry = {
  type: 'object',
  properties: {
    mag: { type: 'number', description: 'Magnitude (give mag or flux).' },
    flux: { type: 'number', description: 'Flux, ADU or e⁻/s (give mag or flux).' },
    err: { type: 'number', minimum: 0, description: 'One-sigma uncertainty, same unit.' },
  },
  required: ['err'],
} as const;

const measurementBody = {
  type: 'object',
  description: "A node's photometry of one frame.",
  required: ['missionId', 'timeUtc', 'exposureS', 'filter', 'target', 'comparisons'],
  properties: {
    id: { type: 'string', maxLength: 128, description: 'Idempotency key chosen by the node (e.g. its outbox id).' },
    missionId: uuid,
    taskId: uuid,
    fileName: { type: 'string', description: 'The frame file name ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits (or give startUtc).' },
    startUtc: { type: 'string', format: 'date-time', description: 'Start of the exposure, UTC (when no fileName).' },
    timeUtc: { type: 'string', format: 'date-time', description: 'Mid-exposure time of the photometry, UTC.' },
    exposureS: { type: 'number', minimum: 0, description: 'Exposure, seconds.' },
    filter: { type: 'string', minLength: 1, maxLength: 32 },
    target: photometry,
    comparisons: {
      type: 'array',
      maxItems: 500,
      items: {
        type: 'object',
        properties: {
          ...photometry.properties,
          id: { type: 'string' },
          raDeg: { type: 'number' },
          decDeg: { type: 'number' },
          catalogMag: { type: 'number', description: 'Catalog magnitude in the mission filter.' },
        },
        required: ['err'],
      },
    },
    flags: { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 64 }, description: "Quality flags, e.g. ['saturated']." },
  },
} as const;

const createBody = {
  type: 'object',
  additionalProperties: false,
  required: ['fileName', 'bytes', 'sha256'],
  properties: {
    fileName: { type: 'string', minLength: 1, maxLength: 300, description: 'ObsReq-{missionId}_TelID-{nodeId}_{YYYYMMDDTHHMMSS}.fits' },
    bytes: { type: 'integer', minimum: 1, description: 'File size, bytes.' },
    sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'SHA-256 of the whole file, hex.' },
    taskId: uuid,
  },
} as const;

const statusSchema = {
  type: 'object',
  properties: {
    uploadId: uuid,
    fileName: { type: 'string' },
    bytes: { type: 'integer' },
    offset: { type: 'integer', description: 'Bytes received and stored; send the next chunk from here.' },
    state: { type: 'string', enum: ['OPEN', 'COMPLETE'] },
    complete: { type: 'boolean' },
    exposureId: { type: ['string', 'null'] },
    expiresAt: { type: 'string', format: 'date-time', description: 'An idle upload is discarded after this.' },
  },
} as const;

const finishedSchema = {
  type: 'object',
  properties: {
    uploadId: { type: ['string', 'null'] },
    exposureId: uuid,
    duplicate: { type: 'boolean', description: 'The same bytes were stored before; nothing new was stored.' },
    sha256: { type: 'string' },
    complete: { type: 'boolean' },
    offset: { type: 'integer' },
    bytes: { type: 'integer' },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: uuid } } as const;

// ---------------------------------------------------------------- routes

export async function uploadsRoutes(app: FastifyInstance, ctx: ServerContext, opts: UploadsRoutesOptions = {}): Promise<void> {
  const limits: UploadLimits = { ...DEFAULT_UPLOAD_LIMITS, ...opts.limits };
  const deps = (): UploadDeps => {
    if (!ctx.storage) throw new PipelineError('UNAVAILABLE', 'this server has no object storage configured; FITS uploads are off');
    return { database: ctx.database, storage: ctx.storage, jobs: ctx.jobs, clock: ctx.clock, limits };
  };

  // Encapsulated: the chunk parser and the PipelineError mapping apply to these routes only;
  // everything else goes on to the application's error handler.
  await app.register(async (scope) => {
    scope.addContentTypeParser(CHUNK_CONTENT_TYPE, (_request, payload, done) => done(null, payload));
    scope.setErrorHandler((err: FastifyError | PipelineError, request, reply) => {
      if (!(err instanceof PipelineError)) throw err;
      if (err.code === 'OFFSET_MISMATCH' && typeof err.details.offset === 'number') void reply.header('upload-offset', String(err.details.offset));
      if (err.status === 401) void reply.header('www-authenticate', 'Bearer');
      // The rest of an unread chunk is of no use; let the connection drain it.
      (request.body as Readable | undefined)?.resume?.();
      return reply.code(err.status).send({ code: err.code, message: err.message, ...err.details });
    });

    scope.post(
      '/api/v1/uploads/measurements',
      {
        schema: {
          summary: 'Send the photometry of one frame (compact tier)',
          tags: ['uploads'],
          body: measurementBody,
          response: { 200: { type: 'object', additionalProperties: true }, 201: { type: 'object', additionalProperties: true }, ...errors(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const nodeId = nodeOf(request);
        const r = await recordMeasurement({ database: ctx.database, clock: ctx.clock }, nodeId, request.body);
        return reply.code(r.duplicate || r.replaced ? 200 : 201).send(r);
      },
    );

    scope.post(
      '/api/v1/uploads',
      {
        schema: {
          summary: 'Open a resumable FITS upload',
          description: 'Returns the upload id and offset 0, or — when a frame with this SHA-256 is stored already — the exposure with duplicate: true.',
          tags: ['uploads'],
          body: createBody,
          response: { 200: finishedSchema, 201: statusSchema, ...errors(400, 401, 403, 404, 409, 413) },
        },
      },
      async (request, reply) => {
        const nodeId = nodeOf(request);
        const r = await createUpload(deps(), nodeId, request.body as Record<string, unknown> as never);
        if ('duplicate' in r) return reply.code(200).send(finishedJson(r));
        void reply.header('location', `/api/v1/uploads/${r.uploadId}`).header('upload-offset', String(r.offset)).header('upload-length', String(r.bytes));
        return reply.code(201).send(statusJson(r));
      },
    );

    scope.get(
      '/api/v1/uploads/:id',
      {
        schema: {
          summary: 'Upload state and offset (HEAD: headers only)',
          tags: ['uploads'],
          params: idParams,
          response: { 200: statusSchema, ...errors(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const nodeId = nodeOf(request);
        const s = await uploadStatus(deps(), nodeId, (request.params as { id: string }).id);
        void reply.header('upload-offset', String(s.offset)).header('upload-length', String(s.bytes)).header('cache-control', 'no-store');
        return statusJson(s);
      },
    );

    scope.put(
      '/api/v1/uploads/:id',
      {
        bodyLimit: limits.maxChunkBytes,
        schema: {
          summary: 'Append a chunk at Upload-Offset (body: application/offset+octet-stream)',
          tags: ['uploads'],
          params: idParams,
          headers: { type: 'object', required: ['upload-offset'], properties: { 'upload-offset': { type: 'string', pattern: '^[0-9]{1,15}$' } } },
          response: { 200: finishedSchema, 201: finishedSchema, ...errors(400, 401, 403, 404, 409, 413, 415, 422) },
        },
      },
      async (request, reply) => {
        const nodeId = nodeOf(request);
        const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        if (request.body !== undefined && contentType !== CHUNK_CONTENT_TYPE) {
          throw new PipelineError('UNSUPPORTED_MEDIA', `send chunks as ${CHUNK_CONTENT_TYPE}, not '${contentType}'`);
        }
        const offset = Number(request.headers['upload-offset']);
        const body = request.body as AsyncIterable<Buffer> | undefined;
        let r;
        try {
          r = await appendChunk(deps(), nodeId, (request.params as { id: string }).id, offset, body);
        } catch (err) {
          // The client went away mid-chunk: nothing of it was kept; not a server fault.
          if (!(err instanceof PipelineError) && (request.raw.readableAborted || request.raw.destroyed)) {
            throw new PipelineError('BAD_REQUEST', 'the chunk was cut off before its end; nothing of it was kept — resume from Upload-Offset');
          }
          throw err;
        }
        void reply.header('upload-offset', String(r.status.offset)).header('upload-length', String(r.status.bytes));
        if (r.finished) {
          return reply.code(r.finished.duplicate ? 200 : 201).send({ ...finishedJson(r.finished), offset: r.status.offset, bytes: r.status.bytes });
        }
        return reply.code(200).send({ uploadId: r.status.uploadId, offset: r.status.offset, bytes: r.status.bytes, complete: false });
      },
    );

    scope.delete(
      '/api/v1/uploads/:id',
      { schema: { summary: 'Give up an unfinished upload', tags: ['uploads'], params: idParams, response: { ...errors(401, 403, 404) } } },
      async (request, reply: FastifyReply) => {
        const nodeId = nodeOf(request);
        await cancelUpload(deps(), nodeId, (request.params as { id: string }).id);
        return reply.code(204).send();
      },
    );
  });
}
