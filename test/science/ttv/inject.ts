/**
 * Injected transit times for the TTV tests: a system integrated by our own forward model
 * (science/dynamics, the model the fit uses), every transit of the chosen planets between
 * the epoch and the end kept, plus Gaussian noise of known σ from a seeded generator.
 */
import { G_GAUSS, simulateTransits, type PlanetarySystem } from '../../../src/science/dynamics/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { EARTH_MASS_MSUN, type TransitTimeData } from '../../../src/science/ttv/index.js';

export interface TruthPlanet {
  name: string;
  massEarth: number;
  periodDays: number;
  conjunctionDays: number;
  ecc?: number;
  omegaDeg?: number;
  incDeg?: number;
}

export function truthSystem(stellarMassMsun: number, epochDays: number, planets: TruthPlanet[]): PlanetarySystem {
  return {
    coordinates: 'jacobi-elements',
    G: G_GAUSS,
    stellarMassMsun,
    epochDays,
    planets: planets.map((p) => ({
      massMsun: p.massEarth * EARTH_MASS_MSUN,
      periodDays: p.periodDays,
      eccentricity: p.ecc ?? 0,
      inclinationDeg: p.incDeg ?? 90,
      longitudeOfNodeDeg: 0,
      argumentOfPeriapsisDeg: p.ecc ? (p.omegaDeg ?? 90) : 90,
      conjunctionDays: p.conjunctionDays,
    })),
  };
}

/** Noisy transit times of the planets named in `observed` (σ in days), epochs from 0. */
export function injectTimes(
  stellarMassMsun: number,
  epochDays: number,
  planets: TruthPlanet[],
  options: { endDays: number; sigmaDays: number; seed: number; observed: string[]; stepDays: number },
): TransitTimeData {
  const sys = truthSystem(stellarMassMsun, epochDays, planets);
  const t = simulateTransits(sys, { stepDays: options.stepDays, endDays: options.endDays });
  const rng = new Rng(options.seed);
  const out: TransitTimeData = { planet: [], epoch: new Int32Array(t.count), timeDays: new Float64Array(t.count), sigmaDays: new Float64Array(t.count) };
  let n = 0;
  for (let i = 0; i < t.count; i++) {
    const name = planets[t.planet[i]].name;
    if (!options.observed.includes(name)) continue;
    out.planet.push(name);
    out.epoch[n] = t.epoch[i];
    out.timeDays[n] = t.timeDays[i] + options.sigmaDays * rng.normal();
    out.sigmaDays[n] = options.sigmaDays;
    n++;
  }
  return { planet: out.planet, epoch: out.epoch.slice(0, n), timeDays: out.timeDays.slice(0, n), sigmaDays: out.sigmaDays.slice(0, n) };
}
