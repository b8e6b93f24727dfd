/**
 * The long injection–recovery runs (too slow for `npm test`; run by `npm run test:real`):
 * 1. two transiting planets on eccentric orbits near 2:1 over 600 days, every parameter
 *    free (masses, periods, conjunctions, both eccentricity vectors: 10 dimensions) —
 *    the true masses, periods and eccentricities inside the 95 % credible intervals;
 * 2. model comparison with no, one and two unseen perturbers on times injected with one:
 *    one is preferred decisively over none, and the data give no more than weak evidence
 *    for a second perturber. (A second perturber of 10–300 M⊕ at 24–34 d barely moves b's
 *    times over 250 days, so its prior volume costs almost nothing: the evidences of one
 *    and two perturbers come out within ~1–1.5 nats, sometimes in favour of two — the
 *    data cannot rule it out, which is the right answer, not a wrong number of planets.)
 * Times come from our own forward model plus Gaussian noise (test/science/ttv/inject.ts).
 */
import { describe, expect, it } from 'vitest';
import { buildTtvModel, compareModels, fitTtv, type TtvFitResult } from '../../src/science/ttv/index.js';
import { injectTimes } from '../science/ttv/inject.js';

const T0 = 2459000;

function inside(fit: TtvFitResult, name: string, value: number): boolean {
  const s = fit.summary.find((q) => q.name === name)!;
  return value >= s.lo95 && value <= s.hi95;
}

describe('TTV injection–recovery (long)', () => {
  it('recovers masses, periods and eccentricities of an eccentric pair (10 free parameters)', async () => {
    const truth = [
      { name: 'b', massEarth: 12, periodDays: 10.0, conjunctionDays: T0 + 4.2, ecc: 0.05, omegaDeg: 40 },
      { name: 'c', massEarth: 30, periodDays: 20.7, conjunctionDays: T0 + 11.3, ecc: 0.03, omegaDeg: -70 },
    ];
    const step = 0.5;
    const data = injectTimes(1, T0, truth, { endDays: T0 + 600, sigmaDays: 1 / 1440, seed: 11, observed: ['b', 'c'], stepDays: step });
    const model = buildTtvModel(
      {
        stellarMassMsun: 1,
        referenceEpochDays: T0,
        stepDays: step,
        planets: truth.map((p) => ({ name: p.name, massEarth: { prior: 'log-uniform' as const, min: 0.5, max: 300 }, eccentricity: { prior: 'uniform-disk' as const, max: 0.3 } })),
      },
      data,
    );
    const fit = await fitTtv(model, { seed: 2, nSteps: 1500, threads: 2 });
    const report = fit.summary.map((s) => `${s.name} ${s.median.toPrecision(6)} [${s.lo95.toPrecision(6)}, ${s.hi95.toPrecision(6)}]`).join('; ');
    console.log(`eccentric pair: ${report}; acceptance ${fit.diagnostics.acceptance?.toFixed(2)}, τ ${fit.diagnostics.autocorrTime?.map((t) => t.toFixed(0)).join(',')}`);
    for (const p of truth) {
      expect(inside(fit, `massEarth_${p.name}`, p.massEarth), `mass ${p.name}: ${report}`).toBe(true);
      expect(inside(fit, `periodDays_${p.name}`, p.periodDays), `period ${p.name}`).toBe(true);
      expect(inside(fit, `ecc_${p.name}`, p.ecc), `ecc ${p.name}`).toBe(true);
    }
  }, 1_800_000);

  it('evidence: one unseen perturber over none decisively; no real evidence for a second', async () => {
    const truth = [
      { name: 'b', massEarth: 15, periodDays: 8.0, conjunctionDays: T0 + 3.1 },
      { name: 'c', massEarth: 25, periodDays: 16.4, conjunctionDays: T0 + 9.7 },
    ];
    const step = 0.8;
    const data = injectTimes(1, T0, truth, { endDays: T0 + 250, sigmaDays: 1 / 1440, seed: 2, observed: ['b'], stepDays: step });
    const b = { name: 'b', massEarth: 15, periodDays: { prior: 'uniform', min: 7.99, max: 8.01 }, conjunctionDays: { prior: 'uniform', min: T0 + 3.0, max: T0 + 3.2 } } as const;
    const c = { name: 'c', massEarth: { prior: 'log-uniform', min: 5, max: 300 }, periodDays: { prior: 'uniform', min: 15.8, max: 17 }, conjunctionDays: { prior: 'uniform', min: T0 + 1, max: T0 + 17.4 } } as const;
    const d = { name: 'd', massEarth: { prior: 'log-uniform', min: 10, max: 300 }, periodDays: { prior: 'uniform', min: 24, max: 34 }, conjunctionDays: { prior: 'uniform', min: T0 + 1, max: T0 + 35 } } as const;
    const base = { stellarMassMsun: 1, referenceEpochDays: T0, stepDays: step };
    const r = await compareModels(
      [
        { name: '0', model: buildTtvModel({ ...base, planets: [b] }, data) },
        { name: '1', model: buildTtvModel({ ...base, planets: [b, c] }, data) },
        { name: '2', model: buildTtvModel({ ...base, planets: [b, c, d] }, data) },
      ],
      { seed: 3, nLive: 150, dlogz: 0.1, nestedSample: 'slice' },
    );
    console.log(r.models.map((m) => `${m.name}: ln Z ${m.logZ.toFixed(2)} ± ${m.logZErr.toFixed(2)} (${m.fit.diagnostics.likelihoodCalls} calls)`).join('; '));
    const [z0, z1, z2] = r.models;
    expect(z1.logZ - z0.logZ).toBeGreaterThan(50);
    expect(z2.logZ - z1.logZ).toBeLessThan(2.5);
    expect(inside(z1.fit, 'massEarth_c', 25)).toBe(true);
    expect(inside(z1.fit, 'periodDays_c', 16.4)).toBe(true);
  }, 3_600_000);
});
