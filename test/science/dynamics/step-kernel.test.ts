/**
 * The unrolled step (step-kernel.ts) against the general loop step it specialises, and the
 * inlined Kepler drift against keplerDriftPacked: the same map, so the same numbers to rounding.
 */
import { describe, expect, it } from 'vitest';
import {
  elementsToState,
  G_GAUSS,
  simulateTransits,
  toAstrocentric,
  WisdomHolman,
  type AstrocentricState,
  type PlanetarySystem,
} from '../../../src/science/dynamics/index.js';
import { keplerDriftInlineSource, keplerDriftPacked } from '../../../src/science/dynamics/kepler-drift.js';
import { MAX_UNROLLED_PLANETS, stepKernelSource } from '../../../src/science/dynamics/step-kernel.js';
import { loadSystem } from './golden.js';

/** A compact system of n planets with unequal masses, eccentricities and inclinations. */
function system(n: number): AstrocentricState {
  const planets = Array.from({ length: n }, (_, i) => ({
    massMsun: 1e-5 * (1 + (i % 3)),
    periodDays: 3 * 1.45 ** i,
    eccentricity: 0.02 + 0.03 * (i % 4),
    inclinationDeg: 88 + 0.4 * i,
    longitudeOfNodeDeg: 5 * i,
    argumentOfPeriapsisDeg: 30 * i,
    meanAnomalyDeg: 47 * i,
  }));
  const s: PlanetarySystem = { coordinates: 'jacobi-elements', G: G_GAUSS, stellarMassMsun: 0.5, epochDays: 0, planets };
  return toAstrocentric(s);
}

function integrator(s: AstrocentricState, unrolled: boolean, modifiedKick: boolean): WisdomHolman {
  const wh = new WisdomHolman(s.masses.length);
  wh.configure(s.G, s.stellarMassMsun, s.masses, 3 / 20, 0);
  wh.unrolled = unrolled;
  wh.modifiedKick = modifiedKick;
  wh.setAstrocentric(s.state);
  wh.refreshAcceleration();
  return wh;
}

/** Largest |a_k − b_k| relative to the largest |b_k| of the block. */
function relDiff(a: Float64Array, b: Float64Array): number {
  let scale = 0;
  let d = 0;
  for (let k = 0; k < b.length; k++) {
    scale = Math.max(scale, Math.abs(b[k]));
    d = Math.max(d, Math.abs(a[k] - b[k]));
  }
  return scale === 0 ? d : d / scale;
}

describe('unrolled step', () => {
  for (let n = 1; n <= MAX_UNROLLED_PLANETS; n++) {
    it(`${n} planet(s): state, accelerations, transit test and previous state as the loop step's, both kicks`, () => {
      const s = system(n);
      for (const modifiedKick of [true, false]) {
        const fast = integrator(s, true, modifiedKick);
        const loop = integrator(s, false, modifiedKick);
        // 500 steps of P_inner/20: 25 inner orbits, through conjunctions.
        for (let k = 0; k < 500; k++) {
          fast.step();
          loop.step();
        }
        expect(fast.unrolled).toBe(true);
        expect(loop.unrolled).toBe(false);
        for (let i = 0; i < n; i++) {
          // Positions and velocities separately: they differ by orders of magnitude.
          for (const part of [0, 3]) {
            const f = fast.jac.slice(6 * i + part, 6 * i + part + 3);
            const l = loop.jac.slice(6 * i + part, 6 * i + part + 3);
            expect(relDiff(f, l)).toBeLessThan(1e-12);
          }
        }
        if (n > 1) {
          expect(relDiff(fast.acc, loop.acc)).toBeLessThan(1e-10);
          expect(relDiff(fast.kickAcc, loop.kickAcc)).toBeLessThan(1e-10);
          expect(relDiff(fast.accPrev, loop.accPrev)).toBeLessThan(1e-10);
        } else {
          // One planet: no interaction at all.
          expect(Array.from(fast.acc)).toEqual([0, 0, 0]);
        }
        expect(relDiff(fast.jacPrev, loop.jacPrev)).toBeLessThan(1e-12);
        expect(relDiff(fast.sky.subarray(n), loop.sky.subarray(n))).toBeLessThan(1e-12);
        // g = x·vx + y·vy passes through zero: compare against its scale r·v.
        for (let i = 0; i < n; i++) {
          const r = Math.hypot(loop.posX[i], loop.posY[i]);
          const v = Math.hypot(loop.jac[6 * i + 3], loop.jac[6 * i + 4]);
          expect(Math.abs(fast.sky[i] - loop.sky[i]) / (r * v)).toBeLessThan(1e-11);
        }
      }
    });
  }

  it('the output corrector (toRealFirstOrder) agrees with the loop form, on the state and on the previous one', () => {
    for (let n = 1; n <= MAX_UNROLLED_PLANETS; n++) {
      const s = system(n);
      const fast = integrator(s, true, true);
      const loop = integrator(s, false, true);
      for (let k = 0; k < 137; k++) {
        fast.step();
        loop.step();
      }
      for (const [src, acc] of [
        ['jac', 'acc'],
        ['jacPrev', 'accPrev'],
      ] as const) {
        const a = new Float64Array(6 * n);
        const b = new Float64Array(6 * n);
        fast.toRealFirstOrder(fast[src], fast[acc], a, false);
        loop.toRealFirstOrder(loop[src], loop[acc], b, false);
        for (let i = 0; i < n; i++) {
          for (const part of [0, 3]) {
            const d = relDiff(a.slice(6 * i + part, 6 * i + part + 3), b.slice(6 * i + part, 6 * i + part + 3));
            expect(d).toBeLessThan(1e-12);
          }
        }
        // The correction itself is there (q moves by (h²/12)·a', v by −(h²/12)(Da')v).
        if (n > 1) expect(relDiff(a, fast[src])).toBeGreaterThan(1e-12);
      }
    }
  });

  it('the modified kick really differs from the plain one (the kernels are not the same code)', () => {
    const s = system(3);
    const a = integrator(s, true, true);
    const b = integrator(s, true, false);
    for (let k = 0; k < 50; k++) {
      a.step();
      b.step();
    }
    // The modification is (h²/12)·(Da)·a: O(ε (n h)²/12) ≈ 1e-7 of a here, far above rounding.
    expect(relDiff(a.kickAcc, b.kickAcc)).toBeGreaterThan(1e-8);
    expect(stepKernelSource(3, true).finish).not.toBe(stepKernelSource(3, false).finish);
  });

  it('is the default up to MAX_UNROLLED_PLANETS planets, and the loop step beyond', () => {
    expect(new WisdomHolman(MAX_UNROLLED_PLANETS).unrolled).toBe(true);
    expect(new WisdomHolman(MAX_UNROLLED_PLANETS + 1).unrolled).toBe(false);
  });

  it('gives the same transits as the loop step (TRAPPIST-1-like, 2526 transits over 4 years)', () => {
    const { setup, system: sys } = loadSystem('trappist1_like');
    const fast = simulateTransits(sys, { stepDays: setup.stepDays, endDays: setup.endDays });
    const loop = simulateTransits(sys, { stepDays: setup.stepDays, endDays: setup.endDays, loopStep: true });
    expect(fast.count).toBe(2526);
    expect(loop.count).toBe(fast.count);
    let worst = 0;
    for (let k = 0; k < fast.count; k++) {
      expect(fast.planet[k]).toBe(loop.planet[k]);
      expect(fast.epoch[k]).toBe(loop.epoch[k]);
      worst = Math.max(worst, Math.abs(fast.timeDays[k] - loop.timeDays[k]));
    }
    // Rounding differences only: far below the microsecond.
    expect(worst * 86400).toBeLessThan(1e-6);
  });
});

describe('inlined Kepler drift', () => {
  type Drift = (jac: Float64Array, par: Float64Array) => void;
  const MU = 2.9591220828559115e-4 * 0.5;
  // μ, 1/μ and Δt come from par, as in the step kernel.
  const inline = new Function('drift', `'use strict'; return function (jac, par) {\n${keplerDriftInlineSource(0, 0, 'par[0]', 'par[1]', 'par[2]')}\n};`)(
    keplerDriftPacked,
  ) as Drift;

  it('matches keplerDriftPacked bit for bit, on its own path and on every fallback', () => {
    let cases = 0;
    for (const e of [0, 0.01, 0.1, 0.4, 0.8, 0.95]) {
      for (let M0 = 0; M0 < 360; M0 += 23.3) {
        // Small steps (the inlined path), long ones, zero, negative: the fallbacks.
        for (const dt of [1e-6, 0.01, 0.15, 0.45, -0.3, 0, 4, 30]) {
          const el = { periodDays: 3, eccentricity: e, inclinationDeg: 87, longitudeOfNodeDeg: 20, argumentOfPeriapsisDeg: 70, meanAnomalyDeg: M0 };
          const a = new Float64Array(6);
          elementsToState(MU, el, a);
          const b = a.slice();
          const parA = Float64Array.of(MU, 1 / MU, dt);
          const parB = parA.slice();
          inline(a, parA);
          keplerDriftPacked(b, 0, parB, 0);
          expect(Array.from(a)).toEqual(Array.from(b));
          cases++;
        }
      }
    }
    // An unbound state takes the universal-variable fallback.
    const h = new Float64Array([0.05, 0, 0, 0, 0.2, 0.01]);
    const h2 = h.slice();
    inline(h, Float64Array.of(MU, 1 / MU, 0.1));
    keplerDriftPacked(h2, 0, Float64Array.of(MU, 1 / MU, 0.1), 0);
    expect(Array.from(h)).toEqual(Array.from(h2));
    expect(cases).toBeGreaterThan(700);
  });
});
