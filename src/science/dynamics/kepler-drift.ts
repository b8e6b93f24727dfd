/**
 * The Kepler drift: advance a two-body relative state (position in AU, velocity in AU/day)
 * by a time step under GM = mu, in place, with Gauss's f and g functions.
 *
 * Bound orbits (the normal case) are solved in the eccentric-anomaly difference ΔE:
 *   n·Δt = ΔE + (e sin E0)(1 − cos ΔE) − (e cos E0) sin ΔE,
 * with e cos E0 = 1 − r0/a and e sin E0 = (r0·v0)/√(mu·a). Half-angle sines keep 1 − cos ΔE
 * accurate for small steps. The integrator's drifts are a small fraction of an orbit: for
 * those a fourth-order series inversion of this equation followed by one Halley step is
 * exact to rounding, and runs as straight-line code (no loop, no library call for small
 * angles), which lets the CPU overlap the drifts of several planets. Anything else (a long
 * drift, a high eccentricity at pericentre) falls through to Halley's method inside a
 * bracket (the root lies within n·Δt ± 2e). Near-parabolic and unbound states use the universal-variable form (Stumpff
 * functions, Newton with bisection safeguard), as in Danby's "Fundamentals of Celestial
 * Mechanics" §6.9.
 *
 * The state is stored as six consecutive doubles (x, y, z, vx, vy, vz) at offset `o`, so
 * the integrator can keep all planets in one Float64Array. No allocation in the packed form.
 */
import { DynamicsError } from './errors.js';

const TWO_PI = 2 * Math.PI;
/** β·r0/mu below this (e ≳ 0.999, or unbound) goes to the universal-variable branch. */
const ELLIPTIC_MIN = 1e-3;
const MAX_ITER = 60;
/** |n·Δt| below which the straight-line path is tried (its series start needs a small M). */
const FAST_M_MAX = 1;
/** The one Halley step is accepted when |ΔX| < FAST_TOL·F′ (error left ~ e·ΔX³/F′² < 1e-15·e). */
const FAST_TOL = 1e-5;
// Taylor coefficients of sin and cos (−1)^k/(2k+1)!, (−1)^k/(2k)!.
const S3 = -1 / 6;
const S5 = 1 / 120;
const S7 = -1 / 5040;
const S9 = 1 / 362880;
const S11 = -1 / 39916800;
const S13 = 1 / 6227020800;
const C2 = -1 / 2;
const C4 = 1 / 24;
const C6 = -1 / 720;
const C8 = 1 / 40320;
const C10 = -1 / 3628800;
const C12 = 1 / 479001600;
const C14 = -1 / 87178291200;

export function keplerDrift(s: Float64Array, o: number, mu: number, dt: number): void {
  keplerDriftPacked(s, o, Float64Array.of(mu, 1 / mu, dt), 0);
}

/**
 * The same drift with its numbers in an array: par[k] = mu, par[k + 1] = 1/mu, par[k + 2] = Δt.
 * The integrator calls this form: V8 boxes every double passed as an argument to a function
 * it does not inline (a heap allocation per call), while typed-array reads cost nothing.
 */
export function keplerDriftPacked(s: Float64Array, o: number, par: Float64Array, k: number): void {
  const mu = par[k];
  const invMu = par[k + 1];
  const dt = par[k + 2];
  if (dt === 0) return;
  const x = s[o];
  const y = s[o + 1];
  const z = s[o + 2];
  const vx = s[o + 3];
  const vy = s[o + 4];
  const vz = s[o + 5];
  const r0 = Math.sqrt(x * x + y * y + z * z);
  const invR0 = 1 / r0;
  const v2 = vx * vx + vy * vy + vz * vz;
  const eta0 = x * vx + y * vy + z * vz;
  const beta = 2 * mu * invR0 - v2; // = mu / a
  if (!(beta * r0 > ELLIPTIC_MIN * mu)) {
    universalDrift(s, o, r0, eta0, beta, mu, dt);
    return;
  }
  // Divisions are slow: form the few reciprocals once (1/mu may come precomputed).
  const isb = 1 / Math.sqrt(beta); // 1/√β
  const invBeta = isb * isb;
  const sqrtBeta = beta * isb;
  const a = mu * invBeta;
  const n = beta * sqrtBeta * invMu;
  const kk = r0 * beta * invMu; // 1 − e cos E0 = r0/a
  const ec = 1 - kk; // e cos E0
  const es = eta0 * sqrtBeta * invMu; // e sin E0
  let dtr = dt;
  let m = n * dt;
  let X = 0;
  let sh = 0; // sin(X/2)
  let ch = 1; // cos(X/2)
  let solved = false;
  let invFp = 0; // 1/F′(X) = a/r at the end of the drift
  if (m < FAST_M_MAX && m > -FAST_M_MAX) {
    // The integrator's case (a small fraction of an orbit per call), straight-line code:
    // fourth-order series start, one Halley step, accepted when the step shows the start was
    // already close (Halley is cubic: the error left is ~ e·|ΔX|³/F′², far below rounding).
    const invK = a * invR0; // 1/(1 − e cos E0)
    const mk = m * invK;
    const mk2 = mk * mk;
    X = mk + mk2 * invK * (-0.5 * es + (0.5 * es * es * invK - ec / 6) * mk + mk2 * invK * invK * es * (kk * (ec * (5 / 12) + kk / 24) - 0.625 * es * es));
    const hx = 0.5 * X;
    if (hx < 0.4 && hx > -0.4) {
      // Taylor series to x¹³ and x¹⁴: truncation < 1e-18 for |x| < 0.4, and no library call.
      // Estrin's grouping: a shorter chain of dependent operations than Horner's.
      const u2 = hx * hx;
      const u4 = u2 * u2;
      const u8 = u4 * u4;
      sh = hx + hx * u2 * (S3 + S5 * u2 + u4 * (S7 + S9 * u2) + u8 * (S11 + S13 * u2));
      ch = 1 + u2 * (C2 + C4 * u2 + u4 * (C6 + C8 * u2) + u8 * (C10 + C12 * u2 + u4 * C14));
    } else {
      sh = Math.sin(hx);
      ch = Math.cos(hx);
    }
    const sx = 2 * sh * ch;
    const omc = 2 * sh * sh;
    const F = X + es * omc - ec * sx - m;
    const Fp = 1 + es * sx - ec * (1 - omc);
    const Fpp = es * (1 - omc) + ec * sx;
    // Halley's step −F·F′/(F′² − F·F″/2) = −u/(1 − w), u = F/F′, w = u·F″/(2F′), by its
    // series (|w| < 1e-5 when accepted: the w³ term left is below rounding): one division.
    const iFp = 1 / Fp;
    const u = F * iFp;
    const w = 0.5 * u * Fpp * iFp;
    const dX = -u * (1 + w + w * w);
    if (dX < FAST_TOL * Fp && dX > -FAST_TOL * Fp) {
      X += dX;
      // Rotate the half-angle pair by dX/2 (|dX/2| < 1e-5: two series terms are exact to rounding).
      const d = 0.5 * dX;
      const d2 = d * d;
      const sd = d - d * d2 * (1 / 6);
      const cd = 1 - 0.5 * d2;
      const sh1 = sh * cd + ch * sd;
      ch = ch * cd - sh * sd;
      sh = sh1;
      // 1/F′ at the root from the start's: F′(X + ΔX) = F′ + F″ΔX + (1 − F′)ΔX²/2 + O(e ΔX³)
      // (F‴ = 1 − F′), so 1/F′ = (1/F′)(1 − δ + δ²) with δ < 1e-5·e, to rounding.
      const delta = (Fpp * dX + 0.5 * (1 - Fp) * dX * dX) * iFp;
      invFp = iFp * (1 - delta + delta * delta);
      solved = true;
    }
  }
  if (!solved) {
    // Whole orbits change nothing; solve for the remainder so ΔE stays within ±π.
    if (m > Math.PI || m < -Math.PI) {
      const period = TWO_PI / n;
      dtr = dt - period * Math.round(dt / period);
      m = n * dtr;
    }
    // |F(X) − (X − M)| = e·|sin E0 − sin(E0 + X)| ≤ 2e ≤ 2(|ec| + |es|): a bracket for the root.
    const eBound = 2 * (Math.abs(ec) + Math.abs(es)) + 1e-15;
    let lo = m - eBound;
    let hi = m + eBound;
    // Third-order start from the series inversion of F(X) = M (error O(e·M⁴)).
    const invK = a * invR0;
    const mk = m * invK;
    X = mk + mk * mk * invK * (-0.5 * es + (0.5 * es * es * invK - ec / 6) * mk);
    if (!(X > lo && X < hi)) X = m;
    // Half-angle sine and cosine of X: one sin and one cos per drift; later iterates are
    // reached by rotating them through the (small) correction.
    sh = Math.sin(0.5 * X);
    ch = Math.cos(0.5 * X);
    let iter = 0;
    for (; iter < MAX_ITER; iter++) {
      const sx = 2 * sh * ch;
      const omc = 2 * sh * sh;
      const F = X + es * omc - ec * sx - m;
      if (F === 0) break;
      const Fp = 1 + es * sx - ec * (1 - omc);
      const Fpp = es * (1 - omc) + ec * sx;
      // Halley: dX = −F/(F' − F·F''/(2F')).
      let dX = (-F * Fp) / (Fp * Fp - 0.5 * F * Fpp);
      if (F < 0) lo = X;
      else hi = X;
      const small = Math.abs(dX) < 1e-2;
      if (!small && !(X + dX > lo && X + dX < hi)) dX = 0.5 * (lo + hi) - X;
      X += dX;
      if (small) {
        // Rotate by d = dX/2 with sin d, cos d from their series (|d| < 5e-3: error < 1e-26).
        const d = 0.5 * dX;
        const d2 = d * d;
        const sd = d * (1 - (d2 / 6) * (1 - (d2 / 20) * (1 - d2 / 42)));
        const cd = 1 - (d2 / 2) * (1 - (d2 / 12) * (1 - (d2 / 30) * (1 - d2 / 56)));
        const sh1 = sh * cd + ch * sd;
        ch = ch * cd - sh * sd;
        sh = sh1;
        // Halley is cubic: a step below 1e-7 leaves an error far below rounding.
        if (Math.abs(dX) < 1e-7) break;
      } else {
        sh = Math.sin(0.5 * X);
        ch = Math.cos(0.5 * X);
      }
    }
    if (iter === MAX_ITER) throw new DynamicsError('NOT_CONVERGED', `Kepler drift did not converge (mu=${mu}, dt=${dt})`);
    invFp = 1 / (1 + es * 2 * sh * ch - ec * (1 - 2 * sh * sh));
  }
  const sx = 2 * sh * ch;
  const omc = 2 * sh * sh;
  const invR = beta * invMu * invFp; // 1/r, r = a·F'(X)
  const fm1 = -a * invR0 * omc; // f − 1
  const g = dtr - (X - sx) * mu * invBeta * isb; // Δt − (X − sin X)/n
  const fdot = -mu * isb * sx * invR * invR0;
  const gdm1 = -a * invR * omc; // ġ − 1
  // x + ((f − 1)x + g v) keeps the rounding of a small step small.
  s[o] = x + (fm1 * x + g * vx);
  s[o + 1] = y + (fm1 * y + g * vy);
  s[o + 2] = z + (fm1 * z + g * vz);
  s[o + 3] = vx + (fdot * x + gdm1 * vx);
  s[o + 4] = vy + (fdot * y + gdm1 * vy);
  s[o + 5] = vz + (fdot * z + gdm1 * vz);
}

/**
 * JavaScript source of the straight-line path of keplerDriftPacked for the state at
 * jac[o..o+5], with μ, 1/μ and Δt given as expressions: the same operations in the same order
 * (so the same results to the last bit), for the unrolled step (step-kernel.ts) to inline.
 * Where that path does not apply, it sets par[k + 2] = Δt and calls `drift(jac, o, par, k)`,
 * i.e. this function's full form. Uses the local names of one block scope only.
 */
export function keplerDriftInlineSource(o: number, k: number, mu: string, invMu: string, dt: string): string {
  return `{ const mu = ${mu}, invMu = ${invMu}, dt = ${dt};
  const x = jac[${o}], y = jac[${o + 1}], z = jac[${o + 2}], vx = jac[${o + 3}], vy = jac[${o + 4}], vz = jac[${o + 5}];
  const r0 = Math.sqrt(x * x + y * y + z * z), invR0 = 1 / r0;
  const v2 = vx * vx + vy * vy + vz * vz, eta0 = x * vx + y * vy + z * vz;
  const beta = 2 * mu * invR0 - v2;
  const isb = 1 / Math.sqrt(beta), invBeta = isb * isb, sqrtBeta = beta * isb, a = mu * invBeta, n = beta * sqrtBeta * invMu;
  const kk = r0 * beta * invMu, ec = 1 - kk, es = eta0 * sqrtBeta * invMu;
  const m = n * dt, invK = a * invR0, mk = m * invK, mk2 = mk * mk;
  let X = mk + mk2 * invK * (-0.5 * es + (0.5 * es * es * invK - ec / 6) * mk + mk2 * invK * invK * es * (kk * (ec * (5 / 12) + kk / 24) - 0.625 * es * es));
  const hx = 0.5 * X, u2 = hx * hx, u4 = u2 * u2, u8 = u4 * u4;
  let sh = hx + hx * u2 * (${S3} + ${S5} * u2 + u4 * (${S7} + ${S9} * u2) + u8 * (${S11} + ${S13} * u2));
  let ch = 1 + u2 * (${C2} + ${C4} * u2 + u4 * (${C6} + ${C8} * u2) + u8 * (${C10} + ${C12} * u2 + u4 * ${C14}));
  let sx = 2 * sh * ch, omc = 2 * sh * sh;
  const F = X + es * omc - ec * sx - m, Fp = 1 + es * sx - ec * (1 - omc), Fpp = es * (1 - omc) + ec * sx;
  const iFp = 1 / Fp, u = F * iFp, w = 0.5 * u * Fpp * iFp, dX = -u * (1 + w + w * w);
  if (beta * r0 > ${ELLIPTIC_MIN} * mu && m < ${FAST_M_MAX} && m > -${FAST_M_MAX} && hx < 0.4 && hx > -0.4 && dX < ${FAST_TOL} * Fp && dX > -${FAST_TOL} * Fp && dt !== 0) {
    X += dX;
    const d = 0.5 * dX, d2 = d * d, sd = d - d * d2 * (1 / 6), cd = 1 - 0.5 * d2;
    const sh1 = sh * cd + ch * sd;
    ch = ch * cd - sh * sd;
    sh = sh1;
    const delta = (Fpp * dX + 0.5 * (1 - Fp) * dX * dX) * iFp;
    const invFp = iFp * (1 - delta + delta * delta);
    sx = 2 * sh * ch;
    omc = 2 * sh * sh;
    const invR = beta * invMu * invFp, fm1 = -a * invR0 * omc, g = dt - (X - sx) * mu * invBeta * isb;
    const fdot = -mu * isb * sx * invR * invR0, gdm1 = -a * invR * omc;
    jac[${o}] = x + (fm1 * x + g * vx); jac[${o + 1}] = y + (fm1 * y + g * vy); jac[${o + 2}] = z + (fm1 * z + g * vz);
    jac[${o + 3}] = vx + (fdot * x + gdm1 * vx); jac[${o + 4}] = vy + (fdot * y + gdm1 * vy); jac[${o + 5}] = vz + (fdot * z + gdm1 * vz);
  } else {
    par[${k + 2}] = dt;
    drift(jac, ${o}, par, ${k});
  } }`;
}

/** Stumpff function c2(z) = (1 − cos √z)/z (continued to z ≤ 0). */
function stumpffC2(z: number): number {
  if (Math.abs(z) < 1) {
    // c2(z) = Σ_j (−z)^j / (2j + 2)!
    let t = 0.5;
    let c = t;
    for (let j = 1; j < 14; j++) {
      t *= -z / ((2 * j + 1) * (2 * j + 2));
      c += t;
    }
    return c;
  }
  if (z > 0) return (1 - Math.cos(Math.sqrt(z))) / z;
  return (Math.cosh(Math.sqrt(-z)) - 1) / -z;
}

/** Stumpff function c3(z) = (√z − sin √z)/z^{3/2} (continued to z ≤ 0). */
function stumpffC3(z: number): number {
  if (Math.abs(z) < 1) {
    // c3(z) = Σ_j (−z)^j / (2j + 3)!
    let t = 1 / 6;
    let c = t;
    for (let j = 1; j < 14; j++) {
      t *= -z / ((2 * j + 2) * (2 * j + 3));
      c += t;
    }
    return c;
  }
  if (z > 0) {
    const w = Math.sqrt(z);
    return (w - Math.sin(w)) / (z * w);
  }
  const w = Math.sqrt(-z);
  return (Math.sinh(w) - w) / (-z * w);
}

/**
 * Universal-variable drift (rarely used: near-parabolic or unbound relative orbits). Solves
 * r0·s + η0·G2 + ζ0·G3 = Δt for the universal anomaly s, with G_k = s^k c_k(β s²) and
 * ζ0 = mu − β r0, then applies f, g, ḟ, ġ. Writes the new state into s[o..o+5].
 */
function universalDrift(st: Float64Array, o: number, r0: number, eta0: number, beta: number, mu: number, dt: number): void {
  const zeta0 = mu - beta * r0;
  // F(s) increases monotonically (dF/ds = r > 0): bracket the root, then safeguarded Newton.
  const dir = dt > 0 ? 1 : -1;
  let lo = 0;
  let hi = dt / r0;
  for (let guard = 0; ; guard++) {
    const s2 = hi * hi;
    const z = beta * s2;
    const F = r0 * hi + eta0 * s2 * stumpffC2(z) + zeta0 * s2 * hi * stumpffC3(z) - dt;
    if (dir * F >= 0) break;
    if (guard > 200) throw new DynamicsError('NOT_CONVERGED', `universal Kepler drift could not bracket the root (dt=${dt})`);
    lo = hi;
    hi *= 2;
  }
  let sv = 0.5 * (lo + hi);
  let G1 = 0;
  let G2 = 0;
  let r = r0;
  for (let iter = 0; iter < 200; iter++) {
    const s2 = sv * sv;
    const z = beta * s2;
    const c2 = stumpffC2(z);
    const c3 = stumpffC3(z);
    G2 = s2 * c2;
    const G3 = s2 * sv * c3;
    G1 = sv * (1 - z * c3);
    // dF/ds = r = r0 + η0·G1 + ζ0·G2 (dG3/ds = G2, dG2/ds = G1).
    r = r0 + eta0 * G1 + zeta0 * G2;
    const F = r0 * sv + eta0 * G2 + zeta0 * G3 - dt;
    if (dir * F < 0) lo = sv;
    else hi = sv;
    let next = sv - F / r;
    if (!((next - lo) * (next - hi) < 0)) next = 0.5 * (lo + hi);
    const done = Math.abs(next - sv) <= 1e-15 * Math.abs(next) || lo === hi;
    if (done) break;
    sv = next;
  }
  const fm1 = (-mu * G2) / r0;
  const g = r0 * G1 + eta0 * G2;
  const fdot = (-mu * G1) / (r * r0);
  const gdm1 = (-mu * G2) / r;
  const x = st[o];
  const y = st[o + 1];
  const z = st[o + 2];
  const vx = st[o + 3];
  const vy = st[o + 4];
  const vz = st[o + 5];
  st[o] = x + (fm1 * x + g * vx);
  st[o + 1] = y + (fm1 * y + g * vy);
  st[o + 2] = z + (fm1 * z + g * vz);
  st[o + 3] = vx + (fdot * x + gdm1 * vx);
  st[o + 4] = vy + (fdot * y + gdm1 * vy);
  st[o + 5] = vz + (fdot * z + gdm1 * vz);
}
