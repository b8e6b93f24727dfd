/**
 * The uploader's `send` over the service's upload API (decision 0025):
 *
 * - a measurement (compact tier) is one POST /api/v1/uploads/measurements; the server
 *   keys it by its `id`, so a resend after a crash is harmless;
 * - a frame goes in chunks: POST /api/v1/uploads opens a session (or answers `duplicate`
 *   when the server has these bytes already), PUT /api/v1/uploads/:id appends at
 *   Upload-Offset, and the chunk that completes the file finishes it. The session id is
 *   kept on disk (one small file per frame), so after a restart or a dropped link the
 *   upload resumes at the offset the server reports (GET /api/v1/uploads/:id) instead of
 *   starting again; a session the server no longer has is opened afresh.
 *
 * Failures the server will answer the same way however often it is asked (a malformed
 * item, a frame it judges corrupt, another node's frame name …) would block the queue
 * behind an item that never goes, so they are handed to `onRejected` — the agent keeps a
 * copy for a human — and the item counts as delivered. Everything else (no answer, 5xx,
 * 429, 401) throws, and the outbox retries with backoff.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ApiError, type ApiClient } from '../platform/api/client.js';
import { AgentError, describeError } from './errors.js';
import type { Delivery, SendContext, SendFn, SendResult } from './outbox/uploader.js';

export const CHUNK_CONTENT_TYPE = 'application/offset+octet-stream';

/** Upload session ids by frame SHA-256, one file each (replaced atomically). */
export class UploadSessions {
  private constructor(readonly dir: string) {}

  static async open(dir: string): Promise<UploadSessions> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (e) {
      throw new AgentError('IO', `cannot create the upload session folder ${dir}: ${describeError(e)}`, { cause: e });
    }
    return new UploadSessions(dir);
  }

  private file(sha256: string): string {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new AgentError('BAD_ARGUMENT', `not a SHA-256: '${sha256}'`);
    return path.join(this.dir, `${sha256}.json`);
  }

  async get(sha256: string): Promise<string | undefined> {
    try {
      const v = JSON.parse(await readFile(this.file(sha256), 'utf8')) as { uploadId?: unknown };
      return typeof v.uploadId === 'string' ? v.uploadId : undefined;
    } catch {
      return undefined; // none, or unreadable: a new session is opened
    }
  }

  async set(sha256: string, uploadId: string): Promise<void> {
    const file = this.file(sha256);
    const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(tmp, JSON.stringify({ uploadId }), { flag: 'wx' });
      await rename(tmp, file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new AgentError('IO', `cannot record upload session ${uploadId}: ${describeError(e)}`, { cause: e });
    }
  }

  async delete(sha256: string): Promise<void> {
    await unlink(this.file(sha256)).catch(() => undefined);
  }
}

export interface UploadSendOptions {
  /** Authenticated as the node. */
  api: ApiClient;
  sessions: UploadSessions;
  /** Bytes per PUT (default 1 MiB). */
  chunkBytes?: number;
  /** Bandwidth cap, bytes per real second (default none). */
  bytesPerS?: number;
  /** Real ms per request (default 60 000). */
  requestTimeoutMs?: number;
  /** An item the server refuses for good; it is then dropped from the outbox. */
  onRejected?: (item: Delivery, error: ApiError) => Promise<void> | void;
  /** The server confirmed `offset` bytes of a frame. */
  onProgress?: (item: Delivery, offset: number) => void;
}

/** Statuses that will not change on retry (401 may: the operator can fix a token). */
function permanent(e: unknown): e is ApiError {
  return e instanceof ApiError && [400, 403, 404, 409, 413, 415, 422].includes(e.status) && e.code !== 'OFFSET_MISMATCH';
}

interface UploadState {
  uploadId: string;
  bytes: number;
  offset: number;
  complete: boolean;
}

function realWait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new AgentError('ABORTED', 'upload aborted', { cause: signal.reason }));
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new AgentError('ABORTED', 'upload aborted', { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function createUploadSend(o: UploadSendOptions): SendFn {
  const chunkBytes = o.chunkBytes ?? 1 << 20;
  if (!Number.isInteger(chunkBytes) || chunkBytes < 1) throw new AgentError('BAD_ARGUMENT', `chunkBytes must be a positive integer, got ${chunkBytes}`);
  if (o.bytesPerS !== undefined && !(o.bytesPerS > 0)) throw new AgentError('BAD_ARGUMENT', `bytesPerS must be > 0, got ${o.bytesPerS}`);
  const timeoutMs = o.requestTimeoutMs ?? 60_000;
  const { api, sessions } = o;

  async function status(uploadId: string, signal: AbortSignal): Promise<UploadState | undefined> {
    try {
      const s = await api.get<{ uploadId: string; bytes: number; offset: number; complete?: boolean; state?: string }>(`/api/v1/uploads/${uploadId}`, { signal, timeoutMs });
      return { uploadId, bytes: s.bytes, offset: s.offset, complete: s.complete === true || s.state === 'COMPLETE' };
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined; // expired or discarded: start again
      throw e;
    }
  }

  async function sendMeasurement(item: Delivery, signal: AbortSignal): Promise<void> {
    await api.request('POST', '/api/v1/uploads/measurements', { body: item.body, signal, timeoutMs });
  }

  async function sendFrame(item: Delivery, ctx: SendContext): Promise<SendResult> {
    const { signal } = ctx;
    const size = item.payload.length;
    let uploadId = await sessions.get(item.sha256);
    let offset = 0;
    if (uploadId !== undefined) {
      const s = await status(uploadId, signal);
      if (s === undefined || s.bytes !== size) {
        await sessions.delete(item.sha256);
        uploadId = undefined;
      } else if (s.complete) {
        await sessions.delete(item.sha256);
        return { complete: true };
      } else offset = s.offset;
    }
    if (uploadId === undefined) {
      const taskId = typeof item.meta.taskId === 'string' ? item.meta.taskId : undefined;
      const r = await api.request<{ uploadId: string | null; offset?: number; duplicate?: boolean }>('POST', '/api/v1/uploads', {
        body: { fileName: item.fileName, bytes: size, sha256: item.sha256, ...(taskId ? { taskId } : {}) },
        signal,
        timeoutMs,
      });
      if (r.body.duplicate === true || r.body.uploadId === null) return { complete: true };
      uploadId = r.body.uploadId;
      offset = r.body.offset ?? 0;
      await sessions.set(item.sha256, uploadId);
    }
    let mismatches = 0;
    // offset === size and not complete: the last chunk was stored but the file not finished
    // (the server stopped in between); an empty chunk at the end finishes it.
    for (;;) {
      const end = Math.min(size, offset + chunkBytes);
      const chunk = item.payload.subarray(offset, end);
      let r;
      try {
        r = await api.request<{ offset: number; complete: boolean; duplicate?: boolean }>('PUT', `/api/v1/uploads/${uploadId}`, {
          rawBody: chunk,
          headers: { 'content-type': CHUNK_CONTENT_TYPE, 'upload-offset': String(offset) },
          signal,
          timeoutMs,
        });
      } catch (e) {
        if (e instanceof ApiError && e.code === 'OFFSET_MISMATCH' && mismatches++ < 3) {
          const s = await status(uploadId, signal);
          if (s === undefined) throw e;
          if (s.complete) break;
          offset = s.offset;
          continue;
        }
        if (e instanceof ApiError && e.status === 404) {
          // The session expired or was discarded: not the frame's fault, open a new one next time.
          await sessions.delete(item.sha256);
          throw new AgentError('NOT_FOUND', `upload session ${uploadId} is gone from the server; a new one is opened on the next attempt`, { cause: e });
        }
        throw e;
      }
      if (r.body.complete) break;
      if (!(r.body.offset > offset)) throw new AgentError('PROTOCOL', `the server did not advance upload ${uploadId} past ${offset}`);
      offset = r.body.offset;
      await ctx.reportOffset(offset);
      o.onProgress?.(item, offset);
      if (o.bytesPerS !== undefined) await realWait((chunk.length / o.bytesPerS) * 1000, signal);
    }
    await sessions.delete(item.sha256);
    return { complete: true };
  }

  return async (item, ctx) => {
    try {
      if (item.kind === 'measurement') {
        await sendMeasurement(item, ctx.signal);
        return { complete: true };
      }
      return await sendFrame(item, ctx);
    } catch (e) {
      if (!permanent(e)) throw e;
      await o.onRejected?.(item, e);
      if (item.kind === 'frame') await sessions.delete(item.sha256);
      return { complete: true };
    }
  };
}
