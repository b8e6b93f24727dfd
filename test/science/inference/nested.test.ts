import { describe, expect, it } from 'vitest';
import { InferenceError, nestedSample, resampleEqual, type NestedOptions } from '../../../src/science/inference/index.js';
import { simpsonWeights } from './helpers.js';

// ---- Gaussian shells (Feroz & Hobson 2008, §6.1; Feroz et al. 2009, §6.2) ----
// L(θ) = Σ_{i=1,2} (2πw²)^(−1/2) exp(−(|θ − c_i| − r)²/(2w²)), r = 2, w = 0.1,
// c₁,₂ = (∓3.5, 0), uniform prior on [−6, 6]². Published (D = 2): log Z = −1.75.
const SHELL_R = 2;
const SHELL_W = 0.1;
const LOG_NORM = -0.5 * Math.log(2 * Math.PI) - Math.log(SHELL_W);
function shellsLogL(t: Float64Array): number {
  const a = -((Math.hypot(t[0] + 3.5, t[1]) - SHELL_R) ** 2) / (2 * SHELL_W ** 2);
  const b = -((Math.hypot(t[0] - 3.5, t[1]) - SHELL_R) ** 2) / (2 * SHELL_W ** 2);
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m)) + LOG_NORM;
}
const shellsPrior = (u: Float64Array, out: Float64Array) => {
  out[0] = 12 * u[0] - 6;
  out[1] = 12 * u[1] - 6;
};
/**
 * Reference log Z: each shell lies inside the prior box with a margin of 5w (so the box cuts
 * off < 1e-6 of it), and the two shells are disjoint there, so Z = 2·∫₀^∞ 2πρ N(ρ; r, w) dρ / 12²,
 * the radial integral done by Simpson's rule.
 */
function shellsReference(): number {
  const n = 20001;
  const lo = 0;
  const hi = SHELL_R + 12 * SHELL_W;
  const h = (hi - lo) / (n - 1);
  const w = simpsonWeights(n, h);
  let s = 0;
  for (let i = 0; i < n; i++) {
    const rho = lo + i * h;
    s += w[i] * 2 * Math.PI * rho * Math.exp(-((rho - SHELL_R) ** 2) / (2 * SHELL_W ** 2) + LOG_NORM);
  }
  return Math.log((2 * s) / 144);
}

// ---- Egg-box (Feroz et al. 2009, §6.1) ----
// L(θ) = exp[(2 + cos(θ₁/2) cos(θ₂/2))⁵], uniform prior on [0, 10π]². Published log Z = 235.856
// (by numerical integration). The reference here is 2-D Simpson quadrature of the same integral.
const TEN_PI = 10 * Math.PI;
const eggLogL = (t: Float64Array) => (2 + Math.cos(t[0] / 2) * Math.cos(t[1] / 2)) ** 5;
const eggPrior = (u: Float64Array, out: Float64Array) => {
  out[0] = TEN_PI * u[0];
  out[1] = TEN_PI * u[1];
};
let eggCache: number | undefined;
function eggReference(): number {
  if (eggCache !== undefined) return eggCache;
  // The modes are Gaussians of σ ≈ 0.1 in each coordinate (exponent ≈ 243 − 50|δθ|²), so a
  // step of 0.01 resolves them; factor out e^243 to stay in range.
  const n = 3141;
  const h = TEN_PI / (n - 1);
  const w = simpsonWeights(n, h);
  const c = Float64Array.from({ length: n }, (_, i) => Math.cos((i * h) / 2));
  let s = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += w[j] * Math.exp((2 + c[i] * c[j]) ** 5 - 243);
    s += w[i] * row;
  }
  eggCache = Math.log(s) + 243 - 2 * Math.log(TEN_PI);
  return eggCache;
}

function expectWithin2Sigma(logZ: number, logZErr: number, truth: number, maxErr: number): void {
  expect(logZErr, 'error must be sane').toBeLessThan(maxErr);
  expect(logZErr).toBeGreaterThan(0);
  expect(Math.abs(logZ - truth), `log Z ${logZ} ± ${logZErr} vs ${truth}`).toBeLessThan(2 * logZErr);
}

describe('nestedSample: published evidences', () => {
  it('reference quadratures reproduce the published values', () => {
    expect(Math.abs(shellsReference() - -1.75)).toBeLessThan(0.005);
    expect(Math.abs(eggReference() - 235.856)).toBeLessThan(0.001);
  });

  it('Gaussian shells (2-D), multi-ellipsoid bound with uniform sampling', () => {
    const r = nestedSample({ logLikelihood: shellsLogL, priorTransform: shellsPrior, nDim: 2, nLive: 500, seed: 1, bound: 'multi', sample: 'uniform' });
    expectWithin2Sigma(r.logZ, r.logZErr, shellsReference(), 0.1);
    // Bounds made it efficient: plain prior sampling would need > 4e5 calls here.
    expect(r.nCalls).toBeLessThan(60_000);
  });

  it('egg-box, multi-ellipsoid bound with uniform sampling', () => {
    const r = nestedSample({ logLikelihood: eggLogL, priorTransform: eggPrior, nDim: 2, nLive: 500, seed: 1, bound: 'multi', sample: 'uniform' });
    expectWithin2Sigma(r.logZ, r.logZErr, eggReference(), 0.15);
    expect(r.nCalls).toBeLessThan(60_000);
  });

  it('Gaussian shells and egg-box with slice sampling', () => {
    const s = nestedSample({ logLikelihood: shellsLogL, priorTransform: shellsPrior, nDim: 2, nLive: 400, seed: 2, bound: 'multi', sample: 'slice' });
    expectWithin2Sigma(s.logZ, s.logZErr, shellsReference(), 0.1);
    const e = nestedSample({ logLikelihood: eggLogL, priorTransform: eggPrior, nDim: 2, nLive: 400, seed: 2, bound: 'single', sample: 'slice' });
    expectWithin2Sigma(e.logZ, e.logZErr, eggReference(), 0.15);
  });

  it('the reported error is calibrated: z-scores over 12 seeds have mean ≈ 0 and s.d. ≈ 1', () => {
    const z: number[] = [];
    for (let seed = 100; seed < 112; seed++) {
      const r = nestedSample({ logLikelihood: shellsLogL, priorTransform: shellsPrior, nDim: 2, nLive: 150, seed, bound: 'multi' });
      z.push((r.logZ - shellsReference()) / r.logZErr);
    }
    const mean = z.reduce((a, b) => a + b, 0) / z.length;
    const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / (z.length - 1));
    // For N(0,1) z-scores: the mean of 12 has s.d. 0.29, so |mean| < 1 is a 3.5σ test; s.d. of 12
    // lies in [0.55, 1.5] with probability > 99 %.
    expect(Math.abs(mean), `z = ${z.map((v) => v.toFixed(2)).join(' ')}`).toBeLessThan(1);
    expect(sd).toBeGreaterThan(0.55);
    expect(sd).toBeLessThan(1.5);
  });
});

describe('nestedSample: Gaussian likelihood with an analytic evidence', () => {
  // L = N(θ; μ, I) (normalised) in 3-D with μ = (1, −1, 0.5), prior uniform on [−5, 5]³:
  // Z = 10⁻³ ∏ ∫_{−5}^{5} N(θ_i; μ_i, 1) dθ_i = 10⁻³ to within 4e-6, so log Z = −3 ln 10.
  const MU = [1, -1, 0.5];
  const opts: NestedOptions = {
    logLikelihood: (t) => -0.5 * ((t[0] - MU[0]) ** 2 + (t[1] - MU[1]) ** 2 + (t[2] - MU[2]) ** 2) - 1.5 * Math.log(2 * Math.PI),
    priorTransform: (u, out) => {
      for (let i = 0; i < 3; i++) out[i] = 10 * u[i] - 5;
    },
    nDim: 3,
    nLive: 300,
    seed: 4,
  };

  for (const [bound, sample] of [['none', 'uniform'], ['single', 'uniform'], ['multi', 'uniform'], ['single', 'slice']] as const) {
    it(`bound '${bound}', sample '${sample}': log Z within 2σ, posterior moments right`, () => {
      const r = nestedSample({ ...opts, bound, sample });
      expectWithin2Sigma(r.logZ, r.logZErr, -3 * Math.log(10), 0.15);
      // Information H = log(prior volume) − (D/2)(1 + log 2π) for a Gaussian well inside its prior.
      expect(Math.abs(r.information - (3 * Math.log(10) - 1.5 * (1 + Math.log(2 * Math.PI))))).toBeLessThan(0.3);
      let wsum = 0;
      for (const w of r.weights) wsum += w;
      expect(wsum).toBeCloseTo(1, 12);
      for (let d = 0; d < 3; d++) {
        let m = 0;
        let v = 0;
        for (let i = 0; i < r.nSamples; i++) m += r.weights[i] * r.samples[i * 3 + d];
        for (let i = 0; i < r.nSamples; i++) v += r.weights[i] * (r.samples[i * 3 + d] - m) ** 2;
        expect(Math.abs(m - MU[d])).toBeLessThan(0.15);
        expect(Math.abs(v - 1)).toBeLessThan(0.2);
      }
      expect(r.samples.length).toBe(r.nSamples * 3);
      expect(r.logL.length).toBe(r.nSamples);
      expect(r.nSamples).toBe(r.nIterations + 300);
    });
  }

  it('equal-weight resampling keeps the posterior', () => {
    const r = nestedSample({ ...opts, bound: 'multi' });
    const draws = resampleEqual(r.samples, r.weights, 3, 4000, 1);
    for (let d = 0; d < 3; d++) {
      let m = 0;
      for (let k = 0; k < 4000; k++) m += draws[k * 3 + d] / 4000;
      expect(Math.abs(m - MU[d])).toBeLessThan(0.15);
    }
    expect(() => resampleEqual(r.samples, r.weights, 2, 10, 1)).toThrow(InferenceError);
  });

  it('is deterministic for a seed and reports progress', () => {
    const seen: number[] = [];
    const a = nestedSample({ ...opts, nLive: 50, onProgress: (p) => seen.push(p.iteration) });
    const b = nestedSample({ ...opts, nLive: 50 });
    expect(b.logZ).toBe(a.logZ);
    expect(b.samples).toEqual(a.samples);
    expect(seen[0]).toBe(0);
    expect(seen[seen.length - 1]).toBe(a.nIterations);
  });

  it('rejects bad arguments and likelihoods, and stops at its limits', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(InferenceError);
        return (e as InferenceError).code;
      }
      return 'no error';
    };
    expect(code(() => nestedSample({ ...opts, nLive: 3 }))).toBe('BAD_ARGUMENT');
    expect(code(() => nestedSample({ ...opts, nDim: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => nestedSample({ ...opts, bound: 'box' as 'multi' }))).toBe('BAD_ARGUMENT');
    expect(code(() => nestedSample({ ...opts, sample: 'walk' as 'slice' }))).toBe('BAD_ARGUMENT');
    expect(code(() => nestedSample({ ...opts, dlogz: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => nestedSample({ ...opts, seed: 0.5 }))).toBe('BAD_ARGUMENT');
    expect(code(() => nestedSample({ ...opts, logLikelihood: () => NaN }))).toBe('BAD_LOG_PROB');
    expect(code(() => nestedSample({ ...opts, maxCalls: 1000 }))).toBe('NOT_CONVERGED');
    expect(code(() => nestedSample({ ...opts, maxIterations: 100 }))).toBe('NOT_CONVERGED');
    expect(code(() => nestedSample({ ...opts, nDim: 5000, nLive: 5001 }))).toBe('TOO_LARGE');
  });
});
