/**
 * Binning and running-median clipping against hand-computed values and injected truth.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import { binLightCurve, clipAgainstRunningMedian, LightCurveError, runningMedian, type LightCurve } from '../../../src/science/lightcurve/index.js';

const lc = (t: number[], y: number[], dy: number[], extra: Partial<LightCurve> = {}): LightCurve => ({
  t: Float64Array.from(t),
  y: Float64Array.from(y),
  dy: Float64Array.from(dy),
  kind: 'mag',
  warnings: [],
  ...extra,
});

describe('binLightCurve', () => {
  it('gives inverse-variance weighted means, times and errors per bin (by hand)', () => {
    const r = binLightCurve(lc([0, 0.1, 0.2, 1.05, 1.5], [10, 11, 13, 5, 6], [1, 2, 1, 0.5, 0.5]), { binDays: 1, origin: 0 });
    // Bin 0: w = 1, 0.25, 1 → mean (10 + 2.75 + 13)/2.25; error 1/√2.25.
    expect(r.lightCurve.y[0]).toBeCloseTo((10 + 0.25 * 11 + 13) / 2.25, 12);
    expect(r.lightCurve.t[0]).toBeCloseTo((0 + 0.025 + 0.2) / 2.25, 12);
    expect(r.lightCurve.dy[0]).toBeCloseTo(1 / 1.5, 12);
    expect(r.lightCurve.y[1]).toBeCloseTo(5.5, 12);
    expect(r.lightCurve.dy[1]).toBeCloseTo(0.5 / Math.SQRT2, 12);
    expect(Array.from(r.count)).toEqual([3, 2]);
    // Scatter errors: std/√n; 'larger' takes the larger.
    const s = binLightCurve(lc([0, 0.5], [1, 3], [0.1, 0.1]), { binDays: 1, errors: 'scatter' });
    expect(s.lightCurve.dy[0]).toBeCloseTo(Math.SQRT2 / Math.SQRT2, 12);
    const l = binLightCurve(lc([0, 0.5], [1, 3], [0.1, 0.1]), { binDays: 1, errors: 'larger' });
    expect(l.lightCurve.dy[0]).toBeCloseTo(1, 12);
  });

  it('keeps bands (and optionally sites) apart, drops sparse bins, and averages noise down as 1/√n', () => {
    const rng = new Rng(3);
    const t: number[] = [];
    const y: number[] = [];
    const band: string[] = [];
    for (let i = 0; i < 4000; i++) {
      t.push(i / 1000);
      y.push(i % 2 ? 12 : 13 + 0.05 * rng.normal());
      band.push(i % 2 ? 'B' : 'V');
    }
    const r = binLightCurve(lc(t, y, y.map(() => 0.05), { band }), { binDays: 0.1, minPoints: 10 });
    const v = Array.from(r.lightCurve.y).filter((_, i) => r.lightCurve.band![i] === 'V');
    expect(v.length).toBe(40);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const std = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    expect(std).toBeGreaterThan(0.05 / Math.sqrt(50) * 0.7);
    expect(std).toBeLessThan(0.05 / Math.sqrt(50) * 1.35);
    expect(Array.from(r.lightCurve.y).filter((_, i) => r.lightCurve.band![i] === 'B').every((b) => b === 12)).toBe(true);
    const sites = binLightCurve(lc([0, 0.01], [1, 2], [1, 1], { site: ['a', 'b'] }), { binDays: 1, bySite: true });
    expect(sites.lightCurve.t.length).toBe(2);
    expect(() => binLightCurve(lc([0], [1], [1]), { binDays: 0 })).toThrow(LightCurveError);
    expect(() => binLightCurve(lc([0, 1e9], [1, 1], [1, 1]), { binDays: 1e-3 })).toThrow(/bins exceed/);
  });
});

describe('running median', () => {
  it('is the median over ±w/2 and clips single bad points but not the signal', () => {
    expect(Array.from(runningMedian([0, 1, 2, 3, 4], [5, 1, 9, 2, 7], 2))).toEqual([3, 5, 2, 7, 4.5]);
    const rng = new Rng(9);
    const n = 500;
    const t = Float64Array.from({ length: n }, (_, i) => i * 0.002);
    const y = Float64Array.from(t, (x) => 0.3 * Math.sin(2 * Math.PI * x) + 0.01 * rng.normal());
    const bad = [50, 200, 201, 444];
    for (const i of bad) y[i] += 0.2;
    const keep = clipAgainstRunningMedian(t, y, new Float64Array(n).fill(0.01), { windowDays: 0.03 });
    for (const i of bad) expect(keep[i]).toBe(0);
    expect(Array.from(keep).filter((k) => k === 0).length).toBeLessThanOrEqual(bad.length + 3);
    expect(() => runningMedian([1, 0], [1, 1], 1)).toThrow(LightCurveError);
  });
});
