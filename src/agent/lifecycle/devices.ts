/**
 * The telescope's devices as the configuration describes them — the simulator, or INDI
 * drivers behind an indiserver — and the owner's calibration masters.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../network/clock.js';
import { readMasterFits, type CalibrationMasters } from '../../science/image/index.js';
import type { AgentConfig } from '../config.js';
import { createSimulatedObservatory } from '../devices/simulator/index.js';
import type { Sleep } from '../devices/time.js';
import type { Observatory, Site } from '../devices/types.js';
import { AgentError, describeError } from '../errors.js';
import { IndiCamera, IndiClient, IndiFilterWheel, IndiMount } from '../indi/index.js';

export interface OpenedDevices {
  observatory: Observatory;
  /** Releases what connecting the devices needs beyond the devices (the INDI link). */
  close(): Promise<void>;
}

export function siteOf(config: AgentConfig): Site | undefined {
  return config.site ? { latDeg: config.site.latDeg, lonDeg: config.site.lonDeg, heightM: config.site.elevationM } : undefined;
}

export async function openDevices(config: AgentConfig, deps: { clock: Clock; sleep: Sleep; signal?: AbortSignal }): Promise<OpenedDevices> {
  const d = config.devices;
  const site = siteOf(config);
  if (d.kind === 'simulator') {
    const o = config.optics!;
    const observatory = createSimulatedObservatory({
      site: site!,
      optics: {
        apertureMm: o.apertureMm,
        focalLengthMm: o.focalLengthMm,
        pixelSizeUm: o.pixelSizeUm,
        widthPx: o.sensorWidthPx,
        heightPx: o.sensorHeightPx,
        ...(o.gainEPerAdu !== undefined ? { gainEPerAdu: o.gainEPerAdu } : {}),
        ...(o.readNoiseE !== undefined ? { readNoiseE: o.readNoiseE } : {}),
        biasAdu: d.biasAdu ?? 500,
      },
      clock: deps.clock,
      sleep: deps.sleep,
      seed: d.seed,
      clouds: d.clouds,
      ...(config.filters ? { filters: config.filters } : {}),
      mount: {
        ...(config.site?.minAltitudeDeg !== undefined ? { minAltitudeDeg: config.site.minAltitudeDeg } : {}),
        ...(d.pointingErrorArcsec !== undefined ? { pointingErrorArcsec: d.pointingErrorArcsec } : {}),
        ...(d.slewRateDegPerS !== undefined ? { slewRateDegPerS: d.slewRateDegPerS } : {}),
        ...(d.settleS !== undefined ? { settleS: d.settleS } : {}),
      },
      camera: {
        wcs: d.wcs,
        ...(d.readoutS !== undefined ? { readoutS: d.readoutS } : {}),
        ...(d.seeingFwhmArcsec !== undefined ? { seeingFwhmArcsec: d.seeingFwhmArcsec } : {}),
      },
      ...(d.minSafeTransparency !== undefined ? { minSafeTransparency: d.minSafeTransparency } : {}),
    });
    return { observatory, close: async () => undefined };
  }
  const client = await IndiClient.connect({ host: d.host, port: d.port, signal: deps.signal });
  try {
    const mount = new IndiMount({
      client,
      device: d.mount,
      clock: deps.clock,
      ...(site ? { site } : {}),
      ...(config.site?.minAltitudeDeg !== undefined ? { minAltitudeDeg: config.site.minAltitudeDeg } : {}),
      slewTimeoutMs: d.slewTimeoutS * 1000,
    });
    const filterWheel = d.filterWheel === '' ? undefined : new IndiFilterWheel({ client, device: d.filterWheel });
    const camera = new IndiCamera({ client, device: d.camera, clock: deps.clock, mount, ...(filterWheel ? { filterWheel } : {}), ...(site ? { site } : {}) });
    return { observatory: { mount, camera, ...(filterWheel ? { filterWheel } : {}) }, close: () => client.close() };
  } catch (e) {
    await client.close().catch(() => undefined);
    throw e;
  }
}

/**
 * The owner's masters from `dir`: bias.fits, dark.fits, and flat-<filter>.fits (or one
 * flat.fits for every filter). Flats depend on the filter, so they are looked up per
 * observation with `mastersFor`.
 */
export interface MasterSet {
  bias?: CalibrationMasters['bias'];
  dark?: CalibrationMasters['dark'];
  flats: Map<string, NonNullable<CalibrationMasters['flat']>>;
  flat?: CalibrationMasters['flat'];
}

export async function loadMasters(dir: string | undefined): Promise<MasterSet> {
  const set: MasterSet = { flats: new Map() };
  if (dir === undefined) return set;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return set;
    throw new AgentError('IO', `cannot read the masters folder ${dir}: ${describeError(e)}`, { cause: e });
  }
  const read = async (name: string, kind: 'bias' | 'dark' | 'flat', opts: { assumeBiasSubtracted?: boolean } = {}) => {
    try {
      return await readMasterFits(path.join(dir, name), kind, opts);
    } catch (e) {
      throw new AgentError('BAD_FRAME', `master ${kind} ${path.join(dir, name)} is unusable: ${describeError(e)}`, { cause: e });
    }
  };
  if (names.includes('bias.fits')) set.bias = await read('bias.fits', 'bias');
  if (names.includes('dark.fits')) set.dark = await read('dark.fits', 'dark', { assumeBiasSubtracted: set.bias !== undefined });
  if (names.includes('flat.fits')) set.flat = await read('flat.fits', 'flat');
  for (const n of names.sort()) {
    const m = /^flat-(.+)\.fits$/.exec(n);
    if (m) set.flats.set(m[1], await read(n, 'flat'));
  }
  return set;
}

export function mastersFor(set: MasterSet, filter: string): CalibrationMasters {
  const flat = set.flats.get(filter) ?? set.flat;
  return { ...(set.bias ? { bias: set.bias } : {}), ...(set.dark ? { dark: set.dark } : {}), ...(flat ? { flat } : {}) };
}
