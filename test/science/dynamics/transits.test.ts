/**
 * Transit times of the forward model against IAS15 integrations (the truth of golden-ttv),
 * TTVFast's own outputs (kepler9_like, KOI-142), and two-body analytic results.
 */
import { describe, expect, it } from 'vitest';
import {
  DynamicsError,
  G_GAUSS,
  simulateTransits,
  suggestedStepDays,
  toAstrocentric,
  TransitSimulator,
  type PlanetarySystem,
  type TransitTimes,
} from '../../../src/science/dynamics/index.js';
import { agreement, loadSystem, loadTable } from './golden.js';

function timesOf(t: TransitTimes, planet: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < t.count; i++) if (t.planet[i] === planet) out.push(t.timeDays[i]);
  return out;
}

describe('two-body limit', () => {
  const base = { massMsun: 3e-5, periodDays: 7.7, eccentricity: 0.3, inclinationDeg: 88, longitudeOfNodeDeg: 25, argumentOfPeriapsisDeg: 140 };

  it('transit times are exactly periodic, with constant rsky and vsky', () => {
    const system: PlanetarySystem = { coordinates: 'astrocentric-elements', G: G_GAUSS, stellarMassMsun: 0.8, epochDays: 0, planets: [{ ...base, meanAnomalyDeg: 10 }] };
    const t = simulateTransits(system, { stepDays: 7.7 / 20, endDays: 400 });
    // Astrocentric elements: the period is the two-body period, P = 7.7 d.
    expect(t.count).toBe(Math.floor((400 - t.timeDays[0]) / 7.7) + 1);
    for (let k = 0; k < t.count; k++) {
      expect(t.epoch[k]).toBe(k);
      expect(Math.abs(t.timeDays[k] - (t.timeDays[0] + 7.7 * k))).toBeLessThan(2e-10);
      expect(Math.abs(t.rskyAu[k] / t.rskyAu[0] - 1)).toBeLessThan(1e-10);
      expect(Math.abs(t.vskyAu[k] / t.vskyAu[0] - 1)).toBeLessThan(1e-10);
    }
  });

  it('an edge-on orbit transits at its conjunction time, rsky = 0 (typed API with conjunctions)', () => {
    const system: PlanetarySystem = {
      coordinates: 'astrocentric-elements',
      G: G_GAUSS,
      stellarMassMsun: 0.8,
      epochDays: 100,
      planets: [{ ...base, inclinationDeg: 90, conjunctionDays: 103.3 }],
    };
    const t = simulateTransits(system, { stepDays: 0.3, endDays: 130 });
    expect(t.count).toBe(4);
    for (let k = 0; k < 4; k++) expect(Math.abs(t.timeDays[k] - (103.3 + 7.7 * k))).toBeLessThan(1e-9);
    expect(t.rskyAu[0]).toBeLessThan(1e-12);
    // Sky-plane speed at conjunction of an edge-on orbit: the full transverse speed
    // n a (1 + e cos f)/√(1 − e²) with f = 90° − ω.
    const mu = G_GAUSS * (0.8 + 3e-5);
    const n = (2 * Math.PI) / 7.7;
    const a = Math.cbrt(mu / (n * n));
    const f = ((90 - 140) * Math.PI) / 180;
    expect(t.vskyAu[0] / ((n * a * (1 + 0.3 * Math.cos(f))) / Math.sqrt(1 - 0.09)) - 1).toBeLessThan(1e-10);
  });

  it('is unaffected by a massless companion (its own transits are found too)', () => {
    const system: PlanetarySystem = {
      coordinates: 'astrocentric-elements',
      G: G_GAUSS,
      stellarMassMsun: 1,
      epochDays: 0,
      planets: [
        { ...base, massMsun: 1e-4, meanAnomalyDeg: 0 },
        { ...base, massMsun: 0, periodDays: 30, eccentricity: 0.1, meanAnomalyDeg: 90 },
      ],
    };
    const t = simulateTransits(system, { stepDays: 0.3, endDays: 300 });
    const inner = timesOf(t, 0);
    for (let k = 1; k < inner.length; k++) expect(Math.abs(inner[k] - inner[k - 1] - 7.7)).toBeLessThan(1e-9);
    expect(timesOf(t, 1).length).toBeGreaterThanOrEqual(9);
  });
});

describe('against IAS15 (golden-ttv truth): every (planet, epoch), < 1 s over 4 years', () => {
  for (const name of ['kepler9_like', 'trappist1_like']) {
    const { setup, system } = loadSystem(name);
    const truth = loadTable(`${name}/ias15_transits.csv`);
    const state = toAstrocentric(system);
    const h20 = suggestedStepDays(state);

    for (const [label, step] of [
      ['P/20 step', h20],
      [`TTVFast's step ${setup.stepDays} d`, setup.stepDays],
    ] as const) {
      it(`${name} at the ${label}`, () => {
        const ours = simulateTransits(state, { stepDays: step, endDays: setup.endDays });
        const a = agreement(ours, truth);
        expect(a.missing).toBe(0);
        expect(a.extra).toBe(0);
        expect(ours.count).toBe(truth.count);
        expect(a.maxTimeS).toBeLessThan(1);
        expect(a.maxRskyRel).toBeLessThan(1e-6);
        expect(a.maxVskyRel).toBeLessThan(1e-6);
        // In time order, epochs consecutive per planet.
        for (let i = 1; i < ours.count; i++) expect(ours.timeDays[i]).toBeGreaterThanOrEqual(ours.timeDays[i - 1]);
      });
    }
  }

  it('the step is ~1/20 of the innermost period', () => {
    expect(suggestedStepDays(toAstrocentric(loadSystem('kepler9_like').system))).toBeCloseTo(19.21 / 20, 2);
    expect(suggestedStepDays(toAstrocentric(loadSystem('trappist1_like').system))).toBeCloseTo(1.5108 / 20, 3);
  });

  it('kepler9_like: TTVFast (2.2 s off the truth at dt = 0.5 d) and we differ by no more than its own error', () => {
    const { setup, system } = loadSystem('kepler9_like');
    const ours = simulateTransits(system, { stepDays: setup.stepDays, endDays: setup.endDays });
    const ttvfast = loadTable('kepler9_like/ttvfast_transits.csv');
    const theirs = agreement(ttvfast, loadTable('kepler9_like/ias15_transits.csv'));
    const mutual = agreement(ours, ttvfast);
    expect(mutual.missing + mutual.extra).toBe(0);
    expect(theirs.maxTimeS).toBeGreaterThan(2);
    expect(mutual.maxTimeS).toBeLessThan(theirs.maxTimeS + 0.05);
  });
});

describe("KOI-142 (TTVFast's example, Times.expected)", () => {
  const expected = loadTable('koi142/Times.expected');
  const runs = ['setup_file', 'setup_file_astro_elements', 'setup_file_astro_cartesian'].map((f) => {
    const { setup, system } = loadSystem('koi142', f);
    return { setup, t: simulateTransits(system, { stepDays: setup.stepDays, endDays: setup.endDays }) };
  });

  it('the three input conventions give the same transits', () => {
    const [a, b, c] = runs.map((r) => r.t);
    expect(b.count).toBe(a.count);
    expect(c.count).toBe(a.count);
    for (let i = 0; i < a.count; i++) {
      expect(Math.abs(b.timeDays[i] - a.timeDays[i]) * 86400).toBeLessThan(1e-3);
      expect(Math.abs(c.timeDays[i] - a.timeDays[i]) * 86400).toBeLessThan(1e-3);
    }
  });

  it('reproduces all 375 rows: c within 3 s and b within 30 s over 7.5 yr, both within 1 s in the first 200 d', () => {
    const ours = runs[0].t;
    const a = agreement(ours, expected);
    expect(a.missing).toBe(0);
    expect(a.extra).toBe(0);
    expect(ours.count).toBe(375);
    // Measured: b 23.0 s, c 2.05 s; rsky 2.6e-4, vsky 1e-5 relative (b's rsky is only 1.5e-3 AU).
    expect(a.perPlanetS[0]).toBeLessThan(30);
    expect(a.perPlanetS[1]).toBeLessThan(3);
    expect(a.maxRskyRel).toBeLessThan(5e-4);
    expect(a.maxVskyRel).toBeLessThan(3e-5);
    const early: TransitTimes = { ...ours, count: ours.timeDays.findIndex((t) => t > -845) };
    expect(agreement(early, expected).maxTimeS).toBeLessThan(1);
  });

  it('the difference is TTVFast’s: our run at its step is within 3 s of our converged run (dt = 0.1 d)', () => {
    const { setup, system } = loadSystem('koi142', 'setup_file');
    const fine = simulateTransits(system, { stepDays: 0.1, endDays: setup.endDays });
    const coarse = agreement(runs[0].t, fine);
    expect(coarse.missing + coarse.extra).toBe(0);
    expect(coarse.maxTimeS).toBeLessThan(3);
    const vsTtvfast = agreement(fine, expected);
    expect(vsTtvfast.maxTimeS).toBeGreaterThan(10);
  });
});

describe('TransitSimulator', () => {
  it('reuses its buffers: repeated runs give identical results in the same memory', () => {
    const { setup, system } = loadSystem('kepler9_like');
    const state = toAstrocentric(system);
    const sim = new TransitSimulator(2);
    const a = sim.run(state, { stepDays: 0.96, endDays: setup.endDays });
    const first = Array.from(a.timeDays);
    const buffer = a.timeDays.buffer;
    const b = sim.run(state, { stepDays: 0.96, endDays: setup.endDays });
    expect(b.timeDays.buffer).toBe(buffer);
    expect(Array.from(b.timeDays)).toEqual(first);
  });

  it('rejects impossible requests with DynamicsError', () => {
    const state = toAstrocentric(loadSystem('kepler9_like').system);
    const sim = new TransitSimulator(2);
    expect(() => sim.run(state, { stepDays: 0, endDays: 10 })).toThrow(DynamicsError);
    expect(() => sim.run(state, { stepDays: 0.5, endDays: -10 })).toThrow(/end time/);
    expect(() => sim.run(state, { stepDays: 1e-9, endDays: 1e6 })).toThrow(/exceed the limit/);
    expect(() => new TransitSimulator(3).run(state, { stepDays: 0.5, endDays: 10 })).toThrow(/3 planets/);
    expect(() => simulateTransits({ ...loadSystem('kepler9_like').system, planets: [] }, { stepDays: 1, endDays: 2 })).toThrow(/no planets/);
  });
});
