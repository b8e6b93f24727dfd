/**
 * Poisson deviates, exact at every mean. Small means (< 10) use inversion by sequential
 * search of the CDF; larger means use Hörmann's transformed rejection with squeeze, PTRS
 * (W. Hörmann 1993, "The transformed rejection method for generating Poisson random
 * variables", Insurance: Mathematics and Economics 12, 39–45), which costs about two
 * uniforms per deviate and accepts ~90 % of candidates without evaluating a logarithm —
 * as cheap as a normal approximation, without its skew error at moderate means.
 */
import type { Rng } from '../inference/random.js';
import { lnGamma } from './special.js';

/** Below this mean, inversion; at and above, PTRS (valid for mean ≥ 10). */
export const PTRS_MIN_MEAN = 10;

/** 2^−32: 32-bit uniforms are plenty for these algorithms and twice as fast as 53-bit ones. */
const U32 = 2.3283064365386963e-10;

/** Uniform in [0, 1) with 32 random bits. */
export function uniform32(rng: Rng): number {
  return (rng.nextInt32() >>> 0) * U32;
}

/** Largest mean accepted: far beyond any pixel, and where 2^53 integer counts stay exact. */
export const MAX_POISSON_MEAN = 1e15;

// ln k! for small k: used in PTRS's final acceptance test.
const LN_FACTORIAL = new Float64Array(64);
for (let k = 2; k < LN_FACTORIAL.length; k++) LN_FACTORIAL[k] = LN_FACTORIAL[k - 1] + Math.log(k);

function lnFactorial(k: number): number {
  return k < LN_FACTORIAL.length ? LN_FACTORIAL[k] : lnGamma(k + 1);
}

/**
 * One Poisson deviate with the given mean (≥ 0). Means ≤ 0 give 0; NaN gives NaN.
 * Means above MAX_POISSON_MEAN are clamped to it (callers guard their inputs).
 */
export function poissonDeviate(rng: Rng, mean: number): number {
  if (!(mean > 0)) return Number.isNaN(mean) ? NaN : 0;
  if (mean < PTRS_MIN_MEAN) return poissonInversion(rng, mean);
  return poissonPtrs(rng, mean > MAX_POISSON_MEAN ? MAX_POISSON_MEAN : mean);
}

function poissonInversion(rng: Rng, mean: number): number {
  const u = uniform32(rng);
  let p = Math.exp(-mean);
  let cdf = p;
  let k = 0;
  // The CDF sums to 1 up to rounding; the cap stops a u within rounding of 1 running on.
  while (u >= cdf && k < 200) {
    k++;
    p *= mean / k;
    cdf += p;
  }
  return k;
}

function poissonPtrs(rng: Rng, mean: number): number {
  const sqrtMean = Math.sqrt(mean);
  const b = 0.931 + 2.53 * sqrtMean;
  const a = -0.059 + 0.02483 * b;
  const vr = 0.9277 - 3.6224 / (b - 2);
  let logMean = NaN;
  let logInvAlpha = NaN;
  for (;;) {
    const u = uniform32(rng) - 0.5;
    const v = uniform32(rng);
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + mean + 0.43);
    // Squeeze: the inner region of the hat is under the distribution.
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Number.isNaN(logMean)) {
      logMean = Math.log(mean);
      logInvAlpha = Math.log(1.1239 + 1.1328 / (b - 3.4));
    }
    if (Math.log(v) + logInvAlpha - Math.log(a / (us * us) + b) <= -mean + k * logMean - lnFactorial(k)) return k;
  }
}
