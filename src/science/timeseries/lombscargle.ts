/**
 * The generalised (floating-mean, weighted) Lomb–Scargle periodogram of Zechmeister &
 * Kürster (2009, A&A 496, 577), and its multi-term form (VanderPlas 2018, ApJS 236, 16,
 * §6): at each frequency f the weighted least-squares fit of
 *
 *     y(t) ≈ c + Σ_{h=1..nterms} [a_h cos(2πhft) + b_h sin(2πhft)]
 *
 * and its χ² against the reference χ²_ref of a constant (the weighted mean). Powers:
 *
 *     standard  (χ²_ref − χ²)/χ²_ref        in [0, 1]
 *     model     (χ²_ref − χ²)/χ²
 *     log       ln(χ²_ref/χ²)
 *     psd       (χ²_ref − χ²)/2             (χ² with weights 1/dy², or 1 without errors)
 *
 * The fit needs only weighted trigonometric sums of w and w·y at harmonics of f (see
 * trig-sums.ts): exact O(N·M) sums by recurrences, or fast O(N + M log M) sums by
 * extirpolation and FFT (Press & Rybicki 1989). Options follow astropy's LombScargle
 * (fit_mean, center_data, nterms, normalization) so results can be compared directly.
 */
import { TimeseriesError, requireInteger } from './errors.js';
import { validateGrid, type FrequencyGrid } from './frequency-grid.js';
import { choleskySolve } from './linalg.js';
import { prepareSeries, validateSeries, type PreparedBand, type PreparedSeries, type SeriesInput } from './series.js';
import { computeSums, gridCount, type SumsJob } from './sums.js';
import { DEFAULT_FAST_SETTINGS, fastGeometry, type FastSumSettings } from './trig-sums.js';

export type Normalization = 'standard' | 'model' | 'log' | 'psd';
export type PeriodogramMethod = 'auto' | 'fast' | 'exact';

/** What can compute sums jobs in parallel (a PeriodogramPool). */
export interface SumsExecutor {
  computeSums(job: SumsJob): Promise<Float64Array>;
}

export interface LombScargleOptions {
  /** Fourier terms of the model (default 1). */
  nterms?: number;
  /** Fit a constant offset at every frequency (default true: the floating mean). */
  fitMean?: boolean;
  /** Subtract the weighted mean of y first (default true). */
  centerData?: boolean;
  normalization?: Normalization;
  /** 'auto' (default) picks the exact sums when they are cheap, else the fast ones. */
  method?: PeriodogramMethod;
  /** Settings of the fast method (see DEFAULT_FAST_SETTINGS). */
  fast?: Partial<FastSumSettings>;
}

export interface ResolvedOptions {
  nterms: number;
  fitMean: boolean;
  centerData: boolean;
  normalization: Normalization;
  method: 'exact' | 'fast';
  fast: FastSumSettings;
}

/** Data whose weighted variance is below this fraction of their mean square count as constant. */
export const CONSTANT_TOLERANCE = 1e-24;

/** Most Fourier terms accepted (the per-frequency solve grows as nterms³). */
export const MAX_NTERMS = 16;

const NORMALIZATIONS: readonly Normalization[] = ['standard', 'model', 'log', 'psd'];

/**
 * The method 'auto' resolves to: exact when it is cheap in absolute terms (about 10 ms)
 * or below about 1.5 × the fast method's estimated cost — it is then also more accurate —
 * else fast. Explicit frequency arrays always use the exact sums.
 */
export function resolveMethod(
  nPoints: number,
  grid: FrequencyGrid | Float64Array,
  method: PeriodogramMethod = 'auto',
  fast: FastSumSettings = DEFAULT_FAST_SETTINGS,
  nterms = 1,
  spanCycles = 1,
  nBands = 1,
): 'exact' | 'fast' {
  if (grid instanceof Float64Array) {
    if (method === 'fast') throw new TimeseriesError('BAD_ARGUMENT', 'the fast method needs a regular frequency grid', { parameter: 'method' });
    return 'exact';
  }
  if (method === 'exact' || method === 'fast') return method;
  if (method !== 'auto') throw new TimeseriesError('BAD_ARGUMENT', `unknown method '${String(method)}' (use auto, fast or exact)`, { parameter: 'method' });
  const { subLength: L, residues: R } = fastGeometry(grid.count, fast, nPoints, spanCycles);
  // Costs in FFT "butterfly steps" (one point through one radix-2 stage); one exact
  // point-frequency step (a rotation and 2·nterms accumulations per harmonic) ≈ 5 of them.
  // The fast method has 3·nterms requests per band, each its own FFTs.
  const exactCost = 5 * nPoints * grid.count * nterms;
  const N = R * L;
  const perRequest = R * (L * Math.log2(L) + 3 * Math.min(N, N * spanCycles) + 2 * L) + (2 * nPoints * fast.order) / nBands;
  const fastCost = 3 * nterms * nBands * perRequest;
  return exactCost <= 2e7 || exactCost <= 1.5 * fastCost ? 'exact' : 'fast';
}

export function resolveOptions(
  nPoints: number,
  grid: FrequencyGrid | Float64Array,
  options: LombScargleOptions = {},
  spanDays?: number,
  nBands = 1,
): ResolvedOptions {
  const nterms = options.nterms ?? 1;
  requireInteger(nterms, 'nterms', 1, MAX_NTERMS);
  const normalization = options.normalization ?? 'standard';
  if (!NORMALIZATIONS.includes(normalization)) {
    throw new TimeseriesError('BAD_ARGUMENT', `unknown normalization '${String(normalization)}' (use ${NORMALIZATIONS.join(', ')})`, { parameter: 'normalization' });
  }
  const fast = { ...DEFAULT_FAST_SETTINGS, ...options.fast };
  requireInteger(fast.order, 'fast.order', 2, 24);
  if (!(fast.oversampling >= 1 && fast.oversampling <= 64)) {
    throw new TimeseriesError('BAD_ARGUMENT', `must be a number in [1, 64], got ${fast.oversampling}`, { parameter: 'fast.oversampling' });
  }
  if (grid instanceof Float64Array) {
    for (let k = 0; k < grid.length; k++) {
      if (!(grid[k] >= 0) || !Number.isFinite(grid[k])) throw new TimeseriesError('BAD_ARGUMENT', `frequency ${k} must be finite and ≥ 0, got ${grid[k]}`, { parameter: 'frequencies' });
    }
  } else validateGrid(grid);
  return {
    nterms,
    fitMean: options.fitMean ?? true,
    centerData: options.centerData ?? true,
    normalization,
    method: resolveMethod(nPoints, grid, options.method, fast, nterms, grid instanceof Float64Array || spanDays === undefined ? 1 : 2 * nterms * grid.step * spanDays, nBands),
    fast,
  };
}

/** The data and settings of one periodogram, ready for its sums. */
export interface PreparedPeriodogram {
  series: PreparedSeries;
  options: ResolvedOptions;
  job: SumsJob;
}

export function preparePeriodogram(input: SeriesInput, grid: FrequencyGrid | Float64Array, options: LombScargleOptions = {}): PreparedPeriodogram {
  const v = validateSeries(input, 1);
  const resolved = resolveOptions(v.t.length, grid, options, timeSpan(v.t));
  const minPoints = 2 * resolved.nterms + (resolved.fitMean ? 1 : 0);
  if (v.t.length < minPoints) {
    throw new TimeseriesError('TOO_FEW_POINTS', `a ${resolved.nterms}-term model${resolved.fitMean ? ' with a floating mean' : ''} needs at least ${minPoints} points, got ${v.t.length}`, {
      parameter: 't',
    });
  }
  const series = prepareSeries(v.t, v.y, v.dy, resolved.centerData);
  return { series, options: resolved, job: jobFor(series.bands, resolved, grid) };
}

function jobFor(bands: PreparedBand[], o: ResolvedOptions, grid: FrequencyGrid | Float64Array): SumsJob {
  return { bands: bands.map((b) => ({ t: b.t, w: b.w, wy: b.wy })), nterms: o.nterms, method: o.method, grid, fast: o.fast };
}

/** max(t) − min(t). */
export function timeSpan(t: ArrayLike<number>): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < t.length; i++) {
    if (t[i] < lo) lo = t[i];
    if (t[i] > hi) hi = t[i];
  }
  return t.length > 0 ? hi - lo : 0;
}

/** The periodogram of `input` on `grid` (cycles/day) computed on the calling thread. */
export function lombScargle(input: SeriesInput, grid: FrequencyGrid | Float64Array, options: LombScargleOptions = {}): Float64Array {
  const p = preparePeriodogram(input, grid, options);
  return assembleSingleBand(p.series, p.options, computeSums(p.job), gridCount(grid));
}

/** The same periodogram with the sums spread over a worker pool (or on this thread without one). */
export async function lombScargleAsync(
  input: SeriesInput,
  grid: FrequencyGrid | Float64Array,
  options: LombScargleOptions & { pool?: SumsExecutor } = {},
): Promise<Float64Array> {
  const p = preparePeriodogram(input, grid, options);
  const sums = options.pool ? await options.pool.computeSums(p.job) : computeSums(p.job);
  return assembleSingleBand(p.series, p.options, sums, gridCount(grid));
}

/** χ²_ref in normalised weights: about the weighted mean when a mean is fitted or removed, else about zero. */
export function referenceChi2(series: PreparedSeries, o: Pick<ResolvedOptions, 'fitMean' | 'centerData'>): number {
  const b = series.bands[0];
  return o.fitMean || o.centerData ? b.sumWYY - (b.sumWY * b.sumWY) / b.sumW : b.sumWYY;
}

/**
 * Powers from the sums of a single band. For one term with a floating mean the 3×3 fit
 * is solved in closed form (the constant eliminated first); otherwise by Cholesky.
 */
export function assembleSingleBand(series: PreparedSeries, o: ResolvedOptions, sums: Float64Array, m: number): Float64Array {
  const band = series.bands[0];
  const h = o.nterms;
  const power = new Float64Array(m);
  const chi2Ref = referenceChi2(series, o);
  const yyTotal = band.sumWYY;
  const W = band.sumW;
  const Y = band.sumWY;
  if (!(chi2Ref > CONSTANT_TOLERANCE * series.yScale2)) return power; // constant data: nothing to explain
  if (h === 1) {
    const oC = 0;
    const oS = m;
    const oC2 = 2 * m;
    const oS2 = 3 * m;
    const oYC = 4 * m;
    const oYS = 5 * m;
    for (let k = 0; k < m; k++) {
      const C = sums[oC + k];
      const S = sums[oS + k];
      const C2 = sums[oC2 + k];
      const S2 = sums[oS2 + k];
      let CC = 0.5 * (W + C2);
      let SS = 0.5 * (W - C2);
      let CS = 0.5 * S2;
      let YC = sums[oYC + k];
      let YS = sums[oYS + k];
      if (o.fitMean) {
        CC -= (C * C) / W;
        SS -= (S * S) / W;
        CS -= (C * S) / W;
        YC -= (Y * C) / W;
        YS -= (Y * S) / W;
      }
      const D = CC * SS - CS * CS;
      if (!(D > 0)) continue;
      const explained = (SS * YC * YC + CC * YS * YS - 2 * CS * YC * YS) / D;
      const chi2 = (o.fitMean ? yyTotal - (Y * Y) / W : yyTotal) - explained;
      power[k] = normalizePower(chi2Ref, chi2, o.normalization, series.sumRawWeight);
    }
    return power;
  }
  const kDim = 2 * h + (o.fitMean ? 1 : 0);
  const a = new Float64Array(kDim * kDim);
  const rhs = new Float64Array(kDim);
  const beta = new Float64Array(kDim);
  for (let k = 0; k < m; k++) {
    fillNormalEquations(sums, 0, h, m, k, W, Y, o.fitMean, a, rhs, kDim);
    beta.set(rhs);
    if (!choleskySolve(a, beta, kDim)) continue;
    let explained = 0;
    for (let i = 0; i < kDim; i++) explained += beta[i] * rhs[i];
    const chi2 = yyTotal - explained;
    power[k] = normalizePower(chi2Ref, chi2, o.normalization, series.sumRawWeight);
  }
  return power;
}

/** Re and Im of w@n (n may be 0 or negative: w@0 = W, w@−n = conj(w@n)). */
function wHarmonic(sums: Float64Array, q0: number, m: number, k: number, n: number, W: number, part: 0 | 1): number {
  if (n === 0) return part === 0 ? W : 0;
  const an = Math.abs(n);
  const v = sums[(2 * (q0 + an - 1) + part) * m + k];
  return part === 1 && n < 0 ? -v : v;
}

/**
 * One band's normal equations at frequency k, written into `a` (dim×dim, zeroed first) and
 * `rhs`, for the columns [offset] cos1 sin1 … cosH sinH (offset only when `withOffset`).
 * The band's sums start at request q0 = 3·H·band.
 */
export function fillNormalEquations(
  sums: Float64Array,
  q0: number,
  h: number,
  m: number,
  k: number,
  W: number,
  Y: number,
  withOffset: boolean,
  a: Float64Array,
  rhs: Float64Array,
  dim: number,
): void {
  a.fill(0);
  rhs.fill(0);
  const base = withOffset ? 1 : 0;
  // Column of cos(h·) is cosCol(h), sin is cosCol(h) + 1.
  const cosCol = (hh: number): number => base + 2 * (hh - 1);
  if (withOffset) {
    a[0] = W;
    rhs[0] = Y;
    for (let p = 1; p <= h; p++) {
      const c = cosCol(p);
      const re = wHarmonic(sums, q0, m, k, p, W, 0);
      const im = wHarmonic(sums, q0, m, k, p, W, 1);
      a[c] = a[c * dim] = re;
      a[c + 1] = a[(c + 1) * dim] = im;
    }
  }
  for (let p = 1; p <= h; p++) {
    const cp = cosCol(p);
    const yRe = sums[(2 * (q0 + 2 * h + p - 1)) * m + k];
    const yIm = sums[(2 * (q0 + 2 * h + p - 1) + 1) * m + k];
    rhs[cp] += yRe;
    rhs[cp + 1] += yIm;
    for (let r = 1; r <= h; r++) {
      const cr = cosCol(r);
      const dRe = wHarmonic(sums, q0, m, k, p - r, W, 0);
      const dIm = wHarmonic(sums, q0, m, k, p - r, W, 1);
      const sRe = wHarmonic(sums, q0, m, k, p + r, W, 0);
      const sIm = wHarmonic(sums, q0, m, k, p + r, W, 1);
      a[cp * dim + cr] += 0.5 * (dRe + sRe); // cos p · cos r
      a[(cp + 1) * dim + cr + 1] += 0.5 * (dRe - sRe); // sin p · sin r
      a[(cp + 1) * dim + cr] += 0.5 * (sIm + dIm); // sin p · cos r
      a[cp * dim + cr + 1] += 0.5 * (sIm - dIm); // cos p · sin r = sin r · cos p
    }
  }
}

/** A power in the chosen normalisation from χ² and χ²_ref (normalised weights). */
export function normalizePower(chi2Ref: number, chi2: number, normalization: Normalization, sumRawWeight: number): number {
  switch (normalization) {
    case 'standard':
      return (chi2Ref - chi2) / chi2Ref;
    case 'model':
      return (chi2Ref - chi2) / chi2;
    case 'log':
      return Math.log(chi2Ref / chi2);
    case 'psd':
      return 0.5 * (chi2Ref - chi2) * sumRawWeight;
  }
}

/** A power converted to the 'standard' normalisation (psd needs χ²_ref in raw weights, i.e. Σ(y−ȳ)²/dy²). */
export function toStandardPower(power: number, normalization: Normalization, chi2RefRaw?: number): number {
  switch (normalization) {
    case 'standard':
      return power;
    case 'model':
      return power / (1 + power);
    case 'log':
      return 1 - Math.exp(-power);
    case 'psd':
      if (chi2RefRaw === undefined || !(chi2RefRaw > 0)) {
        throw new TimeseriesError('BAD_ARGUMENT', 'converting a psd power needs the reference χ² of the data', { parameter: 'chi2RefRaw' });
      }
      return (2 * power) / chi2RefRaw;
  }
}
