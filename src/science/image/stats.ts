/**
 * Robust statistics over pixel values: quickselect medians, sigma-clipped mean / median /
 * standard deviation (astropy's sigma_clipped_stats semantics), and the histogram mode
 * estimate of Source Extractor. Every function skips NaN / ±Infinity and, when given a
 * mask plane, pixels with any of `maskBits` set; none modifies its input (work happens on
 * a scratch copy, which callers may pass in to avoid allocating in loops).
 */
import { ImageError } from './errors.js';
import { checkMask, MaskBit } from './mask.js';

export type NumericArray = Float32Array | Float64Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Uint8Array | Int8Array;
export type FloatArray = Float32Array | Float64Array;

/** A row-major image: `data[y * width + x]`, pixel (0, 0) the centre of the first pixel. */
export interface Image2D<T extends NumericArray = Float32Array> {
  data: T;
  width: number;
  height: number;
}

export interface ValueFilter {
  /** Pixels with `(mask[i] & maskBits) !== 0` are ignored. */
  mask?: Uint8Array;
  /** Which mask bits reject a pixel (default: any). */
  maskBits?: number;
}

/** 1.4826…: MAD × this = σ for normal data (1 / Φ⁻¹(3/4)). */
export const MAD_TO_SIGMA = 1 / 0.6744897501960817;

// ---------------------------------------------------------------------------------------
// Selection

/**
 * Rearranges `a[lo..hi]` (inclusive) in place so that `a[k]` holds the value it would
 * have after sorting, everything before it is ≤ and everything after is ≥; returns a[k].
 * Hoare partition around a median-of-three pivot; expected O(n). No NaN in the range.
 */
export function quickselect(a: FloatArray, k: number, lo = 0, hi = a.length - 1): number {
  if (!(k >= lo && k <= hi)) throw new ImageError('BAD_ARGUMENT', `k = ${k} outside [${lo}, ${hi}]`, { parameter: 'k' });
  while (hi > lo) {
    if (hi - lo < 16) {
      // Insertion sort of short ranges: fewer compares than partitioning.
      for (let i = lo + 1; i <= hi; i++) {
        const v = a[i];
        let j = i - 1;
        while (j >= lo && a[j] > v) {
          a[j + 1] = a[j];
          j--;
        }
        a[j + 1] = v;
      }
      return a[k];
    }
    const mid = (lo + hi) >>> 1;
    // Order a[lo], a[mid], a[hi]; the median of the three becomes the pivot.
    if (a[mid] < a[lo]) swap(a, mid, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[mid]) swap(a, hi, mid);
    const pivot = a[mid];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and a[j+1..i-1] == pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: FloatArray, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

/**
 * Median of `buf[0..n)`, reordering `buf` in place (numpy convention: the mean of the two
 * middle values when n is even). NaN when n = 0. The values must be finite.
 */
export function medianInPlace(buf: FloatArray, n: number = buf.length): number {
  if (n <= 0) return NaN;
  const half = n >>> 1;
  const upper = quickselect(buf, half, 0, n - 1);
  if (n & 1) return upper;
  // The lower middle is the largest value left of `half` after selection.
  let lower = buf[0];
  for (let i = 1; i < half; i++) if (buf[i] > lower) lower = buf[i];
  return (lower + upper) / 2;
}

/**
 * Copies the valid values of `values` (finite and not masked) into `out` and returns how
 * many there are. `out` must have room for `values.length`.
 */
export function gatherValid(values: ArrayLike<number>, out: FloatArray, filter: ValueFilter = {}): number {
  const { mask } = filter;
  checkMask(mask, values.length);
  if (out.length < values.length) throw new ImageError('BAD_ARGUMENT', `scratch holds ${out.length} values, need ${values.length}`, { parameter: 'scratch' });
  const bits = filter.maskBits ?? MaskBit.ANY;
  let n = 0;
  if (mask) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v - v === 0 && (mask[i] & bits) === 0) out[n++] = v;
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v - v === 0) out[n++] = v;
    }
  }
  return n;
}

/** NaN-aware (and mask-aware) median; NaN when no value is valid. `scratch` avoids an allocation. */
export function median(values: ArrayLike<number>, filter: ValueFilter & { scratch?: FloatArray } = {}): number {
  const buf = filter.scratch ?? new Float64Array(values.length);
  const n = gatherValid(values, buf, filter);
  return medianInPlace(buf, n);
}

/** Mean and standard deviation (divisor n − ddof) of `buf[0..n)`; two-pass for accuracy. */
export function meanStd(buf: ArrayLike<number>, n: number = buf.length, ddof = 0): { mean: number; std: number } {
  if (n <= 0) return { mean: NaN, std: NaN };
  let s = 0;
  for (let i = 0; i < n; i++) s += buf[i];
  const mean = s / n;
  let ss = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const d = buf[i] - mean;
    ss += d * d;
    c += d;
  }
  // Compensated: subtracting c²/n removes the rounding error of the mean.
  const dof = n - ddof;
  const variance = dof > 0 ? Math.max(0, (ss - (c * c) / n) / dof) : NaN;
  return { mean, std: Math.sqrt(variance) };
}

/**
 * Median absolute deviation about `center` of `buf[0..n)`, using `work` (length ≥ n) as
 * scratch; `buf` itself is not reordered.
 */
export function madOf(buf: FloatArray, n: number, center: number, work: FloatArray): number {
  for (let i = 0; i < n; i++) work[i] = Math.abs(buf[i] - center);
  return medianInPlace(work, n);
}

/** 1.4826 × the median absolute deviation from the median (NaN- and mask-aware; astropy's mad_std). */
export function madStd(values: ArrayLike<number>, filter: ValueFilter = {}): number {
  const buf = new Float64Array(values.length);
  const n = gatherValid(values, buf, filter);
  if (n === 0) return NaN;
  const med = medianInPlace(buf, n);
  return MAD_TO_SIGMA * madOf(buf, n, med, new Float64Array(n));
}

// ---------------------------------------------------------------------------------------
// Sigma clipping

export interface SigmaClipOptions extends ValueFilter {
  /** Clipping threshold in standard deviations, both sides (default 3). */
  sigma?: number;
  /** Lower / upper thresholds when they differ (default `sigma`). */
  sigmaLower?: number;
  sigmaUpper?: number;
  /** Maximum clipping iterations; `Infinity` clips until nothing changes (default 5). */
  maxIters?: number;
  /** Centre of the clipping interval (default 'median'). */
  cenfunc?: 'median' | 'mean';
  /** Width of the clipping interval: population std or 1.4826 × MAD (default 'std'). */
  stdfunc?: 'std' | 'mad_std';
  /** Delta degrees of freedom of the returned std (default 0, like astropy). */
  ddof?: number;
  /** Scratch of length ≥ 2 × values.length (float64 recommended) to avoid allocating. */
  scratch?: FloatArray;
}

export interface ClippedStats {
  mean: number;
  median: number;
  std: number;
  /** Values that survived clipping. */
  count: number;
  /** Clipping iterations performed (the last one may have removed nothing). */
  iterations: number;
  /** Final clipping interval [lower, upper]; values outside were rejected. */
  lower: number;
  upper: number;
}

/**
 * Sigma-clipped statistics with the semantics of astropy.stats.sigma_clipped_stats: each
 * iteration computes the centre (median or mean) and width (std or MAD-std) of the values
 * still in, and rejects values below centre − σL·width or above centre + σU·width; it
 * stops after `maxIters` iterations or when an iteration rejects nothing. Returns the
 * mean, median and std (ddof) of the survivors; all NaN with count 0 when nothing is valid.
 */
export function sigmaClippedStats(values: ArrayLike<number>, opts: SigmaClipOptions = {}): ClippedStats {
  const scratch = opts.scratch ?? new Float64Array(2 * values.length);
  if (scratch.length < 2 * values.length) throw new ImageError('BAD_ARGUMENT', `scratch holds ${scratch.length} values, need ${2 * values.length}`, { parameter: 'scratch' });
  const n = values.length;
  const buf = scratch.subarray(0, n);
  const work = scratch.subarray(n, 2 * n);
  const count = gatherValid(values, buf, opts);
  return sigmaClipBuffer(buf, count, work, opts);
}

/**
 * Sigma-clipped statistics of the finite values `buf[0..count)` (reordered in place; the
 * survivors end up in `buf[0..result.count)`). `work` (length ≥ count) is scratch.
 * The combination kernel of calibration frames calls this per pixel.
 */
export function sigmaClipBuffer(buf: FloatArray, count: number, work: FloatArray, opts: SigmaClipOptions = {}): ClippedStats {
  const sigmaLower = opts.sigmaLower ?? opts.sigma ?? 3;
  const sigmaUpper = opts.sigmaUpper ?? opts.sigma ?? 3;
  const maxIters = opts.maxIters ?? 5;
  if (!(sigmaLower >= 0) || !(sigmaUpper >= 0)) throw new ImageError('BAD_ARGUMENT', `sigma must be ≥ 0 (got ${sigmaLower}, ${sigmaUpper})`, { parameter: 'sigma' });
  if (!(maxIters >= 0)) throw new ImageError('BAD_ARGUMENT', `maxIters must be ≥ 0 (got ${maxIters})`, { parameter: 'maxIters' });
  const useMedian = (opts.cenfunc ?? 'median') === 'median';
  const useMad = opts.stdfunc === 'mad_std';
  let n = count;
  let iterations = 0;
  let lower = -Infinity;
  let upper = Infinity;
  while (iterations < maxIters && n > 0) {
    iterations++;
    let centre: number;
    let width: number;
    if (useMad) {
      centre = useMedian ? medianInPlace(buf, n) : meanStd(buf, n).mean;
      width = MAD_TO_SIGMA * madOf(buf, n, useMedian ? centre : medianInPlace(buf, n), work);
    } else {
      const ms = meanStd(buf, n);
      centre = useMedian ? medianInPlace(buf, n) : ms.mean;
      width = ms.std;
    }
    lower = centre - sigmaLower * width;
    upper = centre + sigmaUpper * width;
    let kept = 0;
    for (let i = 0; i < n; i++) {
      const v = buf[i];
      if (v >= lower && v <= upper) buf[kept++] = v;
    }
    if (kept === n) break;
    n = kept;
  }
  const ms = meanStd(buf, n, opts.ddof ?? 0);
  // medianInPlace reorders but keeps the same set in buf[0..n).
  const med = medianInPlace(buf, n);
  return { mean: ms.mean, median: med, std: ms.std, count: n, iterations, lower, upper };
}

// ---------------------------------------------------------------------------------------
// Mode

/**
 * Source Extractor's mode rule, from a clipped distribution's mean, median and std:
 * mode = 2.5 × median − 1.5 × mean when |mean − median| < 0.3 × std (a mildly skewed,
 * uncrowded distribution, where Pearson's relation holds); otherwise the median (a crowded
 * field, where the relation over-corrects). With std = 0 the mean.
 */
export function seModeRule(mean: number, med: number, std: number): number {
  if (!(std > 0)) return mean;
  return Math.abs(mean - med) < 0.3 * std ? 2.5 * med - 1.5 * mean : med;
}

export interface ModeEstimate {
  /** Mode estimate (see seModeRule). */
  mode: number;
  /** Standard deviation of the clipped distribution (population). */
  std: number;
  /** Mean and median of the clipped distribution. */
  mean: number;
  median: number;
  /** Valid values used. */
  count: number;
}

/** Histogram size limits of the mode estimate (Source Extractor's quantisation). */
const HIST_NSIGMA = 5; // the histogram spans mean ± 5σ of the 2σ-clipped values
const HIST_MAX_LEVELS = 4096;
const HIST_STEP = (Math.sqrt(2 / Math.PI) * HIST_NSIGMA) / 4; // ~4 counts per level at the peak
const HIST_MAX_ITERS = 100;
const HIST_EPS = 1e-4;

/**
 * Histogram mode estimate of the finite values `buf[0..n)` (not modified), as Source
 * Extractor estimates a background mesh:
 *  1. mean and σ of all values, then of those within mean ± 2σ;
 *  2. a histogram over that mean ± 5σ with about four counts per bin at the peak (at most
 *     4096 bins);
 *  3. clip the histogram at median ± 3σ of what is inside, repeatedly, until σ changes by
 *     less than 1e-4 (relative) or drops below a tenth of a bin (at most 100 times);
 *  4. mode from the mean, median (interpolated within its bin) and σ of the clipped
 *     histogram by `seModeRule`; the returned std is that clipped σ.
 * `hist` (Int32Array of ≥ 4096) avoids allocating per call.
 */
export function histogramMode(buf: ArrayLike<number>, n: number, hist: Int32Array = new Int32Array(HIST_MAX_LEVELS)): ModeEstimate {
  if (hist.length < HIST_MAX_LEVELS) throw new ImageError('BAD_ARGUMENT', `histogram scratch holds ${hist.length} bins, need ${HIST_MAX_LEVELS}`, { parameter: 'hist' });
  if (n <= 0) return { mode: NaN, std: NaN, mean: NaN, median: NaN, count: 0 };
  // One pass each for the first mean / σ and the 2σ-clipped ones: sums shifted by the first
  // value keep the variance accurate for a sky far from zero.
  const k0 = buf[0];
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const d = buf[i] - k0;
    s1 += d;
    s2 += d * d;
  }
  const mean1 = s1 / n;
  const sigma1 = Math.sqrt(Math.max(0, s2 / n - mean1 * mean1));
  let lo = k0 + mean1 - 2 * sigma1;
  let hi = k0 + mean1 + 2 * sigma1;
  s1 = 0;
  s2 = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = buf[i];
    if (v >= lo && v <= hi) {
      const d = v - k0;
      s1 += d;
      s2 += d * d;
      m++;
    }
  }
  if (m === 0) return { mode: k0 + mean1, std: sigma1, mean: k0 + mean1, median: k0 + mean1, count: n };
  const c1 = s1 / m;
  const mean2 = k0 + c1;
  const sigma2 = Math.sqrt(Math.max(0, s2 / m - c1 * c1));
  if (!(sigma2 > 0)) return { mode: mean2, std: 0, mean: mean2, median: mean2, count: n };

  const levels = Math.min(HIST_MAX_LEVELS, Math.floor(HIST_STEP * m + 1));
  const binWidth = (2 * HIST_NSIGMA * sigma2) / levels;
  const zero = mean2 - HIST_NSIGMA * sigma2; // value at the centre of bin 0
  hist.fill(0, 0, levels);
  const inv = 1 / binWidth;
  for (let i = 0; i < n; i++) {
    const b = Math.floor((buf[i] - zero) * inv + 0.5);
    if (b >= 0 && b < levels) hist[b]++;
  }

  lo = 0;
  hi = levels - 1;
  let sig = 10 * (levels - 1);
  let sigPrev = 1;
  let mea = 0;
  let med = 0;
  for (let it = 0; it < HIST_MAX_ITERS && sig >= 0.1 && Math.abs(sig / sigPrev - 1) > HIST_EPS; it++) {
    sigPrev = sig;
    let total = 0;
    let h1 = 0;
    let h2 = 0;
    for (let b = lo; b <= hi; b++) {
      const h = hist[b];
      total += h;
      h1 += h * b;
      h2 += h * b * b;
    }
    if (total === 0) break;
    mea = h1 / total;
    sig = Math.sqrt(Math.max(0, h2 / total - mea * mea));
    // Median: bin b spans [b − ½, b + ½]; interpolate linearly inside the crossing bin.
    const halfTotal = total / 2;
    let cum = 0;
    med = hi;
    for (let b = lo; b <= hi; b++) {
      const h = hist[b];
      if (cum + h >= halfTotal && h > 0) {
        med = b - 0.5 + (halfTotal - cum) / h;
        break;
      }
      cum += h;
    }
    const l = med - 3 * sig;
    const u = med + 3 * sig;
    lo = l > 0 ? Math.round(l) : 0;
    hi = u < levels - 1 ? Math.round(u) : levels - 1;
  }
  const mode = seModeRule(mea, med, sig);
  return { mode: zero + mode * binWidth, std: sig * binWidth, mean: zero + mea * binWidth, median: zero + med * binWidth, count: n };
}

/** Mode estimate of an array (NaN- and mask-aware): see `histogramMode`. */
export function modeEstimate(values: ArrayLike<number>, filter: ValueFilter & { scratch?: FloatArray } = {}): ModeEstimate {
  const buf = filter.scratch ?? new Float64Array(values.length);
  const n = gatherValid(values, buf, filter);
  return histogramMode(buf, n);
}
