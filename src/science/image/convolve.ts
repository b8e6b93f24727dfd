/**
 * Small-kernel 2-D filtering of images, NaN-aware, as used for detection (Source
 * Extractor's "FILTER"). The kernel is applied as a correlation — out(x, y) =
 * Σ k(i, j) · in(x + i − cx, y + j − cy) with (cx, cy) the kernel centre — which is what
 * Source Extractor and sep do; for the usual symmetric kernels it is the same as a
 * convolution.
 *
 * Missing data (NaN, ±Infinity, masked pixels, and everything outside the image) is
 * handled in one of two ways:
 * - `'zero'`: missing pixels count as 0. On a background-subtracted image that means
 *   "background there", which is Source Extractor's and sep's behaviour at the edges.
 * - `'renormalize'`: the kernel weights are rescaled over the valid pixels under it
 *   (astropy's `nan_treatment='interpolate'`); a pixel with no valid neighbour is NaN.
 */
import { checkShape, ImageError } from './errors.js';
import { checkMask } from './mask.js';

/** A filter kernel: row-major weights, odd width and height, centre at (width−1)/2, (height−1)/2. */
export interface Kernel {
  data: Float64Array;
  width: number;
  height: number;
}

export type MissingPolicy = 'zero' | 'renormalize';

export interface ConvolveOptions {
  missing?: MissingPolicy;
  /** Pixels with `(mask[i] & maskBits) !== 0` are missing too. */
  mask?: Uint8Array;
  /** Mask bits that make a pixel missing (default: every bit). */
  maskBits?: number;
  /** With `'renormalize'`, keep NaN where the input pixel itself was missing (default false: fill it). */
  preserveMissing?: boolean;
  /** Output array to fill (length width × height). */
  out?: Float32Array;
}

/** Largest kernel side we accept: detection kernels are a few pixels; beyond this use an FFT. */
export const MAX_KERNEL_SIZE = 63;

/** Build a kernel from a nested array (rows), checking odd sizes and finite weights. */
export function kernelFromRows(rows: ReadonlyArray<ReadonlyArray<number>>): Kernel {
  const height = rows.length;
  const width = height > 0 ? rows[0].length : 0;
  const data = new Float64Array(width * height);
  for (let j = 0; j < height; j++) {
    if (rows[j].length !== width) throw new ImageError('BAD_ARGUMENT', `kernel row ${j} has ${rows[j].length} values, row 0 has ${width}`, { parameter: 'kernel' });
    for (let i = 0; i < width; i++) data[j * width + i] = rows[j][i];
  }
  return checkKernel({ data, width, height });
}

/** Throws BAD_ARGUMENT unless the kernel has odd sides ≤ MAX_KERNEL_SIZE, finite weights and a non-zero one. */
export function checkKernel(k: Kernel): Kernel {
  const { width, height, data } = k;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width % 2 === 0 || height % 2 === 0) {
    throw new ImageError('BAD_ARGUMENT', `kernel must have odd width and height, got ${width}×${height}`, { parameter: 'kernel' });
  }
  if (width > MAX_KERNEL_SIZE || height > MAX_KERNEL_SIZE) {
    throw new ImageError('BAD_ARGUMENT', `kernel ${width}×${height} is larger than ${MAX_KERNEL_SIZE}×${MAX_KERNEL_SIZE}`, { parameter: 'kernel' });
  }
  if (data.length !== width * height) throw new ImageError('SIZE_MISMATCH', `kernel has ${data.length} weights for ${width}×${height}`, { parameter: 'kernel' });
  let any = false;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new ImageError('BAD_ARGUMENT', `kernel weight ${i} is not finite`, { parameter: 'kernel' });
    if (data[i] !== 0) any = true;
  }
  if (!any) throw new ImageError('BAD_ARGUMENT', 'kernel weights are all zero', { parameter: 'kernel' });
  return k;
}

/**
 * The kernel divided by the sum of its absolute weights — Source Extractor's and sep's
 * normalisation of detection filters, so a filter's overall scale never changes the
 * detection threshold (and a kernel with negative lobes cannot divide by ~0).
 */
export function normalizeKernel(k: Kernel): Kernel {
  checkKernel(k);
  let s = 0;
  for (let i = 0; i < k.data.length; i++) s += Math.abs(k.data[i]);
  const data = new Float64Array(k.data.length);
  for (let i = 0; i < data.length; i++) data[i] = k.data[i] / s;
  return { data, width: k.width, height: k.height };
}

/**
 * Circular Gaussian kernel of the given FWHM sampled at pixel centres, normalised to
 * unit sum. The default side is the smallest odd size covering ±1.5 FWHM (at least 3),
 * like Source Extractor's gauss_F_NxN.conv files.
 */
export function gaussianKernel(fwhmPx: number, sizePx?: number): Kernel {
  if (!(fwhmPx > 0) || !Number.isFinite(fwhmPx)) throw new ImageError('BAD_ARGUMENT', `Gaussian FWHM ${fwhmPx} must be a positive number of pixels`, { parameter: 'fwhmPx' });
  const size = sizePx ?? Math.max(3, 2 * Math.ceil(1.5 * fwhmPx) + 1);
  if (!Number.isInteger(size) || size < 1 || size % 2 === 0 || size > MAX_KERNEL_SIZE) {
    throw new ImageError('BAD_ARGUMENT', `kernel size ${size} must be an odd integer in [1, ${MAX_KERNEL_SIZE}]`, { parameter: 'sizePx' });
  }
  const sigma = fwhmPx / (2 * Math.sqrt(2 * Math.LN2));
  const c = (size - 1) / 2;
  const data = new Float64Array(size * size);
  let s = 0;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const r2 = (i - c) ** 2 + (j - c) ** 2;
      const v = Math.exp(-r2 / (2 * sigma * sigma));
      data[j * size + i] = v;
      s += v;
    }
  }
  for (let i = 0; i < data.length; i++) data[i] /= s;
  return { data, width: size, height: size };
}

/** Source Extractor's default detection filter (default.conv): a 3×3 pyramid ≈ Gaussian of FWHM 2 px. */
export function defaultDetectionKernel(): Kernel {
  return kernelFromRows([
    [1, 2, 1],
    [2, 4, 2],
    [1, 2, 1],
  ]);
}

/**
 * Filter `data` (width × height, row-major) with `kernel`, weights used as given (normalise
 * first with normalizeKernel if wanted). Returns a new Float32Array (or `out`).
 */
export function convolve2d(data: ArrayLike<number>, width: number, height: number, kernel: Kernel, opts: ConvolveOptions = {}): Float32Array {
  const n = checkShape(width, height);
  if (data.length !== n) throw new ImageError('SIZE_MISMATCH', `image has ${data.length} pixels, expected ${width}×${height}`, { parameter: 'data' });
  checkKernel(kernel);
  checkMask(opts.mask, n);
  const missing = opts.missing ?? 'zero';
  if (missing !== 'zero' && missing !== 'renormalize') throw new ImageError('BAD_ARGUMENT', `missing must be 'zero' or 'renormalize', got '${String(missing)}'`, { parameter: 'missing' });
  const out = opts.out ?? new Float32Array(n);
  if (out.length !== n) throw new ImageError('SIZE_MISMATCH', `out has ${out.length} pixels, expected ${n}`, { parameter: 'out' });

  const cx = (kernel.width - 1) >> 1;
  const cy = (kernel.height - 1) >> 1;
  const pw = width + 2 * cx;
  const ph = height + 2 * cy;
  checkShape(pw, ph, 'padded image');
  // Copy into a zero-padded buffer once, missing → 0, so the inner loops need no bounds or NaN tests.
  const padded = new Float32Array(pw * ph);
  const valid = missing === 'renormalize' ? new Float32Array(pw * ph) : undefined;
  const mask = opts.mask;
  const bits = opts.maskBits ?? 0xff;
  let anyMissing = false;
  for (let y = 0; y < height; y++) {
    const src = y * width;
    const dst = (y + cy) * pw + cx;
    for (let x = 0; x < width; x++) {
      const v = data[src + x];
      const ok = v - v === 0 && (mask === undefined || (mask[src + x] & bits) === 0);
      if (ok) {
        padded[dst + x] = v;
        if (valid) valid[dst + x] = 1;
      } else anyMissing = true;
    }
  }
  correlatePadded(padded, pw, width, height, kernel, out);
  if (!valid) return out;

  // Renormalise by the kernel weight that fell on valid pixels. Borders always need it.
  let total = 0;
  for (let i = 0; i < kernel.data.length; i++) total += kernel.data[i];
  const wsum = new Float32Array(n);
  correlatePadded(valid, pw, width, height, kernel, wsum);
  const keepMissing = opts.preserveMissing === true && anyMissing;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const w = wsum[i];
      if (keepMissing && valid[(y + cy) * pw + cx + x] === 0) out[i] = NaN;
      else out[i] = Math.abs(w) > 1e-12 * Math.abs(total) ? (out[i] * total) / w : NaN;
    }
  }
  return out;
}

/** out(x, y) = Σ k(i, j) · padded(x + i, y + j) for the width × height interior; accumulates rows in float64. */
function correlatePadded(padded: Float32Array, pw: number, width: number, height: number, kernel: Kernel, out: Float32Array): void {
  if (kernel.width === 3 && kernel.height === 3) {
    correlate3x3(padded, pw, width, height, kernel.data, out);
    return;
  }
  const kw = kernel.width;
  const kh = kernel.height;
  const k = kernel.data;
  const acc = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let j = 0; j < kh; j++) {
      const rowStart = (y + j) * pw;
      for (let i = 0; i < kw; i++) {
        const w = k[j * kw + i];
        if (w === 0) continue;
        const base = rowStart + i;
        for (let x = 0; x < width; x++) acc[x] += w * padded[base + x];
      }
    }
    const o = y * width;
    for (let x = 0; x < width; x++) out[o + x] = acc[x];
  }
}

/** The common 3×3 case, unrolled (same sums as the general loop, in float64). */
function correlate3x3(padded: Float32Array, pw: number, width: number, height: number, k: Float64Array, out: Float32Array): void {
  const [k0, k1, k2, k3, k4, k5, k6, k7, k8] = k;
  for (let y = 0; y < height; y++) {
    const r0 = y * pw;
    const r1 = r0 + pw;
    const r2 = r1 + pw;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      out[o + x] =
        k0 * padded[r0 + x] + k1 * padded[r0 + x + 1] + k2 * padded[r0 + x + 2] +
        k3 * padded[r1 + x] + k4 * padded[r1 + x + 1] + k5 * padded[r1 + x + 2] +
        k6 * padded[r2 + x] + k7 * padded[r2 + x + 1] + k8 * padded[r2 + x + 2];
    }
  }
}
