/**
 * The results API against the dashboard's contract: exact JSON shapes of light curve,
 * periodogram, O−C (with the posterior's model band), posterior, stack and calibration;
 * CSV and AAVSO exports; product files and planes; observations list/show; alerts; 404
 * before a product exists. Products come from the real stages (light curve, period,
 * transit times, TTV) on synthetic data, on PGlite and PostgreSQL.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runLightcurve } from '../../src/pipeline/lightcurve/stage.js';
import { runPeriod } from '../../src/pipeline/period/stage.js';
import { runTransitTimes } from '../../src/pipeline/transit/stage.js';
import { runTtv } from '../../src/pipeline/ttv/stage.js';
import { createLogger } from '../../src/platform/log/logger.js';
import { createRegistry } from '../../src/platform/metrics/registry.js';
import { Header } from '../../src/science/fits/header.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { imageHdu, writeFits } from '../../src/science/fits/writer.js';
import { buildServer } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';
import { resultsRoutes } from '../../src/server/routes/results.js';
import { engineNames } from '../platform/engines.js';
import { openEnv, type Env } from '../pipeline/helpers.js';
import { insertCalibrated, seedScience, stageContext, transitMission, T0, type ScienceSeed } from '../pipeline/science-helpers.js';

const keys = (o: object) => Object.keys(o).sort();

describe.each(engineNames())('results API on %s', (engineName) => {
  let env: Env;
  let app: FastifyInstance;
  let seed: ScienceSeed;
  let variable: string;
  let transit: string;
  let exposures: string[];
  const P = 0.41;

  beforeAll(async () => {
    env = await openEnv(engineName);
    seed = await seedScience(env.database.db, env.clock.now());
    const ctx: ServerContext = { database: env.database, clock: env.clock, jobs: env.jobs, storage: env.storage, heartbeatIntervalS: 30, leaseS: 600 };
    app = buildServer(ctx, {
      config: { auth: { operatorTokens: [], readsOpen: true } },
      logger: createLogger({ level: 'silent' }),
      metrics: createRegistry(),
      nodeTokens: { ttlMs: 0 },
      routes: [{ name: 'results', register: (scope, c) => resultsRoutes(scope, c) }],
    });
    await app.ready();

    // A variable star measured by two nodes over three nights (40 + 20 points).
    variable = seed.missionId;
    const pts = (n: number, phase0: number) =>
      Array.from({ length: n }, (_, i) => {
        const t = T0 + Math.floor(i / (n / 3)) + 0.02 * (i % Math.ceil(n / 3)) + phase0;
        return { bjdTdb: t, mag: 13 + 0.3 * Math.sin((2 * Math.PI * t) / P), err: 0.01 };
      });
    exposures = [...(await insertCalibrated(env, variable, seed.nodes[0].id, pts(40, 0))), ...(await insertCalibrated(env, variable, seed.nodes[1].id, pts(20, 0.001)))];
    const sctx = stageContext(env);
    await runLightcurve(variable, sctx);
    await runPeriod(variable, sctx);

    transit = await transitMission(env, seed);
    await runTransitTimes(transit, sctx);
    await runTtv(transit, sctx, { predictDays: 20 });
  }, 240_000);

  afterAll(async () => {
    await app?.close();
    await env?.close();
  });

  it('lightcurve: the contract shape, points by time with offsets removed', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/lightcurve` });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(keys(body)).toEqual(['bands', 'points', 'target']);
    expect(body.target).toBe('V* TEST');
    expect(body.bands).toEqual(['V']);
    expect(body.points).toHaveLength(60);
    for (const p of body.points) expect(keys(p)).toEqual(['band', 'bjdTdb', 'err', 'mag', 'nodeId', 'site']);
    expect(new Set(body.points.map((p: { site: string }) => p.site))).toEqual(new Set(['La Palma', 'Cerro Tololo']));
    const t = body.points.map((p: { bjdTdb: number }) => p.bjdTdb);
    expect([...t].sort((a, b) => a - b)).toEqual(t);
  });

  it('lightcurve as CSV with BJD_TDB and as AAVSO Extended (observer code required)', async () => {
    const csv = await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/lightcurve?format=csv` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('t_bjd_tdb,y,dy,band,site');
    expect(lines).toHaveLength(61);
    expect(Number(lines[1].split(',')[0])).toBeCloseTo(T0, 0);

    const missing = await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/lightcurve?format=aavso` });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/observerCode/) });
    const aavso = await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/lightcurve?format=aavso&observerCode=XOA` });
    expect(aavso.statusCode).toBe(200);
    const text = aavso.body.split('\n');
    expect(text[0]).toBe('#TYPE=EXTENDED');
    expect(text).toContain('#OBSCODE=XOA');
    const rows = text.filter((l) => l !== '' && !l.startsWith('#'));
    expect(rows).toHaveLength(60);
    // JD (UTC) back from BJD_TDB: apart by the light time (≤ 8.4 min) and TT − UTC (69.184 s).
    const first = (await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/lightcurve` })).json().points[0];
    const cells = rows[0].split(',');
    expect(cells[0]).toBe('V* TEST');
    expect(cells[4]).toBe('V');
    expect(Math.abs(Number(cells[1]) - first.bjdTdb) * 1440).toBeLessThan(8.4 + 69.184 / 60);
    expect(Math.abs(Number(cells[1]) - first.bjdTdb) * 1440).toBeGreaterThan(69.184 / 60 - 8.4);
    expect(cells[14]).toBe(`BJD_TDB=${first.bjdTdb.toFixed(7)}`);
  });

  it('periodogram: the contract shape; the sinusoid’s period first', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/periodogram` });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(keys(body)).toEqual(['bestPeriodDays', 'peaks', 'periodsDays', 'power']);
    expect(body.periodsDays.length).toBe(body.power.length);
    for (const p of body.peaks) expect(keys(p)).toEqual(['fap', 'periodDays', 'power']);
    expect(Math.abs(body.bestPeriodDays / P - 1)).toBeLessThan(0.01);
    expect(body.peaks[0].fap).toBeLessThan(1e-6);
  });

  it('oc: the contract shape, the model band from the TTV posterior', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/missions/${transit}/oc` });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(keys(body)).toEqual(['model', 'planet', 'points']);
    expect(body.planet).toBe('b');
    expect(body.points).toHaveLength(7);
    for (const p of body.points) expect(keys(p)).toEqual(['epoch', 'errMin', 'ocMin', 'site']);
    expect(body.points.filter((p: { site: string }) => p.site === 'ETD')).toHaveLength(3);
    expect(body.model.length).toBeGreaterThan(0);
    for (const m of body.model) {
      expect(keys(m)).toEqual(['epoch', 'hi68Min', 'hi95Min', 'lo68Min', 'lo95Min', 'medianMin']);
      expect(m.lo95Min).toBeLessThanOrEqual(m.lo68Min);
      expect(m.lo68Min).toBeLessThanOrEqual(m.medianMin);
      expect(m.medianMin).toBeLessThanOrEqual(m.hi68Min);
    }
    // The posterior's band differs from the ephemeris band (whose median is 0 by construction).
    expect(body.model.some((m: { medianMin: number }) => m.medianMin !== 0)).toBe(true);
  });

  it('posterior: the contract shape, ≤ 2000 samples with one column per parameter', async () => {
    const r = await app.inject({ method: 'GET', url: `/api/v1/missions/${transit}/posterior` });
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(keys(body)).toEqual(['parameters', 'samples']);
    for (const p of body.parameters) expect(keys(p)).toEqual(['hi68', 'lo68', 'median', 'name', 'unit']);
    expect(body.samples.length).toBeLessThanOrEqual(2000);
    expect(body.samples.length).toBeGreaterThan(10);
    for (const row of body.samples) expect(row).toHaveLength(body.parameters.length);
  });

  it('404 NOT_FOUND before a product exists; 404 for an unknown mission; 400 for a malformed id', async () => {
    const fresh = (await seedScience(env.database.db, env.clock.now())).missionId;
    for (const what of ['lightcurve', 'periodogram', 'oc', 'posterior', 'stack']) {
      const r = await app.inject({ method: 'GET', url: `/api/v1/missions/${fresh}/${what}` });
      expect(r.statusCode, what).toBe(404);
      expect(r.json()).toEqual({ code: 'NOT_FOUND', message: expect.stringMatching(/has no .* yet/) });
    }
    const unknown = await app.inject({ method: 'GET', url: `/api/v1/missions/00000000-0000-4000-8000-000000000000/lightcurve` });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    const bad = await app.inject({ method: 'GET', url: `/api/v1/missions/nope/lightcurve` });
    expect(bad.statusCode).toBe(400);
  });

  it('stack: the contract shape; the file streams whole and by plane', async () => {
    const w = 6;
    const h = 4;
    const plane = (v: number) => Float32Array.from({ length: w * h }, (_, i) => v + i);
    const ext = (name: string) => {
      const hd = new Header([]);
      hd.set('EXTNAME', name);
      return hd;
    };
    const bytes = writeFits([
      imageHdu(plane(0), [w, h]),
      imageHdu(plane(100), [w, h], { header: ext('WEIGHT'), primary: false }),
      imageHdu(plane(7), [w, h], { header: ext('COVERAGE'), primary: false }),
      imageHdu(plane(0.5), [w, h], { header: ext('ERROR'), primary: false }),
    ]);
    const key = `products/${variable}/stack-test.fits`;
    await env.storage.put(key, bytes);
    const row = await env.database.db
      .insertInto('products')
      .values({ mission_id: variable, kind: 'stack', object_key: key, sha256: 'x', summary: JSON.stringify({ width: w, height: h, nCombined: 12 }), created_at: env.clock.now(), updated_at: env.clock.now() })
      .returning('id')
      .executeTakeFirstOrThrow();
    const r = await app.inject({ method: 'GET', url: `/api/v1/missions/${variable}/stack` });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ productId: row.id, width: w, height: h, depthFrames: 12, url: `/api/v1/products/${row.id}/file`, coverageUrl: `/api/v1/products/${row.id}/file?plane=coverage` });

    const whole = await app.inject({ method: 'GET', url: `/api/v1/products/${row.id}/file` });
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-type']).toBe('application/fits');
    expect(Buffer.compare(whole.rawPayload, Buffer.from(bytes))).toBe(0);
    const cov = await app.inject({ method: 'GET', url: `/api/v1/products/${row.id}/file?plane=coverage` });
    expect(cov.statusCode).toBe(200);
    const reader = await FitsReader.open(new Uint8Array(cov.rawPayload));
    expect(reader.hdus).toHaveLength(1);
    expect(Array.from((await reader.readImage(0)).data as Float32Array)).toEqual(Array.from(plane(7)));
    await reader.close();
    // A JSON product is served as JSON; planes are for FITS only.
    const lcRow = await env.database.db.selectFrom('products').select('id').where('mission_id', '=', variable).where('kind', '=', 'lightcurve').executeTakeFirstOrThrow();
    const lc = await app.inject({ method: 'GET', url: `/api/v1/products/${lcRow.id}/file` });
    expect(lc.statusCode).toBe(200);
    expect(lc.json()).toMatchObject({ format: 'openastro-lightcurve', missionId: variable });
    expect((await app.inject({ method: 'GET', url: `/api/v1/products/${lcRow.id}/file?plane=weight` })).statusCode).toBe(400);
    expect((await app.inject({ method: 'GET', url: `/api/v1/products/00000000-0000-4000-8000-000000000000/file` })).statusCode).toBe(404);
  });

  it('calibration of a frame; observations listed (paged, filtered) and shown', async () => {
    const cal = await app.inject({ method: 'GET', url: `/api/v1/exposures/${exposures[0]}/calibration` });
    expect(cal.statusCode).toBe(200);
    expect(cal.json()).toMatchObject({ exposureId: exposures[0], missionId: variable, status: 'calibrated', zp: 20, zpErr: 0.005, target: { mag: expect.any(Number), err: 0.01 } });
    const none = await app.inject({ method: 'GET', url: `/api/v1/exposures/00000000-0000-4000-8000-000000000000/calibration` });
    expect(none.statusCode).toBe(404);

    const page = await app.inject({ method: 'GET', url: `/api/v1/observations?missionId=${variable}&limit=25&offset=10` });
    expect(page.statusCode).toBe(200);
    const body = page.json();
    expect(body).toMatchObject({ total: 60, limit: 25, offset: 10 });
    expect(body.observations).toHaveLength(25);
    expect(body.observations[0]).toMatchObject({ missionId: variable, state: 'ACCEPTED', filter: 'V', calibration: { status: 'calibrated' } });
    const byNode = await app.inject({ method: 'GET', url: `/api/v1/observations?missionId=${variable}&nodeId=${seed.nodes[1].id}` });
    expect(byNode.json().total).toBe(20);
    await env.database.db.updateTable('exposures').set({ solve_status: 'failed', solve_reason: 'solve_failed: no quad match' }).where('id', '=', exposures[1]).execute();
    const failed = await app.inject({ method: 'GET', url: `/api/v1/observations?solveStatus=solve_failed` });
    expect(failed.json().observations.map((o: { id: string }) => o.id)).toEqual([exposures[1]]);
    expect(failed.json().observations[0]).toMatchObject({ solveStatus: 'solve_failed', solveReason: 'solve_failed: no quad match' });
    const one = await app.inject({ method: 'GET', url: `/api/v1/observations/${exposures[1]}` });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: exposures[1], solveStatus: 'solve_failed', calibrationDetail: { exposureId: exposures[1] } });
    expect((await app.inject({ method: 'GET', url: `/api/v1/observations?limit=0` })).statusCode).toBe(400);
  });

  it('alerts: solve failures, dead letters, periods found and posteriors, newest first', async () => {
    const now = env.clock.now();
    await env.database.db.updateTable('frame_calibrations').set({ status: 'solve_failed', reason: 'solve_failed: no quad match', updated_at: new Date(now.getTime() + 60_000) }).where('exposure_id', '=', exposures[2]).execute();
    await env.database.db
      .insertInto('pipeline_jobs')
      .values({ dedupe_key: `image:${exposures[3]}`, queue: 'image', stage: 'image', input: JSON.stringify({ exposureId: exposures[3] }), state: 'failed', error: 'PipelineError UNAVAILABLE: catalog missing', max_attempts: 4, created_at: now, updated_at: new Date(now.getTime() + 120_000) })
      .execute();
    const r = await app.inject({ method: 'GET', url: `/api/v1/alerts` });
    expect(r.statusCode).toBe(200);
    const alerts = r.json() as Array<{ id: string; kind: string; message: string; missionId?: string; createdAt: string }>;
    for (const a of alerts) expect(keys(a).filter((k) => k !== 'missionId')).toEqual(['createdAt', 'id', 'kind', 'message']);
    expect(alerts[0]).toMatchObject({ kind: 'job_failed', missionId: variable, message: expect.stringMatching(/^image job failed.*catalog missing/) });
    expect(alerts[1]).toMatchObject({ kind: 'solve_failed', id: `solve_failed:${exposures[2]}`, missionId: variable });
    expect(alerts.some((a) => a.kind === 'period_found' && a.missionId === variable)).toBe(true);
    expect(alerts.some((a) => a.kind === 'ttv_posterior' && a.missionId === transit)).toBe(true);
    const times = alerts.map((a) => a.createdAt);
    expect([...times].sort().reverse()).toEqual(times);
    const onlyTransit = await app.inject({ method: 'GET', url: `/api/v1/alerts?missionId=${transit}` });
    expect(onlyTransit.json().every((a: { missionId?: string }) => a.missionId === transit)).toBe(true);
  });
});
