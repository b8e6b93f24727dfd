/**
 * Mid-transit time of one transit window: a least-squares fit of
 *
 *   flux(t) ≈ B(x) · F(t; tc, shape),   B(x) = Σₖ cₖ xᵏ,   x = (t − t_guess) / half-span,
 *
 * with F the quadratic limb-darkened transit model (model.ts), the polynomial baseline B
 * multiplicative (it scales the stellar flux, as detrending does), and the shape (Rp/R*,
 * a/R*, impact parameter b) either held fixed — e.g. shared from a fit of all transits —
 * or fitted too. Limb darkening, period and eccentricity are always held.
 *
 * Method: a coarse scan of tc (χ² with the baseline solved linearly at each trial) gives a
 * start inside the right minimum; Levenberg–Marquardt refines all parameters. The
 * uncertainty is the Laplace estimate: the posterior for flat priors approximated by a
 * Gaussian at the optimum whose covariance is the inverse curvature of χ²/2, here the
 * Gauss–Newton matrix (JᵀWJ)⁻¹ (the neglected residual × second-derivative terms average
 * to zero for a correct model). An MCMC alternative lives in science/inference.
 *
 * A window is flagged `partial` when the data miss the whole ingress or egress, or have no
 * out-of-transit points on one side: its time is then held up by the shape alone.
 */
import { TransitError, requireFinite } from './errors.js';
import { transitLightCurve, type TransitParams } from './model.js';

export interface TransitShape {
  /** Rp/R*. */
  rp: number;
  /** a/R*. */
  a: number;
  /** Inclination (degrees). */
  incDeg: number;
  /** Quadratic limb darkening [u1, u2] (held fixed). */
  u: readonly [number, number];
  ecc?: number;
  omegaDeg?: number;
  /** Exposure time and supersampling, passed to the model. */
  exposureDays?: number;
  supersample?: number;
}

export interface TransitTimeOptions {
  /** First guess of mid-transit (days, same scale as the times). */
  tcGuessDays: number;
  periodDays: number;
  shape: TransitShape;
  /** Degree of the multiplicative baseline polynomial (0–5; default 1). */
  baselineOrder?: number;
  /** Also fit rp, a/R* and b (default false: shape held fixed). */
  freeShape?: boolean;
  /** Half-width of the initial tc scan (days; default half the transit duration). */
  searchHalfWidthDays?: number;
  /** Multiply the covariance by χ²/dof when that exceeds 1 (default false). */
  scaleErrors?: boolean;
  maxIterations?: number;
}

export interface TransitWindowCoverage {
  /** Points before first contact, in ingress, in the flat bottom, in egress, after last contact. */
  before: number;
  ingress: number;
  bottom: number;
  egress: number;
  after: number;
}

export interface TransitTimeFit {
  tcDays: number;
  /** Laplace (curvature) 1σ of tc (days), marginalised over the other parameters. */
  sigmaTcDays: number;
  /** Baseline coefficients c₀…c_K in x = (t − tcGuess)/halfSpanDays. */
  baseline: Float64Array;
  halfSpanDays: number;
  /** The shape used (fitted when freeShape). */
  shape: TransitShape;
  /** Names of the fitted parameters, in the order of `values` and `covariance`. */
  parameterNames: string[];
  values: Float64Array;
  /** Row-major covariance (names × names). */
  covariance: Float64Array;
  chi2: number;
  dof: number;
  iterations: number;
  converged: boolean;
  partial: boolean;
  coverage: TransitWindowCoverage;
}

const MAX_BASELINE_ORDER = 5;
const MAX_POINTS = 10_000_000;
const SCAN_STEPS = 61;

/** Total (T14) and full-depth (T23) durations in days (T23 = 0 for grazing), circular formula scaled for e. */
export function transitDurations(periodDays: number, shape: TransitShape): { t14: number; t23: number } {
  const inc = (shape.incDeg * Math.PI) / 180;
  const sinI = Math.sin(inc);
  const e = shape.ecc ?? 0;
  const w = ((shape.omegaDeg ?? 90) * Math.PI) / 180;
  // Eccentric orbits: distance and speed at conjunction rescale the circular durations.
  const ecFactor = Math.sqrt(1 - e * e) / (1 + e * Math.sin(w));
  const b = shape.a * Math.cos(inc) * ((1 - e * e) / (1 + e * Math.sin(w)));
  const dur = (reach: number): number => {
    const s = reach * reach - b * b;
    if (!(s > 0)) return 0;
    const arg = Math.sqrt(s) / (shape.a * sinI);
    return (periodDays / Math.PI) * Math.asin(Math.min(1, arg)) * ecFactor;
  };
  return { t14: dur(1 + shape.rp), t23: dur(1 - shape.rp) };
}

/** Fit the mid-transit time of one window. Times in days; flux relative; sigma > 0. */
export function fitTransitTime(
  tDays: Float64Array,
  flux: Float64Array,
  sigma: Float64Array,
  options: TransitTimeOptions,
): TransitTimeFit {
  const n = tDays.length;
  if (flux.length !== n || sigma.length !== n) {
    throw new TransitError('SIZE_MISMATCH', `times (${n}), flux (${flux.length}) and sigma (${sigma.length}) differ in length`);
  }
  if (n > MAX_POINTS) throw new TransitError('TOO_LARGE', `${n} points in one window exceeds ${MAX_POINTS}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(tDays[i]) || !Number.isFinite(flux[i])) throw new TransitError('BAD_ARGUMENT', 'time and flux must be finite (drop NaN points first)', { index: i });
    if (!(sigma[i] > 0) || !Number.isFinite(sigma[i])) throw new TransitError('BAD_ARGUMENT', `uncertainty must be positive and finite, got ${sigma[i]}`, { parameter: 'sigma', index: i });
  }
  requireFinite(options.tcGuessDays, 'tcGuessDays');
  const order = options.baselineOrder ?? 1;
  if (!Number.isInteger(order) || order < 0 || order > MAX_BASELINE_ORDER) {
    throw new TransitError('BAD_ARGUMENT', `baseline order must be an integer in [0, ${MAX_BASELINE_ORDER}], got ${order}`, { parameter: 'baselineOrder' });
  }
  const free = options.freeShape ?? false;
  const nShape = free ? 3 : 0;
  const nPar = 1 + (order + 1) + nShape;
  if (n <= nPar) throw new TransitError('TOO_FEW_POINTS', `${n} points cannot constrain ${nPar} parameters`);

  const shape0 = options.shape;
  const base: TransitParams = {
    t0: options.tcGuessDays,
    periodDays: options.periodDays,
    rp: shape0.rp,
    a: shape0.a,
    incDeg: shape0.incDeg,
    u: [shape0.u[0], shape0.u[1]],
    ecc: shape0.ecc,
    omegaDeg: shape0.omegaDeg,
    exposureDays: shape0.exposureDays,
    supersample: shape0.supersample,
  };
  transitLightCurve(new Float64Array(1), base); // validates every parameter once, up front

  let tMin = Infinity;
  let tMax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (tDays[i] < tMin) tMin = tDays[i];
    if (tDays[i] > tMax) tMax = tDays[i];
  }
  const tc0 = options.tcGuessDays;
  const halfSpan = Math.max((tMax - tMin) / 2, 1e-6);
  const { t14 } = transitDurations(options.periodDays, shape0);
  const duration = t14 > 0 ? t14 : options.periodDays / 50;

  // Scratch, allocated once per fit.
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = (tDays[i] - tc0) / halfSpan;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (sigma[i] * sigma[i]);
  const transit = new Float64Array(n);
  const work = new Float64Array(n);
  const jac = new Float64Array(nPar * n); // row j = ∂model/∂θ_j
  const resid = new Float64Array(n);
  const plus = new Float64Array(n);
  const coef = new Float64Array(order + 1);
  const pow = new Float64Array(order + 1);

  // θ = [tc, c0..cK, (rp, a, b)]; b = a cos i (impact parameter in the circular sense).
  const cosI0 = Math.cos((shape0.incDeg * Math.PI) / 180);
  const theta = new Float64Array(nPar);
  theta[0] = tc0;
  if (free) {
    theta[1 + order + 1] = shape0.rp;
    theta[1 + order + 2] = shape0.a;
    theta[1 + order + 3] = shape0.a * cosI0;
  }

  const paramsFor = (th: Float64Array, tc: number): TransitParams | undefined => {
    const p: TransitParams = { ...base, t0: tc };
    if (free) {
      const rp = th[order + 2];
      const a = th[order + 3];
      const b = th[order + 4];
      if (!(rp > 0 && rp < 1.5 && a > 1 && Math.abs(b) < a && Math.abs(b) < 1 + rp)) return undefined;
      p.rp = rp;
      p.a = a;
      p.incDeg = (Math.acos(Math.abs(b) / a) * 180) / Math.PI;
    }
    return p;
  };

  // Baseline solved linearly for a given transit curve; returns χ².
  const solveBaseline = (tr: Float64Array, out: Float64Array): number => {
    const m = order + 1;
    const ata = new Float64Array(m * m);
    const atb = new Float64Array(m);
    for (let i = 0; i < n; i++) {
      let v = tr[i];
      for (let k = 0; k < m; k++) {
        pow[k] = v;
        v *= x[i];
      }
      for (let k = 0; k < m; k++) {
        atb[k] += w[i] * pow[k] * flux[i];
        for (let l = 0; l <= k; l++) ata[k * m + l] += w[i] * pow[k] * pow[l];
      }
    }
    for (let k = 0; k < m; k++) for (let l = 0; l < k; l++) ata[l * m + k] = ata[k * m + l];
    if (!choleskySolve(ata, atb, m)) return Infinity;
    out.set(atb);
    return chi2Of(tr, out);
  };

  const chi2Of = (tr: Float64Array, c: Float64Array): number => {
    let chi2 = 0;
    for (let i = 0; i < n; i++) {
      const r = flux[i] - tr[i] * polyAt(c, x[i]);
      chi2 += r * r * w[i];
    }
    return chi2;
  };

  // 1. Coarse scan of tc with the shape held, the baseline solved linearly at each trial.
  const halfWidth = options.searchHalfWidthDays ?? duration / 2;
  requireFinite(halfWidth, 'searchHalfWidthDays', 0);
  let bestTc = tc0;
  let bestChi2 = Infinity;
  const p0 = paramsFor(theta, tc0);
  if (!p0) throw new TransitError('BAD_ARGUMENT', 'initial shape is outside the fit bounds (0 < rp < 1.5, a > 1, b < 1 + rp)', { parameter: 'shape' });
  for (let s = 0; s < SCAN_STEPS; s++) {
    const tc = tc0 + halfWidth * (halfWidth > 0 ? (2 * s) / (SCAN_STEPS - 1) - 1 : 0);
    transitLightCurve(tDays, { ...p0, t0: tc }, transit);
    const c2 = solveBaseline(transit, coef);
    if (c2 < bestChi2) {
      bestChi2 = c2;
      bestTc = tc;
    }
    if (halfWidth === 0) break;
  }
  theta[0] = bestTc;
  transitLightCurve(tDays, { ...p0, t0: bestTc }, transit);
  solveBaseline(transit, coef);
  for (let k = 0; k <= order; k++) theta[1 + k] = coef[k];

  // 2. Levenberg–Marquardt on all parameters.
  const steps = new Float64Array(nPar);
  steps[0] = Math.max(1e-4 * duration, 1e-8);
  if (free) {
    steps[order + 2] = 1e-6;
    steps[order + 3] = 1e-6 * shape0.a;
    steps[order + 4] = 1e-5;
  }
  const evalModel = (th: Float64Array, trOut: Float64Array): boolean => {
    const p = paramsFor(th, th[0]);
    if (!p) return false;
    transitLightCurve(tDays, p, trOut);
    return true;
  };
  const chi2At = (th: Float64Array): number => {
    if (!evalModel(th, work)) return Infinity;
    let chi2 = 0;
    for (let i = 0; i < n; i++) {
      const r = flux[i] - work[i] * polyTheta(th, order, x[i]);
      chi2 += r * r * w[i];
    }
    return chi2;
  };

  const buildJacobian = (th: Float64Array): void => {
    evalModel(th, transit);
    for (let i = 0; i < n; i++) {
      const bl = polyTheta(th, order, x[i]);
      resid[i] = flux[i] - transit[i] * bl;
      let v = transit[i];
      for (let k = 0; k <= order; k++) {
        jac[(1 + k) * n + i] = v;
        v *= x[i];
      }
    }
    const trial = Float64Array.from(th);
    for (const j of nonlinearIndices(order, free)) {
      const h = steps[j];
      trial[j] = th[j] + h;
      const okPlus = evalModel(trial, plus);
      trial[j] = th[j] - h;
      const okMinus = evalModel(trial, work);
      trial[j] = th[j];
      for (let i = 0; i < n; i++) {
        const bl = polyTheta(th, order, x[i]);
        let d: number;
        if (okPlus && okMinus) d = (plus[i] - work[i]) / (2 * h);
        else if (okPlus) d = (plus[i] - transit[i]) / h;
        else if (okMinus) d = (transit[i] - work[i]) / h;
        else d = 0;
        jac[j * n + i] = d * bl;
      }
    }
  };

  const normal = new Float64Array(nPar * nPar);
  const grad = new Float64Array(nPar);
  const fillNormal = (): void => {
    normal.fill(0);
    grad.fill(0);
    for (let j = 0; j < nPar; j++) {
      const rj = j * n;
      let g = 0;
      for (let i = 0; i < n; i++) g += w[i] * jac[rj + i] * resid[i];
      grad[j] = g;
      for (let k = 0; k <= j; k++) {
        const rk = k * n;
        let s = 0;
        for (let i = 0; i < n; i++) s += w[i] * jac[rj + i] * jac[rk + i];
        normal[j * nPar + k] = s;
        normal[k * nPar + j] = s;
      }
    }
  };

  let chi2 = chi2At(theta);
  let lambda = 1e-3;
  let converged = false;
  let iterations = 0;
  const maxIterations = options.maxIterations ?? 100;
  const damped = new Float64Array(nPar * nPar);
  const delta = new Float64Array(nPar);
  const candidate = new Float64Array(nPar);
  buildJacobian(theta);
  fillNormal();
  while (iterations < maxIterations) {
    iterations++;
    damped.set(normal);
    for (let j = 0; j < nPar; j++) damped[j * nPar + j] *= 1 + lambda;
    delta.set(grad);
    if (!choleskySolve(damped, delta, nPar)) {
      lambda *= 10;
      if (lambda > 1e12) break;
      continue;
    }
    for (let j = 0; j < nPar; j++) candidate[j] = theta[j] + delta[j];
    const c2 = chi2At(candidate);
    if (c2 <= chi2) {
      const drop = chi2 - c2;
      // Step size in units of each parameter's conditional σ (1/√(JᵀWJ)ⱼⱼ), before the update.
      let stepSigma = 0;
      for (let j = 0; j < nPar; j++) stepSigma = Math.max(stepSigma, Math.abs(delta[j]) * Math.sqrt(normal[j * nPar + j]));
      theta.set(candidate);
      chi2 = c2;
      lambda = Math.max(lambda / 10, 1e-12);
      buildJacobian(theta);
      fillNormal();
      if (drop < 1e-9 * Math.max(1, chi2) || stepSigma < 1e-6) {
        converged = true;
        break;
      }
    } else {
      lambda *= 10;
      if (lambda > 1e12) {
        // No downhill step exists at machine precision: we are at the minimum.
        converged = true;
        break;
      }
    }
  }

  // 3. Laplace estimate: covariance = (JᵀWJ)⁻¹ at the optimum.
  const covariance = invertSymmetric(normal, nPar);
  if (!covariance) throw new TransitError('NO_CONVERGENCE', 'the fit is degenerate (singular curvature): is the transit inside the window?');
  const dof = n - nPar;
  if (options.scaleErrors && dof > 0 && chi2 / dof > 1) {
    const s = chi2 / dof;
    for (let j = 0; j < covariance.length; j++) covariance[j] *= s;
  }

  const finalParams = paramsFor(theta, theta[0]) ?? p0;
  const shape: TransitShape = { ...shape0, rp: finalParams.rp, a: finalParams.a, incDeg: finalParams.incDeg };
  const names = ['tc', ...Array.from({ length: order + 1 }, (_, k) => `c${k}`), ...(free ? ['rp', 'a', 'b'] : [])];
  return {
    tcDays: theta[0],
    sigmaTcDays: Math.sqrt(covariance[0]),
    baseline: theta.slice(1, order + 2),
    halfSpanDays: halfSpan,
    shape,
    parameterNames: names,
    values: theta,
    covariance,
    chi2,
    dof,
    iterations,
    converged,
    ...coverageOf(tDays, theta[0], options.periodDays, shape),
  };
}

function nonlinearIndices(order: number, free: boolean): number[] {
  return free ? [0, order + 2, order + 3, order + 4] : [0];
}

function polyAt(c: Float64Array, x: number): number {
  let v = 0;
  for (let k = c.length - 1; k >= 0; k--) v = v * x + c[k];
  return v;
}

function polyTheta(th: Float64Array, order: number, x: number): number {
  let v = 0;
  for (let k = order; k >= 0; k--) v = v * x + th[1 + k];
  return v;
}

/** Which phases of the transit the data sample, and whether the window is partial. */
export function coverageOf(tDays: Float64Array, tcDays: number, periodDays: number, shape: TransitShape): { partial: boolean; coverage: TransitWindowCoverage } {
  const { t14, t23 } = transitDurations(periodDays, shape);
  const h14 = t14 / 2;
  const h23 = t23 / 2;
  const c: TransitWindowCoverage = { before: 0, ingress: 0, bottom: 0, egress: 0, after: 0 };
  for (let i = 0; i < tDays.length; i++) {
    const dt = tDays[i] - tcDays;
    if (dt < -h14) c.before++;
    else if (dt > h14) c.after++;
    else if (dt < -h23) c.ingress++;
    else if (dt > h23) c.egress++;
    else c.bottom++;
  }
  const partial = t14 === 0 || c.before === 0 || c.after === 0 || c.ingress === 0 || c.egress === 0;
  return { partial, coverage: c };
}

/** Solves A x = b in place (b ← x) for symmetric positive-definite A (m × m, row-major); false if not SPD. */
function choleskySolve(a: Float64Array, b: Float64Array, m: number): boolean {
  const l = new Float64Array(m * m);
  if (!cholesky(a, l, m)) return false;
  for (let i = 0; i < m; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * m + k] * b[k];
    b[i] = s / l[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < m; k++) s -= l[k * m + i] * b[k];
    b[i] = s / l[i * m + i];
  }
  return true;
}

function cholesky(a: Float64Array, l: Float64Array, m: number): boolean {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * m + j];
      for (let k = 0; k < j; k++) s -= l[i * m + k] * l[j * m + k];
      if (i === j) {
        if (!(s > 0)) return false;
        l[i * m + i] = Math.sqrt(s);
      } else {
        l[i * m + j] = s / l[j * m + j];
      }
    }
  }
  return true;
}

/** Inverse of a symmetric positive-definite matrix via Cholesky (undefined if singular). */
function invertSymmetric(a: Float64Array, m: number): Float64Array | undefined {
  // Equilibrate first: parameters differ in scale by many orders (tc in days, c0 ~ 1).
  const d = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    if (!(a[i * m + i] > 0)) return undefined;
    d[i] = 1 / Math.sqrt(a[i * m + i]);
  }
  const s = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) s[i * m + j] = a[i * m + j] * d[i] * d[j];
  const inv = new Float64Array(m * m);
  const col = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    col.fill(0);
    col[j] = 1;
    if (!choleskySolve(s, col, m)) return undefined;
    for (let i = 0; i < m; i++) inv[i * m + j] = col[i] * d[i] * d[j];
  }
  return inv;
}
