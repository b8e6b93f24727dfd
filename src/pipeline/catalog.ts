/**
 * Where the pipeline gets reference stars (plate solving, zero points): a
 * `ReferenceCatalog` answers cone queries. Two kinds:
 *
 * - `catalogFile(path)`: a compact catalog file (`.oacat`, science/astrometry CatalogFile;
 *   build one with `openastro catalog build`), opened on first use and read zone by zone.
 *   Proper motions are applied to the frame's epoch when the file has them.
 * - `memoryCatalog(stars)`: stars in memory, with an optional colour index per star (the
 *   colour term needs one; `.oacat` files hold a single magnitude). Tests and the
 *   simulator's own sky use it.
 *
 * Setting: the worker and the embedded service take the catalog from the handler options
 * (`defaultStageHandlers({ image: { catalog } })`; the service and `openastro worker` pass
 * the configuration's `pipeline.catalogPath`), else from the environment variable
 * OPENASTRO_CATALOG (a path to an `.oacat` file). Without either, frames are still
 * processed but end as 'failed' with the reason "no reference catalog configured".
 */
import { CatalogFile, type CatalogStars } from '../science/astrometry/catalog.js';
import { PipelineError } from './errors.js';

/** Environment variable naming the reference catalog file. */
export const CATALOG_ENV = 'OPENASTRO_CATALOG';

export interface ReferenceStars {
  raDeg: Float64Array;
  decDeg: Float64Array;
  /** Magnitude in the catalog's band. */
  mag: Float64Array;
  /** Colour index of each star (NaN where unknown); absent when the catalog has none. */
  colour?: Float64Array;
}

export interface ConeRequest {
  /** Move stars with proper motion to this epoch (Julian year). */
  epochYr?: number;
}

export interface ReferenceCatalog {
  /** For messages: the file or 'memory'. */
  readonly name: string;
  /** Colour index the colours are in (e.g. 'B-V'); '' when the catalog has no colours. */
  readonly colourIndex: string;
  /** Stars within radiusDeg of (raDeg, decDeg). */
  cone(raDeg: number, decDeg: number, radiusDeg: number, req?: ConeRequest): Promise<ReferenceStars>;
}

function fromCatalogStars(s: CatalogStars): ReferenceStars {
  return { raDeg: Float64Array.from(s.raDeg), decDeg: Float64Array.from(s.decDeg), mag: Float64Array.from(s.mag) };
}

/** A `.oacat` file, opened on first query (a missing file is UNAVAILABLE: retried, then dead-lettered). */
export function catalogFile(path: string): ReferenceCatalog {
  let opened: Promise<CatalogFile> | undefined;
  const open = (): Promise<CatalogFile> => {
    opened ??= CatalogFile.open(path).catch((err: unknown) => {
      opened = undefined;
      throw new PipelineError('UNAVAILABLE', `reference catalog ${path} cannot be opened: ${(err as Error).message}`, { cause: err });
    });
    return opened;
  };
  return {
    name: path,
    colourIndex: '',
    async cone(raDeg, decDeg, radiusDeg, req = {}) {
      const file = await open();
      return fromCatalogStars(await file.cone(raDeg, decDeg, radiusDeg, req.epochYr === undefined ? {} : { epochYr: req.epochYr }));
    },
  };
}

export interface MemoryStar {
  raDeg: number;
  decDeg: number;
  mag: number;
  colour?: number;
}

/**
 * Stars held in memory. Cone queries compare unit vectors (no trouble at RA 0/360 or the
 * poles); fine for the tens of thousands of stars of a simulated field.
 */
export function memoryCatalog(stars: readonly MemoryStar[], opts: { colourIndex?: string; name?: string } = {}): ReferenceCatalog {
  const n = stars.length;
  const ux = new Float64Array(n);
  const uy = new Float64Array(n);
  const uz = new Float64Array(n);
  const d2r = Math.PI / 180;
  stars.forEach((s, i) => {
    if (!Number.isFinite(s.raDeg) || !Number.isFinite(s.decDeg) || !Number.isFinite(s.mag)) {
      throw new PipelineError('BAD_REQUEST', `reference star ${i}: raDeg, decDeg and mag must be finite numbers`);
    }
    const a = s.raDeg * d2r;
    const d = s.decDeg * d2r;
    ux[i] = Math.cos(d) * Math.cos(a);
    uy[i] = Math.cos(d) * Math.sin(a);
    uz[i] = Math.sin(d);
  });
  const hasColour = stars.some((s) => s.colour !== undefined);
  return {
    name: opts.name ?? 'memory',
    colourIndex: hasColour ? (opts.colourIndex ?? 'colour') : '',
    cone(raDeg, decDeg, radiusDeg) {
      const a = raDeg * d2r;
      const d = decDeg * d2r;
      const cx = Math.cos(d) * Math.cos(a);
      const cy = Math.cos(d) * Math.sin(a);
      const cz = Math.sin(d);
      const minDot = Math.cos(Math.min(180, Math.max(0, radiusDeg)) * d2r);
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if (ux[i] * cx + uy[i] * cy + uz[i] * cz >= minDot) idx.push(i);
      const out: ReferenceStars = {
        raDeg: Float64Array.from(idx, (i) => stars[i].raDeg),
        decDeg: Float64Array.from(idx, (i) => stars[i].decDeg),
        mag: Float64Array.from(idx, (i) => stars[i].mag),
      };
      if (hasColour) out.colour = Float64Array.from(idx, (i) => stars[i].colour ?? NaN);
      return Promise.resolve(out);
    },
  };
}

/** The catalog a handler should use: the one given, a path, else OPENASTRO_CATALOG, else none. */
export function resolveCatalog(
  given: ReferenceCatalog | string | undefined,
  env: Record<string, string | undefined> = process.env,
): ReferenceCatalog | undefined {
  if (typeof given === 'string') return given.trim() === '' ? undefined : catalogFile(given);
  if (given) return given;
  const path = env[CATALOG_ENV];
  return path && path.trim() !== '' ? catalogFile(path.trim()) : undefined;
}

/** The brightest `max` stars (all when there are fewer), brightest first. */
export function brightest(stars: ReferenceStars, max: number): ReferenceStars {
  const order = Array.from(stars.mag, (_, i) => i).sort((a, b) => stars.mag[a] - stars.mag[b] || a - b);
  const keep = order.slice(0, Math.max(0, max));
  const out: ReferenceStars = {
    raDeg: Float64Array.from(keep, (i) => stars.raDeg[i]),
    decDeg: Float64Array.from(keep, (i) => stars.decDeg[i]),
    mag: Float64Array.from(keep, (i) => stars.mag[i]),
  };
  if (stars.colour) out.colour = Float64Array.from(keep, (i) => stars.colour![i]);
  return out;
}
