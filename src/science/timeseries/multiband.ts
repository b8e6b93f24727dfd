/**
 * Multi-band periodogram (VanderPlas & Ivezić 2015, ApJ 812, 18): one period fitted to all
 * bands at once. At each frequency f the model of band b is
 *
 *     y_b(t) = θ_b + Σ_{n=1..Nbase} [a_n cos 2πnft + b_n sin 2πnft]
 *                  + Σ_{n=1..Nband} [a_bn cos 2πnft + b_bn sin 2πnft],
 *
 * a shared "base" light curve plus, per band, an offset and Nband terms of its own (so the
 * bands may differ in mean and, with Nband ≥ 1, in amplitude and shape). The power is
 * 1 − χ²(f)/χ²_ref with χ²_ref the χ² of the per-band offsets alone (the other
 * normalisations as for the single-band periodogram). With Nband ≥ 1 and Nbase ≥ 1 the
 * band terms of the same harmonic are degenerate with the base terms, so, as in the
 * paper, a small ridge (`regularization` × their diagonal) is put on the band terms.
 *
 * The default (Nbase, Nband) = (1, 0) is the paper's shared-phase model that does best on
 * sparse data: one sinusoid with one amplitude, a separate mean per band.
 */
import { TimeseriesError, requireFinite, requireInteger } from './errors.js';
import type { FrequencyGrid } from './frequency-grid.js';
import { choleskySolve } from './linalg.js';
import { CONSTANT_TOLERANCE, normalizePower, resolveOptions, type LombScargleOptions, type Normalization, type SumsExecutor } from './lombscargle.js';
import { prepareSeries, validateSeries, type PreparedSeries } from './series.js';
import { computeSums, gridCount, type SumsJob } from './sums.js';

export interface MultibandInput {
  t: ArrayLike<number>;
  y: ArrayLike<number>;
  dy?: ArrayLike<number> | number;
  /** Band label of every point (filter name or number). */
  band: ArrayLike<string | number>;
}

export interface MultibandOptions {
  /** Terms of the shared base model (default 1). */
  nbase?: number;
  /** Terms of each band's own model (default 0). */
  nband?: number;
  normalization?: Normalization;
  method?: LombScargleOptions['method'];
  fast?: LombScargleOptions['fast'];
  /** Relative ridge on the band terms (default 1e-6; only used when nband ≥ 1). */
  regularization?: number;
}

export interface PreparedMultiband {
  series: PreparedSeries;
  labels: string[];
  nbase: number;
  nband: number;
  normalization: Normalization;
  regularization: number;
  job: SumsJob;
}

/** Band indices 0…B−1 in order of first appearance, and the labels. */
export function bandIndex(band: ArrayLike<string | number>): { index: Int32Array; labels: string[] } {
  const labels: string[] = [];
  const map = new Map<string, number>();
  const index = new Int32Array(band.length);
  for (let i = 0; i < band.length; i++) {
    const key = String(band[i]);
    let b = map.get(key);
    if (b === undefined) {
      b = labels.length;
      map.set(key, b);
      labels.push(key);
    }
    index[i] = b;
  }
  return { index, labels };
}

export function prepareMultiband(input: MultibandInput, grid: FrequencyGrid | Float64Array, options: MultibandOptions = {}): PreparedMultiband {
  const nbase = options.nbase ?? 1;
  const nband = options.nband ?? 0;
  requireInteger(nbase, 'nbase', 0, 16);
  requireInteger(nband, 'nband', 0, 16);
  if (nbase + nband === 0) throw new TimeseriesError('BAD_ARGUMENT', 'nbase and nband cannot both be 0 (there would be no periodic term)', { parameter: 'nbase' });
  const regularization = options.regularization ?? 1e-6;
  requireFinite(regularization, 'regularization', 0, 1);
  const v = validateSeries(input, 1);
  if (input.band?.length !== v.t.length) {
    throw new TimeseriesError('SIZE_MISMATCH', `band has ${input.band?.length} labels but t has ${v.t.length}`, { parameter: 'band' });
  }
  const { index, labels } = bandIndex(input.band);
  const nParams = 2 * nbase + labels.length * (1 + 2 * nband);
  if (v.t.length < nParams) {
    throw new TimeseriesError('TOO_FEW_POINTS', `the ${labels.length}-band model has ${nParams} parameters but there are only ${v.t.length} points`, { parameter: 't' });
  }
  const h = Math.max(nbase, nband);
  const resolved = resolveOptions(v.t.length, grid, { nterms: h, method: options.method, fast: options.fast, normalization: options.normalization });
  // Offsets are always fitted, so centring each band changes nothing but the rounding.
  const series = prepareSeries(v.t, v.y, v.dy, true, index, labels.length);
  const job: SumsJob = {
    bands: series.bands.map((b) => ({ t: b.t, w: b.w, wy: b.wy })),
    nterms: h,
    method: resolved.method,
    grid,
    fast: resolved.fast,
  };
  return { series, labels, nbase, nband, normalization: resolved.normalization, regularization, job };
}

/** The multi-band periodogram on the calling thread. */
export function multibandLombScargle(input: MultibandInput, grid: FrequencyGrid | Float64Array, options: MultibandOptions = {}): Float64Array {
  const p = prepareMultiband(input, grid, options);
  return assembleMultiband(p, computeSums(p.job), gridCount(grid));
}

/** The same with the sums spread over a worker pool. */
export async function multibandLombScargleAsync(
  input: MultibandInput,
  grid: FrequencyGrid | Float64Array,
  options: MultibandOptions & { pool?: SumsExecutor } = {},
): Promise<Float64Array> {
  const p = prepareMultiband(input, grid, options);
  const sums = options.pool ? await options.pool.computeSums(p.job) : computeSums(p.job);
  return assembleMultiband(p, sums, gridCount(grid));
}

/** χ² of per-band offsets alone (normalised weights). */
export function multibandReferenceChi2(series: PreparedSeries): number {
  let chi2 = 0;
  for (const b of series.bands) if (b.sumW > 0) chi2 += b.sumWYY - (b.sumWY * b.sumWY) / b.sumW;
  return chi2;
}

export function assembleMultiband(p: PreparedMultiband, sums: Float64Array, m: number): Float64Array {
  const power = new Float64Array(m);
  const chi2Ref = multibandReferenceChi2(p.series);
  if (!(chi2Ref > CONSTANT_TOLERANCE * p.series.yScale2)) return power;
  if (p.nbase === 1 && p.nband === 0) sharedPhaseClosedForm(p, sums, m, chi2Ref, power);
  else generalSolve(p, sums, m, chi2Ref, power);
  return power;
}

/**
 * (Nbase, Nband) = (1, 0): the per-band offsets are eliminated analytically (each band's
 * trigonometric sums centred on its own weighted mean), leaving a 2×2 system.
 */
function sharedPhaseClosedForm(p: PreparedMultiband, sums: Float64Array, m: number, chi2Ref: number, power: Float64Array): void {
  const bands = p.series.bands;
  const B = bands.length;
  for (let k = 0; k < m; k++) {
    let CC = 0;
    let SS = 0;
    let CS = 0;
    let YC = 0;
    let YS = 0;
    for (let b = 0; b < B; b++) {
      const W = bands[b].sumW;
      if (!(W > 0)) continue;
      const Y = bands[b].sumWY;
      const q = 3 * b;
      const C = sums[2 * q * m + k];
      const S = sums[(2 * q + 1) * m + k];
      const C2 = sums[(2 * q + 2) * m + k];
      const S2 = sums[(2 * q + 3) * m + k];
      const yc = sums[(2 * q + 4) * m + k];
      const ys = sums[(2 * q + 5) * m + k];
      CC += 0.5 * (W + C2) - (C * C) / W;
      SS += 0.5 * (W - C2) - (S * S) / W;
      CS += 0.5 * S2 - (C * S) / W;
      YC += yc - (Y * C) / W;
      YS += ys - (Y * S) / W;
    }
    const D = CC * SS - CS * CS;
    if (!(D > 0)) continue;
    const explained = (SS * YC * YC + CC * YS * YS - 2 * CS * YC * YS) / D;
    power[k] = normalizePower(chi2Ref, chi2Ref - explained, p.normalization, p.series.sumRawWeight);
  }
}

type Column = { kind: 'offset' } | { kind: 'cos' | 'sin'; n: number };

/** Any (Nbase, Nband): the full normal equations, solved by Cholesky at every frequency. */
function generalSolve(p: PreparedMultiband, sums: Float64Array, m: number, chi2Ref: number, power: Float64Array): void {
  const bands = p.series.bands;
  const B = bands.length;
  const h = Math.max(p.nbase, p.nband);
  const base: Column[] = [];
  for (let n = 1; n <= p.nbase; n++) base.push({ kind: 'cos', n }, { kind: 'sin', n });
  const own: Column[] = [{ kind: 'offset' }];
  for (let n = 1; n <= p.nband; n++) own.push({ kind: 'cos', n }, { kind: 'sin', n });
  const nb = base.length;
  const no = own.length;
  const dim = nb + B * no;
  const a = new Float64Array(dim * dim);
  const rhs = new Float64Array(dim);
  const beta = new Float64Array(dim);
  let yyTotal = 0;
  for (const b of bands) yyTotal += b.sumWYY;
  for (let k = 0; k < m; k++) {
    a.fill(0);
    rhs.fill(0);
    for (let b = 0; b < B; b++) {
      const bd = bands[b];
      if (!(bd.sumW > 0)) continue;
      const q0 = 3 * h * b;
      const gram = (x: Column, y: Column): number => gramEntry(sums, q0, h, m, k, bd.sumW, x, y);
      const proj = (x: Column): number => projection(sums, q0, h, m, k, bd.sumWY, x);
      const ob = nb + b * no;
      for (let i = 0; i < nb; i++) {
        rhs[i] += proj(base[i]);
        for (let j = 0; j < nb; j++) a[i * dim + j] += gram(base[i], base[j]);
        for (let j = 0; j < no; j++) {
          const g = gram(base[i], own[j]);
          a[i * dim + ob + j] += g;
          a[(ob + j) * dim + i] += g;
        }
      }
      for (let i = 0; i < no; i++) {
        rhs[ob + i] += proj(own[i]);
        for (let j = 0; j < no; j++) a[(ob + i) * dim + ob + j] += gram(own[i], own[j]);
        if (i > 0) a[(ob + i) * dim + ob + i] *= 1 + p.regularization;
      }
    }
    beta.set(rhs);
    if (!choleskySolve(a, beta, dim)) continue;
    let explained = 0;
    for (let i = 0; i < dim; i++) explained += beta[i] * rhs[i];
    // χ² = Σwy² − βᵀ(Xᵀwy); χ²_ref = Σwy² − Σ_b Y_b²/W_b.
    const chi2 = yyTotal - explained;
    power[k] = normalizePower(chi2Ref, chi2, p.normalization, p.series.sumRawWeight);
  }
}

/** Re (part 0) or Im (part 1) of the band's w-sum at harmonic n ∈ [−2H, 2H]. */
function wSum(sums: Float64Array, q0: number, m: number, k: number, n: number, W: number, part: 0 | 1): number {
  if (n === 0) return part === 0 ? W : 0;
  const v = sums[(2 * (q0 + Math.abs(n) - 1) + part) * m + k];
  return part === 1 && n < 0 ? -v : v;
}

/** Σ_band w·x·y for two model columns (products of cosines and sines as sums of harmonics). */
function gramEntry(sums: Float64Array, q0: number, _h: number, m: number, k: number, W: number, x: Column, y: Column): number {
  if (x.kind === 'offset' && y.kind === 'offset') return W;
  if (x.kind === 'offset') return wSum(sums, q0, m, k, (y as { n: number }).n, W, y.kind === 'cos' ? 0 : 1);
  if (y.kind === 'offset') return wSum(sums, q0, m, k, x.n, W, x.kind === 'cos' ? 0 : 1);
  const p = x.n;
  const r = y.n;
  if (x.kind === 'cos' && y.kind === 'cos') return 0.5 * (wSum(sums, q0, m, k, p - r, W, 0) + wSum(sums, q0, m, k, p + r, W, 0));
  if (x.kind === 'sin' && y.kind === 'sin') return 0.5 * (wSum(sums, q0, m, k, p - r, W, 0) - wSum(sums, q0, m, k, p + r, W, 0));
  if (x.kind === 'sin') return 0.5 * (wSum(sums, q0, m, k, p + r, W, 1) + wSum(sums, q0, m, k, p - r, W, 1));
  return 0.5 * (wSum(sums, q0, m, k, p + r, W, 1) - wSum(sums, q0, m, k, p - r, W, 1));
}

/** Σ_band w·y·x for a model column. */
function projection(sums: Float64Array, q0: number, h: number, m: number, k: number, Y: number, x: Column): number {
  if (x.kind === 'offset') return Y;
  return sums[(2 * (q0 + 2 * h + x.n - 1) + (x.kind === 'cos' ? 0 : 1)) * m + k];
}
