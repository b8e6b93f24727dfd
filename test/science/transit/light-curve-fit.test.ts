/**
 * Transit times of whole light curves and per-window MCMC: synthetic light curves from our
 * transit model with injected mid-times (a sinusoidal TTV) and white noise of known σ.
 * Checks: the times come back within their errors, the errors are calibrated (pulls of
 * unit scatter over many injections, for the Laplace and the MCMC estimates), partial and
 * empty windows are flagged, the shared shape is recovered, and bad input is refused.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import {
  fitTransitLightCurve,
  fitTransitTime,
  formatLightCurveFitCsv,
  sampleTransitTime,
  transitLightCurve,
  TransitError,
  type TransitShape,
} from '../../../src/science/transit/index.js';

const P = 3.2888;
const T0 = 2458327.51665;
const SHAPE: TransitShape = { rp: 0.082, a: 10.5, incDeg: 88.2, u: [0.42, 0.2] };
const CADENCE = 2 / 1440;

interface Synthetic {
  t: Float64Array;
  flux: Float64Array;
  sigma: Float64Array;
  tcTrue: number[];
}

/** nTransits transits with TTV amplitude ampDays, noise σ, optional gaps [from, to). */
function synthetic(seed: number, opts: { nTransits?: number; noise?: number; ampDays?: number; gaps?: Array<[number, number]> } = {}): Synthetic {
  const nTr = opts.nTransits ?? 8;
  const noise = opts.noise ?? 1e-3;
  const amp = opts.ampDays ?? 3 / 1440;
  const rng = new Rng(seed);
  const tcTrue = Array.from({ length: nTr }, (_, e) => T0 + e * P + amp * Math.sin((2 * Math.PI * e) / 5.3 + seed));
  const t: number[] = [];
  for (let e = 0; e < nTr; e++) {
    // 0.45 d of data around each transit (T14 ≈ 0.13 d), as a ground-based night might give.
    for (let x = -0.225; x < 0.225; x += CADENCE) {
      const time = T0 + e * P + x;
      if (opts.gaps?.some(([a, b]) => time >= a && time < b)) continue;
      t.push(time);
    }
  }
  const tt = Float64Array.from(t);
  const flux = new Float64Array(tt.length);
  const one = new Float64Array(1);
  const out = new Float64Array(1);
  for (let i = 0; i < tt.length; i++) {
    const e = Math.round((tt[i] - T0) / P);
    one[0] = tt[i];
    transitLightCurve(one, { t0: tcTrue[e], periodDays: P, ...SHAPE }, out);
    // A slightly different baseline in every window (airmass, detrending).
    const bl = 1 + 0.002 * Math.sin(e) + 0.001 * ((tt[i] - (T0 + e * P)) / 0.225);
    flux[i] = out[0] * bl + noise * rng.normal();
  }
  return { t: tt, flux, sigma: new Float64Array(tt.length).fill(noise), tcTrue };
}

function stats(x: number[]): { mean: number; sd: number } {
  const mean = x.reduce((a, b) => a + b, 0) / x.length;
  return { mean, sd: Math.sqrt(x.reduce((a, b) => a + (b - mean) ** 2, 0) / (x.length - 1)) };
}

describe('fitTransitLightCurve', () => {
  it('recovers injected mid-times within their errors, with a shared shape estimated from the data', async () => {
    const d = synthetic(1);
    const r = await fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: P, t0Days: T0, u: SHAPE.u });
    expect(r.windows.map((w) => w.epoch)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(r.skipped).toEqual([]);
    // The estimated shape converges on the injected one (8 transits, 1 ppt noise).
    expect(r.shape.rp).toBeCloseTo(SHAPE.rp, 2);
    expect(Math.abs(r.shape.a - SHAPE.a) / SHAPE.a).toBeLessThan(0.05);
    for (const w of r.windows) {
      expect(w.partial).toBe(false);
      expect(Math.abs(w.tcDays - d.tcTrue[w.epoch]) / w.sigmaDays).toBeLessThan(3.5);
      // σ of a 2-min cadence, 1 ppt transit of depth 7 ppt: tens of seconds.
      expect(w.sigmaDays * 86400).toBeGreaterThan(10);
      expect(w.sigmaDays * 86400).toBeLessThan(120);
    }
    // The ephemeris fit: period close to the injected one (TTV averages out over the span).
    expect(Math.abs(r.ephemeris.periodDays - P)).toBeLessThan(5 * r.ephemeris.sigmaPeriod + 1e-4);
    // O−C follows the injected TTV (minus the fitted line).
    expect(r.ocDays).toHaveLength(8);
  });

  it('Laplace errors are calibrated over many injections (pull s.d. ≈ 1), shared and free shape', async () => {
    for (const shapeMode of ['shared', 'free'] as const) {
      const pulls: number[] = [];
      for (let k = 0; k < 15; k++) {
        const d = synthetic(100 + k, { noise: 1.5e-3 });
        const r = await fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: P, t0Days: T0, shape: SHAPE, shapeMode });
        for (const w of r.windows) pulls.push((w.tcDays - d.tcTrue[w.epoch]) / w.sigmaDays);
      }
      const s = stats(pulls);
      // 120 pulls: s.e. of the mean 0.09, of the s.d. 0.065.
      expect(pulls.length, shapeMode).toBe(120);
      expect(Math.abs(s.mean), shapeMode).toBeLessThan(0.25);
      expect(s.sd, shapeMode).toBeGreaterThan(0.85);
      expect(s.sd, shapeMode).toBeLessThan(1.2);
    }
  });

  it('flags a transit missing its egress as partial and skips a window with no data in transit', async () => {
    const e2 = T0 + 2 * P;
    const e5 = T0 + 5 * P;
    // Epoch 2 loses everything after mid-transit; epoch 5 keeps only its out-of-transit wings.
    const d = synthetic(7, { gaps: [[e2 + 0.005, e2 + 0.3], [e5 - 0.1, e5 + 0.1]] });
    const r = await fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: P, t0Days: T0, shape: SHAPE });
    const w2 = r.windows.find((w) => w.epoch === 2)!;
    expect(w2.partial).toBe(true);
    expect(w2.coverage.egress).toBe(0);
    expect(w2.coverage.after).toBe(0);
    expect(r.windows.filter((w) => w.epoch !== 2).every((w) => !w.partial)).toBe(true);
    expect(r.windows.map((w) => w.epoch)).not.toContain(5);
    expect(r.skipped).toEqual([{ epoch: 5, nPoints: expect.any(Number), reason: 'no points during the predicted transit' }]);
    // The partial window is left out of the ephemeris (6 complete windows → dof 4).
    expect(r.ephemeris.dof).toBe(4);
    const csv = formatLightCurveFitCsv(r, 'b').trim().split('\n');
    expect(csv[0]).toBe('planet,epoch,time,sigma,time_laplace,sigma_laplace,time_mcmc_lo68,time_mcmc_hi68,partial,n_points,chi2,dof,oc,oc_sigma');
    expect(csv).toHaveLength(1 + 7);
    const row2 = csv.find((l) => l.startsWith('b,2,'))!.split(',');
    expect(row2[8]).toBe('1');
    expect(Number(row2[2])).toBe(w2.tcDays);
  });

  it('with MCMC reports the posterior median and 68 % interval, consistent with the Laplace estimate', async () => {
    const d = synthetic(3, { nTransits: 3 });
    const r = await fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: P, t0Days: T0, shape: SHAPE, mcmc: { seed: 5, nSteps: 600 } });
    for (const w of r.windows) {
      expect(w.mcmc).toBeDefined();
      expect(w.tcDays).toBe(w.mcmc!.tcDays);
      expect(w.mcmc!.lo68Days).toBeLessThan(w.tcDays);
      expect(w.mcmc!.hi68Days).toBeGreaterThan(w.tcDays);
      // For a complete transit the posterior is near Gaussian: both estimates agree.
      expect(Math.abs(w.mcmc!.tcDays - w.tcLaplaceDays)).toBeLessThan(0.3 * w.sigmaLaplaceDays);
      expect(w.mcmc!.sigmaDays / w.sigmaLaplaceDays).toBeGreaterThan(0.8);
      expect(w.mcmc!.sigmaDays / w.sigmaLaplaceDays).toBeLessThan(1.25);
      expect(w.mcmc!.acceptance).toBeGreaterThan(0.15);
      expect(Math.abs(w.tcDays - d.tcTrue[w.epoch]) / w.sigmaDays).toBeLessThan(3.5);
    }
  });

  it('refuses bad input whole: mismatched arrays, σ ≤ 0, no transit in the data, bad window', async () => {
    const d = synthetic(9, { nTransits: 2 });
    await expect(fitTransitLightCurve(d.t, d.flux.subarray(1), d.sigma, { periodDays: P, t0Days: T0, shape: SHAPE })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    const badSigma = d.sigma.slice();
    badSigma[4] = 0;
    await expect(fitTransitLightCurve(d.t, d.flux, badSigma, { periodDays: P, t0Days: T0, shape: SHAPE })).rejects.toThrow(/point 4/);
    // Predicted transits fall between the observed nights: nothing to fit.
    await expect(fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: P, t0Days: T0 + P / 2, shape: SHAPE })).rejects.toMatchObject({ code: 'TOO_FEW_POINTS' });
    await expect(fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: P, t0Days: T0, shape: SHAPE, windowHalfWidthDays: 0.01 })).rejects.toBeInstanceOf(TransitError);
    await expect(fitTransitLightCurve(d.t, d.flux, d.sigma, { periodDays: -1, t0Days: T0, shape: SHAPE })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});

describe('sampleTransitTime', () => {
  it('MCMC errors are calibrated: pulls of the posterior median over 30 windows have s.d. ≈ 1', async () => {
    const pulls: number[] = [];
    const ratio: number[] = [];
    const lapPulls: number[] = [];
    for (let k = 0; k < 30; k++) {
      const d = synthetic(500 + k, { nTransits: 1, noise: 2e-3 });
      const opts = { tcGuessDays: T0, periodDays: P, shape: SHAPE };
      const lap = fitTransitTime(d.t, d.flux, d.sigma, opts);
      const mc = await sampleTransitTime(d.t, d.flux, d.sigma, opts, { seed: k, nSteps: 300, nWalkers: 16 }, lap);
      pulls.push((mc.tcDays - d.tcTrue[0]) / mc.sigmaDays);
      ratio.push(mc.sigmaDays / lap.sigmaTcDays);
      lapPulls.push((lap.tcDays - d.tcTrue[0]) / lap.sigmaTcDays);
    }
    const s = stats(pulls);
    // 30 pulls: s.e. of the mean 0.18, of the s.d. ≈ 0.13.
    expect(Math.abs(s.mean)).toBeLessThan(0.5);
    expect(s.sd).toBeGreaterThan(0.65);
    expect(s.sd).toBeLessThan(1.4);
    // Same windows, same noise: the MCMC scatter tracks the Laplace one (1.27 vs 1.31 here).
    expect(Math.abs(s.sd - stats(lapPulls).sd)).toBeLessThan(0.15);
    expect(stats(ratio).mean).toBeGreaterThan(0.85);
    expect(stats(ratio).mean).toBeLessThan(1.15);
  });

  it('a free shape widens the time posterior of a partial transit', async () => {
    const e0 = T0;
    const d = synthetic(11, { nTransits: 1, gaps: [[e0 + 0.01, e0 + 1]] });
    const opts = { tcGuessDays: T0, periodDays: P, shape: SHAPE };
    const fixed = await sampleTransitTime(d.t, d.flux, d.sigma, opts, { seed: 1, nSteps: 600 });
    const free = await sampleTransitTime(d.t, d.flux, d.sigma, { ...opts, freeShape: true }, { seed: 1, nSteps: 600 });
    expect(free.sigmaDays).toBeGreaterThan(1.5 * fixed.sigmaDays);
    await expect(sampleTransitTime(d.t, d.flux, d.sigma, opts, { seed: 1, nSteps: 5 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
