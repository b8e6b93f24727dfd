/**
 * Elements ↔ state and Kepler's equation: against TTVFast's own element→state conversion
 * (ic_astrocentric.txt of the golden-ttv cases) and analytic identities.
 */
import { describe, expect, it } from 'vitest';
import {
  DynamicsError,
  elementsToState,
  meanAnomalyFromConjunction,
  semiMajorAxisAu,
  solveKeplerEquation,
  stateToElements,
  toAstrocentric,
} from '../../../src/science/dynamics/index.js';
import { loadInitialState, loadSystem } from './golden.js';

describe('solveKeplerEquation', () => {
  it('solves E − e sin E = M to rounding for e up to 0.99, on the branch of M', () => {
    for (const e of [0, 1e-4, 0.05, 0.3, 0.7, 0.9, 0.99]) {
      for (let k = -40; k <= 40; k++) {
        const M = k * 0.3141 + 0.001;
        const E = solveKeplerEquation(M, e);
        expect(Math.abs(E - e * Math.sin(E) - M)).toBeLessThan(4e-15 * Math.max(1, Math.abs(M)));
      }
    }
    // Symmetric points: M = 0 and M = π are fixed points for any e.
    expect(solveKeplerEquation(Math.PI, 0.8)).toBeCloseTo(Math.PI, 14);
    expect(solveKeplerEquation(0, 0.8)).toBe(0);
  });

  it('rejects e outside [0, 1)', () => {
    expect(() => solveKeplerEquation(1, 1)).toThrow(DynamicsError);
    expect(() => solveKeplerEquation(1, -0.1)).toThrow(/eccentricity/);
  });
});

describe('elementsToState', () => {
  for (const name of ['kepler9_like', 'trappist1_like']) {
    it(`reproduces TTVFast's astrocentric state for ${name} (Jacobi elements) to 1e-14`, () => {
      const { system } = loadSystem(name);
      const ours = toAstrocentric(system);
      const ref = loadInitialState(name);
      expect(ours.masses.length).toBe(ref.masses.length);
      ref.state.forEach((row, i) => {
        const r = Math.hypot(row[0], row[1], row[2]);
        const v = Math.hypot(row[3], row[4], row[5]);
        for (let k = 0; k < 6; k++) {
          const scale = k < 3 ? r : v;
          expect(Math.abs(ours.state[6 * i + k] - row[k]) / scale, `planet ${i} component ${k}`).toBeLessThan(1e-14);
        }
      });
    });
  }

  it('KOI-142 in its three conventions gives one state (to the 1e-15 of the printed files)', () => {
    const a = toAstrocentric(loadSystem('koi142', 'setup_file').system);
    const b = toAstrocentric(loadSystem('koi142', 'setup_file_astro_elements').system);
    const c = toAstrocentric(loadSystem('koi142', 'setup_file_astro_cartesian').system);
    for (let i = 0; i < 2; i++) {
      const r = Math.hypot(a.state[6 * i], a.state[6 * i + 1], a.state[6 * i + 2]);
      const v = Math.hypot(a.state[6 * i + 3], a.state[6 * i + 4], a.state[6 * i + 5]);
      for (let k = 0; k < 6; k++) {
        const s = k < 3 ? r : v;
        expect(Math.abs(a.state[6 * i + k] - b.state[6 * i + k]) / s).toBeLessThan(1e-13);
        expect(Math.abs(a.state[6 * i + k] - c.state[6 * i + k]) / s).toBeLessThan(1e-13);
      }
    }
  });

  it('satisfies the two-body invariants: vis-viva, angular momentum, orientation', () => {
    const mu = 2.96e-4;
    const el = { periodDays: 12.3, eccentricity: 0.4, inclinationDeg: 87, longitudeOfNodeDeg: 30, argumentOfPeriapsisDeg: 110, meanAnomalyDeg: 200 };
    const s = new Float64Array(6);
    elementsToState(mu, el, s);
    const a = semiMajorAxisAu(mu, el.periodDays);
    const r = Math.hypot(s[0], s[1], s[2]);
    const v2 = s[3] ** 2 + s[4] ** 2 + s[5] ** 2;
    expect(v2).toBeCloseTo(mu * (2 / r - 1 / a), 18);
    // h = r × v has |h| = sqrt(mu a (1 − e²)) and points along (sin i sin Ω, −sin i cos Ω, cos i).
    const h = [s[1] * s[5] - s[2] * s[4], s[2] * s[3] - s[0] * s[5], s[0] * s[4] - s[1] * s[3]];
    const hn = Math.hypot(...h);
    expect(hn / Math.sqrt(mu * a * (1 - 0.16)) - 1).toBeLessThan(1e-14);
    const d = Math.PI / 180;
    expect(h[0] / hn).toBeCloseTo(Math.sin(87 * d) * Math.sin(30 * d), 14);
    expect(h[1] / hn).toBeCloseTo(-Math.sin(87 * d) * Math.cos(30 * d), 14);
    expect(h[2] / hn).toBeCloseTo(Math.cos(87 * d), 14);
  });

  it('round-trips through stateToElements', () => {
    const mu = 2.9591220828559115e-4 * 1.0001;
    const s = new Float64Array(6);
    for (const el of [
      { periodDays: 19.2, eccentricity: 0.06, inclinationDeg: 88.98, longitudeOfNodeDeg: 5, argumentOfPeriapsisDeg: 15, meanAnomalyDeg: 330 },
      { periodDays: 400, eccentricity: 0.8, inclinationDeg: 30, longitudeOfNodeDeg: 250, argumentOfPeriapsisDeg: 300, meanAnomalyDeg: 10 },
      { periodDays: 1.5, eccentricity: 0.001, inclinationDeg: 120, longitudeOfNodeDeg: 100, argumentOfPeriapsisDeg: 45, meanAnomalyDeg: 180 },
    ]) {
      elementsToState(mu, el, s);
      const back = stateToElements(mu, s);
      expect(back.periodDays / el.periodDays - 1).toBeLessThan(1e-13);
      expect(back.eccentricity).toBeCloseTo(el.eccentricity, 13);
      expect(back.inclinationDeg).toBeCloseTo(el.inclinationDeg, 11);
      expect(back.longitudeOfNodeDeg).toBeCloseTo(el.longitudeOfNodeDeg, 10);
      expect(back.argumentOfPeriapsisDeg).toBeCloseTo(el.argumentOfPeriapsisDeg, 8);
      expect(back.meanAnomalyDeg).toBeCloseTo(el.meanAnomalyDeg, 8);
    }
  });

  it('rejects unbound or malformed elements with DynamicsError', () => {
    const s = new Float64Array(6);
    const el = { periodDays: 10, eccentricity: 0.1, inclinationDeg: 90, longitudeOfNodeDeg: 0, argumentOfPeriapsisDeg: 0, meanAnomalyDeg: 0 };
    expect(() => elementsToState(1e-4, { ...el, eccentricity: 1.2 }, s)).toThrow(DynamicsError);
    expect(() => elementsToState(1e-4, { ...el, periodDays: -1 }, s)).toThrow(/period/);
    expect(() => elementsToState(1e-4, { ...el, meanAnomalyDeg: NaN }, s)).toThrow(/mean anomaly/);
  });
});

describe('meanAnomalyFromConjunction', () => {
  it('puts the planet at ω + f = 90° (in front of the star, z maximal) at the conjunction time', () => {
    const mu = 3e-4;
    for (const [e, w] of [
      [0, 0],
      [0.3, 40],
      [0.6, 250],
    ]) {
      const el = { periodDays: 10, eccentricity: e, inclinationDeg: 85, longitudeOfNodeDeg: 20, argumentOfPeriapsisDeg: w };
      const M = meanAnomalyFromConjunction(10, e, w, 3.25, 0);
      const s = new Float64Array(6);
      // Advance to the conjunction: M + n·3.25 d.
      elementsToState(mu, { ...el, meanAnomalyDeg: M + (360 / 10) * 3.25 }, s);
      const r = Math.hypot(s[0], s[1], s[2]);
      expect(s[2] / (r * Math.sin((85 * Math.PI) / 180))).toBeCloseTo(1, 12);
    }
  });
});
