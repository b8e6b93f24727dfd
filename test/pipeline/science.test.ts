/**
 * The science stages on synthetic frames with known truth (science/sky): plate solving of
 * frames whose WCS was stripped, zero points against the optics' true zero point, the
 * target's light curve from two nodes at two sites, and the injected period recovered —
 * on PGlite and on PostgreSQL (when TEST_DATABASE_URL is set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { resolveCatalog } from '../../src/pipeline/catalog.js';
import { runImage, solvedFrameKey, type ImageOptions } from '../../src/pipeline/image/stage.js';
import { buildCatalog, encodeCatalog } from '../../src/science/astrometry/catalog.js';
import { parseCatalogCsv } from '../../src/science/astrometry/csv.js';
import { Header } from '../../src/science/fits/header.js';
import { imageHdu, writeFits } from '../../src/science/fits/writer.js';
import { renderFrame, tanWcsForOptics } from '../../src/science/sky/index.js';
import { wcsFromCards } from '../../src/pipeline/image/wcs-store.js';
import { readLightcurve, runLightcurve } from '../../src/pipeline/lightcurve/stage.js';
import { getProduct, readJsonProduct } from '../../src/pipeline/lightcurve/products.js';
import { readObject } from '../../src/pipeline/objects.js';
import { runPeriod, type PeriodogramDocument } from '../../src/pipeline/period/stage.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { angularSeparationDeg } from '../../src/science/wcs/geometry.js';
import { pixToSky } from '../../src/science/wcs/transform.js';
import { wcsFromHeader, type Wcs } from '../../src/science/wcs/wcs.js';
import { enqueueStage } from '../../src/pipeline/enqueue.js';
import { defaultStageHandlers } from '../../src/pipeline/handlers.js';
import { startPipeline } from '../../src/pipeline/runner.js';
import { engineNames } from '../platform/engines.js';
import { openEnv, waitFor, type Env } from './helpers.js';
import {
  FIELD,
  nodeOptics,
  renderScienceFrame,
  seedScience,
  skyField,
  stageContext,
  storeFrame,
  truthZp,
  type FrameRender,
  type RenderedScienceFrame,
  type ScienceSeed,
} from './science-helpers.js';

const P_TRUE = 0.3137;
const EPOCH = 2461101.0;
const variableMag = (jd: number) => 14.0 + 0.2 * Math.sin((2 * Math.PI * (jd - EPOCH)) / P_TRUE);
const field = skyField();
const OPTS: ImageOptions = { catalog: field.catalog, lightcurveDebounceS: 0, hintRadiusDeg: 0.05 };

/** Frames are rendered once and shared by both engines. */
const renders = new Map<string, RenderedScienceFrame>();
function render(name: string, spec: Omit<FrameRender, 'stars'>): RenderedScienceFrame {
  let r = renders.get(name);
  if (!r) renders.set(name, (r = renderScienceFrame({ ...spec, stars: field.stars })));
  return r;
}

/** Two nodes, three nights, six frames each a night: node a with a WCS in the header, node b without. */
function schedule(): Array<{ name: string; node: 0 | 1; start: Date; spec: Omit<FrameRender, 'stars'> }> {
  const out: Array<{ name: string; node: 0 | 1; start: Date; spec: Omit<FrameRender, 'stars'> }> = [];
  for (let night = 0; night < 3; night++) {
    for (let k = 0; k < 6; k++) {
      const ta = new Date(Date.UTC(2026, 2, 2 + night, 0, 30 + 50 * k));
      const tb = new Date(ta.getTime() + 5 * 60_000);
      out.push({ name: `a-${night}-${k}`, node: 0, start: ta, spec: { optics: nodeOptics('a'), startUtc: ta, variableMag, seed: 100 + night * 10 + k, headerWcs: 'truth' } });
      out.push({
        name: `b-${night}-${k}`,
        node: 1,
        start: tb,
        spec: {
          optics: nodeOptics('b'),
          startUtc: tb,
          variableMag,
          seed: 200 + night * 10 + k,
          rotationDeg: 30,
          pointing: { raDeg: FIELD.raDeg + 0.004 * Math.cos(k), decDeg: FIELD.decDeg - 0.003 * Math.sin(k) },
          headerPointing: FIELD,
        },
      });
    }
  }
  return out;
}

describe.each(engineNames())('science stages on %s', (engineName) => {
  let env: Env;
  let seed: ScienceSeed;

  beforeAll(async () => {
    env = await openEnv(engineName);
    seed = await seedScience(env.database.db, env.clock.now());
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  const centreOf = (wcs: Wcs) => pixToSky(wcs, 127.5, 127.5);
  const figures: string[] = [];

  it('solves stripped and wrong WCSs to within 1″, confirms good ones, fits the zero point within 0.02 mag', async () => {
    const ctx = stageContext(env);
    const t = new Date('2026-03-05T01:00:00Z');
    // b: no WCS, pointing 20″ off the header's RA/DEC, rotated 30°.
    const stripped = render('solve-b', { optics: nodeOptics('b'), startUtc: t, variableMag: () => 14, seed: 1, rotationDeg: 30, pointing: { raDeg: FIELD.raDeg + 0.005, decDeg: FIELD.decDeg - 0.004 }, headerPointing: FIELD });
    // a: a WCS in the header that is 40″ off (a mount's pointing written as a WCS).
    const wrongWcs = renderScienceFrame({ optics: nodeOptics('a'), startUtc: t, stars: [], seed: 0, pointing: { raDeg: FIELD.raDeg + 0.011, decDeg: FIELD.decDeg } }).wcs;
    const offWcs = render('off-wcs-a', { optics: nodeOptics('a'), startUtc: t, variableMag: () => 14, seed: 2, headerWcs: wrongWcs });
    const good = render('good-a', { optics: nodeOptics('a'), startUtc: t, variableMag: () => 14, seed: 3, headerWcs: 'truth' });

    const cases = [
      { f: stripped, node: 1, source: 'solved', optics: nodeOptics('b') },
      { f: offWcs, node: 0, source: 'solved', optics: nodeOptics('a') },
      { f: good, node: 0, source: 'header', optics: nodeOptics('a') },
    ] as const;
    for (const [i, c] of cases.entries()) {
      const start = new Date(t.getTime() + i * 60_000);
      const id = await storeFrame(env, seed.missionId, seed.nodes[c.node].id, c.f.bytes, start);
      const out = await runImage(id, ctx, OPTS);
      expect(out.status, out.reason).toBe('calibrated');
      expect(out.astrometry?.source).toBe(c.source);
      const [raT, decT] = centreOf(c.f.wcs);
      expect(angularSeparationDeg(raT, decT, out.astrometry!.raDeg!, out.astrometry!.decDeg!) * 3600).toBeLessThan(1);
      figures.push(`${c.source}: centre ${(angularSeparationDeg(raT, decT, out.astrometry!.raDeg!, out.astrometry!.decDeg!) * 3600).toFixed(3)}″ zp ${(out.zp! - truthZp(c.optics)).toFixed(4)} target ${(out.targetMag! - 14).toFixed(4)}`);
      expect(Math.abs(out.zp! - truthZp(c.optics))).toBeLessThan(0.02);
      expect(Math.abs(out.targetMag! - 14)).toBeLessThan(0.05);

      const e = await env.database.db.selectFrom('exposures').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      expect(e.solve_status).toBe(c.source);
      expect(e.pipeline_state).toBe('calibrated');
      const stored = wcsFromCards(e.wcs)!;
      const [raS, decS] = centreOf(stored);
      expect(angularSeparationDeg(raT, decT, raS, decS) * 3600).toBeLessThan(1);
      if (c.source === 'solved') {
        // The solved copy carries the WCS in its header; the original is untouched.
        expect(e.solved_object_key).toBe(solvedFrameKey(id));
        const reader = await FitsReader.open(await readObject(env.storage, e.solved_object_key!));
        const w = wcsFromHeader(reader.hdus[0].header)!;
        await reader.close();
        const [raF, decF] = centreOf(w);
        expect(angularSeparationDeg(raT, decT, raF, decF) * 3600).toBeLessThan(1);
      } else expect(e.solved_object_key).toBeNull();
      const cal = await env.database.db.selectFrom('frame_calibrations').selectAll().where('exposure_id', '=', id).executeTakeFirstOrThrow();
      expect(cal).toMatchObject({ status: 'calibrated', mission_id: seed.missionId, colour_term_source: 'none' });
      expect(cal.matched).toBeGreaterThanOrEqual(10);
      expect(cal.astrometry.rmsArcsec).toBeLessThan(0.5);
    }
    // Each calibrated frame queued its light-curve update, once.
    expect(ctx.enqueued.filter((q) => q.stage === 'lightcurve')).toHaveLength(3);
    // Debounced: frames of one mission calibrated within the same 30 s share one job that starts after them.
    const debounced = stageContext(env);
    const id = (await env.database.db.selectFrom('exposures').select('id').where('mission_id', '=', seed.missionId).where('solve_status', '=', 'header').executeTakeFirstOrThrow()).id;
    await runImage(id, debounced, { ...OPTS, lightcurveDebounceS: 30 });
    const nowMs = env.clock.now().getTime();
    expect(debounced.enqueued).toEqual([
      { stage: 'lightcurve', input: { missionId: seed.missionId }, opts: { dedupeKey: `lightcurve:${seed.missionId}:${Math.floor(nowMs / 30_000)}`, startAfterS: Math.ceil(((Math.floor(nowMs / 30_000) + 1) * 30_000 - nowMs) / 1000) + 2 } },
    ]);
  }, 180_000);

  it('a frame with no stars, or of the wrong field, ends solve_failed with its reason and nothing queued', async () => {
    const ctx = stageContext(env);
    const t = new Date('2026-03-06T01:00:00Z');
    const empty = render('empty', { optics: nodeOptics('a'), startUtc: t, seed: 5, headerPointing: FIELD, pointing: { raDeg: FIELD.raDeg + 3, decDeg: 60 } });
    // Stars 2° away from where the header says: the catalog around the hint does not match.
    const elsewhere = renderScienceFrame({ optics: nodeOptics('a'), startUtc: t, stars: skyFieldAt(2).stars, seed: 6, pointing: { raDeg: FIELD.raDeg + 2, decDeg: FIELD.decDeg }, headerPointing: FIELD });
    const results = [];
    for (const [i, f] of [empty, elsewhere].entries()) {
      const id = await storeFrame(env, seed.missionId, seed.nodes[0].id, f.bytes, new Date(t.getTime() + i * 60_000));
      const out = await runImage(id, ctx, OPTS);
      expect(out.status).toBe('solve_failed');
      expect(out.reason).toMatch(/^solve_failed: /);
      const e = await env.database.db.selectFrom('exposures').select(['solve_status', 'solve_reason', 'pipeline_state']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(e).toMatchObject({ solve_status: 'failed', solve_reason: out.reason, pipeline_state: 'ingested' });
      const cal = await env.database.db.selectFrom('frame_calibrations').selectAll().where('exposure_id', '=', id).executeTakeFirstOrThrow();
      expect(cal).toMatchObject({ status: 'solve_failed', reason: out.reason, target_mag: null, zp: null });
      results.push(out.reason);
    }
    expect(results[0]).toMatch(/usable sources|no quad match/);
    expect(ctx.enqueued).toHaveLength(0);
  }, 120_000);

  it('image → lightcurve → period: no steps between the nodes, the injected period within 1 %', async () => {
    const ctx = stageContext(env);
    // A fresh mission on the same star, so the earlier tests' frames stay out.
    const fresh = await seedScience(env.database.db, env.clock.now());
    const truth = new Map<string, number>();
    for (const s of schedule()) {
      const f = render(s.name, s.spec);
      const id = await storeFrame(env, fresh.missionId, fresh.nodes[s.node].id, f.bytes, s.start);
      const out = await runImage(id, ctx, OPTS);
      expect(out.status, `${s.name}: ${out.reason}`).toBe('calibrated');
      expect(Math.abs(out.zp! - truthZp(s.spec.optics))).toBeLessThan(0.02);
      truth.set(id, f.variableMag!);
    }

    const lc1 = await runLightcurve(fresh.missionId, ctx);
    expect(lc1.points + lc1.rejected).toBe(36);
    expect(lc1.rejected).toBeLessThanOrEqual(2);
    expect(lc1.nights).toBe(3);
    expect(lc1.bands).toEqual(['V']);
    expect(lc1.enqueued.some((k) => k.startsWith(`period:${fresh.missionId}:`))).toBe(true);
    const doc = (await readLightcurve(ctx, fresh.missionId))!;
    expect(doc.merge[0].model).toBe('bins');
    // No step between the nodes: each node's mean residual from the injected light curve.
    const meanResidual = (nodeId: string) => {
      const r = doc.points.filter((p) => p.nodeId === nodeId).map((p) => p.mag - truth.get(p.exposureId)!);
      return r.reduce((a, b) => a + b, 0) / r.length;
    };
    const [ra, rb] = fresh.nodes.map((n) => meanResidual(n.id));
    figures.push(`node residuals a ${ra.toFixed(4)} b ${rb.toFixed(4)} offsets ${JSON.stringify(doc.merge[0].offsets.map((o) => o.offsetMag.toFixed(4)))}`);
    expect(Math.abs(ra - rb)).toBeLessThan(0.02);
    expect(Math.abs(ra)).toBeLessThan(0.03);
    const rms = Math.sqrt(doc.points.reduce((a, p) => a + (p.mag - truth.get(p.exposureId)! - ra) ** 2, 0) / doc.points.length);
    expect(rms).toBeLessThan(0.03);
    expect(doc.points.every((p) => ['La Palma', 'Cerro Tololo'].includes(p.site))).toBe(true);

    // Idempotent: the same light curve again is the same product and the same rows; nothing new is queued.
    const before = await getProduct(env.database.db, fresh.missionId, 'lightcurve');
    const lc2 = await runLightcurve(fresh.missionId, ctx);
    const after = await getProduct(env.database.db, fresh.missionId, 'lightcurve');
    expect(after!.sha256).toBe(before!.sha256);
    expect(after!.updated_at).toEqual(before!.updated_at);
    expect(lc2.enqueued).toEqual([]);
    const stored = await env.database.db.selectFrom('lightcurve_points').selectAll().where('mission_id', '=', fresh.missionId).execute();
    expect(stored).toHaveLength(36);
    expect(stored.filter((r) => r.kept)).toHaveLength(doc.points.length);

    const period = await runPeriod(fresh.missionId, ctx);
    figures.push(`period ${period.bestPeriodDays} vs ${P_TRUE} (${((period.bestPeriodDays! / P_TRUE - 1) * 100).toFixed(3)} %), FAP ${period.bestFap}, rms ${rms.toFixed(4)}`);
    console.log(figures.join('\n'));
    expect(Math.abs(period.bestPeriodDays! / P_TRUE - 1)).toBeLessThan(0.01);
    expect(period.bestFap!).toBeLessThan(1e-3);
    const pg = await getProduct(env.database.db, fresh.missionId, 'periodogram');
    const pdoc = await readJsonProduct<PeriodogramDocument>(env.storage, pg!);
    expect(pdoc.periodsDays.length).toBe(pdoc.power.length);
    expect(pdoc.periodsDays.length).toBeLessThanOrEqual(4000);
    await runPeriod(fresh.missionId, ctx);
    expect((await getProduct(env.database.db, fresh.missionId, 'periodogram'))!.sha256).toBe(pg!.sha256);

    // Re-running the image stage on a frame gives the same calibration.
    const one = [...truth.keys()][7];
    const row1 = await env.database.db.selectFrom('frame_calibrations').selectAll().where('exposure_id', '=', one).executeTakeFirstOrThrow();
    await runImage(one, ctx, OPTS);
    const row2 = await env.database.db.selectFrom('frame_calibrations').selectAll().where('exposure_id', '=', one).executeTakeFirstOrThrow();
    expect({ ...row2, updated_at: null }).toEqual({ ...row1, updated_at: null });
  }, 600_000);
});

describe.each(engineNames())('the reference catalog on %s', (engineName) => {
  let env: Env;
  let dir: string;
  beforeAll(async () => {
    env = await openEnv(engineName);
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-catalog-'));
  }, 60_000);
  afterAll(async () => {
    await env?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('solves a wide M67 frame against an .oacat built from the real Tycho-2 fixture, named by OPENASTRO_CATALOG', async () => {
    const input = parseCatalogCsv(await readFile(new URL('../fixtures/astrometry/m67_tycho2.csv', import.meta.url), 'utf8'));
    const file = path.join(dir, 'tycho2-m67.oacat');
    await writeFile(file, encodeCatalog(buildCatalog(input)));
    const m67 = { raDeg: 132.834, decDeg: 11.812 };
    const optics = { apertureMm: 80, focalLengthMm: 310, pixelSizeUm: 9, widthPx: 512, heightPx: 512, gainEPerAdu: 1, readNoiseE: 5, biasAdu: 500 };
    const stars = Array.from(input.raDeg, (ra, i) => ({ raDeg: ra, decDeg: input.decDeg[i], mag: input.mag[i] }));
    const wcs = tanWcsForOptics(optics, m67.raDeg + 0.02, m67.decDeg - 0.01, { rotationDeg: 12 });
    const frame = renderFrame({ wcs, optics, exposureS: 2, seeingFwhmArcsec: 12, stars, skyMagPerArcsec2: 20, seed: 9 });
    const header = new Header();
    header.set('DATE-OBS', '2026-01-20T01:00:00.000');
    header.set('EXPTIME', 2);
    header.set('FILTER', 'V');
    header.set('OBJCTRA', '08 51 20.2');
    header.set('OBJCTDEC', '+11 48 43');
    header.set('FOCALLEN', optics.focalLengthMm);
    header.set('XPIXSZ', optics.pixelSizeUm);
    const bytes = writeFits([imageHdu(frame.frame, [512, 512], { header })]);
    const s = await seedScience(env.database.db, env.clock.now());
    await env.database.db.updateTable('missions').set({ ra_deg: m67.raDeg, dec_deg: m67.decDeg }).where('id', '=', s.missionId).execute();
    const id = await storeFrame(env, s.missionId, s.nodes[0].id, bytes, new Date('2026-01-20T01:00:00Z'));
    const out = await runImage(id, stageContext(env), { env: { OPENASTRO_CATALOG: file }, lightcurveDebounceS: 0 });
    expect(out.status, out.reason).toBe('calibrated');
    expect(out.astrometry?.source).toBe('solved');
    const [ra, dec] = pixToSky(wcs, 255.5, 255.5);
    expect(angularSeparationDeg(ra, dec, out.astrometry!.raDeg!, out.astrometry!.decDeg!) * 3600).toBeLessThan(1);
    expect(Math.abs(out.zp! - truthZp(optics))).toBeLessThan(0.02);
  }, 120_000);

  it('without a catalog a frame ends failed with the reason; a catalog file that cannot be opened is an error the runner retries', async () => {
    const s = await seedScience(env.database.db, env.clock.now());
    const t = new Date('2026-03-07T01:00:00Z');
    const f = render('good-a', { optics: nodeOptics('a'), startUtc: t, variableMag: () => 14, seed: 3, headerWcs: 'truth' });
    const id = await storeFrame(env, s.missionId, s.nodes[0].id, f.bytes, t);
    const none = await runImage(id, stageContext(env), { env: {} });
    expect(none).toMatchObject({ status: 'failed', reason: expect.stringMatching(/no reference catalog configured \(set OPENASTRO_CATALOG/) });
    expect(await env.database.db.selectFrom('frame_calibrations').select(['status', 'reason']).where('exposure_id', '=', id).executeTakeFirstOrThrow()).toEqual({ status: 'failed', reason: none.reason });
    await expect(runImage(id, stageContext(env), { catalog: path.join(dir, 'missing.oacat') })).rejects.toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/missing\.oacat cannot be opened/) });
    expect(resolveCatalog(undefined, {})).toBeUndefined();
    expect(resolveCatalog(undefined, { OPENASTRO_CATALOG: '/x/y.oacat' })?.name).toBe('/x/y.oacat');
  }, 60_000);
});

describe.each(engineNames())('science stages through the runner on %s', (engineName) => {
  let env: Env;
  beforeAll(async () => {
    env = await openEnv(engineName);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('image jobs calibrate the frames and queue the light curve, which is built from all of them', async () => {
    const seed = await seedScience(env.database.db, env.clock.now());
    const handlers = defaultStageHandlers({ image: OPTS });
    const pipeline = await startPipeline({ database: env.database, jobs: env.jobs, storage: env.storage, clock: env.clock, handlers, queues: ['image', 'science'], pollingIntervalSeconds: 0.5, maintenanceIntervalS: 0 });
    try {
      const ids: string[] = [];
      for (const s of schedule().slice(0, 4)) ids.push(await storeFrame(env, seed.missionId, seed.nodes[s.node].id, render(s.name, s.spec).bytes, s.start));
      await env.database.db.transaction().execute(async (trx) => {
        for (const id of ids) await enqueueStage(env.jobs, trx, 'image', { exposureId: id }, env.clock.now());
      });
      const product = await waitFor(
        async () => {
          const p = await getProduct(env.database.db, seed.missionId, 'lightcurve');
          return p && (p.summary as { points?: number }).points === 4 ? p : undefined;
        },
        120_000,
        'a light curve of the four frames',
      );
      expect(product.summary).toMatchObject({ points: 4, bands: ['V'], sites: ['Cerro Tololo', 'La Palma'] });
      const jobs = await env.database.db.selectFrom('pipeline_jobs').selectAll().where('stage', 'in', ['image', 'lightcurve']).execute();
      const mine = jobs.filter((j) => ids.includes(j.input.exposureId as string) || j.input.missionId === seed.missionId);
      expect(mine.filter((j) => j.stage === 'image').map((j) => j.state)).toEqual(['completed', 'completed', 'completed', 'completed']);
      expect(mine.filter((j) => j.stage === 'lightcurve').length).toBeGreaterThanOrEqual(1);
    } finally {
      await pipeline.stop();
    }
  }, 180_000);
});

function skyFieldAt(offsetDeg: number) {
  return { stars: skyField(29).stars.map((s) => ({ ...s, raDeg: s.raDeg + offsetDeg })) };
}
