/**
 * Things that are not the sky: hot pixels (a fixed property of one sensor), cosmic-ray
 * hits (random each exposure) and satellite trails.
 */
import { deriveSeed, Rng } from '../inference/random.js';
import { requireNumber, SkyError } from './errors.js';
import type { ResolvedOptics } from './optics.js';
import { poissonDeviate } from './poisson.js';
import type { ImageBuffer } from './psf.js';
import { normalCdf } from './special.js';

// ---------------------------------------------------------------------------------------
// Hot pixels

export interface HotPixels {
  /** Row-major pixel indices (may repeat: two defects in one pixel add). */
  readonly index: Int32Array;
  /** Extra dark current of each, e⁻/s. */
  readonly darkEPerS: Float64Array;
}

/** Stream of the defect generator, so it never shares draws with anything else. */
const HOT_PIXEL_STREAM = 0x486f74;

/**
 * The sensor's hot pixels: round(fraction · pixels) positions drawn uniformly, each with
 * a log-uniform extra dark current in optics.hotPixelDarkEPerS. A function of the defect
 * seed and sensor size only, so every frame from one camera has the same defects.
 */
export function hotPixels(optics: ResolvedOptics): HotPixels {
  const npix = optics.widthPx * optics.heightPx;
  const n = Math.round(optics.hotPixelFraction * npix);
  const rng = new Rng(deriveSeed(optics.defectSeed, HOT_PIXEL_STREAM));
  const index = new Int32Array(n);
  const darkEPerS = new Float64Array(n);
  const [lo, hi] = optics.hotPixelDarkEPerS;
  const logRatio = Math.log(hi / lo);
  for (let i = 0; i < n; i++) {
    index[i] = rng.int(npix);
    darkEPerS[i] = lo * Math.exp(logRatio * rng.uniform());
  }
  return { index, darkEPerS };
}

// ---------------------------------------------------------------------------------------
// Cosmic rays

export interface CosmicRayOptions {
  /** Events per cm² of sensor per second; ~0.02 at sea level (about one per cm² per minute). */
  ratePerCm2PerS: number;
  /** Thickness of the charge-collecting layer, µm; default 15. Sets track lengths. */
  depletionDepthUm?: number;
  /** Mean charge liberated per µm of path, e⁻; default 80 (a minimum-ionising particle in Si). */
  electronsPerUm?: number;
  /** Longest projected track, px; default 100. */
  maxLengthPx?: number;
}

export interface CosmicRayHit {
  /** Track start and end, 0-based px (equal for a single-pixel hit). */
  x0Px: number;
  y0Px: number;
  x1Px: number;
  y1Px: number;
  /** Charge deposited, e⁻ (including any that fell off the chip). */
  electrons: number;
}

/** Expected number of events in one exposure. */
export function expectedCosmicRays(optics: ResolvedOptics, opts: CosmicRayOptions, exposureS: number): number {
  const rate = requireNumber(opts.ratePerCm2PerS, 'cosmicRays.ratePerCm2PerS', 0, 1e6);
  const cm = optics.pixelSizeUm * 1e-4;
  return rate * optics.widthPx * cm * optics.heightPx * cm * exposureS;
}

const MAX_COSMIC_RAYS = 1e6;

/**
 * Draws the exposure's cosmic rays and deposits their charge in `electrons`. Arrival
 * directions follow the cos²-zenith muon flux crossing a plane (cos θ = U^(1/4) with
 * respect to the sensor normal); the projected length is depth · tan θ; the charge is
 * electronsPerUm × path length × a log-normal (σ = 0.35) stand-in for Landau
 * fluctuations, shared equally between ¼-px steps along the track (no charge diffusion).
 */
export function addCosmicRays(
  electrons: ImageBuffer,
  optics: ResolvedOptics,
  opts: CosmicRayOptions,
  exposureS: number,
  rng: Rng,
): CosmicRayHit[] {
  const expected = expectedCosmicRays(optics, opts, exposureS);
  const depth = requireNumber(opts.depletionDepthUm ?? 15, 'cosmicRays.depletionDepthUm', 0, 1e4, true);
  const ePerUm = requireNumber(opts.electronsPerUm ?? 80, 'cosmicRays.electronsPerUm', 0, 1e6);
  const maxLen = requireNumber(opts.maxLengthPx ?? 100, 'cosmicRays.maxLengthPx', 0, 10000);
  if (expected > MAX_COSMIC_RAYS) {
    throw new SkyError('TOO_LARGE', `${expected.toExponential(2)} cosmic rays expected (limit ${MAX_COSMIC_RAYS})`, { parameter: 'cosmicRays.ratePerCm2PerS' });
  }
  const w = optics.widthPx;
  const h = optics.heightPx;
  const n = poissonDeviate(rng, expected);
  const hits: CosmicRayHit[] = [];
  for (let k = 0; k < n; k++) {
    const x0 = rng.uniform() * w - 0.5;
    const y0 = rng.uniform() * h - 0.5;
    const cosT = Math.pow(rng.uniformPositive(), 0.25);
    const sinT = Math.sqrt(Math.max(0, 1 - cosT * cosT));
    const phi = 2 * Math.PI * rng.uniform();
    const len = Math.min(maxLen, (depth * sinT) / (cosT * optics.pixelSizeUm));
    const charge = ePerUm * (depth / cosT) * Math.exp(0.35 * rng.normal());
    const x1 = x0 + len * Math.cos(phi);
    const y1 = y0 + len * Math.sin(phi);
    const steps = Math.max(1, Math.ceil(len * 4));
    const q = charge / steps;
    for (let s = 0; s < steps; s++) {
      const t = steps === 1 ? 0 : s / (steps - 1);
      const x = Math.round(x0 + t * (x1 - x0));
      const y = Math.round(y0 + t * (y1 - y0));
      if (x >= 0 && x < w && y >= 0 && y < h) electrons[y * w + x] += q;
    }
    hits.push({ x0Px: x0, y0Px: y0, x1Px: x1, y1Px: y1, electrons: charge });
  }
  return hits;
}

// ---------------------------------------------------------------------------------------
// Satellite trails

export interface SatelliteTrail {
  /** Ends of the trail, 0-based px (may lie off the chip). */
  startPx: readonly [number, number];
  endPx: readonly [number, number];
  /** FWHM of the Gaussian cross-section, px; default the seeing FWHM. */
  widthFwhmPx?: number;
  /** Surface brightness on the centre line, mag/arcsec². Give this or electronsPerPx. */
  peakMagPerArcsec2?: number;
  /** Line flux: electrons per pixel of trail length over the exposure (integrated across). */
  electronsPerPx?: number;
  id?: string;
}

/**
 * Adds a trail: a line segment of line flux λ (e⁻ per px of length) convolved with a
 * Gaussian of the given FWHM, integrated over pixels approximately (σ² + 1/12 per axis),
 * times the vignetting factor `vignette(x, y)`. Returns the flux that landed on the image.
 */
export function addSatelliteTrail(
  image: ImageBuffer,
  width: number,
  height: number,
  trail: { startPx: readonly [number, number]; endPx: readonly [number, number]; widthFwhmPx: number; electronsPerPx: number },
  vignette: (xPx: number, yPx: number) => number,
): number {
  const [ax, ay] = trail.startPx;
  const [bx, by] = trail.endPx;
  const lambda = trail.electronsPerPx;
  const sigma0 = trail.widthFwhmPx / (2 * Math.sqrt(2 * Math.LN2));
  const sigma = Math.sqrt(sigma0 * sigma0 + 1 / 12);
  const len = Math.hypot(bx - ax, by - ay);
  if (!(len > 0) || !(lambda > 0)) return 0;
  // Unit vectors along (t) and across (n) the trail.
  const tx = (bx - ax) / len;
  const ty = (by - ay) / len;
  const nx = -ty;
  const ny = tx;
  const reach = 6 * sigma;
  const norm = lambda / (Math.sqrt(2 * Math.PI) * sigma);
  const inv2s2 = 1 / (2 * sigma * sigma);
  let deposited = 0;
  const ylo = Math.max(0, Math.ceil(Math.min(ay, by) - reach));
  const yhi = Math.min(height - 1, Math.floor(Math.max(ay, by) + reach));
  for (let y = ylo; y <= yhi; y++) {
    const ry = y - ay;
    // x-interval where |across| ≤ reach and −reach ≤ along ≤ len + reach (both linear in x).
    let xlo = 0;
    let xhi = width - 1;
    const clip = (coef: number, base: number, lo: number, hi: number): void => {
      // lo ≤ coef·(x − ax) + base ≤ hi
      if (Math.abs(coef) < 1e-12) {
        if (base < lo || base > hi) {
          xlo = 1;
          xhi = 0;
        }
        return;
      }
      let a = (lo - base) / coef + ax;
      let b = (hi - base) / coef + ax;
      if (a > b) [a, b] = [b, a];
      xlo = Math.max(xlo, Math.ceil(a));
      xhi = Math.min(xhi, Math.floor(b));
    };
    clip(nx, ny * ry, -reach, reach);
    clip(tx, ty * ry, -reach, len + reach);
    for (let x = xlo; x <= xhi; x++) {
      const rx = x - ax;
      const across = rx * nx + ry * ny;
      const along = rx * tx + ry * ty;
      let ends = 1;
      if (along < reach || along > len - reach) ends = normalCdf(along / sigma) - normalCdf((along - len) / sigma);
      const v = norm * Math.exp(-across * across * inv2s2) * ends * vignette(x, y);
      image[y * width + x] += v;
      deposited += v;
    }
  }
  return deposited;
}
