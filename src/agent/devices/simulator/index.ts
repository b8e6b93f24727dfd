/**
 * The simulated telescope: mount, camera, filter wheel and weather station sharing one
 * site, clock, sky and cloud model. The whole node can run on an accelerated clock (a
 * night in minutes, with realSleep(speed)) or a manual one (tests, with manualSleep).
 */
import type { Clock } from '../../../network/clock.js';
import { deriveSeed } from '../../../science/inference/random.js';
import type { Optics } from '../../../science/sky/index.js';
import type { Sleep } from '../time.js';
import type { Observatory, Site } from '../types.js';
import { SimulatedCamera, type SimulatedCameraOptions } from './camera.js';
import type { CloudModel } from './clouds.js';
import { SimulatedFilterWheel } from './filter-wheel.js';
import { SimulatedMount, type SimulatedMountOptions } from './mount.js';
import { SimulatedWeather } from './weather.js';

export { SimulatedCamera, type SimulatedCameraOptions, type SimulatedFrame, type SimulatedFrameTruth } from './camera.js';
export { checkCloudModel, meanTransparency, transparencyAt, type CloudModel } from './clouds.js';
export { SimulatedFilterWheel, type SimulatedFilterWheelOptions } from './filter-wheel.js';
export { SimulatedMount, type MountTruth, type SimulatedMountOptions } from './mount.js';
export { catalogSky, julianYear, listSky, proceduralSky, type ProceduralSkyOptions, type StarSource } from './stars.js';
export { SimulatedWeather, type SimulatedWeatherOptions } from './weather.js';

export interface SimulatedObservatoryOptions {
  site: Site;
  optics: Optics;
  clock: Clock;
  sleep?: Sleep;
  seed: number;
  clouds?: CloudModel;
  filters?: string[];
  mount?: Partial<Omit<SimulatedMountOptions, 'site' | 'clock' | 'sleep' | 'seed'>>;
  camera?: Partial<Omit<SimulatedCameraOptions, 'site' | 'optics' | 'clock' | 'sleep' | 'seed' | 'mount' | 'filterWheel' | 'clouds'>>;
  /** Unsafe below this transparency; default 0.5. */
  minSafeTransparency?: number;
}

export interface SimulatedObservatory extends Observatory {
  mount: SimulatedMount;
  camera: SimulatedCamera;
  filterWheel: SimulatedFilterWheel;
  weather: SimulatedWeather;
}

export function createSimulatedObservatory(o: SimulatedObservatoryOptions): SimulatedObservatory {
  const clouds = o.clouds ?? { kind: 'clear' };
  const mount = new SimulatedMount({ ...o.mount, site: o.site, clock: o.clock, sleep: o.sleep, seed: deriveSeed(o.seed, 1) });
  const filterWheel = new SimulatedFilterWheel({ filters: o.filters, sleep: o.sleep });
  const weather = new SimulatedWeather({ clock: o.clock, clouds, minSafeTransparency: o.minSafeTransparency });
  const camera = new SimulatedCamera({
    ...o.camera,
    site: o.site,
    optics: o.optics,
    clock: o.clock,
    sleep: o.sleep,
    seed: deriveSeed(o.seed, 2),
    mount,
    filterWheel,
    clouds,
  });
  return { mount, camera, filterWheel, weather };
}
