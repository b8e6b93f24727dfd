/**
 * The one sky every simulated camera sees and the pipeline calibrates against.
 *
 * Stars: the simulator's procedural sky (src/agent/devices/simulator/stars.ts), one seed
 * for the whole network, so overlapping frames from different nodes show the same stars.
 * The pipeline's reference catalog is the same stars (an adapter to the pipeline's
 * ReferenceCatalog), standing in for Gaia or APASS: what a real network would solve and
 * calibrate against. Injected sources — galaxies, the variable star, the planet host, the
 * transient — are not in the catalog, as a real variable's mean brightness would not be
 * its instantaneous one.
 *
 * Brightness of the timed sources is a function of the exposure's UTC JD (the renderer's
 * scale); the planet's transits are computed in BJD_TDB, so the host converts each instant
 * with science/time's barycentric correction before looking up its transit.
 */
import { proceduralSky, type StarSource } from '../agent/devices/simulator/stars.js';
import type { ReferenceCatalog, ReferenceStars } from '../pipeline/catalog.js';
import { deriveSeed } from '../science/inference/random.js';
import type { InjectedSource } from '../science/sky/index.js';
import { barycentricCorrection } from '../science/time/barycentric.js';
import { angularSeparationDeg } from '../science/wcs/geometry.js';
import { hostFlux } from './planets.js';
import type { Truth } from './scenario.js';

export const STAR_MAG_LIMIT = 17.5;

/** The network's stars. */
export function demoStars(seed: number): StarSource {
  return proceduralSky({ seed: deriveSeed(seed, 21), magBright: 7, magFaint: STAR_MAG_LIMIT });
}

/** The same stars as the pipeline's reference catalog. */
export function demoCatalog(stars: StarSource): ReferenceCatalog {
  return {
    name: 'demo procedural sky',
    colourIndex: '',
    async cone(raDeg, decDeg, radiusDeg, req = {}) {
      const at = req.epochYr !== undefined ? new Date(Date.UTC(2000, 0, 1, 12) + (req.epochYr - 2000) * 365.25 * 86_400_000) : new Date(Date.UTC(2026, 0, 1));
      const s = await stars.cone(raDeg, decDeg, Math.min(15, Math.max(1e-4, radiusDeg)), at);
      const out: ReferenceStars = {
        raDeg: Float64Array.from(s, (x) => x.raDeg),
        decDeg: Float64Array.from(s, (x) => x.decDeg),
        mag: Float64Array.from(s, (x) => x.mag),
      };
      return out;
    },
  };
}

/**
 * A position near `pos` with no catalog star within `radiusArcsec`: stepped north in
 * `radiusArcsec` steps until clear, so a target is never blended with a star.
 */
export async function isolated(stars: StarSource, pos: { raDeg: number; decDeg: number }, radiusArcsec = 25): Promise<{ raDeg: number; decDeg: number }> {
  const raDeg = pos.raDeg;
  let decDeg = pos.decDeg;
  for (let i = 0; i < 50; i++) {
    const near = await stars.cone(raDeg, decDeg, (2 * radiusArcsec) / 3600, new Date(Date.UTC(2026, 0, 1)));
    if (!near.some((s) => angularSeparationDeg(s.raDeg, s.decDeg, raDeg, decDeg) * 3600 < radiusArcsec)) return { raDeg, decDeg };
    decDeg += radiusArcsec / 3600;
  }
  return { raDeg, decDeg };
}

const DAY_S = 86_400;

/** BJD_TDB of a UTC JD for a target (geocentric observer: ≤ 21 ms from any site). */
export function bjdTdbOfJdUtc(jdUtc: number, target: { raDeg: number; decDeg: number }): number {
  return barycentricCorrection({ jdUtc, site: { latDeg: 0, lonDeg: 0, heightM: 0 }, target }).bjdTdb;
}

/** UTC JD of a BJD_TDB (two fixed-point steps; the correction changes by < 1 ms per minute). */
export function jdUtcOfBjdTdb(bjdTdb: number, target: { raDeg: number; decDeg: number }): number {
  let jd = bjdTdb - 69.184 / DAY_S;
  for (let i = 0; i < 3; i++) jd += bjdTdb - bjdTdbOfJdUtc(jd, target);
  return jd;
}

export function variableMag(t: Truth['variable'], jdUtc: number): number {
  // Brightest (smallest magnitude) at the epoch.
  return t.meanMag - t.amplitudeMag * Math.cos((2 * Math.PI * (jdUtc - t.epochJd)) / t.periodDays);
}

export function transientMag(t: Truth['transient'], alertAt: Date, jdUtc: number): number {
  const appeared = t.appearedAt.getTime() / 86_400_000 + 2440587.5;
  if (jdUtc < appeared) return 30;
  const alert = alertAt.getTime() / 86_400_000 + 2440587.5;
  return t.magAtAlert + t.fadeMagPerDay * (jdUtc - alert);
}

/** The injected sources, as every camera renders them. */
export function injectedSources(truth: Truth, alertAt: Date): InjectedSource[] {
  const out: InjectedSource[] = truth.galaxyField.galaxies.map((g) => ({
    kind: 'sersic' as const,
    id: g.id,
    raDeg: g.raDeg,
    decDeg: g.decDeg,
    mag: g.mag,
    n: g.n,
    reArcsec: g.reArcsec,
    ellipticity: g.ellipticity,
    positionAngleDeg: g.positionAngleDeg,
  }));
  const v = truth.variable;
  out.push({ kind: 'point', id: 'variable', raDeg: v.raDeg, decDeg: v.decDeg, magAt: (jd) => variableMag(v, jd) });
  const h = truth.host;
  const sys = truth.planets.truth;
  out.push({
    kind: 'point',
    id: 'host',
    raDeg: h.raDeg,
    decDeg: h.decDeg,
    magAt: (jd) => h.mag - 2.5 * Math.log10(hostFlux(sys, bjdTdbOfJdUtc(jd, h))),
  });
  const tr = truth.transient;
  out.push({ kind: 'point', id: 'transient', raDeg: tr.raDeg, decDeg: tr.decDeg, magAt: (jd) => transientMag(tr, alertAt, jd) });
  return out;
}
