/**
 * The light curve of one target: times as BJD_TDB (days), a value that is either a
 * magnitude or a flux, its 1σ error, and per point the band and the site (instrument or
 * observer) it came from. Importers produce it, merging and binning transform it, the
 * exporters write it. Warnings travel with it (e.g. UTC times past the leap-second
 * table's expiry) so the CLI and API can show them next to the result.
 */
import { LightCurveError } from './errors.js';

export type ValueKind = 'mag' | 'flux';

/** A condition the result depends on but that did not stop it. */
export interface LightCurveWarning {
  code: string;
  message: string;
}

export interface LightCurve {
  /** BJD_TDB, days. */
  t: Float64Array;
  y: Float64Array;
  /** 1σ errors of y, > 0 (NaN where the source gave none). */
  dy: Float64Array;
  /** Band (filter) of each point; absent when unknown. */
  band?: string[];
  /** Site / instrument / observer of each point; absent when unknown. */
  site?: string[];
  kind: ValueKind;
  /** Target name, when the source says. */
  target?: string;
  warnings: LightCurveWarning[];
}

/** Most points a light curve may hold (guards allocations). */
export const MAX_LIGHTCURVE_POINTS = 1 << 25;

/** Checks lengths and values: finite t and y, dy > 0 or NaN. Returns the same object. */
export function checkLightCurve(lc: LightCurve, source?: string): LightCurve {
  if (lc === null || typeof lc !== 'object') throw new LightCurveError('BAD_ARGUMENT', 'must be a light curve { t, y, dy, kind }', { source });
  const n = lc.t?.length;
  if (!(lc.t instanceof Float64Array) || !(lc.y instanceof Float64Array) || !(lc.dy instanceof Float64Array)) {
    throw new LightCurveError('BAD_ARGUMENT', 't, y and dy must be Float64Arrays', { source });
  }
  if (n > MAX_LIGHTCURVE_POINTS) throw new LightCurveError('TOO_LARGE', `${n} points exceed the limit of ${MAX_LIGHTCURVE_POINTS}`, { source });
  if (lc.y.length !== n || lc.dy.length !== n) throw new LightCurveError('SIZE_MISMATCH', `t has ${n} points, y ${lc.y.length}, dy ${lc.dy.length}`, { source });
  if (lc.band !== undefined && lc.band.length !== n) throw new LightCurveError('SIZE_MISMATCH', `band has ${lc.band.length} entries for ${n} points`, { source });
  if (lc.site !== undefined && lc.site.length !== n) throw new LightCurveError('SIZE_MISMATCH', `site has ${lc.site.length} entries for ${n} points`, { source });
  if (lc.kind !== 'mag' && lc.kind !== 'flux') throw new LightCurveError('BAD_ARGUMENT', `kind must be 'mag' or 'flux', got ${String(lc.kind)}`, { source });
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(lc.t[i])) throw new LightCurveError('BAD_ARGUMENT', `time ${lc.t[i]} is not finite`, { source, index: i });
    if (!Number.isFinite(lc.y[i])) throw new LightCurveError('BAD_ARGUMENT', `value ${lc.y[i]} is not finite`, { source, index: i });
    const e = lc.dy[i];
    if (!Number.isNaN(e) && !(e > 0 && Number.isFinite(e))) throw new LightCurveError('BAD_ARGUMENT', `error ${e} must be > 0 (or NaN when unknown)`, { source, index: i });
  }
  return lc;
}

/** The points at `index`, in that order (band, site and warnings carried along). */
export function selectPoints(lc: LightCurve, index: ArrayLike<number>): LightCurve {
  const n = index.length;
  const out: LightCurve = {
    t: new Float64Array(n),
    y: new Float64Array(n),
    dy: new Float64Array(n),
    kind: lc.kind,
    target: lc.target,
    warnings: [...lc.warnings],
  };
  if (lc.band) out.band = new Array<string>(n);
  if (lc.site) out.site = new Array<string>(n);
  for (let k = 0; k < n; k++) {
    const i = index[k];
    out.t[k] = lc.t[i];
    out.y[k] = lc.y[i];
    out.dy[k] = lc.dy[i];
    if (lc.band) out.band![k] = lc.band[i];
    if (lc.site) out.site![k] = lc.site[i];
  }
  return out;
}

/** A copy sorted by time (stable: equal times keep their order). */
export function sortByTime(lc: LightCurve): LightCurve {
  const idx = Array.from({ length: lc.t.length }, (_, i) => i).sort((a, b) => lc.t[a] - lc.t[b] || a - b);
  return selectPoints(lc, idx);
}

/** The points of one band (case-sensitive); points without a band count as `unknownBand`. */
export function selectBand(lc: LightCurve, band: string, unknownBand = ''): LightCurve {
  const idx: number[] = [];
  for (let i = 0; i < lc.t.length; i++) if ((lc.band ? lc.band[i] : unknownBand) === band) idx.push(i);
  return selectPoints(lc, idx);
}

/** Distinct bands in order of first appearance ([] when the light curve has no band column). */
export function bandsOf(lc: LightCurve): string[] {
  return lc.band ? [...new Set(lc.band)] : [];
}

/** Distinct sites in order of first appearance ([] when the light curve has no site column). */
export function sitesOf(lc: LightCurve): string[] {
  return lc.site ? [...new Set(lc.site)] : [];
}

/**
 * Concatenates light curves of the same kind. A part without a site column gets
 * `defaultSites[k]` for all its points (e.g. its file name), so sites stay distinct.
 */
export function concatLightCurves(parts: LightCurve[], defaultSites?: string[]): LightCurve {
  if (!Array.isArray(parts) || parts.length === 0) throw new LightCurveError('BAD_ARGUMENT', 'no light curves to concatenate', { parameter: 'parts' });
  const kind = parts[0].kind;
  let n = 0;
  parts.forEach((p, k) => {
    checkLightCurve(p);
    if (p.kind !== kind) throw new LightCurveError('BAD_ARGUMENT', `light curve ${k + 1} holds ${p.kind} but the first holds ${kind}; convert one of them`, { parameter: 'parts' });
    n += p.t.length;
  });
  if (n > MAX_LIGHTCURVE_POINTS) throw new LightCurveError('TOO_LARGE', `${n} points exceed the limit of ${MAX_LIGHTCURVE_POINTS}`);
  const anyBand = parts.some((p) => p.band);
  const anySite = parts.some((p) => p.site) || defaultSites !== undefined;
  const out: LightCurve = { t: new Float64Array(n), y: new Float64Array(n), dy: new Float64Array(n), kind, warnings: [] };
  if (anyBand) out.band = new Array<string>(n);
  if (anySite) out.site = new Array<string>(n);
  const targets = new Set(parts.map((p) => p.target).filter((x): x is string => typeof x === 'string' && x !== ''));
  if (targets.size === 1) out.target = [...targets][0];
  const seen = new Set<string>();
  let o = 0;
  parts.forEach((p, k) => {
    out.t.set(p.t, o);
    out.y.set(p.y, o);
    out.dy.set(p.dy, o);
    for (let i = 0; i < p.t.length; i++) {
      if (anyBand) out.band![o + i] = p.band ? p.band[i] : '';
      if (anySite) out.site![o + i] = p.site ? p.site[i] : (defaultSites?.[k] ?? `part${k + 1}`);
    }
    for (const w of p.warnings) {
      const key = `${w.code}\u0000${w.message}`;
      if (!seen.has(key)) {
        seen.add(key);
        out.warnings.push(w);
      }
    }
    o += p.t.length;
  });
  return out;
}
