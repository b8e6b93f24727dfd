/**
 * Circular-aperture photometry with exact pixel overlaps (photutils' `method='exact'`,
 * sep's `subpix=0`): flux sums, sigma-clipped annulus sky, flux errors from the CCD
 * equation, half-light radii and Source Extractor's windowed centroids. Pixel (0, 0) is
 * the centre of the first pixel; pixel (i, j) covers [i − ½, i + ½] × [j − ½, j + ½].
 *
 * Pixels that are NaN/±Infinity, or whose mask has any of `maskBits`, are left out of
 * every sum (they count as neither flux nor area) and the source is flagged.
 */
import { ImageError } from './errors.js';
import { checkMask } from './mask.js';
import { circleRectOverlap } from './overlap.js';

/** A 2-D image: row-major pixels with its shape (a FitsImage of float data fits). */
export interface ImageLike {
  data: ArrayLike<number>;
  width: number;
  height: number;
}

/** Per-source flags of aperture measurements (bit values). */
export const ApertureFlag = {
  /** The aperture runs off the image: part of it has no data. */
  TRUNCATED: 1,
  /** Some pixel under the aperture is NaN or masked (left out). */
  HAS_MASKED: 2,
  /** The sky annulus has fewer than 3 usable pixels: sky is NaN. */
  NO_SKY: 4,
  /** The windowed centroid did not converge or walked out of its window: the start position is returned. */
  WINDOW_FAILED: 8,
} as const;

export interface MaskOptions {
  mask?: Uint8Array;
  /** Mask bits that exclude a pixel (default: every bit). */
  maskBits?: number;
}

function checkImage(img: ImageLike, what = 'image'): void {
  const { width, height, data } = img;
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError('BAD_ARGUMENT', `${what} shape ${width}×${height} must be positive integers`, { parameter: what });
  }
  if (data.length !== width * height) throw new ImageError('SIZE_MISMATCH', `${what} has ${data.length} pixels, expected ${width}×${height}`, { parameter: what });
}

function checkPositions(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new ImageError('SIZE_MISMATCH', `${x.length} x positions but ${y.length} y positions`, { parameter: 'x, y' });
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) throw new ImageError('BAD_ARGUMENT', `position ${i} (${x[i]}, ${y[i]}) is not finite`, { parameter: 'x, y' });
  }
  return x.length;
}

function checkRadius(r: number, what: string, allowZero = false): void {
  if (!Number.isFinite(r) || r < 0 || (!allowZero && r === 0)) {
    throw new ImageError('BAD_ARGUMENT', `${what} ${r} must be a ${allowZero ? 'non-negative' : 'positive'} finite number of pixels`, { parameter: what });
  }
  if (r > 1e5) throw new ImageError('TOO_LARGE', `${what} ${r} px is unreasonably large`, { parameter: what });
}

/** A scalar or a per-pixel map (same shape as the image), checked. */
export type ScalarOrMap = number | ArrayLike<number>;

function checkScalarOrMap(v: ScalarOrMap | undefined, n: number, what: string): void {
  if (v === undefined) return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v < 0) throw new ImageError('BAD_ARGUMENT', `${what} ${v} must be a finite non-negative number`, { parameter: what });
  } else if (v.length !== n) throw new ImageError('SIZE_MISMATCH', `${what} map has ${v.length} pixels, the image has ${n}`, { parameter: what });
}

// ---------------------------------------------------------------------------------------
// Aperture sums

export interface ApertureSum {
  /** Σ overlap × value over usable pixels. */
  sum: number;
  /** Σ overlap over usable pixels (px²): πr² unless truncated or masked. */
  areaPx: number;
  /** Σ overlap × σ² when a per-pixel error is given, else 0. */
  variance: number;
  flags: number;
}

/**
 * Exact sum inside the circle (xc, yc, r) of one image. Internal workhorse: arguments are
 * assumed checked.
 */
function sumCircle(
  data: ArrayLike<number>,
  width: number,
  height: number,
  xc: number,
  yc: number,
  r: number,
  error: ScalarOrMap | undefined,
  mask: Uint8Array | undefined,
  bits: number,
): ApertureSum {
  let flags = 0;
  if (xc - r < -0.5 || yc - r < -0.5 || xc + r > width - 0.5 || yc + r > height - 0.5) flags |= ApertureFlag.TRUNCATED;
  const i0 = Math.max(0, Math.ceil(xc - r - 0.5));
  const i1 = Math.min(width - 1, Math.floor(xc + r + 0.5));
  const j0 = Math.max(0, Math.ceil(yc - r - 0.5));
  const j1 = Math.min(height - 1, Math.floor(yc + r + 0.5));
  const errScalar = typeof error === 'number' ? error * error : 0;
  const errMap = typeof error === 'number' ? undefined : error;
  let sum = 0;
  let area = 0;
  let variance = 0;
  for (let j = j0; j <= j1; j++) {
    const dy = j - yc;
    const row = j * width;
    for (let i = i0; i <= i1; i++) {
      const dx = i - xc;
      const w = circleRectOverlap(dx - 0.5, dy - 0.5, dx + 0.5, dy + 0.5, r);
      if (w === 0) continue;
      const k = row + i;
      const v = data[k];
      if (v - v !== 0 || (mask !== undefined && (mask[k] & bits) !== 0)) {
        flags |= ApertureFlag.HAS_MASKED;
        continue;
      }
      sum += w * v;
      area += w;
      if (errMap !== undefined) {
        const e = errMap[k];
        variance += w * e * e;
      } else variance += w * errScalar;
    }
  }
  return { sum, areaPx: area, variance: error === undefined ? 0 : variance, flags };
}

export interface ApertureSumOptions extends MaskOptions {
  /** Per-pixel 1σ error (scalar or map, in image units) to propagate: variance = Σ overlap·σ². */
  error?: ScalarOrMap;
}

export interface ApertureSums {
  sum: Float64Array;
  /** √(Σ overlap·σ²) when `error` is given, else 0. */
  sumErr: Float64Array;
  areaPx: Float64Array;
  flags: Uint8Array;
}

/** Exact circular-aperture sums of radius `radiusPx` (scalar or one per source) at many positions. */
export function apertureSums(image: ImageLike, x: ArrayLike<number>, y: ArrayLike<number>, radiusPx: number | ArrayLike<number>, opts: ApertureSumOptions = {}): ApertureSums {
  checkImage(image);
  const n = checkPositions(x, y);
  const np = image.width * image.height;
  checkMask(opts.mask, np);
  checkScalarOrMap(opts.error, np, 'error');
  if (typeof radiusPx === 'number') checkRadius(radiusPx, 'radiusPx');
  else {
    if (radiusPx.length !== n) throw new ImageError('SIZE_MISMATCH', `${radiusPx.length} radii for ${n} positions`, { parameter: 'radiusPx' });
    for (let i = 0; i < n; i++) checkRadius(radiusPx[i], 'radiusPx');
  }
  const out: ApertureSums = { sum: new Float64Array(n), sumErr: new Float64Array(n), areaPx: new Float64Array(n), flags: new Uint8Array(n) };
  const bits = opts.maskBits ?? 0xff;
  for (let s = 0; s < n; s++) {
    const r = typeof radiusPx === 'number' ? radiusPx : radiusPx[s];
    const a = sumCircle(image.data, image.width, image.height, x[s], y[s], r, opts.error, opts.mask, bits);
    out.sum[s] = a.sum;
    out.sumErr[s] = Math.sqrt(a.variance);
    out.areaPx[s] = a.areaPx;
    out.flags[s] = a.flags;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Sigma clipping and annulus sky

export interface SortedClipStats {
  mean: number;
  median: number;
  /** Population standard deviation (ddof = 0) of the kept values. */
  std: number;
  /** Number of values kept. */
  n: number;
}

/**
 * Iterative sigma clipping about the median (astropy's `sigma_clipped_stats` defaults:
 * bounds median ± κ·std of the values still kept, until nothing changes or `maxIters`
 * rounds). `values` is sorted in place (NaNs must already be removed).
 */
export function sigmaClipSorted(values: Float64Array, sigma = 3, maxIters = 5): SortedClipStats {
  values.sort();
  let lo = 0;
  let hi = values.length; // kept: values[lo, hi) — a clip by value bounds keeps a contiguous run
  for (let iter = 0; iter < maxIters && hi > lo; iter++) {
    const { mean, std, median } = rangeStats(values, lo, hi);
    void mean;
    const minV = median - sigma * std;
    const maxV = median + sigma * std;
    let nlo = lo;
    let nhi = hi;
    while (nlo < nhi && values[nlo] < minV) nlo++;
    while (nhi > nlo && values[nhi - 1] > maxV) nhi--;
    if (nlo === lo && nhi === hi) break;
    lo = nlo;
    hi = nhi;
  }
  if (hi <= lo) return { mean: NaN, median: NaN, std: NaN, n: 0 };
  return { ...rangeStats(values, lo, hi), n: hi - lo };
}

function rangeStats(sorted: Float64Array, lo: number, hi: number): { mean: number; median: number; std: number } {
  const n = hi - lo;
  let s = 0;
  for (let i = lo; i < hi; i++) s += sorted[i];
  const mean = s / n;
  let ss = 0;
  for (let i = lo; i < hi; i++) ss += (sorted[i] - mean) ** 2;
  const mid = lo + (n >> 1);
  const median = n % 2 === 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid]);
  return { mean, median, std: Math.sqrt(ss / n) };
}

export interface AnnulusOptions extends MaskOptions {
  /** Clipping threshold κ (default 3). */
  sigma?: number;
  /** Clipping rounds (default 5). */
  maxIters?: number;
}

export interface AnnulusSky {
  /** Sigma-clipped median per pixel (NaN when fewer than 3 pixels are usable). */
  sky: Float64Array;
  /** Sigma-clipped standard deviation per pixel. */
  skyStd: Float64Array;
  /** Pixels kept after clipping. */
  skyPx: Int32Array;
  flags: Uint8Array;
}

/**
 * Sky level in the annulus rInner ≤ d < rOuter around each position, from the pixels whose
 * centre lies in it (photutils' `method='center'` annulus mask), by the sigma-clipped median.
 */
export function annulusSky(image: ImageLike, x: ArrayLike<number>, y: ArrayLike<number>, innerPx: number, outerPx: number, opts: AnnulusOptions = {}): AnnulusSky {
  checkImage(image);
  const n = checkPositions(x, y);
  checkMask(opts.mask, image.width * image.height);
  checkRadius(innerPx, 'innerPx', true);
  checkRadius(outerPx, 'outerPx');
  if (outerPx <= innerPx) throw new ImageError('BAD_ARGUMENT', `annulus outer radius ${outerPx} must exceed the inner radius ${innerPx}`, { parameter: 'outerPx' });
  const sigma = opts.sigma ?? 3;
  const maxIters = opts.maxIters ?? 5;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ImageError('BAD_ARGUMENT', `sigma ${sigma} must be positive`, { parameter: 'sigma' });
  if (!Number.isInteger(maxIters) || maxIters < 0) throw new ImageError('BAD_ARGUMENT', `maxIters ${maxIters} must be a non-negative integer`, { parameter: 'maxIters' });
  const { data, width, height } = image;
  const mask = opts.mask;
  const bits = opts.maskBits ?? 0xff;
  const out: AnnulusSky = { sky: new Float64Array(n), skyStd: new Float64Array(n), skyPx: new Int32Array(n), flags: new Uint8Array(n) };
  const cap = Math.ceil(Math.PI * (outerPx + 2) ** 2) + 16;
  const buf = new Float64Array(cap);
  const rIn2 = innerPx * innerPx;
  const rOut2 = outerPx * outerPx;
  for (let s = 0; s < n; s++) {
    const xc = x[s];
    const yc = y[s];
    let flags = 0;
    if (xc - outerPx < -0.5 || yc - outerPx < -0.5 || xc + outerPx > width - 0.5 || yc + outerPx > height - 0.5) flags |= ApertureFlag.TRUNCATED;
    const i0 = Math.max(0, Math.ceil(xc - outerPx));
    const i1 = Math.min(width - 1, Math.floor(xc + outerPx));
    const j0 = Math.max(0, Math.ceil(yc - outerPx));
    const j1 = Math.min(height - 1, Math.floor(yc + outerPx));
    let m = 0;
    for (let j = j0; j <= j1; j++) {
      const dy2 = (j - yc) ** 2;
      for (let i = i0; i <= i1; i++) {
        const d2 = (i - xc) ** 2 + dy2;
        if (d2 < rIn2 || d2 >= rOut2) continue;
        const k = j * width + i;
        const v = data[k];
        if (v - v !== 0 || (mask !== undefined && (mask[k] & bits) !== 0)) {
          flags |= ApertureFlag.HAS_MASKED;
          continue;
        }
        buf[m++] = v;
      }
    }
    const st = m >= 3 ? sigmaClipSorted(buf.subarray(0, m), sigma, maxIters) : undefined;
    if (!st || st.n < 3) {
      out.sky[s] = NaN;
      out.skyStd[s] = NaN;
      out.skyPx[s] = st?.n ?? m;
      flags |= ApertureFlag.NO_SKY;
    } else {
      out.sky[s] = st.median;
      out.skyStd[s] = st.std;
      out.skyPx[s] = st.n;
    }
    out.flags[s] = flags;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Photometry with sky subtraction and the CCD equation

export interface AperturePhotometryOptions extends MaskOptions {
  radiusPx: number;
  /** Sky annulus; without it the image is taken as background-subtracted (sky 0) unless `sky` is given. */
  annulus?: { innerPx: number; outerPx: number; sigma?: number; maxIters?: number };
  /** Known sky per pixel (scalar or map, image units) to subtract instead of an annulus estimate. */
  sky?: ScalarOrMap;
  /** Detector gain (e⁻/ADU): adds the source's Poisson noise, and turns read noise into ADU. */
  gain?: number;
  /** Read noise (e⁻ rms per pixel). */
  readNoiseE?: number;
  /** Dark current accumulated in the exposure (e⁻ per pixel). */
  darkE?: number;
  /**
   * Per-pixel 1σ of the background (scalar or map, ADU). When given, the sky term of the
   * error is Σ overlap·σ² instead of coming from the sky level or the annulus scatter.
   */
  error?: ScalarOrMap;
  /**
   * Where the per-pixel sky noise comes from when `error` is absent:
   * `'ccd'` — the CCD equation from the sky level, dark and read noise (needs `gain`; the
   *           image must not be background-subtracted);
   * `'measured'` — the clipped scatter of the annulus pixels.
   * Default: 'ccd' when `gain` is given, else 'measured'.
   */
  skyNoise?: 'ccd' | 'measured';
}

export interface AperturePhotometry {
  /** Sky-subtracted flux (image units). */
  flux: Float64Array;
  fluxErr: Float64Array;
  /** Usable aperture area (px²). */
  areaPx: Float64Array;
  /** Sky per pixel that was subtracted. */
  sky: Float64Array;
  skyStd: Float64Array;
  skyPx: Int32Array;
  flags: Uint8Array;
}

/**
 * Aperture photometry of many sources. The error follows the CCD equation (Merline &
 * Howell 1995), in electrons:
 *   σ² = N★ + A·(1 + A/n_sky)·(N_sky + N_dark + R²)
 * with N★ = g·flux, A the aperture area, n_sky the annulus pixels kept (the A/n_sky term,
 * the error of the sky estimate, is dropped without an annulus) and N_sky = g·sky. With
 * `skyNoise: 'measured'` the bracket is replaced by g²·skyStd²; with `error`, the per-pixel
 * variance is Σ overlap·σ² (in place of A·bracket/g²). Returned in image units (÷ g).
 * Without `gain`, only the background terms are counted.
 */
export function aperturePhotometry(image: ImageLike, x: ArrayLike<number>, y: ArrayLike<number>, opts: AperturePhotometryOptions): AperturePhotometry {
  checkImage(image);
  const n = checkPositions(x, y);
  const np = image.width * image.height;
  checkRadius(opts.radiusPx, 'radiusPx');
  checkScalarOrMap(opts.error, np, 'error');
  if (opts.sky !== undefined && typeof opts.sky !== 'number' && opts.sky.length !== np) {
    throw new ImageError('SIZE_MISMATCH', `sky map has ${opts.sky.length} pixels, the image has ${np}`, { parameter: 'sky' });
  }
  if (typeof opts.sky === 'number' && !Number.isFinite(opts.sky)) throw new ImageError('BAD_ARGUMENT', `sky ${opts.sky} must be finite`, { parameter: 'sky' });
  if (opts.annulus && opts.sky !== undefined) throw new ImageError('BAD_ARGUMENT', 'give either an annulus or a sky level, not both', { parameter: 'sky' });
  const gain = opts.gain;
  if (gain !== undefined && (!(gain > 0) || !Number.isFinite(gain))) throw new ImageError('BAD_ARGUMENT', `gain ${gain} must be a positive number of e⁻/ADU`, { parameter: 'gain' });
  for (const [name, v] of [
    ['readNoiseE', opts.readNoiseE],
    ['darkE', opts.darkE],
  ] as const) {
    if (v !== undefined && (!Number.isFinite(v) || v < 0)) throw new ImageError('BAD_ARGUMENT', `${name} ${v} must be a finite non-negative number`, { parameter: name });
  }
  const skyNoise = opts.skyNoise ?? (gain !== undefined ? 'ccd' : 'measured');
  if (skyNoise === 'ccd' && gain === undefined && opts.error === undefined) {
    throw new ImageError('BAD_ARGUMENT', "skyNoise 'ccd' needs the gain", { parameter: 'gain' });
  }
  checkMask(opts.mask, np);

  const ann = opts.annulus ? annulusSky(image, x, y, opts.annulus.innerPx, opts.annulus.outerPx, { ...opts.annulus, mask: opts.mask, maskBits: opts.maskBits }) : undefined;
  const skyMap = typeof opts.sky === 'object' ? opts.sky : undefined;
  const sums = apertureSums(image, x, y, opts.radiusPx, { mask: opts.mask, maskBits: opts.maskBits, error: opts.error });
  const skySums = skyMap ? apertureSums({ data: skyMap, width: image.width, height: image.height }, x, y, opts.radiusPx, { mask: opts.mask, maskBits: opts.maskBits }) : undefined;
  const g = gain ?? 1;
  const rn2 = (opts.readNoiseE ?? 0) ** 2;
  const dark = opts.darkE ?? 0;
  const out: AperturePhotometry = {
    flux: new Float64Array(n),
    fluxErr: new Float64Array(n),
    areaPx: sums.areaPx,
    sky: new Float64Array(n),
    skyStd: new Float64Array(n),
    skyPx: new Int32Array(n),
    flags: new Uint8Array(n),
  };
  for (let s = 0; s < n; s++) {
    const area = sums.areaPx[s];
    let flags = sums.flags[s];
    let skyTotal: number; // sky flux inside the aperture
    let skyPerPx: number;
    let skyStd = NaN;
    let nSky = 0;
    if (ann) {
      skyPerPx = ann.sky[s];
      skyStd = ann.skyStd[s];
      nSky = ann.skyPx[s];
      flags |= ann.flags[s];
      skyTotal = skyPerPx * area;
    } else if (skySums) {
      skyTotal = skySums.sum[s];
      skyPerPx = area > 0 ? skyTotal / area : NaN;
    } else {
      skyPerPx = typeof opts.sky === 'number' ? opts.sky : 0;
      skyTotal = skyPerPx * area;
    }
    const flux = sums.sum[s] - skyTotal;
    // Per-pixel background variance in e⁻², and the aperture's total in ADU².
    const skyErrFactor = nSky > 0 ? 1 + area / nSky : 1;
    let bgVarAdu: number;
    if (opts.error !== undefined) {
      bgVarAdu = sums.sumErr[s] ** 2 * skyErrFactor;
    } else if (skyNoise === 'ccd') {
      const perPxE = Math.max(skyPerPx, 0) * g + dark + rn2;
      bgVarAdu = (area * skyErrFactor * perPxE) / (g * g);
    } else {
      bgVarAdu = area * skyErrFactor * (skyStd * skyStd + rn2 / (g * g));
    }
    const sourceVarAdu = gain !== undefined ? Math.max(flux, 0) / gain : 0;
    out.flux[s] = flux;
    out.fluxErr[s] = Math.sqrt(sourceVarAdu + bgVarAdu);
    out.sky[s] = skyPerPx;
    out.skyStd[s] = skyStd;
    out.skyPx[s] = nSky;
    out.flags[s] = flags;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Half-light radius and windowed centroid

/**
 * Radius of the circle around (xc, yc) that encloses `frac` of the flux inside `rMaxPx`
 * (or of `normFlux` when given), found by bisection on the exact enclosed flux. NaN if
 * the enclosed flux is not positive.
 */
export function fluxRadius(image: ImageLike, xc: number, yc: number, rMaxPx: number, frac = 0.5, opts: MaskOptions & { normFlux?: number; tolPx?: number } = {}): number {
  checkImage(image);
  checkRadius(rMaxPx, 'rMaxPx');
  if (!(frac > 0 && frac < 1)) throw new ImageError('BAD_ARGUMENT', `fraction ${frac} must be in (0, 1)`, { parameter: 'frac' });
  checkMask(opts.mask, image.width * image.height);
  return fluxRadiusUnchecked(image.data, image.width, image.height, xc, yc, rMaxPx, frac, opts.normFlux, opts.mask, opts.maskBits ?? 0xff, opts.tolPx ?? 1e-4);
}

/** Pixels within rMax of the centre, as offsets and values (valid ones only), for repeated sums. */
interface Patch {
  dx: Float64Array;
  dy: Float64Array;
  v: Float64Array;
  /** Squared distances from the centre to the nearest and farthest points of each pixel. */
  near2: Float64Array;
  far2: Float64Array;
  n: number;
}

function gatherPatch(data: ArrayLike<number>, width: number, height: number, xc: number, yc: number, r: number, mask: Uint8Array | undefined, bits: number, into?: Patch): Patch {
  const i0 = Math.max(0, Math.ceil(xc - r - 0.5));
  const i1 = Math.min(width - 1, Math.floor(xc + r + 0.5));
  const j0 = Math.max(0, Math.ceil(yc - r - 0.5));
  const j1 = Math.min(height - 1, Math.floor(yc + r + 0.5));
  const cap = Math.max(0, (i1 - i0 + 1) * (j1 - j0 + 1));
  const p =
    into && into.dx.length >= cap
      ? into
      : { dx: new Float64Array(cap), dy: new Float64Array(cap), v: new Float64Array(cap), near2: new Float64Array(cap), far2: new Float64Array(cap), n: 0 };
  let m = 0;
  const lim = (r + 0.7072) ** 2;
  for (let j = j0; j <= j1; j++) {
    const dy = j - yc;
    for (let i = i0; i <= i1; i++) {
      const dx = i - xc;
      if (dx * dx + dy * dy > lim) continue;
      const k = j * width + i;
      const v = data[k];
      if (v - v !== 0 || (mask !== undefined && (mask[k] & bits) !== 0)) continue;
      p.dx[m] = dx;
      p.dy[m] = dy;
      p.v[m] = v;
      const ax = Math.abs(dx);
      const ay = Math.abs(dy);
      const nx = ax > 0.5 ? ax - 0.5 : 0;
      const ny = ay > 0.5 ? ay - 0.5 : 0;
      p.near2[m] = nx * nx + ny * ny;
      p.far2[m] = (ax + 0.5) ** 2 + (ay + 0.5) ** 2;
      m++;
    }
  }
  p.n = m;
  return p;
}

function patchSum(p: Patch, r: number): number {
  const r2 = r * r;
  let s = 0;
  for (let k = 0; k < p.n; k++) {
    if (p.far2[k] <= r2) s += p.v[k];
    else if (p.near2[k] < r2) {
      const dx = p.dx[k];
      const dy = p.dy[k];
      s += p.v[k] * circleRectOverlap(dx - 0.5, dy - 0.5, dx + 0.5, dy + 0.5, r);
    }
  }
  return s;
}

/** @internal fluxRadius without argument checks (detection calls it per source). */
export function fluxRadiusUnchecked(
  data: ArrayLike<number>,
  width: number,
  height: number,
  xc: number,
  yc: number,
  rMax: number,
  frac: number,
  normFlux: number | undefined,
  mask: Uint8Array | undefined,
  bits: number,
  tol: number,
  scratch?: Patch,
): number {
  const p = gatherPatch(data, width, height, xc, yc, rMax, mask, bits, scratch);
  const total = normFlux ?? patchSum(p, rMax);
  if (!(total > 0)) return NaN;
  const target = frac * total;
  let lo = 0;
  let hi = rMax;
  if (patchSum(p, hi) < target) return rMax;
  // Regula falsi (Illinois) on the monotone-in-expectation enclosed flux, bracketed.
  let flo = -target;
  let fhi = patchSum(p, hi) - target;
  let side = 0;
  for (let it = 0; it < 60 && hi - lo > tol; it++) {
    let r = (lo * fhi - hi * flo) / (fhi - flo);
    if (!(r > lo && r < hi)) r = 0.5 * (lo + hi);
    const f = patchSum(p, r) - target;
    if (f === 0) return r;
    if (f < 0) {
      lo = r;
      flo = f;
      if (side === -1) fhi /= 2;
      side = -1;
    } else {
      hi = r;
      fhi = f;
      if (side === 1) flo /= 2;
      side = 1;
    }
  }
  return 0.5 * (lo + hi);
}

export interface WindowedCentroid {
  x: number;
  y: number;
  iterations: number;
  flags: number;
}

export interface WindowedOptions extends MaskOptions {
  /** Stop when a step is shorter than this (px; default 1e-5). */
  tolPx?: number;
  /** At most this many iterations (default 16, as Source Extractor). */
  maxIter?: number;
}

/** Source Extractor's minimum window: a half-light radius of 0.5 px → σ = 0.5·2/2.35. */
export const MIN_WINDOW_SIGMA_PX = (0.5 * 2) / 2.35;

/**
 * Windowed centroid (Source Extractor's XWIN_IMAGE/YWIN_IMAGE): starting at (x0, y0),
 * repeatedly move to x ← x + 2·Σ wᵢIᵢ(xᵢ − x) / Σ wᵢIᵢ with the Gaussian window
 * wᵢ = exp(−rᵢ²/2σ²) over the pixels within 4σ (exact overlap at the circle's edge).
 * σ is raised to MIN_WINDOW_SIGMA_PX. The factor 2 makes a Gaussian source converge on its
 * centre in one step when σ matches its width.
 */
export function windowedCentroid(image: ImageLike, x0: number, y0: number, sigmaPx: number, opts: WindowedOptions = {}): WindowedCentroid {
  checkImage(image);
  if (!Number.isFinite(x0) || !Number.isFinite(y0)) throw new ImageError('BAD_ARGUMENT', `start position (${x0}, ${y0}) is not finite`, { parameter: 'x0, y0' });
  checkRadius(sigmaPx, 'sigmaPx');
  checkMask(opts.mask, image.width * image.height);
  return windowedCentroidUnchecked(image.data, image.width, image.height, x0, y0, sigmaPx, opts.mask, opts.maskBits ?? 0xff, opts.tolPx ?? 1e-5, opts.maxIter ?? 16);
}

/** @internal windowedCentroid without argument checks. */
export function windowedCentroidUnchecked(
  data: ArrayLike<number>,
  width: number,
  height: number,
  x0: number,
  y0: number,
  sigma: number,
  mask: Uint8Array | undefined,
  bits: number,
  tol: number,
  maxIter: number,
): WindowedCentroid {
  const sig = Math.max(sigma, MIN_WINDOW_SIGMA_PX);
  const rad = 4 * sig;
  const inv2s2 = 1 / (2 * sig * sig);
  const rIn2 = Math.max(0, rad - 0.7072) ** 2;
  const rOut2 = (rad + 0.7072) ** 2;
  let x = x0;
  let y = y0;
  const tol2 = tol * tol;
  for (let it = 1; it <= maxIter; it++) {
    const i0 = Math.max(0, Math.ceil(x - rad - 0.5));
    const i1 = Math.min(width - 1, Math.floor(x + rad + 0.5));
    const j0 = Math.max(0, Math.ceil(y - rad - 0.5));
    const j1 = Math.min(height - 1, Math.floor(y + rad + 0.5));
    let sw = 0;
    let sx = 0;
    let sy = 0;
    for (let j = j0; j <= j1; j++) {
      const dy = j - y;
      const row = j * width;
      for (let i = i0; i <= i1; i++) {
        const dx = i - x;
        const d2 = dx * dx + dy * dy;
        if (d2 >= rOut2) continue;
        const k = row + i;
        const v = data[k];
        if (v - v !== 0 || (mask !== undefined && (mask[k] & bits) !== 0)) continue;
        let w = Math.exp(-d2 * inv2s2) * v;
        if (d2 > rIn2) w *= circleRectOverlap(dx - 0.5, dy - 0.5, dx + 0.5, dy + 0.5, rad);
        sw += w;
        sx += w * dx;
        sy += w * dy;
      }
    }
    if (!(sw > 0)) return { x: x0, y: y0, iterations: it, flags: ApertureFlag.WINDOW_FAILED };
    const stepX = (2 * sx) / sw;
    const stepY = (2 * sy) / sw;
    x += stepX;
    y += stepY;
    if ((x - x0) ** 2 + (y - y0) ** 2 > rad * rad || !Number.isFinite(x + y)) {
      return { x: x0, y: y0, iterations: it, flags: ApertureFlag.WINDOW_FAILED };
    }
    if (stepX * stepX + stepY * stepY < tol2) return { x, y, iterations: it, flags: 0 };
  }
  return { x, y, iterations: maxIter, flags: 0 };
}

/**
 * Windowed second moments about (xc, yc) with the same Gaussian window as the centroid,
 * deconvolved from the window assuming a Gaussian profile (Σ⁻¹ = Σ_w⁻¹ − 1/σ_w²), so a
 * Gaussian source of any width gets back its own covariance. Returns [x2, y2, xy] (px²) or
 * NaNs when the deconvolution is not defined (noise-dominated, window much narrower than the source).
 */
export function windowedMomentsUnchecked(
  data: ArrayLike<number>,
  width: number,
  height: number,
  xc: number,
  yc: number,
  sigma: number,
  mask: Uint8Array | undefined,
  bits: number,
): [number, number, number] {
  const sig = Math.max(sigma, MIN_WINDOW_SIGMA_PX);
  const rad = 4 * sig;
  const inv2s2 = 1 / (2 * sig * sig);
  const rOut2 = (rad + 0.7072) ** 2;
  const rIn2 = Math.max(0, rad - 0.7072) ** 2;
  const i0 = Math.max(0, Math.ceil(xc - rad - 0.5));
  const i1 = Math.min(width - 1, Math.floor(xc + rad + 0.5));
  const j0 = Math.max(0, Math.ceil(yc - rad - 0.5));
  const j1 = Math.min(height - 1, Math.floor(yc + rad + 0.5));
  let sw = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  for (let j = j0; j <= j1; j++) {
    const dy = j - yc;
    for (let i = i0; i <= i1; i++) {
      const dx = i - xc;
      const d2 = dx * dx + dy * dy;
      if (d2 >= rOut2) continue;
      const k = j * width + i;
      const v = data[k];
      if (v - v !== 0 || (mask !== undefined && (mask[k] & bits) !== 0)) continue;
      let w = Math.exp(-d2 * inv2s2) * v;
      if (d2 > rIn2) w *= circleRectOverlap(dx - 0.5, dy - 0.5, dx + 0.5, dy + 0.5, rad);
      sw += w;
      sxx += w * dx * dx;
      syy += w * dy * dy;
      sxy += w * dx * dy;
    }
  }
  if (!(sw > 0)) return [NaN, NaN, NaN];
  const wxx = sxx / sw;
  const wyy = syy / sw;
  const wxy = sxy / sw;
  // Invert the 2×2 windowed covariance, subtract the window's precision, invert back.
  const det = wxx * wyy - wxy * wxy;
  if (!(det > 0)) return [NaN, NaN, NaN];
  const pxx = wyy / det - 2 * inv2s2;
  const pyy = wxx / det - 2 * inv2s2;
  const pxy = -wxy / det;
  const pdet = pxx * pyy - pxy * pxy;
  if (!(pxx > 0) || !(pdet > 0)) return [NaN, NaN, NaN];
  return [pyy / pdet, pxx / pdet, -pxy / pdet];
}
