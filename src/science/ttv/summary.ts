/**
 * Posterior summaries: the median and the central 68 % and 95 % credible intervals of each
 * parameter (quantiles with linear interpolation between order statistics, numpy's default),
 * and derived quantities of the TTV model (e, ω from the eccentricity vector).
 */
import { TtvError } from './errors.js';
import type { TtvModel } from './model.js';

export interface ParameterSummary {
  name: string;
  median: number;
  /** 16th and 84th percentiles (central 68 %). */
  lo68: number;
  hi68: number;
  /** 2.5th and 97.5th percentiles (central 95 %). */
  lo95: number;
  hi95: number;
  mean: number;
  sd: number;
}

/** Quantile q ∈ [0, 1] of sorted values (linear interpolation between order statistics). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = q * (n - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < n ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[n - 1];
}

/** Summary of one column of equally weighted draws. */
export function summarizeColumn(name: string, values: Float64Array): ParameterSummary {
  const s = values.slice().sort();
  let mean = 0;
  for (let i = 0; i < s.length; i++) mean += s[i];
  mean /= s.length;
  let v = 0;
  for (let i = 0; i < s.length; i++) v += (s[i] - mean) ** 2;
  return {
    name,
    median: quantileSorted(s, 0.5),
    lo68: quantileSorted(s, 0.15865525393145707),
    hi68: quantileSorted(s, 0.8413447460685429),
    lo95: quantileSorted(s, 0.025),
    hi95: quantileSorted(s, 0.975),
    mean,
    sd: s.length > 1 ? Math.sqrt(v / (s.length - 1)) : 0,
  };
}

/** Summaries of every column of `samples` (nSamples × nDim, row-major). */
export function summarizeSamples(samples: Float64Array, nDim: number, names: string[]): ParameterSummary[] {
  if (names.length !== nDim) throw new TtvError('BAD_ARGUMENT', `${names.length} names for ${nDim} dimensions`);
  const n = samples.length / nDim;
  if (!Number.isInteger(n) || n < 1) throw new TtvError('BAD_ARGUMENT', `${samples.length} values are not whole rows of ${nDim}`);
  return names.map((name, d) => summarizeColumn(name, column(samples, nDim, d)));
}

export function column(samples: Float64Array, nDim: number, d: number): Float64Array {
  const n = samples.length / nDim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = samples[i * nDim + d];
  return out;
}

/**
 * Derived columns: eccentricity `ecc_<planet>` and argument of periastron `omegaDeg_<planet>`
 * (degrees in (−180, 180]) of every planet whose eccentricity vector is free.
 */
export function derivedSamples(model: TtvModel, samples: Float64Array): { names: string[]; values: Float64Array } {
  const nDim = model.parameters.length;
  const n = samples.length / nDim;
  const pairs: Array<{ h: number; k: number; name: string }> = [];
  for (const pl of model.planets) if (pl.index.h >= 0) pairs.push({ h: pl.index.h, k: pl.index.k, name: pl.name });
  const names = pairs.flatMap((p) => [`ecc_${p.name}`, `omegaDeg_${p.name}`]);
  const m = names.length;
  const values = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    pairs.forEach((p, j) => {
      const h = samples[i * nDim + p.h];
      const k = samples[i * nDim + p.k];
      values[i * m + 2 * j] = h * h + k * k;
      values[i * m + 2 * j + 1] = (Math.atan2(k, h) * 180) / Math.PI;
    });
  }
  return { names, values };
}
