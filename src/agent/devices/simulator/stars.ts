/**
 * Where the simulated camera's stars come from. A StarSource answers cone queries for a
 * given instant (so proper motion can be applied). Two kinds:
 *  - proceduralSky: a fixed synthetic sky. The sphere is cut into cells (1° declination
 *    bands, each split into ~1°-wide RA cells); a cell's stars are drawn from a random
 *    stream keyed by the cell, with the log N ∝ 0.3 m counts of science/sky. The same sky
 *    position therefore always holds the same stars, whatever the pointing, which is what
 *    lets overlapping frames be solved, matched and stacked.
 *  - catalogSky: a real catalog (science/astrometry's .oacat) with proper motion.
 */
import type { CatalogFile, CatalogStars, StarCatalog } from '../../../science/astrometry/index.js';
import { coneQuery } from '../../../science/astrometry/index.js';
import { deriveSeed, Rng } from '../../../science/inference/random.js';
import { cumulativeStarDensity, poissonDeviate, type CatalogStar, type StarCountModel } from '../../../science/sky/index.js';
import { angularSeparationDeg } from '../../../science/wcs/index.js';
import { AgentError } from '../../errors.js';

export interface StarSource {
  cone(raDeg: number, decDeg: number, radiusDeg: number, at: Date): Promise<CatalogStar[]>;
}

export interface ProceduralSkyOptions extends StarCountModel {
  seed: number;
  /** Bright and faint magnitude limits; defaults 6 and 16. */
  magBright?: number;
  magFaint?: number;
}

const D2R = Math.PI / 180;
const BAND_DEG = 1;
const BANDS = 180 / BAND_DEG;
/** Largest cone a query may ask for (a very wide field, not the whole sky). */
const MAX_RADIUS_DEG = 15;

function bandCells(band: number): number {
  const decMid = -90 + (band + 0.5) * BAND_DEG;
  return Math.max(1, Math.round((360 * Math.cos(decMid * D2R)) / BAND_DEG));
}

export function proceduralSky(opts: ProceduralSkyOptions): StarSource {
  if (!Number.isSafeInteger(opts.seed)) throw new AgentError('BAD_ARGUMENT', `proceduralSky: seed must be a safe integer, got ${opts.seed}`);
  const magBright = opts.magBright ?? 6;
  const magFaint = opts.magFaint ?? 16;
  if (!(magFaint > magBright) || !(magFaint <= 25)) throw new AgentError('BAD_ARGUMENT', `proceduralSky: need magBright < magFaint ≤ 25, got ${magBright}, ${magFaint}`);
  const model: StarCountModel = { slope: opts.slope, densityAtRefMag: opts.densityAtRefMag, refMag: opts.refMag };
  const nBright = cumulativeStarDensity(magBright, model);
  const nFaint = cumulativeStarDensity(magFaint, model);
  const slope = opts.slope ?? 0.3;
  const cache = new Map<number, CatalogStar[]>();

  const cellStars = (band: number, k: number, cells: number): CatalogStar[] => {
    const key = band * 1000 + k;
    const hit = cache.get(key);
    if (hit) return hit;
    const dec0 = -90 + band * BAND_DEG;
    const s0 = Math.sin(dec0 * D2R);
    const s1 = Math.sin((dec0 + BAND_DEG) * D2R);
    const raWidth = 360 / cells;
    const areaDeg2 = (s1 - s0) * raWidth * D2R * (180 / Math.PI) ** 2;
    const rng = new Rng(deriveSeed(opts.seed, key));
    const n = poissonDeviate(rng, areaDeg2 * (nFaint - nBright));
    const out: CatalogStar[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const raDeg = (k + rng.uniform()) * raWidth;
      const decDeg = Math.asin(s0 + rng.uniform() * (s1 - s0)) / D2R;
      // Inverse of the cumulative count between the limits.
      const target = nBright + rng.uniform() * (nFaint - nBright);
      const mag = magBright + Math.log10(target / nBright) / slope;
      out[i] = { raDeg, decDeg, mag, id: `S${band}.${k}.${i}` };
    }
    if (cache.size > 20000) cache.clear();
    cache.set(key, out);
    return out;
  };

  return {
    async cone(raDeg, decDeg, radiusDeg) {
      checkCone(raDeg, decDeg, radiusDeg);
      const ra = ((raDeg % 360) + 360) % 360;
      const out: CatalogStar[] = [];
      const b0 = Math.max(0, Math.floor((decDeg - radiusDeg + 90) / BAND_DEG));
      const b1 = Math.min(BANDS - 1, Math.floor((decDeg + radiusDeg + 90) / BAND_DEG));
      for (let b = b0; b <= b1; b++) {
        const cells = bandCells(b);
        const width = 360 / cells;
        // The widest RA extent of a small circle of radius r centred at δc is asin(sin r / cos δc).
        const half = Math.abs(decDeg) + radiusDeg >= 89.999 ? 180 : Math.asin(Math.min(1, Math.sin(radiusDeg * D2R) / Math.cos(decDeg * D2R))) / D2R;
        let kFirst = Math.floor((ra - half) / width);
        let kLast = Math.floor((ra + half) / width);
        if (kLast - kFirst + 1 >= cells) {
          kFirst = 0;
          kLast = cells - 1;
        }
        for (let kk = kFirst; kk <= kLast; kk++) {
          const k = ((kk % cells) + cells) % cells;
          for (const s of cellStars(b, k, cells)) {
            if (angularSeparationDeg(s.raDeg, s.decDeg, ra, decDeg) <= radiusDeg) out.push(s);
          }
        }
      }
      return out;
    },
  };
}

function checkCone(raDeg: number, decDeg: number, radiusDeg: number): void {
  if (!Number.isFinite(raDeg) || !(Math.abs(decDeg) <= 90)) throw new AgentError('BAD_ARGUMENT', `cone centre (${raDeg}, ${decDeg}) is not a sky position`);
  if (!(radiusDeg > 0 && radiusDeg <= MAX_RADIUS_DEG)) throw new AgentError('BAD_ARGUMENT', `cone radius must be in (0, ${MAX_RADIUS_DEG}]°, got ${radiusDeg}`);
}

function toStars(c: CatalogStars): CatalogStar[] {
  const out: CatalogStar[] = new Array(c.raDeg.length);
  for (let i = 0; i < out.length; i++) out[i] = { raDeg: c.raDeg[i], decDeg: c.decDeg[i], mag: c.mag[i] };
  return out;
}

/** Julian year of an instant (epoch for proper motion). */
export function julianYear(at: Date): number {
  return 2000 + (at.getTime() - Date.UTC(2000, 0, 1, 12)) / (365.25 * 86400e3);
}

/** Stars from a catalog in memory or on disk, moved to the epoch of the exposure. */
export function catalogSky(catalog: StarCatalog | CatalogFile): StarSource {
  return {
    async cone(raDeg, decDeg, radiusDeg, at) {
      checkCone(raDeg, decDeg, radiusDeg);
      const epochYr = julianYear(at);
      const stars = 'cone' in catalog ? await catalog.cone(raDeg, decDeg, radiusDeg, { epochYr }) : coneQuery(catalog, raDeg, decDeg, radiusDeg, { epochYr });
      return toStars(stars);
    },
  };
}

/** A fixed list (tests, a hand-made field). */
export function listSky(stars: readonly CatalogStar[]): StarSource {
  return {
    async cone(raDeg, decDeg, radiusDeg) {
      checkCone(raDeg, decDeg, radiusDeg);
      return stars.filter((s) => angularSeparationDeg(s.raDeg, s.decDeg, raDeg, decDeg) <= radiusDeg);
    },
  };
}
