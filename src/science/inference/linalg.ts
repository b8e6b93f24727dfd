/**
 * Small dense linear algebra for the samplers (dimensions of tens at most): sample mean
 * and covariance of row-major point sets, Cholesky factorisation, triangular products.
 * Matrices are row-major Float64Array of n×n.
 */

/** Mean of `count` rows of length `nDim` stored at `rows` (row-major) into `out`. */
export function rowMean(rows: Float64Array, count: number, nDim: number, out: Float64Array): Float64Array {
  out.fill(0, 0, nDim);
  for (let i = 0; i < count; i++) {
    const o = i * nDim;
    for (let d = 0; d < nDim; d++) out[d] += rows[o + d];
  }
  for (let d = 0; d < nDim; d++) out[d] /= count;
  return out;
}

/**
 * Covariance (divisor count − 1, or 1 when count = 1) of the rows listed in `index`
 * (all rows when absent) about `mean`; writes the full symmetric matrix.
 */
export function rowCovariance(
  rows: Float64Array,
  count: number,
  nDim: number,
  mean: Float64Array,
  out: Float64Array,
  index?: Int32Array,
): Float64Array {
  out.fill(0, 0, nDim * nDim);
  for (let k = 0; k < count; k++) {
    const o = (index ? index[k] : k) * nDim;
    for (let a = 0; a < nDim; a++) {
      const da = rows[o + a] - mean[a];
      for (let b = 0; b <= a; b++) out[a * nDim + b] += da * (rows[o + b] - mean[b]);
    }
  }
  const div = count > 1 ? count - 1 : 1;
  for (let a = 0; a < nDim; a++) {
    for (let b = 0; b <= a; b++) {
      const v = out[a * nDim + b] / div;
      out[a * nDim + b] = v;
      out[b * nDim + a] = v;
    }
  }
  return out;
}

/**
 * Lower Cholesky factor L (A = L Lᵀ) of the symmetric matrix `a` into `out` (upper part
 * zeroed). Returns false when `a` is not numerically positive definite.
 */
export function cholesky(a: Float64Array, n: number, out: Float64Array): boolean {
  out.fill(0, 0, n * n);
  for (let j = 0; j < n; j++) {
    let s = a[j * n + j];
    for (let k = 0; k < j; k++) s -= out[j * n + k] * out[j * n + k];
    if (!(s > 0) || !Number.isFinite(s)) return false;
    const ljj = Math.sqrt(s);
    out[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let t = a[i * n + j];
      for (let k = 0; k < j; k++) t -= out[i * n + k] * out[j * n + k];
      out[i * n + j] = t / ljj;
    }
  }
  return true;
}

/** y = L x for lower-triangular L (y may not alias x). */
export function lowerMul(l: Float64Array, n: number, x: Float64Array, y: Float64Array, yOffset = 0): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += l[i * n + k] * x[k];
    y[yOffset + i] = s;
  }
}

/** Solves L y = x (forward substitution) in place on `x` (from `offset`). */
export function lowerSolveInPlace(l: Float64Array, n: number, x: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = x[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * x[k];
    x[i] = s / l[i * n + i];
  }
}

/** log det(A) from its Cholesky factor L: 2 Σ log L_ii. */
export function logDetFromCholesky(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]);
  return 2 * s;
}

/** log of the volume of the unit n-ball: (n/2) log π − log Γ(n/2 + 1). */
export function logUnitBallVolume(n: number): number {
  return (n / 2) * Math.log(Math.PI) - logGammaHalfInteger(n + 2);
}

/** log Γ(m/2) for a positive integer m, exactly by recurrence from Γ(1) = 1, Γ(1/2) = √π. */
function logGammaHalfInteger(m: number): number {
  let s = m % 2 === 0 ? 0 : 0.5 * Math.log(Math.PI);
  for (let k = m % 2 === 0 ? 2 : 1; k + 2 <= m; k += 2) s += Math.log(k / 2);
  return s;
}
