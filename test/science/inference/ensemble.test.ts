import { describe, expect, it } from 'vitest';
import { InferenceError, runEnsemble, type EnsembleResult, type Move } from '../../../src/science/inference/index.js';
import { mcMean, simpsonWeights } from './helpers.js';

// Correlated 4-D Gaussian: Σ = A Aᵀ with A lower triangular (strong correlations, scales 0.5–3).
const A = [
  [1.0, 0, 0, 0],
  [1.8, 0.87, 0, 0],
  [-0.2, 0.3, 0.4, 0],
  [0.5, -1.5, 1.0, 2.4],
];
const MU = [1, -2, 0.5, 3];
const SIGMA = A.map((ri) => A.map((rj) => ri.reduce((s, v, k) => s + v * rj[k], 0)));

function gaussLogProb(x: Float64Array): number {
  // y = A⁻¹(x − μ) by forward substitution; log p = −|y|²/2.
  let s = 0;
  const y = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    let v = x[i] - MU[i];
    for (let k = 0; k < i; k++) v -= A[i][k] * y[k];
    y[i] = v / A[i][i];
    s += y[i] * y[i];
  }
  return -0.5 * s;
}

function startBall(centre: number[], scale: number) {
  return (rng: { normal(): number }) => Float64Array.from(centre, (c) => c + scale * rng.normal());
}

/** Means and covariances of the correlated Gaussian recovered within 4 Monte-Carlo σ (σ from τ). */
function checkGaussian(r: EnsembleResult, discard: number): void {
  for (let i = 0; i < 4; i++) {
    const m = mcMean(r, discard, (x) => x[i]);
    expect(Math.abs(m.mean - MU[i]), `mean ${i}: ${m.mean} vs ${MU[i]} (σ ${m.sigma})`).toBeLessThan(4 * m.sigma);
    for (let j = 0; j <= i; j++) {
      const c = mcMean(r, discard, (x) => (x[i] - MU[i]) * (x[j] - MU[j]));
      expect(Math.abs(c.mean - SIGMA[i][j]), `cov ${i}${j}: ${c.mean} vs ${SIGMA[i][j]} (σ ${c.sigma})`).toBeLessThan(4 * c.sigma);
      // The check must have teeth: the MC error is small against the value's scale.
      expect(c.sigma).toBeLessThan(0.05 * Math.sqrt(SIGMA[i][i] * SIGMA[j][j]));
    }
  }
}

describe('runEnsemble: correlated Gaussian', () => {
  it('recovers mean and covariance with the stretch move', async () => {
    const r = await runEnsemble({ logProb: gaussLogProb, nWalkers: 32, nSteps: 6000, seed: 1, initial: startBall([0, 0, 0, 0], 1) });
    expect(r.chain.length).toBe(6000 * 32 * 4);
    const acc = r.acceptance.reduce((a, b) => a + b) / 32;
    expect(acc).toBeGreaterThan(0.2);
    expect(acc).toBeLessThan(0.7);
    checkGaussian(r, 1000);
  });

  it('recovers them with the differential-evolution move and with a mixture', async () => {
    for (const moves of [[{ type: 'de' }], [{ type: 'stretch', weight: 0.7 }, { type: 'de', weight: 0.3 }]] as Move[][]) {
      const r = await runEnsemble({ logProb: gaussLogProb, nWalkers: 32, nSteps: 5000, seed: 2, initial: startBall([0, 0, 0, 0], 1), moves });
      checkGaussian(r, 1000);
    }
  });
});

describe('runEnsemble: Rosenbrock density', () => {
  // π(x₁, x₂) ∝ exp(−[(1 − x₁)² + 10 (x₂ − x₁²)²] / 2): the Rosenbrock banana normalised so
  // that x₁ ~ N(1, 1) and x₂ | x₁ ~ N(x₁², 0.1). Analytically E x₁ = 1, E x₁² = E x₂ = 2,
  // E x₁x₂ = E x₁³ = 4, Var x₂ = 0.1 + Var x₁² = 6.1 and ∫π = 2π√0.1. (Goodman & Weare's
  // version, [100 (x₂ − x₁²)² + (1 − x₁)²]/20, has τ ≳ 1500 for the stretch move: too slow
  // for CI.) The reference moments come from 2-D quadrature, checked against these.
  const rosen = (x: Float64Array) => -((1 - x[0]) ** 2 + 10 * (x[1] - x[0] * x[0]) ** 2) / 2;

  function quadratureMoments() {
    const n1 = 2001;
    const lo1 = -9;
    const hi1 = 11; // ±10σ
    const h1 = (hi1 - lo1) / (n1 - 1);
    const w1 = simpsonWeights(n1, h1);
    const n2 = 401;
    const half2 = 4; // ±4 around x₁², i.e. ±12.6 conditional σ
    const h2 = (2 * half2) / (n2 - 1);
    const w2 = simpsonWeights(n2, h2);
    const m = { z: 0, x1: 0, x1sq: 0, x2: 0, x2sq: 0, x1x2: 0 };
    const x = new Float64Array(2);
    for (let i = 0; i < n1; i++) {
      x[0] = lo1 + i * h1;
      for (let j = 0; j < n2; j++) {
        x[1] = x[0] * x[0] - half2 + j * h2;
        const p = w1[i] * w2[j] * Math.exp(rosen(x));
        m.z += p;
        m.x1 += p * x[0];
        m.x1sq += p * x[0] * x[0];
        m.x2 += p * x[1];
        m.x2sq += p * x[1] * x[1];
        m.x1x2 += p * x[0] * x[1];
      }
    }
    return { x1: m.x1 / m.z, x1sq: m.x1sq / m.z, x2: m.x2 / m.z, x2sq: m.x2sq / m.z, x1x2: m.x1x2 / m.z, z: m.z };
  }

  it('reference moments by quadrature match the analytic ones', () => {
    const q = quadratureMoments();
    expect(q.z).toBeCloseTo(2 * Math.PI * Math.sqrt(0.1), 8);
    expect(q.x1).toBeCloseTo(1, 8);
    expect(q.x1sq).toBeCloseTo(2, 8);
    expect(q.x2).toBeCloseTo(2, 8);
    expect(q.x2sq - q.x2 ** 2).toBeCloseTo(6.1, 7);
    expect(q.x1x2).toBeCloseTo(4, 8);
  });

  it('recovers the marginal moments within 4 Monte-Carlo σ', async () => {
    const q = quadratureMoments();
    const r = await runEnsemble({ logProb: rosen, nWalkers: 64, nSteps: 12000, seed: 3, initial: startBall([1, 1], 0.5) });
    const checks: Array<[string, (x: Float64Array) => number, number, number]> = [
      ['E x1', (x) => x[0], q.x1, 1],
      ['E x1²', (x) => x[0] * x[0], q.x1sq, Math.sqrt(6)],
      ['E x2', (x) => x[1], q.x2, Math.sqrt(6.1)],
      ['E x2²', (x) => x[1] * x[1], q.x2sq, 0],
      ['E x1·x2', (x) => x[0] * x[1], q.x1x2, 0],
    ];
    for (const [name, f, truth, sd] of checks) {
      const m = mcMean(r, 2000, f);
      expect(Math.abs(m.mean - truth), `${name}: ${m.mean} vs ${truth} (σ ${m.sigma}, τ ${m.tau})`).toBeLessThan(4 * m.sigma);
      // Teeth: τ is trustworthy (≥ 50 τ of chain) and the MC error is small against the spread.
      expect(m.tau * 50, name).toBeLessThan(10000);
      if (sd > 0) expect(m.sigma, name).toBeLessThan(0.03 * sd);
    }
  });
});

describe('runEnsemble: behaviour and errors', () => {
  const iso = (x: Float64Array) => -0.5 * (x[0] * x[0] + x[1] * x[1]);

  it('is deterministic for a seed and differs across seeds', async () => {
    const opts = { logProb: iso, nWalkers: 8, nSteps: 50, initial: startBall([0, 0], 1) };
    const a = await runEnsemble({ ...opts, seed: 9 });
    const b = await runEnsemble({ ...opts, seed: 9 });
    const c = await runEnsemble({ ...opts, seed: 10 });
    expect(b.chain).toEqual(a.chain);
    expect(b.logProb).toEqual(a.logProb);
    expect(c.chain).not.toEqual(a.chain);
  });

  it('stores positions and log-probabilities consistently and reports progress', async () => {
    const seen: number[] = [];
    const r = await runEnsemble({ logProb: iso, nWalkers: 8, nSteps: 20, seed: 1, initial: startBall([0, 0], 1), onProgress: (s, n) => seen.push(s / n) });
    expect(seen.length).toBe(20);
    expect(seen[19]).toBe(1);
    for (let k = 0; k < 20 * 8; k++) expect(r.logProb[k]).toBe(iso(r.chain.subarray(k * 2, k * 2 + 2)));
    expect(r.state.step).toBe(20);
    expect(Array.from(r.state.positions)).toEqual(Array.from(r.chain.subarray(19 * 16)));
  });

  it('accepts start rows, a flat start array, and redraws start positions outside the support', async () => {
    const rows = Array.from({ length: 8 }, (_, i) => Float64Array.of(Math.cos(i), Math.sin(i * 1.7)));
    const flat = new Float64Array(16);
    rows.forEach((r, i) => flat.set(r, 2 * i));
    const a = await runEnsemble({ logProb: iso, nWalkers: 8, nSteps: 10, seed: 1, initial: rows });
    const b = await runEnsemble({ logProb: iso, nWalkers: 8, nSteps: 10, seed: 1, initial: flat, nDim: 2 });
    expect(b.chain).toEqual(a.chain);
    // A draw function reusing one buffer gives the same run as one returning fresh arrays.
    const buf = new Float64Array(2);
    const reusing = await runEnsemble({ logProb: iso, nWalkers: 8, nSteps: 10, seed: 1, initial: (rng) => { buf[0] = rng.normal(); buf[1] = rng.normal(); return buf; } });
    const fresh = await runEnsemble({ logProb: iso, nWalkers: 8, nSteps: 10, seed: 1, initial: startBall([0, 0], 1) });
    expect(reusing.chain).toEqual(fresh.chain);
    const halfPlane = (x: Float64Array) => (x[0] < 0 ? -Infinity : iso(x));
    const c = await runEnsemble({ logProb: halfPlane, nWalkers: 8, nSteps: 30, seed: 1, initial: startBall([0, 0], 1) });
    for (let k = 0; k < c.chain.length; k += 2) expect(c.chain[k]).toBeGreaterThanOrEqual(0);
  });

  it('rejects impossible setups with InferenceError codes', async () => {
    const base = { logProb: iso, nSteps: 5, seed: 1, initial: startBall([0, 0], 1) };
    const code = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(InferenceError);
        return (e as InferenceError).code;
      }
      return 'no error';
    };
    expect(await code(runEnsemble({ ...base, nWalkers: 7 }))).toBe('BAD_ARGUMENT');
    expect(await code(runEnsemble({ ...base, nWalkers: 4, initial: startBall([0, 0, 0], 1) }))).toBe('BAD_ARGUMENT');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, seed: 0.5 }))).toBe('BAD_ARGUMENT');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, logProb: undefined }))).toBe('BAD_ARGUMENT');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, moves: [{ type: 'stretch', a: 0.5 }] }))).toBe('BAD_ARGUMENT');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, moves: [{ type: 'walk' } as unknown as Move] }))).toBe('BAD_ARGUMENT');
    // All walkers identical in one dimension: the stretch move could never leave that plane.
    expect(await code(runEnsemble({ ...base, nWalkers: 8, initial: (rng) => Float64Array.of(rng.normal(), 1) }))).toBe('BAD_INITIAL_STATE');
    // Walkers on a line x₁ = 2x₀.
    expect(await code(runEnsemble({ ...base, nWalkers: 8, initial: (rng) => { const t = rng.normal(); return Float64Array.of(t, 2 * t); } }))).toBe('BAD_INITIAL_STATE');
    const rows = Array.from({ length: 8 }, (_, i) => Float64Array.of(i - 4, (i * 7) % 5));
    expect(await code(runEnsemble({ ...base, nWalkers: 8, initial: rows, logProb: (x) => (x[0] > 2 ? -Infinity : 0) }))).toBe('BAD_INITIAL_STATE');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, logProb: () => -Infinity }))).toBe('BAD_INITIAL_STATE');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, initial: rows, logProb: (x) => (x[0] > 3 ? NaN : iso(x)) }))).toBe('BAD_LOG_PROB');
    expect(await code(runEnsemble({ ...base, nWalkers: 8, nSteps: 1e9 }))).toBe('TOO_LARGE');
  });

  it('locates a NaN or a throw during the run', async () => {
    const nanFar = (x: Float64Array) => (x[0] > 2.5 ? NaN : iso(x));
    const err = await runEnsemble({ logProb: nanFar, nWalkers: 8, nSteps: 2000, seed: 1, initial: startBall([0, 0], 0.5) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InferenceError);
    expect((err as InferenceError).code).toBe('BAD_LOG_PROB');
    expect((err as InferenceError).location.step).toBeGreaterThanOrEqual(0);
    expect((err as InferenceError).location.walker).toBeGreaterThanOrEqual(0);
    const throwing = (x: Float64Array) => {
      if (x[0] > 2.5) throw new Error('model failed');
      return iso(x);
    };
    const err2 = await runEnsemble({ logProb: throwing, nWalkers: 8, nSteps: 2000, seed: 1, initial: startBall([0, 0], 0.5) }).catch((e: unknown) => e);
    expect((err2 as InferenceError).code).toBe('LOG_PROB_FAILED');
    expect((err2 as InferenceError).message).toMatch(/model failed/);
  });
});
