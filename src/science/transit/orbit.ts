/**
 * Sky-projected separation of planet and star centres, z(t) in stellar radii, for a
 * Keplerian orbit.
 *
 * Conventions (those of batman, Kreidberg 2015, so parameters fitted with either agree):
 * - `t0` is the time of inferior conjunction: the true anomaly is f = π/2 − ω there. For a
 *   circular orbit this is mid-transit; for an eccentric, inclined orbit closest approach
 *   can differ from it by seconds to minutes.
 * - `omegaDeg` (ω) is the planet's argument of periastron, measured from the ascending
 *   node in the direction of motion; ω = 90° puts periastron at conjunction. Ignored when
 *   e = 0.
 * - `incDeg` is the inclination: 90° is edge-on.
 * - The observer looks along +Y of the orbital frame rotated by i: a planet with
 *   sin(ω + f) > 0 is in front of the star. Behind it, the separation is reported as
 *   +Infinity so that an occultation model sees no transit (secondary eclipses are not
 *   modelled here).
 *
 * Kepler's equation M = E − e sin E is solved per point by Newton–Raphson from Danby's
 * starting value, to |ΔE| < 1e-14 (a handful of steps even at e = 0.95).
 */
import { TransitError, requireFinite } from './errors.js';

const TWO_PI = 2 * Math.PI;
const DEG = Math.PI / 180;

export interface OrbitParams {
  /** Time of inferior conjunction (days, same scale as the times, e.g. BJD_TDB). */
  t0: number;
  /** Orbital period (days). */
  periodDays: number;
  /** Semi-major axis in stellar radii (a/R*). */
  a: number;
  /** Inclination (degrees; 90 = edge-on). */
  incDeg: number;
  /** Eccentricity, 0 ≤ e < 1 (default 0). */
  ecc?: number;
  /** Argument of periastron (degrees; default 90). */
  omegaDeg?: number;
}

/** Orbit constants computed once per light curve. */
export interface PreparedOrbit {
  t0: number;
  periodDays: number;
  a: number;
  cosInc: number;
  ecc: number;
  sinOmega: number;
  cosOmega: number;
  /** √(1 − e²). */
  rootOneMinusE2: number;
  /** Mean anomaly at t0 (radians). */
  meanAnomalyAtT0: number;
}

/** Validates orbit parameters and precomputes what every point needs. */
export function prepareOrbit(orbit: OrbitParams): PreparedOrbit {
  requireFinite(orbit.t0, 't0');
  requireFinite(orbit.periodDays, 'periodDays');
  if (!(orbit.periodDays > 0)) throw new TransitError('BAD_ARGUMENT', `period must be positive, got ${orbit.periodDays}`, { parameter: 'periodDays' });
  requireFinite(orbit.a, 'a');
  if (!(orbit.a > 0)) throw new TransitError('BAD_ARGUMENT', `a/R* must be positive, got ${orbit.a}`, { parameter: 'a' });
  requireFinite(orbit.incDeg, 'incDeg', 0, 180);
  const ecc = orbit.ecc ?? 0;
  requireFinite(ecc, 'ecc', 0);
  if (!(ecc < 1)) throw new TransitError('BAD_ARGUMENT', `eccentricity must be < 1, got ${ecc}`, { parameter: 'ecc' });
  const omegaDeg = orbit.omegaDeg ?? 90;
  requireFinite(omegaDeg, 'omegaDeg');
  const omega = omegaDeg * DEG;
  return {
    t0: orbit.t0,
    periodDays: orbit.periodDays,
    a: orbit.a,
    cosInc: Math.cos(orbit.incDeg * DEG),
    ecc,
    sinOmega: Math.sin(omega),
    cosOmega: Math.cos(omega),
    rootOneMinusE2: Math.sqrt((1 - ecc) * (1 + ecc)),
    meanAnomalyAtT0: meanAnomalyAtConjunction(ecc, omega),
  };
}

/** Mean anomaly (radians) at inferior conjunction, where f = π/2 − ω. */
export function meanAnomalyAtConjunction(ecc: number, omegaRad: number): number {
  const f = Math.PI / 2 - omegaRad;
  // E from f by the half-angle relation, in atan2 form so f = ±π is not a special case.
  const bigE = 2 * Math.atan2(Math.sqrt(1 - ecc) * Math.sin(f / 2), Math.sqrt(1 + ecc) * Math.cos(f / 2));
  return bigE - ecc * Math.sin(bigE);
}

/** Time of periastron passage (days) nearest before or at t0, in the batman convention. */
export function timeOfPeriastron(orbit: OrbitParams): number {
  const o = prepareOrbit(orbit);
  let m = o.meanAnomalyAtT0 % TWO_PI;
  if (m < 0) m += TWO_PI;
  return o.t0 - (o.periodDays * m) / TWO_PI;
}

/**
 * Eccentric anomaly E for mean anomaly M (radians) and eccentricity 0 ≤ e < 1:
 * E − e sin E = M. Returns E in (−π, π] for M reduced to that range.
 */
export function solveKepler(meanAnomaly: number, ecc: number): number {
  let m = meanAnomaly % TWO_PI;
  if (m > Math.PI) m -= TWO_PI;
  else if (m <= -Math.PI) m += TWO_PI;
  if (ecc === 0) return m;
  // Danby (1988): E0 = M + 0.85 e sign(sin M) converges for all e < 1 with Newton.
  let bigE = m + 0.85 * ecc * (m >= 0 ? 1 : -1);
  for (let it = 0; it < 50; it++) {
    const s = Math.sin(bigE);
    const c = Math.cos(bigE);
    const f = bigE - ecc * s - m;
    const fp = 1 - ecc * c;
    // Halley's correction: cubic convergence, keeps steps small near e → 1, M → 0.
    const d = f / (fp - (0.5 * f * ecc * s) / fp);
    bigE -= d;
    if (Math.abs(d) < 1e-14) return bigE;
  }
  throw new TransitError('NO_CONVERGENCE', `Kepler's equation did not converge for M = ${meanAnomaly}, e = ${ecc}`, { parameter: 'ecc' });
}

/** Sky separation (stellar radii) at time t; +Infinity when the planet is behind the star. */
export function separationAt(t: number, o: PreparedOrbit): number {
  // Phase from t0 reduced to [0, 1) before scaling, so large BJDs keep their precision.
  let phase = (t - o.t0) / o.periodDays;
  phase -= Math.floor(phase);
  let x: number; // along the line of nodes (in the sky plane)
  let y: number; // in the orbital plane, towards the observer at i = 90°
  if (o.ecc === 0) {
    // Circular: ω + f = π/2 + 2π·phase, so x = −a sin(2π phase), y = a cos(2π phase).
    const ang = TWO_PI * phase;
    x = -o.a * Math.sin(ang);
    y = o.a * Math.cos(ang);
  } else {
    const bigE = solveKepler(TWO_PI * phase + o.meanAnomalyAtT0, o.ecc);
    const cE = Math.cos(bigE);
    const sE = Math.sin(bigE);
    // r cos f = a(cos E − e), r sin f = a √(1 − e²) sin E; rotate by ω.
    const rc = o.a * (cE - o.ecc);
    const rs = o.a * o.rootOneMinusE2 * sE;
    x = rc * o.cosOmega - rs * o.sinOmega; // r cos(ω + f)
    y = rc * o.sinOmega + rs * o.cosOmega; // r sin(ω + f)
  }
  if (!(y > 0)) return y === y ? Infinity : NaN;
  const yc = y * o.cosInc;
  return Math.sqrt(x * x + yc * yc);
}

/**
 * Sky separations z(t) for times `tDays` (days). `out` may be given to avoid allocation.
 */
export function skySeparation(tDays: Float64Array, orbit: OrbitParams, out?: Float64Array): Float64Array {
  const o = prepareOrbit(orbit);
  const res = out ?? new Float64Array(tDays.length);
  if (res.length !== tDays.length) {
    throw new TransitError('SIZE_MISMATCH', `output has length ${res.length}, times have ${tDays.length}`, { parameter: 'out' });
  }
  for (let i = 0; i < tDays.length; i++) res[i] = separationAt(tDays[i], o);
  return res;
}

/**
 * Interval of orbital phase, relative to t0 and in periods, outside which the planet is
 * certainly farther than `reach` stellar radii from the star's centre on the sky (or
 * behind it): returns { lo ≤ 0, hi ≥ 0 }, or undefined when no such cut is possible.
 *
 * In front of the star (0 < ω + f < π), z ≥ |x| = r |cos(ω + f)| ≥ a(1 − e)|cos(ω + f)|,
 * so z < reach needs |ω + f − π/2| < δ = asin(reach / (a(1 − e))); the bounds are the mean
 * anomalies of f = π/2 − ω ± δ, widened by a relative 1e-6 so rounding never cuts a point
 * that the full computation would put in transit. Light-curve loops use it to skip the
 * Kepler solve and the occultation for the (usually vast) out-of-transit majority.
 */
export function transitPhaseWindow(o: PreparedOrbit, reach: number): { lo: number; hi: number } | undefined {
  const s = reach / (o.a * (1 - o.ecc));
  if (!(s < 0.99)) return undefined;
  const delta = Math.asin(s) * (1 + 1e-6) + 1e-9;
  const omega = Math.atan2(o.sinOmega, o.cosOmega);
  const fc = Math.PI / 2 - omega;
  const mc = o.meanAnomalyAtT0;
  const mHi = meanAnomalyAtTrueAnomaly(fc + delta, o.ecc);
  const mLo = meanAnomalyAtTrueAnomaly(fc - delta, o.ecc);
  // Differences from conjunction, unwrapped into (0, 2π) after and before it.
  const after = positiveMod(mHi - mc, TWO_PI);
  const before = positiveMod(mc - mLo, TWO_PI);
  if (after + before >= TWO_PI * 0.999) return undefined;
  return { lo: -before / TWO_PI, hi: after / TWO_PI };
}

function meanAnomalyAtTrueAnomaly(f: number, ecc: number): number {
  const bigE = 2 * Math.atan2(Math.sqrt(1 - ecc) * Math.sin(f / 2), Math.sqrt(1 + ecc) * Math.cos(f / 2));
  return bigE - ecc * Math.sin(bigE);
}

function positiveMod(x: number, m: number): number {
  const r = x % m;
  return r < 0 ? r + m : r;
}
