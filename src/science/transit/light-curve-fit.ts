/**
 * Transit times of a whole light curve (docs/decisions/0018): the data around each
 * predicted transit (a linear ephemeris P, T0 given by the user) are cut into windows and
 * each window is fitted for its mid-time (fitTransitTime: baseline polynomial × transit
 * model, Laplace error), optionally also by MCMC (sampleTransitTime). The transit shape is
 * either shared by all windows or free in each.
 *
 * Shared shape: starting from the given shape — or one estimated by a box search on the
 * light curve folded on the ephemeris — the windows are fitted with the shape held; then
 * every window is shifted by its own mid-time and divided by its own baseline, and the
 * shape is fitted to that stack; the windows are fitted again with it. Two rounds suffice
 * (the shape and the times are nearly uncorrelated for a well-sampled transit).
 *
 * Then a linear ephemeris is fitted to the times by weighted least squares (partial
 * transits, flagged, are left out of it unless nothing else is left) and O−C is reported
 * for every window.
 */
import { TransitError } from './errors.js';
import { fitLinearEphemeris, observedMinusCalculated, type LinearEphemeris } from './ephemeris.js';
import { fitTransitTime, transitDurations, type TransitShape, type TransitTimeFit, type TransitWindowCoverage } from './timing.js';
import { sampleTransitTime, type TransitTimeMcmc } from './timing-mcmc.js';

export interface LightCurveFitOptions {
  periodDays: number;
  /** A mid-transit time (days) that numbers epoch 0. */
  t0Days: number;
  /** Known shape; missing rp / a / incDeg are estimated from the data. */
  shape?: Partial<TransitShape>;
  /** Limb darkening [u1, u2] when shape.u is absent (default [0.4, 0.26], a Sun-like star in the Kepler band). */
  u?: readonly [number, number];
  /** Half-width of each window around the predicted mid-time (default 1.5 × T14, at least 1.2 × T14 / 2 + 3 cadences). */
  windowHalfWidthDays?: number;
  baselineOrder?: number;
  /** 'shared' (default): one shape for all windows; 'free': rp, a/R*, b fitted per window. */
  shapeMode?: 'shared' | 'free';
  /** Also sample each window's posterior (default: Laplace only). */
  mcmc?: { nWalkers?: number; nSteps?: number; burnIn?: number; seed: number };
  /** Windows with fewer points are skipped (default 10). */
  minPoints?: number;
  /** Use partial transits in the ephemeris fit (default false). */
  includePartial?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface TransitWindowResult {
  epoch: number;
  /** Predicted mid-time from the input ephemeris (days). */
  predictedDays: number;
  nPoints: number;
  /** Reported mid-time: the MCMC median when sampled, else the least-squares optimum. */
  tcDays: number;
  /** Reported 1σ (days): the MCMC's half 68 % interval when sampled, else the Laplace σ. */
  sigmaDays: number;
  /** Least-squares optimum and its Laplace σ. */
  tcLaplaceDays: number;
  sigmaLaplaceDays: number;
  mcmc?: Omit<TransitTimeMcmc, 'tcSamples'>;
  partial: boolean;
  coverage: TransitWindowCoverage;
  chi2: number;
  dof: number;
  converged: boolean;
  /** Baseline c₀…c_K in x = (t − baselineReferenceDays)/halfSpanDays. */
  baseline: number[];
  baselineReferenceDays: number;
  halfSpanDays: number;
  shape: TransitShape;
}

export interface LightCurveFitResult {
  /** Shape used (shared mode) or the starting shape (free mode). */
  shape: TransitShape;
  windows: TransitWindowResult[];
  /** Windows with data that could not be fitted, with the reason. */
  skipped: Array<{ epoch: number; nPoints: number; reason: string }>;
  ephemeris: LinearEphemeris;
  /** O−C (days) of every window against `ephemeris`, in `windows` order. */
  ocDays: number[];
  ocSigmaDays: number[];
}

const DEFAULT_U: readonly [number, number] = [0.4, 0.26];

export async function fitTransitLightCurve(tDays: Float64Array, flux: Float64Array, sigma: Float64Array, options: LightCurveFitOptions): Promise<LightCurveFitResult> {
  const n = tDays.length;
  if (flux.length !== n || sigma.length !== n) throw new TransitError('SIZE_MISMATCH', `times (${n}), flux (${flux.length}) and sigma (${sigma.length}) differ in length`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(tDays[i]) || !Number.isFinite(flux[i])) throw new TransitError('BAD_ARGUMENT', 'time and flux must be finite', { index: i });
    if (!(sigma[i] > 0) || !Number.isFinite(sigma[i])) throw new TransitError('BAD_ARGUMENT', `uncertainty must be positive and finite, got ${sigma[i]}`, { parameter: 'sigma', index: i });
  }
  const P = options.periodDays;
  if (!(P > 0) || !Number.isFinite(P)) throw new TransitError('BAD_ARGUMENT', `period must be positive, got ${P}`, { parameter: 'periodDays' });
  if (!Number.isFinite(options.t0Days)) throw new TransitError('BAD_ARGUMENT', `t0 must be finite, got ${options.t0Days}`, { parameter: 't0Days' });
  const order = options.baselineOrder ?? 1;
  const minPoints = options.minPoints ?? 10;
  const mode = options.shapeMode ?? 'shared';
  if (mode !== 'shared' && mode !== 'free') throw new TransitError('BAD_ARGUMENT', `shapeMode must be 'shared' or 'free', got '${String(mode)}'`, { parameter: 'shapeMode' });
  const order0 = sortedOrder(tDays);
  const t = Float64Array.from(order0, (i) => tDays[i]);
  const f = Float64Array.from(order0, (i) => flux[i]);
  const s = Float64Array.from(order0, (i) => sigma[i]);

  let shape = completeShape(t, f, s, options);
  const { t14 } = transitDurations(P, shape);
  if (!(t14 > 0)) throw new TransitError('BAD_ARGUMENT', 'the shape gives no transit (impact parameter ≥ 1 + rp)', { parameter: 'shape' });
  const cadence = medianCadence(t);
  const halfWidth = options.windowHalfWidthDays ?? Math.max(1.5 * t14, 0.6 * t14 + 3 * cadence);
  if (!(halfWidth > 0.5 * t14) || !(halfWidth < 0.5 * P)) {
    throw new TransitError('BAD_ARGUMENT', `window half-width ${halfWidth} d must exceed half the transit duration (${(0.5 * t14).toFixed(4)} d) and stay below half the period`, { parameter: 'windowHalfWidthDays' });
  }

  // Windows: epochs with at least minPoints points within ±halfWidth and some in transit.
  const windows: Array<{ epoch: number; pred: number; lo: number; hi: number }> = [];
  const skipped: LightCurveFitResult['skipped'] = [];
  const eFirst = Math.ceil((t[0] - halfWidth - options.t0Days) / P);
  const eLast = Math.floor((t[n - 1] + halfWidth - options.t0Days) / P);
  if (eLast - eFirst > 1_000_000) throw new TransitError('TOO_LARGE', `${eLast - eFirst} transit epochs in the light curve`);
  for (let e = eFirst + 0; e <= eLast; e++) {
    const pred = options.t0Days + e * P;
    const lo = lowerBound(t, pred - halfWidth);
    const hi = lowerBound(t, pred + halfWidth);
    if (hi - lo === 0) continue;
    const inLo = lowerBound(t, pred - 0.5 * t14);
    const inHi = lowerBound(t, pred + 0.5 * t14);
    if (hi - lo < minPoints) skipped.push({ epoch: e, nPoints: hi - lo, reason: `${hi - lo} points (fewer than ${minPoints})` });
    else if (inHi - inLo === 0) skipped.push({ epoch: e, nPoints: hi - lo, reason: 'no points during the predicted transit' });
    else windows.push({ epoch: e, pred, lo, hi });
  }
  if (windows.length === 0) throw new TransitError('TOO_FEW_POINTS', `no transit window with at least ${minPoints} points and data in transit (period ${P} d, t0 ${options.t0Days})`);

  const fitWindow = (w: (typeof windows)[number], sh: TransitShape, free: boolean): TransitTimeFit =>
    fitTransitTime(t.subarray(w.lo, w.hi), f.subarray(w.lo, w.hi), s.subarray(w.lo, w.hi), {
      tcGuessDays: w.pred,
      periodDays: P,
      shape: sh,
      baselineOrder: order,
      freeShape: free,
    });

  // Round 1: times with the starting shape; shared mode refits the shape on the stack, round 2.
  const guesses = windows.map((w) => w.pred);
  let fits = windows.map((w) => tryFit(() => fitWindow(w, shape, false)));
  if (mode === 'shared') {
    const refined = stackShape(t, f, s, windows, fits, shape, P, order);
    if (refined) {
      shape = refined;
      fits = windows.map((w) => tryFit(() => fitWindow(w, shape, false)));
    }
  } else {
    // Free shape: start each window from its fixed-shape time.
    windows.forEach((w, i) => (guesses[i] = okFit(fits[i])?.tcDays ?? w.pred));
    fits = windows.map((w, i) => tryFit(() => fitWindow({ ...w, pred: guesses[i] }, shape, true)));
  }

  const results: TransitWindowResult[] = [];
  let done = 0;
  for (let i = 0; i < windows.length; i++) {
    const w = windows[i];
    const fr = fits[i];
    options.onProgress?.(++done, windows.length);
    if (fr instanceof Error) {
      skipped.push({ epoch: w.epoch, nPoints: w.hi - w.lo, reason: fr.message });
      continue;
    }
    let mc: TransitTimeMcmc | undefined;
    if (options.mcmc) {
      mc = await sampleTransitTime(
        t.subarray(w.lo, w.hi),
        f.subarray(w.lo, w.hi),
        s.subarray(w.lo, w.hi),
        { tcGuessDays: guesses[i], periodDays: P, shape, baselineOrder: order, freeShape: mode === 'free' },
        { ...options.mcmc, seed: options.mcmc.seed + w.epoch },
        fr,
      );
    }
    const { tcSamples: _drop, ...mcStats } = mc ?? { tcSamples: undefined };
    results.push({
      epoch: w.epoch,
      predictedDays: w.pred,
      nPoints: w.hi - w.lo,
      tcDays: mc ? mc.tcDays : fr.tcDays,
      sigmaDays: mc ? mc.sigmaDays : fr.sigmaTcDays,
      tcLaplaceDays: fr.tcDays,
      sigmaLaplaceDays: fr.sigmaTcDays,
      mcmc: mc ? (mcStats as Omit<TransitTimeMcmc, 'tcSamples'>) : undefined,
      partial: fr.partial,
      coverage: fr.coverage,
      chi2: fr.chi2,
      dof: fr.dof,
      converged: fr.converged,
      baseline: Array.from(fr.baseline),
      baselineReferenceDays: guesses[i],
      halfSpanDays: fr.halfSpanDays,
      shape: fr.shape,
    });
  }
  if (results.length === 0) throw new TransitError('NO_CONVERGENCE', `no window could be fitted (${skipped.map((k) => `epoch ${k.epoch}: ${k.reason}`).join('; ')})`);
  skipped.sort((a, b) => a.epoch - b.epoch);

  const complete = results.filter((r) => !r.partial);
  const use = options.includePartial || complete.length < 2 ? results : complete;
  if (use.length < 2) throw new TransitError('TOO_FEW_POINTS', `${use.length} transit time(s): a linear ephemeris needs at least 2`);
  const ephemeris = fitLinearEphemeris(
    use.map((r) => r.epoch),
    use.map((r) => r.tcDays),
    use.map((r) => r.sigmaDays),
  );
  const oc = observedMinusCalculated(
    ephemeris,
    results.map((r) => r.epoch),
    results.map((r) => r.tcDays),
    results.map((r) => r.sigmaDays),
  );
  return { shape, windows: results, skipped, ephemeris, ocDays: Array.from(oc.ocDays), ocSigmaDays: Array.from(oc.sigmaDays) };
}

function tryFit(fn: () => TransitTimeFit): TransitTimeFit | Error {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TransitError) return err;
    throw err;
  }
}

function okFit(r: TransitTimeFit | Error): TransitTimeFit | undefined {
  return r instanceof Error ? undefined : r;
}

/** Shape fitted to all windows stacked on their own mid-times, each divided by its baseline. */
function stackShape(
  t: Float64Array,
  f: Float64Array,
  s: Float64Array,
  windows: Array<{ lo: number; hi: number; pred: number }>,
  fits: Array<TransitTimeFit | Error>,
  shape: TransitShape,
  P: number,
  order: number,
): TransitShape | undefined {
  const dt: number[] = [];
  const fl: number[] = [];
  const sg: number[] = [];
  windows.forEach((w, i) => {
    const fr = fits[i];
    if (fr instanceof Error || fr.partial) return;
    for (let j = w.lo; j < w.hi; j++) {
      const x = (t[j] - w.pred) / fr.halfSpanDays;
      let bl = 0;
      for (let k = fr.baseline.length - 1; k >= 0; k--) bl = bl * x + fr.baseline[k];
      dt.push(t[j] - fr.tcDays);
      fl.push(f[j] / bl);
      sg.push(s[j] / Math.abs(bl));
    }
  });
  if (dt.length < 20) return undefined;
  const idx = Array.from(dt.keys()).sort((a, b) => dt[a] - dt[b]);
  try {
    const r = fitTransitTime(Float64Array.from(idx, (i) => dt[i]), Float64Array.from(idx, (i) => fl[i]), Float64Array.from(idx, (i) => sg[i]), {
      tcGuessDays: 0,
      periodDays: P,
      shape,
      baselineOrder: Math.min(order, 0),
      freeShape: true,
      searchHalfWidthDays: 0,
    });
    return r.converged ? r.shape : undefined;
  } catch (err) {
    if (err instanceof TransitError) return undefined;
    throw err;
  }
}

/** The given shape with missing rp, a/R* and inclination estimated by a box search. */
function completeShape(t: Float64Array, f: Float64Array, s: Float64Array, options: LightCurveFitOptions): TransitShape {
  const given = options.shape ?? {};
  const u = given.u ?? options.u ?? DEFAULT_U;
  if (given.rp !== undefined && given.a !== undefined && given.incDeg !== undefined) return { ...given, rp: given.rp, a: given.a, incDeg: given.incDeg, u };
  const P = options.periodDays;
  const n = t.length;
  const dt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let ph = (t[i] - options.t0Days) / P + 0.5;
    ph -= Math.floor(ph);
    dt[i] = (ph - 0.5) * P;
  }
  // Box search on the folded curve: the duration maximising the depth's signal-to-noise.
  let best = { snr: 0, depth: 0, dur: 0 };
  for (let k = 0; k < 40; k++) {
    const dur = P * 0.002 * Math.pow(0.25 / 0.002, k / 39);
    let swIn = 0;
    let sfIn = 0;
    let swOut = 0;
    let sfOut = 0;
    for (let i = 0; i < n; i++) {
      const w = 1 / (s[i] * s[i]);
      if (Math.abs(dt[i]) < 0.5 * dur) {
        swIn += w;
        sfIn += w * f[i];
      } else if (Math.abs(dt[i]) < 2 * dur) {
        swOut += w;
        sfOut += w * f[i];
      }
    }
    if (swIn === 0 || swOut === 0) continue;
    const depth = sfOut / swOut - sfIn / swIn;
    const snr = depth / Math.sqrt(1 / swIn + 1 / swOut);
    if (snr > best.snr) best = { snr, depth, dur };
  }
  if (!(best.depth > 0)) throw new TransitError('BAD_ARGUMENT', 'no transit dip found at this period and t0; give the shape (rp, a/R*, inclination)', { parameter: 'shape' });
  // Central depth of a limb-darkened disc ≈ rp² I(0)/⟨I⟩ = rp² / (1 − u1/3 − u2/6).
  const rp = given.rp ?? Math.sqrt(best.depth * (1 - u[0] / 3 - u[1] / 6));
  const t14 = best.dur * 1.1;
  const a = given.a ?? Math.max(1.5, (P * (1 + rp)) / (Math.PI * t14));
  const incDeg = given.incDeg ?? (Math.acos(Math.min(0.3 / a, 1)) * 180) / Math.PI;
  return { ...given, rp, a, incDeg, u };
}

function medianCadence(t: Float64Array): number {
  if (t.length < 2) return 0;
  const d = new Float64Array(t.length - 1);
  for (let i = 1; i < t.length; i++) d[i - 1] = t[i] - t[i - 1];
  d.sort();
  return d[Math.floor(d.length / 2)];
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function sortedOrder(t: Float64Array): number[] {
  const idx = Array.from(t.keys());
  let sorted = true;
  for (let i = 1; i < t.length && sorted; i++) if (t[i] < t[i - 1]) sorted = false;
  return sorted ? idx : idx.sort((a, b) => t[a] - t[b]);
}

/**
 * The fitted times as CSV, one row per window: `planet,epoch,time,sigma` first (so the
 * table feeds `openastro ttv fit` as it is), then the Laplace and MCMC details, the partial
 * flag and O−C against the fitted ephemeris. Times in the light curve's scale (BJD_TDB for
 * the pipeline's light curves); all durations in days.
 */
export function formatLightCurveFitCsv(result: LightCurveFitResult, planet = 'b'): string {
  const rows = ['planet,epoch,time,sigma,time_laplace,sigma_laplace,time_mcmc_lo68,time_mcmc_hi68,partial,n_points,chi2,dof,oc,oc_sigma'];
  result.windows.forEach((w, i) => {
    rows.push(
      [
        planet,
        w.epoch,
        w.tcDays,
        w.sigmaDays,
        w.tcLaplaceDays,
        w.sigmaLaplaceDays,
        w.mcmc ? w.mcmc.lo68Days : '',
        w.mcmc ? w.mcmc.hi68Days : '',
        w.partial ? 1 : 0,
        w.nPoints,
        w.chi2,
        w.dof,
        result.ocDays[i],
        result.ocSigmaDays[i],
      ].join(','),
    );
  });
  return rows.join('\n') + '\n';
}
