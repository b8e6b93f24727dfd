/**
 * The demo's transiting planet and its unseen companion: a two-planet system integrated by
 * science/dynamics (the n-body forward model the TTV inference also uses), its true
 * mid-transit times, an "archival" set of timings with noise, as observers would have
 * gathered them over the previous seasons, and the transit light curve the simulated
 * cameras see (transit times shifted by the companion's pull).
 *
 * The companion sits just outside the 2:1 resonance, so the transiting planet's timings
 * swing by minutes over a super-period of months (Lithwick, Xie & Wu 2012, ApJ 761, 122):
 * the signal the TTV inference must turn back into the companion's mass and period.
 * Times are BJD_TDB days throughout.
 */
import { simulateTransits, type PlanetarySystem } from '../science/dynamics/index.js';
import { Rng } from '../science/inference/random.js';
import { EARTH_MASS_MSUN } from '../science/ttv/index.js';
import { transitLightCurve } from '../science/transit/index.js';
import { fitLinearEphemeris } from '../science/transit/ephemeris.js';
import { DemoError } from './errors.js';

export interface PlanetTruth {
  name: string;
  massEarth: number;
  periodDays: number;
  /** A time of conjunction (BJD_TDB) of the osculating orbit at the system epoch. */
  conjunctionBjd: number;
}

export interface TransitShape {
  /** Rp/R*. */
  rp: number;
  /** a/R*. */
  aOverRstar: number;
  incDeg: number;
  /** Quadratic limb darkening. */
  u: [number, number];
}

export interface PlanetSystemTruth {
  stellarMassMsun: number;
  /** Epoch of the osculating elements (BJD_TDB). */
  epochBjd: number;
  transiting: PlanetTruth;
  companion: PlanetTruth;
  shape: TransitShape;
  /** True mid-transit times of the transiting planet, BJD_TDB, by epoch from 0. */
  transitTimes: Float64Array;
}

export interface ArchivalTime {
  epoch: number;
  bjdTdb: number;
  sigmaDays: number;
}

export interface PlanetSystemOptions {
  seed: number;
  /** The demo night's transit should fall near here (BJD_TDB), as the archive predicts it. */
  targetBjd: number;
  /** Archive: first observed season starts this many days before targetBjd. */
  archiveSpanDays?: number;
  /** How many archival timings (default 44). */
  archivalCount?: number;
  /** Their 1σ, days (default: 0.5–1.2 min, per timing). */
  sigmaRangeDays?: [number, number];
  /** Add the Gaussian timing noise the σ describe (default true; false for model checks). */
  noise?: boolean;
}

export interface PlanetSystem {
  truth: PlanetSystemTruth;
  archival: ArchivalTime[];
  /** Linear ephemeris fitted to the archival times (what an observer would predict with). */
  ephemeris: { t0Bjd: number; periodDays: number; referenceEpoch: number };
  /** The epoch and true time of the transit nearest targetBjd, and its ephemeris prediction. */
  night: { epoch: number; trueBjd: number; predictedBjd: number };
}

const DAY_MIN = 1440;

/**
 * A system drawn from the seed: a hot Saturn on P ≈ 3.4–3.6 d around a K dwarf, and a
 * Neptune-to-Saturn-mass companion 1–3 % outside the 2:1 period ratio, both circular and
 * coplanar (edge-on), all times shifted so the archive's prediction lands on targetBjd.
 */
export function makePlanetSystem(o: PlanetSystemOptions): PlanetSystem {
  if (!Number.isSafeInteger(o.seed)) throw new DemoError('BAD_OPTION', `planet system seed must be an integer, got ${o.seed}`);
  if (!Number.isFinite(o.targetBjd)) throw new DemoError('BAD_OPTION', `targetBjd must be finite, got ${o.targetBjd}`);
  const rng = new Rng(o.seed);
  const stellarMassMsun = 0.82;
  const pb = 3.4 + 0.2 * rng.uniform();
  const pc = 2 * pb * (1.012 + 0.018 * rng.uniform());
  const massB = 90 + 40 * rng.uniform();
  const massC = 25 + 20 * rng.uniform();
  const span = o.archiveSpanDays ?? 300;
  const epoch0 = o.targetBjd - span - 2 * pb;
  const system: PlanetarySystem = {
    coordinates: 'jacobi-elements',
    G: 0.01720209895 ** 2,
    stellarMassMsun,
    epochDays: epoch0,
    planets: [
      { massMsun: massB * EARTH_MASS_MSUN, periodDays: pb, eccentricity: 0, inclinationDeg: 90, longitudeOfNodeDeg: 0, argumentOfPeriapsisDeg: 90, conjunctionDays: epoch0 + 0.3 * pb },
      { massMsun: massC * EARTH_MASS_MSUN, periodDays: pc, eccentricity: 0, inclinationDeg: 90, longitudeOfNodeDeg: 0, argumentOfPeriapsisDeg: 90, conjunctionDays: epoch0 + rng.uniform() * pc },
    ],
  };
  const endDays = o.targetBjd + 10 * pb;
  const sim = simulateTransits(system, { stepDays: pb / 40, endDays });
  const raw: number[] = [];
  for (let i = 0; i < sim.count; i++) if (sim.planet[i] === 0) raw.push(sim.timeDays[i]);
  if (raw.length < 20) throw new DemoError('BAD_OPTION', `the simulated planet transited only ${raw.length} times`);

  // Archive: a subset of the transits before the night, each timed to 0.6–1.4 min.
  const [sLo, sHi] = o.sigmaRangeDays ?? [0.5 / DAY_MIN, 1.2 / DAY_MIN];
  const before = raw.map((t, e) => ({ e, t })).filter((x) => x.t < o.targetBjd - 2 * pb);
  const count = Math.min(o.archivalCount ?? 44, before.length);
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(before[Math.floor(rng.uniform() * before.length)].e);
  const archivalRaw = [...chosen]
    .sort((a, b) => a - b)
    .map((e) => {
      const sigmaDays = sLo + (sHi - sLo) * rng.uniform();
      const draw = sigmaDays * rng.normal();
      return { epoch: e, trueBjd: raw[e], sigmaDays, noise: o.noise === false ? 0 : draw };
    });
  const eph = fitLinearEphemeris(
    archivalRaw.map((a) => a.epoch),
    archivalRaw.map((a) => a.trueBjd + a.noise),
    archivalRaw.map((a) => a.sigmaDays),
  );
  // Shift everything so the archive's prediction for the nearest epoch is targetBjd.
  const nightEpoch = Math.round((o.targetBjd - eph.t0) / eph.periodDays + eph.referenceEpoch);
  const predicted = eph.t0 + (nightEpoch - eph.referenceEpoch) * eph.periodDays;
  const shift = o.targetBjd - predicted;
  const transitTimes = Float64Array.from(raw, (t) => t + shift);
  const archival = archivalRaw.map((a) => ({ epoch: a.epoch, bjdTdb: a.trueBjd + a.noise + shift, sigmaDays: a.sigmaDays }));
  const aStar = aOverRstar(stellarMassMsun, 0.78, pb);
  return {
    truth: {
      stellarMassMsun,
      epochBjd: epoch0 + shift,
      transiting: { name: 'b', massEarth: massB, periodDays: pb, conjunctionBjd: epoch0 + 0.3 * pb + shift },
      companion: { name: 'c', massEarth: massC, periodDays: pc, conjunctionBjd: (system.planets[1] as { conjunctionDays: number }).conjunctionDays + shift },
      // Impact parameter 0.5: ingress and egress of ~20 min, long enough for 4-min frames to sample.
      shape: { rp: 0.15, aOverRstar: aStar, incDeg: (Math.acos(0.5 / aStar) * 180) / Math.PI, u: [0.45, 0.2] },
      transitTimes,
    },
    archival,
    ephemeris: { t0Bjd: eph.t0 + shift, periodDays: eph.periodDays, referenceEpoch: eph.referenceEpoch },
    night: { epoch: nightEpoch, trueBjd: transitTimes[nightEpoch], predictedBjd: o.targetBjd },
  };
}

/** a/R* from Kepler's third law (M in M☉, R in R☉, P in days). */
function aOverRstar(massMsun: number, radiusRsun: number, periodDays: number): number {
  const aAu = Math.cbrt(massMsun * (periodDays / 365.25) ** 2);
  return (aAu * 215.032) / radiusRsun;
}

/** Relative flux of the host at bjdTdb: the transit nearest in time, at its true (n-body) time. */
export function hostFlux(truth: PlanetSystemTruth, bjdTdb: number): number {
  const times = truth.transitTimes;
  // Transits are in time order, one per period: bisect for the nearest.
  let lo = 0;
  let hi = times.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (times[mid] <= bjdTdb) lo = mid;
    else hi = mid;
  }
  const t0 = Math.abs(times[lo] - bjdTdb) <= Math.abs(times[hi] - bjdTdb) ? times[lo] : times[hi];
  const s = truth.shape;
  return transitLightCurve(Float64Array.of(bjdTdb), { t0, periodDays: truth.transiting.periodDays, a: s.aOverRstar, incDeg: s.incDeg, rp: s.rp, u: s.u })[0];
}
