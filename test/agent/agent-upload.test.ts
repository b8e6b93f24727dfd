/**
 * The upload `send` against an in-memory stand-in of the upload API (same routes, offsets
 * and answers as decision 0025): a frame goes in chunks and arrives byte-identical; a cut
 * link resumes in the same session where the server says it is, sending no byte twice; a
 * session the server forgot is opened afresh; duplicates, offset mismatches, refusals for
 * good and temporary failures each get their treatment; the bandwidth cap holds.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createApiClient } from '../../src/platform/api/client.js';
import { createUploadSend, UploadSessions } from '../../src/agent/upload.js';
import type { Delivery } from '../../src/agent/outbox/index.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Session {
  id: string;
  fileName: string;
  bytes: number;
  sha256: string;
  data: Buffer;
  complete: boolean;
}

/** The upload API in memory, with faults to inject. */
class FakeUploads {
  sessions = new Map<string, Session>();
  stored = new Map<string, Buffer>();
  measurements: unknown[] = [];
  bytesReceived = 0;
  puts = 0;
  /** Throw a transport error on the PUT with this (1-based) number. */
  cutOnPut?: number;
  /** Answer PUTs with 503 from this number on. */
  unavailableFromPut?: number;
  /** Answer the completing PUT with this status/code. */
  refuseCompletion?: { status: number; code: string };
  /** Forget every session (server expired them). */
  forget(): void {
    this.sessions.clear();
  }

  fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    const p = url.pathname;
    if (method === 'POST' && p === '/api/v1/uploads/measurements') {
      this.measurements.push(JSON.parse(String(init?.body)));
      return json(201, { exposureId: randomUUID(), duplicate: false, replaced: false });
    }
    if (method === 'POST' && p === '/api/v1/uploads') {
      const b = JSON.parse(String(init?.body)) as { fileName: string; bytes: number; sha256: string };
      if (this.stored.has(b.sha256)) return json(200, { uploadId: null, exposureId: 'e', duplicate: true, complete: true });
      const s: Session = { id: randomUUID(), fileName: b.fileName, bytes: b.bytes, sha256: b.sha256, data: Buffer.alloc(0), complete: false };
      this.sessions.set(s.id, s);
      return json(201, { uploadId: s.id, offset: 0, bytes: s.bytes, state: 'OPEN', complete: false });
    }
    const m = /^\/api\/v1\/uploads\/([0-9a-f-]{36})$/.exec(p);
    if (m) {
      const s = this.sessions.get(m[1]);
      if (!s) return json(404, { code: 'NOT_FOUND', message: `no upload '${m[1]}' for this node` });
      if (method === 'GET') return json(200, { uploadId: s.id, bytes: s.bytes, offset: s.data.length, state: s.complete ? 'COMPLETE' : 'OPEN', complete: s.complete });
      if (method === 'PUT') {
        this.puts++;
        if (this.cutOnPut === this.puts) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
        if (this.unavailableFromPut !== undefined && this.puts >= this.unavailableFromPut) return json(503, { code: 'UNAVAILABLE', message: 'down for maintenance' });
        const offset = Number((init?.headers as Record<string, string>)['upload-offset']);
        if (offset !== s.data.length) return json(409, { code: 'OFFSET_MISMATCH', message: `resume at ${s.data.length}`, offset: s.data.length });
        const chunk = Buffer.from(init?.body as Uint8Array);
        this.bytesReceived += chunk.length;
        s.data = Buffer.concat([s.data, chunk]);
        if (s.data.length < s.bytes) return json(200, { uploadId: s.id, offset: s.data.length, bytes: s.bytes, complete: false });
        if (this.refuseCompletion) {
          this.sessions.delete(s.id);
          return json(this.refuseCompletion.status, { code: this.refuseCompletion.code, message: 'tile 3 does not decode' });
        }
        if (sha(s.data) !== s.sha256) return json(422, { code: 'CHECKSUM_MISMATCH', message: 'bad sum' });
        s.complete = true;
        this.stored.set(s.sha256, s.data);
        return json(201, { uploadId: s.id, exposureId: 'e', duplicate: false, complete: true, offset: s.data.length, bytes: s.bytes });
      }
    }
    return json(404, { code: 'NOT_FOUND', message: `${method} ${p}` });
  };
}

function frame(bytes: Uint8Array): Delivery {
  return {
    id: `1-0000000000000-000001-${randomUUID().slice(0, 8)}`,
    kind: 'frame',
    createdAt: new Date(0).toISOString(),
    sizeBytes: bytes.length,
    sha256: sha(bytes),
    fileName: `ObsReq-${randomUUID()}_TelID-${randomUUID()}_20260115T230000.fits`,
    meta: { taskId: randomUUID() },
    attempts: 0,
    offset: 0,
    nextAttemptMs: 0,
    payload: bytes,
  };
}

function payload(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) b[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return b;
}

describe('upload send', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-agent-upload-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function setup(opts: { chunkBytes?: number; bytesPerS?: number } = {}) {
    const server = new FakeUploads();
    const sessions = await UploadSessions.open(path.join(dir, randomUUID()));
    const rejected: Array<{ id: string; error: ApiError }> = [];
    const send = createUploadSend({
      api: createApiClient({ baseUrl: 'http://node.test', token: 't', fetch: server.fetch as typeof fetch }),
      sessions,
      chunkBytes: opts.chunkBytes ?? 1000,
      ...(opts.bytesPerS ? { bytesPerS: opts.bytesPerS } : {}),
      onRejected: (item, error) => {
        rejected.push({ id: item.id, error });
      },
    });
    const offsets: number[] = [];
    const ctx = () => ({ offset: 0, signal: new AbortController().signal, reportOffset: async (n: number) => void offsets.push(n) });
    return { server, sessions, send, rejected, offsets, ctx };
  }

  it('sends a frame in chunks and it arrives byte-identical', async () => {
    const { server, send, offsets, ctx, sessions } = await setup();
    const item = frame(payload(4500, 1));
    expect(await send(item, ctx())).toEqual({ complete: true });
    expect(server.stored.get(item.sha256)?.equals(Buffer.from(item.payload))).toBe(true);
    expect(server.puts).toBe(5);
    expect(offsets).toEqual([1000, 2000, 3000, 4000]);
    expect(await readdir(sessions.dir)).toEqual([]);
  });

  it('resumes a cut upload in the same session, sending no byte twice', async () => {
    const { server, send, ctx, sessions } = await setup();
    const item = frame(payload(4500, 2));
    server.cutOnPut = 3;
    await expect(send(item, ctx())).rejects.toMatchObject({ code: 'UNREACHABLE' });
    expect(await sessions.get(item.sha256)).toBeDefined();
    const [first] = server.sessions.values();
    expect(first.data.length).toBe(2000);
    expect(await send(item, ctx())).toEqual({ complete: true });
    expect(server.sessions.size).toBe(1); // no second session
    expect(server.bytesReceived).toBe(4500);
    expect(server.stored.get(item.sha256)?.equals(Buffer.from(item.payload))).toBe(true);
  });

  it('opens a new session when the server forgot the old one, and resyncs on an offset mismatch', async () => {
    const { server, send, ctx, sessions } = await setup();
    const item = frame(payload(3500, 3));
    server.cutOnPut = 2;
    await expect(send(item, ctx())).rejects.toBeInstanceOf(ApiError);
    server.forget();
    server.cutOnPut = undefined;
    expect(await send(item, ctx())).toEqual({ complete: true });
    expect(server.stored.has(item.sha256)).toBe(true);

    // The server holds more than the client thinks (its answer was lost): it says where to go on.
    const other = frame(payload(3500, 4));
    const r = await server.fetch('http://node.test/api/v1/uploads', { method: 'POST', body: JSON.stringify({ fileName: other.fileName, bytes: other.sizeBytes, sha256: other.sha256 }) });
    const id = ((await r.json()) as { uploadId: string }).uploadId;
    await sessions.set(other.sha256, id);
    server.sessions.get(id)!.data = Buffer.from(other.payload.subarray(0, 1500));
    const before = server.bytesReceived;
    expect(await send(other, ctx())).toEqual({ complete: true });
    expect(server.bytesReceived - before).toBe(2000);
    expect(server.stored.get(other.sha256)?.equals(Buffer.from(other.payload))).toBe(true);
  });

  it('treats a duplicate as delivered and sends nothing', async () => {
    const { server, send, ctx } = await setup();
    const item = frame(payload(2000, 5));
    server.stored.set(item.sha256, Buffer.from(item.payload));
    expect(await send(item, ctx())).toEqual({ complete: true });
    expect(server.puts).toBe(0);
  });

  it('hands a refusal for good to onRejected (the queue moves on) but retries a temporary failure', async () => {
    const a = await setup();
    const item = frame(payload(2500, 6));
    a.server.refuseCompletion = { status: 422, code: 'CORRUPT_TILE' };
    expect(await a.send(item, a.ctx())).toEqual({ complete: true });
    expect(a.rejected).toHaveLength(1);
    expect(a.rejected[0].error).toMatchObject({ status: 422, code: 'CORRUPT_TILE' });
    expect(await readdir(a.sessions.dir)).toEqual([]);

    const b = await setup();
    b.server.unavailableFromPut = 2;
    const err = await b.send(frame(payload(2500, 7)), b.ctx()).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, retryable: true });
    expect(b.rejected).toHaveLength(0);
  });

  it('posts a measurement as its JSON body', async () => {
    const { server, send, ctx } = await setup();
    const body = { id: 'ObsReq-x', missionId: randomUUID(), target: { flux: 1, err: 0.1 } };
    const bytes = new TextEncoder().encode(JSON.stringify(body));
    const item: Delivery = { ...frame(bytes), kind: 'measurement', body };
    expect(await send(item, ctx())).toEqual({ complete: true });
    expect(server.measurements).toEqual([body]);
  });

  it('keeps to the bandwidth cap', async () => {
    const { send, ctx } = await setup({ chunkBytes: 1000, bytesPerS: 10_000 });
    const t0 = performance.now();
    await send(frame(payload(3000, 8)), ctx());
    // Two pauses of 1000 B / 10 kB/s between the three chunks.
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
  });
});
