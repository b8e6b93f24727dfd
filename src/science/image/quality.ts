/**
 * Frame quality: how many stars, how sharp (median FWHM), how round (median ellipticity),
 * how bright and noisy the sky — the numbers a telescope node uses to drop useless frames
 * (clouds, lost focus, trailing) before uploading them.
 *
 * Method:
 *  - sky level and sky noise: the background mesh of background.ts (global level and RMS,
 *    the medians over meshes, as Source Extractor reports them);
 *  - stars: sources of detect.ts above `thresholdSigma` × RMS (default 5) that are neither
 *    saturated, truncated at the edge nor blended, with isophotal SNR ≥ `minSnr` (default 20);
 *  - shape: adaptive Gaussian moments (Bernstein & Jarvis 2002) of the up to `maxStars`
 *    brightest stars: an elliptical Gaussian weight is iterated until its covariance equals
 *    twice the weighted second moments, at which point it equals the covariance of a
 *    Gaussian star; the pixel's own 1/12 px² is removed. FWHM = 2√(2 ln 2) · (σ_a σ_b)^½
 *    (the FWHM of the circular Gaussian of equal area), ellipticity = 1 − σ_b / σ_a.
 *    For Moffat stars this measures the Gaussian core, as detect.ts's FWHM does.
 */
import { estimateBackground, type Background, type BackgroundOptions } from './background.js';
import { detectSources, DetectFlag } from './detect.js';
import { checkShape, ImageError } from './errors.js';
import { checkMask, MaskBit } from './mask.js';
import { medianInPlace, type Image2D, type NumericArray } from './stats.js';

const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);
/** Variance of a uniform pixel (px²), added to a star's own by pixel sampling. */
const PIXEL_VARIANCE = 1 / 12;

export interface QualityOptions {
  /** A background already estimated for this frame, or options to estimate one. */
  background?: Background | BackgroundOptions;
  /** Detection threshold in background σ (default 5). */
  thresholdSigma?: number;
  /** Minimum pixels per detection (default 5). */
  minAreaPx?: number;
  /** Minimum isophotal signal-to-noise of a star (default 20). */
  minSnr?: number;
  /** Raw level at which pixels are saturated (stars touching it are skipped). */
  saturationAdu?: number;
  /** Mask plane: pixels with any of `maskBits` are ignored. */
  mask?: Uint8Array;
  maskBits?: number;
  /** Shapes are measured on at most this many of the brightest stars (default 200). */
  maxStars?: number;
}

export interface FrameQuality {
  /** Detections above the threshold (stars or not). */
  sourceCount: number;
  /** Detections that pass the star cuts (unsaturated, untruncated, unblended, SNR). */
  starCount: number;
  /** Stars whose adaptive moments converged (the medians below are over these). */
  measuredStars: number;
  /** Median FWHM (px); NaN with no measured star. */
  fwhmPx: number;
  /** Median ellipticity 1 − b/a; NaN with no measured star. */
  ellipticity: number;
  /** Mean position angle of the major axes (degrees, counter-clockwise from +x, (−90, 90]; axial mean of 2θ weighted by ellipticity). */
  thetaDeg: number;
  /** Global sky level and noise (image units). */
  skyLevel: number;
  skyNoise: number;
}

export interface Moments {
  x: number;
  y: number;
  /** Covariance of the (Gaussian-equivalent) star, pixel variance removed (px²). */
  xx: number;
  yy: number;
  xy: number;
  /** Weighted flux Σ w·I (not a total flux). */
  weightedFlux: number;
  iterations: number;
}

/**
 * Adaptive Gaussian moments of the star near (x, y) in a background-subtracted image.
 * Returns undefined when they do not converge (blend, noise, star off the image).
 */
export function adaptiveMoments(
  sub: ArrayLike<number>,
  width: number,
  height: number,
  x: number,
  y: number,
  sigmaGuessPx = 1.5,
  opts: { mask?: Uint8Array; maskBits?: number; maxIters?: number; tolerance?: number } = {},
): Moments | undefined {
  const bits = opts.maskBits ?? MaskBit.ANY;
  const mask = opts.mask;
  const maxIters = opts.maxIters ?? 60;
  const tol = opts.tolerance ?? 1e-5;
  let wxx = sigmaGuessPx * sigmaGuessPx;
  let wyy = wxx;
  let wxy = 0;
  let cx = x;
  let cy = y;
  for (let it = 1; it <= maxIters; it++) {
    const det = wxx * wyy - wxy * wxy;
    if (!(det > 0)) return undefined;
    // Inverse of the weight covariance.
    const ixx = wyy / det;
    const iyy = wxx / det;
    const ixy = -wxy / det;
    const rad = Math.min(64, Math.ceil(4 * Math.sqrt(Math.max(wxx, wyy))));
    const i0 = Math.max(0, Math.round(cx) - rad);
    const i1 = Math.min(width - 1, Math.round(cx) + rad);
    const j0 = Math.max(0, Math.round(cy) - rad);
    const j1 = Math.min(height - 1, Math.round(cy) + rad);
    let s = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let j = j0; j <= j1; j++) {
      const dy = j - cy;
      const row = j * width;
      for (let i = i0; i <= i1; i++) {
        const v = sub[row + i];
        if (v - v !== 0 || (mask !== undefined && (mask[row + i] & bits) !== 0)) continue;
        const dx = i - cx;
        const q = ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy;
        if (q > 16) continue; // beyond 4σ of the weight
        const wv = Math.exp(-0.5 * q) * v;
        s += wv;
        sx += wv * dx;
        sy += wv * dy;
        sxx += wv * dx * dx;
        syy += wv * dy * dy;
        sxy += wv * dx * dy;
      }
    }
    if (!(s > 0)) return undefined;
    const mx = sx / s;
    const my = sy / s;
    // Moments about the weighted centroid.
    const mxx = sxx / s - mx * mx;
    const myy = syy / s - my * my;
    const mxy = sxy / s - mx * my;
    cx += mx;
    cy += my;
    if (!(cx >= -0.5 && cx <= width - 0.5 && cy >= -0.5 && cy <= height - 0.5)) return undefined;
    const nxx = 2 * mxx;
    const nyy = 2 * myy;
    const nxy = 2 * mxy;
    if (!(nxx > 0 && nyy > 0 && nxx * nyy - nxy * nxy > 0)) return undefined;
    const change = Math.abs(nxx - wxx) + Math.abs(nyy - wyy) + Math.abs(nxy - wxy);
    wxx = nxx;
    wyy = nyy;
    wxy = nxy;
    if (change < tol * (wxx + wyy) && Math.abs(mx) + Math.abs(my) < 1e-3) {
      const xx = wxx - PIXEL_VARIANCE;
      const yy = wyy - PIXEL_VARIANCE;
      if (!(xx > 0 && yy > 0 && xx * yy - wxy * wxy > 0)) return undefined;
      return { x: cx, y: cy, xx, yy, xy: wxy, weightedFlux: s, iterations: it };
    }
  }
  return undefined;
}

/** FWHM (px), ellipticity 1 − b/a and major-axis angle (degrees) of a covariance. */
export function shapeOf(xx: number, yy: number, xy: number): { fwhmPx: number; ellipticity: number; thetaDeg: number } {
  const half = (xx + yy) / 2;
  const d = Math.sqrt(((xx - yy) / 2) ** 2 + xy * xy);
  const a2 = half + d;
  const b2 = Math.max(0, half - d);
  let theta = (0.5 * Math.atan2(2 * xy, xx - yy) * 180) / Math.PI;
  if (theta <= -90) theta += 180;
  return { fwhmPx: FWHM_PER_SIGMA * Math.sqrt(Math.sqrt(a2 * b2)), ellipticity: 1 - Math.sqrt(b2 / a2), thetaDeg: theta };
}

/** Quality figures of one frame (see the module comment for the method). */
export function frameQuality(image: Image2D<NumericArray>, opts: QualityOptions = {}): FrameQuality {
  const { width, height, data } = image;
  const n = checkShape(width, height);
  if (data.length !== n) throw new ImageError('SIZE_MISMATCH', `image has ${data.length} pixels, expected ${width}×${height}`, { parameter: 'image' });
  checkMask(opts.mask, n);
  const minSnr = opts.minSnr ?? 20;
  const maxStars = opts.maxStars ?? 200;
  if (!(minSnr >= 0)) throw new ImageError('BAD_ARGUMENT', `minSnr ${minSnr} must be ≥ 0`, { parameter: 'minSnr' });
  if (!(Number.isInteger(maxStars) && maxStars >= 1)) throw new ImageError('BAD_ARGUMENT', `maxStars ${maxStars} must be a positive integer`, { parameter: 'maxStars' });

  const given = opts.background;
  const bg: Background =
    given !== undefined && 'level' in given && given.level instanceof Float32Array
      ? (given as Background)
      : estimateBackground(data, width, height, { mask: opts.mask, maskBits: opts.maskBits, ...(given as BackgroundOptions | undefined) });
  if (bg.level.length !== n) throw new ImageError('SIZE_MISMATCH', `background has ${bg.level.length} pixels, the image ${n}`, { parameter: 'background' });

  // RMS must be positive for detection: a flat (noise-free) mesh gets the global RMS.
  let rms: Float32Array = bg.rms;
  if (rms.some((v) => !(v > 0))) {
    rms = Float32Array.from(rms, (v) => (v > 0 ? v : bg.mesh.globalRms > 0 ? bg.mesh.globalRms : 1));
  }
  const det = detectSources(image, bg.level, rms, {
    thresholdSigma: opts.thresholdSigma ?? 5,
    minAreaPx: opts.minAreaPx ?? 5,
    saturationLevel: opts.saturationAdu,
    mask: opts.mask,
    maskBits: opts.maskBits,
    windowed: false,
  });
  const reject = DetectFlag.SATURATED | DetectFlag.TRUNCATED | DetectFlag.BLENDED | DetectFlag.DEBLEND_OVERFLOW;
  const stars = det.sources.filter((s) => (s.flags & reject) === 0 && s.fluxErr > 0 && s.flux / s.fluxErr >= minSnr);
  stars.sort((a, b) => b.flux - a.flux);

  const sub = new Float32Array(n);
  for (let i = 0; i < n; i++) sub[i] = data[i] - bg.level[i];
  const fwhm = new Float64Array(Math.min(stars.length, maxStars));
  const ell = new Float64Array(fwhm.length);
  let c2 = 0;
  let s2 = 0;
  let m = 0;
  for (const s of stars.slice(0, maxStars)) {
    const guess = Math.max(0.7, Math.sqrt(Math.max(s.a * s.b, 0.25)));
    const mom = adaptiveMoments(sub, width, height, s.x, s.y, guess, { mask: opts.mask, maskBits: opts.maskBits });
    if (!mom) continue;
    const shape = shapeOf(mom.xx, mom.yy, mom.xy);
    fwhm[m] = shape.fwhmPx;
    ell[m] = shape.ellipticity;
    const t = (2 * shape.thetaDeg * Math.PI) / 180;
    c2 += shape.ellipticity * Math.cos(t);
    s2 += shape.ellipticity * Math.sin(t);
    m++;
  }
  return {
    sourceCount: det.sources.length,
    starCount: stars.length,
    measuredStars: m,
    fwhmPx: medianInPlace(fwhm, m),
    ellipticity: medianInPlace(ell, m),
    thetaDeg: m > 0 ? (0.5 * Math.atan2(s2, c2) * 180) / Math.PI : NaN,
    skyLevel: bg.mesh.globalLevel,
    skyNoise: bg.mesh.globalRms,
  };
}

export interface QualityLimits {
  minStars?: number;
  maxFwhmPx?: number;
  maxEllipticity?: number;
  maxSkyLevel?: number;
}

/** Whether a frame is worth keeping, with the reasons it is not. */
export function judgeQuality(q: FrameQuality, limits: QualityLimits): { ok: boolean; reasons: string[] } {
  const reasons: string[] = [];
  if (limits.minStars !== undefined && !(q.starCount >= limits.minStars)) reasons.push(`${q.starCount} stars < ${limits.minStars}`);
  if (limits.maxFwhmPx !== undefined && !(q.fwhmPx <= limits.maxFwhmPx)) reasons.push(`FWHM ${q.fwhmPx.toFixed(2)} px > ${limits.maxFwhmPx}`);
  if (limits.maxEllipticity !== undefined && !(q.ellipticity <= limits.maxEllipticity)) reasons.push(`ellipticity ${q.ellipticity.toFixed(3)} > ${limits.maxEllipticity}`);
  if (limits.maxSkyLevel !== undefined && !(q.skyLevel <= limits.maxSkyLevel)) reasons.push(`sky ${q.skyLevel.toFixed(1)} > ${limits.maxSkyLevel}`);
  return { ok: reasons.length === 0, reasons };
}
