/**
 * The multi-band periodogram against an independent least-squares evaluation (numpy lstsq
 * on the explicit design matrix, test/fixtures/timeseries/multiband_power.csv), and on an
 * injected signal observed sparsely in five bands with different amplitudes and offsets.
 */
import { describe, expect, it } from 'vitest';
import {
  autoFrequencyGrid,
  lombScargle,
  multibandLombScargle,
  TimeseriesError,
  topPeaks,
} from '../../../src/science/timeseries/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { readColumns, readText } from './fixtures.js';

function multibandData(): { t: number[]; y: number[]; dy: number[]; band: string[] } {
  const lines = readText('multiband_data.csv').trim().split('\n').slice(1);
  const rows = lines.map((l) => l.split(','));
  return { t: rows.map((r) => +r[0]), y: rows.map((r) => +r[1]), dy: rows.map((r) => +r[2]), band: rows.map((r) => r[3]) };
}

const GOLD = readColumns('multiband_power.csv');

describe('multiband against numpy lstsq', () => {
  const d = multibandData();
  const freqs = GOLD.frequency;
  for (const [nbase, nband, reg, tol] of [
    [1, 0, 1e-6, 1e-10],
    [0, 1, 0, 1e-9],
    [2, 1, 1e-6, 2e-5],
  ] as const) {
    it(`(Nbase, Nband) = (${nbase}, ${nband})`, () => {
      const p = multibandLombScargle(d, freqs, { nbase, nband, regularization: reg });
      const g = GOLD[`b${nbase}_${nband}`];
      for (let k = 0; k < freqs.length; k++) expect(Math.abs(p[k] - g[k])).toBeLessThan(tol);
    });
  }

  it('(0, 1) is the χ²-weighted combination of independent per-band periodograms', () => {
    const p = multibandLombScargle(d, Float64Array.of(0.3, 1.6293), { nbase: 0, nband: 1, regularization: 0 });
    let num0 = 0;
    let num1 = 0;
    let den = 0;
    for (const b of ['g', 'r', 'i']) {
      const idx = d.band.map((x, i) => (x === b ? i : -1)).filter((i) => i >= 0);
      const tb = idx.map((i) => d.t[i]);
      const yb = idx.map((i) => d.y[i]);
      const eb = idx.map((i) => d.dy[i]);
      const psd = lombScargle({ t: tb, y: yb, dy: eb }, Float64Array.of(0.3, 1.6293), { normalization: 'psd' });
      const wm = yb.reduce((s, v, i) => s + v / eb[i] ** 2, 0) / eb.reduce((s, e) => s + 1 / e ** 2, 0);
      den += yb.reduce((s, v, i) => s + ((v - wm) / eb[i]) ** 2, 0);
      num0 += 2 * psd[0];
      num1 += 2 * psd[1];
    }
    expect(p[0]).toBeCloseTo(num0 / den, 10);
    expect(p[1]).toBeCloseTo(num1 / den, 10);
  });

  it('fast sums agree with exact ones (to the worst-case extirpolation error with 9–14 points per band)', () => {
    const grid = autoFrequencyGrid(Float64Array.from(d.t), { maxFrequency: 4, samplesPerPeak: 10 });
    const a = multibandLombScargle(d, grid, { method: 'exact' });
    const err = (fast?: { oversampling: number; order: number }): number => {
      const b = multibandLombScargle(d, grid, { method: 'fast', fast });
      let e = 0;
      for (let k = 0; k < a.length; k++) e = Math.max(e, Math.abs(a[k] - b[k]));
      return e;
    };
    expect(err()).toBeLessThan(1e-2);
    expect(err({ oversampling: 5, order: 14 })).toBeLessThan(1e-4);
  });
});

describe('multiband recovers an injected period where single-band periodograms fail', () => {
  const periodDays = 0.5432;
  const bands = ['u', 'g', 'r', 'i', 'z'];
  const amp = [0.9, 0.6, 0.45, 0.35, 0.3];
  const offset = [17.5, 16.2, 15.9, 15.8, 15.75];
  // Eight observations per band on different nights over ~5.5 years (like SDSS Stripe 82).
  const rng = new Rng(1);
  const t: number[] = [];
  const y: number[] = [];
  const band: string[] = [];
  for (let b = 0; b < bands.length; b++) {
    for (let j = 0; j < 8; j++) {
      const ti = Math.floor(rng.uniform() * 2000) + 0.3 * rng.uniform();
      const ph = (2 * Math.PI * ti) / periodDays;
      t.push(ti);
      y.push(offset[b] + amp[b] * (Math.sin(ph) + 0.25 * Math.sin(2 * ph + 1)) + 0.03 * rng.normal());
      band.push(bands[b]);
    }
  }
  const dy = 0.03;
  const grid = autoFrequencyGrid(Float64Array.from(t), { minPeriodDays: 0.2, maxPeriodDays: 1.2, samplesPerPeak: 10 });
  const within1pct = (p: number): boolean => Math.abs(p / periodDays - 1) < 0.01;

  it('each band alone (8 points) picks a wrong period', () => {
    for (const b of bands) {
      const idx = band.map((x, i) => (x === b ? i : -1)).filter((i) => i >= 0);
      const p = lombScargle({ t: idx.map((i) => t[i]), y: idx.map((i) => y[i]), dy }, grid);
      expect(within1pct(topPeaks(p, grid, { count: 1 })[0].periodDays), b).toBe(false);
    }
  });

  it('all points in one single-band periodogram (one offset for all bands) fails too', () => {
    const p = lombScargle({ t, y, dy }, grid);
    expect(within1pct(topPeaks(p, grid, { count: 1 })[0].periodDays)).toBe(false);
  });

  it('the shared-phase multiband model (1, 0) finds it, exact and fast', () => {
    for (const method of ['exact', 'fast'] as const) {
      const p = multibandLombScargle({ t, y, dy, band }, grid, { method });
      const best = topPeaks(p, grid, { count: 1, refine: true })[0];
      expect(Math.abs(best.periodDays / periodDays - 1)).toBeLessThan(1e-4);
    }
  });

  it('(1, 1) with per-band amplitudes finds it too', () => {
    const p = multibandLombScargle({ t, y, dy, band }, grid, { nbase: 1, nband: 1 });
    expect(within1pct(topPeaks(p, grid, { count: 1 })[0].periodDays)).toBe(true);
  });
});

describe('multiband input checks', () => {
  const t = [0, 1, 2, 3, 4, 5];
  const y = [1, 2, 1, 2, 1, 2];
  it('rejects bad band arrays and models', () => {
    expect(() => multibandLombScargle({ t, y, band: ['a'] }, Float64Array.of(0.5))).toThrow(TimeseriesError);
    expect(() => multibandLombScargle({ t, y, band: ['a', 'a', 'a', 'b', 'b', 'b'] }, Float64Array.of(0.5), { nbase: 0, nband: 0 })).toThrow(/both be 0/);
    expect(() => multibandLombScargle({ t, y, band: ['a', 'b', 'c', 'd', 'e', 'f'] }, Float64Array.of(0.5))).toThrow(/parameters/);
  });
});
