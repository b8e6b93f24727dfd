/**
 * Aperture photometry of the mission target and its comparison stars for the compact
 * (~1 kB) measurement sent ahead of the frame. A star is given by pixel position or by
 * RA/Dec (placed through the frame's WCS), recentred with a windowed centroid, measured
 * in a circular aperture with a sigma-clipped sky annulus (science/image/aperture.ts),
 * with CCD-equation errors. With catalog magnitudes for the comparisons, the target's
 * magnitude on the catalog system follows from the ensemble zero point.
 */
import { aperturePhotometry, windowedCentroid, type Image2D } from '../../science/image/index.js';
import { skyToPix, type Wcs } from '../../science/wcs/index.js';
import { AgentError } from '../errors.js';

export interface StarRef {
  name?: string;
  xPx?: number;
  yPx?: number;
  raDeg?: number;
  decDeg?: number;
  /** Catalog magnitude (comparisons), in the band of the frame. */
  mag?: number;
}

export interface PhotometryOptions {
  target: StarRef;
  comparisons?: StarRef[];
  wcs?: Wcs;
  /** Seeing FWHM, px (sets the default aperture, annulus and centroid window); default 3. */
  fwhmPx?: number;
  /** Default 2 × FWHM (≥ 3 px). */
  apertureRadiusPx?: number;
  /** Sky annulus [inner, outer], px; default from r + max(2, FWHM), max(5, 2 FWHM) wide. */
  annulusPx?: [number, number];
  exposureS: number;
  gainEPerAdu?: number;
  readNoiseE?: number;
  mask?: Uint8Array;
  /** Recentre on the star; default true. */
  recentre?: boolean;
}

/** Flag of a star whose position is off the image (not measured; flux NaN). */
export const OFF_FRAME = 16;

export interface StarMeasurement {
  name?: string;
  xPx: number;
  yPx: number;
  /** Sky-subtracted flux in the aperture, ADU. */
  flux: number;
  fluxErr: number;
  /** −2.5 log10(flux / exposure): ADU/s instrumental magnitude; NaN for flux ≤ 0. */
  instMag: number;
  instMagErr: number;
  skyAdu: number;
  /** ApertureFlag bits (truncated, masked pixels, no sky, centroid failed) and OFF_FRAME. */
  flags: number;
}

export interface TargetPhotometry {
  apertureRadiusPx: number;
  target: StarMeasurement;
  comparisons: StarMeasurement[];
  /** Target magnitude on the comparisons' catalog system (needs their `mag`). */
  calibrated?: { mag: number; magErr: number; zeroPoint: number; used: number };
}

const MAG_ERR = 2.5 / Math.LN10;

function place(s: StarRef, wcs: Wcs | undefined, what: string): [number, number] {
  if (s.xPx !== undefined && s.yPx !== undefined) {
    if (!Number.isFinite(s.xPx) || !Number.isFinite(s.yPx)) throw new AgentError('BAD_ARGUMENT', `${what}: pixel position must be finite`);
    return [s.xPx, s.yPx];
  }
  if (s.raDeg !== undefined && s.decDeg !== undefined) {
    if (!wcs) throw new AgentError('BAD_FRAME', `${what} is given by RA/Dec but the frame has no WCS (give pixels, or solve the frame first)`);
    // NaN when the position does not project (more than 90° from the field): off the frame.
    return skyToPix(wcs, s.raDeg, s.decDeg);
  }
  throw new AgentError('BAD_ARGUMENT', `${what} needs xPx/yPx or raDeg/decDeg`);
}

export function measureTargets(image: Image2D, o: PhotometryOptions): TargetPhotometry {
  if (!(o.exposureS > 0)) throw new AgentError('BAD_ARGUMENT', `exposureS must be > 0 for photometry, got ${o.exposureS}`);
  const fwhm = o.fwhmPx !== undefined && Number.isFinite(o.fwhmPx) && o.fwhmPx > 0 ? o.fwhmPx : 3;
  const r = o.apertureRadiusPx ?? Math.max(3, 2 * fwhm);
  if (!(r > 0)) throw new AgentError('BAD_ARGUMENT', `apertureRadiusPx must be > 0, got ${r}`);
  const [inner, outer] = o.annulusPx ?? [r + Math.max(2, fwhm), r + Math.max(2, fwhm) + Math.max(5, 2 * fwhm)];
  if (!(inner >= r && outer > inner)) throw new AgentError('BAD_ARGUMENT', `annulus [${inner}, ${outer}] must lie outside the aperture (${r} px)`);
  const stars: Array<{ ref: StarRef; what: string }> = [{ ref: o.target, what: 'target' }, ...(o.comparisons ?? []).map((ref, i) => ({ ref, what: `comparison ${i}` }))];
  const xs = new Float64Array(stars.length);
  const ys = new Float64Array(stars.length);
  const centroidFlags = new Uint8Array(stars.length);
  stars.forEach(({ ref, what }, i) => {
    let [x, y] = place(ref, o.wcs, what);
    if (!(x >= -0.5 && y >= -0.5 && x < image.width - 0.5 && y < image.height - 0.5)) {
      centroidFlags[i] = OFF_FRAME;
      xs[i] = Number.isFinite(x) ? x : NaN;
      ys[i] = Number.isFinite(y) ? y : NaN;
      return;
    }
    if (o.recentre ?? true) {
      if (x >= 0 && y >= 0 && x <= image.width - 1 && y <= image.height - 1) {
        const c = windowedCentroid(image, x, y, fwhm / 2.3548, { mask: o.mask });
        // A centroid that walked more than a FWHM away found something else.
        if (c.flags === 0 && Math.hypot(c.x - x, c.y - y) <= Math.max(2, fwhm)) [x, y] = [c.x, c.y];
        else centroidFlags[i] = 8;
      }
    }
    xs[i] = x;
    ys[i] = y;
  });
  // Off-frame stars are measured at a placeholder position and reported as NaN.
  const onX = Float64Array.from(xs, (x, i) => (centroidFlags[i] & OFF_FRAME ? 0 : x));
  const onY = Float64Array.from(ys, (y, i) => (centroidFlags[i] & OFF_FRAME ? 0 : y));
  const ph = aperturePhotometry(image, onX, onY, {
    radiusPx: r,
    annulus: { innerPx: inner, outerPx: outer },
    ...(o.gainEPerAdu !== undefined ? { gain: o.gainEPerAdu, skyNoise: 'measured' as const } : {}),
    ...(o.readNoiseE !== undefined ? { readNoiseE: o.readNoiseE } : {}),
    mask: o.mask,
  });
  const measured: StarMeasurement[] = stars.map(({ ref }, i) => {
    const off = (centroidFlags[i] & OFF_FRAME) !== 0;
    const flux = off ? NaN : ph.flux[i];
    const err = off ? NaN : ph.fluxErr[i];
    return {
      ...(ref.name !== undefined ? { name: ref.name } : {}),
      xPx: xs[i],
      yPx: ys[i],
      flux,
      fluxErr: err,
      instMag: flux > 0 ? -2.5 * Math.log10(flux / o.exposureS) : NaN,
      instMagErr: flux > 0 ? (MAG_ERR * err) / flux : NaN,
      skyAdu: off ? NaN : ph.sky[i],
      flags: off ? OFF_FRAME : ph.flags[i] | centroidFlags[i],
    };
  });
  const out: TargetPhotometry = { apertureRadiusPx: r, target: measured[0], comparisons: measured.slice(1) };
  // Ensemble zero point: inverse-variance mean of (catalog − instrumental) over clean comparisons.
  let sw = 0;
  let swz = 0;
  let used = 0;
  (o.comparisons ?? []).forEach((c, i) => {
    const m = measured[i + 1];
    if (c.mag === undefined || !Number.isFinite(m.instMag) || m.flags !== 0) return;
    const w = 1 / Math.max(m.instMagErr, 1e-4) ** 2;
    sw += w;
    swz += w * (c.mag - m.instMag);
    used++;
  });
  if (used > 0 && Number.isFinite(out.target.instMag)) {
    const zp = swz / sw;
    out.calibrated = { mag: out.target.instMag + zp, magErr: Math.sqrt(out.target.instMagErr ** 2 + 1 / sw), zeroPoint: zp, used };
  }
  return out;
}
