/**
 * Sérsic galaxy profiles (Sérsic 1963; conventions of Graham & Driver 2005, PASA 22, 118):
 *   I(R) = Iₑ exp(−bₙ [(R/Rₑ)^(1/n) − 1]),
 * R the elliptical radius R² = u² + (v/q)² with u along the major axis, v along the minor
 * axis, q = b/a = 1 − ellipticity, and Rₑ the half-light semi-major axis. bₙ solves
 * P(2n, bₙ) = ½ (P the regularised lower incomplete gamma function), so Rₑ encloses half
 * the light; the flux inside R is F · P(2n, bₙ (R/Rₑ)^(1/n)) and the total is
 *   F = 2π q n Rₑ² Iₑ e^(bₙ) bₙ^(−2n) Γ(2n).
 *
 * Drawing: the profile is truncated at the ellipse holding all but `truncation` of the
 * light (or at the stamp cap) and scaled so the truncated profile carries the whole
 * requested flux; each pixel gets the integral of the profile over its area by adaptive
 * Gauss–Legendre cubature (cells are split until they are small beside the profile's
 * local scale length, down to 1/1024 px at the cusp of n > 1 profiles), then the stamp is
 * convolved with the PSF sampled at pixel offsets (`psfKernel`).
 */
import { requireNumber, SkyError } from './errors.js';
import type { ImageBuffer, PsfKernel } from './psf.js';
import { gammaP, gammaPInverse, lnGamma } from './special.js';

/** bₙ of a Sérsic index n: the solution of P(2n, b) = ½. */
export function sersicB(n: number): number {
  requireNumber(n, 'n', 0.2, 10);
  return gammaPInverse(2 * n, 0.5);
}

/** Fraction of the total light inside elliptical radius R = rOverRe · Rₑ. */
export function sersicEnclosedFraction(n: number, rOverRe: number): number {
  requireNumber(rOverRe, 'rOverRe', 0);
  return gammaP(2 * n, sersicB(n) * Math.pow(rOverRe, 1 / n));
}

/** R/Rₑ of the ellipse enclosing `fraction` of the light. */
export function sersicRadiusEnclosing(n: number, fraction: number): number {
  requireNumber(fraction, 'fraction', 0, 1, true);
  if (fraction >= 1) return Infinity;
  return Math.pow(gammaPInverse(2 * n, fraction) / sersicB(n), n);
}

/** Iₑ (flux per unit area, in the units of Rₑ²) of a profile with total flux 1. */
export function sersicIe(n: number, re: number, axisRatio: number): number {
  const b = sersicB(n);
  return 1 / (2 * Math.PI * axisRatio * n * re * re * Math.exp(b + lnGamma(2 * n) - 2 * n * Math.log(b)));
}

export interface SersicDraw {
  /** Centre, 0-based px. */
  xPx: number;
  yPx: number;
  /** Total flux, e⁻. */
  fluxE: number;
  /** Sérsic index, 0.2 … 10. */
  n: number;
  /** Half-light semi-major axis, arcsec. */
  reArcsec: number;
  /** b/a, (0, 1]. */
  axisRatio: number;
  /**
   * Linear map from a pixel offset (dx, dy) to (u, v) in arcsec along the galaxy's major
   * and minor axes, row-major [[u/dx, u/dy], [v/dx, v/dy]]: the local WCS Jacobian rotated
   * by the position angle.
   */
  pixelToAxes: readonly [number, number, number, number];
  /** Light allowed outside the truncation ellipse; default 1e-3. */
  truncation?: number;
  /** Cap on the stamp's half-size, px; default 512. */
  maxRadiusPx?: number;
}

export interface SersicStamp {
  /** Pixel of the stamp's first element. */
  x0: number;
  y0: number;
  width: number;
  height: number;
  /** Pixel-integrated profile scaled to `fluxE`. */
  data: Float64Array;
  /** Fraction of the untruncated light inside the truncation ellipse. */
  enclosed: number;
  /** Truncation semi-major axis, arcsec. */
  truncationArcsec: number;
}

const MAX_STAMP_PIXELS = 1 << 22;
const CENTRE_DEPTH = 10;
const SCALE_DEPTH = 7;
const EDGE_DEPTH = 3;

// Three-point Gauss–Legendre on [−½, ½]: nodes 0, ±√(3/5)/2, weights 4/9, 5/18.
const GL_X = [-Math.sqrt(0.6) / 2, 0, Math.sqrt(0.6) / 2];
const GL_W = [5 / 18, 8 / 18, 5 / 18];

/** The pixel-integrated, truncated profile on a stamp, before the PSF. */
export function sersicStamp(g: SersicDraw): SersicStamp {
  requireNumber(g.xPx, 'xPx');
  requireNumber(g.yPx, 'yPx');
  requireNumber(g.fluxE, 'fluxE', 0);
  const n = requireNumber(g.n, 'n', 0.2, 10);
  const re = requireNumber(g.reArcsec, 'reArcsec', 0, 1e5, true);
  const q = requireNumber(g.axisRatio, 'axisRatio', 0, 1, true);
  const truncation = requireNumber(g.truncation ?? 1e-3, 'truncation', 0, 0.5, true);
  const cap = requireNumber(g.maxRadiusPx ?? 512, 'maxRadiusPx', 1, 4096);
  const [m00, m01, m10, m11] = g.pixelToAxes;
  for (const [i, v] of g.pixelToAxes.entries()) requireNumber(v, `pixelToAxes[${i}]`);
  const det = m00 * m11 - m01 * m10;
  if (!(Math.abs(det) > 0)) throw new SkyError('BAD_ARGUMENT', 'matrix is singular', { parameter: 'pixelToAxes' });
  const areaArcsec2 = Math.abs(det); // arcsec² per px²
  // R² = pᵀ A p with A = Mᵀ diag(1, 1/q²) M.
  const iq2 = 1 / (q * q);
  const a00 = m00 * m00 + m10 * m10 * iq2;
  const a01 = m00 * m01 + m10 * m11 * iq2;
  const a11 = m01 * m01 + m11 * m11 * iq2;
  const detA = a00 * a11 - a01 * a01;
  // Half-extents of the ellipse pᵀAp = R² are R·√((A⁻¹)₀₀) and R·√((A⁻¹)₁₁).
  const ex = Math.sqrt(a11 / detA);
  const ey = Math.sqrt(a00 / detA);
  const b = sersicB(n);
  let rt = re * sersicRadiusEnclosing(n, 1 - truncation);
  rt = Math.min(rt, cap / Math.max(ex, ey));
  const enclosed = gammaP(2 * n, b * Math.pow(rt / re, 1 / n));
  const x0 = Math.floor(g.xPx - rt * ex - 1);
  const y0 = Math.floor(g.yPx - rt * ey - 1);
  const width = Math.ceil(g.xPx + rt * ex + 1) - x0 + 1;
  const height = Math.ceil(g.yPx + rt * ey + 1) - y0 + 1;
  if (width * height > MAX_STAMP_PIXELS) {
    throw new SkyError('TOO_LARGE', `a ${width} × ${height} stamp exceeds ${MAX_STAMP_PIXELS} pixels; lower maxRadiusPx`, { parameter: 'maxRadiusPx' });
  }
  const data = new Float64Array(width * height);
  const ie = sersicIe(n, re, q) / enclosed;
  const scale = g.fluxE * ie * areaArcsec2;
  // Upper bound on |∇R| (arcsec per px): Frobenius norm of diag(1, 1/q)·M.
  const grad = Math.sqrt(m00 * m00 + m01 * m01 + (m10 * m10 + m11 * m11) * iq2);
  const rt2 = rt * rt;
  const invN = 1 / n;

  const profile = (dx: number, dy: number): number => {
    const r2 = a00 * dx * dx + 2 * a01 * dx * dy + a11 * dy * dy;
    if (r2 > rt2) return 0;
    return Math.exp(-b * (Math.pow(r2 / (re * re), 0.5 * invN) - 1));
  };
  const cubature = (cx: number, cy: number, side: number): number => {
    let s = 0;
    for (let j = 0; j < 3; j++) {
      const y = cy + GL_X[j] * side;
      let row = 0;
      for (let i = 0; i < 3; i++) row += GL_W[i] * profile(cx + GL_X[i] * side, y);
      s += GL_W[j] * row;
    }
    return s * side * side;
  };
  // Integral over the square of side `side` centred at (cx, cy) (offsets from the centre).
  const integrate = (cx: number, cy: number, side: number, depth: number): number => {
    const half = side / 2;
    const rc = Math.sqrt(a00 * cx * cx + 2 * a01 * cx * cy + a11 * cy * cy);
    const reach = grad * half * Math.SQRT2;
    const rMin = Math.max(0, rc - reach);
    if (rMin > rt) return 0;
    let split = false;
    if (depth < CENTRE_DEPTH && rMin === 0) split = true;
    else if (depth < EDGE_DEPTH && rc + reach > rt) split = true;
    else if (depth < SCALE_DEPTH && rMin > 0) {
      // Local scale length of ln I: n R / (b (R/Re)^(1/n)); cells must be small beside it.
      const scaleLen = (n * rMin) / (b * Math.pow(rMin / re, invN));
      split = side * grad > 0.5 * scaleLen;
    }
    if (!split) return cubature(cx, cy, side);
    const q4 = side / 4;
    return (
      integrate(cx - q4, cy - q4, half, depth + 1) +
      integrate(cx + q4, cy - q4, half, depth + 1) +
      integrate(cx - q4, cy + q4, half, depth + 1) +
      integrate(cx + q4, cy + q4, half, depth + 1)
    );
  };
  for (let y = 0; y < height; y++) {
    const dy = y0 + y - g.yPx;
    for (let x = 0; x < width; x++) data[y * width + x] = scale * integrate(x0 + x - g.xPx, dy, 1, 0);
  }
  return { x0, y0, width, height, data, enclosed, truncationArcsec: rt };
}

/**
 * Adds `stamp` convolved with `kernel` to `image` (row-major width × height). Returns the
 * flux that landed on the image. Cost: stamp pixels × kernel pixels.
 */
export function addConvolvedStamp(image: ImageBuffer, width: number, height: number, stamp: SersicStamp, kernel: PsfKernel): number {
  const k = kernel.radiusPx;
  const ks = kernel.size;
  const kd = kernel.data;
  const ox0 = Math.max(0, stamp.x0 - k);
  const oy0 = Math.max(0, stamp.y0 - k);
  const ox1 = Math.min(width - 1, stamp.x0 + stamp.width - 1 + k);
  const oy1 = Math.min(height - 1, stamp.y0 + stamp.height - 1 + k);
  let deposited = 0;
  for (let oy = oy0; oy <= oy1; oy++) {
    for (let ox = ox0; ox <= ox1; ox++) {
      // out(o) = Σ_s stamp(s) · kernel(o − s), s within the stamp and |o − s| ≤ k.
      const sy0 = Math.max(stamp.y0, oy - k);
      const sy1 = Math.min(stamp.y0 + stamp.height - 1, oy + k);
      const sx0 = Math.max(stamp.x0, ox - k);
      const sx1 = Math.min(stamp.x0 + stamp.width - 1, ox + k);
      let sum = 0;
      for (let sy = sy0; sy <= sy1; sy++) {
        const srow = (sy - stamp.y0) * stamp.width - stamp.x0;
        const krow = (oy - sy + k) * ks + k + ox;
        for (let sx = sx0; sx <= sx1; sx++) sum += stamp.data[srow + sx] * kd[krow - sx];
      }
      image[oy * width + ox] += sum;
      deposited += sum;
    }
  }
  return deposited;
}
