/**
 * Convergence diagnostics across chains: split-R̂.
 *
 * Classic split-R̂ (Gelman et al., Bayesian Data Analysis 3rd ed., §11.4): each of m chains
 * of n draws is cut in half, giving 2m chains of n/2; with B the between-chain and W the
 * mean within-chain variance, var⁺ = (n'−1)/n' W + B/n' and R̂ = √(var⁺/W) (n' = n/2).
 *
 * Rank-normalised split-R̂ (Vehtari, Gelman, Simpson, Carpenter & Bürkner 2021, eqs. 14–15):
 * the pooled draws are replaced by normal scores z = Φ⁻¹((r − 3/8)/(S + 1/4)) of their
 * ranks r (average ranks for ties) before computing split-R̂ (the "bulk" R̂), the same is
 * done for the folded draws |θ − median θ| (sensitive to differences in scale), and R̂ is the
 * larger of the two. It is robust to heavy tails and is the recommended default; values
 * below 1.01 indicate convergence.
 *
 * An ensemble's walkers are not independent chains, so "across runs" means independent
 * runs (different seeds and starts); every walker of every run is taken as one chain,
 * which catches runs stuck in different modes.
 */
import { InferenceError } from './errors.js';
import type { ChainShape } from './autocorr.js';

/** Classic split-R̂ of m ≥ 1 chains of equal length n ≥ 4 (an odd last draw is dropped). NaN if W = 0. */
export function splitRhat(chains: ArrayLike<number>[]): number {
  const n = checkChains(chains);
  const half = Math.floor(n / 2);
  const m2 = chains.length * 2;
  const means = new Float64Array(m2);
  let w = 0;
  for (let c = 0; c < chains.length; c++) {
    const x = chains[c];
    for (let h = 0; h < 2; h++) {
      const o = h * half;
      let mean = 0;
      for (let i = 0; i < half; i++) mean += x[o + i];
      mean /= half;
      let s2 = 0;
      for (let i = 0; i < half; i++) {
        const d = x[o + i] - mean;
        s2 += d * d;
      }
      means[2 * c + h] = mean;
      w += s2 / (half - 1);
    }
  }
  w /= m2;
  let grand = 0;
  for (let j = 0; j < m2; j++) grand += means[j];
  grand /= m2;
  let b = 0;
  for (let j = 0; j < m2; j++) b += (means[j] - grand) ** 2;
  b *= half / (m2 - 1);
  if (!(w > 0)) return NaN;
  const varPlus = ((half - 1) / half) * w + b / half;
  return Math.sqrt(varPlus / w);
}

/** Rank-normalised split-R̂: max of the bulk and folded versions (Vehtari et al. 2021). */
export function rankNormalizedSplitRhat(chains: ArrayLike<number>[]): number {
  const n = checkChains(chains);
  const m = chains.length;
  const pooled = new Float64Array(m * n);
  for (let c = 0; c < m; c++) for (let i = 0; i < n; i++) pooled[c * n + i] = chains[c][i];
  const bulk = splitRhat(unpool(normalScores(pooled), m, n));
  const med = median(pooled);
  const folded = new Float64Array(pooled.length);
  for (let i = 0; i < pooled.length; i++) folded[i] = Math.abs(pooled[i] - med);
  const tail = splitRhat(unpool(normalScores(folded), m, n));
  if (Number.isNaN(bulk)) return tail;
  if (Number.isNaN(tail)) return bulk;
  return Math.max(bulk, tail);
}

/**
 * R̂ per dimension across independent ensemble runs (each walker of each run is a chain),
 * after discarding `discard` leading steps of each run. Method 'rank' (default) or 'classic'.
 */
export function ensembleRhat(
  runs: Array<{ chain: Float64Array } & ChainShape>,
  options: { discard?: number; method?: 'rank' | 'classic' } = {},
): Float64Array {
  if (runs.length === 0) throw new InferenceError('BAD_ARGUMENT', 'need at least one run');
  const { nSteps, nDim } = runs[0];
  const discard = options.discard ?? 0;
  const n = nSteps - discard;
  if (!Number.isInteger(discard) || discard < 0 || n < 4) throw new InferenceError('BAD_ARGUMENT', `discard ${discard} leaves fewer than 4 of ${nSteps} steps`, { field: 'discard' });
  for (const r of runs) {
    if (r.nSteps !== nSteps || r.nDim !== nDim || r.chain.length !== r.nSteps * r.nWalkers * r.nDim) {
      throw new InferenceError('BAD_ARGUMENT', 'runs must share nSteps and nDim, and each chain must match its shape');
    }
  }
  const out = new Float64Array(nDim);
  for (let d = 0; d < nDim; d++) {
    const chains: Float64Array[] = [];
    for (const r of runs) {
      const stride = r.nWalkers * nDim;
      for (let w = 0; w < r.nWalkers; w++) {
        const x = new Float64Array(n);
        for (let t = 0; t < n; t++) x[t] = r.chain[(discard + t) * stride + w * nDim + d];
        chains.push(x);
      }
    }
    out[d] = options.method === 'classic' ? splitRhat(chains) : rankNormalizedSplitRhat(chains);
  }
  return out;
}

function checkChains(chains: ArrayLike<number>[]): number {
  if (chains.length < 1) throw new InferenceError('BAD_ARGUMENT', 'need at least one chain');
  const n = chains[0].length;
  if (n < 4) throw new InferenceError('BAD_ARGUMENT', `chains need at least 4 draws, got ${n}`);
  for (const c of chains) if (c.length !== n) throw new InferenceError('BAD_ARGUMENT', `chains must have equal lengths (${n} and ${c.length})`);
  return n;
}

function unpool(pooled: Float64Array, m: number, n: number): Float64Array[] {
  const out: Float64Array[] = [];
  for (let c = 0; c < m; c++) out.push(pooled.subarray(c * n, (c + 1) * n));
  return out;
}

/** Normal scores Φ⁻¹((r − 3/8)/(S + 1/4)) of the (average) ranks r = 1..S (Blom 1958). */
function normalScores(x: Float64Array): Float64Array {
  const s = x.length;
  const idx = new Uint32Array(s);
  for (let i = 0; i < s; i++) idx[i] = i;
  idx.sort((a, b) => x[a] - x[b]);
  const z = new Float64Array(s);
  let i = 0;
  while (i < s) {
    let j = i + 1;
    while (j < s && x[idx[j]] === x[idx[i]]) j++;
    const rank = (i + 1 + j) / 2; // average of ranks i+1..j
    const score = normalQuantile((rank - 0.375) / (s + 0.25));
    for (let k = i; k < j; k++) z[idx[k]] = score;
    i = j;
  }
  return z;
}

function median(x: Float64Array): number {
  const s = x.slice().sort();
  const n = s.length;
  return n % 2 === 1 ? s[(n - 1) / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

/**
 * Standard normal quantile Φ⁻¹(p), 0 < p < 1: P. J. Acklam's rational approximation
 * (relative error < 1.2e-9), ample for rank normalisation.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  let x: number;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  return x;
}

