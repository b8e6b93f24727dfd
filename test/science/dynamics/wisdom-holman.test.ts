/**
 * The Wisdom–Holman pieces: Jacobi coordinates, the interaction acceleration (against a
 * direct N-body sum), the corrector's moment conditions, the modified kick's Hessian-vector
 * product (against finite differences) and energy conservation of the whole map.
 */
import { describe, expect, it } from 'vitest';
import {
  astrocentricToJacobi,
  correctorCoefficients,
  jacobiToAstrocentric,
  toAstrocentric,
  WisdomHolman,
  type AstrocentricState,
} from '../../../src/science/dynamics/index.js';
import { loadSystem } from './golden.js';

function trappist(): AstrocentricState {
  return toAstrocentric(loadSystem('trappist1_like').system);
}

function kepler9(): AstrocentricState {
  return toAstrocentric(loadSystem('kepler9_like').system);
}

function makeWh(s: AstrocentricState, h: number, stages = 0): WisdomHolman {
  const wh = new WisdomHolman(s.masses.length);
  wh.configure(s.G, s.stellarMassMsun, s.masses, h, stages);
  wh.setAstrocentric(s.state);
  return wh;
}

describe('Jacobi coordinates', () => {
  it('round-trip astrocentric → Jacobi → astrocentric to rounding', () => {
    const s = trappist();
    const jac = new Float64Array(s.state.length);
    const back = new Float64Array(s.state.length);
    astrocentricToJacobi(s.stellarMassMsun, s.masses, s.state, jac);
    jacobiToAstrocentric(s.stellarMassMsun, s.masses, jac, back);
    for (let i = 0; i < s.state.length; i++) expect(Math.abs(back[i] - s.state[i])).toBeLessThan(1e-17);
    // The innermost planet's Jacobi and astrocentric coordinates coincide.
    for (let k = 0; k < 6; k++) expect(jac[k]).toBe(s.state[k]);
  });

  it('the Jacobi position of planet i is measured from the centre of mass of the inner bodies', () => {
    const s = kepler9();
    const jac = new Float64Array(12);
    astrocentricToJacobi(s.stellarMassMsun, s.masses, s.state, jac);
    const M = s.stellarMassMsun;
    const m0 = s.masses[0];
    for (let k = 0; k < 3; k++) {
      const com = (m0 * s.state[k]) / (M + m0); // star at the origin
      expect(jac[6 + k]).toBeCloseTo(s.state[6 + k] - com, 17);
    }
  });
});

describe('interaction acceleration', () => {
  it('plus the Kepler term equals the Jacobi transform of the direct N-body accelerations', () => {
    const s = trappist();
    const n = s.masses.length;
    const wh = makeWh(s, 0.06);
    const acc = new Float64Array(3 * n);
    wh.interaction(wh.jac, acc);
    // Direct sum over all bodies (star = index 0 at the origin).
    const m = [s.stellarMassMsun, ...s.masses];
    const P = [[0, 0, 0]];
    for (let i = 0; i < n; i++) P.push([s.state[6 * i], s.state[6 * i + 1], s.state[6 * i + 2]]);
    const A = P.map(() => [0, 0, 0]);
    for (let i = 0; i <= n; i++) {
      for (let j = 0; j <= n; j++) {
        if (i === j) continue;
        const d = [0, 1, 2].map((k) => P[j][k] - P[i][k]);
        const r = Math.hypot(d[0], d[1], d[2]);
        for (let k = 0; k < 3; k++) A[i][k] += (s.G * m[j] * d[k]) / r ** 3;
      }
    }
    for (let i = 0; i < n; i++) {
      let eta = 0;
      const S = [0, 0, 0];
      for (let j = 0; j <= i; j++) {
        eta += m[j];
        for (let k = 0; k < 3; k++) S[k] += m[j] * A[j][k];
      }
      const q = [wh.jac[6 * i], wh.jac[6 * i + 1], wh.jac[6 * i + 2]];
      const rq = Math.hypot(q[0], q[1], q[2]);
      const scale = Math.hypot(acc[3 * i], acc[3 * i + 1], acc[3 * i + 2]);
      for (let k = 0; k < 3; k++) {
        const direct = A[i + 1][k] - S[k] / eta;
        const ours = acc[3 * i + k] - (wh.mu[i] * q[k]) / rq ** 3;
        // The direct sum subtracts O(1) terms to get an O(ε) one: compare at its precision.
        expect(Math.abs(direct - ours) / scale, `planet ${i} axis ${k}`).toBeLessThan(1e-9);
      }
    }
  });

  it('hessianVector is the derivative of the acceleration (central differences)', () => {
    const s = kepler9();
    const wh = makeWh(s, 0.5);
    const n = 2;
    const delta = new Float64Array([1e-3, -2e-3, 5e-4, -7e-4, 1e-3, 2e-4]);
    const hv = new Float64Array(3 * n);
    const base = new Float64Array(3 * n);
    wh.interaction(wh.jac, base);
    wh.hessianVector(wh.jac, delta, 3, 0, hv);
    const eps = 1e-4;
    const plus = wh.jac.slice();
    const minus = wh.jac.slice();
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < 3; k++) {
        plus[6 * i + k] += eps * delta[3 * i + k];
        minus[6 * i + k] -= eps * delta[3 * i + k];
      }
    }
    const ap = new Float64Array(3 * n);
    const am = new Float64Array(3 * n);
    wh.interaction(plus, ap);
    wh.interaction(minus, am);
    for (let q = 0; q < 3 * n; q++) {
      const fd = (ap[q] - am[q]) / (2 * eps);
      expect(Math.abs(hv[q] - fd) / Math.max(...Array.from(hv, Math.abs))).toBeLessThan(1e-6);
    }
  });
});

describe('symplectic corrector', () => {
  it('its coefficients satisfy Σ 2 b_i a_i^{2k−1}/(2k−1)! = −B_{2k}/(2k)! (Bernoulli numbers)', () => {
    const bern = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730];
    const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
    for (let K = 1; K <= 6; K++) {
      const { a, b } = correctorCoefficients(K);
      for (let k = 1; k <= K; k++) {
        let sum = 0;
        for (let i = 0; i < K; i++) sum += (2 * b[i] * a[i] ** (2 * k - 1)) / fact(2 * k - 1);
        expect(sum / (-bern[k - 1] / fact(2 * k)) - 1, `K=${K} k=${k}`).toBeLessThan(1e-9);
      }
    }
    expect(() => correctorCoefficients(99)).toThrow(/stages/);
  });

  it('applying the corrector and its inverse returns the state', () => {
    const s = trappist();
    const wh = makeWh(s, 0.06, 4);
    const x = wh.jac.slice();
    wh.applyCorrector(x, false);
    let moved = 0;
    for (let i = 0; i < x.length; i++) moved = Math.max(moved, Math.abs(x[i] - wh.jac[i]));
    expect(moved).toBeGreaterThan(1e-10);
    wh.configure(s.G, s.stellarMassMsun, s.masses, 0.06, 4, 4);
    wh.applyCorrector(x, true);
    for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - wh.jac[i])).toBeLessThan(1e-15);
  });

  it('the first-order output corrector agrees with the 6-stage one to O(ε h⁴)', () => {
    const s = kepler9();
    const wh = makeWh(s, 0.96, 6);
    wh.configure(s.G, s.stellarMassMsun, s.masses, 0.96, 6, 6);
    const mapping = wh.jac.slice();
    const full = mapping.slice();
    wh.applyCorrector(full, true);
    const acc = new Float64Array(6);
    wh.interaction(mapping, acc);
    const first = new Float64Array(12);
    wh.toRealFirstOrder(mapping, acc, first, true);
    for (let i = 0; i < 2; i++) {
      const r = Math.hypot(mapping[6 * i], mapping[6 * i + 1], mapping[6 * i + 2]);
      for (let k = 0; k < 3; k++) {
        const shift = Math.abs(full[6 * i + k] - mapping[6 * i + k]) / r;
        const err = Math.abs(first[6 * i + k] - full[6 * i + k]) / r;
        expect(err).toBeLessThan(0.05 * Math.max(shift, 1e-7));
      }
    }
  });
});

describe('energy conservation of the map', () => {
  /** Largest relative energy error of the real (corrected) coordinates over `days`. */
  function energyError(s: AstrocentricState, h: number, stages: number, modified: boolean, days: number): number {
    const wh = makeWh(s, h, stages);
    wh.configure(s.G, s.stellarMassMsun, s.masses, h, stages, stages);
    wh.modifiedKick = modified;
    const E0 = wh.energy(wh.jac);
    wh.applyCorrector(wh.jac, false);
    wh.refreshAcceleration();
    const real = new Float64Array(wh.jac.length);
    let worst = 0;
    const steps = Math.round(days / h);
    for (let k = 1; k <= steps; k++) {
      wh.step();
      if (k % 7 === 0) {
        real.set(wh.jac);
        wh.applyCorrector(real, true);
        worst = Math.max(worst, Math.abs(wh.energy(real) / E0 - 1));
      }
    }
    return worst;
  }

  it('is bounded, and the corrector and modified kick shrink the error as the theory says', () => {
    const s = kepler9();
    const plain = energyError(s, 0.5, 0, false, 400);
    const corrected = energyError(s, 0.5, 4, false, 400);
    const full = energyError(s, 0.5, 4, true, 400);
    // Uncorrected WH: O(ε h²) energy error (measured 3e-7). The corrector removes the O(ε)
    // part (1e-10 left), the modified kick the accumulating O(ε² h²) part (2e-11 left, from
    // the corrector's own O(ε²) terms, which do not accumulate and scale as h³).
    expect(plain).toBeLessThan(1e-6);
    expect(corrected).toBeLessThan(plain / 300);
    expect(full).toBeLessThan(corrected / 3);
    expect(full).toBeLessThan(1e-10);
    const half = energyError(s, 0.25, 4, true, 400);
    expect(half).toBeLessThan(full / 4);
  });
});
