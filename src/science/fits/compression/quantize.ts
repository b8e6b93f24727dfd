/**
 * Quantization of floating-point tiles to scaled integers, and back (FITS Standard 4.0
 * §10.2; Pence, White & Seaman 2010, "Optimal compression of floating-point astronomical
 * images without significant loss of information", PASP 122, 1065).
 *
 * A float tile is stored as integers i with value = (i − r + 0.5) · ZSCALE + ZZERO, where
 * r is a uniform random offset in [0, 1) that is subtracted back on reading
 * (SUBTRACTIVE_DITHER_1), or r = 0.5 without dithering (NO_DITHER). The random offsets come
 * from a fixed, published sequence so every reader regenerates the same numbers.
 *
 * The step ZSCALE is the background noise σ divided by the quantization level q (fpack's
 * default q = 4 keeps the added noise at σ/√(12·16) ≈ 0.07σ, 0.26 % in quadrature).
 * σ is estimated from each tile with median absolute differences of pixels two apart along
 * rows (the DER_SNR estimators of Stoehr et al. 2008), which ignore smooth structure.
 */
import { FitsError } from '../errors.js';

export type QuantizeMethod = 'NO_DITHER' | 'SUBTRACTIVE_DITHER_1' | 'SUBTRACTIVE_DITHER_2';

/** Integer written for a null (NaN) pixel; also written as ZBLANK. */
export const NULL_VALUE = -2147483647;
/** Integer written for an exact 0.0 under SUBTRACTIVE_DITHER_2. */
export const ZERO_VALUE = -2147483646;
/** Integers at the bottom of the range kept for the two flags above (and future ones). */
const RESERVED_VALUES = 10;
const INT_MAX = 2147483647;
const FLT_MAX = 3.4028234663852886e38;

export const N_RANDOM = 10000;

/**
 * The dither sequence of §10.2.1: a Park–Miller "minimal standard" generator
 * (a = 16807, m = 2³¹ − 1, seed 1), each value divided by m and rounded to single
 * precision. The standard's check value: the 10000th seed is 1043618065.
 */
export function ditherSequence(): Float32Array {
  const out = new Float32Array(N_RANDOM);
  const a = 16807;
  const m = 2147483647;
  let seed = 1;
  for (let i = 0; i < N_RANDOM; i++) {
    const t = a * seed; // < 2^46: exact in a double
    seed = t - m * Math.trunc(t / m);
    out[i] = seed / m;
  }
  if (seed !== 1043618065) throw new Error('dither sequence check value mismatch');
  return out;
}

/** Computed once at load (10 000 multiplications); never modified. */
const RANDOM = ditherSequence();

/** Iterator state over the dither sequence for one tile (§10.2.1). */
interface DitherCursor {
  seedIndex: number;
  next: number;
}

/** Start of the sequence for 0-based tile `tile` with ZDITHER0 = `dither0`. */
function ditherStart(rand: Float32Array, tile: number, dither0: number): DitherCursor {
  const seedIndex = (tile + dither0 - 1) % N_RANDOM;
  return { seedIndex, next: Math.trunc(rand[seedIndex] * 500) };
}

/** C's NINT: round half away from zero, then truncate to an integer. */
function nint(x: number): number {
  return x >= 0 ? Math.trunc(x + 0.5) : Math.trunc(x - 0.5);
}

export interface NoiseEstimate {
  /** Valid (finite) pixels. */
  good: number;
  min: number;
  max: number;
  /** σ from |v[i] − v[i+2]| (1.0483579 = 1.482602/√2). */
  noise2: number;
  /** σ from |2v[i] − v[i−2] − v[i+2]| (0.6052697 = 1.482602/√6). */
  noise3: number;
  /** σ from |6v[i] − 4v[i−2] − 4v[i+2] + v[i−4] + v[i+4]| (0.1772048 = 1.482602/√70). */
  noise5: number;
}

// 1.482602 turns a median absolute deviation into σ for Gaussian noise; dividing by the
// square root of the sum of squared coefficients of each difference gives σ per pixel.
// Rounded to 7 decimals as fpack publishes them, so that our ZSCALE equals fpack's.
const K2 = 1.0483579;
const K3 = 0.6052697;
const K5 = 0.1772048;

/**
 * Noise of a tile of `nx` × `ny` floats (NaN and ±Inf are nulls). Each row gives the
 * median of its differences; the estimate is the median over rows. Rows shorter than 9
 * pixels are joined into one. Runs of identical values (flat, saturated or masked
 * regions) are skipped: they say nothing about the noise.
 */
export function estimateNoise(data: Float32Array | Float64Array, start: number, nx: number, ny: number, scratch?: Array<Float32Array | Float64Array>): NoiseEstimate {
  if (nx < 9) {
    nx = nx * ny;
    ny = 1;
  }
  let good = 0;
  let min = Infinity;
  let max = -Infinity;
  // Per-row difference lists, in the pixels' precision.
  const Arr = data instanceof Float32Array ? Float32Array : Float64Array;
  const d2 = scratch?.[0] && scratch[0].length >= nx && scratch[0] instanceof Arr ? scratch[0] : new Arr(nx);
  const d3 = scratch?.[1] && scratch[1].length >= nx && scratch[1] instanceof Arr ? scratch[1] : new Arr(nx);
  const d5 = scratch?.[2] && scratch[2].length >= nx && scratch[2] instanceof Arr ? scratch[2] : new Arr(nx);
  const rows2: number[] = [];
  const rows3: number[] = [];
  const rows5: number[] = [];
  // Differences are formed in the precision of the pixels: one loop per array type keeps
  // Math.fround inlined (a function chosen at run time made this loop several times slower).
  const stats = { good: 0, min: Infinity, max: -Infinity };
  if (data instanceof Float32Array) {
    scanRows32(data, start, nx, ny, d2 as Float32Array, d3 as Float32Array, d5 as Float32Array, rows2, rows3, rows5, stats);
  } else {
    scanRows64(data, start, nx, ny, d2 as Float64Array, d3 as Float64Array, d5 as Float64Array, rows2, rows3, rows5, stats);
  }
  good = stats.good;
  min = stats.min;
  max = stats.max;
  return {
    good,
    min,
    max,
    noise2: K2 * median(rows2),
    noise3: K3 * median(rows3),
    noise5: K5 * median(rows5),
  };
}

interface ScanStats {
  good: number;
  min: number;
  max: number;
}

/**
 * Per row: the 2nd-, 3rd- and 5th-order differences of nine consecutive valid pixels
 * v1..v9 sliding along the row, and their lower medians. Float32 differences are
 * rounded to float32 at every step, as the pixels' own arithmetic would.
 */
function scanRows32(
  data: Float32Array, start: number, nx: number, ny: number,
  d2: Float32Array, d3: Float32Array, d5: Float32Array,
  rows2: number[], rows3: number[], rows5: number[], st: ScanStats,
): void {
  let good = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < ny; r++) {
    const row = start + r * nx;
    let v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0, v6 = 0, v7 = 0, v8 = 0;
    let seen = 0;
    let n2 = 0;
    let n3 = 0;
    for (let i = 0; i < nx; i++) {
      const v9 = data[row + i];
      if (v9 - v9 !== 0) continue; // NaN or ±Inf
      good++;
      if (v9 < min) min = v9;
      if (v9 > max) max = v9;
      if (seen < 8) {
        v1 = v2; v2 = v3; v3 = v4; v4 = v5; v5 = v6; v6 = v7; v7 = v8; v8 = v9;
        seen++;
        continue;
      }
      if (!(v5 === v6 && v6 === v7)) d2[n2++] = Math.abs(Math.fround(v5 - v7));
      if (!(v3 === v4 && v4 === v5 && v5 === v6 && v6 === v7)) {
        d3[n3] = Math.abs(Math.fround(Math.fround(Math.fround(2 * v5) - v3) - v7));
        d5[n3] = Math.abs(Math.fround(Math.fround(Math.fround(Math.fround(Math.fround(6 * v5) - Math.fround(4 * v3)) - Math.fround(4 * v7)) + v1) + v9));
        n3++;
      }
      v1 = v2; v2 = v3; v3 = v4; v4 = v5; v5 = v6; v6 = v7; v7 = v8; v8 = v9;
    }
    if (n3 === 0) continue;
    if (n2 > 0) rows2.push(lowerMedian(d2, n2));
    rows3.push(lowerMedian(d3, n3));
    rows5.push(lowerMedian(d5, n3));
  }
  st.good = good;
  st.min = min;
  st.max = max;
}

function scanRows64(
  data: Float64Array, start: number, nx: number, ny: number,
  d2: Float64Array, d3: Float64Array, d5: Float64Array,
  rows2: number[], rows3: number[], rows5: number[], st: ScanStats,
): void {
  let good = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < ny; r++) {
    const row = start + r * nx;
    let v1 = 0, v2 = 0, v3 = 0, v4 = 0, v5 = 0, v6 = 0, v7 = 0, v8 = 0;
    let seen = 0;
    let n2 = 0;
    let n3 = 0;
    for (let i = 0; i < nx; i++) {
      const v9 = data[row + i];
      if (v9 - v9 !== 0) continue; // NaN or ±Inf
      good++;
      if (v9 < min) min = v9;
      if (v9 > max) max = v9;
      if (seen < 8) {
        v1 = v2; v2 = v3; v3 = v4; v4 = v5; v5 = v6; v6 = v7; v7 = v8; v8 = v9;
        seen++;
        continue;
      }
      if (!(v5 === v6 && v6 === v7)) d2[n2++] = Math.abs(v5 - v7);
      if (!(v3 === v4 && v4 === v5 && v5 === v6 && v6 === v7)) {
        d3[n3] = Math.abs(2 * v5 - v3 - v7);
        d5[n3] = Math.abs(6 * v5 - 4 * v3 - 4 * v7 + v1 + v9);
        n3++;
      }
      v1 = v2; v2 = v3; v3 = v4; v4 = v5; v5 = v6; v6 = v7; v7 = v8; v8 = v9;
    }
    if (n3 === 0) continue;
    if (n2 > 0) rows2.push(lowerMedian(d2, n2));
    rows3.push(lowerMedian(d3, n3));
    rows5.push(lowerMedian(d5, n3));
  }
  st.good = good;
  st.min = min;
  st.max = max;
}

/** Median of a list of row values: mean of the two middle ones when the count is even. */
function median(values: number[]): number {
  const n = values.length;
  if (n === 0) return 0;
  values.sort((a, b) => a - b);
  return (values[(n - 1) >> 1] + values[n >> 1]) / 2;
}

/** Element of rank ⌊(n−1)/2⌋ of a[0..n) (reorders a). Hoare's selection. */
function lowerMedian(a: Float32Array | Float64Array, n: number): number {
  const k = (n - 1) >> 1;
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >> 1;
    // Median of three as pivot keeps sorted input linear.
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
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k];
}

function swap(a: Float32Array | Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}

export interface QuantizeParams {
  /** q > 0: step = σ/q; q < 0: step = −q (absolute). */
  level: number;
  method: QuantizeMethod;
  /** ZDITHER0, 1..10000. */
  dither0: number;
}

export interface QuantizedTile {
  scale: number;
  zero: number;
  /** True when some pixel was written as NULL_VALUE. */
  hasNulls: boolean;
}

/**
 * Quantize one tile (`nx` × `ny` floats from `data[start…]`) into `out`. Returns undefined
 * when the tile cannot be quantized (no measurable noise, or a range too wide for 32-bit
 * integers): the caller then stores it losslessly.
 */
export function quantizeTile(
  data: Float32Array | Float64Array,
  start: number,
  nx: number,
  ny: number,
  tile: number,
  params: QuantizeParams,
  out: Int32Array,
  scratch?: Array<Float32Array | Float64Array>,
): QuantizedTile | undefined {
  const n = nx * ny;
  let step: number;
  let est: NoiseEstimate;
  if (params.level > 0) {
    est = estimateNoise(data, start, nx, ny, scratch);
    let sigma: number;
    if (est.good === 0) {
      // All null: any parameters do; these keep the integers small.
      est.min = 0;
      est.max = 1;
      sigma = 1;
    } else {
      sigma = est.noise3;
      if (est.noise2 !== 0 && est.noise2 < sigma) sigma = est.noise2;
      if (est.noise5 !== 0 && est.noise5 < sigma) sigma = est.noise5;
    }
    step = sigma / params.level;
    if (step === 0) return undefined;
  } else if (params.level < 0) {
    step = -params.level;
    est = rangeOf(data, start, n);
  } else {
    throw new FitsError('BAD_ARGUMENT', 'quantization level 0 means lossless: nothing to quantize');
  }
  if (!Number.isFinite(step)) return undefined;
  const min = est.min;
  const max = est.max;
  if (est.good > 0 && (max - min) / step > 2 * INT_MAX - RESERVED_VALUES) return undefined;

  const dither = params.method !== 'NO_DITHER';
  const keepZeros = params.method === 'SUBTRACTIVE_DITHER_2';
  const hasNulls = est.good < n;
  let zero: number;
  if (hasNulls || keepZeros) {
    // Put the range just above the reserved flag values.
    zero = min - step * (NULL_VALUE + RESERVED_VALUES);
  } else if ((max - min) / step < INT_MAX - RESERVED_VALUES) {
    // Zero point a whole number of steps: re-compressing the output gives the same integers.
    zero = Math.trunc(min / step + 0.5) * step;
  } else {
    zero = (min + max) / 2;
  }

  if (dither) {
    const rand = RANDOM;
    const c = ditherStart(rand, tile, params.dither0);
    let seedIndex = c.seedIndex;
    let next = c.next;
    for (let i = 0; i < n; i++) {
      const v = data[start + i];
      if (!Number.isFinite(v)) out[i] = NULL_VALUE;
      else if (keepZeros && v === 0) out[i] = ZERO_VALUE;
      else out[i] = nint((v - zero) / step + rand[next] - 0.5);
      // The sequence advances for every pixel, null or not.
      if (++next === N_RANDOM) {
        if (++seedIndex === N_RANDOM) seedIndex = 0;
        next = Math.trunc(rand[seedIndex] * 500);
      }
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = data[start + i];
      out[i] = Number.isFinite(v) ? nint((v - zero) / step) : NULL_VALUE;
    }
  }
  return { scale: step, zero, hasNulls };
}

function rangeOf(data: Float32Array | Float64Array, start: number, n: number): NoiseEstimate {
  let good = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = start; i < start + n; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) continue;
    good++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (good === 0) {
    // All null. The range is never used; fpack leaves it at ±FLT_MAX, which shows in ZZERO.
    min = FLT_MAX;
    max = -FLT_MAX;
  }
  return { good, min, max, noise2: 0, noise3: 0, noise5: 0 };
}

export interface DequantizeParams {
  scale: number;
  zero: number;
  method: QuantizeMethod;
  dither0: number;
  /** Integer that marks a null pixel (ZBLANK), if any. */
  blank?: number;
}

/**
 * Restore floats from quantized integers `src[0..n)` of 0-based tile `tile`, writing
 * `out[outStart…]` with stride 1. Float32 output is rounded from the double result, as the
 * convention's reference implementation does.
 */
export function dequantizeTile(src: Int32Array, n: number, tile: number, p: DequantizeParams, out: Float32Array | Float64Array, outStart: number): void {
  const { scale, zero } = p;
  const blank = p.blank ?? NaN; // NaN never equals an integer: no nulls
  const keepZeros = p.method === 'SUBTRACTIVE_DITHER_2';
  if (p.method === 'NO_DITHER') {
    for (let i = 0; i < n; i++) {
      const q = src[i];
      out[outStart + i] = q === blank ? NaN : q * scale + zero;
    }
    return;
  }
  const rand = RANDOM;
  const c = ditherStart(rand, tile, p.dither0);
  let seedIndex = c.seedIndex;
  let next = c.next;
  for (let i = 0; i < n; i++) {
    const q = src[i];
    if (q === blank) out[outStart + i] = NaN;
    else if (keepZeros && q === ZERO_VALUE) out[outStart + i] = 0;
    else out[outStart + i] = (q - rand[next] + 0.5) * scale + zero;
    if (++next === N_RANDOM) {
      if (++seedIndex === N_RANDOM) seedIndex = 0;
      next = Math.trunc(rand[seedIndex] * 500);
    }
  }
}
