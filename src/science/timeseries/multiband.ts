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
import { choleskyFactor, choleskySolve, choleskySolveFactored } from './linalg.js';
import { CONSTANT_TOLERANCE, normalizePower, resolveOptions, timeSpan, type LombScargleOptions, type Normalization, type SumsExecutor } from './lombscargle.js';
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
  const resolved = resolveOptions(v.t.length, grid, { nterms: h, method: options.method, fast: options.fast, normalization: options.normalization }, timeSpan(v.t), labels.length);
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
  else if (p.nband === 0) sharedShapeSolve(p, sums, m, chi2Ref, power);
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

/**
 * Nband = 0, any Nbase: only the offsets are per band. Eliminating them leaves
 *   S = A − Σ_b a_b a_bᵀ / W_b,   t = r − Σ_b a_b Y_b / W_b,
 * where A and r are the base-term normal equations of all points together (built from
 * the sums of all bands added up) and a_b holds band b's sums of its base columns.
 */
function sharedShapeSolve(p: PreparedMultiband, sums: Float64Array, m: number, chi2Ref: number, power: Float64Array): void {
  const bands = p.series.bands;
  const B = bands.length;
  const h = p.nbase;
  const nb = 2 * h;
  const wc = new Float64Array(2 * h + 1);
  const ws = new Float64Array(2 * h + 1);
  const yc = new Float64Array(h + 1);
  const ys = new Float64Array(h + 1);
  const a = new Float64Array(nb);
  const S = new Float64Array(nb * nb);
  const t = new Float64Array(nb);
  const beta = new Float64Array(nb);
  let wTotal = 0;
  for (const b of bands) wTotal += b.sumW;
  for (let k = 0; k < m; k++) {
    wc.fill(0);
    ws.fill(0);
    yc.fill(0);
    ys.fill(0);
    wc[0] = wTotal;
    for (let b = 0; b < B; b++) {
      const q0 = 3 * h * b;
      for (let n = 1; n <= 2 * h; n++) {
        wc[n] += sums[2 * (q0 + n - 1) * m + k];
        ws[n] += sums[(2 * (q0 + n - 1) + 1) * m + k];
      }
      for (let n = 1; n <= h; n++) {
        yc[n] += sums[2 * (q0 + 2 * h + n - 1) * m + k];
        ys[n] += sums[(2 * (q0 + 2 * h + n - 1) + 1) * m + k];
      }
    }
    // Base columns: i = 2(n−1) is cos(n·), i + 1 is sin(n·).
    for (let i = 0; i < nb; i++) {
      const pi = (i >> 1) + 1;
      const si = i & 1;
      t[i] = si ? ys[pi] : yc[pi];
      for (let j = 0; j < nb; j++) {
        const pj = (j >> 1) + 1;
        const sj = j & 1;
        const d = pi - pj;
        const ad = d < 0 ? -d : d;
        const imd = d < 0 ? -ws[ad] : ws[ad];
        const sum = pi + pj;
        S[i * nb + j] = si === 0 ? (sj === 0 ? 0.5 * (wc[ad] + wc[sum]) : 0.5 * (ws[sum] - imd)) : sj === 0 ? 0.5 * (ws[sum] + imd) : 0.5 * (wc[ad] - wc[sum]);
      }
    }
    for (let b = 0; b < B; b++) {
      const W = bands[b].sumW;
      if (!(W > 0)) continue;
      const Y = bands[b].sumWY;
      const q0 = 3 * h * b;
      for (let i = 0; i < nb; i++) a[i] = sums[(2 * (q0 + (i >> 1)) + (i & 1)) * m + k];
      for (let i = 0; i < nb; i++) {
        t[i] -= (a[i] * Y) / W;
        for (let j = 0; j < nb; j++) S[i * nb + j] -= (a[i] * a[j]) / W;
      }
    }
    beta.set(t);
    if (!choleskySolve(S, beta, nb)) continue;
    let explained = 0;
    for (let i = 0; i < nb; i++) explained += t[i] * beta[i];
    power[k] = normalizePower(chi2Ref, chi2Ref - explained, p.normalization, p.series.sumRawWeight);
  }
}

/** Column types of the design matrix: a band's offset, or cos/sin of harmonic n. */
const OFFSET = 0;
const COS = 1;
const SIN = 2;

/**
 * Any (Nbase, Nband): the normal equations with the band blocks (offset and band terms,
 * which couple only to the base terms) eliminated band by band — a Schur complement — so
 * the cost grows linearly with the number of bands. With A_bb⁻¹ the band block's inverse,
 *   explained χ² = Σ_b r_bᵀA_bb⁻¹r_b + t̃ᵀS̃⁻¹t̃,  S̃ = A_base − Σ_b A_bxᵀA_bb⁻¹A_bx,
 *   t̃ = r_base − Σ_b A_bxᵀA_bb⁻¹r_b.
 */
function generalSolve(p: PreparedMultiband, sums: Float64Array, m: number, chi2Ref: number, power: Float64Array): void {
  const bands = p.series.bands;
  const B = bands.length;
  const h = Math.max(p.nbase, p.nband);
  const nb = 2 * p.nbase;
  const no = 1 + 2 * p.nband;
  const baseType = new Int32Array(nb);
  const baseN = new Int32Array(nb);
  for (let n = 1; n <= p.nbase; n++) {
    baseType[2 * n - 2] = COS;
    baseType[2 * n - 1] = SIN;
    baseN[2 * n - 2] = baseN[2 * n - 1] = n;
  }
  const ownType = new Int32Array(no);
  const ownN = new Int32Array(no);
  ownType[0] = OFFSET;
  for (let n = 1; n <= p.nband; n++) {
    ownType[2 * n - 1] = COS;
    ownType[2 * n] = SIN;
    ownN[2 * n - 1] = ownN[2 * n] = n;
  }
  // Per band at one frequency: Re/Im of the w-sums at harmonics 0…2H, of the wy-sums at 0…H.
  const wc = new Float64Array(2 * h + 1);
  const ws = new Float64Array(2 * h + 1);
  const yc = new Float64Array(h + 1);
  const ys = new Float64Array(h + 1);
  const S = new Float64Array(nb * nb);
  const t = new Float64Array(nb);
  const abb = new Float64Array(no * no);
  const abx = new Float64Array(no * nb); // row i: band column i against base columns
  const rb = new Float64Array(no);
  const z = new Float64Array(no);
  const col = new Float64Array(no);
  const beta = new Float64Array(nb);
  const sCopy = new Float64Array(nb * nb);
  for (let k = 0; k < m; k++) {
    S.fill(0);
    t.fill(0);
    let explained = 0;
    let ok = true;
    for (let b = 0; b < B && ok; b++) {
      const bd = bands[b];
      if (!(bd.sumW > 0)) continue;
      const q0 = 3 * h * b;
      wc[0] = bd.sumW;
      ws[0] = 0;
      for (let n = 1; n <= 2 * h; n++) {
        wc[n] = sums[2 * (q0 + n - 1) * m + k];
        ws[n] = sums[(2 * (q0 + n - 1) + 1) * m + k];
      }
      yc[0] = bd.sumWY;
      ys[0] = 0;
      for (let n = 1; n <= h; n++) {
        yc[n] = sums[2 * (q0 + 2 * h + n - 1) * m + k];
        ys[n] = sums[(2 * (q0 + 2 * h + n - 1) + 1) * m + k];
      }
      for (let i = 0; i < nb; i++) {
        t[i] += project(baseType[i], baseN[i], yc, ys);
        for (let j = 0; j < nb; j++) S[i * nb + j] += gram(baseType[i], baseN[i], baseType[j], baseN[j], wc, ws);
      }
      for (let i = 0; i < no; i++) {
        rb[i] = project(ownType[i], ownN[i], yc, ys);
        for (let j = 0; j < no; j++) abb[i * no + j] = gram(ownType[i], ownN[i], ownType[j], ownN[j], wc, ws);
        if (i > 0) abb[i * no + i] *= 1 + p.regularization;
        for (let j = 0; j < nb; j++) abx[i * nb + j] = gram(ownType[i], ownN[i], baseType[j], baseN[j], wc, ws);
      }
      if (!choleskyFactor(abb, no)) {
        ok = false;
        break;
      }
      // z = A_bb⁻¹ r_b: this band's own explained part and its correction to t.
      z.set(rb);
      choleskySolveFactored(abb, z, no);
      for (let i = 0; i < no; i++) explained += rb[i] * z[i];
      for (let j = 0; j < nb; j++) {
        let s2 = 0;
        for (let i = 0; i < no; i++) s2 += abx[i * nb + j] * z[i];
        t[j] -= s2;
      }
      // S −= A_bxᵀ A_bb⁻¹ A_bx, one base column at a time.
      for (let j = 0; j < nb; j++) {
        for (let i = 0; i < no; i++) col[i] = abx[i * nb + j];
        choleskySolveFactored(abb, col, no);
        for (let l = 0; l < nb; l++) {
          let s2 = 0;
          for (let i = 0; i < no; i++) s2 += abx[i * nb + l] * col[i];
          S[l * nb + j] -= s2;
        }
      }
    }
    if (!ok) continue;
    if (nb > 0) {
      sCopy.set(S);
      beta.set(t);
      if (!choleskySolve(sCopy, beta, nb)) continue;
      for (let i = 0; i < nb; i++) explained += t[i] * beta[i];
    }
    power[k] = normalizePower(chi2Ref, chi2Ref - explained, p.normalization, p.series.sumRawWeight);
  }
}

/** Σ_band w·x·y for columns x = (type a, harmonic p), y = (type c, harmonic r); products of cos/sin as sums of harmonics. */
function gram(a: number, pa: number, c: number, pc: number, wc: Float64Array, ws: Float64Array): number {
  if (a === OFFSET) return c === OFFSET ? wc[0] : c === COS ? wc[pc] : ws[pc];
  if (c === OFFSET) return a === COS ? wc[pa] : ws[pa];
  const d = pa - pc;
  const ad = d < 0 ? -d : d;
  const sd = d < 0 ? -ws[ad] : ws[ad]; // Im w(p − r)
  const sum = pa + pc;
  if (a === COS && c === COS) return 0.5 * (wc[ad] + wc[sum]);
  if (a === SIN && c === SIN) return 0.5 * (wc[ad] - wc[sum]);
  if (a === SIN) return 0.5 * (ws[sum] + sd); // sin p · cos r
  return 0.5 * (ws[sum] - sd); // cos p · sin r
}

/** Σ_band w·y·x for a column. */
function project(a: number, n: number, yc: Float64Array, ys: Float64Array): number {
  return a === SIN ? ys[n] : yc[n];
}
