import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  InferenceError,
  Rng,
  acceptanceFraction,
  autocorrFunction,
  autocorrReliable,
  ensembleAutocorrTime,
  integratedAutocorrTime,
} from '../../../src/science/inference/index.js';

const FIXTURES = new URL('../../fixtures/inference/', import.meta.url);

/** Stationary AR(1) series x_t = φ x_{t−1} + ε_t, ε ~ N(0,1), for `walkers` independent walkers, step-major. */
function ar1(phi: number, nSteps: number, nWalkers: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(nSteps * nWalkers);
  for (let w = 0; w < nWalkers; w++) {
    let x = rng.normal() / Math.sqrt(1 - phi * phi);
    for (let t = 0; t < nSteps; t++) {
      x = phi * x + rng.normal();
      out[t * nWalkers + w] = x;
    }
  }
  return out;
}

describe('autocorrelation function', () => {
  it('equals the direct O(n²) estimator Σ(x_i − x̄)(x_{i+t} − x̄)/Σ(x_i − x̄)²', () => {
    const x = ar1(0.7, 257, 1, 1);
    const rho = autocorrFunction(x);
    let mean = 0;
    for (const v of x) mean += v / x.length;
    let c0 = 0;
    for (const v of x) c0 += (v - mean) ** 2;
    for (const t of [0, 1, 2, 5, 17, 100, 256]) {
      let ct = 0;
      for (let i = 0; i + t < x.length; i++) ct += (x[i] - mean) * (x[i + t] - mean);
      expect(rho[t]).toBeCloseTo(ct / c0, 12);
    }
  });

  it('rejects series shorter than 2', () => {
    expect(() => autocorrFunction([1])).toThrow(InferenceError);
  });
});

describe('integrated autocorrelation time', () => {
  it('matches the analytic τ = (1+φ)/(1−φ) of AR(1) processes within 10 %', () => {
    // The walker-averaged estimator has relative s.d. ≈ √(2(2M+1)/N_total) (Sokal 1997):
    // for φ = 0.9 (τ = 19, M ≈ 5τ) and 32 × 20000 steps that is ≈ 2.4 %, so 10 % is ≳ 4σ.
    for (const phi of [0.5, 0.9]) {
      const nSteps = 20_000;
      const nWalkers = 32;
      const chain = ar1(phi, nSteps, nWalkers, 100 + phi * 10);
      const tau = ensembleAutocorrTime(chain, { nSteps, nWalkers, nDim: 1 })[0];
      const expected = (1 + phi) / (1 - phi);
      expect(Math.abs(tau / expected - 1)).toBeLessThan(0.1);
      expect(autocorrReliable(Float64Array.of(tau), nSteps)).toBe(true);
    }
    // One long series as well.
    const x = ar1(0.8, 200_000, 1, 9);
    expect(Math.abs(integratedAutocorrTime(x) / 9 - 1)).toBeLessThan(0.1);
  });

  it('is ≈ 1 for white noise and 1 for a constant series', () => {
    const x = ar1(0, 50_000, 1, 4);
    expect(Math.abs(integratedAutocorrTime(x) - 1)).toBeLessThan(0.1);
    expect(integratedAutocorrTime(new Float64Array(100).fill(3))).toBe(1);
  });

  it('agrees with emcee.autocorr.integrated_time on the same chain (golden fixture)', () => {
    const golden = JSON.parse(readFileSync(new URL('ar1-emcee.json', FIXTURES), 'utf8')) as {
      shape: [number, number, number];
      tau_c5: number[];
      tau_c8: number[];
      tau_walker0_c5: number[];
    };
    const buf = readFileSync(new URL('ar1-chain.f64', FIXTURES));
    const chain = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
    const [nSteps, nWalkers, nDim] = golden.shape;
    const shape = { nSteps, nWalkers, nDim };
    const t5 = ensembleAutocorrTime(chain, shape, { c: 5 });
    const t8 = ensembleAutocorrTime(chain, shape, { c: 8 });
    for (let d = 0; d < nDim; d++) {
      expect(t5[d]).toBeCloseTo(golden.tau_c5[d], 9);
      expect(t8[d]).toBeCloseTo(golden.tau_c8[d], 9);
    }
    // Walker 0 alone, through the single-series entry point.
    for (let d = 0; d < nDim; d++) {
      const x = new Float64Array(nSteps);
      for (let t = 0; t < nSteps; t++) x[t] = chain[t * nWalkers * nDim + d];
      expect(integratedAutocorrTime(x, { c: 5 })).toBeCloseTo(golden.tau_walker0_c5[d], 9);
    }
    // τ(φ=0.95) = 39 analytically; 1000 steps is < 50τ, so the estimate is flagged unreliable.
    expect(autocorrReliable(t5, nSteps)).toBe(false);
  });

  it('skips burn-in with discard and checks the shape', () => {
    const nSteps = 4000;
    const chain = ar1(0.5, nSteps, 4, 2);
    for (let w = 0; w < 4; w++) for (let t = 0; t < 500; t++) chain[t * 4 + w] += 50 * Math.exp(-t / 50); // a transient
    const withBurn = ensembleAutocorrTime(chain, { nSteps, nWalkers: 4, nDim: 1 })[0];
    const without = ensembleAutocorrTime(chain, { nSteps, nWalkers: 4, nDim: 1 }, { discard: 500 })[0];
    expect(withBurn).toBeGreaterThan(10);
    expect(Math.abs(without / 3 - 1)).toBeLessThan(0.25);
    expect(() => ensembleAutocorrTime(chain, { nSteps, nWalkers: 3, nDim: 1 })).toThrow(InferenceError);
    expect(() => ensembleAutocorrTime(chain, { nSteps, nWalkers: 4, nDim: 1 }, { discard: nSteps - 1 })).toThrow(InferenceError);
  });
});

describe('acceptanceFraction', () => {
  it('divides accepted counts by steps', () => {
    expect(Array.from(acceptanceFraction(Float64Array.of(5, 0, 10), 10))).toEqual([0.5, 0, 1]);
  });
});
