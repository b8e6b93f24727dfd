/** Peaks, phase folding and the best-fit periodic model. */
import { describe, expect, it } from 'vitest';
import {
  evaluateModel,
  fitPeriodicModel,
  lombScargle,
  modelAmplitude,
  phaseFold,
  phaseOrder,
  TimeseriesError,
  topPeaks,
} from '../../../src/science/timeseries/index.js';
import { argmax, ds1, DS1_GRID, readJson } from './fixtures.js';

describe('topPeaks', () => {
  it('finds astropy’s best peak first on ds1 and orders the rest by power', () => {
    const p = lombScargle(ds1(), DS1_GRID);
    const peaks = topPeaks(p, DS1_GRID, { count: 5 });
    expect(peaks[0].index).toBe(readJson<{ ds1: Record<string, number> }>('peaks.json').ds1.exact_standard);
    expect(peaks[0].periodDays).toBeCloseTo(1 / (DS1_GRID.minFrequency + peaks[0].index * DS1_GRID.step), 12);
    for (let i = 1; i < peaks.length; i++) expect(peaks[i].power).toBeLessThanOrEqual(peaks[i - 1].power);
    // The injected period of ds1 is 3.7 d.
    expect(Math.abs(peaks[0].periodDays / 3.7 - 1)).toBeLessThan(0.01);
  });

  it('respects the minimum separation and refines with a parabola', () => {
    const power = Float64Array.from({ length: 101 }, (_, k) => Math.exp(-0.5 * ((k - 40.3) / 3) ** 2) + 0.5 * Math.exp(-0.5 * ((k - 48) / 2) ** 2) + 0.3 * Math.exp(-0.5 * ((k - 90) / 2) ** 2));
    const grid = { minFrequency: 1, step: 0.01, count: 101 };
    const all = topPeaks(power, grid, { count: 10 });
    expect(all.map((p) => p.index)).toEqual([40, 48, 90]);
    const sep = topPeaks(power, grid, { count: 10, minSeparation: 0.1 });
    expect(sep.map((p) => p.index)).toEqual([40, 90]);
    const refined = topPeaks(power, grid, { count: 1, refine: true })[0];
    expect(Math.abs(refined.frequency - 1.403)).toBeLessThan(0.002);
    expect(refined.power).toBeGreaterThanOrEqual(power[40]);
  });

  it('works on explicit frequencies and counts edge maxima', () => {
    const f = Float64Array.of(0.5, 0.7, 0.9, 1.1);
    const peaks = topPeaks(Float64Array.of(3, 2, 1, 2), f, { count: 5 });
    expect(peaks.map((p) => p.frequency)).toEqual([0.5, 1.1]);
    expect(() => topPeaks(Float64Array.of(1, 2), f)).toThrow(TimeseriesError);
  });
});

describe('phaseFold', () => {
  it('folds into [0, 1) relative to the epoch', () => {
    const ph = phaseFold(Float64Array.of(10, 10.5, 11.25, 9.75, 12), 1, 10);
    expect([...ph]).toEqual([0, 0.5, 0.25, 0.75, 0]);
    expect([...phaseOrder(ph)]).toEqual([0, 4, 2, 1, 3]);
    for (const v of phaseFold([2459000.123456, -3.2, 1e-17], 0.37)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    expect(() => phaseFold([1], 0)).toThrow(TimeseriesError);
  });
});

describe('fitPeriodicModel', () => {
  it('recovers the coefficients of a noiseless two-harmonic signal', () => {
    const f = 0.37;
    const t = Float64Array.from({ length: 40 }, (_, i) => 100 + i * 1.37 + 0.1 * Math.sin(i * 7));
    const truth = (x: number): number => 12 + 0.4 * Math.cos(2 * Math.PI * f * (x - 100)) - 0.2 * Math.sin(2 * Math.PI * f * (x - 100)) + 0.1 * Math.sin(4 * Math.PI * f * (x - 100));
    const y = t.map(truth);
    const m = fitPeriodicModel({ t, y }, f, { nterms: 2 });
    expect(m.tRef).toBe(100);
    expect(m.offset).toBeCloseTo(12, 10);
    expect(m.cos[0]).toBeCloseTo(0.4, 10);
    expect(m.sin[0]).toBeCloseTo(-0.2, 10);
    expect(m.cos[1]).toBeCloseTo(0, 10);
    expect(m.sin[1]).toBeCloseTo(0.1, 10);
    const at = Float64Array.of(101.1, 130.7);
    const v = evaluateModel(m, at);
    expect(v[0]).toBeCloseTo(truth(101.1), 10);
    expect(v[1]).toBeCloseTo(truth(130.7), 10);
    expect(modelAmplitude(m)).toBeGreaterThan(0.9);
  });

  it('the model’s χ² reduction is the periodogram power', () => {
    const d = ds1();
    const p = lombScargle(d, DS1_GRID, { method: 'exact' });
    const k = argmax(p);
    const f = DS1_GRID.minFrequency + k * DS1_GRID.step;
    const m = fitPeriodicModel(d, f);
    const model = evaluateModel(m, d.t);
    let sw = 0;
    let swy = 0;
    for (let i = 0; i < d.t.length; i++) {
      sw += 1 / d.dy[i] ** 2;
      swy += d.y[i] / d.dy[i] ** 2;
    }
    const mean = swy / sw;
    let chi2 = 0;
    let chi2Ref = 0;
    for (let i = 0; i < d.t.length; i++) {
      chi2 += ((d.y[i] - model[i]) / d.dy[i]) ** 2;
      chi2Ref += ((d.y[i] - mean) / d.dy[i]) ** 2;
    }
    expect(1 - chi2 / chi2Ref).toBeCloseTo(p[k], 10);
  });
});
