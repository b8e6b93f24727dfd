/**
 * Renders a synthetic frame: catalog stars and injected sources through a WCS (with its
 * SIP distortion), optics and seeing, on a sky background, with dark current and hot
 * pixels, Poisson and read noise, cosmic rays and satellite trails, digitised by the
 * camera's ADC. Seeded and deterministic: the same inputs and seed give bit-identical
 * frames (each noise row and each artefact class has its own derived random stream, so
 * switching cosmic rays on does not change the noise, for instance).
 *
 * Signal chain, per pixel, in electrons over the exposure (see optics.ts for the zero
 * point convention):
 *   expected = V·(sky + stars + sources + trails) + dark + hot pixels
 *   realised = Poisson(expected) + N(0, readNoise²) + cosmic-ray charge, clipped at the full well
 *   ADU      = round(realised / gain + bias), clipped to [0, 2^bitDepth − 1]
 * V is the vignetting (at the star's centre for point sources, per pixel otherwise).
 * The sky and the PSF width in pixels use the WCS's local pixel scale at the chip centre.
 */
import { deriveSeed, Rng } from '../inference/random.js';
import { pixelScaleArcsec, pixToSkyDerivatives, skyToPix, skyToPixBatch, type Wcs } from '../wcs/index.js';
import {
  addCosmicRays,
  addSatelliteTrail,
  expectedCosmicRays,
  hotPixels,
  type CosmicRayHit,
  type CosmicRayOptions,
  type HotPixels,
  type SatelliteTrail,
} from './artifacts.js';
import type { CatalogStar } from './catalog.js';
import { requireNumber, SkyError } from './errors.js';
import { applyNoiseRows, digitiseRange, type FrameArray } from './noise.js';
import { maxAdu, resolveOptics, saturationAdu, vignettingAt, vignettingRange, type Optics, type ResolvedOptics } from './optics.js';
import { createPsfRenderer, psfKernel, resolvePsf, type PsfKernel, type PsfProfile, type PsfRenderer, type ResolvedPsf } from './psf.js';
import { addConvolvedStamp, sersicStamp, type SersicDraw } from './sersic.js';

const ARCSEC_PER_RAD = (180 / Math.PI) * 3600;
const SECONDS_PER_DAY = 86400;

/** Where a source is: sky coordinates (through the WCS) or a pixel position. */
export interface SourcePosition {
  raDeg?: number;
  decDeg?: number;
  xPx?: number;
  yPx?: number;
}

/**
 * An unresolved source added by the caller: a variable star, a transient, a transiting
 * system. Brightness: `mag` (constant), `magAt(jd)` (averaged over the exposure at
 * `timeSamples` midpoints; needs startJd), or `fluxE` (electrons collected on the optical
 * axis over the exposure; vignetting still applies, extinction does not).
 */
export interface PointSource extends SourcePosition {
  kind: 'point';
  mag?: number;
  magAt?: (jd: number) => number;
  fluxE?: number;
  id?: string;
}

/** A Sérsic galaxy (see sersic.ts): total magnitude, index, half-light semi-major axis. */
export interface SersicSource extends SourcePosition {
  kind: 'sersic';
  mag: number;
  n: number;
  reArcsec: number;
  /** 1 − b/a; default 0. */
  ellipticity?: number;
  /** Position angle of the major axis, degrees east of north; default 0. */
  positionAngleDeg?: number;
  id?: string;
}

export type InjectedSource = PointSource | SersicSource;

export interface RenderOptions {
  wcs: Wcs;
  optics: Optics;
  exposureS: number;
  seeingFwhmArcsec: number;
  /** PSF profile; default Moffat with β = 4.765. */
  psf?: { profile?: PsfProfile; beta?: number };
  /** Image motion during the exposure (tracking error), centred on each source. */
  trail?: { lengthPx: number; angleDeg: number };
  stars?: readonly CatalogStar[];
  sources?: readonly InjectedSource[];
  /** Sky surface brightness, mag/arcsec²; default 21. Infinity for no sky. */
  skyMagPerArcsec2?: number;
  /** Linear sky gradient: fractional change per pixel in x and y from the chip centre. */
  skyGradientPerPx?: readonly [number, number];
  /** Atmospheric extinction applied to stars and sources given by magnitude; default 0. */
  extinctionMag?: number;
  /** Start of the exposure, JD (any scale the caller's light curves use). */
  startJd?: number;
  /** Light-curve samples across the exposure for `magAt`; default 5. */
  timeSamples?: number;
  seed: number;
  /** Poisson and read noise; default true. With false the frame holds expected values. */
  noise?: boolean;
  cosmicRays?: CosmicRayOptions;
  satellites?: readonly SatelliteTrail[];
  /** Relative flux a star may lose outside its drawn disc; default 1e-5 (see psf.ts). */
  psfTruncation?: number;
  maxStampRadiusPx?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface TruthStar {
  /** Index in options.stars. */
  index: number;
  id?: string;
  raDeg: number;
  decDeg: number;
  mag: number;
  xPx: number;
  yPx: number;
  /** Expected electrons in the whole image of the star (vignetting and extinction included). */
  fluxE: number;
}

export interface TruthSource {
  /** Index in options.sources. */
  index: number;
  kind: InjectedSource['kind'];
  id?: string;
  xPx: number;
  yPx: number;
  /** Expected electrons (exposure-averaged for a light curve). */
  fluxE: number;
  /** Effective magnitude over the exposure, when the brightness was given as one. */
  mag?: number;
  /** Whether the centre lies on the chip. */
  onChip: boolean;
}

export interface TruthTrail {
  index: number;
  id?: string;
  /** Electrons that landed on the chip. */
  fluxE: number;
  electronsPerPx: number;
}

export interface RenderResult {
  width: number;
  height: number;
  /** Realised electrons per pixel after full-well clipping, before gain and digitisation. */
  electrons: Float32Array;
  /** Digitised frame, ADU: Uint8Array, Uint16Array or Uint32Array by bit depth. */
  frame: FrameArray;
  /** Catalog stars whose centre is on the chip (−0.5 ≤ x < width − 0.5, same for y). */
  stars: TruthStar[];
  sources: TruthSource[];
  cosmicRays: CosmicRayHit[];
  satellites: TruthTrail[];
  hotPixels: HotPixels;
  meta: {
    seed: number;
    exposureS: number;
    zeroPointEPerS: number;
    pixelScaleArcsec: number;
    /** Seeing FWHM in pixels as requested (the PSF drawn is at least 0.5 px wide: see psf). */
    seeingFwhmPx: number;
    psf: ResolvedPsf;
    /** Sky electrons per pixel at the optical centre (before vignetting, noise). */
    skyEPerPx: number;
    darkEPerPx: number;
    gainEPerAdu: number;
    biasAdu: number;
    readNoiseE: number;
    saturationAdu: number;
    maxAdu: number;
    optics: ResolvedOptics;
  };
}

const NOISE_STREAM = 1;
const COSMIC_STREAM = 2;
const MAX_STARS = 1e7;
const MAX_SOURCES = 1e5;
const MAX_SATELLITES = 1e4;
const MIN_PSF_FWHM_PX = 0.5;

export function renderFrame(opts: RenderOptions): RenderResult {
  if (opts === null || typeof opts !== 'object') throw new SkyError('BAD_ARGUMENT', 'render options are required');
  const wcs = opts.wcs;
  if (!wcs || !Array.isArray(wcs.cd) || !Array.isArray(wcs.crpix)) throw new SkyError('BAD_ARGUMENT', 'a WCS is required', { parameter: 'wcs' });
  const optics = resolveOptics(opts.optics);
  const exposureS = requireNumber(opts.exposureS, 'exposureS', 0, 1e7, true);
  const seeing = requireNumber(opts.seeingFwhmArcsec, 'seeingFwhmArcsec', 0, 3600, true);
  if (!Number.isSafeInteger(opts.seed)) throw new SkyError('BAD_ARGUMENT', `must be a safe integer, got ${String(opts.seed)}`, { parameter: 'seed' });
  const skyMag = opts.skyMagPerArcsec2 ?? 21;
  if (skyMag !== Infinity) requireNumber(skyMag, 'skyMagPerArcsec2', -10, 60);
  const [gx, gy] = opts.skyGradientPerPx ?? [0, 0];
  requireNumber(gx, 'skyGradientPerPx[0]', -1, 1);
  requireNumber(gy, 'skyGradientPerPx[1]', -1, 1);
  const extinction = requireNumber(opts.extinctionMag ?? 0, 'extinctionMag', 0, 30);
  const stars = opts.stars ?? [];
  const sources = opts.sources ?? [];
  const satellites = opts.satellites ?? [];
  if (stars.length > MAX_STARS) throw new SkyError('TOO_LARGE', `${stars.length} stars (limit ${MAX_STARS})`, { parameter: 'stars' });
  if (sources.length > MAX_SOURCES) throw new SkyError('TOO_LARGE', `${sources.length} sources (limit ${MAX_SOURCES})`, { parameter: 'sources' });
  if (satellites.length > MAX_SATELLITES) throw new SkyError('TOO_LARGE', `${satellites.length} trails (limit ${MAX_SATELLITES})`, { parameter: 'satellites' });
  const noise = opts.noise ?? true;
  const progress = opts.onProgress ?? (() => undefined);

  const width = optics.widthPx;
  const height = optics.heightPx;
  const npix = width * height;
  const centre: [number, number] = [(width - 1) / 2, (height - 1) / 2];
  const scale = pixelScaleArcsec(wcs, centre);
  const seeingFwhmPx = seeing / scale;
  // An image narrower than half a pixel is drawn at half a pixel: the optics, the pixel's
  // own response and charge diffusion blur at least that much (all-sky cameras).
  const psf = resolvePsf({
    profile: opts.psf?.profile ?? 'moffat',
    fwhmPx: Math.max(MIN_PSF_FWHM_PX, seeingFwhmPx),
    ...(opts.psf?.beta !== undefined ? { beta: opts.psf.beta } : {}),
    ...(opts.trail ? { trail: opts.trail } : {}),
  });
  const rendererOptions = {
    ...(opts.psfTruncation !== undefined ? { truncation: opts.psfTruncation } : {}),
    ...(opts.maxStampRadiusPx !== undefined ? { maxRadiusPx: opts.maxStampRadiusPx } : {}),
  };
  // Built on first use: its tables cost more than a small starless frame.
  let psfRenderer: PsfRenderer | undefined;
  const renderer = (): PsfRenderer => (psfRenderer ??= createPsfRenderer(psf, rendererOptions));
  if (opts.psfTruncation !== undefined) requireNumber(opts.psfTruncation, 'psfTruncation', 0, 0.5, true);
  if (opts.maxStampRadiusPx !== undefined) requireNumber(opts.maxStampRadiusPx, 'maxStampRadiusPx', 1, 4096);
  const zp = optics.zeroPointEPerS;
  const magToE = (mag: number): number => zp * Math.pow(10, -0.4 * (mag + extinction)) * exposureS;

  // Background: vignetted sky (with gradient) plus dark current.
  const electrons = new Float32Array(npix);
  const skyEPerPx = skyMag === Infinity ? 0 : zp * Math.pow(10, -0.4 * skyMag) * scale * scale * exposureS;
  const darkEPerPx = optics.darkCurrentEPerS * exposureS;
  vignettingRange(optics, width, 0, npix, electrons);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const gyTerm = 1 + gy * (y - centre[1]);
    for (let x = 0; x < width; x++) {
      const g = gyTerm + gx * (x - centre[0]);
      electrons[row + x] = skyEPerPx * electrons[row + x] * (g > 0 ? g : 0) + darkEPerPx;
    }
  }
  const hot = hotPixels(optics);
  for (let i = 0; i < hot.index.length; i++) electrons[hot.index[i]] += hot.darkEPerS[i] * exposureS;
  progress(0, 1, 'background');

  // Catalog stars.
  const truthStars: TruthStar[] = [];
  if (stars.length > 0) {
    const ra = new Float64Array(stars.length);
    const dec = new Float64Array(stars.length);
    for (let i = 0; i < stars.length; i++) {
      const s = stars[i];
      ra[i] = requireNumber(s?.raDeg, 'stars.raDeg', -Infinity, Infinity, false, i);
      dec[i] = requireNumber(s.decDeg, 'stars.decDeg', -90, 90, false, i);
      requireNumber(s.mag, 'stars.mag', -30, 50, false, i);
    }
    const { xPx, yPx } = skyToPixBatch(wcs, ra, dec);
    const draw = renderer();
    const step = Math.max(1, Math.floor(stars.length / 100));
    for (let i = 0; i < stars.length; i++) {
      const x = xPx[i];
      const y = yPx[i];
      if (Number.isFinite(x) && Number.isFinite(y)) {
        const s = stars[i];
        const flux = magToE(s.mag) * vignettingAt(optics, clamp(x, 0, width - 1), clamp(y, 0, height - 1));
        draw.add(electrons, width, height, x, y, flux);
        if (x >= -0.5 && x < width - 0.5 && y >= -0.5 && y < height - 0.5) {
          truthStars.push({ index: i, ...(s.id !== undefined ? { id: s.id } : {}), raDeg: s.raDeg, decDeg: s.decDeg, mag: s.mag, xPx: x, yPx: y, fluxE: flux });
        }
      }
      if (i % step === 0) progress(i, stars.length, 'stars');
    }
  }

  // Injected sources and satellite trails (validated before anything is drawn).
  const prepared = sources.map((src, index) => prepareSource(src, index, wcs, optics, magToE, exposureS, opts));
  const trails = satellites.map((t, index) => prepareTrail(t, index, psf.fwhmPx, zp * scale * scale * exposureS));
  if (opts.cosmicRays) expectedCosmicRays(optics, opts.cosmicRays, exposureS);

  const truthSources: TruthSource[] = [];
  let kernel: PsfKernel | undefined;
  prepared.forEach((p, index) => {
    const { src, xPx: x, yPx: y, fluxE } = p;
    const onChip = x >= -0.5 && x < width - 0.5 && y >= -0.5 && y < height - 0.5;
    const id = src.id !== undefined ? { id: src.id } : {};
    if (p.sersic === undefined) renderer().add(electrons, width, height, x, y, fluxE);
    else {
      kernel ??= psfKernel(psf);
      addConvolvedStamp(electrons, width, height, sersicStamp(p.sersic), kernel);
    }
    truthSources.push({ index, kind: src.kind, ...id, xPx: x, yPx: y, fluxE, ...(p.mag !== undefined ? { mag: p.mag } : {}), onChip });
  });

  const truthTrails: TruthTrail[] = trails.map((t, index) => {
    const fluxE = addSatelliteTrail(electrons, width, height, t, (px, py) => vignettingAt(optics, px, py));
    return { index, ...(satellites[index].id !== undefined ? { id: satellites[index].id } : {}), fluxE, electronsPerPx: t.electronsPerPx };
  });

  // Noise, cosmic rays, digitisation.
  if (noise) {
    const rowsPerStep = Math.max(1, Math.floor(height / 50));
    for (let y0 = 0; y0 < height; y0 += rowsPerStep) {
      applyNoiseRows(electrons, width, y0, Math.min(height, y0 + rowsPerStep), {
        poisson: true,
        readNoiseE: optics.readNoiseE,
        seed: deriveSeed(opts.seed, NOISE_STREAM),
      });
      progress(y0, height, 'noise');
    }
  }
  const cosmicRays = opts.cosmicRays ? addCosmicRays(electrons, optics, opts.cosmicRays, exposureS, new Rng(deriveSeed(opts.seed, COSMIC_STREAM))) : [];
  const frame: FrameArray = optics.bitDepth <= 8 ? new Uint8Array(npix) : optics.bitDepth <= 16 ? new Uint16Array(npix) : new Uint32Array(npix);
  digitiseRange(electrons, frame, 0, npix, { gainEPerAdu: optics.gainEPerAdu, biasAdu: optics.biasAdu, fullWellE: optics.fullWellE, maxAdu: maxAdu(optics) });
  progress(1, 1, 'done');

  return {
    width,
    height,
    electrons,
    frame,
    stars: truthStars,
    sources: truthSources,
    cosmicRays,
    satellites: truthTrails,
    hotPixels: hot,
    meta: {
      seed: opts.seed,
      exposureS,
      zeroPointEPerS: zp,
      pixelScaleArcsec: scale,
      seeingFwhmPx,
      psf,
      skyEPerPx,
      darkEPerPx,
      gainEPerAdu: optics.gainEPerAdu,
      biasAdu: optics.biasAdu,
      readNoiseE: optics.readNoiseE,
      saturationAdu: saturationAdu(optics),
      maxAdu: maxAdu(optics),
      optics,
    },
  };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function sourcePixel(wcs: Wcs, src: SourcePosition, index: number): [number, number] {
  if (src === null || typeof src !== 'object') throw new SkyError('BAD_ARGUMENT', 'must be an object', { parameter: 'sources', index });
  const hasSky = src.raDeg !== undefined || src.decDeg !== undefined;
  const hasPx = src.xPx !== undefined || src.yPx !== undefined;
  if (hasSky === hasPx) throw new SkyError('BAD_ARGUMENT', 'give either raDeg/decDeg or xPx/yPx', { parameter: 'sources', index });
  if (hasPx) return [requireNumber(src.xPx, 'sources.xPx', -1e7, 1e7, false, index), requireNumber(src.yPx, 'sources.yPx', -1e7, 1e7, false, index)];
  const ra = requireNumber(src.raDeg, 'sources.raDeg', -Infinity, Infinity, false, index);
  const dec = requireNumber(src.decDeg, 'sources.decDeg', -90, 90, false, index);
  const [x, y] = skyToPix(wcs, ra, dec);
  if (!Number.isFinite(x) || !Number.isFinite(y)) throw new SkyError('BAD_ARGUMENT', 'position has no image in this WCS (more than 90° from the field)', { parameter: 'sources', index });
  return [x, y];
}

interface PreparedSource {
  src: InjectedSource;
  xPx: number;
  yPx: number;
  /** Expected electrons, vignetting included. */
  fluxE: number;
  mag?: number;
  /** How to draw an extended source (its stamp is made when drawn, to bound memory). */
  sersic?: SersicDraw;
}

function prepareSource(
  src: InjectedSource,
  index: number,
  wcs: Wcs,
  optics: ResolvedOptics,
  magToE: (mag: number) => number,
  exposureS: number,
  opts: RenderOptions,
): PreparedSource {
  const [x, y] = sourcePixel(wcs, src, index);
  const vig = vignettingAt(optics, clamp(x, 0, optics.widthPx - 1), clamp(y, 0, optics.heightPx - 1));
  if (src.kind === 'point') {
    const { fluxE, mag } = pointFlux(src, index, magToE, exposureS, opts);
    return { src, xPx: x, yPx: y, fluxE: fluxE * vig, ...(mag !== undefined ? { mag } : {}) };
  }
  if (src.kind !== 'sersic') {
    throw new SkyError('BAD_ARGUMENT', `unknown source kind '${String((src as { kind: unknown }).kind)}' (point or sersic)`, { parameter: 'sources.kind', index });
  }
  requireNumber(src.mag, 'sources.mag', -30, 50, false, index);
  const ell = requireNumber(src.ellipticity ?? 0, 'sources.ellipticity', 0, 1, false, index);
  if (ell >= 1) throw new SkyError('BAD_ARGUMENT', 'ellipticity must be < 1', { parameter: 'sources.ellipticity', index });
  const pa = (requireNumber(src.positionAngleDeg ?? 0, 'sources.positionAngleDeg', -Infinity, Infinity, false, index) * Math.PI) / 180;
  const fluxE = magToE(src.mag) * vig;
  const j = localJacobianArcsec(wcs, x, y);
  const sp = Math.sin(pa);
  const cp = Math.cos(pa);
  // Major axis along (east, north) = (sin PA, cos PA); minor axis along (cos PA, −sin PA).
  const m: [number, number, number, number] = [sp * j[0] + cp * j[2], sp * j[1] + cp * j[3], cp * j[0] - sp * j[2], cp * j[1] - sp * j[3]];
  const sersic: SersicDraw = {
    xPx: x,
    yPx: y,
    fluxE,
    n: requireNumber(src.n, 'sources.n', 0.2, 10, false, index),
    reArcsec: requireNumber(src.reArcsec, 'sources.reArcsec', 0, 1e5, true, index),
    axisRatio: 1 - ell,
    pixelToAxes: m,
    ...(opts.maxStampRadiusPx !== undefined ? { maxRadiusPx: opts.maxStampRadiusPx } : {}),
  };
  return { src, xPx: x, yPx: y, fluxE, mag: src.mag, sersic };
}

/** A trail's geometry and line flux; `surfaceToEPerPx` turns 10^(−0.4 μ) into e⁻ per px². */
function prepareTrail(
  t: SatelliteTrail,
  index: number,
  defaultWidthPx: number,
  surfaceToEPerPx: number,
): { startPx: readonly [number, number]; endPx: readonly [number, number]; widthFwhmPx: number; electronsPerPx: number } {
  const where = { parameter: 'satellites', index };
  if (!t || !Array.isArray(t.startPx) || !Array.isArray(t.endPx) || t.startPx.length !== 2 || t.endPx.length !== 2) {
    throw new SkyError('BAD_ARGUMENT', 'startPx and endPx must be [x, y]', where);
  }
  for (const v of [...t.startPx, ...t.endPx]) requireNumber(v, 'satellites.startPx/endPx', -1e7, 1e7, false, index);
  if (t.startPx[0] === t.endPx[0] && t.startPx[1] === t.endPx[1]) throw new SkyError('BAD_ARGUMENT', 'startPx and endPx coincide', where);
  const widthFwhmPx = requireNumber(t.widthFwhmPx ?? defaultWidthPx, 'satellites.widthFwhmPx', 0, 1000, true, index);
  if ((t.peakMagPerArcsec2 === undefined) === (t.electronsPerPx === undefined)) {
    throw new SkyError('BAD_ARGUMENT', 'give exactly one of peakMagPerArcsec2 and electronsPerPx', where);
  }
  let electronsPerPx: number;
  if (t.electronsPerPx !== undefined) electronsPerPx = requireNumber(t.electronsPerPx, 'satellites.electronsPerPx', 0, Infinity, false, index);
  else {
    // Peak e⁻/px² on the centre line times the Gaussian's integral across, σ√(2π).
    const peak = surfaceToEPerPx * Math.pow(10, -0.4 * requireNumber(t.peakMagPerArcsec2, 'satellites.peakMagPerArcsec2', -30, 60, false, index));
    electronsPerPx = peak * (widthFwhmPx / (2 * Math.sqrt(2 * Math.LN2))) * Math.sqrt(2 * Math.PI);
  }
  return { startPx: t.startPx, endPx: t.endPx, widthFwhmPx, electronsPerPx };
}

function pointFlux(
  src: PointSource,
  index: number,
  magToE: (mag: number) => number,
  exposureS: number,
  opts: RenderOptions,
): { fluxE: number; mag?: number } {
  const given = [src.mag !== undefined, src.magAt !== undefined, src.fluxE !== undefined].filter(Boolean).length;
  if (given !== 1) throw new SkyError('BAD_ARGUMENT', 'give exactly one of mag, magAt and fluxE', { parameter: 'sources', index });
  if (src.fluxE !== undefined) return { fluxE: requireNumber(src.fluxE, 'sources.fluxE', 0, Infinity, false, index) };
  if (src.mag !== undefined) {
    requireNumber(src.mag, 'sources.mag', -30, 50, false, index);
    return { fluxE: magToE(src.mag), mag: src.mag };
  }
  if (typeof src.magAt !== 'function') throw new SkyError('BAD_ARGUMENT', 'magAt must be a function of JD', { parameter: 'sources.magAt', index });
  const start = requireNumber(opts.startJd, 'startJd');
  const samples = Math.round(requireNumber(opts.timeSamples ?? 5, 'timeSamples', 1, 10000));
  // Mean of the flux (not of the magnitude) over the exposure, by the midpoint rule.
  let mean = 0;
  for (let k = 0; k < samples; k++) {
    const jd = start + ((k + 0.5) / samples) * (exposureS / SECONDS_PER_DAY);
    const m = src.magAt(jd);
    requireNumber(m, 'sources.magAt(jd)', -30, 99, false, index);
    mean += Math.pow(10, -0.4 * m);
  }
  mean /= samples;
  const mag = -2.5 * Math.log10(mean);
  return { fluxE: magToE(mag), mag };
}

/**
 * Local Jacobian of pixel → (east, north) offsets on the sky at a pixel, arcsec per px,
 * row-major [[E/dx, E/dy], [N/dx, N/dy]]. From the unit-vector derivatives, so it holds
 * at any declination (undefined exactly at a pole).
 */
export function localJacobianArcsec(wcs: Wcs, xPx: number, yPx: number): [number, number, number, number] {
  const { v, dx, dy } = pixToSkyDerivatives(wcs, xPx, yPx);
  const ra = Math.atan2(v[1], v[0]);
  const dec = Math.asin(Math.max(-1, Math.min(1, v[2])));
  const e = [-Math.sin(ra), Math.cos(ra), 0];
  const n = [-Math.sin(dec) * Math.cos(ra), -Math.sin(dec) * Math.sin(ra), Math.cos(dec)];
  const dot = (a: number[], b: readonly number[]): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  return [dot(e, dx) * ARCSEC_PER_RAD, dot(e, dy) * ARCSEC_PER_RAD, dot(n, dx) * ARCSEC_PER_RAD, dot(n, dy) * ARCSEC_PER_RAD];
}
