/**
 * Photometric calibration of one frame with a known WCS:
 *
 * 1. comparison stars: detected sources cross-matched to the reference catalog, without
 *    flagged ones (saturated, blended, truncated) and without anything within
 *    `targetExclusionArcsec` of the target (it is the variable being measured);
 * 2. aperture photometry of them and of the target in one aperture, radius
 *    `apertureFwhm` × the frame's median FWHM (2.5 × by default: a Moffat β ≈ 4.8 star
 *    loses ~0.3 % of its light outside it), sky from a sigma-clipped annulus, CCD-equation
 *    errors with the camera's gain and read noise;
 * 3. zero point (+ colour term, or one borrowed from the instrument registry) by
 *    science/photometry calibrateFrame — the ensemble zero point of all comparison stars;
 * 4. the target's magnitude on the catalog system: instMag + zp + ct · colour, its error
 *    the photometric one and the zero point's in quadrature.
 * The target is placed through the WCS and recentred on its light (windowed centroid)
 * when the centroid stays within a FWHM of the predicted position.
 */
import { aperturePhotometry, windowedCentroid, type ImageLike } from '../../science/image/aperture.js';
import type { DetectedSource } from '../../science/image/detect.js';
import { medianInPlace } from '../../science/image/stats.js';
import { crossMatch } from '../../science/photometry/crossmatch.js';
import { calibrateFrame, type FrameCalibration } from '../../science/photometry/calibrate.js';
import { PhotometryError } from '../../science/photometry/errors.js';
import type { InstrumentKey, InstrumentRegistry } from '../../science/photometry/registry.js';
import { instrumentalMag } from '../../science/photometry/zeropoint.js';
import { angularSeparationDeg, pixelScaleArcsec } from '../../science/wcs/geometry.js';
import { skyToPix } from '../../science/wcs/transform.js';
import type { Wcs } from '../../science/wcs/wcs.js';
import type { ReferenceStars } from '../catalog.js';

export interface PhotometryOptions {
  /** Aperture radius in FWHMs (default 2.5). */
  apertureFwhm?: number;
  /** Comparison stars closer than this to the target are not used (default 10″). */
  targetExclusionArcsec?: number;
  /** Fewest comparison stars for a zero point (default 3). */
  minComparisons?: number;
  /** Added in quadrature to each star's error in the zero-point fit, mag (default 0.005). */
  errorFloorMag?: number;
}

export interface CameraNoise {
  gainEPerAdu?: number;
  readNoiseE?: number;
}

export interface TargetMeasurement {
  xPx: number;
  yPx: number;
  mag: number;
  magErr: number;
  instMag: number;
  instMagErr: number;
  /** ApertureFlag bits, plus 16 = off the frame, 32 = not recentred. */
  flags: number;
  /** Why there is no magnitude (off the frame, no flux). */
  problem?: string;
}

export interface ComparisonStar {
  raDeg: number;
  decDeg: number;
  catMag: number;
  instMag: number;
  instMagErr: number;
  residual: number;
  used: boolean;
}

export interface FramePhotometry {
  fwhmPx: number;
  apertureRadiusPx: number;
  calibration: FrameCalibration;
  target: TargetMeasurement;
  comparisons: ComparisonStar[];
}

export type PhotometryResult = { ok: true; value: FramePhotometry } | { ok: false; reason: string };

/** ApertureFlag-style bits of our own. */
export const TARGET_OFF_FRAME = 16;
export const TARGET_NOT_RECENTRED = 32;
/** Detection flags that disqualify a comparison star: blended, saturated, truncated. */
const BAD_DETECTION = 2 | 4 | 8;

/** Median FWHM (px) of clean, well-measured detections; NaN when there are none. */
export function medianFwhmPx(sources: readonly DetectedSource[]): number {
  const v = sources.filter((s) => s.flags === 0 && Number.isFinite(s.fwhmPx) && s.fwhmPx > 0.5).map((s) => s.fwhmPx);
  if (v.length === 0) return NaN;
  const buf = Float64Array.from(v);
  return medianInPlace(buf, buf.length);
}

export function measureFrame(
  image: ImageLike,
  input: {
    wcs: Wcs;
    sources: readonly DetectedSource[];
    stars: ReferenceStars;
    target: { raDeg: number; decDeg: number };
    exposureS: number;
    camera: CameraNoise;
    registry?: InstrumentRegistry;
    instrument?: InstrumentKey;
  },
  opts: PhotometryOptions = {},
): PhotometryResult {
  const { width, height } = image;
  const { wcs, stars, target } = input;
  const scale = pixelScaleArcsec(wcs, [(width - 1) / 2, (height - 1) / 2]);
  const fwhmMeasured = medianFwhmPx(input.sources);
  const fwhm = Number.isFinite(fwhmMeasured) ? fwhmMeasured : 3;
  const r = Math.min(40, Math.max(2, (opts.apertureFwhm ?? 2.5) * fwhm));
  const inner = r + Math.max(2, fwhm);
  const outer = inner + Math.max(5, 2 * fwhm);
  const margin = outer + 1;

  // 1. Comparison stars.
  const usable = input.sources.filter((s) => (s.flags & BAD_DETECTION) === 0 && s.x >= margin && s.y >= margin && s.x <= width - 1 - margin && s.y <= height - 1 - margin);
  const exclusion = opts.targetExclusionArcsec ?? 10;
  const refIdx: number[] = [];
  for (let i = 0; i < stars.raDeg.length; i++) {
    if (angularSeparationDeg(stars.raDeg[i], stars.decDeg[i], target.raDeg, target.decDeg) * 3600 > exclusion) refIdx.push(i);
  }
  const match = crossMatch(
    { xPx: usable.map((s) => s.x), yPx: usable.map((s) => s.y) },
    { raDeg: Float64Array.from(refIdx, (i) => stars.raDeg[i]), decDeg: Float64Array.from(refIdx, (i) => stars.decDeg[i]) },
    wcs,
    { radiusArcsec: Math.max(2, 1.5 * scale) },
  );
  const nComp = match.sourceIndex.length;
  const minComparisons = opts.minComparisons ?? 3;
  if (nComp < minComparisons) {
    return { ok: false, reason: `only ${nComp} comparison star(s) matched to the catalog (${minComparisons} needed for a zero point; ${usable.length} clean sources, ${refIdx.length} catalog stars in the field)` };
  }
  const compStar = Array.from(match.refIndex, (j) => refIdx[j]);
  const compSrc = Array.from(match.sourceIndex, (k) => usable[k]);

  // 2. Target position.
  let flags = 0;
  let problem: string | undefined;
  let [tx, ty] = skyToPix(wcs, target.raDeg, target.decDeg);
  if (!(tx >= -0.5 && ty >= -0.5 && tx < width - 0.5 && ty < height - 0.5)) {
    flags |= TARGET_OFF_FRAME;
    problem = `the target (RA ${target.raDeg.toFixed(5)}°, Dec ${target.decDeg.toFixed(5)}°) is off the frame (pixel ${tx.toFixed(1)}, ${ty.toFixed(1)})`;
  } else {
    const c = windowedCentroid(image, tx, ty, fwhm / 2.3548);
    if (c.flags === 0 && Math.hypot(c.x - tx, c.y - ty) <= Math.max(2, fwhm)) [tx, ty] = [c.x, c.y];
    else flags |= TARGET_NOT_RECENTRED;
  }

  // 3. Photometry of everything in one go (the target last).
  const xs = Float64Array.from([...compSrc.map((s) => s.x), flags & TARGET_OFF_FRAME ? 0 : tx]);
  const ys = Float64Array.from([...compSrc.map((s) => s.y), flags & TARGET_OFF_FRAME ? 0 : ty]);
  const gain = input.camera.gainEPerAdu;
  const ph = aperturePhotometry(image, xs, ys, {
    radiusPx: r,
    annulus: { innerPx: inner, outerPx: outer },
    ...(gain !== undefined && gain > 0 ? { gain, skyNoise: 'measured' as const } : {}),
    ...(input.camera.readNoiseE !== undefined && input.camera.readNoiseE >= 0 ? { readNoiseE: input.camera.readNoiseE } : {}),
  });
  const inst = instrumentalMag(ph.flux, ph.fluxErr, input.exposureS);
  const n = compSrc.length;
  const instMag = new Float64Array(n);
  const instMagErr = new Float64Array(n);
  const catMag = new Float64Array(n);
  const colour = stars.colour ? new Float64Array(n) : undefined;
  for (let k = 0; k < n; k++) {
    // Flagged apertures (truncated, masked, no sky) do not enter the fit.
    const good = ph.flags[k] === 0;
    instMag[k] = good ? inst.mag[k] : NaN;
    instMagErr[k] = good ? inst.magErr[k] : NaN;
    catMag[k] = stars.mag[compStar[k]];
    if (colour) colour[k] = stars.colour![compStar[k]];
  }

  let cal: FrameCalibration;
  try {
    cal = calibrateFrame(
      { instMag, instMagErr, catMag, ...(colour ? { colour } : {}) },
      { errorFloorMag: opts.errorFloorMag ?? 0.005, registry: input.registry, instrument: input.instrument },
    );
  } catch (err) {
    if (err instanceof PhotometryError) return { ok: false, reason: `zero point: ${err.message}` };
    throw err;
  }

  // 4. The target on the catalog system.
  const t = n;
  const tInst = flags & TARGET_OFF_FRAME ? NaN : inst.mag[t];
  const tInstErr = flags & TARGET_OFF_FRAME ? NaN : inst.magErr[t];
  if (!(flags & TARGET_OFF_FRAME)) {
    flags |= ph.flags[t];
    if (!Number.isFinite(tInst)) problem = `no flux from the target in the aperture (flux ${ph.flux[t].toFixed(1)} ADU)`;
  }
  // Target colour: the catalog's when the target is in it, else the comparison stars' median.
  let targetColour = 0;
  if (cal.colourTerm !== 0 && colour) {
    let best = -1;
    let bestSep = exclusion;
    for (let i = 0; i < stars.raDeg.length; i++) {
      const sep = angularSeparationDeg(stars.raDeg[i], stars.decDeg[i], target.raDeg, target.decDeg) * 3600;
      if (sep < bestSep && Number.isFinite(stars.colour![i])) [best, bestSep] = [i, sep];
    }
    if (best >= 0) targetColour = stars.colour![best];
    else {
      const used = Array.from(colour).filter((c, k) => cal.kept[k] === 1 && Number.isFinite(c));
      targetColour = used.length > 0 ? medianInPlace(Float64Array.from(used), used.length) : 0;
    }
  }
  const mag = tInst + cal.zp + cal.colourTerm * targetColour;
  const magErr = Math.sqrt(tInstErr * tInstErr + cal.zpErr * cal.zpErr + (cal.colourTermErr * targetColour) ** 2);
  const comparisons: ComparisonStar[] = compStar.map((i, k) => ({
    raDeg: stars.raDeg[i],
    decDeg: stars.decDeg[i],
    catMag: catMag[k],
    instMag: instMag[k],
    instMagErr: instMagErr[k],
    residual: cal.residual[k],
    used: cal.kept[k] === 1,
  }));
  return {
    ok: true,
    value: {
      fwhmPx: fwhm,
      apertureRadiusPx: r,
      calibration: cal,
      target: {
        xPx: tx,
        yPx: ty,
        mag: Number.isFinite(mag) ? mag : NaN,
        magErr: Number.isFinite(magErr) ? magErr : NaN,
        instMag: tInst,
        instMagErr: tInstErr,
        flags,
        ...(problem !== undefined ? { problem } : {}),
      },
      comparisons,
    },
  };
}
