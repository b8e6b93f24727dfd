/**
 * False-alarm probability of the highest peak of a one-term floating-mean periodogram:
 * the probability that noise alone (Gaussian, no signal) gives a peak at least that high
 * somewhere on the searched band [0, maxFrequency].
 *
 * Analytic approximations from Baluev (2008, MNRAS 385, 1279), for the 'standard'
 * normalisation z ∈ [0, 1] (χ² reduction relative to a constant), with N points,
 * N_H = N − 1 and N_K = N − 3 degrees of freedom of the two nested models:
 *
 *   single frequency   P1(z) = (1 − z)^{N_K/2}                  (a Beta distribution)
 *   Davies' term       τ(z)  = γ(N_H)·W·(1 − z)^{(N_K−1)/2}·√(N_H·z/2),
 *                      γ(n)  = √(2/n)·Γ(n/2)/Γ((n−1)/2),   W = f_max·√(4π·Var_w(t))
 *   'baluev'  (alias-free approximation)  FAP = 1 − (1 − P1)·e^{−τ}
 *   'davies'  (upper bound)               FAP = P1 + τ
 *   'naive'   (independent frequencies)   FAP = 1 − (1 − P1)^{f_max·T}
 *
 * Var_w(t) is the variance of the times weighted by 1/dy². Other normalisations convert
 * to 'standard' first (see toStandardPower). The bootstrap gives an empirical FAP for any
 * periodogram (see bootstrap.ts): the fraction of replicate maxima at or above z.
 */
import { TimeseriesError, requireFinite } from './errors.js';

export type FapMethod = 'baluev' | 'davies' | 'naive';

export interface FapData {
  /** Observation times (days). */
  t: ArrayLike<number>;
  /** Uncertainties (weights 1/dy² for the time variance); absent for equal weights. */
  dy?: ArrayLike<number> | number;
}

/** The quantities the analytic FAPs need from the data. */
export interface FapBasis {
  nPoints: number;
  /** √(4π·Var_w(t)) in days. */
  effectiveBaselineDays: number;
  /** max(t) − min(t) in days. */
  baselineDays: number;
}

export function fapBasis(data: FapData): FapBasis {
  const t = data.t;
  const n = t.length;
  if (n < 4) throw new TimeseriesError('TOO_FEW_POINTS', `a false-alarm probability needs at least 4 points, got ${n}`, { parameter: 't' });
  const dy = data.dy;
  let sw = 0;
  let st = 0;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const e = dy === undefined ? 1 : typeof dy === 'number' ? dy : dy[i];
    const w = 1 / (e * e);
    sw += w;
    st += w * t[i];
    if (t[i] < tMin) tMin = t[i];
    if (t[i] > tMax) tMax = t[i];
  }
  const mean = st / sw;
  let sv = 0;
  for (let i = 0; i < n; i++) {
    const e = dy === undefined ? 1 : typeof dy === 'number' ? dy : dy[i];
    const d = t[i] - mean;
    sv += (d * d) / (e * e);
  }
  const variance = sv / sw;
  if (!(variance > 0) || !Number.isFinite(variance)) {
    throw new TimeseriesError('BAD_DATA', 'the times have no spread (or an uncertainty is not positive)', { parameter: 't' });
  }
  return { nPoints: n, effectiveBaselineDays: Math.sqrt(4 * Math.PI * variance), baselineDays: tMax - tMin };
}

/** P1(z): probability that one frequency's standard power exceeds z under the null. */
export function singleFrequencyFap(z: number, nPoints: number): number {
  if (z <= 0) return 1;
  if (z >= 1) return 0;
  return Math.pow(1 - z, 0.5 * (nPoints - 3));
}

/** Davies' term τ(z) for the band [0, maxFrequency]. */
export function daviesTau(z: number, basis: FapBasis, maxFrequency: number): number {
  if (z <= 0 || z >= 1) return z <= 0 ? Infinity : 0;
  const nh = basis.nPoints - 1;
  const nk = basis.nPoints - 3;
  const w = maxFrequency * basis.effectiveBaselineDays;
  const logGammaRatio = 0.5 * Math.log(2 / nh) + logGamma(nh / 2) - logGamma((nh - 1) / 2);
  return Math.exp(logGammaRatio + 0.5 * (nk - 1) * Math.log1p(-z)) * w * Math.sqrt(0.5 * nh * z);
}

/**
 * False-alarm probability of a peak of standard power z (one-term floating-mean model)
 * found on [0, maxFrequency] (cycles/day).
 */
export function falseAlarmProbability(z: number, data: FapData | FapBasis, maxFrequency: number, method: FapMethod = 'baluev'): number {
  requireFinite(z, 'power');
  requireFinite(maxFrequency, 'maxFrequency', Number.MIN_VALUE);
  const basis = 'nPoints' in data ? data : fapBasis(data);
  const p1 = singleFrequencyFap(z, basis.nPoints);
  switch (method) {
    case 'baluev': {
      const tau = daviesTau(z, basis, maxFrequency);
      // 1 − (1 − P1)e^{−τ} without cancellation when both are tiny.
      return -Math.expm1(Math.log1p(-p1) - tau);
    }
    case 'davies':
      return p1 + daviesTau(z, basis, maxFrequency);
    case 'naive': {
      const nEff = maxFrequency * basis.baselineDays;
      return -Math.expm1(nEff * Math.log1p(-p1));
    }
    default:
      throw new TimeseriesError('BAD_ARGUMENT', `unknown FAP method '${String(method)}' (use baluev, davies or naive)`, { parameter: 'method' });
  }
}

/** The standard power whose false-alarm probability is `probability` (bisection on the monotone FAP). */
export function falseAlarmLevel(probability: number, data: FapData | FapBasis, maxFrequency: number, method: FapMethod = 'baluev'): number {
  requireFinite(probability, 'probability', Number.MIN_VALUE, 1);
  const basis = 'nPoints' in data ? data : fapBasis(data);
  let lo = 0;
  let hi = 1;
  for (let it = 0; it < 200 && hi - lo > 1e-15; it++) {
    const mid = 0.5 * (lo + hi);
    if (falseAlarmProbability(mid, basis, maxFrequency, method) > probability) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Empirical FAP from bootstrap maxima: the fraction of maxima ≥ z. */
export function bootstrapFap(z: number, maxima: ArrayLike<number>): number {
  if (maxima.length === 0) throw new TimeseriesError('BAD_ARGUMENT', 'no bootstrap maxima', { parameter: 'maxima' });
  let above = 0;
  for (let i = 0; i < maxima.length; i++) if (maxima[i] >= z) above++;
  return above / maxima.length;
}

/** The power exceeded by a fraction `probability` of the bootstrap maxima (an upper quantile). */
export function bootstrapLevel(probability: number, maxima: ArrayLike<number>): number {
  requireFinite(probability, 'probability', 0, 1);
  if (maxima.length === 0) throw new TimeseriesError('BAD_ARGUMENT', 'no bootstrap maxima', { parameter: 'maxima' });
  const sorted = Float64Array.from(maxima).sort();
  const q = (1 - probability) * (sorted.length - 1);
  const i = Math.floor(q);
  return i + 1 < sorted.length ? sorted[i] + (q - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error ~1e-15). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const c = LANCZOS;
  const xm = x - 1;
  let a = c[0];
  const t = xm + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (xm + i);
  return 0.5 * Math.log(2 * Math.PI) + (xm + 0.5) * Math.log(t) - t + Math.log(a);
}

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012,
  9.9843695780195716e-6, 1.5056327351493116e-7,
];
