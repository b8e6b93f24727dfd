/**
 * TTV inference on transit times injected with our own forward model (a known perturber
 * plus Gaussian noise): the true masses and periods fall inside the 95 % credible
 * intervals; runs are reproducible with and without worker threads and across a
 * checkpoint; a warm start reproduces the posterior; predicted transits cover the true
 * future ones; model comparison by evidence prefers the injected number of perturbers.
 * Kept short (250 days, 6 parameters, a few hundred steps) so it runs in `npm test`; the
 * long eccentric version and Kepler-9 live in test/real/ttv-*.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { simulateTransits } from '../../../src/science/dynamics/index.js';
import type { EnsembleState } from '../../../src/science/inference/index.js';
import {
  buildTtvModel,
  compareModels,
  fitTtv,
  formatSamplesCsv,
  parseSamplesCsv,
  predictTransitTimes,
  TtvError,
  type TtvFitResult,
  type TtvModel,
  type TtvModelConfig,
} from '../../../src/science/ttv/index.js';
import { injectTimes, truthSystem } from './inject.js';

const T0 = 2459000;
const TRUTH = [
  { name: 'b', massEarth: 15, periodDays: 8.0, conjunctionDays: T0 + 3.1 },
  { name: 'c', massEarth: 25, periodDays: 16.4, conjunctionDays: T0 + 9.7 },
];
const STEP = 0.4;
const SIGMA = 1 / 1440; // one minute

const CONFIG: TtvModelConfig = {
  stellarMassMsun: 1,
  referenceEpochDays: T0,
  stepDays: STEP,
  planets: [
    { name: 'b', massEarth: { prior: 'log-uniform', min: 0.5, max: 300 } },
    { name: 'c', massEarth: { prior: 'log-uniform', min: 0.5, max: 300 } },
  ],
};

function inside(fit: TtvFitResult, name: string, value: number): boolean {
  const s = fit.summary.find((q) => q.name === name)!;
  return value >= s.lo95 && value <= s.hi95;
}

describe('fitTtv (ensemble) on injected times', () => {
  let model: TtvModel;
  let fit: TtvFitResult;
  beforeAll(async () => {
    const data = injectTimes(1, T0, TRUTH, { endDays: T0 + 250, sigmaDays: SIGMA, seed: 1, observed: ['b', 'c'], stepDays: STEP });
    model = buildTtvModel(CONFIG, data);
    fit = await fitTtv(model, { seed: 1, nSteps: 500, threads: 2 });
  }, 120_000);

  it('puts the true masses and periods inside the 95 % credible intervals', () => {
    expect(fit.parameterNames).toEqual(['massEarth_b', 'periodDays_b', 'conjunctionDays_b', 'massEarth_c', 'periodDays_c', 'conjunctionDays_c']);
    for (const p of TRUTH) {
      expect(inside(fit, `massEarth_${p.name}`, p.massEarth), `mass ${p.name}`).toBe(true);
      expect(inside(fit, `periodDays_${p.name}`, p.periodDays), `period ${p.name}`).toBe(true);
      expect(inside(fit, `conjunctionDays_${p.name}`, p.conjunctionDays), `conjunction ${p.name}`).toBe(true);
    }
    // The perturber's mass is measured (not just bounded by the prior): 95 % interval within ±30 %.
    const mc = fit.summary.find((q) => q.name === 'massEarth_c')!;
    expect(mc.hi95 - mc.lo95).toBeLessThan(0.6 * 25);
    expect(mc.lo68).toBeLessThan(mc.median);
    expect(mc.median).toBeLessThan(mc.hi68);
    expect(fit.nSamples).toBe(250 * fit.diagnostics.nWalkers!);
    expect(fit.diagnostics.acceptance).toBeGreaterThan(0.2);
    // Best fit: χ² near the number of points (46 times, 6 parameters).
    const chi2 = -2 * (fit.bestFit.logLikelihood + 0.5 * model.data.timeDays.length * Math.log(2 * Math.PI * SIGMA * SIGMA));
    expect(chi2).toBeGreaterThan(20);
    expect(chi2).toBeLessThan(70);
  });

  it('predicts future transits whose 95 % bands hold the true times, widening with time', () => {
    const to = T0 + 450;
    const pred = predictTransitTimes(model, fit.samples, { fromDays: T0 + 250, toDays: to, maxDraws: 200, seed: 3 });
    const truth = simulateTransits(truthSystem(1, T0, TRUTH), { stepDays: STEP, endDays: to });
    let covered = 0;
    for (const p of pred) {
      const pi = p.planet === 'b' ? 0 : 1;
      let t = NaN;
      for (let i = 0; i < truth.count; i++) if (truth.planet[i] === pi && truth.epoch[i] === p.epoch) t = truth.timeDays[i];
      expect(Number.isFinite(t), `${p.planet} ${p.epoch}`).toBe(true);
      if (t >= p.lo95Days && t <= p.hi95Days) covered++;
      expect(p.lo95Days).toBeLessThanOrEqual(p.lo68Days);
      expect(p.hi68Days).toBeLessThanOrEqual(p.hi95Days);
    }
    // 200 days ahead: 25 transits of b, 12 of c.
    expect(pred.filter((p) => p.planet === 'b')).toHaveLength(25);
    expect(covered / pred.length).toBeGreaterThanOrEqual(0.9);
    const b = pred.filter((p) => p.planet === 'b');
    expect(b[b.length - 1].sigmaDays).toBeGreaterThan(b[0].sigmaDays);
    expect(() => predictTransitTimes(model, fit.samples, { toDays: T0 - 1 })).toThrow(TtvError);
    expect(() => predictTransitTimes(model, fit.samples, { toDays: to, planets: ['z'] })).toThrow(/no planet 'z'/);
  });

  it('a warm start from the samples file reproduces the posterior without the optimiser', async () => {
    const table = parseSamplesCsv(formatSamplesCsv(fit.parameterNames, fit.samples, { log_posterior: fit.logPosterior }));
    expect(table.names).toEqual(fit.parameterNames);
    const warm = await fitTtv(model, { seed: 9, nSteps: 120, burnIn: 40, warmStart: table, threads: 2 });
    expect(warm.optimum).toBeUndefined();
    for (const name of ['massEarth_c', 'periodDays_c']) {
      const a = fit.summary.find((q) => q.name === name)!;
      const b = warm.summary.find((q) => q.name === name)!;
      expect(Math.abs(b.median - a.median), name).toBeLessThan(0.5 * (a.hi68 - a.lo68));
    }
    const other = parseSamplesCsv('massEarth_x\n1\n');
    await expect(fitTtv(model, { seed: 1, nSteps: 10, warmStart: other })).rejects.toThrow(/share no column/);
  });
});

describe('fitTtv reproducibility', () => {
  const data = injectTimes(1, T0, TRUTH, { endDays: T0 + 120, sigmaDays: SIGMA, seed: 2, observed: ['b', 'c'], stepDays: STEP });
  const model = buildTtvModel(CONFIG, data);

  it('gives identical samples in-process and on 2 worker threads', async () => {
    const a = await fitTtv(model, { seed: 4, nSteps: 12, burnIn: 2 });
    const b = await fitTtv(model, { seed: 4, nSteps: 12, burnIn: 2, threads: 2 });
    expect(Buffer.from(b.samples.buffer).equals(Buffer.from(a.samples.buffer))).toBe(true);
  });

  it('resumes from a checkpoint exactly as an uninterrupted run', async () => {
    const saved: EnsembleState[] = [];
    const full = await fitTtv(model, { seed: 5, nSteps: 16, burnIn: 4, checkpoint: { every: 8, save: (s) => void saved.push(structuredClone(s)) } });
    expect(saved.map((s) => s.step)).toEqual([8]);
    const resumed = await fitTtv(model, { seed: 5, nSteps: 16, burnIn: 4, resumeFrom: saved[0] });
    expect(Buffer.from(resumed.samples.buffer).equals(Buffer.from(full.samples.buffer))).toBe(true);
    const wrong = { ...saved[0], nDim: 3 };
    await expect(fitTtv(model, { seed: 5, nSteps: 16, resumeFrom: wrong })).rejects.toThrow(/checkpoint has 3 parameters, the model 6/);
    await expect(fitTtv(model, { seed: 5, sampler: 'nested', resumeFrom: saved[0] })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(fitTtv(model, { seed: 5, nSteps: 10, burnIn: 10 })).rejects.toThrow(/burnIn/);
  });
});

describe('model comparison by evidence', () => {
  // Only b is observed; the perturber c (if any) is unseen. Candidates: b alone, b + one perturber.
  const step = 0.8; // P_b/10: coarse but the same in the injection and the fit
  const b = { name: 'b', massEarth: 15, periodDays: { prior: 'uniform', min: 7.99, max: 8.01 }, conjunctionDays: { prior: 'uniform', min: T0 + 3.0, max: T0 + 3.2 } } as const;
  const c = {
    name: 'c',
    massEarth: { prior: 'log-uniform', min: 5, max: 300 },
    periodDays: { prior: 'uniform', min: 15.8, max: 17 },
    conjunctionDays: { prior: 'uniform', min: T0 + 1, max: T0 + 17.4 },
  } as const;
  const candidates = (withPerturber: boolean) => {
    const truth = [TRUTH[0], { ...TRUTH[1], massEarth: withPerturber ? 25 : 0 }];
    const data = injectTimes(1, T0, truth, { endDays: T0 + 250, sigmaDays: SIGMA, seed: 2, observed: ['b'], stepDays: step });
    const base = { stellarMassMsun: 1, referenceEpochDays: T0, stepDays: step };
    return [
      { name: 'no perturber', model: buildTtvModel({ ...base, planets: [b] }, data) },
      { name: 'one perturber', model: buildTtvModel({ ...base, planets: [b, c] }, data) },
    ];
  };

  it('prefers one perturber when one was injected, and recovers its mass and period', async () => {
    const r = await compareModels(candidates(true), { seed: 3, nLive: 100, dlogz: 0.1 });
    expect(r.preferred).toBe('one perturber');
    expect(r.strength).toBe('strong');
    expect(r.margin).toBeGreaterThan(10 * r.marginErr);
    const one = r.models[1];
    expect(one.logZErr).toBeGreaterThan(0.1);
    expect(one.logZErr).toBeLessThan(1);
    expect(one.probability).toBeGreaterThan(0.999);
    expect(inside(one.fit, 'massEarth_c', 25)).toBe(true);
    expect(inside(one.fit, 'periodDays_c', 16.4)).toBe(true);
  }, 120_000);

  it('prefers no perturber when none was injected (the Occam penalty of the extra parameters)', async () => {
    const r = await compareModels(candidates(false), { seed: 3, nLive: 100, dlogz: 0.1 });
    expect(r.preferred).toBe('no perturber');
    expect(r.margin).toBeGreaterThan(2 * r.marginErr);
    expect(r.models[1].logBayesFactor).toBeLessThan(0);
  }, 120_000);
});
