import { describe, expect, it } from 'vitest';
import { fitTransitTime, transitDurations, type TransitShape } from '../../../src/science/transit/timing.js';
import { transitLightCurve } from '../../../src/science/transit/model.js';
import { TransitError } from '../../../src/science/transit/errors.js';

/** Seeded normal deviates (mulberry32 + Box–Muller), so every run sees the same noise. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

const PERIOD = 3.2888;
const SHAPE: TransitShape = { rp: 0.082, a: 10.5, incDeg: 88.2, u: [0.42, 0.2] };
const TC = 2458327.51665;

function simulate(opts: { seed: number; noise: number; from?: number; to?: number; cadenceDays?: number; baseline?: [number, number]; tc?: number }) {
  const cadence = opts.cadenceDays ?? 2 / 1440;
  const from = opts.from ?? -0.16;
  const to = opts.to ?? 0.16;
  const tc = opts.tc ?? TC;
  const n = Math.floor((to - from) / cadence);
  const t = Float64Array.from({ length: n }, (_, i) => TC + from + i * cadence);
  const model = transitLightCurve(t, { t0: tc, periodDays: PERIOD, ...SHAPE });
  const g = gaussian(opts.seed);
  const [c0, c1] = opts.baseline ?? [1, 0];
  const halfSpan = (t[n - 1] - t[0]) / 2;
  const flux = model.map((f, i) => f * (c0 + c1 * ((t[i] - TC) / halfSpan)) + opts.noise * g());
  return { t, flux, sigma: new Float64Array(n).fill(opts.noise || 1e-4) };
}

describe('fitTransitTime', () => {
  it('recovers tc exactly from noise-free data, starting 20 minutes off', () => {
    const d = simulate({ seed: 1, noise: 0 });
    const fit = fitTransitTime(d.t, d.flux, d.sigma, { tcGuessDays: TC + 20 / 1440, periodDays: PERIOD, shape: SHAPE });
    expect(fit.converged).toBe(true);
    expect(Math.abs(fit.tcDays - TC)).toBeLessThan(1e-8);
    expect(fit.partial).toBe(false);
    expect(fit.baseline[0]).toBeCloseTo(1, 9);
  });

  it('Laplace σ(tc) is calibrated: pulls over 150 noisy realisations have mean ≈ 0 and s.d. ≈ 1', () => {
    const pulls: number[] = [];
    for (let k = 0; k < 150; k++) {
      const tcTrue = TC + ((k % 7) - 3) * 1e-3;
      const d = simulate({ seed: 100 + k, noise: 1.5e-3, tc: tcTrue, baseline: [1.002, 0.001] });
      const fit = fitTransitTime(d.t, d.flux, d.sigma, { tcGuessDays: TC, periodDays: PERIOD, shape: SHAPE });
      pulls.push((fit.tcDays - tcTrue) / fit.sigmaTcDays);
    }
    const mean = pulls.reduce((a, b) => a + b, 0) / pulls.length;
    const sd = Math.sqrt(pulls.reduce((a, b) => a + (b - mean) ** 2, 0) / (pulls.length - 1));
    // 150 draws: s.e. of the mean 0.08, of the s.d. ~0.06.
    expect(Math.abs(mean)).toBeLessThan(0.25);
    expect(sd).toBeGreaterThan(0.82);
    expect(sd).toBeLessThan(1.18);
  });

  it('free shape: recovers tc, rp, a, b and the baseline slope within 3σ', () => {
    const d = simulate({ seed: 7, noise: 5e-4, baseline: [0.998, 0.0015] });
    const start: TransitShape = { ...SHAPE, rp: 0.075, a: 11.5, incDeg: 87.5 };
    const fit = fitTransitTime(d.t, d.flux, d.sigma, { tcGuessDays: TC - 0.004, periodDays: PERIOD, shape: start, freeShape: true });
    expect(fit.converged).toBe(true);
    expect(fit.parameterNames).toEqual(['tc', 'c0', 'c1', 'rp', 'a', 'b']);
    const sd = (j: number) => Math.sqrt(fit.covariance[j * 6 + j]);
    const bTrue = SHAPE.a * Math.cos((SHAPE.incDeg * Math.PI) / 180);
    expect(Math.abs(fit.tcDays - TC)).toBeLessThan(3 * fit.sigmaTcDays);
    expect(Math.abs(fit.values[1] - 0.998)).toBeLessThan(3 * sd(1));
    expect(Math.abs(fit.values[2] - 0.0015)).toBeLessThan(3 * sd(2));
    expect(Math.abs(fit.values[3] - SHAPE.rp)).toBeLessThan(3 * sd(3));
    expect(Math.abs(fit.values[4] - SHAPE.a)).toBeLessThan(3 * sd(4));
    expect(Math.abs(Math.abs(fit.values[5]) - bTrue)).toBeLessThan(3 * sd(5));
    expect(fit.chi2 / fit.dof).toBeGreaterThan(0.8);
    expect(fit.chi2 / fit.dof).toBeLessThan(1.2);
  });

  it('flags partial transits (egress missing) and reports coverage', () => {
    const { t14 } = transitDurations(PERIOD, SHAPE);
    const d = simulate({ seed: 3, noise: 1e-3, from: -0.2, to: t14 / 2 - 0.02 });
    const fit = fitTransitTime(d.t, d.flux, d.sigma, { tcGuessDays: TC, periodDays: PERIOD, shape: SHAPE });
    expect(fit.partial).toBe(true);
    expect(fit.coverage.after).toBe(0);
    expect(fit.coverage.before).toBeGreaterThan(0);
    expect(fit.coverage.ingress).toBeGreaterThan(0);
    const full = simulate({ seed: 3, noise: 1e-3 });
    const ok = fitTransitTime(full.t, full.flux, full.sigma, { tcGuessDays: TC, periodDays: PERIOD, shape: SHAPE });
    expect(ok.partial).toBe(false);
    expect(ok.sigmaTcDays).toBeLessThan(fit.sigmaTcDays);
  });

  it('transitDurations: T14 from the circular formula, shrinking with impact parameter', () => {
    const central = transitDurations(3, { rp: 0.1, a: 10, incDeg: 90, u: [0, 0] });
    expect(central.t14).toBeCloseTo((3 / Math.PI) * Math.asin(1.1 / 10), 12);
    expect(central.t23).toBeCloseTo((3 / Math.PI) * Math.asin(0.9 / 10), 12);
    const grazing = transitDurations(3, { rp: 0.1, a: 10, incDeg: (Math.acos(1.0 / 10) * 180) / Math.PI, u: [0, 0] });
    expect(grazing.t23).toBe(0);
    expect(grazing.t14).toBeGreaterThan(0);
  });

  it('rejects bad input with TransitError', () => {
    const d = simulate({ seed: 1, noise: 1e-3 });
    const opts = { tcGuessDays: TC, periodDays: PERIOD, shape: SHAPE };
    expect(() => fitTransitTime(d.t, d.flux.subarray(1), d.sigma, opts)).toThrow(TransitError);
    const badSigma = Float64Array.from(d.sigma);
    badSigma[5] = 0;
    expect(() => fitTransitTime(d.t, d.flux, badSigma, opts)).toThrow(/'sigma' point 5/);
    const nanFlux = Float64Array.from(d.flux);
    nanFlux[2] = Number.NaN;
    expect(() => fitTransitTime(d.t, nanFlux, d.sigma, opts)).toThrow(/point 2/);
    expect(() => fitTransitTime(d.t, d.flux, d.sigma, { ...opts, baselineOrder: 9 })).toThrow(/'baselineOrder'/);
    expect(() => fitTransitTime(d.t.subarray(0, 2), d.flux.subarray(0, 2), d.sigma.subarray(0, 2), opts)).toThrow(/cannot constrain/);
    expect(() => fitTransitTime(d.t, d.flux, d.sigma, { ...opts, periodDays: -1 })).toThrow(/'periodDays'/);
  });
});
