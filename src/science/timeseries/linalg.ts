/** Small dense symmetric solves for the per-frequency least-squares fits. */

/**
 * Solves A·x = b in place for a symmetric positive-definite K×K matrix `a` (row-major,
 * overwritten by its Cholesky factor) and `b` (overwritten by x). Returns false when A is
 * not positive definite to working precision (a pivot ≤ `relTol` × its diagonal entry).
 */
export function choleskySolve(a: Float64Array, b: Float64Array, k: number, relTol = 1e-12): boolean {
  if (!choleskyFactor(a, k, relTol)) return false;
  choleskySolveFactored(a, b, k);
  return true;
}

/** Cholesky factor L (lower triangle of `a`, in place); false when not positive definite to `relTol`. */
export function choleskyFactor(a: Float64Array, k: number, relTol = 1e-12): boolean {
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j];
    const diag = d;
    for (let p = 0; p < j; p++) d -= a[j * k + p] * a[j * k + p];
    if (!(d > relTol * Math.abs(diag)) || !(d > 0)) return false;
    const l = Math.sqrt(d);
    a[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j];
      for (let p = 0; p < j; p++) s -= a[i * k + p] * a[j * k + p];
      a[i * k + j] = s / l;
    }
  }
  return true;
}

/** Solves L·Lᵀ·x = b in place with the factor from choleskyFactor. */
export function choleskySolveFactored(a: Float64Array, b: Float64Array, k: number): void {
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let p = 0; p < i; p++) s -= a[i * k + p] * b[p];
    b[i] = s / a[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i];
    for (let p = i + 1; p < k; p++) s -= a[p * k + i] * b[p];
    b[i] = s / a[i * k + i];
  }
}
