/**
 * Telescope and camera description: what the renderer needs to turn magnitudes into
 * electrons and electrons into ADU.
 *
 * Photometric zero point convention. `zeroPointEPerS` is the electron rate (e⁻/s, summed
 * over the whole image of the star, above the atmosphere, on the optical axis) produced by
 * a star of magnitude 0 in the band. A star of magnitude m gives
 *   zeroPointEPerS · 10^(−0.4 m) · exposureS  electrons,
 * and a sky of surface brightness μ mag/arcsec² gives
 *   zeroPointEPerS · 10^(−0.4 μ) · (pixel area in arcsec²) · exposureS  e⁻ per pixel.
 * Unless given, the zero point is computed from the collecting area and the throughput:
 *   zeroPointEPerS = photonRateMag0 · π (D/2)² (1 − ε²) · throughput,
 * with D the aperture, ε the central obstruction (diameter ratio), throughput the product
 * of mirror/lens transmission, filter and detector QE, and photonRateMag0 the photon flux
 * of a magnitude-0 star in photons s⁻¹ m⁻². The default, 8.8e9 photons s⁻¹ m⁻², is Johnson
 * V on the Vega system: f_ν = 3640 Jy with Δλ/λ = 0.16 (Bessell 1979, PASP 91, 589; the
 * table reproduced in Allen's Astrophysical Quantities), i.e. f_ν Δν/ν / h.
 *
 * Vignetting multiplies everything that comes through the optics (stars, sky, satellite
 * trails) but not dark current or bias: 'cos4' is the natural cos⁴θ fall-off with θ the
 * field angle of the pixel seen from the exit pupil at the focal length; 'polynomial' is
 * 1 + Σ cₖ ρ^(2k) with ρ the distance from the optical centre over the half-diagonal.
 */
import { createWcs, type Wcs } from '../wcs/index.js';
import { requireInteger, requireNumber, SkyError } from './errors.js';

/** Photons s⁻¹ m⁻² from a V = 0 star (Vega system): 3640 Jy × 1e-26 × 0.16 / h. */
export const V_BAND_PHOTON_RATE_MAG0 = (3640e-26 * 0.16) / 6.62607015e-34;

const ARCSEC_PER_RAD = (180 / Math.PI) * 3600;

export type Vignetting = { kind: 'none' } | { kind: 'cos4' } | { kind: 'polynomial'; coefficients: readonly number[] };

export interface Optics {
  /** Clear aperture diameter, mm. */
  apertureMm: number;
  /** Effective focal length, mm. */
  focalLengthMm: number;
  /** Central obstruction as a fraction of the aperture diameter (0 … <1); default 0. */
  obstruction?: number;
  /** Optics × filter × QE, 0 … 1; default 0.5. */
  throughput?: number;
  /** Photons s⁻¹ m⁻² of a magnitude-0 star in the band; default V_BAND_PHOTON_RATE_MAG0. */
  photonRateMag0?: number;
  /** Overrides the computed zero point: e⁻/s from a magnitude-0 star. */
  zeroPointEPerS?: number;
  /** Square pixel pitch, µm. */
  pixelSizeUm: number;
  widthPx: number;
  heightPx: number;
  /** Default 1. */
  gainEPerAdu?: number;
  /** Gaussian read noise σ, e⁻; default 0. */
  readNoiseE?: number;
  /** e⁻/s/px; default 0. */
  darkCurrentEPerS?: number;
  /** Offset added to every pixel, ADU; default 0. */
  biasAdu?: number;
  /** Well capacity, e⁻; default unlimited (the ADC range still clips). */
  fullWellE?: number;
  /** ADC bits, 1 … 32; default 16. The frame is Uint8Array (≤ 8), Uint16Array (≤ 16) or Uint32Array. */
  bitDepth?: number;
  /** Default none. */
  vignetting?: Vignetting;
  /** Optical axis on the chip (0-based px); default the chip centre. */
  opticalCentrePx?: readonly [number, number];
  /** Fraction of pixels that are hot (0 … 0.1); default 0. */
  hotPixelFraction?: number;
  /** Range of a hot pixel's extra dark current, e⁻/s (log-uniform); default [1, 100]. */
  hotPixelDarkEPerS?: readonly [number, number];
  /** Seed of the sensor's fixed defects (hot pixels): one camera, one seed. Default 0. */
  defectSeed?: number;
}

/** Optics with every default filled in and every value checked. */
export interface ResolvedOptics {
  readonly apertureMm: number;
  readonly focalLengthMm: number;
  readonly obstruction: number;
  readonly throughput: number;
  readonly photonRateMag0: number;
  readonly zeroPointEPerS: number;
  readonly pixelSizeUm: number;
  readonly widthPx: number;
  readonly heightPx: number;
  readonly gainEPerAdu: number;
  readonly readNoiseE: number;
  readonly darkCurrentEPerS: number;
  readonly biasAdu: number;
  readonly fullWellE: number;
  readonly bitDepth: number;
  readonly vignetting: Vignetting;
  readonly opticalCentrePx: readonly [number, number];
  readonly hotPixelFraction: number;
  readonly hotPixelDarkEPerS: readonly [number, number];
  readonly defectSeed: number;
}

/** Sensor dimensions are capped so a frame's buffers stay well under a gigabyte each. */
export const MAX_SENSOR_PIXELS = 2 ** 27;

export function resolveOptics(o: Optics): ResolvedOptics {
  if (o === null || typeof o !== 'object') throw new SkyError('BAD_ARGUMENT', 'an optics description is required', { parameter: 'optics' });
  const apertureMm = requireNumber(o.apertureMm, 'optics.apertureMm', 0, 1e5, true);
  const focalLengthMm = requireNumber(o.focalLengthMm, 'optics.focalLengthMm', 0, 1e6, true);
  const obstruction = requireNumber(o.obstruction ?? 0, 'optics.obstruction', 0, 0.99);
  const throughput = requireNumber(o.throughput ?? 0.5, 'optics.throughput', 0, 1, true);
  const photonRateMag0 = requireNumber(o.photonRateMag0 ?? V_BAND_PHOTON_RATE_MAG0, 'optics.photonRateMag0', 0, Infinity, true);
  const areaM2 = Math.PI * (apertureMm / 2000) ** 2 * (1 - obstruction * obstruction);
  const zeroPointEPerS =
    o.zeroPointEPerS === undefined ? photonRateMag0 * areaM2 * throughput : requireNumber(o.zeroPointEPerS, 'optics.zeroPointEPerS', 0, Infinity, true);
  const pixelSizeUm = requireNumber(o.pixelSizeUm, 'optics.pixelSizeUm', 0, 1000, true);
  const widthPx = requireInteger(o.widthPx, 'optics.widthPx', 1, 1 << 20);
  const heightPx = requireInteger(o.heightPx, 'optics.heightPx', 1, 1 << 20);
  if (widthPx * heightPx > MAX_SENSOR_PIXELS) {
    throw new SkyError('TOO_LARGE', `${widthPx} × ${heightPx} pixels exceeds the limit of ${MAX_SENSOR_PIXELS}`, { parameter: 'optics.widthPx' });
  }
  const gainEPerAdu = requireNumber(o.gainEPerAdu ?? 1, 'optics.gainEPerAdu', 0, 1e6, true);
  const readNoiseE = requireNumber(o.readNoiseE ?? 0, 'optics.readNoiseE', 0, 1e6);
  const darkCurrentEPerS = requireNumber(o.darkCurrentEPerS ?? 0, 'optics.darkCurrentEPerS', 0, 1e9);
  const biasAdu = requireNumber(o.biasAdu ?? 0, 'optics.biasAdu', 0, 2 ** 32);
  const fullWellE = o.fullWellE === undefined || o.fullWellE === Infinity ? Infinity : requireNumber(o.fullWellE, 'optics.fullWellE', 0, Infinity, true);
  const bitDepth = requireInteger(o.bitDepth ?? 16, 'optics.bitDepth', 1, 32);
  const vignetting = resolveVignetting(o.vignetting ?? { kind: 'none' });
  const centre = o.opticalCentrePx ?? [(widthPx - 1) / 2, (heightPx - 1) / 2];
  if (!Array.isArray(centre) || centre.length !== 2) throw new SkyError('BAD_ARGUMENT', 'must be [x, y]', { parameter: 'optics.opticalCentrePx' });
  requireNumber(centre[0], 'optics.opticalCentrePx[0]');
  requireNumber(centre[1], 'optics.opticalCentrePx[1]');
  const hotPixelFraction = requireNumber(o.hotPixelFraction ?? 0, 'optics.hotPixelFraction', 0, 0.1);
  const hot = o.hotPixelDarkEPerS ?? [1, 100];
  if (!Array.isArray(hot) || hot.length !== 2) throw new SkyError('BAD_ARGUMENT', 'must be [min, max]', { parameter: 'optics.hotPixelDarkEPerS' });
  requireNumber(hot[0], 'optics.hotPixelDarkEPerS[0]', 0, 1e9, true);
  requireNumber(hot[1], 'optics.hotPixelDarkEPerS[1]', hot[0], 1e9);
  const defectSeed = o.defectSeed ?? 0;
  if (!Number.isSafeInteger(defectSeed)) throw new SkyError('BAD_ARGUMENT', `must be a safe integer, got ${String(defectSeed)}`, { parameter: 'optics.defectSeed' });
  return Object.freeze({
    apertureMm,
    focalLengthMm,
    obstruction,
    throughput,
    photonRateMag0,
    zeroPointEPerS,
    pixelSizeUm,
    widthPx,
    heightPx,
    gainEPerAdu,
    readNoiseE,
    darkCurrentEPerS,
    biasAdu,
    fullWellE,
    bitDepth,
    vignetting,
    opticalCentrePx: Object.freeze([centre[0], centre[1]]) as readonly [number, number],
    hotPixelFraction,
    hotPixelDarkEPerS: Object.freeze([hot[0], hot[1]]) as readonly [number, number],
    defectSeed,
  });
}

function resolveVignetting(v: Vignetting): Vignetting {
  if (v === null || typeof v !== 'object') throw new SkyError('BAD_ARGUMENT', 'must be an object with a kind', { parameter: 'optics.vignetting' });
  if (v.kind === 'none' || v.kind === 'cos4') return Object.freeze({ kind: v.kind });
  if (v.kind === 'polynomial') {
    if (!Array.isArray(v.coefficients) || v.coefficients.length > 10) {
      throw new SkyError('BAD_ARGUMENT', 'coefficients must be an array of at most 10 numbers', { parameter: 'optics.vignetting.coefficients' });
    }
    v.coefficients.forEach((c, i) => requireNumber(c, `optics.vignetting.coefficients[${i}]`));
    return Object.freeze({ kind: 'polynomial', coefficients: Object.freeze([...v.coefficients]) });
  }
  throw new SkyError('BAD_ARGUMENT', `unknown kind '${String((v as { kind: unknown }).kind)}' (none, cos4, polynomial)`, { parameter: 'optics.vignetting' });
}

/** Pixel scale on the optical axis, arcsec/px: pixel pitch over focal length. */
export function opticsPixelScaleArcsec(optics: Pick<Optics, 'pixelSizeUm' | 'focalLengthMm'>): number {
  requireNumber(optics.pixelSizeUm, 'optics.pixelSizeUm', 0, Infinity, true);
  requireNumber(optics.focalLengthMm, 'optics.focalLengthMm', 0, Infinity, true);
  // A TAN image has r = f·tan θ, so the scale at the axis is exactly pitch / f radians.
  return ((optics.pixelSizeUm * 1e-3) / optics.focalLengthMm) * ARCSEC_PER_RAD;
}

/** Largest value the ADC produces, 2^bitDepth − 1. */
export function maxAdu(optics: ResolvedOptics): number {
  return 2 ** optics.bitDepth - 1;
}

/** The ADU level at which a pixel stops responding: the full well or the ADC ceiling. */
export function saturationAdu(optics: ResolvedOptics): number {
  return Math.min(maxAdu(optics), Math.floor(optics.fullWellE / optics.gainEPerAdu + optics.biasAdu + 0.5));
}

/**
 * Evaluates vignetting for pixels [i0, i1) of a width-wide row-major frame, into `out`
 * (same indexing). A pure kernel, for use on strips.
 */
export function vignettingRange(optics: ResolvedOptics, width: number, i0: number, i1: number, out: Float32Array | Float64Array): void {
  const v = optics.vignetting;
  if (v.kind === 'none') {
    out.fill(1, i0, i1);
    return;
  }
  const [cx, cy] = optics.opticalCentrePx;
  if (v.kind === 'cos4') {
    // cos θ = f / √(f² + r²), r the distance in mm: cos⁴θ = f⁴ / (f² + r²)².
    const mmPerPx = optics.pixelSizeUm * 1e-3;
    const f2 = (optics.focalLengthMm / mmPerPx) ** 2; // focal length in pixels, squared
    for (let i = i0; i < i1; i++) {
      const y = Math.floor(i / width);
      const dx = i - y * width - cx;
      const dy = y - cy;
      const q = f2 / (f2 + dx * dx + dy * dy);
      out[i] = q * q;
    }
    return;
  }
  const c = v.coefficients;
  const halfDiag2 = ((optics.widthPx - 1) / 2) ** 2 + ((optics.heightPx - 1) / 2) ** 2 || 1;
  for (let i = i0; i < i1; i++) {
    const y = Math.floor(i / width);
    const dx = i - y * width - cx;
    const dy = y - cy;
    const rho2 = (dx * dx + dy * dy) / halfDiag2;
    let p = 0;
    for (let k = c.length - 1; k >= 0; k--) p = p * rho2 + c[k];
    const val = 1 + rho2 * p;
    out[i] = val > 0 ? val : 0;
  }
}

/** Vignetting factor at one position (0-based px). */
export function vignettingAt(optics: ResolvedOptics, xPx: number, yPx: number): number {
  const v = optics.vignetting;
  if (v.kind === 'none') return 1;
  const dx = xPx - optics.opticalCentrePx[0];
  const dy = yPx - optics.opticalCentrePx[1];
  if (v.kind === 'cos4') {
    const f2 = (optics.focalLengthMm / (optics.pixelSizeUm * 1e-3)) ** 2;
    const q = f2 / (f2 + dx * dx + dy * dy);
    return q * q;
  }
  const halfDiag2 = ((optics.widthPx - 1) / 2) ** 2 + ((optics.heightPx - 1) / 2) ** 2 || 1;
  const rho2 = (dx * dx + dy * dy) / halfDiag2;
  let p = 0;
  for (let k = v.coefficients.length - 1; k >= 0; k--) p = p * rho2 + v.coefficients[k];
  return Math.max(0, 1 + rho2 * p);
}

/** The full-frame vignetting map (what a perfect flat field would show), Float32Array. */
export function vignettingMap(optics: Optics | ResolvedOptics): Float32Array {
  const o = resolveOptics(optics as Optics);
  const out = new Float32Array(o.widthPx * o.heightPx);
  vignettingRange(o, o.widthPx, 0, out.length, out);
  return out;
}

/**
 * A TAN WCS for this optics pointed at (raDeg, decDeg) with the chip centre on the
 * pointing: square pixels of opticsPixelScaleArcsec, north up and east left (the sky as
 * seen, RA increasing to −x) when rotationDeg = 0; rotationDeg turns the image (position
 * angle of +y, east of north). `flip` mirrors x (a diagonal or odd number of reflections).
 */
export function tanWcsForOptics(optics: Optics | ResolvedOptics, raDeg: number, decDeg: number, opts: { rotationDeg?: number; flip?: boolean } = {}): Wcs {
  const o = resolveOptics(optics as Optics);
  requireNumber(raDeg, 'raDeg');
  requireNumber(decDeg, 'decDeg', -90, 90);
  const rot = (requireNumber(opts.rotationDeg ?? 0, 'rotationDeg') * Math.PI) / 180;
  const s = opticsPixelScaleArcsec(o) / 3600;
  const parity = opts.flip ? -1 : 1;
  // Intermediate x points east (RA), y north. Unrotated: +x pixel → −east (east left), +y → north.
  const c = Math.cos(rot);
  const n = Math.sin(rot);
  const cd: [number, number, number, number] = [-s * c * parity, s * n, s * n * parity, s * c];
  return createWcs({ crpix: [(o.widthPx - 1) / 2, (o.heightPx - 1) / 2], crval: [((raDeg % 360) + 360) % 360, decDeg], cd });
}
