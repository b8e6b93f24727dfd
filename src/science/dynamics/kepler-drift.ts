/**
 * The Kepler drift: advance a two-body relative state (position in AU, velocity in AU/day)
 * by a time step under GM = mu, in place, with Gauss's f and g functions.
 *
 * Bound orbits (the normal case) are solved in the eccentric-anomaly difference ΔE:
 *   n·Δt = ΔE + (e sin E0)(1 − cos ΔE) − (e cos E0) sin ΔE,
 * with e cos E0 = 1 − r0/a and e sin E0 = (r0·v0)/√(mu·a), by Halley's method inside a bracket
 * (the root lies within n·Δt ± 2e). Half-angle sines keep 1 − cos ΔE accurate for small
 * steps. Near-parabolic and unbound states use the universal-variable form (Stumpff
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
  {
    // Divisions are slow: form the few reciprocals once (1/mu may come precomputed).
    const invBeta = 1 / beta;
    const sqrtBeta = Math.sqrt(beta);
    const invSqrtBeta = sqrtBeta * invBeta;
    const a = mu * invBeta;
    const n = beta * sqrtBeta * invMu;
    const ec = 1 - r0 * beta * invMu; // e cos E0
    const es = eta0 * sqrtBeta * invMu; // e sin E0
    // Whole orbits change nothing; solve for the remainder so ΔE stays within ±π.
    let dtr = dt;
    let m = n * dt;
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
    const invK = a * invR0; // 1/(1 − e cos E0) = a/r0
    const mk = m * invK;
    let X = mk + mk * mk * invK * (-0.5 * es + (0.5 * es * es * invK - ec / 6) * mk);
    if (!(X > lo && X < hi)) X = m;
    // Half-angle sine and cosine of X: one sin and one cos per drift; later iterates are
    // reached by rotating them through the (small) correction.
    let sh = Math.sin(0.5 * X);
    let ch = Math.cos(0.5 * X);
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
    const sx = 2 * sh * ch;
    const omc = 2 * sh * sh;
    const invR = beta / (mu * (1 + es * sx - ec * (1 - omc))); // 1/r, r = a·F'(X)
    const fm1 = -a * invR0 * omc; // f − 1
    const g = dtr - (X - sx) * mu * invBeta * invSqrtBeta; // Δt − (X − sin X)/n
    const fdot = -mu * invSqrtBeta * sx * invR * invR0;
    const gdm1 = -a * invR * omc; // ġ − 1
    // x + ((f − 1)x + g v) keeps the rounding of a small step small.
    s[o] = x + (fm1 * x + g * vx);
    s[o + 1] = y + (fm1 * y + g * vy);
    s[o + 2] = z + (fm1 * z + g * vz);
    s[o + 3] = vx + (fdot * x + gdm1 * vx);
    s[o + 4] = vy + (fdot * y + gdm1 * vy);
    s[o + 5] = vz + (fdot * z + gdm1 * vz);
  }
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
