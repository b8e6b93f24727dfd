/**
 * The upload API through the real routes (Fastify inject, and a loopback socket for cut-off
 * requests), on PGlite and PostgreSQL: resumable chunks with offsets, a wrong offset (409),
 * resuming after an aborted request and after the server went away mid-upload, dedupe by
 * SHA-256, every bad upload answered with its 4xx and leaving nothing behind, and the
 * compact measurement meeting its FITS file on one exposure row.
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engineNames } from '../platform/engines.js';
import { expireUploads, frameObjectKey } from '../../src/pipeline/ingest/uploads.js';
import { bossSchema, buildTestApp, filesUnder, frameFileName, openEnv, renderTestFrame, seedNetwork, sleep, type Env, type Seeded } from '../pipeline/helpers.js';

const CHUNK_TYPE = 'application/offset+octet-stream';

describe.each(engineNames())('uploads on %s', (engineName) => {
  let env: Env;
  let app: FastifyInstance;
  let seed: Seeded;
  let other: Seeded; // a second mission, assigned to nobody
  let t = Date.parse('2026-03-01T21:00:00Z');
  /** A fresh frame start time for each upload (the frame key must differ). */
  const nextStart = () => new Date((t += 120_000));

  beforeAll(async () => {
    env = await openEnv(engineName);
    seed = await seedNetwork(env.database, env.clock.now(), { nodeCount: 2, frames: 100 });
    other = await seedNetwork(env.database, env.clock.now(), { nodeCount: 1, frames: 2 });
    await env.database.db.updateTable('tasks').set({ node_id: null, state: 'PENDING', lease_expires_at: null }).where('mission_id', '=', other.missionId).execute();
    app = await buildTestApp(env, { limits: { maxUploadBytes: 400_000, maxChunkBytes: 200_000 } });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await env?.close();
  }, 60_000);

  const auth = (i = 0) => ({ authorization: `Bearer ${seed.nodes[i].token}` });

  async function open(fileName: string, bytes: Uint8Array, sha256: string, node = 0, extra: Record<string, unknown> = {}) {
    return app.inject({ method: 'POST', url: '/api/v1/uploads', headers: auth(node), payload: { fileName, bytes: bytes.length, sha256, ...extra } });
  }

  async function put(uploadId: string, offset: number, chunk: Uint8Array, node = 0) {
    return app.inject({
      method: 'PUT',
      url: `/api/v1/uploads/${uploadId}`,
      headers: { ...auth(node), 'content-type': CHUNK_TYPE, 'upload-offset': String(offset) },
      payload: Buffer.from(chunk),
    });
  }

  async function uploadWhole(fileName: string, bytes: Uint8Array, sha256: string, chunk = 100_000) {
    const r = await open(fileName, bytes, sha256);
    if (r.statusCode !== 201) return r;
    const id = r.json().uploadId as string;
    let last = r;
    for (let o = 0; o < bytes.length; o += chunk) {
      last = await put(id, o, bytes.subarray(o, Math.min(bytes.length, o + chunk)));
      if (last.statusCode >= 400) return last;
    }
    return last;
  }

  async function counts() {
    const db = env.database.db;
    const n = async (table: 'exposures' | 'uploads' | 'upload_parts' | 'pipeline_jobs') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    return { exposures: await n('exposures'), uploads: await n('uploads'), parts: await n('upload_parts'), jobs: await n('pipeline_jobs'), files: await filesUnder(env.storageDir) };
  }

  it('is described in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/v1/uploads'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/api/v1/uploads/{id}'] ?? {})).toEqual(expect.arrayContaining(['get', 'put', 'delete']));
    expect(Object.keys(doc.paths['/api/v1/uploads/measurements'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/api/v1/jobs'] ?? {})).toContain('get');
  });

  it('takes a file in chunks, refuses a wrong offset with the current one, and records the frame with its ingest job', async () => {
    const start = nextStart();
    const f = renderTestFrame({ startUtc: new Date(start.getTime() + 250), exposureS: 60, compressed: false });
    expect(f.bytes.length).toBeGreaterThan(130_000);
    const name = frameFileName(seed.missionId, seed.nodes[0].id, start);

    const created = await open(name, f.bytes, f.sha256, 0, { taskId: seed.taskIds[0] });
    expect(created.statusCode).toBe(201);
    const { uploadId, offset } = created.json();
    expect(offset).toBe(0);
    expect(created.headers.location).toBe(`/api/v1/uploads/${uploadId}`);

    const first = await put(uploadId, 0, f.bytes.subarray(0, 60_000));
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ offset: 60_000, complete: false });

    // Wrong offset: 409, the current offset in body and header, nothing taken.
    const wrong = await put(uploadId, 50_000, f.bytes.subarray(50_000, 70_000));
    expect(wrong.statusCode).toBe(409);
    expect(wrong.json()).toMatchObject({ code: 'OFFSET_MISMATCH', offset: 60_000 });
    expect(wrong.headers['upload-offset']).toBe('60000');

    const head = await app.inject({ method: 'HEAD', url: `/api/v1/uploads/${uploadId}`, headers: auth() });
    expect(head.statusCode).toBe(200);
    expect(head.headers['upload-offset']).toBe('60000');
    expect(head.headers['upload-length']).toBe(String(f.bytes.length));

    // Nothing is an exposure until the last byte is in.
    expect(await env.database.db.selectFrom('exposures').select('id').where('sha256', '=', f.sha256).execute()).toEqual([]);

    const second = await put(uploadId, 60_000, f.bytes.subarray(60_000, 120_000));
    expect(second.json()).toMatchObject({ offset: 120_000, complete: false });
    const last = await put(uploadId, 120_000, f.bytes.subarray(120_000));
    expect(last.statusCode).toBe(201);
    const body = last.json();
    expect(body).toMatchObject({ complete: true, duplicate: false, offset: f.bytes.length, sha256: f.sha256 });

    const e = await env.database.db.selectFrom('exposures').selectAll().where('id', '=', body.exposureId).executeTakeFirstOrThrow();
    expect(e).toMatchObject({
      mission_id: seed.missionId,
      node_id: seed.nodes[0].id,
      task_id: seed.taskIds[0],
      exposure_s: 60,
      filter: 'V',
      state: 'RECEIVED',
      file_name: name,
      sha256: f.sha256,
      object_key: frameObjectKey(f.sha256),
      pipeline_state: 'received',
    });
    expect(new Date(e.started_at).toISOString()).toBe(new Date(start.getTime() + 250).toISOString());

    // The pixels are in the store under their hash, byte for byte.
    const stored = Buffer.concat(await (async () => { const out: Buffer[] = []; for await (const c of await env.storage.get(frameObjectKey(f.sha256))) out.push(c as Buffer); return out; })());
    expect(stored.equals(Buffer.from(f.bytes))).toBe(true);

    // The ingest job was queued with it (ledger row + pg-boss job).
    const job = await env.database.db.selectFrom('pipeline_jobs').selectAll().where('dedupe_key', '=', `ingest:${e.id}`).executeTakeFirstOrThrow();
    expect(job).toMatchObject({ stage: 'ingest', queue: 'ingest', state: 'queued', input: { exposureId: e.id } });
    const boss = await env.database.executeSql(`SELECT name, state FROM ${bossSchema(env)}.job WHERE id = $1`, [job.job_id]);
    expect(boss.rows).toEqual([{ name: 'ingest', state: 'created' }]);

    // Temporary parts are gone.
    expect((await counts()).files.filter((p) => p.startsWith('uploads/'))).toEqual([]);
    expect(await env.database.db.selectFrom('upload_parts').select('upload_id').where('upload_id', '=', uploadId).execute()).toEqual([]);

    // A repeat of the final request is answered from the finished upload.
    const again = await put(uploadId, f.bytes.length, new Uint8Array(0));
    expect(again.json()).toMatchObject({ exposureId: e.id, complete: true });
  });

  it('stores the same bytes once', async () => {
    const start = nextStart();
    const f = renderTestFrame({ startUtc: start, seed: 11 });
    const name = frameFileName(seed.missionId, seed.nodes[0].id, start);
    const first = await uploadWhole(name, f.bytes, f.sha256);
    expect(first.statusCode).toBe(201);
    const before = await counts();

    // Known at creation: nothing to send.
    const again = await open(name, f.bytes, f.sha256);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ duplicate: true, exposureId: first.json().exposureId, uploadId: null });
    expect(await counts()).toEqual(before);
  });

  it('finds a duplicate at completion when two sessions race, and keeps nothing of the second', async () => {
    const start = nextStart();
    const f = renderTestFrame({ startUtc: start, seed: 12 });
    const name = frameFileName(seed.missionId, seed.nodes[0].id, start);
    const a = (await open(name, f.bytes, f.sha256)).json().uploadId as string;
    const b = (await open(name, f.bytes, f.sha256)).json().uploadId as string;
    expect(a).not.toBe(b);
    const ra = await put(a, 0, f.bytes);
    expect(ra.statusCode).toBe(201);
    const before = await counts();
    const rb = await put(b, 0, f.bytes);
    expect(rb.statusCode).toBe(200);
    expect(rb.json()).toMatchObject({ duplicate: true, exposureId: ra.json().exposureId });
    const after = await counts();
    expect(after.exposures).toBe(before.exposures);
    expect(after.jobs).toBe(before.jobs);
    expect(after.files).toEqual(before.files);
  });

  describe('bad uploads leave nothing', () => {
    const cases: Array<{
      what: string;
      status: number;
      code: string;
      run: () => Promise<{ statusCode: number; json(): { code: string; message: string } }>;
    }> = [
      {
        what: 'no token',
        status: 401,
        code: 'UNAUTHORIZED',
        run: async () => app.inject({ method: 'POST', url: '/api/v1/uploads', payload: { fileName: 'x.fits', bytes: 2880, sha256: '0'.repeat(64) } }),
      },
      {
        what: 'another node in the file name',
        status: 403,
        code: 'FORBIDDEN',
        run: async () => {
          const s = nextStart();
          const f = renderTestFrame({ startUtc: s });
          return open(frameFileName(seed.missionId, seed.nodes[1].id, s), f.bytes, f.sha256, 0);
        },
      },
      {
        what: 'a mission not assigned to the node',
        status: 403,
        code: 'NOT_ASSIGNED',
        run: async () => {
          const s = nextStart();
          const f = renderTestFrame({ startUtc: s });
          return open(frameFileName(other.missionId, seed.nodes[0].id, s), f.bytes, f.sha256, 0);
        },
      },
      {
        what: 'a malformed file name',
        status: 400,
        code: 'BAD_FILE_NAME',
        run: async () => {
          const f = renderTestFrame({ startUtc: nextStart() });
          return open('frame-001.fits', f.bytes, f.sha256, 0);
        },
      },
      {
        what: 'a file over the size limit',
        status: 413,
        code: 'TOO_LARGE',
        run: async () => {
          const s = nextStart();
          return app.inject({
            method: 'POST',
            url: '/api/v1/uploads',
            headers: auth(),
            payload: { fileName: frameFileName(seed.missionId, seed.nodes[0].id, s), bytes: 400_001, sha256: 'a'.repeat(64) },
          });
        },
      },
      {
        what: 'more bytes than declared',
        status: 413,
        code: 'TOO_LARGE',
        run: async () => {
          const s = nextStart();
          const f = renderTestFrame({ startUtc: s });
          const id = (await open(frameFileName(seed.missionId, seed.nodes[0].id, s), f.bytes, f.sha256)).json().uploadId as string;
          const r = await put(id, 0, Buffer.concat([Buffer.from(f.bytes), Buffer.alloc(10)]));
          await app.inject({ method: 'DELETE', url: `/api/v1/uploads/${id}`, headers: auth() });
          return r;
        },
      },
      {
        what: 'not a FITS file',
        status: 422,
        code: 'NOT_FITS',
        run: async () => {
          const s = nextStart();
          const bytes = new Uint8Array(5760).fill(0x41);
          const sha = (await import('node:crypto')).createHash('sha256').update(bytes).digest('hex');
          const id = (await open(frameFileName(seed.missionId, seed.nodes[0].id, s), bytes, sha)).json().uploadId as string;
          return put(id, 0, bytes);
        },
      },
      {
        what: 'a corrupt compressed tile',
        status: 422,
        code: 'CORRUPT_TILE',
        run: async () => {
          const s = nextStart();
          const f = renderTestFrame({ startUtc: s, compressed: true, seed: 21 });
          const broken = f.bytes.slice();
          for (let i = 2 * 2880 + 3000; i < broken.length - 100; i++) broken[i] = (i * 131) & 0xff;
          const sha = (await import('node:crypto')).createHash('sha256').update(broken).digest('hex');
          return uploadWhole(frameFileName(seed.missionId, seed.nodes[0].id, s), broken, sha);
        },
      },
      {
        what: 'a file name whose time is not the header DATE-OBS',
        status: 422,
        code: 'HEADER_MISMATCH',
        run: async () => {
          const s = nextStart();
          const f = renderTestFrame({ startUtc: new Date(s.getTime() + 60_000), seed: 22 });
          return uploadWhole(frameFileName(seed.missionId, seed.nodes[0].id, s), f.bytes, f.sha256);
        },
      },
      {
        what: 'bytes that do not match the declared SHA-256',
        status: 422,
        code: 'CHECKSUM_MISMATCH',
        run: async () => {
          const s = nextStart();
          const f = renderTestFrame({ startUtc: s, seed: 23 });
          return uploadWhole(frameFileName(seed.missionId, seed.nodes[0].id, s), f.bytes, 'b'.repeat(64));
        },
      },
    ];

    it.each(cases)('$what → $status $code', async ({ status, code, run }) => {
      const before = await counts();
      const r = await run();
      expect(r.statusCode).toBe(status);
      const body = r.json();
      expect(body.code).toBe(code);
      expect(body.message.length).toBeGreaterThan(10);
      const after = await counts();
      expect(after).toEqual(before);
      expect(after.files.some((p) => p.includes('.openastro-tmp-'))).toBe(false);
    });
  });

  it('resumes after a request cut off mid-chunk, and after the server went away mid-upload', async () => {
    const start = nextStart();
    const f = renderTestFrame({ startUtc: start, seed: 31 });
    const name = frameFileName(seed.missionId, seed.nodes[0].id, start);
    const id = (await open(name, f.bytes, f.sha256)).json().uploadId as string;
    expect((await put(id, 0, f.bytes.subarray(0, 50_000))).statusCode).toBe(200);

    // A second server over the same database and store: the first one will be killed.
    const serverA = await buildTestApp(env);
    await serverA.listen({ port: 0, host: '127.0.0.1' });
    const port = (serverA.server.address() as AddressInfo).port;
    const cut = new Promise<string>((resolve) => {
      const req = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'PUT',
        path: `/api/v1/uploads/${id}`,
        headers: { ...auth(), 'content-type': CHUNK_TYPE, 'upload-offset': '50000', 'content-length': String(f.bytes.length - 50_000) },
      });
      req.on('error', (e) => resolve(e.message));
      req.on('response', (res) => resolve(`status ${res.statusCode}`));
      req.write(Buffer.from(f.bytes.subarray(50_000, 90_000)));
    });
    await sleep(300);
    // "Kill" server A: drop every connection and stop it while the chunk is half sent.
    serverA.server.closeAllConnections();
    await serverA.close();
    expect(await cut).toMatch(/socket hang up|ECONNRESET|aborted/);

    // No observation exists; the partial chunk was not counted.
    expect(await env.database.db.selectFrom('exposures').select('id').where('sha256', '=', f.sha256).execute()).toEqual([]);
    const head = await app.inject({ method: 'HEAD', url: `/api/v1/uploads/${id}`, headers: auth() });
    expect(head.headers['upload-offset']).toBe('50000');
    await sleep(200);
    expect((await filesUnder(env.storageDir)).filter((p) => p.includes('.openastro-tmp-'))).toEqual([]);

    // The client resumes from the offset on the server that is still up.
    const rest = await put(id, 50_000, f.bytes.subarray(50_000));
    expect(rest.statusCode).toBe(201);
    const e = await env.database.db.selectFrom('exposures').select(['id', 'sha256']).where('id', '=', rest.json().exposureId).executeTakeFirstOrThrow();
    expect(e.sha256).toBe(f.sha256);
  });

  it('meets the compact measurement and its FITS file on one exposure, whatever the order', async () => {
    const start = nextStart();
    const name = frameFileName(seed.missionId, seed.nodes[0].id, start);
    const measurement = {
      id: `outbox-${start.getTime()}`,
      missionId: seed.missionId,
      fileName: name,
      timeUtc: new Date(start.getTime() + 30_000).toISOString(),
      exposureS: 60,
      filter: 'V',
      target: { mag: 12.31, err: 0.012 },
      comparisons: [{ id: 'c1', mag: 11.9, err: 0.01, catalogMag: 11.92 }],
      flags: [],
    };
    const m1 = await app.inject({ method: 'POST', url: '/api/v1/uploads/measurements', headers: auth(), payload: measurement });
    expect(m1.statusCode).toBe(201);
    const m2 = await app.inject({ method: 'POST', url: '/api/v1/uploads/measurements', headers: auth(), payload: measurement });
    expect(m2.statusCode).toBe(200);
    expect(m2.json()).toMatchObject({ duplicate: true, exposureId: m1.json().exposureId });
    const row = await env.database.db.selectFrom('exposures').selectAll().where('id', '=', m1.json().exposureId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ state: 'RECEIVED', sha256: null, object_key: null, measurement: { target: { mag: 12.31, err: 0.012 } } });

    const f = renderTestFrame({ startUtc: start, seed: 41 });
    const up = await uploadWhole(name, f.bytes, f.sha256);
    expect(up.statusCode).toBe(201);
    expect(up.json().exposureId).toBe(m1.json().exposureId);
    const after = await env.database.db.selectFrom('exposures').selectAll().where('id', '=', m1.json().exposureId).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ sha256: f.sha256, object_key: frameObjectKey(f.sha256), measurement: { id: measurement.id } });

    // Without a hash: the same JSON twice is one measurement; a node cannot report for another node.
    const anon = { ...measurement, id: undefined, fileName: undefined, startUtc: nextStart().toISOString() };
    const a1 = await app.inject({ method: 'POST', url: '/api/v1/uploads/measurements', headers: auth(), payload: anon });
    const a2 = await app.inject({ method: 'POST', url: '/api/v1/uploads/measurements', headers: auth(), payload: anon });
    expect([a1.statusCode, a2.statusCode]).toEqual([201, 200]);
    expect(a2.json().measurementId).toBe(a1.json().measurementId);
    const foreign = await app.inject({ method: 'POST', url: '/api/v1/uploads/measurements', headers: auth(), payload: { ...measurement, fileName: frameFileName(seed.missionId, seed.nodes[1].id, start) } });
    expect(foreign.statusCode).toBe(403);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/uploads/measurements', headers: auth(), payload: { ...measurement, target: { err: 0.1 } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/target: mag or flux is required/);

    // Other bytes under the name of a frame already stored: refused before any byte is sent.
    const other = renderTestFrame({ startUtc: start, seed: 42 });
    const clash = await open(name, other.bytes, other.sha256);
    expect(clash.statusCode).toBe(409);
    expect(clash.json().code).toBe('CONFLICT');
  });

  it('discards sessions left idle past their expiry, with their parts and stray chunks', async () => {
    const start = nextStart();
    const f = renderTestFrame({ startUtc: start, seed: 51 });
    const id = (await open(frameFileName(seed.missionId, seed.nodes[0].id, start), f.bytes, f.sha256)).json().uploadId as string;
    expect((await put(id, 0, f.bytes.subarray(0, 50_000))).statusCode).toBe(200);
    // A chunk stored by a server that died before recording it.
    await env.storage.put(`uploads/tmp/${id}/000000050000-0123456789ab`, new Uint8Array(10));
    const deps = { database: env.database, storage: env.storage };
    expect(await expireUploads(deps, env.clock.now())).toBe(0);
    env.clock.advance(25 * 3600_000);
    expect(await expireUploads(deps, env.clock.now())).toBeGreaterThanOrEqual(1);
    expect((await app.inject({ method: 'HEAD', url: `/api/v1/uploads/${id}`, headers: auth() })).statusCode).toBe(404);
    expect((await filesUnder(env.storageDir)).filter((p) => p.startsWith(`uploads/tmp/${id}`))).toEqual([]);
  });
});
