import { ensembleAutocorrTime, type EnsembleResult } from '../../../src/science/inference/index.js';

/**
 * Ensemble average of f over steps ≥ discard, with its Monte-Carlo standard error
 * √(Var f · τ_f / N) from the integrated autocorrelation time of f itself.
 */
export function mcMean(r: EnsembleResult, discard: number, f: (x: Float64Array) => number): { mean: number; sigma: number; tau: number } {
  const { nWalkers, nDim } = r;
  const n = r.nSteps - discard;
  const values = new Float64Array(n * nWalkers);
  const x = new Float64Array(nDim);
  for (let t = 0; t < n; t++) {
    for (let w = 0; w < nWalkers; w++) {
      const o = ((discard + t) * nWalkers + w) * nDim;
      for (let d = 0; d < nDim; d++) x[d] = r.chain[o + d];
      values[t * nWalkers + w] = f(x);
    }
  }
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let v2 = 0;
  for (const v of values) v2 += (v - mean) ** 2;
  v2 /= values.length - 1;
  const tau = ensembleAutocorrTime(values, { nSteps: n, nWalkers, nDim: 1 })[0];
  return { mean, sigma: Math.sqrt((v2 * tau) / values.length), tau };
}

/** Composite Simpson weights for n (odd) points spaced h. */
export function simpsonWeights(n: number, h: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = ((i === 0 || i === n - 1 ? 1 : i % 2 === 1 ? 4 : 2) * h) / 3;
  return w;
}
