/** The Poisson sampler against the exact distribution (χ² goodness of fit), in both regimes. */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import { poissonDeviate, PTRS_MIN_MEAN } from '../../../src/science/sky/poisson.js';
import { gammaQ, lnGamma } from '../../../src/science/sky/special.js';

/** χ² statistic and degrees of freedom of draws against the exact pmf (bins with ≥ 20 expected). */
function chiSquare(mean: number, draws: number, seed: number): { chi2: number; dof: number; sampleMean: number; sampleVar: number } {
  const rng = new Rng(seed);
  const counts = new Map<number, number>();
  let s = 0;
  let s2 = 0;
  let bad = 0;
  for (let i = 0; i < draws; i++) {
    const k = poissonDeviate(rng, mean);
    if (!(Number.isInteger(k) && k >= 0)) bad++;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    s += k;
    s2 += k * k;
  }
  let chi2 = 0;
  let dof = -1;
  let restObs = draws;
  let restExp = draws;
  const hi = Math.ceil(mean + 12 * Math.sqrt(mean) + 20);
  for (let k = 0; k <= hi; k++) {
    const e = draws * Math.exp(-mean + k * Math.log(mean) - lnGamma(k + 1));
    if (e < 20) continue;
    const o = counts.get(k) ?? 0;
    chi2 += (o - e) ** 2 / e;
    dof++;
    restObs -= o;
    restExp -= e;
  }
  if (restExp >= 20) {
    chi2 += (restObs - restExp) ** 2 / restExp;
    dof++;
  }
  expect(bad).toBe(0);
  const m = s / draws;
  return { chi2, dof, sampleMean: m, sampleVar: s2 / draws - m * m };
}

/** Upper-tail probability of χ² with `dof` degrees of freedom: Q(dof/2, χ²/2). */
function chi2Sf(chi2: number, dof: number): number {
  return gammaQ(dof / 2, chi2 / 2);
}

describe('poissonDeviate', () => {
  for (const mean of [0.05, 0.7, 4, PTRS_MIN_MEAN - 0.01, PTRS_MIN_MEAN, 17.3, 85, 2500]) {
    it(`follows Poisson(${mean})`, () => {
      const draws = 200_000;
      const r = chiSquare(mean, draws, 1234 + Math.round(mean * 100));
      expect(r.dof).toBeGreaterThan(0);
      // A correct sampler fails this at the 1e-4 level only.
      expect(chi2Sf(r.chi2, r.dof)).toBeGreaterThan(1e-4);
      expect(Math.abs(r.sampleMean - mean)).toBeLessThan(5 * Math.sqrt(mean / draws));
      expect(Math.abs(r.sampleVar / mean - 1)).toBeLessThan(5 * Math.sqrt(2 / draws) + 5 / Math.sqrt(mean * draws));
    });
  }

  it('gives 0 for non-positive means and NaN for NaN, and is deterministic', () => {
    const rng = new Rng(1);
    expect(poissonDeviate(rng, 0)).toBe(0);
    expect(poissonDeviate(rng, -3)).toBe(0);
    expect(poissonDeviate(rng, NaN)).toBeNaN();
    const a = new Rng(99);
    const b = new Rng(99);
    for (let i = 0; i < 1000; i++) expect(poissonDeviate(a, 3 + (i % 50))).toBe(poissonDeviate(b, 3 + (i % 50)));
  });

  it('a χ² test this size does reject a wrong distribution (the test can fail)', () => {
    // Draws of Poisson(30) judged against Poisson(31).
    const rng = new Rng(5);
    const draws = 200_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < draws; i++) {
      const k = poissonDeviate(rng, 30);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let chi2 = 0;
    let dof = -1;
    for (let k = 0; k < 100; k++) {
      const e = draws * Math.exp(-31 + k * Math.log(31) - lnGamma(k + 1));
      if (e < 20) continue;
      chi2 += ((counts.get(k) ?? 0) - e) ** 2 / e;
      dof++;
    }
    expect(chi2Sf(chi2, dof)).toBeLessThan(1e-10);
  });
});
