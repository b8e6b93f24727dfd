/**
 * Special functions the renderer needs: ln Γ, the regularised incomplete gamma functions
 * P(a, x) and Q(a, x) (DLMF §8.2), and through them erf and the normal CDF
 * (erf(z) = P(½, z²), DLMF 7.11.1 with 8.4.1).
 *
 * P uses its power series (DLMF 8.7.1) for x < a + 1 and Q its continued fraction
 * (DLMF 8.9.2, evaluated by the modified Lentz method) otherwise, so each converges fast
 * where it is used; both reach ~1e-15 relative accuracy.
 */

const HALF_LN_2PI = 0.5 * Math.log(2 * Math.PI);

/** ln Γ(x) for x > 0: Stirling's series after shifting x above 8 with Γ(x+1) = xΓ(x). */
export function lnGamma(x: number): number {
  if (!(x > 0)) return x === 0 ? Infinity : NaN;
  let shift = 0;
  while (x < 8) {
    shift += Math.log(x);
    x += 1;
  }
  const r = 1 / x;
  const r2 = r * r;
  // Bernoulli-number terms B₂ₖ / (2k(2k−1) x^(2k−1)), k = 1..7.
  const series =
    r * (1 / 12 + r2 * (-1 / 360 + r2 * (1 / 1260 + r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156)))))));
  return (x - 0.5) * Math.log(x) - x + HALF_LN_2PI + series - shift;
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 10000;

/** Power series of P(a, x) (DLMF 8.7.1); good for x < a + 1. */
function gammaPSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let k = 1; k < MAX_ITER; k++) {
    term *= x / (a + k);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(a * Math.log(x) - x - lnGamma(a));
}

/** Continued fraction of Q(a, x) (DLMF 8.9.2) by modified Lentz; good for x ≥ a + 1. */
function gammaQFraction(a: number, x: number): number {
  // Γ(a, x) = e^(−x) x^a / (x + 1 − a − 1(1−a)/(x + 3 − a − 2(2−a)/(x + 5 − a − …)))
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.exp(a * Math.log(x) - x - lnGamma(a)) * h;
}

/** Regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a), a > 0, x ≥ 0. */
export function gammaP(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? gammaPSeries(a, x) : 1 - gammaQFraction(a, x);
}

/** Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate when Q is tiny. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0) || !(x >= 0)) return NaN;
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - gammaPSeries(a, x) : gammaQFraction(a, x);
}

/** erf(z) = sign(z) P(½, z²). */
export function erf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const p = gammaP(0.5, z * z);
  return z < 0 ? -p : p;
}

/** Standard normal CDF Φ(z), accurate in both tails (uses Q for the far side). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const x = 0.5 * z * z;
  return z < 0 ? 0.5 * gammaQ(0.5, x) : 1 - 0.5 * gammaQ(0.5, x);
}

/**
 * x with P(a, x) = p (0 < p < 1): bracketing bisection refined by Newton steps on the
 * monotone P; converges to ~1e-14 relative.
 */
export function gammaPInverse(a: number, p: number): number {
  if (!(a > 0) || !(p > 0) || !(p < 1)) return NaN;
  let lo = 0;
  let hi = Math.max(1, a);
  while (gammaP(a, hi) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Infinity;
  }
  let x = 0.5 * (lo + hi);
  const lg = lnGamma(a);
  for (let i = 0; i < 200; i++) {
    const f = gammaP(a, x) - p;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    // Newton step with dP/dx = x^(a−1) e^(−x) / Γ(a); fall back to bisection when it leaves the bracket.
    const dens = Math.exp((a - 1) * Math.log(x) - x - lg);
    let next = dens > 0 ? x - f / dens : NaN;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * x || hi - lo <= 1e-15 * hi) return next;
    x = next;
  }
  return x;
}
