/**
 * A planetary system as the user describes it, and its astrocentric Cartesian state.
 *
 * Three input conventions (TTVFast's, Deck et al. 2014; golden-ttv/README.md):
 * - 'jacobi-elements': osculating elements of each planet's Jacobi orbit, GM = G·M_s·η_i/η_{i−1}
 *   (η_i = M_s + Σ_{j≤i} m_j, planets innermost first);
 * - 'astrocentric-elements': osculating astrocentric elements, GM = G·(M_s + m_i);
 * - 'astrocentric-cartesian': position (AU) and velocity (AU/day) relative to the star.
 * Element inputs take either the mean anomaly at the epoch or a time of conjunction
 * (see meanAnomalyFromConjunction). Units: masses in solar masses, G in AU³ M☉⁻¹ day⁻²,
 * times in days.
 */
import { elementsToState, meanAnomalyFromConjunction, type KeplerElements } from './elements.js';
import { DynamicsError } from './errors.js';
import { astrocentricToJacobi, jacobiKeplerMu, jacobiToAstrocentric } from './jacobi.js';

/** Gauss's constant squared, k² (AU³ M☉⁻¹ day⁻²): the G of TTVFast's examples. */
export const G_GAUSS = 0.01720209895 * 0.01720209895;

export type PlanetElements = KeplerElements & { massMsun: number };

/** Elements with a time of conjunction (ω + f = 90°) instead of the mean anomaly. */
export interface PlanetConjunctionElements {
  massMsun: number;
  periodDays: number;
  eccentricity: number;
  inclinationDeg: number;
  longitudeOfNodeDeg: number;
  argumentOfPeriapsisDeg: number;
  conjunctionDays: number;
}

export interface PlanetCartesian {
  massMsun: number;
  xAu: number;
  yAu: number;
  zAu: number;
  vxAuPerDay: number;
  vyAuPerDay: number;
  vzAuPerDay: number;
}

interface SystemBase {
  /** Gravitational constant, AU³ M☉⁻¹ day⁻² (G_GAUSS unless the input says otherwise). */
  G: number;
  stellarMassMsun: number;
  /** Epoch of the elements / state, days. */
  epochDays: number;
}

export type PlanetarySystem =
  | (SystemBase & { coordinates: 'jacobi-elements' | 'astrocentric-elements'; planets: Array<PlanetElements | PlanetConjunctionElements> })
  | (SystemBase & { coordinates: 'astrocentric-cartesian'; planets: PlanetCartesian[] });

/** The integrator's input: masses and astrocentric states packed in typed arrays. */
export interface AstrocentricState {
  G: number;
  stellarMassMsun: number;
  epochDays: number;
  /** Planet masses (M☉), input order. */
  masses: Float64Array;
  /** x, y, z, vx, vy, vz per planet (AU, AU/day) relative to the star. */
  state: Float64Array;
}

function checkPositive(v: number, what: string, planet?: number): void {
  if (!(v > 0) || !Number.isFinite(v)) throw new DynamicsError('BAD_VALUE', `${what} ${v} must be positive and finite`, planet === undefined ? {} : { planet });
}

/** Mean-anomaly elements of a planet given either way. */
export function withMeanAnomaly(p: PlanetElements | PlanetConjunctionElements, epochDays: number): KeplerElements {
  if ('meanAnomalyDeg' in p) return p;
  return {
    periodDays: p.periodDays,
    eccentricity: p.eccentricity,
    inclinationDeg: p.inclinationDeg,
    longitudeOfNodeDeg: p.longitudeOfNodeDeg,
    argumentOfPeriapsisDeg: p.argumentOfPeriapsisDeg,
    meanAnomalyDeg: meanAnomalyFromConjunction(p.periodDays, p.eccentricity, p.argumentOfPeriapsisDeg, p.conjunctionDays, epochDays),
  };
}

/** Astrocentric Cartesian state of a system given in any of the three conventions. */
export function toAstrocentric(system: PlanetarySystem): AstrocentricState {
  const n = system.planets.length;
  if (n === 0) throw new DynamicsError('BAD_ARGUMENT', 'the system has no planets');
  checkPositive(system.G, 'G');
  checkPositive(system.stellarMassMsun, 'stellar mass');
  if (!Number.isFinite(system.epochDays)) throw new DynamicsError('BAD_VALUE', `epoch ${system.epochDays} is not finite`);
  const masses = new Float64Array(n);
  system.planets.forEach((p, i) => {
    // Zero is allowed: a massless test planet still has transits.
    if (!(p.massMsun >= 0) || !Number.isFinite(p.massMsun)) throw new DynamicsError('BAD_VALUE', `mass ${p.massMsun} must be finite and not negative`, { planet: i });
    masses[i] = p.massMsun;
  });
  const state = new Float64Array(6 * n);
  const M = system.stellarMassMsun;
  const G = system.G;
  if (system.coordinates === 'astrocentric-cartesian') {
    system.planets.forEach((p, i) => {
      const v = [p.xAu, p.yAu, p.zAu, p.vxAuPerDay, p.vyAuPerDay, p.vzAuPerDay];
      v.forEach((c, k) => {
        if (!Number.isFinite(c)) throw new DynamicsError('BAD_VALUE', `state component ${k} (${c}) is not finite`, { planet: i });
        state[6 * i + k] = c;
      });
      if (v[0] === 0 && v[1] === 0 && v[2] === 0) throw new DynamicsError('BAD_VALUE', 'planet is at the star', { planet: i });
    });
  } else if (system.coordinates === 'astrocentric-elements') {
    system.planets.forEach((p, i) => {
      withPlanet(i, () => elementsToState(G * (M + p.massMsun), withMeanAnomaly(p, system.epochDays), state, 6 * i));
    });
  } else if (system.coordinates === 'jacobi-elements') {
    const mu = jacobiKeplerMu(G, M, masses);
    const jac = new Float64Array(6 * n);
    system.planets.forEach((p, i) => {
      withPlanet(i, () => elementsToState(mu[i], withMeanAnomaly(p, system.epochDays), jac, 6 * i));
    });
    jacobiToAstrocentric(M, masses, jac, state);
  } else {
    throw new DynamicsError('BAD_ARGUMENT', `unknown coordinates '${(system as { coordinates: string }).coordinates}'`);
  }
  return { G, stellarMassMsun: M, epochDays: system.epochDays, masses, state };
}

function withPlanet(i: number, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof DynamicsError && err.location.planet === undefined) {
      throw new DynamicsError(err.code, err.message, { ...err.location, planet: i });
    }
    throw err;
  }
}

/** Jacobi state of an astrocentric one (convenience for callers that hold Jacobi elements). */
export function astrocentricToJacobiState(s: AstrocentricState): Float64Array {
  const jac = new Float64Array(s.state.length);
  astrocentricToJacobi(s.stellarMassMsun, s.masses, s.state, jac);
  return jac;
}
