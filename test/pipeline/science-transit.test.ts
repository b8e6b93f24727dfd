/**
 * Transit missions: the transit-times stage on a light curve with injected transits (known
 * mid-times, shifted from a linear ephemeris), archival times joining them, O−C; the TTV
 * stage's posterior, and its checkpoint: a run that dies after a checkpoint continues from
 * it and ends with exactly the product of an uninterrupted run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getProduct, readJsonProduct } from '../../src/pipeline/lightcurve/products.js';
import { runLightcurve } from '../../src/pipeline/lightcurve/stage.js';
import { addArchivalTransitTimes, getTransitEphemeris, setTransitEphemeris } from '../../src/pipeline/transit/ephemeris.js';
import { runTransitTimes, type OcDocument } from '../../src/pipeline/transit/stage.js';
import { runTtv, ttvCheckpointKey, type PosteriorDocument } from '../../src/pipeline/ttv/stage.js';
import type { StageContext } from '../../src/pipeline/stages.js';
import { engineNames } from '../platform/engines.js';
import { filesUnder, openEnv, type Env } from './helpers.js';
import { insertCalibrated, P, SHIFT, T0, transitMission, seedScience, stageContext, type ScienceSeed } from './science-helpers.js';

describe.each(engineNames())('transit missions on %s', (engineName) => {
  let env: Env;
  let seed: ScienceSeed;

  beforeAll(async () => {
    env = await openEnv(engineName);
    seed = await seedScience(env.database.db, env.clock.now());
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('rejects a bad ephemeris or bad archival times whole, with the field named', async () => {
    const db = env.database.db;
    const now = env.clock.now();
    await expect(setTransitEphemeris(db, seed.missionId, { periodDays: -1, t0BjdTdb: T0 }, now)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^periodDays: /) });
    await expect(setTransitEphemeris(db, seed.missionId, { periodDays: P, t0BjdTdb: 59000 }, now)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^t0BjdTdb: .*BJD_TDB/) });
    await expect(setTransitEphemeris(db, seed.missionId, { periodDays: P, t0BjdTdb: T0, ttv: { stellarMassMsun: 1, planets: [{ name: 'b', masEarth: 3 }] } }, now)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^ttv: /) });
    await expect(setTransitEphemeris(db, '00000000-0000-4000-8000-000000000000', { periodDays: P, t0BjdTdb: T0 }, now)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await getTransitEphemeris(db, seed.missionId)).toBeUndefined();
    await setTransitEphemeris(db, seed.missionId, { periodDays: P, t0BjdTdb: T0 }, now);
    await expect(addArchivalTransitTimes(db, seed.missionId, [{ bjdTdb: T0, sigmaDays: 0.001, source: 'ETD' }, { bjdTdb: T0 + P, sigmaDays: 0, source: 'ETD' }])).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^times\[1\]\.sigmaDays: /),
    });
    expect(await db.selectFrom('archival_transit_times').selectAll().where('mission_id', '=', seed.missionId).execute()).toEqual([]);
  });

  it('transit times of each window within 3σ of the injected ones; O−C against the fitted ephemeris; TTV queued', async () => {
    const missionId = await transitMission(env, seed);
    const ctx = stageContext(env);
    const out = await runTransitTimes(missionId, ctx);
    expect(out.windows).toBe(4);
    expect(out.times).toBe(7);
    expect(out.enqueuedTtv).toBe(true);
    expect(ctx.enqueued.map((q) => q.stage)).toEqual(['ttv']);
    const doc = await readJsonProduct<OcDocument>(env.storage, (await getProduct(env.database.db, missionId, 'oc'))!);
    expect(doc.planet).toBe('b');
    const pipeline = doc.points.filter((p) => p.source === 'pipeline');
    expect(pipeline.map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
    for (const p of pipeline) {
      const truth = T0 + p.epoch * P + SHIFT[p.epoch];
      expect(Math.abs(p.bjdTdb - truth)).toBeLessThan(3 * p.sigmaDays);
      expect(p.sigmaDays * 86400).toBeLessThan(60);
      expect(p.site).toBe(p.epoch % 2 ? 'Cerro Tololo' : 'La Palma');
    }
    expect(doc.points.filter((p) => p.source === 'archival').map((p) => p.epoch)).toEqual([-30, -20, -10]);
    // O−C: the points' own times against the fitted ephemeris, in minutes.
    const e = doc.ephemeris;
    expect(e.fitted).toBe(true);
    for (const p of doc.points) expect(p.ocMin).toBeCloseTo((p.bjdTdb - (e.t0BjdTdb + (p.epoch - e.referenceEpoch) * e.periodDays)) * 1440, 9);
    expect(Math.abs(e.periodDays - P)).toBeLessThan(5 * e.sigmaPeriodDays + 1e-6);
    expect(doc.model.length).toBeGreaterThan(10);
    expect(doc.model.every((m) => m.medianMin === 0 && m.lo68Min <= 0 && m.hi95Min >= m.hi68Min)).toBe(true);
    // Idempotent: the same light curve gives the same product and queues nothing new.
    const sha = (await getProduct(env.database.db, missionId, 'oc'))!.sha256;
    const again = await runTransitTimes(missionId, ctx);
    expect(again.enqueuedTtv).toBe(false);
    expect((await getProduct(env.database.db, missionId, 'oc'))!.sha256).toBe(sha);
  }, 120_000);

  it('the light-curve stage queues transit times for a transit mission only, and a period search only with enough data', async () => {
    const ctx = stageContext(env);
    const pts = (n: number, nights: number) => Array.from({ length: n }, (_, i) => ({ bjdTdb: T0 + (i % nights) + 0.01 * i, mag: 12 + 0.01 * Math.sin(i), err: 0.005 }));
    const transit = (await seedScience(env.database.db, env.clock.now())).missionId;
    await setTransitEphemeris(env.database.db, transit, { periodDays: P, t0BjdTdb: T0 }, env.clock.now());
    await insertCalibrated(env, transit, seed.nodes[0].id, pts(5, 1));
    const r1 = await runLightcurve(transit, ctx);
    expect(r1.enqueued).toHaveLength(1);
    expect(r1.enqueued[0]).toMatch(new RegExp(`^transit-times:${transit}:[0-9a-f]{16}$`));
    // A mission without an ephemeris, 40 points over 3 nights: a period search, no transit times.
    const plain = (await seedScience(env.database.db, env.clock.now())).missionId;
    await insertCalibrated(env, plain, seed.nodes[0].id, pts(40, 3));
    const r2 = await runLightcurve(plain, ctx);
    expect(r2.nights).toBe(3);
    expect(r2.enqueued).toHaveLength(1);
    expect(r2.enqueued[0]).toMatch(new RegExp(`^period:${plain}:`));
    // 40 points in one night: no period search.
    const oneNight = (await seedScience(env.database.db, env.clock.now())).missionId;
    await insertCalibrated(env, oneNight, seed.nodes[0].id, pts(40, 1));
    expect((await runLightcurve(oneNight, ctx)).enqueued).toEqual([]);
  });

  it('a light-curve run that read before a frame was calibrated does not overwrite the newer light curve', async () => {
    const m = (await seedScience(env.database.db, env.clock.now())).missionId;
    const pts = (n: number, t0: number) => Array.from({ length: n }, (_, i) => ({ bjdTdb: t0 + 0.01 * i, mag: 12, err: 0.01 }));
    await insertCalibrated(env, m, seed.nodes[0].id, pts(3, T0));
    // Between this run's read and its write, another frame is calibrated (and queues its own run).
    let injected = false;
    const racing: StageContext = {
      ...stageContext(env),
      progress: async (fraction) => {
        if (fraction === 0.7 && !injected) {
          injected = true;
          await insertCalibrated(env, m, seed.nodes[0].id, pts(1, T0 + 1));
        }
      },
    };
    const stale = await runLightcurve(m, racing);
    expect(injected).toBe(true);
    expect(stale.points).toBe(0);
    expect(await getProduct(env.database.db, m, 'lightcurve')).toBeUndefined();
    expect((await filesUnder(env.storageDir)).filter((f) => f.startsWith(`products/${m}/`))).toEqual([]);
    const fresh = await runLightcurve(m, stageContext(env));
    expect(fresh.points).toBe(4);
  });

  it('TTV: a posterior product; a run killed after a checkpoint resumes and equals an uninterrupted run', async () => {
    const a = await transitMission(env, seed);
    const b = await transitMission(env, seed);
    const ctx = stageContext(env);
    await runTransitTimes(a, ctx);
    await runTransitTimes(b, ctx);

    const whole = await runTtv(a, ctx, { checkpointEvery: 10, predictDays: 30 });
    expect(whole).toMatchObject({ status: 'fitted', resumed: false });
    const pa = await readJsonProduct<PosteriorDocument>(env.storage, (await getProduct(env.database.db, a, 'posterior'))!);
    expect(pa.parameters.map((p) => p.name)).toEqual(['massEarth_b', 'periodDays_b', 'conjunctionDays_b']);
    expect(pa.parameters.map((p) => p.unit)).toEqual(['M_earth', 'd', 'BJD_TDB']);
    const period = pa.parameters[1];
    expect(period.lo68).toBeLessThan(period.median);
    expect(period.hi68).toBeGreaterThan(period.median);
    expect(Math.abs(period.median - P)).toBeLessThan(1e-3);
    expect(pa.samples.length).toBeLessThanOrEqual(2000);
    expect(pa.samples[0]).toHaveLength(3);
    expect(pa.predicted.length).toBeGreaterThan(0);
    expect(pa.logEvidence).toBeUndefined();

    // The second run dies (its storage fails) right after its third checkpoint.
    let saves = 0;
    const dying: StageContext = {
      ...ctx,
      storage: {
        ...env.storage,
        get: (k) => env.storage.get(k),
        head: (k) => env.storage.head(k),
        delete: (k) => env.storage.delete(k),
        put: async (k, body, o) => {
          const r = await env.storage.put(k, body, o);
          if (k.startsWith(`checkpoints/ttv/${b}/`) && ++saves === 3) throw new Error('worker killed');
          return r;
        },
      },
    };
    await expect(runTtv(b, dying, { checkpointEvery: 10, predictDays: 30 })).rejects.toThrow('worker killed');
    expect(await getProduct(env.database.db, b, 'posterior')).toBeUndefined();
    const checkpoints = async () => (await filesUnder(env.storageDir)).filter((f) => f.startsWith(`checkpoints/ttv/${b}/`));
    expect(await checkpoints()).toHaveLength(1);
    const resumed = await runTtv(b, ctx, { checkpointEvery: 10, predictDays: 30 });
    expect(resumed).toMatchObject({ status: 'fitted', resumed: true });
    const pb = await readJsonProduct<PosteriorDocument>(env.storage, (await getProduct(env.database.db, b, 'posterior'))!);
    expect({ ...pb, missionId: a }).toEqual(pa);
    // The checkpoint is gone once the product is in.
    expect(await checkpoints()).toEqual([]);
    expect(ttvCheckpointKey(b, 'abc')).toBe(`checkpoints/ttv/${b}/abc.oaens`);
  }, 300_000);
});
