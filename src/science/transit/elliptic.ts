/**
 * Complete elliptic integrals through Bulirsch's general complete integral
 *
 *   cel(kc, p, a, b) = ∫₀^{π/2} (a cos²φ + b sin²φ) / ((cos²φ + p sin²φ) √(cos²φ + kc² sin²φ)) dφ
 *
 * (R. Bulirsch 1969, Numer. Math. 13, 305). One routine gives all three kinds with the
 * complementary modulus kc = √(1 − k²):
 *   K(k)    = cel(kc, 1, 1, 1)
 *   E(k)    = cel(kc, 1, 1, kc²)
 *   Π(n, k) = cel(kc, 1 − n, 1, 1)   with Π(n, k) = ∫ dφ / ((1 − n sin²φ) √(1 − k² sin²φ)).
 *
 * The evaluation is the Gauss (descending Landen) transformation: substituting
 * tan φ' = … maps the integral onto one of the same form with modulus kc' = 2√kc/(1 + kc)
 * (after scaling by the arithmetic mean m), so kc → 1 quadratically, like the AGM; when
 * kc = 1 the integrand's square root is constant and the integral is elementary. We stop
 * when the means agree to 1e-9 relative, which leaves an error of order 1e-18 (quadratic
 * convergence), i.e. full double precision after about six steps for any kc in (0, 1].
 *
 * Moduli are used throughout (k, not the parameter m = k²) because Mandel & Agol (2002)
 * write their formulae with them.
 */
import { TransitError } from './errors.js';

const HALF_PI = Math.PI / 2;
/** Relative agreement of the arithmetic and geometric means at which we stop. */
const MEANS_TOL = 1e-9;
const MAX_STEPS = 40;

/**
 * Bulirsch's cel(kc, p, a, b) for kc ≠ 0 and p > 0 (the p ≤ 0 Cauchy principal-value branch
 * is not needed by the transit model and is rejected). Returns Infinity when kc = 0 and the
 * integral diverges. No allocation; safe in hot loops.
 */
export function cel(kc: number, p: number, a: number, b: number): number {
  if (!(p > 0)) throw new TransitError('BAD_ARGUMENT', `cel needs p > 0, got ${p}`, { parameter: 'p' });
  return celPositive(kc, p, a, b);
}

/** cel without argument checks; callers guarantee p > 0. */
export function celPositive(kc: number, p: number, a: number, b: number): number {
  let k = Math.abs(kc);
  if (k === 0) return Infinity; // logarithmic divergence at k = 1 (callers handle E(1) = 1)
  let m = 1; // arithmetic mean, starts at 1
  let e = k; // running product m·kc
  let pp = Math.sqrt(p);
  let aa = a;
  let bb = b / pp;
  for (let step = 0; step < MAX_STEPS; step++) {
    const f = aa;
    aa += bb / pp;
    const g = e / pp;
    bb = 2 * (bb + f * g);
    pp += g;
    const mOld = m;
    m += k;
    if (Math.abs(mOld - k) <= mOld * MEANS_TOL) break;
    k = 2 * Math.sqrt(e);
    e = k * m;
  }
  return (HALF_PI * (aa * m + bb)) / (m * (m + pp));
}

function complementary(k: number, name: string): number {
  if (!(Math.abs(k) <= 1)) throw new TransitError('BAD_ARGUMENT', `modulus must satisfy |k| ≤ 1, got ${k}`, { parameter: name });
  // (1 − k)(1 + k) keeps precision for k near 1 where 1 − k² would cancel.
  return Math.sqrt((1 - k) * (1 + k));
}

/** Complete elliptic integral of the first kind K(k), modulus k (|k| ≤ 1; K(1) = ∞). */
export function ellipK(k: number): number {
  return celPositive(complementary(k, 'k'), 1, 1, 1);
}

/** Complete elliptic integral of the second kind E(k), modulus k (|k| ≤ 1). */
export function ellipE(k: number): number {
  const kc = complementary(k, 'k');
  if (kc === 0) return 1;
  return celPositive(kc, 1, 1, kc * kc);
}

/**
 * Complete elliptic integral of the third kind Π(n, k) = ∫₀^{π/2} dφ / ((1 − n sin²φ)√(1 − k² sin²φ)),
 * the sign convention of Mandel & Agol (2002) and of Abramowitz & Stegun 17.2.15 with n the
 * characteristic. Requires n < 1 (the principal-value case n > 1 is not supported).
 */
export function ellipPi(n: number, k: number): number {
  if (!(n < 1)) throw new TransitError('BAD_ARGUMENT', `characteristic must be < 1, got ${n}`, { parameter: 'n' });
  return celPositive(complementary(k, 'k'), 1 - n, 1, 1);
}

/**
 * cel(kc, 1, a1, b1) + cel(kc, p2, a2, b2) in one pass (p2 > 0, kc ≠ 0; no checks). Both
 * integrals share the modulus, so the Gauss transformation's means (m, kc, e) are common
 * and only the p, a, b recurrences run twice. Because cel is linear in (a, b), any
 * combination c_K K + c_E E + c_Π Π(n, k) is celSum(kc, 1 − n, c_K + c_E, c_K + c_E kc², c_Π, c_Π):
 * one loop instead of three.
 */
export function celSum(kc: number, p2: number, a1: number, b1: number, a2: number, b2: number): number {
  let k = Math.abs(kc);
  if (k === 0) return Infinity;
  let m = 1;
  let e = k;
  let pp1 = 1;
  let aa1 = a1;
  let bb1 = b1;
  let pp2 = Math.sqrt(p2);
  let aa2 = a2;
  let bb2 = b2 / pp2;
  for (let step = 0; step < MAX_STEPS; step++) {
    const inv1 = 1 / pp1;
    const f1 = aa1;
    aa1 += bb1 * inv1;
    const g1 = e * inv1;
    bb1 = 2 * (bb1 + f1 * g1);
    pp1 += g1;
    const inv2 = 1 / pp2;
    const f2 = aa2;
    aa2 += bb2 * inv2;
    const g2 = e * inv2;
    bb2 = 2 * (bb2 + f2 * g2);
    pp2 += g2;
    const mOld = m;
    m += k;
    if (Math.abs(mOld - k) <= mOld * MEANS_TOL) break;
    k = 2 * Math.sqrt(e);
    e = k * m;
  }
  return (HALF_PI * ((aa1 * m + bb1) / (m + pp1) + (aa2 * m + bb2) / (m + pp2))) / m;
}
