import { describe, expect, it } from 'vitest';
import {
  InferenceError,
  Rng,
  ensembleRhat,
  normalQuantile,
  rankNormalizedSplitRhat,
  runEnsemble,
  splitRhat,
} from '../../../src/science/inference/index.js';

function normals(n: number, mean: number, sd: number, rng: Rng): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = mean + sd * rng.normal();
  return x;
}

describe('split-R̂', () => {
  it('matches a hand-computed BDA3 example', () => {
    // Halves [1,3] [2,4] [5,7] [6,8]: means 2,3,6,7 (grand 4.5), within variances 2 → W = 2;
    // B = n/(M−1) Σ(ȳ_j − ȳ)² = 2/3 · 17 = 34/3; var⁺ = (n−1)/n W + B/n = 1 + 17/3 = 20/3;
    // R̂ = √(var⁺/W) = √(10/3).
    expect(splitRhat([[1, 3, 2, 4], [5, 7, 6, 8]])).toBeCloseTo(Math.sqrt(10 / 3), 12);
    // An odd last draw is dropped.
    expect(splitRhat([[1, 3, 2, 4, 100], [5, 7, 6, 8, -100]])).toBeCloseTo(Math.sqrt(10 / 3), 12);
  });

  it('is ≈ 1 for independent draws from one distribution', () => {
    const rng = new Rng(1);
    const chains = [0, 1, 2, 3].map(() => normals(2000, 0, 1, rng));
    expect(splitRhat(chains)).toBeLessThan(1.01);
    expect(rankNormalizedSplitRhat(chains)).toBeLessThan(1.01);
  });

  it('exceeds 1.1 for chains stuck in different modes', () => {
    const rng = new Rng(2);
    const chains = [normals(1000, -3, 1, rng), normals(1000, -3, 1, rng), normals(1000, 3, 1, rng), normals(1000, 3, 1, rng)];
    expect(splitRhat(chains)).toBeGreaterThan(1.1);
    expect(rankNormalizedSplitRhat(chains)).toBeGreaterThan(1.1);
  });

  it('detects a drifting chain through the split', () => {
    const rng = new Rng(3);
    const drift = normals(1000, 0, 1, rng).map((v, i) => v + (i < 500 ? -2 : 2));
    expect(splitRhat([drift, normals(1000, 0, 1, rng)])).toBeGreaterThan(1.1);
  });

  it('the folded rank version catches chains that differ only in scale (Vehtari et al. 2021)', () => {
    const rng = new Rng(4);
    const chains = [normals(2000, 0, 1, rng), normals(2000, 0, 1, rng), normals(2000, 0, 1, rng), normals(2000, 0, 4, rng)];
    expect(splitRhat(chains)).toBeLessThan(1.01); // classic R̂ compares means only
    expect(rankNormalizedSplitRhat(chains)).toBeGreaterThan(1.05);
  });

  it('rejects unequal or too short chains, and is NaN for constant chains', () => {
    expect(() => splitRhat([[1, 2, 3, 4], [1, 2, 3]])).toThrow(InferenceError);
    expect(() => splitRhat([[1, 2, 3]])).toThrow(InferenceError);
    expect(() => splitRhat([])).toThrow(InferenceError);
    expect(splitRhat([[1, 1, 1, 1], [1, 1, 1, 1]])).toBeNaN();
  });
});

describe('normalQuantile', () => {
  it('matches tabulated standard normal quantiles to 1e-9 relative', () => {
    // Φ⁻¹(0.975) = 1.959963984540054, Φ⁻¹(0.841344746068543) = 1 (Φ(1) = 0.841344746068543),
    // Φ⁻¹(0.001) = −3.090232306167813, Φ⁻¹(1e−10) = −6.361340902404056.
    const table: Array<[number, number]> = [
      [0.5, 0],
      [0.975, 1.959963984540054],
      [0.841344746068543, 1],
      [0.001, -3.090232306167813],
      [1e-10, -6.361340902404056],
      [0.999, 3.090232306167813],
    ];
    for (const [p, z] of table) expect(Math.abs(normalQuantile(p) - z)).toBeLessThanOrEqual(1.2e-9 * Math.max(1, Math.abs(z)));
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(2)).toBeNaN();
  });
});

describe('ensembleRhat across runs', () => {
  const bimodal = (x: Float64Array) => {
    const a = -0.5 * (((x[0] - 4) / 0.5) ** 2 + x[1] ** 2);
    const b = -0.5 * (((x[0] + 4) / 0.5) ** 2 + x[1] ** 2);
    return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
  };

  it('is ≈ 1 for converged runs and > 1.1 for runs stuck in different modes', async () => {
    const run = (seed: number, centre: number) =>
      runEnsemble({
        logProb: bimodal,
        nWalkers: 16,
        nSteps: 6000,
        seed,
        initial: (rng) => Float64Array.of(centre + 0.1 * rng.normal(), 0.1 * rng.normal()),
      });
    const same = await Promise.all([1, 2, 3, 4].map((s) => run(s, 4)));
    const rSame = ensembleRhat(same, { discard: 1000 });
    // Every walker is a chain with only ~(5000/τ) ≈ 100 effective draws, so R̂ − 1 is a
    // few 1e-3 from noise alone (1.0076 here); 1.02 still separates it from the 1.1 alarm.
    expect(Math.max(...rSame)).toBeLessThan(1.02);
    const mixed = await Promise.all([1, 2, 3, 4].map((s) => run(s, s <= 2 ? 4 : -4)));
    const rMixed = ensembleRhat(mixed, { discard: 1000 });
    expect(rMixed[0]).toBeGreaterThan(1.1);
    expect(ensembleRhat(mixed, { discard: 1000, method: 'classic' })[0]).toBeGreaterThan(1.1);
    expect(() => ensembleRhat(mixed, { discard: 5999 })).toThrow(InferenceError);
  });
});
