/**
 * Binning a light curve in time: weighted means in bins of fixed width, separately per
 * band (and per site when asked). Bin k of width w holds origin + k·w ≤ t < origin + (k+1)·w.
 *
 * Each bin's value is Σ w y / Σ w with w = 1/σ² (plain means when any error is unknown),
 * its time the same weighted mean of the times, and its error either the propagated
 * 1/√Σw, the scatter of the points about the mean over √n, or the larger of the two
 * (the safe choice when the errors may be underestimated).
 */
import { LightCurveError, requireFinite } from './errors.js';
import { checkLightCurve, type LightCurve } from './lightcurve.js';

export interface BinOptions {
  binDays: number;
  /** Start of bin 0; default the first time. */
  origin?: number;
  /** Bins with fewer points are dropped; default 1. */
  minPoints?: number;
  /** Error of a bin; default 'propagated'. */
  errors?: 'propagated' | 'scatter' | 'larger';
  /** Keep sites apart (bins per band and site); default false. */
  bySite?: boolean;
}

export interface BinnedLightCurve {
  lightCurve: LightCurve;
  /** Points in each bin. */
  count: Int32Array;
}

/** Most bins produced (guards a tiny bin width over a long baseline). */
export const MAX_BINS = 1 << 24;

export function binLightCurve(lc: LightCurve, options: BinOptions): BinnedLightCurve {
  checkLightCurve(lc);
  if (options === null || typeof options !== 'object') throw new LightCurveError('BAD_ARGUMENT', 'must be { binDays }', { parameter: 'options' });
  const w = requireFinite(options.binDays, 'binDays', 0);
  if (!(w > 0)) throw new LightCurveError('BAD_ARGUMENT', 'must be > 0 days', { parameter: 'binDays' });
  const minPoints = requireFinite(options.minPoints ?? 1, 'minPoints', 1, 1e9);
  const mode = options.errors ?? 'propagated';
  if (!['propagated', 'scatter', 'larger'].includes(mode)) throw new LightCurveError('BAD_ARGUMENT', `'${mode}' is not propagated, scatter or larger`, { parameter: 'errors' });
  const n = lc.t.length;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const v of lc.t) {
    tMin = Math.min(tMin, v);
    tMax = Math.max(tMax, v);
  }
  const origin = options.origin === undefined ? tMin : requireFinite(options.origin, 'origin');
  if (n > 0 && (tMax - origin) / w > MAX_BINS) throw new LightCurveError('TOO_LARGE', `${Math.ceil((tMax - origin) / w)} bins exceed the limit of ${MAX_BINS}`, { parameter: 'binDays' });
  const weighted = Array.from(lc.dy).every((e) => e > 0);
  const groups = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const k = Math.floor((lc.t[i] - origin) / w);
    const key = `${lc.band ? lc.band[i] : ''}\u0000${options.bySite && lc.site ? lc.site[i] : ''}\u0000${k}`;
    const g = groups.get(key);
    if (g) g.push(i);
    else groups.set(key, [i]);
  }
  const rows: Array<{ t: number; y: number; dy: number; n: number; band?: string; site?: string }> = [];
  for (const idx of groups.values()) {
    if (idx.length < minPoints) continue;
    let sw = 0;
    let swt = 0;
    let swy = 0;
    for (const i of idx) {
      const wi = weighted ? 1 / (lc.dy[i] * lc.dy[i]) : 1;
      sw += wi;
      swt += wi * lc.t[i];
      swy += wi * lc.y[i];
    }
    const mean = swy / sw;
    const m = idx.length;
    let ss = 0;
    for (const i of idx) ss += (lc.y[i] - mean) ** 2;
    const scatter = m > 1 ? Math.sqrt(ss / (m - 1) / m) : NaN;
    const propagated = weighted ? 1 / Math.sqrt(sw) : NaN;
    const err = mode === 'propagated' ? propagated : mode === 'scatter' ? scatter : Math.max(Number.isNaN(propagated) ? 0 : propagated, Number.isNaN(scatter) ? 0 : scatter) || NaN;
    const first = idx[0];
    const row: (typeof rows)[number] = { t: swt / sw, y: mean, dy: err, n: m };
    if (lc.band) row.band = lc.band[first];
    if (options.bySite && lc.site) row.site = lc.site[first];
    rows.push(row);
  }
  rows.sort((a, b) => a.t - b.t || (a.band ?? '').localeCompare(b.band ?? '') || (a.site ?? '').localeCompare(b.site ?? ''));
  const out: LightCurve = {
    t: Float64Array.from(rows, (r) => r.t),
    y: Float64Array.from(rows, (r) => r.y),
    dy: Float64Array.from(rows, (r) => r.dy),
    kind: lc.kind,
    target: lc.target,
    warnings: [...lc.warnings],
  };
  if (lc.band) out.band = rows.map((r) => r.band!);
  if (options.bySite && lc.site) out.site = rows.map((r) => r.site!);
  return { lightCurve: out, count: Int32Array.from(rows, (r) => r.n) };
}
