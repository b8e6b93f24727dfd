/** Automatic frequency grids against astropy's LombScargle.autofrequency(). */
import { describe, expect, it } from 'vitest';
import { autoFrequencyGrid, gridFrequencies, gridMaxFrequency, TimeseriesError } from '../../../src/science/timeseries/index.js';
import { ds1, ds3, readJson } from './fixtures.js';

interface AutoCase {
  data: 'ds1' | 'ds3';
  options: { samples_per_peak?: number; nyquist_factor?: number; minimum_frequency?: number; maximum_frequency?: number };
  n: number;
  first: number;
  step: number;
  last: number;
}

describe('autoFrequencyGrid', () => {
  for (const c of readJson<AutoCase[]>('autofrequency.json')) {
    it(`${c.data} ${JSON.stringify(c.options)} matches astropy`, () => {
      const t = (c.data === 'ds1' ? ds1() : ds3()).t;
      const g = autoFrequencyGrid(t, {
        samplesPerPeak: c.options.samples_per_peak,
        nyquistFactor: c.options.nyquist_factor,
        minFrequency: c.options.minimum_frequency,
        maxFrequency: c.options.maximum_frequency,
      });
      expect(g.count).toBe(c.n);
      expect(g.minFrequency).toBeCloseTo(c.first, 14);
      expect(g.step / c.step - 1).toBeLessThan(1e-9);
      expect(gridMaxFrequency(g) / c.last - 1).toBeLessThan(1e-9);
    });
  }

  it('takes period limits in days', () => {
    const t = ds1().t;
    const g = autoFrequencyGrid(t, { minPeriodDays: 0.5, maxPeriodDays: 10 });
    expect(g.minFrequency).toBe(0.1);
    expect(gridMaxFrequency(g)).toBeCloseTo(2, 2);
    const f = gridFrequencies(g);
    expect(f[1] - f[0]).toBeCloseTo(g.step, 15);
  });

  it('rejects contradictory or degenerate input', () => {
    const t = ds1().t;
    expect(() => autoFrequencyGrid(t, { minPeriodDays: 10, maxPeriodDays: 5 })).toThrow(TimeseriesError);
    expect(() => autoFrequencyGrid(t, { minFrequency: 0.1, maxPeriodDays: 5 })).toThrow(/not both/);
    expect(() => autoFrequencyGrid(Float64Array.of(3, 3, 3))).toThrow(/baseline is zero/);
    expect(() => autoFrequencyGrid(Float64Array.of(1))).toThrow(TimeseriesError);
    expect(() => autoFrequencyGrid(t, { samplesPerPeak: 0 })).toThrow(TimeseriesError);
    expect(() => autoFrequencyGrid(Float64Array.of(0, 1e9), { minPeriodDays: 1e-9 })).toThrow(/limit/);
  });
});
