/**
 * Osculating Keplerian elements ↔ Cartesian state, and Kepler's equation.
 *
 * Conventions (those of TTVFast, Deck et al. 2014, documented in
 * ../shared/datasets/golden-ttv/README.md): the observer is on the +z axis and the sky plane
 * is x–y; the orbit is oriented by R_z(Ω)·R_x(i)·R_z(ω) applied to the orbital-plane state
 * (periapsis on the +x axis of that plane), so i = 90° is edge-on and a planet is in front
 * of its star (z > 0) at conjunction, where ω + f = 90°. Angles are degrees at this API and
 * radians inside. The period fixes the semi-major axis through Kepler's third law with the
 * GM of the two-body problem the elements belong to (Jacobi or astrocentric: the caller
 * chooses mu).
 */
import { DynamicsError } from './errors.js';

const TWO_PI = 2 * Math.PI;
const DEG = Math.PI / 180;

/** Osculating elements at a reference epoch; angles in degrees. */
export interface KeplerElements {
  periodDays: number;
  eccentricity: number;
  inclinationDeg: number;
  /** Longitude of the ascending node Ω. */
  longitudeOfNodeDeg: number;
  /** Argument of periapsis ω. */
  argumentOfPeriapsisDeg: number;
  /** Mean anomaly M at the epoch. */
  meanAnomalyDeg: number;
}

/** Eccentric anomaly E (radians) with E − e·sin E = M, for 0 ≤ e < 1; E lies on M's branch. */
export function solveKeplerEquation(meanAnomalyRad: number, e: number): number {
  if (!(e >= 0 && e < 1)) throw new DynamicsError('UNBOUND_ORBIT', `eccentricity ${e} is not in [0, 1)`);
  // Reduce to [−π, π] and add the whole turns back at the end.
  const turns = Math.round(meanAnomalyRad / TWO_PI);
  const m = meanAnomalyRad - turns * TWO_PI;
  if (e === 0) return meanAnomalyRad;
  // E − M = e·sin E, so the root is within M ± e; Halley's method kept inside that bracket.
  let lo = m - e;
  let hi = m + e;
  let E = e < 0.8 ? m + e * Math.sin(m) : m < 0 ? -Math.PI * 0.5 - 0.5 * e : Math.PI * 0.5 + 0.5 * e;
  if (!(E >= lo && E <= hi)) E = m;
  for (let iter = 0; iter < 100; iter++) {
    const se = Math.sin(E);
    const ce = Math.cos(E);
    const F = E - e * se - m;
    if (F === 0) break;
    if (F < 0) lo = E;
    else hi = E;
    const Fp = 1 - e * ce;
    const newton = -F / Fp;
    let next = E - F / (Fp + 0.5 * newton * e * se);
    if (!(next >= lo && next <= hi)) next = 0.5 * (lo + hi);
    const step = next - E;
    E = next;
    if (Math.abs(step) <= 4e-16 * Math.max(1, Math.abs(E))) break;
  }
  return E + turns * TWO_PI;
}

/** Semi-major axis (AU) from the period (days) by Kepler's third law, GM = mu (AU³/day²). */
export function semiMajorAxisAu(mu: number, periodDays: number): number {
  return Math.cbrt((mu * periodDays * periodDays) / (TWO_PI * TWO_PI));
}

/**
 * Writes the relative state (x, y, z, vx, vy, vz; AU, AU/day) of `el` under GM = mu into
 * out[o..o+5]. Throws DynamicsError for e ∉ [0, 1), P ≤ 0 or non-finite values.
 */
export function elementsToState(mu: number, el: KeplerElements, out: Float64Array, o = 0): void {
  const { periodDays: P, eccentricity: e } = el;
  if (!(P > 0) || !Number.isFinite(P)) throw new DynamicsError('BAD_VALUE', `period ${P} d must be positive and finite`);
  if (!(e >= 0 && e < 1)) throw new DynamicsError('UNBOUND_ORBIT', `eccentricity ${e} is not in [0, 1)`);
  for (const [name, v] of [
    ['inclination', el.inclinationDeg],
    ['longitude of node', el.longitudeOfNodeDeg],
    ['argument of periapsis', el.argumentOfPeriapsisDeg],
    ['mean anomaly', el.meanAnomalyDeg],
  ] as const) {
    if (!Number.isFinite(v)) throw new DynamicsError('BAD_VALUE', `${name} ${v} is not finite`);
  }
  const a = semiMajorAxisAu(mu, P);
  const n = TWO_PI / P;
  const E = solveKeplerEquation(el.meanAnomalyDeg * DEG, e);
  const cosE = Math.cos(E);
  const sinE = Math.sin(E);
  const sq = Math.sqrt(1 - e * e);
  // Orbital plane, periapsis along +x.
  const xo = a * (cosE - e);
  const yo = a * sq * sinE;
  const vfac = (n * a) / (1 - e * cosE);
  const vxo = -vfac * sinE;
  const vyo = vfac * sq * cosE;
  rotateToSky(el.inclinationDeg * DEG, el.longitudeOfNodeDeg * DEG, el.argumentOfPeriapsisDeg * DEG, xo, yo, vxo, vyo, out, o);
}

/** out = R_z(Ω)·R_x(i)·R_z(ω)·(x, y, 0) and the same for the velocity. */
function rotateToSky(inc: number, node: number, peri: number, x: number, y: number, vx: number, vy: number, out: Float64Array, o: number): void {
  const cw = Math.cos(peri);
  const sw = Math.sin(peri);
  const ci = Math.cos(inc);
  const si = Math.sin(inc);
  const cO = Math.cos(node);
  const sO = Math.sin(node);
  // R_z(ω)
  const x1 = x * cw - y * sw;
  const y1 = x * sw + y * cw;
  const vx1 = vx * cw - vy * sw;
  const vy1 = vx * sw + vy * cw;
  // R_x(i): (x, y·cos i, y·sin i)
  const y2 = y1 * ci;
  const z2 = y1 * si;
  const vy2 = vy1 * ci;
  const vz2 = vy1 * si;
  // R_z(Ω)
  out[o] = x1 * cO - y2 * sO;
  out[o + 1] = x1 * sO + y2 * cO;
  out[o + 2] = z2;
  out[o + 3] = vx1 * cO - vy2 * sO;
  out[o + 4] = vx1 * sO + vy2 * cO;
  out[o + 5] = vz2;
}

/**
 * Osculating elements of the relative state s[o..o+5] under GM = mu. Throws for an orbit
 * that is not elliptic. Degenerate angles are set by convention: Ω = 0 when i = 0 or 180°,
 * ω measured from the node (or from +x) when e = 0. Angles in [0, 360) except i ∈ [0, 180].
 */
export function stateToElements(mu: number, s: ArrayLike<number>, o = 0): KeplerElements {
  const x = s[o];
  const y = s[o + 1];
  const z = s[o + 2];
  const vx = s[o + 3];
  const vy = s[o + 4];
  const vz = s[o + 5];
  const r = Math.sqrt(x * x + y * y + z * z);
  const v2 = vx * vx + vy * vy + vz * vz;
  const beta = (2 * mu) / r - v2;
  if (!(beta > 0)) throw new DynamicsError('UNBOUND_ORBIT', 'state is not on an elliptic orbit (energy ≥ 0)');
  const a = mu / beta;
  // Specific angular momentum h = r × v.
  const hx = y * vz - z * vy;
  const hy = z * vx - x * vz;
  const hz = x * vy - y * vx;
  const inc = Math.atan2(Math.sqrt(hx * hx + hy * hy), hz);
  // Ascending node direction n = z × h = (−hy, hx, 0).
  let node = Math.atan2(hx, -hy);
  if (hx === 0 && hy === 0) node = 0;
  const rv = x * vx + y * vy + z * vz;
  const ecosE = 1 - r / a;
  const esinE = rv / Math.sqrt(mu * a);
  const e = Math.sqrt(ecosE * ecosE + esinE * esinE);
  const E = Math.atan2(esinE, ecosE);
  const M = E - esinE;
  // Argument of latitude u = ω + f, measured in the orbit plane from the node.
  const cO = Math.cos(node);
  const sO = Math.sin(node);
  const xn = x * cO + y * sO; // along the node line
  const yn = (-x * sO + y * cO) * Math.cos(inc) + z * Math.sin(inc);
  const u = Math.atan2(yn, xn);
  // True anomaly from E.
  const f = e === 0 ? u : 2 * Math.atan2(Math.sqrt(1 + e) * Math.sin(E / 2), Math.sqrt(1 - e) * Math.cos(E / 2));
  const period = TWO_PI * Math.sqrt((a * a * a) / mu);
  return {
    periodDays: period,
    eccentricity: e,
    inclinationDeg: inc / DEG,
    longitudeOfNodeDeg: wrapDeg(node / DEG),
    argumentOfPeriapsisDeg: wrapDeg((u - f) / DEG),
    meanAnomalyDeg: wrapDeg(M / DEG),
  };
}

function wrapDeg(d: number): number {
  const w = d % 360;
  return w < 0 ? w + 360 : w;
}

/**
 * Mean anomaly (degrees) at `epochDays` of a Keplerian orbit whose conjunction (ω + f = 90°,
 * the planet in front of the star on the line of sight projected onto the orbit) falls at
 * `conjunctionDays`. With osculating elements this is the Keplerian conjunction of the
 * osculating orbit; the n-body transit time differs from it by the planet's TTV.
 */
export function meanAnomalyFromConjunction(periodDays: number, eccentricity: number, argumentOfPeriapsisDeg: number, conjunctionDays: number, epochDays: number): number {
  const e = eccentricity;
  if (!(e >= 0 && e < 1)) throw new DynamicsError('UNBOUND_ORBIT', `eccentricity ${e} is not in [0, 1)`);
  if (!(periodDays > 0)) throw new DynamicsError('BAD_VALUE', `period ${periodDays} d must be positive`);
  const f = Math.PI / 2 - argumentOfPeriapsisDeg * DEG;
  const E = 2 * Math.atan2(Math.sqrt(1 - e) * Math.sin(f / 2), Math.sqrt(1 + e) * Math.cos(f / 2));
  const Mc = E - e * Math.sin(E);
  const M = Mc + (TWO_PI / periodDays) * (epochDays - conjunctionDays);
  return wrapDeg(M / DEG);
}
