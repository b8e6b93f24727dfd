/**
 * Fitting a TAN or TAN-SIP WCS to matched (x, y) ↔ (RA, Dec) pairs.
 *
 * The sky positions are projected onto the tangent plane at a trial CRVAL (TAN with the
 * default LONPOLE) and (ξ, η) are fitted by linear least squares as full polynomials of
 * the pixel offsets (u, v) from the fixed CRPIX, of degree 1 (TAN) or the SIP order. The
 * constant terms say where CRPIX lands on the plane: CRVAL moves there and the fit is
 * repeated until they vanish. The linear terms are the CD matrix and the higher ones,
 * mapped through CD⁻¹, the SIP A/B coefficients (Shupe et al. 2005). AP/BP are then fitted
 * to the exact inverse over the image (order sipOrder + 1, as astrometry.net does).
 *
 * Outliers: after each fit, the residual angular distances r are compared with
 * clipSigma·σ, where σ = median(r)/√(2 ln 2) (the per-axis σ of a 2-D Gaussian, robust to
 * the outliers themselves); the fit is repeated on the points within, until the set of
 * inliers stops changing or maxIterations fits have been made.
 */
import { WcsError } from './errors.js';
import { angularSeparationDeg } from './geometry.js';
import { leastSquares } from './linalg.js';
import { evalPoly } from './poly.js';
import { densePoly, type Sip, type SipPolynomial, type SipTerm } from './sip.js';
import { intermediateToSky, pixToSky, skyToIntermediate, skyToPix } from './transform.js';
import { createWcs, type Wcs } from './wcs.js';

export interface FitWcsPairs {
  xPx: Float64Array;
  yPx: Float64Array;
  raDeg: Float64Array;
  decDeg: Float64Array;
}

export interface FitWcsOptions {
  /** 0 for plain TAN (default), else the SIP order. */
  sipOrder?: 0 | 2 | 3 | 4;
  /** Clip at this many σ (default 3); Infinity disables clipping. */
  clipSigma?: number;
  /** Most fits to make while clipping (default 10). */
  maxIterations?: number;
  /** Reference pixel (0-based), held fixed; default the image centre, or the centre of the points' bounding box. */
  crpix?: [number, number];
  /** Per-pair weights (≥ 0; 0 excludes the pair), e.g. 1/σ² of the centroid. */
  weights?: Float64Array;
  /** Image size [width, height]: sets the default CRPIX and the region where AP/BP are fitted. */
  imageSize?: [number, number];
  /** Order of the AP/BP inverse polynomials (default sipOrder + 1). */
  sipInverseOrder?: number;
}

export interface FitWcsResult {
  wcs: Wcs;
  /** RMS over inliers of the angular distance between fitted and catalogue positions. */
  rmsArcsec: number;
  /** RMS over inliers of the pixel distance between measured and predicted positions. */
  rmsPx: number;
  /** 1 for pairs used in the final fit. */
  inliers: Uint8Array;
  /** Number of least-squares fits made (clipping rounds). */
  iterations: number;
  /** Largest error (px) of the fitted AP/BP inverse over the fit region; 0 without SIP. */
  inverseMaxErrorPx: number;
}

const MEDIAN_TO_SIGMA = 1 / Math.sqrt(2 * Math.LN2);
/** σ floor (arcsec) so exact synthetic data do not clip on rounding noise. */
const SIGMA_FLOOR_ARCSEC = 1e-6;
/** CRVAL iteration stops when CRPIX lands this close to the tangent point (degrees ≈ 4e-10″). */
const CRVAL_CONVERGED_DEG = 1e-13;
const MAX_CRVAL_ITERATIONS = 50;

export function fitWcs(pairs: FitWcsPairs, opts: FitWcsOptions = {}): FitWcsResult {
  const { xPx, yPx, raDeg, decDeg } = pairs;
  const n = xPx.length;
  if (yPx.length !== n || raDeg.length !== n || decDeg.length !== n) {
    throw new WcsError('BAD_ARGUMENT', 'xPx, yPx, raDeg and decDeg must have the same length');
  }
  const sipOrder = opts.sipOrder ?? 0;
  if (![0, 2, 3, 4].includes(sipOrder)) throw new WcsError('BAD_ARGUMENT', `sipOrder ${sipOrder} (use 0, 2, 3 or 4)`);
  const clipSigma = opts.clipSigma ?? 3;
  if (!(clipSigma > 0)) throw new WcsError('BAD_ARGUMENT', `clipSigma ${clipSigma} must be > 0`);
  const maxIterations = opts.maxIterations ?? 10;
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) throw new WcsError('BAD_ARGUMENT', `maxIterations ${maxIterations} must be an integer ≥ 1`);
  const inverseOrder = opts.sipInverseOrder ?? sipOrder + 1;
  if (sipOrder > 0 && !(Number.isInteger(inverseOrder) && inverseOrder >= 1 && inverseOrder <= 9)) {
    throw new WcsError('BAD_ARGUMENT', `sipInverseOrder ${inverseOrder} must be an integer in 1..9`);
  }
  const weights = opts.weights;
  if (weights !== undefined && weights.length !== n) throw new WcsError('BAD_ARGUMENT', `weights has ${weights.length} values for ${n} pairs`);

  // Usable pairs: finite, positive weight.
  const valid = new Uint8Array(n);
  let nValid = 0;
  for (let i = 0; i < n; i++) {
    const w = weights ? weights[i] : 1;
    if (Number.isFinite(xPx[i]) && Number.isFinite(yPx[i]) && Number.isFinite(raDeg[i]) && Math.abs(decDeg[i]) <= 90 && w > 0 && Number.isFinite(w)) {
      valid[i] = 1;
      nValid++;
    }
  }
  const degree = Math.max(1, sipOrder);
  const nTerms = ((degree + 1) * (degree + 2)) / 2;
  if (nValid < nTerms) {
    throw new WcsError('BAD_ARGUMENT', `a ${sipOrder > 0 ? `SIP order ${sipOrder}` : 'TAN'} fit needs at least ${nTerms} usable pairs, got ${nValid}`);
  }

  const region = fitRegion(xPx, yPx, valid, opts.imageSize);
  const crpix: [number, number] = opts.crpix ?? [(region.x0 + region.x1) / 2, (region.y0 + region.y1) / 2];
  if (!Number.isFinite(crpix[0]) || !Number.isFinite(crpix[1])) throw new WcsError('BAD_ARGUMENT', 'crpix is not finite');
  // Normalising the offsets keeps the order-4 design matrix well scaled.
  let scale = 1;
  for (let i = 0; i < n; i++) {
    if (valid[i]) scale = Math.max(scale, Math.abs(xPx[i] - crpix[0]), Math.abs(yPx[i] - crpix[1]));
  }

  let crval = meanDirection(raDeg, decDeg, valid);
  let inliers = valid.slice();
  let wcs!: Wcs;
  let iterations = 0;
  const resid = new Float64Array(n);
  for (;;) {
    iterations++;
    const fitted = fitOnce({ xPx, yPx, raDeg, decDeg }, inliers, weights, crpix, crval, degree, scale);
    crval = fitted.crval;
    wcs = fitted.wcs;
    // Residuals of every usable pair against this fit.
    const inl: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!valid[i]) continue;
      const [ra, dec] = pixToSky(wcs, xPx[i], yPx[i]);
      resid[i] = angularSeparationDeg(ra, dec, raDeg[i], decDeg[i]) * 3600;
      if (inliers[i]) inl.push(resid[i]);
    }
    if (iterations >= maxIterations || clipSigma === Infinity) break;
    const sigma = Math.max(median(inl) * MEDIAN_TO_SIGMA, SIGMA_FLOOR_ARCSEC);
    const next = new Uint8Array(n);
    let nNext = 0;
    let changed = false;
    for (let i = 0; i < n; i++) {
      next[i] = valid[i] && resid[i] <= clipSigma * sigma ? 1 : 0;
      nNext += next[i];
      if (next[i] !== inliers[i]) changed = true;
    }
    if (!changed || nNext < nTerms) break;
    inliers = next;
  }

  let inverseMaxErrorPx = 0;
  if (wcs.sip) {
    const inv = fitSipInverse(wcs, region, inverseOrder);
    wcs = inv.wcs;
    inverseMaxErrorPx = inv.maxErrorPx;
  }

  // Final statistics over the inliers of the final fit.
  let sumArc = 0;
  let sumPx = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if (!inliers[i]) continue;
    const [ra, dec] = pixToSky(wcs, xPx[i], yPx[i]);
    const r = angularSeparationDeg(ra, dec, raDeg[i], decDeg[i]) * 3600;
    const [px, py] = skyToPix(wcs, raDeg[i], decDeg[i]);
    sumArc += r * r;
    sumPx += (px - xPx[i]) ** 2 + (py - yPx[i]) ** 2;
    count++;
  }
  return {
    wcs,
    rmsArcsec: Math.sqrt(sumArc / count),
    rmsPx: Math.sqrt(sumPx / count),
    inliers,
    iterations,
    inverseMaxErrorPx,
  };
}

interface Region {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

function fitRegion(xPx: Float64Array, yPx: Float64Array, valid: Uint8Array, imageSize?: [number, number]): Region {
  if (imageSize) {
    const [w, h] = imageSize;
    if (!(w > 0 && h > 0 && Number.isFinite(w) && Number.isFinite(h))) throw new WcsError('BAD_ARGUMENT', `imageSize ${w} × ${h} is not positive`);
    return { x0: 0, x1: w - 1, y0: 0, y1: h - 1 };
  }
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < xPx.length; i++) {
    if (!valid[i]) continue;
    x0 = Math.min(x0, xPx[i]);
    x1 = Math.max(x1, xPx[i]);
    y0 = Math.min(y0, yPx[i]);
    y1 = Math.max(y1, yPx[i]);
  }
  return { x0, x1, y0, y1 };
}

/** Direction of the mean unit vector of the usable pairs: the first tangent point. */
function meanDirection(raDeg: Float64Array, decDeg: Float64Array, valid: Uint8Array): [number, number] {
  let sx = 0;
  let sy = 0;
  let sz = 0;
  const d2r = Math.PI / 180;
  for (let i = 0; i < raDeg.length; i++) {
    if (!valid[i]) continue;
    const cd = Math.cos(decDeg[i] * d2r);
    sx += cd * Math.cos(raDeg[i] * d2r);
    sy += cd * Math.sin(raDeg[i] * d2r);
    sz += Math.sin(decDeg[i] * d2r);
  }
  const r = Math.hypot(sx, sy, sz);
  if (!(r > 0)) throw new WcsError('BAD_ARGUMENT', 'the sky positions have no mean direction (spread over the whole sphere)');
  let ra = (Math.atan2(sy, sx) / d2r + 360) % 360;
  if (ra >= 360) ra -= 360;
  return [ra, Math.asin(Math.max(-1, Math.min(1, sz / r))) / d2r];
}

/** One weighted fit on `mask`, iterating CRVAL until CRPIX maps onto the tangent point. */
function fitOnce(
  pairs: FitWcsPairs,
  mask: Uint8Array,
  weights: Float64Array | undefined,
  crpix: [number, number],
  crval0: [number, number],
  degree: number,
  scale: number,
): { wcs: Wcs; crval: [number, number] } {
  const { xPx, yPx, raDeg, decDeg } = pairs;
  const rows: number[] = [];
  for (let i = 0; i < mask.length; i++) if (mask[i]) rows.push(i);
  const m = rows.length;
  const terms: Array<[number, number]> = [];
  for (let d = 0; d <= degree; d++) for (let q = 0; q <= d; q++) terms.push([d - q, q]);
  const nt = terms.length;
  let crval = crval0;
  for (let it = 0; it < MAX_CRVAL_ITERATIONS; it++) {
    const tangent = createWcs({ crpix, crval, cd: [1, 0, 0, 1] });
    const a = new Float64Array(m * nt);
    const b = new Float64Array(m * 2);
    for (let r = 0; r < m; r++) {
      const i = rows[r];
      const [xi, eta] = skyToIntermediate(tangent, raDeg[i], decDeg[i]);
      if (!Number.isFinite(xi) || !Number.isFinite(eta)) {
        throw new WcsError('BAD_ARGUMENT', `pair ${i} is 90° or more from the field centre: not a TAN field`);
      }
      const sw = weights ? Math.sqrt(weights[i]) : 1;
      const u = (xPx[i] - crpix[0]) / scale;
      const v = (yPx[i] - crpix[1]) / scale;
      for (let t = 0; t < nt; t++) a[r * nt + t] = sw * u ** terms[t][0] * v ** terms[t][1];
      b[r * 2] = sw * xi;
      b[r * 2 + 1] = sw * eta;
    }
    const coef = leastSquares(a, m, nt, b, 2);
    // terms[0] is the constant: where CRPIX falls on this tangent plane.
    const xi0 = coef[0];
    const eta0 = coef[1];
    if (Math.hypot(xi0, eta0) > CRVAL_CONVERGED_DEG && it < MAX_CRVAL_ITERATIONS - 1) {
      crval = intermediateToSky(tangent, xi0, eta0);
      continue;
    }
    // Linear terms (1, 0) and (0, 1) are terms[1], terms[2] → CD; higher ones → SIP via CD⁻¹.
    const cd: [number, number, number, number] = [coef[1 * 2] / scale, coef[2 * 2] / scale, coef[1 * 2 + 1] / scale, coef[2 * 2 + 1] / scale];
    if (degree < 2) return { wcs: createWcs({ crpix, crval, cd }), crval };
    const det = cd[0] * cd[3] - cd[1] * cd[2];
    const aTerms: SipTerm[] = [];
    const bTerms: SipTerm[] = [];
    for (let t = 3; t < nt; t++) {
      const [p, q] = terms[t];
      const s = scale ** (p + q);
      const X = coef[t * 2] / s;
      const Y = coef[t * 2 + 1] / s;
      aTerms.push({ p, q, value: (cd[3] * X - cd[1] * Y) / det });
      bTerms.push({ p, q, value: (-cd[2] * X + cd[0] * Y) / det });
    }
    const sip: Sip = { a: { order: degree, terms: sortTerms(aTerms) }, b: { order: degree, terms: sortTerms(bTerms) } };
    return { wcs: createWcs({ crpix, crval, cd, sip }), crval };
  }
  throw new WcsError('BAD_ARGUMENT', 'the reference point did not converge');
}

function sortTerms(terms: SipTerm[]): SipTerm[] {
  return terms.sort((s, t) => s.p - t.p || s.q - t.q);
}

/**
 * Fits AP/BP of `order` to the exact inverse of A/B on a grid over the region (a little
 * beyond it), and reports the largest error of the result on a grid offset from the first.
 */
function fitSipInverse(wcs: Wcs, region: Region, order: number): { wcs: Wcs; maxErrorPx: number } {
  const sip = wcs.sip!;
  const a = densePoly(sip.a);
  const b = densePoly(sip.b);
  const [cx, cy] = wcs.crpix;
  const padX = Math.max(1, 0.02 * (region.x1 - region.x0));
  const padY = Math.max(1, 0.02 * (region.y1 - region.y0));
  const x0 = region.x0 - padX;
  const x1 = region.x1 + padX;
  const y0 = region.y0 - padY;
  const y1 = region.y1 + padY;
  const terms: Array<[number, number]> = [];
  for (let d = 0; d <= order; d++) for (let q = 0; q <= d; q++) terms.push([d - q, q]);
  const nt = terms.length;
  const g = Math.max(20, 3 * (order + 1));
  const m = g * g;
  let scale = 1;
  const U = new Float64Array(m);
  const V = new Float64Array(m);
  const du = new Float64Array(m);
  const dv = new Float64Array(m);
  for (let iy = 0; iy < g; iy++) {
    for (let ix = 0; ix < g; ix++) {
      const r = iy * g + ix;
      const u = x0 + ((x1 - x0) * ix) / (g - 1) - cx;
      const v = y0 + ((y1 - y0) * iy) / (g - 1) - cy;
      U[r] = u + evalPoly(a, u, v);
      V[r] = v + evalPoly(b, u, v);
      du[r] = u - U[r];
      dv[r] = v - V[r];
      scale = Math.max(scale, Math.abs(U[r]), Math.abs(V[r]));
    }
  }
  const design = new Float64Array(m * nt);
  const rhs = new Float64Array(m * 2);
  for (let r = 0; r < m; r++) {
    const s = U[r] / scale;
    const t = V[r] / scale;
    for (let k = 0; k < nt; k++) design[r * nt + k] = s ** terms[k][0] * t ** terms[k][1];
    rhs[r * 2] = du[r];
    rhs[r * 2 + 1] = dv[r];
  }
  const coef = leastSquares(design, m, nt, rhs, 2);
  const apTerms: SipTerm[] = [];
  const bpTerms: SipTerm[] = [];
  for (let k = 0; k < nt; k++) {
    const [p, q] = terms[k];
    const s = scale ** (p + q);
    apTerms.push({ p, q, value: coef[k * 2] / s });
    bpTerms.push({ p, q, value: coef[k * 2 + 1] / s });
  }
  const ap: SipPolynomial = { order, terms: sortTerms(apTerms) };
  const bp: SipPolynomial = { order, terms: sortTerms(bpTerms) };
  const out = createWcs({ ...wcs, sip: { a: sip.a, b: sip.b, ap, bp } });
  // Check on the cell centres of the fitting grid.
  const apD = densePoly(ap);
  const bpD = densePoly(bp);
  let maxErrorPx = 0;
  for (let iy = 0; iy < g - 1; iy++) {
    for (let ix = 0; ix < g - 1; ix++) {
      const u = x0 + ((x1 - x0) * (ix + 0.5)) / (g - 1) - cx;
      const v = y0 + ((y1 - y0) * (iy + 0.5)) / (g - 1) - cy;
      const Uc = u + evalPoly(a, u, v);
      const Vc = v + evalPoly(b, u, v);
      const ue = Uc + evalPoly(apD, Uc, Vc);
      const ve = Vc + evalPoly(bpD, Uc, Vc);
      maxErrorPx = Math.max(maxErrorPx, Math.hypot(ue - u, ve - v));
    }
  }
  return { wcs: out, maxErrorPx };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((x, y) => x - y);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
