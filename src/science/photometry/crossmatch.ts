/**
 * Cross-matching of detected sources to a reference catalog: each source is paired with
 * the nearest reference star within a radius, one-to-one.
 *
 * Positions are compared as unit vectors on the sphere, hashed into a 3-D grid whose cells
 * are as wide as the match radius (as a chord), so a query looks at 27 cells and the cost
 * is O(N + M) whatever the field — no trouble at RA 0/360 or at the poles. Pixel sources go
 * through the frame's WCS first (`crossMatch`); sky positions match directly
 * (`crossMatchSky`).
 *
 * Uniqueness: all candidate pairs within the radius are sorted by separation and taken
 * greedily, so the closest pair wins a contested star and its loser may still pair with
 * its second-nearest candidate. Ties are broken by source then reference index, so the
 * result does not depend on input order beyond that.
 */
import { pixToSkyBatch, type Wcs } from '../wcs/index.js';
import { PhotometryError, requireFinite, requireLength } from './errors.js';

export interface PixelPositions {
  /** 0-based pixel coordinates (pixel (0, 0) is the centre of the first pixel). */
  xPx: ArrayLike<number>;
  yPx: ArrayLike<number>;
}

export interface SkyPositions {
  raDeg: ArrayLike<number>;
  decDeg: ArrayLike<number>;
}

export interface CrossMatchOptions {
  /** Largest separation of a pair, arcsec. */
  radiusArcsec: number;
}

export interface CrossMatch {
  /** Matched pairs, closest first: source sourceIndex[k] ↔ reference refIndex[k]. */
  sourceIndex: Int32Array;
  refIndex: Int32Array;
  separationArcsec: Float64Array;
  /** For each source, its reference star (−1 when unmatched). */
  refOfSource: Int32Array;
  /** For each reference star, its source (−1 when unmatched). */
  sourceOfRef: Int32Array;
}

const ARCSEC_PER_RAD = (180 / Math.PI) * 3600;
const DEG = Math.PI / 180;
/** Stars a match accepts on either side (guards the candidate list). */
export const MAX_MATCH_STARS = 50_000_000;

/**
 * Matches pixel sources (e.g. from detectSources) to reference stars through the frame's
 * WCS. Sources with non-finite positions never match.
 */
export function crossMatch(sources: PixelPositions, reference: SkyPositions, wcs: Wcs, options: CrossMatchOptions): CrossMatch {
  if (sources === null || typeof sources !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { xPx, yPx }', { parameter: 'sources' });
  const n = sources.xPx?.length;
  requireLength(sources.xPx, n, 'sources.xPx');
  requireLength(sources.yPx, n, 'sources.yPx');
  const x = Float64Array.from(sources.xPx);
  const y = Float64Array.from(sources.yPx);
  const sky = pixToSkyBatch(wcs, x, y);
  return crossMatchSky(sky, reference, options);
}

/** Matches two lists of sky positions (degrees); `a` plays the role of the sources. */
export function crossMatchSky(a: SkyPositions, b: SkyPositions, options: CrossMatchOptions): CrossMatch {
  if (a === null || typeof a !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { raDeg, decDeg }', { parameter: 'sources' });
  if (b === null || typeof b !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { raDeg, decDeg }', { parameter: 'reference' });
  if (options === null || typeof options !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { radiusArcsec }', { parameter: 'options' });
  const radiusArcsec = requireFinite(options.radiusArcsec, 'radiusArcsec', 0, 180 * 3600);
  if (!(radiusArcsec > 0)) throw new PhotometryError('BAD_ARGUMENT', 'must be > 0', { parameter: 'radiusArcsec' });
  const na = a.raDeg?.length;
  const nb = b.raDeg?.length;
  requireLength(a.raDeg, na, 'sources.raDeg');
  requireLength(a.decDeg, na, 'sources.decDeg');
  requireLength(b.raDeg, nb, 'reference.raDeg');
  requireLength(b.decDeg, nb, 'reference.decDeg');
  if (na > MAX_MATCH_STARS || nb > MAX_MATCH_STARS) throw new PhotometryError('BAD_ARGUMENT', `more than ${MAX_MATCH_STARS} stars`, { parameter: 'sources' });
  const ua = unitVectors(a, 'sources');
  const ub = unitVectors(b, 'reference');
  // Chord of the radius: |u − v| ≤ 2 sin(r/2) ⇔ separation ≤ r.
  const rRad = Math.min(Math.PI, radiusArcsec / ARCSEC_PER_RAD);
  const chord = 2 * Math.sin(rRad / 2);
  const cell = Math.max(chord, 1e-12);
  const grid = buildGrid(ub, nb, cell);

  const pairI: number[] = [];
  const pairJ: number[] = [];
  const pairD: number[] = [];
  for (let i = 0; i < na; i++) {
    const x = ua[3 * i];
    if (Number.isNaN(x)) continue;
    const y = ua[3 * i + 1];
    const z = ua[3 * i + 2];
    const cx = Math.floor(x / cell);
    const cy = Math.floor(y / cell);
    const cz = Math.floor(z / cell);
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (let dz = -1; dz <= 1; dz++) {
          const list = grid.get(cellKey(cx + dx, cy + dy, cz + dz));
          if (list === undefined) continue;
          for (const j of list) {
            const ex = x - ub[3 * j];
            const ey = y - ub[3 * j + 1];
            const ez = z - ub[3 * j + 2];
            const d = Math.sqrt(ex * ex + ey * ey + ez * ez);
            // Hash collisions bring in far cells too; the distance test removes them.
            if (d <= chord) {
              pairI.push(i);
              pairJ.push(j);
              pairD.push(d);
            }
          }
        }
      }
    }
  }
  const order = Array.from(pairD.keys()).sort((p, q) => pairD[p] - pairD[q] || pairI[p] - pairI[q] || pairJ[p] - pairJ[q]);
  const refOfSource = new Int32Array(na).fill(-1);
  const sourceOfRef = new Int32Array(nb).fill(-1);
  const si: number[] = [];
  const rj: number[] = [];
  const sep: number[] = [];
  for (const p of order) {
    const i = pairI[p];
    const j = pairJ[p];
    if (refOfSource[i] >= 0 || sourceOfRef[j] >= 0) continue;
    refOfSource[i] = j;
    sourceOfRef[j] = i;
    si.push(i);
    rj.push(j);
    sep.push(2 * Math.asin(Math.min(1, pairD[p] / 2)) * ARCSEC_PER_RAD);
  }
  return { sourceIndex: Int32Array.from(si), refIndex: Int32Array.from(rj), separationArcsec: Float64Array.from(sep), refOfSource, sourceOfRef };
}

/** Unit vectors (x, y, z interleaved); NaN for positions that are not finite. */
function unitVectors(p: SkyPositions, name: string): Float64Array {
  const n = p.raDeg.length;
  const out = new Float64Array(3 * n);
  for (let i = 0; i < n; i++) {
    const ra = p.raDeg[i];
    const dec = p.decDeg[i];
    if (!Number.isFinite(ra) || !Number.isFinite(dec)) {
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = NaN;
      continue;
    }
    if (dec < -90 || dec > 90) throw new PhotometryError('BAD_ARGUMENT', `declination ${dec}° is outside [−90, 90]`, { parameter: `${name}.decDeg`, index: i });
    const a = ra * DEG;
    const d = dec * DEG;
    const cd = Math.cos(d);
    out[3 * i] = cd * Math.cos(a);
    out[3 * i + 1] = cd * Math.sin(a);
    out[3 * i + 2] = Math.sin(d);
  }
  return out;
}

function cellKey(cx: number, cy: number, cz: number): number {
  // Spatial hash to 32 bits (Teschner et al. 2003 primes); collisions only add candidates.
  return (Math.imul(cx, 73856093) ^ Math.imul(cy, 19349663) ^ Math.imul(cz, 83492791)) | 0;
}

function buildGrid(u: Float64Array, n: number, cell: number): Map<number, number[]> {
  const grid = new Map<number, number[]>();
  for (let j = 0; j < n; j++) {
    const x = u[3 * j];
    if (Number.isNaN(x)) continue;
    const key = cellKey(Math.floor(x / cell), Math.floor(u[3 * j + 1] / cell), Math.floor(u[3 * j + 2] / cell));
    const list = grid.get(key);
    if (list === undefined) grid.set(key, [j]);
    else list.push(j);
  }
  return grid;
}
