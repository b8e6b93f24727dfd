/**
 * Levenberg–Marquardt for small nonlinear least-squares problems whose residuals come from
 * an expensive, non-differentiable-in-code model (here the n-body transit times): the
 * Jacobian is taken by central differences (one-sided where a side is invalid), the damped
 * normal equations (JᵀJ + λ diag JᵀJ) δ = −Jᵀr are solved by Cholesky on the equilibrated
 * matrix, and λ adapts (÷10 on success, ×10 on failure; Marquardt 1963).
 *
 * At the optimum (JᵀJ)⁻¹ is the Laplace (Gauss–Newton) covariance of the parameters for
 * residuals normalised by their σ — the samplers use it to place their starting walkers.
 */
import { cholesky, lowerSolveInPlace } from '../inference/linalg.js';

export interface LeastSquaresProblem {
  nResiduals: number;
  /** Residuals at x into out; false where the model is undefined (outside the support). */
  residuals(x: Float64Array, out: Float64Array): boolean;
  /** Finite-difference step of each parameter. */
  steps: ArrayLike<number>;
}

export interface LeastSquaresOptions {
  maxIterations?: number;
  /** Stop when χ² improves by less than this fraction (default 1e-8) … */
  relativeTolerance?: number;
  /** … or every step is below this many conditional σ (default 1e-4). */
  stepTolerance?: number;
  onIteration?: (iteration: number, chi2: number) => void;
}

export interface LeastSquaresResult {
  x: Float64Array;
  chi2: number;
  /** (JᵀJ)⁻¹ at x, row-major; undefined when singular. */
  covariance: Float64Array | undefined;
  iterations: number;
  /** Residual evaluations. */
  evaluations: number;
  converged: boolean;
}

export function levenbergMarquardt(problem: LeastSquaresProblem, x0: ArrayLike<number>, options: LeastSquaresOptions = {}): LeastSquaresResult {
  const d = x0.length;
  const m = problem.nResiduals;
  const maxIterations = options.maxIterations ?? 200;
  const relTol = options.relativeTolerance ?? 1e-8;
  const stepTol = options.stepTolerance ?? 1e-4;
  const x = Float64Array.from(x0);
  const r = new Float64Array(m);
  const rTrial = new Float64Array(m);
  const rPlus = new Float64Array(m);
  const rMinus = new Float64Array(m);
  const jac = new Float64Array(d * m); // row j = ∂r/∂x_j
  const jtj = new Float64Array(d * d);
  const jtr = new Float64Array(d);
  const damped = new Float64Array(d * d);
  const l = new Float64Array(d * d);
  const delta = new Float64Array(d);
  const trial = new Float64Array(d);
  let evaluations = 0;
  const evalAt = (p: Float64Array, out: Float64Array): number => {
    evaluations++;
    if (!problem.residuals(p, out)) return Infinity;
    let s = 0;
    for (let i = 0; i < m; i++) s += out[i] * out[i];
    return Number.isFinite(s) ? s : Infinity;
  };
  let chi2 = evalAt(x, r);
  if (chi2 === Infinity) return { x, chi2, covariance: undefined, iterations: 0, evaluations, converged: false };

  const buildNormal = (): void => {
    for (let j = 0; j < d; j++) {
      const h = problem.steps[j];
      const xj = x[j];
      x[j] = xj + h;
      const okP = evalAt(x, rPlus) < Infinity;
      x[j] = xj - h;
      const okM = evalAt(x, rMinus) < Infinity;
      x[j] = xj;
      const row = j * m;
      for (let i = 0; i < m; i++) {
        jac[row + i] = okP && okM ? (rPlus[i] - rMinus[i]) / (2 * h) : okP ? (rPlus[i] - r[i]) / h : okM ? (r[i] - rMinus[i]) / h : 0;
      }
    }
    for (let a = 0; a < d; a++) {
      let g = 0;
      for (let i = 0; i < m; i++) g += jac[a * m + i] * r[i];
      jtr[a] = g;
      for (let b = 0; b <= a; b++) {
        let s = 0;
        for (let i = 0; i < m; i++) s += jac[a * m + i] * jac[b * m + i];
        jtj[a * d + b] = s;
        jtj[b * d + a] = s;
      }
    }
  };

  let lambda = 1e-3;
  let iterations = 0;
  let converged = false;
  buildNormal();
  while (iterations < maxIterations) {
    iterations++;
    damped.set(jtj);
    for (let j = 0; j < d; j++) damped[j * d + j] = jtj[j * d + j] * (1 + lambda) + 1e-300;
    for (let j = 0; j < d; j++) delta[j] = -jtr[j];
    if (!solveSpd(damped, delta, d, l)) {
      lambda *= 10;
      if (lambda > 1e16) break;
      continue;
    }
    for (let j = 0; j < d; j++) trial[j] = x[j] + delta[j];
    const c2 = evalAt(trial, rTrial);
    if (c2 < chi2) {
      let stepSigma = 0;
      for (let j = 0; j < d; j++) stepSigma = Math.max(stepSigma, Math.abs(delta[j]) * Math.sqrt(jtj[j * d + j]));
      const drop = chi2 - c2;
      x.set(trial);
      r.set(rTrial);
      chi2 = c2;
      options.onIteration?.(iterations, chi2);
      lambda = Math.max(lambda / 10, 1e-12);
      if (drop < relTol * Math.max(chi2, 1) || stepSigma < stepTol) {
        converged = true;
        break;
      }
      buildNormal();
    } else {
      lambda *= 10;
      if (lambda > 1e16) {
        converged = true; // no downhill step at machine precision: a minimum
        break;
      }
    }
  }
  if (converged) buildNormal();
  return { x, chi2, covariance: invertSpd(jtj, d), iterations, evaluations, converged };
}

/** Solves A y = b in place (A symmetric positive definite, equilibrated first); false if not SPD. */
function solveSpd(a: Float64Array, b: Float64Array, n: number, l: Float64Array): boolean {
  const s = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (!(a[i * n + i] > 0)) return false;
    s[i] = 1 / Math.sqrt(a[i * n + i]);
  }
  const eq = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) eq[i * n + j] = a[i * n + j] * s[i] * s[j];
  if (!cholesky(eq, n, l)) return false;
  for (let i = 0; i < n; i++) b[i] *= s[i];
  lowerSolveInPlace(l, n, b);
  for (let i = n - 1; i >= 0; i--) {
    let v = b[i];
    for (let k = i + 1; k < n; k++) v -= l[k * n + i] * b[k];
    b[i] = v / l[i * n + i];
  }
  for (let i = 0; i < n; i++) b[i] *= s[i];
  return true;
}

/** Inverse of a symmetric positive-definite matrix; undefined when singular. */
export function invertSpd(a: Float64Array, n: number): Float64Array | undefined {
  const inv = new Float64Array(n * n);
  const col = new Float64Array(n);
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    col.fill(0);
    col[j] = 1;
    if (!solveSpd(a, col, n, l)) return undefined;
    for (let i = 0; i < n; i++) inv[i * n + j] = col[i];
  }
  for (let i = 0; i < n; i++) if (!(inv[i * n + i] > 0) || !Number.isFinite(inv[i * n + i])) return undefined;
  return inv;
}
