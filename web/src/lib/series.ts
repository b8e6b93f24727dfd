/**
 * Shaping science results into the column arrays uPlot draws: one x column shared by
 * all series, one y column per site (null where another site's point sits), errors
 * alongside. Pure, so the numbers drawn can be checked without a browser.
 */
import { phaseFold } from '../../../src/science/timeseries/fold.js';

export interface LightCurvePoint {
  bjdTdb: number;
  mag: number;
  err: number;
  band: string;
  site: string;
  nodeId: string;
}

export interface SiteColumns {
  /** Site names, sorted (the series order). */
  sites: string[];
  x: number[];
  /** ys[k][i]: site k's value at x[i], or null. */
  ys: Array<Array<number | null>>;
  errs: Array<Array<number | null>>;
  /** Points per site. */
  counts: number[];
}

/** Points with finite x, y and error, grouped into one column per site, x ascending. */
export function siteColumns<P>(points: readonly P[], x: (p: P) => number, y: (p: P) => number, err: (p: P) => number, site: (p: P) => string): SiteColumns {
  const ok = points.filter((p) => Number.isFinite(x(p)) && Number.isFinite(y(p)));
  ok.sort((a, b) => x(a) - x(b));
  const sites = [...new Set(ok.map(site))].sort();
  const index = new Map(sites.map((s, k) => [s, k]));
  const ys = sites.map(() => new Array<number | null>(ok.length).fill(null));
  const errs = sites.map(() => new Array<number | null>(ok.length).fill(null));
  const counts = sites.map(() => 0);
  ok.forEach((p, i) => {
    const k = index.get(site(p)) as number;
    ys[k][i] = y(p);
    const e = err(p);
    errs[k][i] = Number.isFinite(e) ? e : null;
    counts[k]++;
  });
  return { sites, x: ok.map(x), ys, errs, counts };
}

/** A round offset to subtract from BJD so axis labels stay short (e.g. 2460000). */
export function bjdOffset(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  const min = Math.min(...xs);
  return min > 2_400_000 ? Math.floor(min / 1000) * 1000 : 0;
}

/**
 * The light curve folded on a period, phases 0 … 2 (each point twice, so a feature at
 * phase 0 is not cut in half). Epoch: the earliest time.
 */
export function foldedColumns(points: readonly LightCurvePoint[], periodDays: number): SiteColumns & { epoch: number } {
  const ok = points.filter((p) => Number.isFinite(p.bjdTdb) && Number.isFinite(p.mag));
  const epoch = ok.length ? Math.min(...ok.map((p) => p.bjdTdb)) : 0;
  const phase = phaseFold(
    ok.map((p) => p.bjdTdb),
    periodDays,
    epoch,
  );
  const twice: Array<LightCurvePoint & { phase: number }> = [];
  ok.forEach((p, i) => {
    twice.push({ ...p, phase: phase[i] }, { ...p, phase: phase[i] + 1 });
  });
  return {
    ...siteColumns(
      twice,
      (p) => p.phase,
      (p) => p.mag,
      (p) => p.err,
      (p) => p.site,
    ),
    epoch,
  };
}

/** Index order that sorts `values` ascending. */
export function ascendingOrder(values: readonly number[]): number[] {
  return values.map((_, i) => i).sort((a, b) => values[a] - values[b] || a - b);
}

export interface OcPoint {
  epoch: number;
  ocMin: number;
  errMin: number;
  site?: string;
}

export interface OcModelPoint {
  epoch: number;
  medianMin: number;
  lo68Min: number;
  hi68Min: number;
  lo95Min: number;
  hi95Min: number;
}

/**
 * O−C columns: the model's median and 68/95 % bands on its own epochs, the measured
 * points per site on theirs, merged on one x column (model values null at measured-only
 * epochs and the other way round).
 */
export function ocColumns(points: readonly OcPoint[], model: readonly OcModelPoint[]) {
  const measured = siteColumns(
    points,
    (p) => p.epoch,
    (p) => p.ocMin,
    (p) => p.errMin,
    (p) => p.site ?? 'measured',
  );
  const xs = [...new Set([...measured.x, ...model.map((m) => m.epoch)])].sort((a, b) => a - b);
  const at = new Map(xs.map((x, i) => [x, i]));
  const col = () => new Array<number | null>(xs.length).fill(null);
  const lo95 = col();
  const hi95 = col();
  const lo68 = col();
  const hi68 = col();
  const median = col();
  for (const m of model) {
    const i = at.get(m.epoch) as number;
    lo95[i] = m.lo95Min;
    hi95[i] = m.hi95Min;
    lo68[i] = m.lo68Min;
    hi68[i] = m.hi68Min;
    median[i] = m.medianMin;
  }
  const ys = measured.sites.map(() => col());
  const errs = measured.sites.map(() => col());
  measured.x.forEach((x, j) => {
    const i = at.get(x) as number;
    measured.ys.forEach((yk, k) => {
      if (yk[j] !== null) {
        ys[k][i] = yk[j];
        errs[k][i] = measured.errs[k][j];
      }
    });
  });
  return { x: xs, lo95, hi95, lo68, hi68, median, sites: measured.sites, ys, errs, counts: measured.counts };
}
