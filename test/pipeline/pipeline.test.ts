/**
 * Upload → ingest → credit → mission COMPLETE → stack, through the runner on pg-boss, on
 * PGlite and PostgreSQL: metadata stored from frames rendered by science/sky, rejection
 * reasons, exactly one stack job per completed mission, retries and dead letters visible
 * in the jobs API with progress, and a stack whose noise falls as 1/√N (injected truth).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { engineNames } from '../platform/engines.js';
import { startPipeline, type Pipeline } from '../../src/pipeline/runner.js';
import { ingestStage, runIngest } from '../../src/pipeline/ingest/stage.js';
import { runStack, stackStage } from '../../src/pipeline/stack/stage.js';
import { enqueueStage } from '../../src/pipeline/enqueue.js';
import { markStarted } from '../../src/pipeline/ledger.js';
import type { StageContext, StageHandlers } from '../../src/pipeline/stages.js';
import { readObject } from '../../src/pipeline/objects.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { bossSchema, buildTestApp, frameFileName, openEnv, renderTestFrame, robustStd, seedNetwork, uploadFrame, waitFor, type Env } from './helpers.js';

describe.each(engineNames())('pipeline on %s', (engineName) => {
  let env: Env;
  let app: FastifyInstance;
  let pipeline: Pipeline | undefined;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));

  // The science queue is served with test handlers to see progress and failures; ingest and
  // stack with the real stages.
  const handlers: StageHandlers = {
    ingest: ingestStage(),
    stack: stackStage({ tileSize: 128 }),
    lightcurve: async (_input, ctx) => {
      await ctx.progress(0.5, 'half way');
      await gate;
    },
    period: async () => {
      throw new Error('period search exploded');
    },
    'transit-times': async () => {},
  };

  beforeAll(async () => {
    env = await openEnv(engineName);
    app = await buildTestApp(env);
    pipeline = await startPipeline({
      database: env.database,
      jobs: env.jobs,
      storage: env.storage,
      clock: env.clock,
      handlers,
      queues: ['ingest', 'stack', 'science'],
      pollingIntervalSeconds: 0.5,
      maintenanceIntervalS: 0,
      progressIntervalMs: 0,
    });
  }, 120_000);
  afterAll(async () => {
    release();
    await pipeline?.stop();
    await app?.close();
    await env?.close();
  }, 60_000);

  const exposure = (id: string) => env.database.db.selectFrom('exposures').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const ledgerState = async (id: string) => (await env.database.db.selectFrom('pipeline_jobs').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
  const ledger = (key: string) => env.database.db.selectFrom('pipeline_jobs').selectAll().where('dedupe_key', '=', key).executeTakeFirst();

  it('refuses to serve a queue whose stages have no handler', async () => {
    await expect(
      startPipeline({ database: env.database, jobs: env.jobs, storage: env.storage, clock: env.clock, handlers: { ingest: ingestStage() }, queues: ['image'] }),
    ).rejects.toMatchObject({ code: 'NO_HANDLER', message: expect.stringMatching(/queue 'image' runs stage\(s\) image/) });
  });

  it('ingests: metadata from the header, credit, the image job; rejects with a reason', async () => {
    const seed = await seedNetwork(env.database, env.clock.now(), { frames: 10, subExposureS: 60 });
    const node = seed.nodes[0];
    const start = new Date('2026-03-01T21:10:00.500Z');
    const f = renderTestFrame({ startUtc: start, exposureS: 60, seed: 3 });
    const up = await uploadFrame(app, node.token, frameFileName(seed.missionId, node.id, start), f);
    expect(up.statusCode).toBe(201);
    const id = up.body.exposureId as string;
    const e = await waitFor(async () => {
      const row = await exposure(id);
      return row.pipeline_state === 'received' ? undefined : row;
    }, 30_000, 'ingest');
    expect(e).toMatchObject({ state: 'ACCEPTED', pipeline_state: 'ingested', has_wcs: true, width: 256, height: 256, pointing_source: 'WCS', rejection_reason: null });
    expect(new Date(e.mid_utc as Date).toISOString()).toBe('2026-03-01T21:10:30.500Z');
    expect(e.ra_deg).toBeCloseTo(150, 3);
    expect(e.dec_deg).toBeCloseTo(20, 3);
    expect(e.header).toMatchObject({ optics: { focalLengthMm: 1000, pixelSizeUm: 3.76, apertureMm: 200 }, keywords: { OBJECT: 'test field', FILTER: 'V' } });
    const m = await env.database.db.selectFrom('missions').selectAll().where('id', '=', seed.missionId).executeTakeFirstOrThrow();
    expect(m.delivered_exposure_s).toBe(60);
    expect(await ledger(`image:${id}`)).toMatchObject({ stage: 'image', queue: 'image', state: 'queued' });
    expect(await ledger(`ingest:${id}`)).toMatchObject({ state: 'completed', attempts: 1, progress: 1 });

    // Wrong filter: rejected with the reason, no credit, no image job.
    const s2 = new Date('2026-03-01T21:12:00Z');
    const bad = renderTestFrame({ startUtc: s2, filter: 'R', seed: 4 });
    const up2 = await uploadFrame(app, node.token, frameFileName(seed.missionId, node.id, s2), bad);
    const id2 = up2.body.exposureId as string;
    const e2 = await waitFor(async () => {
      const row = await exposure(id2);
      return row.pipeline_state === 'received' ? undefined : row;
    }, 30_000, 'ingest of the rejected frame');
    expect(e2).toMatchObject({ state: 'REJECTED', pipeline_state: 'rejected', rejection_reason: "filter 'R' is not the mission's 'V'" });
    const m2 = await env.database.db.selectFrom('missions').select('delivered_exposure_s').where('id', '=', seed.missionId).executeTakeFirstOrThrow();
    expect(m2.delivered_exposure_s).toBe(60);
    expect(await ledger(`image:${id2}`)).toBeUndefined();
  });

  it('completes the mission once: exactly one stack job, and the stack beats a single frame by √N', async () => {
    const N = 4;
    const seed = await seedNetwork(env.database, env.clock.now(), { frames: N + 1, subExposureS: 60, nodeCount: 2, assignAll: true });
    // Frames arrive out of order, from two nodes; one has no WCS (skipped by the stack).
    const starts = Array.from({ length: N + 1 }, (_, i) => new Date(Date.parse('2026-03-01T22:00:00Z') + (N - i) * 90_000));
    const frames = starts.map((s, i) => renderTestFrame({ startUtc: s, seed: 100 + i, withWcs: i !== N }));
    const ids: string[] = [];
    for (const [i, f] of frames.entries()) {
      const node = seed.nodes[i % 2];
      const r = await uploadFrame(app, node.token, frameFileName(seed.missionId, node.id, starts[i]), f);
      expect(r.statusCode).toBe(201);
      ids.push(r.body.exposureId as string);
    }
    const product = await waitFor(
      () => env.database.db.selectFrom('products').selectAll().where('mission_id', '=', seed.missionId).executeTakeFirst(),
      90_000,
      'the stack product',
    );
    const mission = await env.database.db.selectFrom('missions').selectAll().where('id', '=', seed.missionId).executeTakeFirstOrThrow();
    expect(mission).toMatchObject({ state: 'COMPLETE', delivered_exposure_s: 300 });

    // Exactly one stack job, in the ledger and in pg-boss; a re-run of ingest adds nothing.
    const stackJobs = (await env.database.db.selectFrom('pipeline_jobs').selectAll().where('stage', '=', 'stack').execute()).filter((j) => j.input.missionId === seed.missionId);
    expect(stackJobs.length).toBe(1);
    const boss = await env.database.executeSql(`SELECT count(*)::int AS n FROM ${bossSchema(env)}.job WHERE name = 'stack' AND data->'input'->>'missionId' = $1`, [seed.missionId]);
    expect(boss.rows[0].n).toBe(1);
    const ctx: StageContext = {
      database: env.database,
      storage: env.storage,
      clock: env.clock,
      jobs: env.jobs,
      jobId: 'test',
      ledgerId: 'test',
      attempt: 1,
      progress: async () => {},
      log: () => {},
      enqueue: (trx, s, i) => enqueueStage(env.jobs, trx, s, i, env.clock.now()),
    };
    expect(await runIngest(ids[0], ctx)).toMatchObject({ changed: false });
    const again = await env.database.db.transaction().execute((trx) => enqueueStage(env.jobs, trx, 'stack', { missionId: seed.missionId }, env.clock.now()));
    expect(again).toBeNull();

    // The product: 4 frames used, the one without WCS skipped with its reason.
    expect(product.kind).toBe('stack');
    expect(product.object_key).toBe(`products/${seed.missionId}/stack-${product.sha256}.fits`);
    const summary = product.summary as { nCombined: number; skipped: Array<{ exposureId: string; reason: string }>; totalExposureS: number };
    expect(summary.nCombined).toBe(N);
    expect(summary.totalExposureS).toBe(N * 60);
    expect(summary.skipped).toEqual([{ exposureId: ids[N], reason: 'no celestial WCS (not plate-solved yet)' }]);

    const bytes = await readObject(env.storage, product.object_key);
    const reader = await FitsReader.open(bytes);
    expect(reader.hdus.map((h) => h.header.getString('EXTNAME') ?? 'PRIMARY')).toEqual(['PRIMARY', 'WEIGHT', 'COVERAGE', 'ERROR']);
    expect(reader.hdus[0].header.getInt('NCOMBINE')).toBe(N);
    const stack = (await reader.readImage(0)).data as Float32Array;
    const coverage = (await reader.readImage(2)).data as Float32Array;
    const inner: number[] = [];
    const w = reader.hdus[0].header.getInt('NAXIS1') as number;
    for (let i = 0; i < stack.length; i++) if (coverage[i] === N && i % w > 4 && i % w < w - 5) inner.push(stack[i]);
    await reader.close();

    // Injected truth: each frame's sky noise is √(sky + RN²) ADU (gain 1); measured on the
    // raw frame first (star pixels clipped), then on the stack: the ratio is √N.
    const single = await (async () => {
      const r = await FitsReader.open(frames[0].bytes);
      const img = await r.readImage(0);
      await r.close();
      return robustStd(Float64Array.from(img.data as ArrayLike<number>, Number));
    })();
    expect(single / frames[0].noiseAdu).toBeGreaterThan(0.95);
    expect(single / frames[0].noiseAdu).toBeLessThan(1.05);
    const stacked = robustStd(inner);
    const gain = single / stacked;
    expect(gain).toBeGreaterThan(Math.sqrt(N) * 0.9);
    expect(gain).toBeLessThan(Math.sqrt(N) * 1.1);

    // Once the pipeline has plate-solved the frame that came without a WCS, a re-stack reads
    // its solved copy: all N + 1 frames are combined and nothing is skipped.
    const solvedKey = `solved/${ids[N]}.fits`;
    const solvedCopy = renderTestFrame({ startUtc: starts[N], seed: 100 + N, withWcs: true });
    await env.storage.put(solvedKey, solvedCopy.bytes);
    await env.database.db.updateTable('exposures').set({ solve_status: 'solved', solved_object_key: solvedKey }).where('id', '=', ids[N]).execute();
    const restack = await runStack(seed.missionId, ctx, { tileSize: 128 });
    expect(restack?.nCombined).toBe(N + 1);
    expect(restack?.skipped).toEqual([]);
  });

  it('shows running jobs with progress, retries with backoff, and lists dead letters with their error', async () => {
    const missionId = '00000000-0000-4000-8000-000000000001';
    const now = env.clock.now();
    const ids = await env.database.db.transaction().execute(async (trx) => ({
      running: await enqueueStage(env.jobs, trx, 'lightcurve', { missionId }, now),
      failing: await enqueueStage(env.jobs, trx, 'period', { missionId }, now, { policy: { retryLimit: 1, retryDelayS: 1 } }),
    }));
    const running = await waitFor(async () => {
      const r = await app.inject({ method: 'GET', url: '/api/v1/jobs' });
      const body = r.json() as { running: Array<{ id: string; progress: number; message: string }>; queues: Record<string, Record<string, number>> };
      return body.running.find((j) => j.id === ids.running && j.progress === 0.5) ? body : undefined;
    }, 30_000, 'the running job');
    expect(running.running.find((j) => j.id === ids.running)).toMatchObject({ stage: 'lightcurve', state: 'active', progress: 0.5, message: 'half way', attempts: 1 });
    expect(running.queues.science.active).toBeGreaterThanOrEqual(1);
    release(); // one worker per queue: the failing job runs once the first one is done

    const failed = await waitFor(async () => {
      const r = await app.inject({ method: 'GET', url: '/api/v1/jobs?state=failed' });
      return (r.json().jobs as Array<{ id: string }>).find((j) => j.id === ids.failing);
    }, 45_000, 'the dead letter');
    expect(failed).toMatchObject({ stage: 'period', state: 'failed', attempts: 2, maxAttempts: 2, error: 'period search exploded' });
    const one = await app.inject({ method: 'GET', url: `/api/v1/jobs/${ids.failing}` });
    expect(one.json()).toMatchObject({ id: ids.failing, state: 'failed' });
    const byBossId = await app.inject({ method: 'GET', url: `/api/v1/jobs/${one.json().jobId}` });
    expect(byBossId.json().id).toBe(ids.failing);
    expect((await app.inject({ method: 'GET', url: '/api/v1/jobs/00000000-0000-4000-8000-00000000dead' })).statusCode).toBe(404);
    // pg-boss waited with backoff between the attempts (retryDelay 1 s → 1–2 s).
    const b = await env.database.executeSql(`SELECT state, retry_count, retry_backoff FROM ${bossSchema(env)}.job WHERE id = $1`, [one.json().jobId]);
    expect(b.rows[0]).toMatchObject({ state: 'failed', retry_count: 1, retry_backoff: true });
    expect(await ledgerState(ids.running as string)).toBe('completed');
  });

  it('records what pg-boss did with the job of a worker that died (reconcile on read)', async () => {
    const missionId = '00000000-0000-4000-8000-000000000002';
    const ledgerId = (await env.database.db.transaction().execute((trx) =>
      enqueueStage(env.jobs, trx, 'ttv', { missionId }, env.clock.now(), { policy: { retryLimit: 0 } }),
    )) as string;
    // A worker (not this runner: the inference queue is not served here) takes the job and dies.
    const [job] = await env.jobs.boss.fetch<object>('inference');
    expect(job).toBeDefined();
    await markStarted(env.database.db, ledgerId, 1, 'ghost:1', env.clock.now());
    await env.jobs.boss.fail('inference', job.id, { message: 'job failed by timeout in active state' });
    // Fresh rows are left alone; once stale, the ledger follows pg-boss.
    expect((await app.inject({ method: 'GET', url: `/api/v1/jobs/${ledgerId}` })).json().state).toBe('active');
    env.clock.advance(31_000);
    const r = await app.inject({ method: 'GET', url: '/api/v1/jobs?state=failed&stage=ttv' });
    expect(r.json().jobs).toEqual([expect.objectContaining({ id: ledgerId, state: 'failed', error: 'job failed by timeout in active state', worker: 'ghost:1' })]);
  });
});
