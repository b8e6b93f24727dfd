/**
 * Crash safety of the stack stage: a worker process (`openastro worker --queue stack`)
 * killed with SIGKILL in the middle of a stack job → pg-boss expires the job, another
 * worker retries it, and the product is byte for byte what an uninterrupted run makes.
 *
 * Two processes cannot share a PGlite directory, so this runs on PostgreSQL only
 * (TEST_DATABASE_URL); without it the test is skipped with the reason printed, unless
 * OPENASTRO_REQUIRE_TOOLS=1.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { postgresUrl } from '../platform/engines.js';
import { startPipeline, type Pipeline } from '../../src/pipeline/runner.js';
import { ingestStage } from '../../src/pipeline/ingest/stage.js';
import { runStack } from '../../src/pipeline/stack/stage.js';
import { enqueueStage } from '../../src/pipeline/enqueue.js';
import type { StageContext } from '../../src/pipeline/stages.js';
import { bossSchema, buildTestApp, frameFileName, openEnv, renderTestFrame, seedNetwork, sleep, TEST_OPTICS, uploadFrame, waitFor, type Env } from './helpers.js';

const url = postgresUrl();
const CHILD = path.join(import.meta.dirname, 'fixtures', 'worker-child.ts');

describe.skipIf(!url)('a stack worker killed mid-job (PostgreSQL)', () => {
  let env: Env;
  let app: FastifyInstance;
  let ingest: Pipeline | undefined;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    env = await openEnv('postgres');
    app = await buildTestApp(env);
    dataDir = await mkdtemp(path.join(tmpdir(), 'openastro-crash-'));
    // Ingest in this process; the stack job it enqueues expires 25 s after a worker takes it.
    ingest = await startPipeline({
      database: env.database,
      jobs: env.jobs,
      storage: env.storage,
      clock: { now: () => new Date() },
      handlers: { ingest: ingestStage() },
      queues: ['ingest'],
      pollingIntervalSeconds: 0.5,
      maintenanceIntervalS: 0,
      policies: { stack: { expireInS: 25, retryDelayS: 1, retryLimit: 3 } },
    });
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await ingest?.stop();
    await app?.close();
    await env?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  function worker(extra: string[] = []): { child: ChildProcess; stderr: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, '--queue', 'stack', ...extra], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        DATABASE_URL: env.engine.url,
        OPENASTRO_JOBS_SCHEMA: bossSchema(env),
        OPENASTRO_STORAGE_DIR: env.storageDir,
        OPENASTRO_DATA_DIR: dataDir,
        OPENASTRO_JOBS_POLLING_INTERVAL_S: '0.5',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, stderr: () => err, exited };
  }

  it('is retried after expiry and produces the same stack as an uninterrupted run', async () => {
    const N = 8;
    const optics = { ...TEST_OPTICS, widthPx: 512, heightPx: 512 };
    const seed = await seedNetwork(env.database, env.clock.now(), { frames: N, subExposureS: 60 });
    const node = seed.nodes[0];
    for (let i = 0; i < N; i++) {
      const start = new Date(Date.parse('2026-03-02T01:00:00Z') + i * 90_000);
      // Small pointing offsets: the frames overlap on a grid larger than any one of them.
      const f = renderTestFrame({ startUtc: start, seed: 500 + i, optics, raDeg: 150 + i * 0.002, decDeg: 20 - i * 0.001 });
      const r = await uploadFrame(app, node.token, frameFileName(seed.missionId, node.id, start), f);
      expect(r.statusCode).toBe(201);
    }
    const stackKey = `stack:${seed.missionId}`;
    const queued = await waitFor(
      () => env.database.db.selectFrom('pipeline_jobs').selectAll().where('dedupe_key', '=', stackKey).executeTakeFirst(),
      60_000,
      'the stack job (mission COMPLETE)',
    );
    expect(queued.state).toBe('queued');

    // Worker 1 takes the job; kill it while it co-adds.
    const w1 = worker();
    const seen = await waitFor(async () => {
      const row = await env.database.db.selectFrom('pipeline_jobs').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
      if (row.state === 'completed') throw new Error(`the stack finished before it could be killed; worker log:\n${w1.stderr()}`);
      return row.state === 'active' && row.progress > 0.45 ? row : undefined;
    }, 120_000, 'the stack job in progress');
    w1.child.kill('SIGKILL');
    expect(await w1.exited).toBeNull(); // killed by the signal
    expect(seen).toMatchObject({ attempts: 1, message: expect.stringMatching(/\d+\/\d+/) });
    expect(await env.database.db.selectFrom('products').selectAll().where('mission_id', '=', seed.missionId).execute()).toEqual([]);

    // Worker 2 finds the job expired (25 s), retries it and finishes.
    const w2 = worker(['--expiry-check', '1']);
    const done = await waitFor(async () => {
      const row = await env.database.db.selectFrom('pipeline_jobs').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
      if (row.state === 'failed') throw new Error(`dead-lettered: ${row.error}\n${w2.stderr()}`);
      return row.state === 'completed' ? row : undefined;
    }, 180_000, 'the retried stack job');
    expect(done.attempts, w2.stderr()).toBe(2);
    // The ledger commits inside the handler; pg-boss marks its own row completed just after.
    const boss = await waitFor(async () => {
      const r = await env.database.executeSql(`SELECT state, retry_count FROM ${bossSchema(env)}.job WHERE id = $1`, [queued.job_id]);
      return r.rows[0]?.state === 'active' ? undefined : r.rows[0];
    }, 30_000, 'pg-boss to record completion');
    expect(boss).toEqual({ state: 'completed', retry_count: 1 });
    const products = await env.database.db.selectFrom('products').selectAll().where('mission_id', '=', seed.missionId).execute();
    expect(products.length).toBe(1);
    expect((products[0].summary as { nCombined: number }).nCombined).toBe(N);

    // Graceful stop of worker 2.
    w2.child.kill('SIGTERM');
    expect(await w2.exited).toBe(0);
    expect(w2.stderr()).toMatch(/openastro worker: stopped/);

    // An uninterrupted run in this process gives the same bytes, the same key, one row.
    const ctx: StageContext = {
      database: env.database,
      storage: env.storage,
      clock: env.clock,
      jobs: env.jobs,
      jobId: 'reference',
      ledgerId: 'reference',
      attempt: 1,
      progress: async () => {},
      log: () => {},
      enqueue: (trx, s, i) => enqueueStage(env.jobs, trx, s, i, env.clock.now()),
    };
    const reference = await runStack(seed.missionId, ctx);
    const after = await env.database.db.selectFrom('products').selectAll().where('mission_id', '=', seed.missionId).execute();
    expect(after.length).toBe(1);
    expect(after[0].sha256).toBe(products[0].sha256);
    expect(after[0].object_key).toBe(products[0].object_key);
    expect(after[0].summary).toEqual(reference);
    expect(after[0].summary).toEqual(products[0].summary);
    await sleep(10);
  }, 400_000);
});

if (!url) {
  describe('a stack worker killed mid-job', () => {
    it.skip('skipped: needs PostgreSQL (TEST_DATABASE_URL) — two processes cannot share a PGlite directory', () => {});
  });
}
