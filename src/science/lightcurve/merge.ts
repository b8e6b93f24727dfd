/**
 * Merging one target's light curve from many instruments (one band at a time): instruments
 * disagree by a constant (zero point, colour term, aperture), so each site gets an offset,
 * fitted jointly with a model of the star's own signal; one reference site is held fixed.
 *
 *   y_i = s(t_i) + o_site(i) + ε_i,     o_reference = 0
 *
 * The signal s(t) is one of:
 * - 'bins': a free value per time bin (width binDays) shared by all sites — the offsets
 *   then come from the points that sites take at the same time, whatever the signal
 *   (needs overlapping coverage);
 * - 'periodic': a Fourier series of known period (nterms harmonics plus a constant) — the
 *   offsets then come from the same phases, and coverage need not overlap in time;
 * - 'constant': one mean (a non-variable star, or a check star).
 * All three are linear: the bin values are profiled out (each bin's value given the
 * offsets is a weighted mean), leaving a small dense normal system for the offsets and
 * Fourier coefficients, solved by Cholesky; its inverse gives their covariance.
 *
 * Outliers are clipped against the model (|r| > κ σ) — or beforehand against a running
 * median of each site — and errors are inflated per site (or globally) by √χ²_ν of that
 * site's residuals when they scatter more than they claim (never deflated). The loop
 * (fit → inflate → clip) runs until the kept set is stable; the final offsets come from a
 * last fit with the final errors.
 *
 * Fluxes are merged as magnitudes (an instrument's flux scale is a factor) and returned as
 * fluxes; offsets are then magnitudes, and `fluxRatio` = 10^(−0.4·offset).
 */
import { choleskyFactor, choleskySolveFactored } from '../timeseries/linalg.js';
import { MAD_TO_SIGMA, medianInPlace } from '../image/stats.js';
import { LightCurveError, requireFinite } from './errors.js';
import { checkLightCurve, concatLightCurves, selectPoints, sortByTime, type LightCurve } from './lightcurve.js';
import { clipAgainstRunningMedian } from './outliers.js';

export type MergeModel = { kind: 'constant' } | { kind: 'bins'; binDays: number } | { kind: 'periodic'; periodDays: number; nterms?: number };

export interface MergeOptions {
  /** Site held fixed (offset 0); default the site with the largest Σ 1/σ². */
  reference?: string;
  /** Model of the star's signal; default bins of 0.02 d (29 min). */
  model?: MergeModel;
  /** Outlier rejection; default against the model at 4σ. `false` keeps every point. */
  outliers?: false | { against?: 'model' | 'running-median'; sigma?: number; windowDays?: number; maxIters?: number };
  /** Error inflation from √χ²_ν; default 'per-site'. */
  inflateErrors?: 'per-site' | 'global' | 'none';
}

export interface SiteOffset {
  site: string;
  /** Magnitudes: subtract from the site's values to put them on the reference's scale. */
  offset: number;
  offsetErr: number;
  /** 10^(−0.4·offset): divide the site's fluxes by it (flux light curves). */
  fluxRatio: number;
  reference: boolean;
  /** Points of the site in the input, and how many were rejected. */
  points: number;
  rejected: number;
  /** Factor applied to the site's errors (1 = not inflated). */
  errorScale: number;
  /** √χ²_ν of the site's residuals with its final errors. */
  rms: number;
}

export interface MergeResult {
  /** Kept points, offsets removed, errors inflated, sorted by time; `site` preserved. */
  lightCurve: LightCurve;
  offsets: SiteOffset[];
  /** Points rejected as outliers. */
  rejected: number;
  /** 1 for input points kept (input order of the concatenated parts). */
  kept: Uint8Array;
  /** χ² per degree of freedom of the final fit. */
  reducedChi2: number;
  iterations: number;
  model: MergeModel;
  /** Fourier coefficients of a periodic model (magnitudes), cos/sin per harmonic. */
  periodic?: { cos: Float64Array; sin: Float64Array; epoch: number };
}

const DEFAULT_BIN_DAYS = 0.02;
const MAX_DENSE = 400;

/**
 * Merges light curves of one target and band. Points take their site from the part's site
 * column, else `defaultSites[k]` (e.g. file names).
 */
export function mergeLightCurves(parts: LightCurve | LightCurve[], options: MergeOptions = {}, defaultSites?: string[]): MergeResult {
  const input = Array.isArray(parts) ? concatLightCurves(parts, defaultSites ?? parts.map((_, k) => `part${k + 1}`)) : checkLightCurve(parts);
  if (!input.site) throw new LightCurveError('BAD_ARGUMENT', 'points need sites to merge (a site column, or one site per part)', { parameter: 'site' });
  const bands = new Set(input.band ?? []);
  if (bands.size > 1) throw new LightCurveError('BAD_ARGUMENT', `points in ${bands.size} bands (${[...bands].join(', ')}): merge one band at a time`, { parameter: 'band' });
  const model = resolveModel(options.model);
  const inflate = options.inflateErrors ?? 'per-site';
  if (!['per-site', 'global', 'none'].includes(inflate)) throw new LightCurveError('BAD_ARGUMENT', `'${inflate}' is not per-site, global or none`, { parameter: 'inflateErrors' });
  const outl = options.outliers === false ? undefined : { against: 'model', sigma: 4, maxIters: 20, ...(options.outliers ?? {}) };
  if (outl) {
    requireFinite(outl.sigma, 'outliers.sigma', 0);
    if (!(outl.sigma > 0)) throw new LightCurveError('BAD_ARGUMENT', 'must be > 0', { parameter: 'outliers.sigma' });
    if (outl.against !== 'model' && outl.against !== 'running-median') throw new LightCurveError('BAD_ARGUMENT', `'${outl.against}' is not model or running-median`, { parameter: 'outliers.against' });
    if (outl.against === 'running-median') requireFinite(outl.windowDays ?? NaN, 'outliers.windowDays', 0);
  }
  const n = input.t.length;
  if (n < 2) throw new LightCurveError('TOO_FEW_POINTS', `${n} point(s): nothing to merge`, { parameter: 'parts' });

  // Work in magnitudes.
  const y = new Float64Array(n);
  const dy0 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (input.kind === 'flux') {
      if (!(input.y[i] > 0)) throw new LightCurveError('BAD_ARGUMENT', `flux ${input.y[i]} ≤ 0 cannot be merged (instrument scales are factors)`, { index: i, site: input.site[i] });
      y[i] = -2.5 * Math.log10(input.y[i]);
      dy0[i] = (2.5 / Math.LN10) * (input.dy[i] / input.y[i]);
    } else {
      y[i] = input.y[i];
      dy0[i] = input.dy[i];
    }
  }
  const siteNames = [...new Set(input.site)];
  const S = siteNames.length;
  const siteOf = Int32Array.from(input.site, (s) => siteNames.indexOf(s));
  // Unknown errors: the median known error of the site, else 1 (scaled by the inflation).
  const unknownSite = new Uint8Array(S);
  const dy = Float64Array.from(dy0);
  for (let s = 0; s < S; s++) {
    const known: number[] = [];
    for (let i = 0; i < n; i++) if (siteOf[i] === s && dy0[i] > 0) known.push(dy0[i]);
    const fill = known.length > 0 ? medianInPlace(Float64Array.from(known), known.length) : 1;
    if (known.length === 0) unknownSite[s] = 1;
    for (let i = 0; i < n; i++) if (siteOf[i] === s && !(dy0[i] > 0)) dy[i] = fill;
  }
  let ref: number;
  if (options.reference !== undefined) {
    ref = siteNames.indexOf(options.reference);
    if (ref < 0) throw new LightCurveError('BAD_ARGUMENT', `reference site '${options.reference}' has no points (sites: ${siteNames.join(', ')})`, { parameter: 'reference' });
  } else {
    const sw = new Float64Array(S);
    for (let i = 0; i < n; i++) sw[siteOf[i]] += unknownSite[siteOf[i]] ? 0 : 1 / (dy[i] * dy[i]);
    for (let i = 0; i < n; i++) if (unknownSite[siteOf[i]]) sw[siteOf[i]] += 1e-300;
    ref = 0;
    for (let s = 1; s < S; s++) if (sw[s] > sw[ref]) ref = s;
  }

  // Bins (a single one for the constant and periodic models).
  let tMin = Infinity;
  for (const v of input.t) tMin = Math.min(tMin, v);
  const binKey = new Float64Array(n);
  if (model.kind === 'bins') for (let i = 0; i < n; i++) binKey[i] = Math.floor((input.t[i] - tMin) / model.binDays);
  const nterms = model.kind === 'periodic' ? (model.nterms ?? 2) : 0;
  const D = S - 1 + 2 * nterms;
  if (D > MAX_DENSE) throw new LightCurveError('BAD_ARGUMENT', `${S} sites and ${nterms} harmonics make ${D} parameters (limit ${MAX_DENSE})`, { parameter: 'parts' });
  const colOfSite = Int32Array.from({ length: S }, (_, s) => (s === ref ? -1 : s < ref ? s : s - 1));
  const phase = new Float64Array(n);
  if (model.kind === 'periodic') for (let i = 0; i < n; i++) phase[i] = (2 * Math.PI * (input.t[i] - tMin)) / model.periodDays;
  const row = (i: number, out: Float64Array): void => {
    out.fill(0);
    const c = colOfSite[siteOf[i]];
    if (c >= 0) out[c] = 1;
    for (let h = 1; h <= nterms; h++) {
      out[S - 1 + 2 * (h - 1)] = Math.cos(h * phase[i]);
      out[S - 1 + 2 * (h - 1) + 1] = Math.sin(h * phase[i]);
    }
  };

  // Running-median clipping happens once, per site, before any fit.
  let kept: Uint8Array = new Uint8Array(n).fill(1);
  if (outl?.against === 'running-median') {
    for (let s = 0; s < S; s++) {
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if (siteOf[i] === s) idx.push(i);
      idx.sort((a, b) => input.t[a] - input.t[b] || a - b);
      const k = clipAgainstRunningMedian(
        Float64Array.from(idx, (i) => input.t[i]),
        Float64Array.from(idx, (i) => y[i]),
        Float64Array.from(idx, (i) => (unknownSite[s] ? NaN : dy[i])),
        { windowDays: outl.windowDays!, sigma: outl.sigma, maxIters: outl.maxIters },
      );
      idx.forEach((i, j) => (kept[i] = k[j]));
    }
  }

  const scale = new Float64Array(S).fill(1);
  const weightOf = (i: number): number => 1 / (dy[i] * scale[siteOf[i]]) ** 2;
  let sol = solve();
  let iterations = 1;
  const maxIters = outl?.maxIters ?? 20;
  for (; iterations <= maxIters + 1; iterations++) {
    const oldScale = Float64Array.from(scale);
    updateScales(sol, 'robust');
    let changed = false;
    if (outl?.against === 'model') {
      const next = clipAgainstModel(sol.residual, outl.sigma);
      for (let i = 0; i < n && !changed; i++) if (next[i] !== kept[i]) changed = true;
      if (changed) kept = next;
    }
    let scaleMoved = false;
    for (let s = 0; s < S; s++) if (Math.abs(scale[s] / oldScale[s] - 1) > 0.01) scaleMoved = true;
    sol = solve();
    if (!changed && !scaleMoved) break;
  }
  // Final errors from χ² of the clean residuals, then the final fit.
  updateScales(sol, 'chi2');
  sol = solve();

  // Output: kept points with offsets removed and inflated errors, in magnitudes or fluxes.
  const keptIdx: number[] = [];
  for (let i = 0; i < n; i++) if (kept[i]) keptIdx.push(i);
  const outLc = selectPoints(input, keptIdx);
  keptIdx.forEach((i, k) => {
    const s = siteOf[i];
    const o = s === ref ? 0 : sol.beta[colOfSite[s]];
    const e = dy[i] * scale[s];
    if (input.kind === 'flux') {
      const f = Math.pow(10, 0.4 * o);
      outLc.y[k] = input.y[i] * f;
      outLc.dy[k] = (input.y[i] * f * e * Math.LN10) / 2.5;
    } else {
      outLc.y[k] = y[i] - o;
      outLc.dy[k] = e;
    }
  });
  const offsets: SiteOffset[] = siteNames.map((name, s) => {
    const c = colOfSite[s];
    const offset = c < 0 ? 0 : sol.beta[c];
    let points = 0;
    let rej = 0;
    let chi2 = 0;
    let m = 0;
    for (let i = 0; i < n; i++) {
      if (siteOf[i] !== s) continue;
      points++;
      if (!kept[i]) rej++;
      else if (Number.isFinite(sol.residual[i])) {
        chi2 += sol.residual[i] ** 2 * weightOf(i);
        m++;
      }
    }
    return {
      site: name,
      offset,
      offsetErr: c < 0 ? 0 : Math.sqrt(sol.cov[c * D + c]),
      fluxRatio: Math.pow(10, -0.4 * offset),
      reference: s === ref,
      points,
      rejected: rej,
      errorScale: scale[s],
      rms: m > 0 ? Math.sqrt(chi2 / m) : NaN,
    };
  });
  let chi2 = 0;
  let nk = 0;
  for (let i = 0; i < n; i++) {
    if (!kept[i] || !Number.isFinite(sol.residual[i])) continue;
    chi2 += sol.residual[i] ** 2 * weightOf(i);
    nk++;
  }
  const dof = nk - sol.binsUsed - D;
  const result: MergeResult = {
    lightCurve: sortByTime(outLc),
    offsets,
    rejected: n - keptIdx.length,
    kept,
    reducedChi2: dof > 0 ? chi2 / dof : NaN,
    iterations,
    model,
  };
  if (nterms > 0) {
    const cos = new Float64Array(nterms);
    const sin = new Float64Array(nterms);
    for (let h = 0; h < nterms; h++) {
      cos[h] = sol.beta[S - 1 + 2 * h];
      sin[h] = sol.beta[S - 1 + 2 * h + 1];
    }
    result.periodic = { cos, sin, epoch: tMin };
  }
  return result;

  /**
   * Points beyond κσ of the model are dropped and dropped points within it come back. In a
   * bin of a few points an outlier drags the bin's value and makes its neighbours look
   * bad too, so where a point weighs much in its bin (> 10 %) only the bin's worst point
   * goes per round; the refit then clears its neighbours.
   */
  function clipAgainstModel(residual: Float64Array, kappa: number): Uint8Array {
    const next = new Uint8Array(n);
    const binW = new Map<number, number>();
    for (let i = 0; i < n; i++) if (kept[i]) binW.set(binKey[i], (binW.get(binKey[i]) ?? 0) + weightOf(i));
    const worst = new Map<number, { i: number; z: number }>();
    for (let i = 0; i < n; i++) {
      const r = residual[i];
      if (!Number.isFinite(r)) continue;
      const z = Math.abs(r) / (dy[i] * scale[siteOf[i]]);
      if (z <= kappa) {
        next[i] = 1;
        continue;
      }
      if (!kept[i]) continue;
      const leverage = weightOf(i) / (binW.get(binKey[i]) ?? Infinity);
      if (leverage <= 0.1) continue;
      // Heavy point beyond κ: keep it unless it is its bin's worst this round.
      next[i] = 1;
      const w = worst.get(binKey[i]);
      if (!w || z > w.z) worst.set(binKey[i], { i, z });
    }
    for (const { i } of worst.values()) next[i] = 0;
    return next;
  }

  /** Weighted least squares with the bin values profiled out. */
  function solve(): { beta: Float64Array; cov: Float64Array; residual: Float64Array; binsUsed: number } {
    const bins = new Map<number, { w: number; wy: number; wx: Float64Array; sites: Set<number> }>();
    const x = new Float64Array(D);
    const A = new Float64Array(D * D);
    const b = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      if (!kept[i]) continue;
      const w = weightOf(i);
      row(i, x);
      let bin = bins.get(binKey[i]);
      if (!bin) {
        bin = { w: 0, wy: 0, wx: new Float64Array(D), sites: new Set() };
        bins.set(binKey[i], bin);
      }
      bin.w += w;
      bin.wy += w * y[i];
      bin.sites.add(siteOf[i]);
      for (let p = 0; p < D; p++) {
        if (x[p] === 0) continue;
        bin.wx[p] += w * x[p];
        b[p] += w * x[p] * y[i];
        for (let q = 0; q < D; q++) A[p * D + q] += w * x[p] * x[q];
      }
    }
    for (const bin of bins.values()) {
      for (let p = 0; p < D; p++) {
        if (bin.wx[p] === 0) continue;
        b[p] -= (bin.wx[p] * bin.wy) / bin.w;
        for (let q = 0; q < D; q++) A[p * D + q] -= (bin.wx[p] * bin.wx[q]) / bin.w;
      }
    }
    // A site no shared bin links to the reference has no offset, whatever rounding lets
    // the factorisation through (it once returned 12.8 ± 6e5 mag for such a site).
    if (unlinkedSites(bins).length > 0) degenerate(bins);
    const L = Float64Array.from(A);
    // Scale-aware tolerance: offsets are O(1) columns, Fourier terms too.
    if (D > 0 && !choleskyFactor(L, D, 1e-10)) degenerate(bins);
    const beta = Float64Array.from(b);
    if (D > 0) choleskySolveFactored(L, beta, D);
    const cov = new Float64Array(D * D);
    const e = new Float64Array(D);
    for (let p = 0; p < D; p++) {
      e.fill(0);
      e[p] = 1;
      choleskySolveFactored(L, e, D);
      for (let q = 0; q < D; q++) cov[q * D + p] = e[q];
    }
    const binValue = new Map<number, number>();
    for (const [k, bin] of bins) {
      let v = bin.wy;
      for (let p = 0; p < D; p++) v -= bin.wx[p] * beta[p];
      binValue.set(k, v / bin.w);
    }
    const residual = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const bv = binValue.get(binKey[i]);
      if (bv === undefined) {
        residual[i] = NaN;
        continue;
      }
      row(i, x);
      let m = bv;
      for (let p = 0; p < D; p++) m += x[p] * beta[p];
      residual[i] = y[i] - m;
    }
    return { beta, cov, residual, binsUsed: bins.size };
  }

  /** Per-site (or global) error scales from the residuals of the kept points. */
  function updateScales(s: { residual: Float64Array; binsUsed: number }, how: 'robust' | 'chi2'): void {
    let nk = 0;
    for (let i = 0; i < n; i++) if (kept[i] && Number.isFinite(s.residual[i])) nk++;
    const dof = nk - s.binsUsed - D;
    // Residuals of a fit are smaller than the errors by √(dof/N) on average.
    const dofFactor = dof > 0 ? Math.sqrt(nk / dof) : NaN;
    const estimate = (select: (i: number) => boolean): number => {
      const z: number[] = [];
      for (let i = 0; i < n; i++) if (kept[i] && select(i) && Number.isFinite(s.residual[i])) z.push(s.residual[i] / dy[i]);
      if (z.length < 2 || !Number.isFinite(dofFactor)) return NaN;
      if (how === 'chi2') return Math.sqrt(z.reduce((a, v) => a + v * v, 0) / z.length) * dofFactor;
      const buf = Float64Array.from(z, Math.abs);
      return MAD_TO_SIGMA * medianInPlace(buf, buf.length) * dofFactor;
    };
    if (inflate === 'global') {
      const g = estimate(() => true);
      for (let k = 0; k < S; k++) scale[k] = unknownSite[k] ? (Number.isFinite(g) ? g : 1) : Math.max(1, Number.isFinite(g) ? g : 1);
      return;
    }
    for (let k = 0; k < S; k++) {
      if (inflate === 'none' && !unknownSite[k]) continue;
      const e = estimate((i) => siteOf[i] === k);
      if (!Number.isFinite(e) || !(e > 0)) continue;
      scale[k] = unknownSite[k] ? e : Math.max(1, e);
    }
  }

  /** Bins and constant models: names of the sites no chain of shared bins links to the reference. */
  function unlinkedSites(bins: Map<number, { sites: Set<number> }>): string[] {
    if (model.kind !== 'bins' && model.kind !== 'constant') return [];
    const linked = new Set<number>([ref]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const bin of bins.values()) {
        const ss = [...bin.sites];
        if (ss.some((s) => linked.has(s)) && ss.some((s) => !linked.has(s))) {
          for (const s of ss) linked.add(s);
          grew = true;
        }
      }
    }
    return siteNames.filter((_, s) => !linked.has(s) && siteHasPoints(s, bins));
  }

  function siteHasPoints(site: number, bins: Map<number, { sites: Set<number> }>): boolean {
    for (const bin of bins.values()) if (bin.sites.has(site)) return true;
    return false;
  }

  function degenerate(bins: Map<number, { sites: Set<number> }>): never {
    if (model.kind === 'bins' || model.kind === 'constant') {
      // Sites linked through shared bins; those not linked to the reference are undetermined.
      const lost = unlinkedSites(bins);
      if (lost.length > 0) {
        throw new LightCurveError(
          'DEGENERATE',
          `site(s) ${lost.map((s) => `'${s}'`).join(', ')} never observe in the same ${model.kind === 'bins' ? `${model.binDays}-day time bin` : 'time'} as the reference '${siteNames[ref]}' (or a site linked to it): their offsets are undetermined — widen the bins, or fit a periodic model with the known period`,
          { parameter: 'model' },
        );
      }
    }
    throw new LightCurveError('DEGENERATE', 'the offsets and model are not determined by these points (too few distinct times or phases)', { parameter: 'model' });
  }
}

function resolveModel(m: MergeModel | undefined): MergeModel {
  if (m === undefined) return { kind: 'bins', binDays: DEFAULT_BIN_DAYS };
  if (m === null || typeof m !== 'object') throw new LightCurveError('BAD_ARGUMENT', 'must be { kind: constant | bins | periodic }', { parameter: 'model' });
  if (m.kind === 'constant') return { kind: 'constant' };
  if (m.kind === 'bins') {
    const w = requireFinite(m.binDays, 'model.binDays', 0);
    if (!(w > 0)) throw new LightCurveError('BAD_ARGUMENT', 'must be > 0 days', { parameter: 'model.binDays' });
    return { kind: 'bins', binDays: w };
  }
  if (m.kind === 'periodic') {
    const p = requireFinite(m.periodDays, 'model.periodDays', 0);
    if (!(p > 0)) throw new LightCurveError('BAD_ARGUMENT', 'must be > 0 days', { parameter: 'model.periodDays' });
    const h = m.nterms ?? 2;
    if (!Number.isInteger(h) || h < 1 || h > 20) throw new LightCurveError('BAD_ARGUMENT', `must be an integer in [1, 20], got ${h}`, { parameter: 'model.nterms' });
    return { kind: 'periodic', periodDays: p, nterms: h };
  }
  throw new LightCurveError('BAD_ARGUMENT', `'${(m as { kind: string }).kind}' is not constant, bins or periodic`, { parameter: 'model.kind' });
}
