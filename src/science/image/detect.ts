/**
 * Source detection and measurement, after Source Extractor (Bertin & Arnouts 1996) and
 * sep: subtract the background, filter with a small kernel, keep the pixels above
 * `thresholdSigma` × background RMS, group them into 8-connected objects of at least
 * `minAreaPx` pixels, deblend touching objects over `deblendNThresh` exponentially spaced
 * levels, and measure each object.
 *
 * Measurements (0-based pixels; pixel (0, 0) is the centre of the first pixel):
 * - isophotal: flux, peak, barycentre and second moments over the object's pixels of the
 *   unfiltered background-subtracted image; a, b, θ from the moments as in Source
 *   Extractor (with its 1/12 px² guard for objects too small to have an invertible
 *   covariance);
 * - windowed: the Gaussian-windowed centroid (XWIN/YWIN) with σ = 2·r½/2.3548, r½ the
 *   half-light radius within max(6a, 3) px (sep's recipe), iterated from the barycentre;
 * - FWHM: from the windowed second moments deconvolved from the window (exact for a
 *   Gaussian source) with the 1/12 px² of pixel sampling removed: the FWHM of the PSF
 *   itself for Gaussian stars; for Moffat stars the FWHM of the best Gaussian core;
 * - flags (Source Extractor's bit values where they exist).
 *
 * Differences from sep worth knowing: sep's x, y are barycentres of the *filtered* image
 * (ours: unfiltered, as Source Extractor's X_IMAGE); skirt pixels of deblended objects go
 * to the most likely object rather than by a random draw; there is no CLEAN step.
 */
import { type ImageLike, type ScalarOrMap, fluxRadiusUnchecked, MIN_WINDOW_SIGMA_PX, windowedCentroidUnchecked, windowedMomentsUnchecked } from './aperture.js';
import { convolve2d, defaultDetectionKernel, normalizeKernel, type Kernel } from './convolve.js';
import { checkShape, ImageError } from './errors.js';
import { checkMask, MaskBit } from './mask.js';
import { deblend, DeblendScratch, labelAboveThreshold } from './segmentation.js';

/** Per-source detection flags (bit values; 2, 4, 8, 64 as in Source Extractor's FLAGS). */
export const DetectFlag = {
  /** Deblended from a composite: shares its footprint with neighbours. */
  BLENDED: 2,
  /** Some pixel is at or above the saturation level (or carries the SATURATED mask bit). */
  SATURATED: 4,
  /** Touches the image edge: part of the object may be missing. */
  TRUNCATED: 8,
  /** Composite too large to deblend (more than `maxDeblendPx` pixels): kept whole. */
  DEBLEND_OVERFLOW: 64,
  /** The windowed centroid failed (non-positive flux in the window, or it ran away): x, y are the barycentre. */
  WINDOW_FAILED: 256,
} as const;

export interface DetectOptions {
  /** Detection threshold in units of the background RMS (default 1.5, Source Extractor's DETECT_THRESH). */
  thresholdSigma?: number;
  /** Minimum number of pixels of an object (default 5). */
  minAreaPx?: number;
  /**
   * Detection filter applied to the background-subtracted image before thresholding;
   * normalised by the sum of |weights|. Default: Source Extractor's 3×3 default.conv.
   * `null` disables filtering.
   */
  filter?: Kernel | null;
  /** Deblending levels (default 32; 1 disables deblending). */
  deblendNThresh?: number;
  /** Minimum contrast for deblending (default 0.005; 1 disables deblending). */
  deblendContrast?: number;
  /** Raw pixel level (before background subtraction) at which a pixel counts as saturated. */
  saturationLevel?: number;
  /** Mask plane: pixels with any of `maskBits` are treated as missing data (never detected). */
  mask?: Uint8Array;
  maskBits?: number;
  /** Gain (e⁻/ADU): adds the Poisson noise of the source to fluxErr. */
  gain?: number;
  /** Compute windowed centroids, half-light radii and FWHM (default true). */
  windowed?: boolean;
  /**
   * Replace other objects' pixels by the mirrored pixel before windowed measurements, as
   * Source Extractor's MASK_TYPE CORRECT (default true). Off, the windows see neighbours'
   * light as sep.winpos does, and positions in blends can be dragged onto the neighbour.
   */
  correctNeighbours?: boolean;
  /** Also return the segmentation map (0 = background, i + 1 = sources[i]). */
  segmentation?: boolean;
  /** Composites with more pixels than this are not deblended (default 1,000,000). */
  maxDeblendPx?: number;
}

export interface DetectedSource {
  /** Windowed centroid (the barycentre if windowing is off or failed). */
  x: number;
  y: number;
  /** Isophotal barycentre. */
  xIso: number;
  yIso: number;
  /** Pixel of the highest unfiltered value. */
  xPeak: number;
  yPeak: number;
  /** Isophotal flux: sum of background-subtracted values over the object's pixels. */
  flux: number;
  /** √(Σ rms² + flux/gain) over the object's pixels. */
  fluxErr: number;
  /** Highest background-subtracted value. */
  peak: number;
  /** Number of pixels of the object. */
  areaPx: number;
  /** Isophotal second moments (px²). */
  x2: number;
  y2: number;
  xy: number;
  /** Semi-major and semi-minor RMS axes (px). */
  a: number;
  b: number;
  /** Position angle of the major axis, counter-clockwise from +x, in (−90, 90]. */
  thetaDeg: number;
  /** Half-light radius within max(6a, 3) px (NaN when windowing is off). */
  halfLightRadiusPx: number;
  /** Full width at half maximum (px) of the Gaussian equivalent (NaN when windowing is off). */
  fwhmPx: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** Bits of DetectFlag. */
  flags: number;
}

export interface DetectResult {
  sources: DetectedSource[];
  /** Segmentation map (when asked): 0 = background, i + 1 = sources[i]. */
  segmentation?: Int32Array;
}

const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

function checkPositive(v: number, what: string, integer = false, min = 0, inclusive = false): void {
  const ok = Number.isFinite(v) && (inclusive ? v >= min : v > min) && (!integer || Number.isInteger(v));
  if (!ok) throw new ImageError('BAD_ARGUMENT', `${what} ${v} must be ${integer ? 'an integer' : 'a number'} ${inclusive ? '≥' : '>'} ${min}`, { parameter: what });
}

function checkMap(v: ScalarOrMap, n: number, what: string, positive: boolean): void {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || (positive && !(v > 0))) throw new ImageError('BAD_ARGUMENT', `${what} ${v} must be a finite${positive ? ' positive' : ''} number`, { parameter: what });
  } else if (!v || v.length !== n) {
    throw new ImageError('SIZE_MISMATCH', `${what} map has ${v ? v.length : 0} pixels, the image has ${n}`, { parameter: what });
  }
}

/**
 * Detect and measure sources in `image` given its background and background RMS (each a
 * scalar or a map of the image's shape, in image units).
 */
export function detectSources(image: ImageLike, background: ScalarOrMap, rms: ScalarOrMap, opts: DetectOptions = {}): DetectResult {
  const { width, height, data } = image;
  const n = checkShape(width, height);
  if (data.length !== n) throw new ImageError('SIZE_MISMATCH', `image has ${data.length} pixels, expected ${width}×${height}`, { parameter: 'image' });
  checkMap(background, n, 'background', false);
  checkMap(rms, n, 'rms', true);
  checkMask(opts.mask, n);
  const k = opts.thresholdSigma ?? 1.5;
  checkPositive(k, 'thresholdSigma');
  const minArea = opts.minAreaPx ?? 5;
  checkPositive(minArea, 'minAreaPx', true, 1, true);
  const nThresh = opts.deblendNThresh ?? 32;
  checkPositive(nThresh, 'deblendNThresh', true, 1, true);
  if (nThresh > 1024) throw new ImageError('BAD_ARGUMENT', `deblendNThresh ${nThresh} must be ≤ 1024`, { parameter: 'deblendNThresh' });
  const contrast = opts.deblendContrast ?? 0.005;
  if (!(contrast >= 0 && contrast <= 1)) throw new ImageError('BAD_ARGUMENT', `deblendContrast ${contrast} must be in [0, 1]`, { parameter: 'deblendContrast' });
  if (opts.gain !== undefined) checkPositive(opts.gain, 'gain');
  if (opts.saturationLevel !== undefined && Number.isNaN(opts.saturationLevel)) throw new ImageError('BAD_ARGUMENT', 'saturationLevel is NaN', { parameter: 'saturationLevel' });
  const maxDeblendPx = opts.maxDeblendPx ?? 1_000_000;
  checkPositive(maxDeblendPx, 'maxDeblendPx', true);
  const filter = opts.filter === undefined ? defaultDetectionKernel() : opts.filter;
  const kernel = filter === null ? null : normalizeKernel(filter);

  // Background-subtracted image; missing pixels (NaN, masked) stay NaN.
  const mask = opts.mask;
  const bits = opts.maskBits ?? 0xff;
  const sub = new Float32Array(n);
  const bgScalar = typeof background === 'number' ? background : 0;
  const bgMap = typeof background === 'number' ? undefined : background;
  let nValid = 0;
  for (let i = 0; i < n; i++) {
    const v = data[i] - (bgMap ? bgMap[i] : bgScalar);
    if (v - v === 0 && (mask === undefined || (mask[i] & bits) === 0)) {
      sub[i] = v;
      nValid++;
    } else sub[i] = NaN;
  }
  if (nValid === 0) throw new ImageError('ALL_NAN', `no valid pixel in the ${width}×${height} image (all NaN, infinite or masked, or background NaN)`, { parameter: 'image' });

  let filtered: Float32Array;
  if (kernel) {
    filtered = convolve2d(sub, width, height, kernel, { missing: 'zero' });
    for (let i = 0; i < n; i++) if (sub[i] !== sub[i]) filtered[i] = NaN; // missing pixels are never detected
  } else filtered = sub;

  const comps = labelAboveThreshold(filtered, width, height, k, rms, minArea);
  // Pass 1: deblend every composite, so each object's neighbours are known before measuring.
  const scratch = new DeblendScratch();
  const footprints: Int32Array[] = [];
  const objectFlags: number[] = [];
  for (let c = 0; c < comps.count; c++) {
    const pix = comps.pixels.subarray(comps.offsets[c], comps.offsets[c + 1]);
    if (pix.length > maxDeblendPx) {
      footprints.push(pix);
      objectFlags.push(DetectFlag.DEBLEND_OVERFLOW);
      continue;
    }
    // The detection threshold under the object's filtered peak is the base level.
    let best = 0;
    for (let q = 1; q < pix.length; q++) if (filtered[pix[q]] > filtered[pix[best]]) best = q;
    const t0 = k * (typeof rms === 'number' ? rms : rms[pix[best]]);
    const objects = deblend(pix, filtered, width, t0, { nThresh, contrast, minArea }, scratch);
    for (const obj of objects) {
      footprints.push(obj);
      objectFlags.push(objects.length > 1 ? DetectFlag.BLENDED : 0);
    }
  }
  const labels = new Int32Array(n);
  footprints.forEach((fp, i) => {
    for (let q = 0; q < fp.length; q++) labels[fp[q]] = i + 1;
  });
  // Pass 2: measure.
  const ctx: MeasureContext = {
    data,
    sub,
    labels,
    width,
    height,
    rms,
    mask,
    saturation: opts.saturationLevel,
    gain: opts.gain,
    windowed: opts.windowed ?? true,
    correct: opts.correctNeighbours ?? true,
    patch: new Float32Array(0),
  };
  const sources = footprints.map((fp, i) => {
    const src = measure(fp, i + 1, ctx);
    src.flags |= objectFlags[i];
    return src;
  });
  const result: DetectResult = { sources };
  if (opts.segmentation) result.segmentation = labels;
  return result;
}

interface MeasureContext {
  data: ArrayLike<number>;
  sub: Float32Array;
  /** Object labels (0 = background, i + 1 = object i). */
  labels: Int32Array;
  width: number;
  height: number;
  rms: ScalarOrMap;
  mask: Uint8Array | undefined;
  saturation: number | undefined;
  gain: number | undefined;
  windowed: boolean;
  correct: boolean;
  /** Scratch for neighbour-corrected cut-outs. */
  patch: Float32Array;
}

interface Cutout {
  data: Float32Array;
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/**
 * A cut-out of the background-subtracted image around (xc, yc) within `radius`, in which
 * pixels of other objects are replaced by the pixel mirrored through (xc, yc) (Source
 * Extractor's MASK_TYPE CORRECT), or left out (NaN) when that one is another object's too.
 * Windowed measurements on it are not dragged towards bright neighbours.
 */
function correctedCutout(ctx: MeasureContext, label: number, xc: number, yc: number, radius: number): Cutout {
  const { sub, labels, width, height } = ctx;
  const x0 = Math.max(0, Math.floor(xc - radius));
  const x1 = Math.min(width - 1, Math.ceil(xc + radius));
  const y0 = Math.max(0, Math.floor(yc - radius));
  const y1 = Math.min(height - 1, Math.ceil(yc + radius));
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  if (ctx.patch.length < cw * ch) ctx.patch = new Float32Array(cw * ch);
  const out = ctx.patch.subarray(0, cw * ch);
  for (let y = y0; y <= y1; y++) {
    const o = (y - y0) * cw - x0;
    for (let x = x0; x <= x1; x++) {
      const p = y * width + x;
      const l = labels[p];
      if (l === 0 || l === label || !ctx.correct) {
        out[o + x] = sub[p];
        continue;
      }
      const mx = Math.round(2 * xc - x);
      const my = Math.round(2 * yc - y);
      let v = NaN;
      if (mx >= 0 && mx < width && my >= 0 && my < height) {
        const q = my * width + mx;
        const lq = labels[q];
        if (lq === 0 || lq === label) v = sub[q];
      }
      out[o + x] = v;
    }
  }
  return { data: out, x0, y0, width: cw, height: ch };
}

function measure(pix: Int32Array, label: number, ctx: MeasureContext): DetectedSource {
  const { sub, width, height, rms, mask, data } = ctx;
  const sat = ctx.saturation;
  let flags = 0;
  // Offsets from the first pixel keep the moment sums well-conditioned far from the origin.
  const p0 = pix[0];
  const refY = (p0 / width) | 0;
  const refX = p0 - refY * width;
  let sI = 0;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  let ux = 0;
  let uy = 0;
  let uxx = 0;
  let uyy = 0;
  let uxy = 0;
  let variance = 0;
  let peak = -Infinity;
  let peakIdx = p0;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  const rmsScalar = typeof rms === 'number' ? rms * rms : 0;
  for (let q = 0; q < pix.length; q++) {
    const p = pix[q];
    const y = (p / width) | 0;
    const x = p - y * width;
    const v = sub[p];
    const dx = x - refX;
    const dy = y - refY;
    sI += v;
    sx += v * dx;
    sy += v * dy;
    sxx += v * dx * dx;
    syy += v * dy * dy;
    sxy += v * dx * dy;
    ux += dx;
    uy += dy;
    uxx += dx * dx;
    uyy += dy * dy;
    uxy += dx * dy;
    if (typeof rms === 'number') variance += rmsScalar;
    else variance += rms[p] * rms[p];
    if (v > peak) {
      peak = v;
      peakIdx = p;
    }
    if (x < xMin) xMin = x;
    if (x > xMax) xMax = x;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
    if ((sat !== undefined && data[p] >= sat) || (mask !== undefined && (mask[p] & MaskBit.SATURATED) !== 0)) flags |= DetectFlag.SATURATED;
  }
  if (xMin === 0 || yMin === 0 || xMax === width - 1 || yMax === height - 1) flags |= DetectFlag.TRUNCATED;
  // Intensity-weighted moments; a non-positive total (a faint object in noise) falls back to
  // the footprint's geometric moments.
  let mx: number;
  let my: number;
  let x2: number;
  let y2: number;
  let xy: number;
  if (sI > 0) {
    mx = sx / sI;
    my = sy / sI;
    x2 = sxx / sI - mx * mx;
    y2 = syy / sI - my * my;
    xy = sxy / sI - mx * my;
  } else {
    const m = pix.length;
    mx = ux / m;
    my = uy / m;
    x2 = uxx / m - mx * mx;
    y2 = uyy / m - my * my;
    xy = uxy / m - mx * my;
  }
  if (!(x2 > 0)) x2 = 0;
  if (!(y2 > 0)) y2 = 0;
  // Source Extractor's guard for (nearly) singular moments: a point source still covers a pixel.
  if (x2 * y2 - xy * xy < 1 / 144) {
    x2 += 1 / 12;
    y2 += 1 / 12;
  }
  const half = (x2 + y2) / 2;
  const root = Math.sqrt(((x2 - y2) / 2) ** 2 + xy * xy);
  const a = Math.sqrt(half + root);
  const b = Math.sqrt(Math.max(half - root, 0));
  let thetaDeg = (0.5 * Math.atan2(2 * xy, x2 - y2) * 180) / Math.PI;
  if (thetaDeg <= -90) thetaDeg += 180;
  const xIso = mx + refX;
  const yIso = my + refY;
  const fluxErr = Math.sqrt(variance + (ctx.gain !== undefined ? Math.max(sI, 0) / ctx.gain : 0));

  let x = xIso;
  let y = yIso;
  let r50 = NaN;
  let fwhm = NaN;
  if (ctx.windowed) {
    const rMax = Math.max(6 * a, 3);
    let cut = correctedCutout(ctx, label, xIso, yIso, rMax + 1);
    r50 = fluxRadiusUnchecked(cut.data, cut.width, cut.height, xIso - cut.x0, yIso - cut.y0, rMax, 0.5, undefined, undefined, 0, 1e-2);
    const sig = r50 > 0 ? (2 * r50) / FWHM_PER_SIGMA : Math.max(a, 0.5);
    // The window reaches 4σ, and may walk up to 4σ before giving up.
    const reach = 8 * Math.max(sig, MIN_WINDOW_SIGMA_PX) + 2;
    if (reach > rMax + 1) cut = correctedCutout(ctx, label, xIso, yIso, reach);
    const wc = windowedCentroidUnchecked(cut.data, cut.width, cut.height, xIso - cut.x0, yIso - cut.y0, sig, undefined, 0, 1e-5, 16);
    if (wc.flags !== 0 || !(r50 > 0)) flags |= DetectFlag.WINDOW_FAILED;
    if (wc.flags === 0) {
      x = wc.x + cut.x0;
      y = wc.y + cut.y0;
    }
    const [m0, m1] = windowedMomentsUnchecked(cut.data, cut.width, cut.height, x - cut.x0, y - cut.y0, sig, undefined, 0);
    const meanVar = (m0 + m1) / 2 - 1 / 12;
    fwhm = meanVar > 0 ? FWHM_PER_SIGMA * Math.sqrt(meanVar) : 2 * r50;
  }
  const yPeak = (peakIdx / width) | 0;
  return {
    x,
    y,
    xIso,
    yIso,
    xPeak: peakIdx - yPeak * width,
    yPeak,
    flux: sI,
    fluxErr,
    peak,
    areaPx: pix.length,
    x2,
    y2,
    xy,
    a,
    b,
    thetaDeg,
    halfLightRadiusPx: r50,
    fwhmPx: fwhm,
    xMin,
    xMax,
    yMin,
    yMax,
    flags,
  };
}
