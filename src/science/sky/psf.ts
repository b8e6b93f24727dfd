/**
 * Point-spread functions integrated over pixels: circular Moffat (Moffat 1969) and Gaussian
 * profiles of a given FWHM, normalised to unit total flux over the plane, optionally
 * trailed along a line (tracking drift, wind shake, an unguided mount).
 *
 * Profiles (r in pixels, total flux 1):
 *   Moffat:   f(r) = (β − 1)/(π α²) · (1 + r²/α²)^(−β),  α = FWHM / (2 √(2^(1/β) − 1))
 *   Gaussian: f(r) = 1/(2π σ²) · exp(−r²/2σ²),            σ = FWHM / (2 √(2 ln 2))
 * The default β = 4.765 is the Moffat that best matches a Kolmogorov-turbulence seeing
 * profile (Trujillo et al. 2001, MNRAS 328, 977); β ≈ 2.5–3 gives the broader wings of
 * scattering optics.
 *
 * How a star is drawn. Each pixel receives the integral of the profile over the pixel's
 * area (not its value at the centre), so small FWHMs keep their flux and centroid:
 * - core (within ~3 FWHM): a table of pixel integrals P(dx, dy) on a grid of sub-pixel
 *   offsets (spacing 1/K px) is built once per PSF from fine cells integrated by Gauss–
 *   Legendre quadrature (exactly, through erf, for the Gaussian) and a summed-area table;
 *   a star at any position reads it with bilinear interpolation in the offset. Sums and
 *   first moments are linear in the interpolation weights, so flux and centroid are exact
 *   to the table's own accuracy (~1e-8); the shape picks up an extra variance of K⁻²/6 px².
 * - wings: a radial table of f + ∇²f/24, the pixel integral to fourth order (the
 *   correction is ∫∫ over the unit pixel of the second-order Taylor term).
 * Each star is drawn inside a disc whose radius encloses all but
 * max(truncation, truncationE/flux) of its flux, so faint stars cost little and the flux
 * lost to truncation is bounded and known (`psfEnclosedFraction`).
 */
import { requireNumber, SkyError } from './errors.js';
import { normalCdf } from './special.js';

export type PsfProfile = 'moffat' | 'gaussian';

/** Trujillo et al. (2001): the Moffat β of atmospheric-turbulence seeing. */
export const DEFAULT_MOFFAT_BETA = 4.765;

/** Straight-line smear of the image during the exposure, centred on the star's position. */
export interface PsfTrail {
  /** Length of the smear in pixels (0 for none). */
  lengthPx: number;
  /** Direction, degrees from the +x axis towards +y. */
  angleDeg: number;
}

export interface PsfSpec {
  /** Default 'moffat'. */
  profile?: PsfProfile;
  /** Full width at half maximum in pixels (0.5 … 200). */
  fwhmPx: number;
  /** Moffat β (> 1); default DEFAULT_MOFFAT_BETA. Ignored for the Gaussian. */
  beta?: number;
  trail?: PsfTrail;
}

export interface ResolvedPsf {
  readonly profile: PsfProfile;
  readonly fwhmPx: number;
  /** Moffat β; NaN for the Gaussian. */
  readonly beta: number;
  readonly trail: PsfTrail;
}

const MIN_FWHM_PX = 0.5;
const MAX_FWHM_PX = 200;
const MAX_TRAIL_PX = 8192;

export function resolvePsf(spec: PsfSpec): ResolvedPsf {
  if (spec === null || typeof spec !== 'object') throw new SkyError('BAD_ARGUMENT', 'a PSF description is required', { parameter: 'psf' });
  const profile = spec.profile ?? 'moffat';
  if (profile !== 'moffat' && profile !== 'gaussian') {
    throw new SkyError('BAD_ARGUMENT', `unknown profile '${String(profile)}' (moffat or gaussian)`, { parameter: 'psf.profile' });
  }
  requireNumber(spec.fwhmPx, 'psf.fwhmPx', MIN_FWHM_PX, MAX_FWHM_PX);
  const beta = profile === 'moffat' ? requireNumber(spec.beta ?? DEFAULT_MOFFAT_BETA, 'psf.beta', 1, 100, true) : NaN;
  const trail = spec.trail ?? { lengthPx: 0, angleDeg: 0 };
  requireNumber(trail.lengthPx, 'psf.trail.lengthPx', 0, MAX_TRAIL_PX);
  requireNumber(trail.angleDeg, 'psf.trail.angleDeg');
  return Object.freeze({ profile, fwhmPx: spec.fwhmPx, beta, trail: Object.freeze({ lengthPx: trail.lengthPx, angleDeg: trail.angleDeg }) });
}

/** Moffat α (px) of a given FWHM and β. */
export function moffatAlphaPx(fwhmPx: number, beta: number): number {
  return fwhmPx / (2 * Math.sqrt(Math.pow(2, 1 / beta) - 1));
}

/** Gaussian σ (px) of a given FWHM. */
export function gaussianSigmaPx(fwhmPx: number): number {
  return fwhmPx / (2 * Math.sqrt(2 * Math.LN2));
}

/** The untrailed profile's surface density at offset (dx, dy) px, per px² (unit total flux). */
export function psfDensity(spec: PsfSpec, dxPx: number, dyPx: number): number {
  return densityOf(resolvePsf(spec))(dxPx * dxPx + dyPx * dyPx);
}

/** The untrailed profile as a function of r² (px²). */
function densityOf(p: ResolvedPsf): (r2: number) => number {
  if (p.profile === 'gaussian') {
    const sigma = gaussianSigmaPx(p.fwhmPx);
    const c = 1 / (2 * Math.PI * sigma * sigma);
    const d = -1 / (2 * sigma * sigma);
    return (r2) => c * Math.exp(r2 * d);
  }
  const alpha = moffatAlphaPx(p.fwhmPx, p.beta);
  const c = (p.beta - 1) / (Math.PI * alpha * alpha);
  const inv = 1 / (alpha * alpha);
  const nb = -p.beta;
  return (r2) => c * Math.pow(1 + r2 * inv, nb);
}

/** Fraction of the untrailed profile's flux inside a circle of `radiusPx`. */
export function psfEnclosedFraction(spec: PsfSpec, radiusPx: number): number {
  const p = resolvePsf(spec);
  const r2 = radiusPx * radiusPx;
  if (p.profile === 'gaussian') {
    const sigma = gaussianSigmaPx(p.fwhmPx);
    return -Math.expm1(-r2 / (2 * sigma * sigma));
  }
  const alpha = moffatAlphaPx(p.fwhmPx, p.beta);
  return 1 - Math.pow(1 + r2 / (alpha * alpha), 1 - p.beta);
}

/** Radius (px) outside which the untrailed profile holds `lostFraction` of its flux. */
export function psfRadiusForLoss(spec: PsfSpec, lostFraction: number): number {
  const p = resolvePsf(spec);
  requireNumber(lostFraction, 'lostFraction', 0, 1, true);
  if (lostFraction >= 1) return 0;
  if (p.profile === 'gaussian') return gaussianSigmaPx(p.fwhmPx) * Math.sqrt(-2 * Math.log(lostFraction));
  const alpha = moffatAlphaPx(p.fwhmPx, p.beta);
  return alpha * Math.sqrt(Math.max(0, Math.pow(lostFraction, 1 / (1 - p.beta)) - 1));
}

// ---------------------------------------------------------------------------------------
// Renderer

export interface PsfRendererOptions {
  /** Relative flux a star may lose outside its disc; default 1e-5. */
  truncation?: number;
  /** Absolute flux (e⁻) a star may lose; the looser of the two applies. Default 0.01. */
  truncationE?: number;
  /** Cap on the disc radius (px); default 512. Beyond it the loss exceeds the targets. */
  maxRadiusPx?: number;
}

export type ImageBuffer = Float32Array | Float64Array;

export interface PsfRenderer {
  readonly psf: ResolvedPsf;
  /** Radius (px) of the disc of pixel centres drawn for a star of the given total flux. */
  radiusFor(fluxE: number): number;
  /**
   * Adds a star of total flux `fluxE` centred at (xPx, yPx) (0-based; the trail, if any, is
   * centred there) to `image` (row-major, width × height). Returns the flux that landed
   * on the image. Stars entirely off the image cost nothing.
   */
  add(image: ImageBuffer, width: number, height: number, xPx: number, yPx: number, fluxE: number): number;
}

/** Radial wing table resolution: samples per pixel of radius. */
const WING_RES = 64;
/** Sub-pixel steps of a trail: at most this many px apart, and at most FWHM/8. */
const TRAIL_STEP_PX = 0.25;
const MAX_TRAIL_STEPS = 40000;

// Two-point Gauss–Legendre nodes on [−½, ½] (a cell's width is 1/K px, tiny beside α).
const GL2 = 0.5 / Math.sqrt(3);

export function createPsfRenderer(spec: PsfSpec, opts: PsfRendererOptions = {}): PsfRenderer {
  const psf = resolvePsf(spec);
  const truncation = requireNumber(opts.truncation ?? 1e-5, 'truncation', 0, 0.5, true);
  const truncationE = requireNumber(opts.truncationE ?? 0.01, 'truncationE', 0);
  const maxRadiusPx = requireNumber(opts.maxRadiusPx ?? 512, 'maxRadiusPx', 1, 4096);

  // Core table geometry: offsets in [−rc, rc] px at 1/k px spacing.
  const rc = Math.min(24, Math.max(3, Math.ceil(3 * psf.fwhmPx)));
  const k = rc <= 12 ? 32 : 16;
  const side = 2 * rc * k + 1;
  const table = coreTable(psf, rc, k);
  const wing = wingTable(psf, maxRadiusPx + 2);

  // Pixels are kept when their centre is within the loss radius + √½: every pixel that
  // overlaps the loss circle at all, so the loss bound holds after pixelisation.
  const radiusFor = (fluxE: number): number => {
    const lost = fluxE > 0 ? Math.max(truncation, truncationE / fluxE) : 1;
    return lost >= 1 ? 0 : Math.min(maxRadiusPx, psfRadiusForLoss(psf, lost)) + Math.SQRT1_2;
  };

  // Trail sub-positions (offsets from the centre) with equal weights.
  const trailLen = psf.trail.lengthPx;
  const steps = trailLen > 0 ? Math.min(MAX_TRAIL_STEPS, Math.max(1, Math.ceil(trailLen / Math.min(TRAIL_STEP_PX, psf.fwhmPx / 8)))) : 1;
  const theta = (psf.trail.angleDeg * Math.PI) / 180;
  const offX = new Float64Array(steps);
  const offY = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const t = ((i + 0.5) / steps - 0.5) * trailLen;
    offX[i] = t * Math.cos(theta);
    offY[i] = t * Math.sin(theta);
  }

  const addOne = (image: ImageBuffer, width: number, height: number, x0: number, y0: number, flux: number, radius: number): number => {
    const ylo = Math.max(0, Math.ceil(y0 - radius));
    const yhi = Math.min(height - 1, Math.floor(y0 + radius));
    if (ylo > yhi || x0 + radius < 0 || x0 - radius > width - 1) return 0;
    const r2max = radius * radius;
    // Table indices: j = x·k + a0 reads offset (j/k − rc), bilinear weight fa on j + 1.
    const ax = (rc - x0) * k;
    const a0 = Math.floor(ax);
    const fa = ax - a0;
    const ay = (rc - y0) * k;
    const b0 = Math.floor(ay);
    const fb = ay - b0;
    const ga = 1 - fa;
    const gb = 1 - fb;
    const coreXlo = Math.ceil(-a0 / k);
    const coreXhi = Math.floor((side - 2 - a0) / k);
    let deposited = 0;
    for (let y = ylo; y <= yhi; y++) {
      const dy = y - y0;
      const half = Math.sqrt(Math.max(0, r2max - dy * dy));
      const xlo = Math.max(0, Math.ceil(x0 - half));
      const xhi = Math.min(width - 1, Math.floor(x0 + half));
      if (xlo > xhi) continue;
      const row = y * width;
      const jy = y * k + b0;
      let cxlo = xhi + 1;
      let cxhi = xhi;
      if (jy >= 0 && jy <= side - 2) {
        cxlo = Math.max(xlo, coreXlo);
        cxhi = Math.min(xhi, coreXhi);
        if (cxlo > cxhi) {
          cxlo = xhi + 1;
          cxhi = xhi;
        }
      }
      const dy2 = dy * dy;
      // Wing left of the core (or the whole row when it misses the core).
      const leftEnd = Math.min(cxlo - 1, xhi);
      for (let x = xlo; x <= leftEnd; x++) {
        const dx = x - x0;
        const t = Math.sqrt(dx * dx + dy2) * WING_RES;
        const i = t | 0;
        const v = flux * (wing[i] + (t - i) * (wing[i + 1] - wing[i]));
        image[row + x] += v;
        deposited += v;
      }
      if (cxlo <= cxhi) {
        const t0 = jy * side;
        const t1 = t0 + side;
        for (let x = cxlo; x <= cxhi; x++) {
          const j = x * k + a0;
          const v = flux * (gb * (ga * table[t0 + j] + fa * table[t0 + j + 1]) + fb * (ga * table[t1 + j] + fa * table[t1 + j + 1]));
          image[row + x] += v;
          deposited += v;
        }
        for (let x = cxhi + 1; x <= xhi; x++) {
          const dx = x - x0;
          const t = Math.sqrt(dx * dx + dy2) * WING_RES;
          const i = t | 0;
          const v = flux * (wing[i] + (t - i) * (wing[i + 1] - wing[i]));
          image[row + x] += v;
          deposited += v;
        }
      }
    }
    return deposited;
  };

  return {
    psf,
    radiusFor,
    add(image, width, height, xPx, yPx, fluxE) {
      if (!(fluxE > 0) || !Number.isFinite(xPx) || !Number.isFinite(yPx)) return 0;
      const radius = radiusFor(fluxE);
      const reach = radius + trailLen / 2;
      if (xPx + reach < -0.5 || xPx - reach > width - 0.5 || yPx + reach < -0.5 || yPx - reach > height - 0.5) return 0;
      if (steps === 1) return addOne(image, width, height, xPx, yPx, fluxE, radius);
      const f = fluxE / steps;
      let total = 0;
      for (let i = 0; i < steps; i++) total += addOne(image, width, height, xPx + offX[i], yPx + offY[i], f, radius);
      return total;
    },
  };
}

/** Φ(b) − Φ(a) for a ≤ b, accurate in both tails. */
function normalInterval(a: number, b: number): number {
  // Upper-tail differences for positive arguments keep their relative precision.
  return a >= 0 ? normalCdf(-a) - normalCdf(-b) : normalCdf(b) - normalCdf(a);
}

/**
 * Pixel integrals P(dx, dy) of the profile over [dx ± ½] × [dy ± ½] for offsets
 * dx, dy = j/k − rc, j = 0 … 2·rc·k, row-major. Built from cells of 1/k px on the edges
 * e_m = −rc − ½ + m/k: the pixel at offset index j spans cells j … j + k − 1 exactly.
 */
function coreTable(psf: ResolvedPsf, rc: number, k: number): Float64Array {
  const m = (2 * rc + 1) * k; // cells per axis
  const h = 1 / k;
  const e0 = -rc - 0.5;
  const cells = new Float64Array(m * m);
  if (psf.profile === 'gaussian') {
    const sigma = gaussianSigmaPx(psf.fwhmPx);
    const g = new Float64Array(m);
    for (let i = 0; i < m; i++) g[i] = normalInterval((e0 + i * h) / sigma, (e0 + (i + 1) * h) / sigma);
    for (let iy = 0; iy < m; iy++) for (let ix = 0; ix < m; ix++) cells[iy * m + ix] = g[iy] * g[ix];
  } else {
    const alpha = moffatAlphaPx(psf.fwhmPx, psf.beta);
    const inv = 1 / (alpha * alpha);
    const norm = ((psf.beta - 1) / (Math.PI * alpha * alpha)) * (h * h) * 0.25;
    const nb = -psf.beta;
    // The grid is symmetric about 0 (cell i ↔ m−1−i) and the profile circular: fill one
    // octant and mirror.
    const halfM = Math.ceil(m / 2);
    for (let iy = 0; iy < halfM; iy++) {
      const cy = e0 + (iy + 0.5) * h;
      const ya = cy - GL2 * h;
      const yb = cy + GL2 * h;
      for (let ix = 0; ix <= iy; ix++) {
        const cx = e0 + (ix + 0.5) * h;
        const xa = cx - GL2 * h;
        const xb = cx + GL2 * h;
        const v =
          norm *
          (Math.pow(1 + (xa * xa + ya * ya) * inv, nb) +
            Math.pow(1 + (xb * xb + ya * ya) * inv, nb) +
            Math.pow(1 + (xa * xa + yb * yb) * inv, nb) +
            Math.pow(1 + (xb * xb + yb * yb) * inv, nb));
        const iy2 = m - 1 - iy;
        const ix2 = m - 1 - ix;
        cells[iy * m + ix] = v;
        cells[iy * m + ix2] = v;
        cells[iy2 * m + ix] = v;
        cells[iy2 * m + ix2] = v;
        cells[ix * m + iy] = v;
        cells[ix * m + iy2] = v;
        cells[ix2 * m + iy] = v;
        cells[ix2 * m + iy2] = v;
      }
    }
  }
  // Summed-area table with a zero first row and column: sat[(y)(m+1) + x] = Σ cells[<y][<x].
  const w = m + 1;
  const sat = new Float64Array(w * w);
  for (let y = 0; y < m; y++) {
    let rowSum = 0;
    for (let x = 0; x < m; x++) {
      rowSum += cells[y * m + x];
      sat[(y + 1) * w + x + 1] = sat[y * w + x + 1] + rowSum;
    }
  }
  const side = 2 * rc * k + 1;
  const table = new Float64Array(side * side);
  for (let jy = 0; jy < side; jy++) {
    const top = jy * w;
    const bottom = (jy + k) * w;
    for (let jx = 0; jx < side; jx++) {
      table[jy * side + jx] = sat[bottom + jx + k] - sat[top + jx + k] - sat[bottom + jx] + sat[top + jx];
    }
  }
  return table;
}

/** f(r) + ∇²f(r)/24 at r = i / WING_RES, i = 0 … ceil(rMax·WING_RES) + 1. */
function wingTable(psf: ResolvedPsf, rMax: number): Float64Array {
  const n = Math.ceil(rMax * WING_RES) + 2;
  const out = new Float64Array(n);
  if (psf.profile === 'gaussian') {
    const sigma = gaussianSigmaPx(psf.fwhmPx);
    const s2 = sigma * sigma;
    const c = 1 / (2 * Math.PI * s2);
    for (let i = 0; i < n; i++) {
      const r = i / WING_RES;
      const s = r * r;
      const g = c * Math.exp(-s / (2 * s2));
      // ∇² of a radial g(s), s = r²: 4 g'(s) + 4 s g''(s).
      out[i] = g + (g * (s / (s2 * s2) - 2 / s2)) / 24;
    }
  } else {
    const alpha = moffatAlphaPx(psf.fwhmPx, psf.beta);
    const a2 = alpha * alpha;
    const beta = psf.beta;
    const c = (beta - 1) / (Math.PI * a2);
    for (let i = 0; i < n; i++) {
      const r = i / WING_RES;
      const s = r * r;
      const q = 1 + s / a2;
      const f = c * Math.pow(q, -beta);
      const d1 = (-beta / a2) * (f / q);
      const d2 = ((beta * (beta + 1)) / (a2 * a2)) * (f / (q * q));
      out[i] = f + (4 * d1 + 4 * s * d2) / 24;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Point-sampled kernel (for convolving extended sources)

export interface PsfKernel {
  /** Kernel half-size: the kernel is (2·radius + 1)² pixels centred on the middle one. */
  readonly radiusPx: number;
  readonly size: number;
  /** Row-major weights summing to 1. */
  readonly data: Float64Array;
}

/**
 * The PSF (with its trail) sampled at integer pixel offsets and normalised to unit sum,
 * for convolving an image that is already integrated over pixels (an extended source):
 * (source ⊛ pixel box) sampled, then ⊛ PSF, is the pixel-integrated convolution.
 * The radius encloses all but `truncation` (default 1e-3) of the flux, capped at 64 px.
 */
export function psfKernel(spec: PsfSpec, opts: { truncation?: number; maxRadiusPx?: number } = {}): PsfKernel {
  const psf = resolvePsf(spec);
  const truncation = requireNumber(opts.truncation ?? 1e-3, 'truncation', 0, 0.5, true);
  const cap = requireNumber(opts.maxRadiusPx ?? 64, 'maxRadiusPx', 1, 1024);
  const radiusPx = Math.min(cap, Math.ceil(psfRadiusForLoss(psf, truncation) + psf.trail.lengthPx / 2));
  const size = 2 * radiusPx + 1;
  const data = new Float64Array(size * size);
  const len = psf.trail.lengthPx;
  const steps = len > 0 ? Math.min(MAX_TRAIL_STEPS, Math.max(1, Math.ceil(len / Math.min(TRAIL_STEP_PX, psf.fwhmPx / 8)))) : 1;
  const theta = (psf.trail.angleDeg * Math.PI) / 180;
  const density = densityOf(psf);
  for (let s = 0; s < steps; s++) {
    const t = ((s + 0.5) / steps - 0.5) * len;
    const ox = t * Math.cos(theta);
    const oy = t * Math.sin(theta);
    for (let y = 0; y < size; y++) {
      const dy = y - radiusPx - oy;
      for (let x = 0; x < size; x++) {
        const dx = x - radiusPx - ox;
        data[y * size + x] += density(dx * dx + dy * dy);
      }
    }
  }
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i];
  for (let i = 0; i < data.length; i++) data[i] /= sum;
  return { radiusPx, size, data };
}
