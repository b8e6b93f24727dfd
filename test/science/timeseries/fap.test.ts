/** False-alarm probabilities against astropy's Baluev/Davies/naive values, and the bootstrap. */
import { describe, expect, it } from 'vitest';
import {
  autoFrequencyGrid,
  bootstrapFap,
  bootstrapLevel,
  bootstrapMaxima,
  falseAlarmLevel,
  falseAlarmProbability,
  fapBasis,
  gridMaxFrequency,
  lombScargle,
  logGamma,
  TimeseriesError,
  toStandardPower,
} from '../../../src/science/timeseries/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { ds1, ds3, readJson } from './fixtures.js';

interface FapSet {
  z: number[];
  fap: number[];
  levels_for?: number[];
  level?: number[];
}
const FAP = readJson<{ ds1: Record<string, FapSet> & { fmax: number; maximum_frequency: number }; ds3: { fmax: number; baluev: FapSet } }>('fap.json');

describe('analytic FAP against astropy', () => {
  const d = ds1();
  // astropy snaps maximum_frequency onto its automatic grid; ours does the same.
  const fmax = gridMaxFrequency(autoFrequencyGrid(d.t, { minFrequency: 0.005, maxFrequency: FAP.ds1.maximum_frequency }));
  it('uses the same fmax as astropy', () => expect(fmax).toBeCloseTo(FAP.ds1.fmax, 12));
  for (const method of ['baluev', 'davies', 'naive'] as const) {
    it(`ds1 ${method}: probabilities and levels within 1e-9 relative (requirement: 10 %)`, () => {
      const ref = FAP.ds1[method];
      ref.z.forEach((z, i) => expect(Math.abs(falseAlarmProbability(z, d, fmax, method) / ref.fap[i] - 1)).toBeLessThan(1e-9));
      ref.levels_for!.forEach((p, i) => expect(Math.abs(falseAlarmLevel(p, d, fmax, method) / ref.level![i] - 1)).toBeLessThan(1e-9));
    });
  }
  it('ds1 unweighted baluev', () => {
    const ref = FAP.ds1.unweighted_baluev;
    ref.z.forEach((z, i) => expect(Math.abs(falseAlarmProbability(z, { t: d.t }, fmax) / ref.fap[i] - 1)).toBeLessThan(1e-9));
  });
  it('ds3 baluev with the default grid', () => {
    const d3 = ds3();
    const f3 = gridMaxFrequency(autoFrequencyGrid(d3.t));
    expect(f3).toBeCloseTo(FAP.ds3.fmax, 12);
    FAP.ds3.baluev.z.forEach((z, i) => expect(Math.abs(falseAlarmProbability(z, d3, f3) / FAP.ds3.baluev.fap[i] - 1)).toBeLessThan(1e-9));
    FAP.ds3.baluev.levels_for!.forEach((p, i) => expect(Math.abs(falseAlarmLevel(p, d3, f3) / FAP.ds3.baluev.level![i] - 1)).toBeLessThan(1e-9));
  });
  it('edge powers and conversions', () => {
    const basis = fapBasis(d);
    expect(falseAlarmProbability(0, basis, 1)).toBe(1);
    expect(falseAlarmProbability(1, basis, 1)).toBe(0);
    expect(toStandardPower(0.25, 'model')).toBeCloseTo(0.2, 15);
    expect(toStandardPower(-Math.log(0.8), 'log')).toBeCloseTo(0.2, 15);
    expect(toStandardPower(5, 'psd', 50)).toBeCloseTo(0.2, 15);
    expect(() => toStandardPower(5, 'psd')).toThrow(TimeseriesError);
    expect(() => falseAlarmProbability(0.2, { t: Float64Array.of(1, 2, 3) }, 1)).toThrow(/at least 4/);
    expect(() => falseAlarmProbability(0.2, d, 1, 'bootstrap' as never)).toThrow(TimeseriesError);
  });
  it('logGamma matches known values', () => {
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 13);
    expect(logGamma(10)).toBeCloseTo(Math.log(362880), 12);
    expect(logGamma(100.5)).toBeCloseTo(361.4355404677776, 9); // Python math.lgamma(100.5)
  });
});

describe('bootstrap', () => {
  // Pure Gaussian noise: the bootstrap and Baluev describe the same null distribution.
  const rng = new Rng(2024);
  const n = 80;
  const t = Float64Array.from({ length: n }, () => rng.uniform() * 50).sort();
  const y = Float64Array.from({ length: n }, () => rng.normal());
  const dy = new Float64Array(n).fill(1);
  const grid = autoFrequencyGrid(t, { maxFrequency: 2 });
  const task = { t, y, dy, grid, options: { method: 'exact' as const }, seed: 11 };

  it('is reproducible for a seed, differs between seeds, and replicates are independent of the split', () => {
    const a = bootstrapMaxima(task, 40);
    const b = bootstrapMaxima(task, 40);
    expect([...a]).toEqual([...b]);
    const c = bootstrapMaxima({ ...task, seed: 12 }, 40);
    expect([...c]).not.toEqual([...a]);
    expect(bootstrapMaxima(task, 10)[9]).toBe(a[9]);
  });

  it('Baluev matches a Monte Carlo of fresh noise: 5 % level exceeded by 2–9 % of 400 null maxima', () => {
    const level = falseAlarmLevel(0.05, { t, dy }, gridMaxFrequency(grid));
    const r = new Rng(77);
    const maxima = new Float64Array(400);
    for (let i = 0; i < maxima.length; i++) {
      const yy = Float64Array.from({ length: n }, () => r.normal());
      maxima[i] = Math.max(...lombScargle({ t, y: yy }, grid, { method: 'exact' }));
    }
    const fap = bootstrapFap(level, maxima);
    expect(fap).toBeGreaterThan(0.02);
    expect(fap).toBeLessThan(0.09);
  });

  it('agrees with Baluev on noise: the bootstrap FAP at the Baluev 5 % level is 0.5–12 %', () => {
    const maxima = bootstrapMaxima(task, 400);
    const level = falseAlarmLevel(0.05, { t, dy }, gridMaxFrequency(grid));
    const fap = bootstrapFap(level, maxima);
    expect(fap).toBeGreaterThan(0.005);
    expect(fap).toBeLessThan(0.12);
    expect(bootstrapLevel(0.05, maxima) / level).toBeGreaterThan(0.85);
    expect(bootstrapLevel(0.05, maxima) / level).toBeLessThan(1.15);
    const p = lombScargle({ t, y, dy }, grid);
    expect(bootstrapFap(Math.max(...p), maxima)).toBeGreaterThan(0.01);
  });

  it('rejects a bad replicate count', () => {
    expect(() => bootstrapMaxima(task, 0)).toThrow(TimeseriesError);
    expect(() => bootstrapFap(0.1, [])).toThrow(TimeseriesError);
  });
});
