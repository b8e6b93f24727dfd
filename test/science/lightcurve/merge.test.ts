/**
 * Merging light curves from several instruments, on simulated data with injected truth:
 * three sites with different zero points observing a pulsating star in overlapping
 * stretches of each night, one with underestimated errors, all with a few outliers. The
 * offsets must come back within 0.01 mag (and within their errors), the merged light curve
 * must show no steps, the underestimated errors must be inflated and the outliers rejected.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import { LightCurveError, mergeLightCurves, type LightCurve, type MergeResult } from '../../../src/science/lightcurve/index.js';

/** An RR Lyrae-like star (fast: 4 mag/day at the steepest) and a slow Cepheid-like one. */
const P = 0.5671;
const P_SLOW = 2.73;
const T0 = 2461000.3;
const truthFor =
  (period: number) =>
  (t: number): number =>
    14 + 0.4 * Math.sin((2 * Math.PI * (t - T0)) / period) + 0.1 * Math.sin((4 * Math.PI * (t - T0)) / period + 1);

interface SiteSpec {
  name: string;
  offset: number;
  sigma: number;
  /** Quoted error = sigma × this. */
  quoted: number;
  /** Observing window each night, fraction of a day after T0 + night. */
  window: [number, number];
  nights?: number[];
}

const SITES: SiteSpec[] = [
  { name: 'A', offset: 0, sigma: 0.01, quoted: 1, window: [0, 0.3] },
  { name: 'B', offset: 0.237, sigma: 0.015, quoted: 0.5, window: [0.25, 0.55] },
  { name: 'C', offset: -0.154, sigma: 0.02, quoted: 1, window: [0.5, 0.8] },
];

function simulate(seed: number, sites = SITES, outlierRate = 0.01, period = P): { parts: LightCurve[]; outliers: Set<number> } {
  const rng = new Rng(seed);
  const truth = truthFor(period);
  const parts: LightCurve[] = [];
  const outliers = new Set<number>();
  let global = 0;
  for (const s of sites) {
    const t: number[] = [];
    const y: number[] = [];
    const dy: number[] = [];
    for (const night of s.nights ?? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      for (let x = s.window[0]; x <= s.window[1]; x += 5 / 1440) {
        const ti = T0 + night + x;
        let v = truth(ti) + s.offset + s.sigma * rng.normal();
        if (rng.uniform() < outlierRate) {
          v += (rng.uniform() < 0.5 ? -1 : 1) * (0.3 + 0.5 * rng.uniform());
          outliers.add(global);
        }
        t.push(ti);
        y.push(v);
        dy.push(s.sigma * s.quoted);
        global++;
      }
    }
    parts.push({ t: Float64Array.from(t), y: Float64Array.from(y), dy: Float64Array.from(dy), kind: 'mag', band: t.map(() => 'V'), warnings: [] });
  }
  return { parts, outliers };
}

function checkRecovery(r: MergeResult, outliers: Set<number>, label: string, period = P): void {
  const truth = truthFor(period);
  const byName = new Map(r.offsets.map((o) => [o.site, o]));
  expect(byName.get('A')!.reference).toBe(true);
  for (const s of SITES) {
    const o = byName.get(s.name)!;
    expect(Math.abs(o.offset - s.offset), `${label} offset ${s.name}`).toBeLessThan(0.01);
    if (!o.reference) expect(Math.abs(o.offset - s.offset)).toBeLessThan(4 * o.offsetErr + 1e-4);
  }
  // B's errors were quoted at half their size: inflated ×≈2; the others left (nearly) alone.
  expect(byName.get('B')!.errorScale).toBeGreaterThan(1.7);
  expect(byName.get('B')!.errorScale).toBeLessThan(2.3);
  expect(byName.get('A')!.errorScale).toBeLessThan(1.25);
  expect(byName.get('C')!.errorScale).toBeLessThan(1.25);
  // Outliers: nearly all injected ones rejected, hardly any good point.
  let caught = 0;
  let falseRej = 0;
  for (let i = 0; i < r.kept.length; i++) {
    if (r.kept[i]) continue;
    if (outliers.has(i)) caught++;
    else falseRej++;
  }
  expect(caught).toBeGreaterThanOrEqual(0.9 * outliers.size);
  expect(falseRej).toBeLessThan(0.01 * r.kept.length);
  // No steps: the merged points follow the truth at every site, on every night.
  const lc = r.lightCurve;
  const perSite = new Map<string, number[]>();
  for (let i = 0; i < lc.t.length; i++) {
    const key = lc.site![i];
    if (!perSite.has(key)) perSite.set(key, []);
    perSite.get(key)!.push(lc.y[i] - truth(lc.t[i]));
  }
  const means = [...perSite.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  expect(Math.max(...means) - Math.min(...means), `${label} steps between sites`).toBeLessThan(0.006);
  for (const m of means) expect(Math.abs(m)).toBeLessThan(0.005);
  // Across each hand-over (A→B, B→C) within a night, the residual means agree.
  for (let night = 0; night < 10; night++) {
    const mean = (site: string, lo: number, hi: number): number => {
      const v: number[] = [];
      for (let i = 0; i < lc.t.length; i++) {
        const x = lc.t[i] - T0 - night;
        if (lc.site![i] === site && x >= lo && x <= hi) v.push(lc.y[i] - truth(lc.t[i]));
      }
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(Math.abs(mean('A', 0.2, 0.3) - mean('B', 0.25, 0.35))).toBeLessThan(0.02);
    expect(Math.abs(mean('B', 0.45, 0.55) - mean('C', 0.5, 0.6))).toBeLessThan(0.025);
  }
  // After inflation the residuals are consistent with the errors.
  expect(r.reducedChi2).toBeGreaterThan(0.8);
  expect(r.reducedChi2).toBeLessThan(1.25);
}

describe('mergeLightCurves', () => {
  it('recovers injected per-site offsets with time-bin models, inflates errors and rejects outliers (no steps)', () => {
    // Bins suit a signal that changes little within a bin: the slow star.
    const { parts, outliers } = simulate(1, SITES, 0.01, P_SLOW);
    const r = mergeLightCurves(parts, { model: { kind: 'bins', binDays: 0.01 }, reference: 'A' }, ['A', 'B', 'C']);
    checkRecovery(r, outliers, 'bins', P_SLOW);
    const o = r.offsets.map((x) => `${x.site} ${x.offset.toFixed(4)}±${x.offsetErr.toFixed(4)} ×${x.errorScale.toFixed(2)} rej ${x.rejected}`);
    console.info(`merge (bins): ${o.join('; ')}; χ²ν ${r.reducedChi2.toFixed(3)}; ${r.rejected} rejected of ${r.kept.length} (${outliers.size} injected)`);
  });

  it('recovers them with a periodic model, which also works when the sites never overlap in time', () => {
    const { parts, outliers } = simulate(2);
    const r = mergeLightCurves(parts, { model: { kind: 'periodic', periodDays: P, nterms: 2 }, reference: 'A' }, ['A', 'B', 'C']);
    checkRecovery(r, outliers, 'periodic');
    // The Fourier model reproduces the injected amplitudes (0.4 and 0.1 mag).
    expect(Math.hypot(r.periodic!.cos[0], r.periodic!.sin[0])).toBeCloseTo(0.4, 2);
    expect(Math.hypot(r.periodic!.cos[1], r.periodic!.sin[1])).toBeCloseTo(0.1, 2);

    // Sites on different nights: time bins cannot link them, the periodic model can.
    const apart = SITES.map((s, k) => ({ ...s, nights: [k, k + 3, k + 6] }));
    const sep = simulate(3, apart, 0);
    let err: unknown;
    try {
      mergeLightCurves(sep.parts, { model: { kind: 'bins', binDays: 0.01 }, reference: 'A' }, ['A', 'B', 'C']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LightCurveError);
    expect((err as LightCurveError).code).toBe('DEGENERATE');
    expect((err as Error).message).toMatch(/'B', 'C'.*periodic/);
    const p = mergeLightCurves(sep.parts, { model: { kind: 'periodic', periodDays: P, nterms: 2 }, reference: 'A' }, ['A', 'B', 'C']);
    for (const s of apart) expect(Math.abs(p.offsets.find((o) => o.site === s.name)!.offset - s.offset)).toBeLessThan(0.01);

    // One site alone while the others share bins: that site is named, not given a wild offset.
    const oneApart = SITES.map((s, k) => ({ ...s, nights: k === 2 ? [5, 6] : [0, 1, 2] }));
    const lone = simulate(5, oneApart, 0);
    let loneErr: unknown;
    try {
      mergeLightCurves(lone.parts, { model: { kind: 'bins', binDays: 0.01 }, reference: 'A' }, ['A', 'B', 'C']);
    } catch (e) {
      loneErr = e;
    }
    expect(loneErr).toBeInstanceOf(LightCurveError);
    expect((loneErr as LightCurveError).code).toBe('DEGENERATE');
    expect((loneErr as Error).message).toMatch(/site\(s\) 'C' never observe/);
  });

  it('merges fluxes as magnitudes and reports the flux ratio of each site', () => {
    const { parts } = simulate(4, SITES, 0, P_SLOW);
    const truth = truthFor(P_SLOW);
    const flux = parts.map((p) => ({ ...p, y: p.y.map((m) => 10 ** (-0.4 * (m - 14))), dy: p.dy.map((e, i) => (e * 10 ** (-0.4 * (p.y[i] - 14)) * Math.LN10) / 2.5), kind: 'flux' as const }));
    const r = mergeLightCurves(flux, { model: { kind: 'bins', binDays: 0.01 }, reference: 'A' }, ['A', 'B', 'C']);
    const b = r.offsets.find((o) => o.site === 'B')!;
    expect(Math.abs(b.fluxRatio - 10 ** (-0.4 * 0.237))).toBeLessThan(0.01);
    expect(r.lightCurve.kind).toBe('flux');
    for (let i = 0; i < r.lightCurve.t.length; i += 37) {
      const m = -2.5 * Math.log10(r.lightCurve.y[i]) + 14;
      expect(Math.abs(m - truth(r.lightCurve.t[i]))).toBeLessThan(0.1);
    }
  });

  it('can clip against a running median instead of the model', () => {
    const { parts, outliers } = simulate(5, SITES, 0.01, P_SLOW);
    const r = mergeLightCurves(parts, { model: { kind: 'bins', binDays: 0.01 }, outliers: { against: 'running-median', windowDays: 0.05, sigma: 4 }, reference: 'A' }, ['A', 'B', 'C']);
    let caught = 0;
    for (const i of outliers) if (!r.kept[i]) caught++;
    expect(caught).toBeGreaterThanOrEqual(0.9 * outliers.size);
    for (const s of SITES) expect(Math.abs(r.offsets.find((o) => o.site === s.name)!.offset - s.offset)).toBeLessThan(0.01);
  });

  it('picks the best-measured site as reference by default and handles sites without errors', () => {
    const { parts } = simulate(6, SITES, 0, P_SLOW);
    // Site C reports no errors at all: its scale comes from its scatter.
    parts[2] = { ...parts[2], dy: new Float64Array(parts[2].t.length).fill(NaN) };
    const r = mergeLightCurves(parts, { model: { kind: 'bins', binDays: 0.01 } }, ['A', 'B', 'C']);
    // B quotes the smallest errors (Σ 1/σ² largest), so it is the reference.
    expect(r.offsets.find((o) => o.reference)!.site).toBe('B');
    const c = r.offsets.find((o) => o.site === 'C')!;
    expect(Math.abs(c.offset - (-0.154 - 0.237))).toBeLessThan(0.01);
    // Its errors become its scatter, ≈ 0.02.
    const cErr = r.lightCurve.dy.filter((_, i) => r.lightCurve.site![i] === 'C');
    expect(cErr[0]).toBeGreaterThan(0.016);
    expect(cErr[0]).toBeLessThan(0.024);
  });

  it('rejects what it cannot merge with typed errors', () => {
    const { parts } = simulate(7, SITES, 0);
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LightCurveError);
        return (e as LightCurveError).code;
      }
      return 'none';
    };
    expect(code(() => mergeLightCurves(parts, { reference: 'Z' }, ['A', 'B', 'C']))).toBe('BAD_ARGUMENT');
    expect(code(() => mergeLightCurves(parts, { model: { kind: 'bins', binDays: 0 } }, ['A', 'B', 'C']))).toBe('BAD_ARGUMENT');
    expect(code(() => mergeLightCurves(parts, { model: { kind: 'periodic', periodDays: -1 } }, ['A', 'B', 'C']))).toBe('BAD_ARGUMENT');
    const twoBands = [parts[0], { ...parts[1], band: parts[1].band!.map(() => 'B') }];
    expect(code(() => mergeLightCurves(twoBands, {}, ['A', 'B']))).toBe('BAD_ARGUMENT');
    const negFlux = { ...parts[0], kind: 'flux' as const, y: parts[0].y.map((v) => -v) };
    expect(code(() => mergeLightCurves([negFlux, { ...parts[1], kind: 'flux' as const }], {}, ['A', 'B']))).toBe('BAD_ARGUMENT');
    expect(code(() => mergeLightCurves([parts[0], { ...parts[1], kind: 'flux' as const }], {}, ['A', 'B']))).toBe('BAD_ARGUMENT');
  });
});
