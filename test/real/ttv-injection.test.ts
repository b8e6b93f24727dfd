/**
 * The long injection–recovery runs (too slow for `npm test`; run by `npm run test:real`):
 * two transiting planets on eccentric orbits near 2:1 over 600 days, every parameter
 *    free (masses, periods, conjunctions, both eccentricity vectors: 10 dimensions) —
 *    the true masses, periods and eccentricities inside the 95 % credible intervals;
 * (Model comparison — none, one or two perturbers, on times injected with one and with
 * none — runs in `npm test`: test/science/ttv/compare.test.ts, decision 0047.)
 * Times come from our own forward model plus Gaussian noise (test/science/ttv/inject.ts).
 */
import { describe, expect, it } from 'vitest';
import { buildTtvModel, fitTtv, type TtvFitResult } from '../../src/science/ttv/index.js';
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

});
