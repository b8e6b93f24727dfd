/**
 * `openastro sky render`: a synthetic frame of a random star field (log N ∝ 0.3 m) seen
 * through a given telescope and camera, written as FITS with a TAN WCS; optionally the
 * truth list (0-based pixel positions and fluxes of every star on the chip) as CSV.
 */
import { Command, Option } from 'commander';
import { writeFile, rename, unlink } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Header } from '../../science/fits/header.js';
import { imageHdu, writeFitsFile } from '../../science/fits/writer.js';
import { wcsToHeader } from '../../science/wcs/index.js';
import {
  opticsPixelScaleArcsec,
  randomStarField,
  renderFrame,
  resolveOptics,
  tanWcsForOptics,
  type Optics,
  type RenderResult,
  type SatelliteTrail,
} from '../../science/sky/index.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { progressBar } from '../progress.js';

interface RenderCliOptions {
  ra: string;
  dec: string;
  fovArcmin: string;
  output: string;
  seed: string;
  json?: boolean;
  rotation: string;
  exposure: string;
  seeing: string;
  sky: string;
  magLimit: string;
  magBright: string;
  psf: string;
  beta?: string;
  trail?: string;
  apertureMm: string;
  focalMm: string;
  pixelUm: string;
  gain: string;
  readNoise: string;
  dark: string;
  bias: string;
  fullWell: string;
  bitDepth: string;
  throughput: string;
  vignetting: string;
  hotFraction: string;
  cameraSeed: string;
  cosmicRate: string;
  satellite: string[];
  noise: boolean;
  truth?: string;
  date?: string;
}

/** The largest frame the command will render (each side). */
const MAX_SIDE_PX = 16384;

export interface SkyRenderReport {
  output: string;
  truth: string | null;
  width: number;
  height: number;
  pixelScaleArcsec: number;
  seeingFwhmPx: number;
  zeroPointEPerS: number;
  skyEPerPx: number;
  catalogStars: number;
  starsOnChip: number;
  cosmicRays: number;
  saturationAdu: number;
  seed: number;
  seconds: number;
}

function number(text: string, what: string, min: number, max: number, exclusiveMin = false): number {
  const v = parseFiniteNumber(text, what);
  if ((exclusiveMin ? v <= min : v < min) || v > max) throw new CliError(`${what}: ${text} must be ${exclusiveMin ? '>' : '≥'} ${min} and ≤ ${max}`, 2);
  return v;
}

function numberList(text: string, what: string, count: number[]): number[] {
  const parts = text.split(',').map((p, i) => parseFiniteNumber(p.trim(), `${what}[${i}]`));
  if (!count.includes(parts.length)) throw new CliError(`${what}: expected ${count.join(' or ')} comma-separated numbers, got '${text}'`, 2);
  return parts;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function skyCommand(io: CliIo): Command {
  const cmd = new Command('sky').description('Synthetic sky: render realistic frames of random star fields');
  cmd
    .command('render')
    .description('Render a synthetic frame with a TAN WCS as FITS (16-bit by default)')
    .requiredOption('--ra <deg>', 'field centre right ascension, degrees')
    .requiredOption('--dec <deg>', 'field centre declination, degrees')
    .requiredOption('--fov-arcmin <w[,h]>', 'field of view, arcmin (sets the frame size through the pixel scale)')
    .requiredOption('-o, --output <file>', 'output FITS file')
    .option('--seed <n>', 'random seed (stars, noise, cosmic rays)', '1')
    .option('--json', 'print one JSON report on stdout')
    .option('--rotation <deg>', 'position angle of the image +y axis, degrees east of north', '0')
    .option('--exposure <s>', 'exposure time, seconds', '60')
    .option('--seeing <arcsec>', 'seeing FWHM, arcsec', '2.5')
    .option('--sky <mag>', 'sky surface brightness, mag/arcsec²', '20.5')
    .option('--mag-limit <mag>', 'faintest catalog star', '18')
    .option('--mag-bright <mag>', 'brightest catalog star', '6')
    .addOption(new Option('--psf <profile>', 'PSF profile').choices(['moffat', 'gaussian']).default('moffat'))
    .option('--beta <b>', 'Moffat β (default 4.765)')
    .option('--trail <len,angle>', 'image trail: length in px, angle in degrees from +x')
    .option('--aperture-mm <mm>', 'aperture diameter, mm', '200')
    .option('--focal-mm <mm>', 'focal length, mm', '1000')
    .option('--pixel-um <um>', 'pixel pitch, µm', '3.76')
    .option('--gain <e/ADU>', 'gain, e⁻/ADU', '1')
    .option('--read-noise <e>', 'read noise, e⁻', '3')
    .option('--dark <e/s>', 'dark current, e⁻/s/px', '0.005')
    .option('--bias <adu>', 'bias level, ADU', '500')
    .option('--full-well <e>', 'full-well capacity, e⁻', '50000')
    .option('--bit-depth <bits>', 'ADC bits (8, 16 or up to 32)', '16')
    .option('--throughput <f>', 'optics × filter × QE', '0.5')
    .addOption(new Option('--vignetting <model>', 'vignetting').choices(['none', 'cos4']).default('cos4'))
    .option('--hot-fraction <f>', 'fraction of hot pixels', '1e-4')
    .option('--camera-seed <n>', 'seed of the sensor defects (fixed per camera)', '0')
    .option('--cosmic-rate <per cm² s>', 'cosmic-ray rate (0 for none)', '0.02')
    .option('--satellite <x0,y0,x1,y1[,mag]>', 'satellite trail in px, peak surface brightness mag/arcsec² (default 18); repeatable', collect, [])
    .option('--no-noise', 'expected values only (no Poisson or read noise)')
    .option('--truth <csv>', 'write the stars on the chip (id, ra, dec, mag, x, y, flux_e) as CSV')
    .option('--date <iso>', 'DATE-OBS to record (UTC, ISO 8601)')
    .action(async (opts: RenderCliOptions) => {
      const report = await skyRender(io, opts);
      emit(io, Boolean(opts.json), report, () =>
        [
          `${report.output}: ${report.width} × ${report.height} px at ${report.pixelScaleArcsec.toFixed(4)}"/px, seeing ${report.seeingFwhmPx.toFixed(2)} px`,
          `  ${report.starsOnChip} stars on the chip (${report.catalogStars} in the catalog cone), ${report.cosmicRays} cosmic rays, sky ${report.skyEPerPx.toFixed(1)} e⁻/px`,
          report.truth ? `  truth: ${report.truth}` : '',
          `  ${report.seconds.toFixed(2)} s`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    });
  return cmd;
}

export async function skyRender(io: CliIo, opts: RenderCliOptions): Promise<SkyRenderReport> {
  const t0 = performance.now();
  const ra = number(opts.ra, '--ra', -360, 720);
  const dec = number(opts.dec, '--dec', -90, 90);
  const fov = numberList(opts.fovArcmin, '--fov-arcmin', [1, 2]);
  const [fovW, fovH] = [fov[0], fov[1] ?? fov[0]];
  if (!(fovW > 0 && fovH > 0)) throw new CliError(`--fov-arcmin: '${opts.fovArcmin}' must be positive`, 2);
  const seed = parseInteger(opts.seed, '--seed', 0, Number.MAX_SAFE_INTEGER);
  const cameraSeed = parseInteger(opts.cameraSeed, '--camera-seed', 0, Number.MAX_SAFE_INTEGER);
  const magLimit = number(opts.magLimit, '--mag-limit', -5, 30);
  const magBright = number(opts.magBright, '--mag-bright', -5, magLimit);
  const trail = opts.trail === undefined ? undefined : numberList(opts.trail, '--trail', [2]);
  const opticsBase = {
    apertureMm: number(opts.apertureMm, '--aperture-mm', 0, 1e5, true),
    focalLengthMm: number(opts.focalMm, '--focal-mm', 0, 1e6, true),
    pixelSizeUm: number(opts.pixelUm, '--pixel-um', 0, 1000, true),
  };
  const scale = opticsPixelScaleArcsec(opticsBase);
  const width = Math.round((fovW * 60) / scale);
  const height = Math.round((fovH * 60) / scale);
  if (width < 1 || height < 1) throw new CliError(`--fov-arcmin ${opts.fovArcmin} is smaller than one ${scale.toFixed(3)}" pixel`, 2);
  if (width > MAX_SIDE_PX || height > MAX_SIDE_PX) {
    throw new CliError(`--fov-arcmin ${opts.fovArcmin} at ${scale.toFixed(3)}"/px is ${width} × ${height} px; the limit is ${MAX_SIDE_PX} px a side`, 2);
  }
  const optics: Optics = {
    ...opticsBase,
    widthPx: width,
    heightPx: height,
    gainEPerAdu: number(opts.gain, '--gain', 0, 1e6, true),
    readNoiseE: number(opts.readNoise, '--read-noise', 0, 1e6),
    darkCurrentEPerS: number(opts.dark, '--dark', 0, 1e9),
    biasAdu: number(opts.bias, '--bias', 0, 2 ** 32),
    fullWellE: number(opts.fullWell, '--full-well', 0, 1e12, true),
    bitDepth: parseInteger(opts.bitDepth, '--bit-depth', 1, 32),
    throughput: number(opts.throughput, '--throughput', 0, 1, true),
    vignetting: { kind: opts.vignetting === 'cos4' ? 'cos4' : 'none' },
    hotPixelFraction: number(opts.hotFraction, '--hot-fraction', 0, 0.1),
    defectSeed: cameraSeed,
  };
  const resolved = resolveOptics(optics);
  const date = opts.date;
  if (date !== undefined && Number.isNaN(Date.parse(date))) throw new CliError(`--date: '${date}' is not an ISO 8601 date`, 2);
  const satellites: SatelliteTrail[] = opts.satellite.map((s) => {
    const v = numberList(s, '--satellite', [4, 5]);
    return { startPx: [v[0], v[1]], endPx: [v[2], v[3]], peakMagPerArcsec2: v[4] ?? 18 };
  });
  const cosmicRate = number(opts.cosmicRate, '--cosmic-rate', 0, 1e3);
  const outPath = resolve(io.cwd, opts.output);
  const truthPath = opts.truth === undefined ? undefined : resolve(io.cwd, opts.truth);

  const wcs = tanWcsForOptics(resolved, ra, dec, { rotationDeg: number(opts.rotation, '--rotation', -360, 360) });
  // A cone reaching past the corners by the widest PSF stamp, so edge stars spill in.
  const halfDiagDeg = (Math.hypot(width, height) / 2) * (scale / 3600);
  const stars = randomStarField({ raDeg: ((ra % 360) + 360) % 360, decDeg: dec, radiusDeg: Math.min(90, halfDiagDeg * 1.05 + 30 / 3600), magBright, magFaint: magLimit, seed });
  const progress = progressBar(io, 'render');
  let result: RenderResult;
  try {
    result = renderFrame({
      wcs,
      optics: resolved,
      exposureS: number(opts.exposure, '--exposure', 0, 1e7, true),
      seeingFwhmArcsec: number(opts.seeing, '--seeing', 0, 3600, true),
      psf: { profile: opts.psf === 'gaussian' ? 'gaussian' : 'moffat', ...(opts.beta !== undefined ? { beta: number(opts.beta, '--beta', 1, 100, true) } : {}) },
      ...(trail ? { trail: { lengthPx: trail[0], angleDeg: trail[1] } } : {}),
      stars,
      skyMagPerArcsec2: number(opts.sky, '--sky', -10, 60),
      seed,
      noise: opts.noise,
      ...(cosmicRate > 0 ? { cosmicRays: { ratePerCm2PerS: cosmicRate } } : {}),
      satellites,
      onProgress: (done, total, stage) => progress.update(done, total, stage),
    });
  } finally {
    progress.finish();
  }

  const header = new Header();
  header.set('ORIGIN', 'OpenAstro', 'synthetic frame');
  header.set('CREATOR', 'openastro sky render');
  header.set('IMAGETYP', 'Light Frame');
  header.set('OBJECT', 'synthetic field');
  if (date !== undefined) header.set('DATE-OBS', new Date(date).toISOString().replace('Z', ''), '[UTC] start of exposure');
  header.set('EXPTIME', result.meta.exposureS, '[s] exposure time');
  header.set('GAIN', resolved.gainEPerAdu, '[e-/ADU] detector gain');
  header.set('RDNOISE', resolved.readNoiseE, '[e-] read noise');
  header.set('SATURATE', result.meta.saturationAdu, '[ADU] saturation level');
  header.set('PEDESTAL', resolved.biasAdu, '[ADU] bias level');
  header.set('XPIXSZ', resolved.pixelSizeUm, '[um] pixel size');
  header.set('YPIXSZ', resolved.pixelSizeUm, '[um] pixel size');
  header.set('FOCALLEN', resolved.focalLengthMm, '[mm] focal length');
  header.set('APTDIA', resolved.apertureMm, '[mm] aperture diameter');
  header.set('SEEING', parseFiniteNumber(opts.seeing, '--seeing'), '[arcsec] simulated seeing FWHM');
  header.set('SKYMAG', parseFiniteNumber(opts.sky, '--sky'), '[mag/arcsec2] simulated sky brightness');
  header.set('MAGZERO', 2.5 * Math.log10(result.meta.zeroPointEPerS * result.meta.exposureS / resolved.gainEPerAdu), '[mag] ADU zero point of the exposure');
  header.set('SIMSEED', seed, 'random seed of the simulation');
  wcsToHeader(wcs, header);
  const hdu = imageHdu(result.frame, [result.width, result.height], { header });
  // The truth goes to a temporary file first, so a failure leaves neither file behind.
  let truthTmp: string | undefined;
  try {
    if (truthPath) {
      const lines = ['id,ra_deg,dec_deg,mag,x_px,y_px,flux_e'];
      for (const s of result.stars) lines.push(`${s.id ?? s.index},${s.raDeg},${s.decDeg},${s.mag},${s.xPx},${s.yPx},${s.fluxE}`);
      truthTmp = `${truthPath}.${randomUUID()}.tmp`;
      await writeFile(truthTmp, lines.join('\n') + '\n', { flag: 'wx' });
    }
    await writeFitsFile(outPath, [hdu], { checksum: true });
    if (truthTmp && truthPath) await rename(truthTmp, truthPath);
  } catch (e) {
    if (truthTmp) await unlink(truthTmp).catch(() => undefined);
    throw e;
  }

  return {
    output: outPath,
    truth: truthPath ?? null,
    width: result.width,
    height: result.height,
    pixelScaleArcsec: result.meta.pixelScaleArcsec,
    seeingFwhmPx: result.meta.seeingFwhmPx,
    zeroPointEPerS: result.meta.zeroPointEPerS,
    skyEPerPx: result.meta.skyEPerPx,
    catalogStars: stars.length,
    starsOnChip: result.stars.length,
    cosmicRays: result.cosmicRays.length,
    saturationAdu: result.meta.saturationAdu,
    seed,
    seconds: (performance.now() - t0) / 1000,
  };
}
