/**
 * The Kepler drift against the analytic two-body motion: on an ellipse the mean anomaly
 * advances by n·Δt; on a hyperbola the hyperbolic anomaly obeys e sinh H − H = n·Δt.
 */
import { describe, expect, it } from 'vitest';
import { elementsToState, keplerDrift } from '../../../src/science/dynamics/index.js';

const MU = 2.9591220828559115e-4 * 1.00013;

function relErr(a: Float64Array, b: Float64Array): number {
  const r = Math.hypot(b[0], b[1], b[2]);
  const v = Math.hypot(b[3], b[4], b[5]);
  let e = 0;
  for (let k = 0; k < 6; k++) e = Math.max(e, Math.abs(a[k] - b[k]) / (k < 3 ? r : v));
  return e;
}

describe('keplerDrift on ellipses', () => {
  it('matches M → M + n·Δt for e ≤ 0.95, short and long, forward and backward steps', () => {
    const P = 19.21;
    let worst = 0;
    for (const e of [0, 0.01, 0.06, 0.3, 0.7, 0.95]) {
      for (let M0 = 0; M0 < 360; M0 += 13.7) {
        for (const dt of [1e-7, 0.05, 0.48, 0.96, -0.7, 3.3, 9.6, -9.7, 41.5]) {
          const el = { periodDays: P, eccentricity: e, inclinationDeg: 88.5, longitudeOfNodeDeg: 12, argumentOfPeriapsisDeg: 77, meanAnomalyDeg: M0 };
          const s = new Float64Array(6);
          elementsToState(MU, el, s);
          keplerDrift(s, 0, MU, dt);
          const ref = new Float64Array(6);
          elementsToState(MU, { ...el, meanAnomalyDeg: M0 + (360 * dt) / P }, ref);
          worst = Math.max(worst, relErr(s, ref));
        }
      }
    }
    // The reference itself carries the rounding of M·(360/P) and of Kepler's equation.
    expect(worst).toBeLessThan(5e-13);
  });

  it('acts in place at an offset and leaves the neighbours alone', () => {
    const buf = new Float64Array(18).fill(7);
    elementsToState(MU, { periodDays: 5, eccentricity: 0.2, inclinationDeg: 80, longitudeOfNodeDeg: 0, argumentOfPeriapsisDeg: 0, meanAnomalyDeg: 0 }, buf, 6);
    const before = buf.slice(6, 12);
    keplerDrift(buf, 6, MU, 1.25);
    expect(Array.from(buf.subarray(0, 6))).toEqual([7, 7, 7, 7, 7, 7]);
    expect(Array.from(buf.subarray(12))).toEqual([7, 7, 7, 7, 7, 7]);
    // A quarter period later the state differs, and drifting back restores it.
    expect(relErr(buf.slice(6, 12), before)).toBeGreaterThan(0.1);
    keplerDrift(buf, 6, MU, -1.25);
    expect(relErr(buf.slice(6, 12), before)).toBeLessThan(1e-14);
  });

  it('conserves energy and angular momentum over 10⁵ steps to rounding-level drift', () => {
    const s = new Float64Array(6);
    elementsToState(MU, { periodDays: 1.51, eccentricity: 0.05, inclinationDeg: 89.7, longitudeOfNodeDeg: 0, argumentOfPeriapsisDeg: 30, meanAnomalyDeg: 3 }, s);
    const energy = (): number => 0.5 * (s[3] ** 2 + s[4] ** 2 + s[5] ** 2) - MU / Math.hypot(s[0], s[1], s[2]);
    const hz = (): number => s[0] * s[4] - s[1] * s[3];
    const E0 = energy();
    const H0 = hz();
    for (let i = 0; i < 100_000; i++) keplerDrift(s, 0, MU, 0.0755);
    expect(Math.abs(energy() / E0 - 1)).toBeLessThan(1e-11);
    expect(Math.abs(hz() / H0 - 1)).toBeLessThan(1e-11);
  });
});

describe('keplerDrift on unbound and near-parabolic orbits (universal variables)', () => {
  it('follows the hyperbolic Kepler equation e sinh H − H = n (t − τ)', () => {
    const mu = 1e-3;
    const aH = 0.5; // |a| of the hyperbola
    const e = 1.8;
    const n = Math.sqrt(mu / aH ** 3);
    // Periapsis state on the x axis.
    const rp = aH * (e - 1);
    const vp = Math.sqrt(mu * (2 / rp + 1 / aH));
    for (const dt of [0.5, 5, 40, -12]) {
      const s = new Float64Array([rp, 0, 0, 0, vp, 0]);
      keplerDrift(s, 0, mu, dt);
      const r = Math.hypot(s[0], s[1]);
      // r = a(e cosh H − 1) and sign(H) = sign(r·v).
      const H = Math.sign(s[0] * s[3] + s[1] * s[4]) * Math.acosh((r / aH + 1) / e);
      expect(e * Math.sinh(H) - H).toBeCloseTo(n * dt, 10);
      const energy = 0.5 * (s[3] ** 2 + s[4] ** 2) - mu / r;
      expect(energy / (mu / (2 * aH)) - 1).toBeLessThan(1e-12);
    }
  });

  it('is continuous across the elliptic/universal switch (e ≈ 0.999)', () => {
    // Two states on either side of the switch must both return to themselves after a
    // forward-backward drift and conserve the orbit's energy.
    for (const e of [0.9985, 0.9995]) {
      const s = new Float64Array(6);
      elementsToState(MU, { periodDays: 300, eccentricity: e, inclinationDeg: 60, longitudeOfNodeDeg: 10, argumentOfPeriapsisDeg: 20, meanAnomalyDeg: 0.01 }, s);
      const s0 = s.slice();
      const energy = (): number => 0.5 * (s[3] ** 2 + s[4] ** 2 + s[5] ** 2) - MU / Math.hypot(s[0], s[1], s[2]);
      const E0 = energy();
      keplerDrift(s, 0, MU, 3);
      expect(Math.abs(energy() / E0 - 1)).toBeLessThan(1e-9);
      keplerDrift(s, 0, MU, -3);
      expect(relErr(s, s0)).toBeLessThan(1e-9);
    }
  });
});
