/**
 * A simulated camera on the simulated mount: frames rendered by science/sky for the node's
 * site, optics and the true sky at the clock's time. A light frame shows the stars around
 * where the mount really points (pointing error included), dimmed by extinction at the
 * airmass and by passing clouds, on a sky that brightens in twilight, with seeing that
 * grows as airmass^0.6, trailed when the mount is not tracking. Darks and biases have the
 * shutter closed; flats are an evenly lit panel, so they show the optics' vignetting.
 * The file carries the keywords a capture program writes (see ../frame-header.ts) and no
 * WCS unless asked (`wcs: 'rough'`: a TAN WCS at the requested pointing — wrong by the
 * pointing error, as a capture program's would be).
 */
import type { Clock } from '../../../network/clock.js';
import { wcsToHeader, type Wcs } from '../../../science/wcs/index.js';
import { deriveSeed } from '../../../science/inference/random.js';
import {
  opticsPixelScaleArcsec,
  renderFrame,
  resolveOptics,
  saturationAdu,
  SkyError,
  tanWcsForOptics,
  type CosmicRayOptions,
  type InjectedSource,
  type Optics,
  type PsfProfile,
  type RenderResult,
  type ResolvedOptics,
} from '../../../science/sky/index.js';
import { AgentError, withDeadline } from '../../errors.js';
import { airmass, checkSite, horizontal, sunAltitudeDeg } from '../coordinates.js';
import { frameFits, frameHeader } from '../frame-header.js';
import { realSleep, type Sleep } from '../time.js';
import { FRAME_TYPES, type Camera, type CapturedFrame, type ExposeOptions, type FrameFacts, type Site } from '../types.js';
import { checkCloudModel, meanTransparency, type CloudModel } from './clouds.js';
import type { SimulatedFilterWheel } from './filter-wheel.js';
import type { MountTruth, SimulatedMount } from './mount.js';
import { proceduralSky, type StarSource } from './stars.js';

export interface SimulatedCameraOptions {
  site: Site;
  optics: Optics;
  clock: Clock;
  sleep?: Sleep;
  seed: number;
  mount?: SimulatedMount;
  filterWheel?: SimulatedFilterWheel;
  /** Default: a procedural sky from `seed`, to magnitude 16. */
  stars?: StarSource;
  /** Variables, transits, transients placed on the sky (see science/sky InjectedSource). */
  sources?: readonly InjectedSource[];
  clouds?: CloudModel;
  /** Zenith seeing, arcsec; default 2.5. */
  seeingFwhmArcsec?: number;
  psf?: { profile?: PsfProfile; beta?: number };
  /** Dark-sky surface brightness at night, mag/arcsec²; default 20.5. */
  skyMagPerArcsec2?: number;
  /** Extinction coefficient, mag per airmass; default 0.2 (V at a low site). */
  extinctionMagPerAirmass?: number;
  /** Position angle of the image +y axis, degrees east of north; default 0 (north up). */
  rotationDeg?: number;
  /** Download time; default 1 s. */
  readoutS?: number;
  /** Ambient temperature; default 10 °C. The cooler reaches at most ambient − maxCoolingC (default 35). */
  ambientC?: number;
  maxCoolingC?: number;
  /** Cooler time constant; default 120 s. */
  coolerTimeConstantS?: number;
  cosmicRays?: CosmicRayOptions;
  /** 'rough' writes a TAN WCS at the requested pointing; default 'none'. */
  wcs?: 'none' | 'rough';
  maxExposureS?: number;
  telescope?: string;
  instrument?: string;
  name?: string;
}

/** What was really rendered (for tests and the demo's checks). */
export interface SimulatedFrameTruth {
  /** The WCS of the frame as rendered (true pointing), 0-based pixels. */
  wcs?: Wcs;
  mount?: MountTruth;
  stars: RenderResult['stars'];
  sources: RenderResult['sources'];
  meta: RenderResult['meta'];
  transparency: number;
  airmass: number;
  skyMagPerArcsec2: number;
  seeingFwhmArcsec: number;
  extinctionMag: number;
}

export interface SimulatedFrame extends CapturedFrame {
  truth: SimulatedFrameTruth;
}

const JD_UNIX_EPOCH = 2440587.5;
const MAX_BINNING = 4;
const DAYLIGHT_SKY_MAG = 3;

export class SimulatedCamera implements Camera {
  readonly name: string;
  private isConnected = false;
  private exposing: AbortController | undefined;
  private frames = 0;
  private readonly optics: ResolvedOptics;
  private readonly o: SimulatedCameraOptions;
  private readonly sleep: Sleep;
  private readonly stars: StarSource;
  private cool: { fromC: number; atMs: number; targetC: number; setpointC: number | null };

  constructor(opts: SimulatedCameraOptions) {
    checkSite(opts.site);
    if (!Number.isSafeInteger(opts.seed)) throw new AgentError('BAD_ARGUMENT', `seed must be a safe integer, got ${opts.seed}`);
    try {
      this.optics = resolveOptics(opts.optics);
    } catch (e) {
      throw wrapSky(e);
    }
    if (opts.clouds) checkCloudModel(opts.clouds);
    const positive = (v: number | undefined, name: string, allowZero = false): void => {
      if (v !== undefined && !(allowZero ? v >= 0 : v > 0)) throw new AgentError('BAD_ARGUMENT', `${name} must be ${allowZero ? '≥' : '>'} 0, got ${v}`);
    };
    positive(opts.seeingFwhmArcsec, 'seeingFwhmArcsec');
    positive(opts.extinctionMagPerAirmass, 'extinctionMagPerAirmass', true);
    positive(opts.readoutS, 'readoutS', true);
    positive(opts.maxCoolingC, 'maxCoolingC', true);
    positive(opts.coolerTimeConstantS, 'coolerTimeConstantS');
    positive(opts.maxExposureS, 'maxExposureS');
    this.o = opts;
    this.sleep = opts.sleep ?? realSleep();
    this.stars = opts.stars ?? proceduralSky({ seed: deriveSeed(opts.seed, 7), magFaint: 16 });
    this.name = opts.name ?? 'Simulated Camera';
    const ambient = opts.ambientC ?? 10;
    this.cool = { fromC: ambient, atMs: opts.clock.now().getTime(), targetC: ambient, setpointC: null };
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
    this.isConnected = true;
  }

  async disconnect(): Promise<void> {
    this.exposing?.abort(new AgentError('ABORTED', 'camera disconnected', { device: this.name }));
    this.isConnected = false;
  }

  private requireConnected(): void {
    if (!this.isConnected) throw new AgentError('NOT_CONNECTED', 'camera is not connected', { device: this.name });
  }

  private temperatureAt(ms: number): number {
    const tau = (this.o.coolerTimeConstantS ?? 120) * 1000;
    const c = this.cool;
    return c.targetC + (c.fromC - c.targetC) * Math.exp(-Math.max(0, ms - c.atMs) / tau);
  }

  async temperature(): Promise<number> {
    this.requireConnected();
    return this.temperatureAt(this.o.clock.now().getTime());
  }

  async cooler(setpointC: number | null): Promise<void> {
    this.requireConnected();
    if (setpointC !== null && !(setpointC >= -60 && setpointC <= 40)) throw new AgentError('BAD_ARGUMENT', `cooler setpoint must be in [−60, 40] °C, got ${setpointC}`, { device: this.name });
    const now = this.o.clock.now().getTime();
    const ambient = this.o.ambientC ?? 10;
    const floor = ambient - (this.o.maxCoolingC ?? 35);
    this.cool = { fromC: this.temperatureAt(now), atMs: now, targetC: setpointC === null ? ambient : Math.max(setpointC, floor), setpointC };
  }

  async abort(): Promise<void> {
    this.exposing?.abort(new AgentError('ABORTED', 'exposure aborted', { device: this.name }));
  }

  async expose(seconds: number, opts: ExposeOptions): Promise<SimulatedFrame> {
    const maxS = this.o.maxExposureS ?? 3600;
    if (!(seconds >= 0 && seconds <= maxS)) throw new AgentError('BAD_ARGUMENT', `exposure must be in [0, ${maxS}] s, got ${seconds}`, { device: this.name });
    if (!opts || !FRAME_TYPES.includes(opts.frameType)) throw new AgentError('BAD_ARGUMENT', `frameType must be one of ${FRAME_TYPES.join(', ')}, got ${String(opts?.frameType)}`, { device: this.name });
    const binning = opts.binning ?? 1;
    if (!Number.isInteger(binning) || binning < 1 || binning > MAX_BINNING) throw new AgentError('BAD_ARGUMENT', `binning must be an integer 1 … ${MAX_BINNING}, got ${binning}`, { device: this.name });
    if (opts.frameType !== 'bias' && opts.frameType !== 'dark' && !(seconds > 0)) throw new AgentError('BAD_ARGUMENT', `a ${opts.frameType} frame needs an exposure > 0 s`, { device: this.name });
    const readoutS = this.o.readoutS ?? 1;
    const timeoutMs = opts.timeoutMs ?? (seconds + readoutS) * 1000 + 60_000;
    return withDeadline('exposure', { timeoutMs, signal: opts.signal }, async (signal) => {
      this.requireConnected();
      if (this.exposing) throw new AgentError('BUSY', 'an exposure is already in progress', { device: this.name });
      const ctl = new AbortController();
      const onAbort = (): void => ctl.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.exposing = ctl;
      try {
        const start = this.o.clock.now();
        const ccdTempC = this.temperatureAt(start.getTime());
        await this.sleep(seconds * 1000, ctl.signal);
        const frame = await this.render(seconds, opts, binning, start, ccdTempC);
        await this.sleep(readoutS * 1000, ctl.signal);
        return frame;
      } finally {
        signal.removeEventListener('abort', onAbort);
        this.exposing = undefined;
      }
    });
  }

  private binnedOptics(b: number): Optics {
    const o = this.optics;
    return {
      ...o,
      pixelSizeUm: o.pixelSizeUm * b,
      widthPx: Math.floor(o.widthPx / b),
      heightPx: Math.floor(o.heightPx / b),
      // Charge summed on the chip: b² pixels' dark current and well depth, one read.
      darkCurrentEPerS: o.darkCurrentEPerS * b * b,
      fullWellE: o.fullWellE * b * b,
      opticalCentrePx: [(o.opticalCentrePx[0] + 0.5) / b - 0.5, (o.opticalCentrePx[1] + 0.5) / b - 0.5],
    };
  }

  private async render(seconds: number, opts: ExposeOptions, binning: number, start: Date, ccdTempC: number): Promise<SimulatedFrame> {
    const optics = this.binnedOptics(binning);
    const seed = deriveSeed(this.o.seed, ++this.frames);
    const mid = new Date(start.getTime() + (seconds * 1000) / 2);
    const site = this.o.site;
    const filter = this.o.filterWheel?.currentName();
    const renderS = seconds > 0 ? seconds : 1e-3; // a bias is read out at once
    const base = { optics, seed, cosmicRays: this.o.cosmicRays, psf: this.o.psf };
    let result: RenderResult;
    let truth: Omit<SimulatedFrameTruth, 'stars' | 'sources' | 'meta'>;
    let pointing: MountTruth | undefined;
    let frameAirmass: number | undefined;
    try {
      if (opts.frameType === 'light') {
        pointing = this.o.mount?.truth(mid);
        const seeing0 = this.o.seeingFwhmArcsec ?? 2.5;
        const transparency = this.o.clouds ? meanTransparency(this.o.clouds, start, seconds) : 1;
        const sunAlt = sunAltitudeDeg(site, mid);
        const dark = this.o.skyMagPerArcsec2 ?? 20.5;
        // Twilight: about a magnitude per degree of Sun altitude above −18°, to a daylight sky.
        const skyMag = sunAlt <= -18 ? dark : Math.max(DAYLIGHT_SKY_MAG, dark - ((dark - DAYLIGHT_SKY_MAG) * (sunAlt + 18)) / 18);
        const alt = pointing ? horizontal(pointing.trueRaDeg, pointing.trueDecDeg, site, mid).altDeg : 90;
        const x = airmass(alt);
        frameAirmass = Number.isFinite(x) ? x : undefined;
        const xUsed = Number.isFinite(x) ? x : 40;
        const cloudMag = transparency > 0 ? -2.5 * Math.log10(transparency) : 30;
        const extinctionMag = Math.min(30, (this.o.extinctionMagPerAirmass ?? 0.2) * xUsed + cloudMag);
        const seeing = seeing0 * Math.pow(xUsed, 0.6);
        truth = { transparency, airmass: xUsed, skyMagPerArcsec2: skyMag, seeingFwhmArcsec: seeing, extinctionMag };
        if (pointing) {
          const rotationDeg = this.o.rotationDeg ?? 0;
          const wcs = tanWcsForOptics(optics, pointing.trueRaDeg, pointing.trueDecDeg, { rotationDeg });
          const scale = opticsPixelScaleArcsec(optics);
          const halfDiagDeg = (Math.hypot(optics.widthPx, optics.heightPx) / 2) * (scale / 3600);
          const stars = await this.stars.cone(pointing.trueRaDeg, pointing.trueDecDeg, Math.min(15, halfDiagDeg * 1.05 + 0.02), mid);
          // Not tracking: the sky drifts west at the sidereal rate, along the image's RA axis.
          const trail = pointing.tracking
            ? undefined
            : { lengthPx: (15.041 * Math.cos((pointing.trueDecDeg * Math.PI) / 180) * seconds) / scale, angleDeg: -rotationDeg };
          result = renderFrame({
            ...base,
            wcs,
            stars,
            sources: this.o.sources,
            exposureS: renderS,
            seeingFwhmArcsec: seeing,
            skyMagPerArcsec2: skyMag,
            extinctionMag,
            startJd: start.getTime() / 86400e3 + JD_UNIX_EPOCH,
            ...(trail && trail.lengthPx > 0.05 ? { trail } : {}),
          });
          truth.wcs = wcs;
          truth.mount = pointing;
        } else {
          result = renderFrame({ ...base, wcs: tanWcsForOptics(optics, 0, 0), exposureS: renderS, seeingFwhmArcsec: seeing, skyMagPerArcsec2: skyMag });
        }
      } else if (opts.frameType === 'flat') {
        // An evenly lit panel filling 40 % of the pixel's range at the optical centre.
        const r = resolveOptics(optics);
        const scale = opticsPixelScaleArcsec(optics);
        const targetE = 0.4 * Math.min(r.fullWellE, (saturationAdu(r) - r.biasAdu) * r.gainEPerAdu);
        const skyMag = -2.5 * Math.log10(targetE / (r.zeroPointEPerS * scale * scale * renderS));
        truth = { transparency: 1, airmass: 1, skyMagPerArcsec2: skyMag, seeingFwhmArcsec: 0, extinctionMag: 0 };
        result = renderFrame({ ...base, wcs: tanWcsForOptics(optics, 0, 0), exposureS: renderS, seeingFwhmArcsec: 1, skyMagPerArcsec2: skyMag });
      } else {
        truth = { transparency: 1, airmass: 1, skyMagPerArcsec2: Infinity, seeingFwhmArcsec: 0, extinctionMag: 0 };
        result = renderFrame({ ...base, wcs: tanWcsForOptics(optics, 0, 0), exposureS: renderS, seeingFwhmArcsec: 1, skyMagPerArcsec2: Infinity });
      }
    } catch (e) {
      throw wrapSky(e);
    }

    const facts: FrameFacts = {
      dateObs: start.toISOString(),
      exposureS: opts.frameType === 'bias' ? 0 : seconds,
      frameType: opts.frameType,
      binning,
      widthPx: result.width,
      heightPx: result.height,
      ...(filter !== undefined ? { filter } : {}),
      ...(pointing ? { raDeg: pointing.requestedRaDeg, decDeg: pointing.requestedDecDeg } : {}),
      ...(opts.object !== undefined ? { object: opts.object } : {}),
      ccdTempC: Math.round(ccdTempC * 100) / 100,
    };
    const header = frameHeader({
      ...facts,
      telescope: this.o.telescope ?? 'OpenAstro simulated telescope',
      instrument: this.o.instrument ?? this.name,
      pixelSizeUm: optics.pixelSizeUm,
      focalLengthMm: optics.focalLengthMm,
      apertureMm: optics.apertureMm,
      gainEPerAdu: this.optics.gainEPerAdu,
      ...(this.cool.setpointC !== null ? { setTempC: this.cool.setpointC } : {}),
      site: this.o.site,
      ...(frameAirmass !== undefined ? { airmass: Math.round(frameAirmass * 1e4) / 1e4 } : {}),
      software: 'OpenAstro agent simulator',
    });
    if (this.o.wcs === 'rough' && pointing) {
      wcsToHeader(tanWcsForOptics(optics, pointing.requestedRaDeg, pointing.requestedDecDeg, { rotationDeg: this.o.rotationDeg ?? 0 }), header);
    }
    const fits = frameFits(result.frame, result.width, result.height, header);
    return { fits, facts, truth: { ...truth, stars: result.stars, sources: result.sources, meta: result.meta } };
  }
}

function wrapSky(e: unknown): unknown {
  return e instanceof SkyError ? new AgentError('BAD_ARGUMENT', e.message, { cause: e }) : e;
}
