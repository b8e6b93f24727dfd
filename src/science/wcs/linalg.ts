/**
 * Small dense linear least squares by Householder QR (Golub & Van Loan §5.3), for WCS fits:
 * tens to thousands of rows, at most a few dozen columns, several right-hand sides sharing
 * one design matrix. QR rather than normal equations keeps order-4 polynomial fits
 * well-conditioned.
 */
import { WcsError } from './errors.js';

/**
 * Minimises ‖A·X − B‖ column by column. A is m×n row-major, B m×k row-major (both are
 * overwritten); returns X, n×k row-major. Throws when A is rank-deficient.
 */
export function leastSquares(a: Float64Array, m: number, n: number, b: Float64Array, k: number): Float64Array {
  if (m < n) throw new WcsError('BAD_ARGUMENT', `least squares needs at least ${n} equations, got ${m}`);
  const diag = new Float64Array(n);
  let maxDiag = 0;
  for (let j = 0; j < n; j++) {
    // Householder vector for column j, rows j..m-1.
    let norm = 0;
    for (let i = j; i < m; i++) norm = Math.hypot(norm, a[i * n + j]);
    if (norm === 0) {
      diag[j] = 0;
      continue;
    }
    const alpha = a[j * n + j] > 0 ? -norm : norm;
    // v = x − alpha·e1, stored in place; vᵀv = 2·norm·(norm + |x0|).
    a[j * n + j] -= alpha;
    const vtv = 2 * norm * (norm + Math.abs(a[j * n + j] + alpha));
    diag[j] = alpha;
    maxDiag = Math.max(maxDiag, Math.abs(alpha));
    if (vtv === 0) continue;
    // Apply H = I − 2vvᵀ/(vᵀv) to the remaining columns of A and to B.
    for (let c = j + 1; c < n; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += a[i * n + j] * a[i * n + c];
      const f = (2 * s) / vtv;
      for (let i = j; i < m; i++) a[i * n + c] -= f * a[i * n + j];
    }
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let i = j; i < m; i++) s += a[i * n + j] * b[i * k + c];
      const f = (2 * s) / vtv;
      for (let i = j; i < m; i++) b[i * k + c] -= f * a[i * n + j];
    }
  }
  const tol = maxDiag * n * 1e-13;
  for (let j = 0; j < n; j++) {
    if (!(Math.abs(diag[j]) > tol)) throw new WcsError('BAD_ARGUMENT', 'the fit is degenerate (points collinear or too few for the model)');
  }
  // Back substitution R·X = Qᵀ·B (upper triangle of R above the diagonal is in a).
  const x = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    for (let j = n - 1; j >= 0; j--) {
      let s = b[j * k + c];
      for (let l = j + 1; l < n; l++) s -= a[j * n + l] * x[l * k + c];
      x[j * k + c] = s / diag[j];
    }
  }
  return x;
}
