/**
 * Flux of a limb-darkened star occulted by an opaque disk (a planet), after Mandel & Agol
 * (2002, ApJ 580, L171), "MA02" below.
 *
 * Geometry in stellar radii: p = Rp/R*, z = separation of centres. The quadratic law is
 *   I(μ)/I(1) = 1 − u1 (1 − μ) − u2 (1 − μ)²,   μ = √(1 − r²),
 * i.e. I = c0 + c2 μ + c4 μ² with c2 = u1 + 2u2, c4 = −u2, c0 = 1 − c2 − c4. Each power
 * of μ blocked by the planet has a closed form: the area (λᵉ, uniform source), the μ term
 * (λᵈ + ⅔Θ(p − z), elliptic integrals) and the r² moment (ηᵈ, elementary). Normalising by
 * the total stellar flux 4Ω = 1 − u1/3 − u2/6 (in units of π I(1)) gives MA02's eq. (7):
 *
 *   F = 1 − [ (1 − c2) λᵉ + c2 (λᵈ + ⅔Θ(p − z)) − c4 ηᵈ ] / (4Ω).
 *
 * The case split (which of λ1…λ6, η1, η2 applies) is MA02's Table 1, including the
 * degenerate geometries z = 0, z = p, z = 1 − p, p = ½ and p > 1. The geometry the table
 * leaves singular is the internal tangency z = 1 − p when p > ½ (and, in floating point,
 * any z within rounding of 1 − p): K and Π both diverge logarithmically there, but the
 * flux is continuous, so we take the mean of the two sides a hair away.
 *
 * Everything here is scalar code over typed arrays with no allocation per point.
 */
import { celPositive, celSum } from './elliptic.js';
import { TransitError, requireFinite } from './errors.js';

const PI = Math.PI;
const INV_PI = 1 / Math.PI;
const TWO_THIRDS = 2 / 3;
/** Separations this close to the internal tangency z = 1 − p are treated as on it. */
const TANGENT_BAND = 1e-12;
/** Half-distance of the two evaluations that bracket the tangency. */
const TANGENT_STEP = 1e-9;

/** Blocked fraction of a uniform disk (λᵉ of MA02): overlap area of the two disks / π. */
export function uniformBlockedFraction(z: number, p: number): number {
  if (!(p > 0) || z >= 1 + p) return 0;
  if (z <= p - 1) return 1;
  if (z <= 1 - p) return p * p;
  return partialArea(z, p);
}

/** Overlap area / π for 1 − p < z < 1 + p and z > p − 1 (the two circles cross). */
function partialArea(z: number, p: number): number {
  const d = crossing(z, p);
  const kap0 = Math.atan2(d, (p - 1) * (p + 1) + z * z); // angle at the planet's centre
  const kap1 = Math.atan2(d, (1 - p) * (1 + p) + z * z); // angle at the star's centre
  return (p * p * kap0 + kap1 - 0.5 * d) * INV_PI;
}

/**
 * √((1 − a)(b − 1)) with a = (z − p)², b = (z + p)²: twice the chord-triangle area (Heron),
 * written as a product of four factors that are each positive when the circles cross, so
 * nothing cancels near tangency.
 */
function crossing(z: number, p: number): number {
  const v = (1 - z + p) * (1 + z - p) * (z + p - 1) * (z + p + 1);
  return v > 0 ? Math.sqrt(v) : 0;
}

/**
 * Uniform-source occultation: F = 1 − λᵉ for every z. `out` may be passed to avoid
 * allocation (it must have z's length).
 */
export function occultUniform(z: Float64Array, p: number, out?: Float64Array): Float64Array {
  requireFinite(p, 'p', 0);
  const res = outputFor(z, out);
  for (let i = 0; i < z.length; i++) {
    const zi = Math.abs(z[i]);
    res[i] = zi === zi ? 1 - uniformBlockedFraction(zi, p) : NaN;
  }
  return res;
}

/**
 * Quadratic limb-darkening occultation (MA02): relative flux for each separation z[i]
 * (stellar radii) for a planet of radius p (stellar radii) and coefficients u1, u2.
 * NaN separations give NaN; negative separations are taken as |z|.
 */
export function occultQuadratic(z: Float64Array, p: number, u1: number, u2: number, out?: Float64Array): Float64Array {
  const ld = quadraticCoefficients(p, u1, u2);
  const res = outputFor(z, out);
  for (let i = 0; i < z.length; i++) res[i] = quadraticFluxAt(Math.abs(z[i]), p, ld);
  return res;
}

/** Precomputed limb-darkening constants for {@link quadraticFluxAt}. */
export interface QuadraticCoefficients {
  /** 1 − c2 = c0 + c4: weight of the blocked area. */
  area: number;
  /** c2 = u1 + 2u2: weight of the μ term. */
  c2: number;
  /** c4 = −u2: weight of the μ² term. */
  c4: number;
  /** 1 / (4Ω) = 1 / (1 − u1/3 − u2/6). */
  invNorm: number;
}

/** Validates (p, u1, u2) and returns the constants used per point. */
export function quadraticCoefficients(p: number, u1: number, u2: number): QuadraticCoefficients {
  requireFinite(p, 'p', 0);
  requireFinite(u1, 'u1');
  requireFinite(u2, 'u2');
  const norm = 1 - u1 / 3 - u2 / 6;
  if (!(norm > 0)) {
    throw new TransitError('BAD_ARGUMENT', `limb darkening (${u1}, ${u2}) gives a star with zero or negative total flux`, { parameter: 'u' });
  }
  const c2 = u1 + 2 * u2;
  return { area: 1 - c2, c2, c4: -u2, invNorm: 1 / norm };
}

/** Relative flux at one separation z ≥ 0 (NaN passes through). No checks, no allocation. */
export function quadraticFluxAt(z: number, p: number, ld: QuadraticCoefficients): number {
  if (!(z < 1 + p)) return z === z ? 1 : NaN; // out of transit (or NaN)
  if (p === 0) return 1;
  if (z <= p - 1) return 0; // the star is entirely hidden
  if (Math.abs(z - (1 - p)) <= TANGENT_BAND && !(p < 0.5 && z === 1 - p)) {
    // Internal tangency z = 1 − p: K and Π diverge logarithmically and MA02 gives a closed
    // form (λ5) only for p < ½ at exact equality. Within rounding of it, z + p − 1 can even
    // change sign against the case split. F is continuous with a kink of order |δz|^{3/2},
    // so the mean of the two sides at z ± h is exact to ~h^{3/2} ≈ 3e-14. When the
    // tangency is at z ≈ 0 (p ≈ 1) only the outer side exists: extrapolate linearly from it.
    const h = TANGENT_STEP;
    if (z > 2 * h) return 0.5 * (quadraticFluxAt(z + h, p, ld) + quadraticFluxAt(z - h, p, ld));
    return 2 * quadraticFluxAt(z + h, p, ld) - quadraticFluxAt(z + 2 * h, p, ld);
  }
  const blocked = blockedQuadratic(z, p, ld);
  return 1 - blocked * ld.invNorm;
}

/** MA02 bracket (1 − c2)λᵉ + c2(λᵈ + ⅔Θ(p − z)) − c4 ηᵈ for 0 ≤ z < 1 + p, p − 1 < z. */
function blockedQuadratic(z: number, p: number, ld: QuadraticCoefficients): number {
  const p2 = p * p;
  let lamE: number; // blocked area / π
  let lamD: number; // λᵈ + ⅔Θ(p − z)
  let eta: number; // ηᵈ
  if (z === 0) {
    // Case 10 (p < 1 here): λ6 = −⅔(1 − p²)^{3/2}; written as −expm1 so small p keeps digits.
    lamE = p2;
    lamD = -TWO_THIRDS * Math.expm1(1.5 * Math.log1p(-p2));
    eta = 0.5 * p2 * p2;
  } else if (p === 0.5 && z === 0.5) {
    // Case 6.
    lamE = 0.25;
    lamD = 1 / 3 - 4 / (9 * PI);
    eta = 3 / 32;
  } else if (z > 0.5 + Math.abs(p - 0.5) || (p > 0.5 && z <= p && z >= 1 - p)) {
    // The planet straddles the limb: case 2 (z > p), case 7 (z = p), case 8 (z < p).
    // Blocked area and η1 share the chord geometry: one √, two atan2.
    const d = crossing(z, p);
    const kap0 = Math.atan2(d, (p - 1) * (p + 1) + z * z); // angle at the planet's centre
    const kap1 = Math.atan2(d, (1 - p) * (1 + p) + z * z); // angle at the star's centre
    lamE = (p2 * kap0 + kap1 - 0.5 * d) * INV_PI;
    eta = 0.5 * INV_PI * (kap1 + 2 * eta2(z, p) * kap0 - 0.25 * (1 + 5 * p2 + z * z) * d);
    if (z > p) lamD = lambda1(z, p);
    else if (z === p) lamD = lambda3(p);
    else lamD = lambda1(z, p) + TWO_THIRDS;
  } else {
    // The planet is inside the disk: λᵉ = p², ηᵈ = η2.
    lamE = p2;
    eta = eta2(z, p);
    if (z === 1 - p) lamD = lambda5(p); // case 4 (p < ½): internally tangent
    else if (z === p) lamD = lambda4(p); // case 5 (p < ½): edge on the centre
    else if (z > p) lamD = lambda2(z, p); // case 3: centre not covered
    else lamD = lambda2(z, p) + TWO_THIRDS; // case 9: centre covered
  }
  return ld.area * lamE + ld.c2 * lamD - ld.c4 * eta;
}

/** MA02 λ1: the planet crosses the limb (cases 2 and 8). */
function lambda1(z: number, p: number): number {
  const zp = z * p;
  const a = (z - p) * (z - p);
  const b = (z + p) * (z + p);
  const q = (p - z) * (p + z);
  const kc = Math.sqrt(((z + p - 1) * (z + p + 1)) / (4 * zp)); // √(1 − k²), k² = (1 − a)/(4zp)
  const cK = (1 - b) * (2 * b + a - 3) - 3 * q * (b - 2);
  const cE = 4 * zp * (z * z + 7 * p * p - 4);
  const cPi = (-3 * q) / a;
  // cK K(k) + cE E(k) + cPi Π((a − 1)/a, k); Π's cel parameter is 1 − n = 1/a.
  const t = celSum(kc, 1 / a, cK + cE, cK + cE * kc * kc, cPi, cPi);
  return t / (9 * PI * Math.sqrt(zp));
}

/** MA02 λ2: the planet inside the disk (cases 3 and 9); modulus 1/k < 1. */
function lambda2(z: number, p: number): number {
  const a = (z - p) * (z - p);
  const b = (z + p) * (z + p);
  const q = (p - z) * (p + z);
  const oneMinusA = (1 - z + p) * (1 + z - p);
  const kc = Math.sqrt(((1 - z - p) * (1 + z + p)) / oneMinusA); // √(1 − 1/k²) = √((1 − b)/(1 − a))
  const cK = 1 - 5 * z * z + p * p + q * q;
  const cE = oneMinusA * (z * z + 7 * p * p - 4);
  const cPi = (-3 * q) / a;
  // cK K(1/k) + cE E(1/k) + cPi Π((a − b)/a, 1/k); Π's cel parameter is 1 − n = b/a.
  const t = celSum(kc, b / a, cK + cE, cK + cE * kc * kc, cPi, cPi);
  return (2 * t) / (9 * PI * Math.sqrt(oneMinusA));
}

/** MA02 λ3: z = p > ½ (case 7); modulus 1/(2p). */
function lambda3(p: number): number {
  const k = 1 / (2 * p);
  const kc = Math.sqrt((1 - k) * (1 + k));
  const bigK = celPositive(kc, 1, 1, 1);
  const bigE = celPositive(kc, 1, 1, kc * kc);
  return (
    1 / 3 +
    ((16 * p) / (9 * PI)) * (2 * p * p - 1) * bigE -
    (((1 - 4 * p * p) * (3 - 8 * p * p)) / (9 * PI * p)) * bigK
  );
}

/** MA02 λ4: z = p < ½ (case 5); modulus 2p. */
function lambda4(p: number): number {
  const k = 2 * p;
  const kc = Math.sqrt((1 - k) * (1 + k));
  const bigK = celPositive(kc, 1, 1, 1);
  const bigE = celPositive(kc, 1, 1, kc * kc);
  return 1 / 3 + (2 / (9 * PI)) * (4 * (2 * p * p - 1) * bigE + (1 - 4 * p * p) * bigK);
}

/** MA02 λ5: z = 1 − p with p < ½ (case 4). */
function lambda5(p: number): number {
  return (2 / (3 * PI)) * Math.acos(1 - 2 * p) - (4 / (9 * PI)) * (3 + 2 * p - 8 * p * p) * Math.sqrt(p * (1 - p));
}

/** MA02 η2: r² moment of the whole planet disk, p²(p² + 2z²)/2. */
function eta2(z: number, p: number): number {
  return 0.5 * p * p * (p * p + 2 * z * z);
}

function outputFor(z: Float64Array, out: Float64Array | undefined): Float64Array {
  if (out === undefined) return new Float64Array(z.length);
  if (out.length !== z.length) {
    throw new TransitError('SIZE_MISMATCH', `output has length ${out.length}, separations have ${z.length}`, { parameter: 'out' });
  }
  return out;
}
