/**
 * openastro/science/dynamics: the n-body transit-timing forward model. A Wisdom–Holman
 * symplectic integrator in Jacobi coordinates (modified kick, symplectic correctors) and
 * transit finding by sky-plane closest approach, reading TTVFast's input conventions.
 *
 *   const system = parseTtvfastParams(paramsText, 2, 0, 0);
 *   const t = simulateTransits(system, { stepDays: 0.96, endDays: 1461 });
 *   t.timeDays[k], t.planet[k], t.epoch[k], t.rskyAu[k], t.vskyAu[k]
 */
export { DynamicsError, type DynamicsErrorCode, type DynamicsLocation } from './errors.js';
export { elementsToState, meanAnomalyFromConjunction, semiMajorAxisAu, solveKeplerEquation, stateToElements, type KeplerElements } from './elements.js';
export { keplerDrift } from './kepler-drift.js';
export { astrocentricToJacobi, cumulativeMasses, jacobiKeplerMu, jacobiToAstrocentric } from './jacobi.js';
export {
  G_GAUSS,
  toAstrocentric,
  withMeanAnomaly,
  type AstrocentricState,
  type PlanetarySystem,
  type PlanetCartesian,
  type PlanetConjunctionElements,
  type PlanetElements,
} from './system.js';
export { correctorCoefficients, MAX_CORRECTOR_STAGES, WisdomHolman } from './wisdom-holman.js';
export {
  DEFAULT_CORRECTOR_STAGES,
  MAX_STEPS,
  simulateTransits,
  suggestedStepDays,
  TransitSimulator,
  type TransitOptions,
  type TransitTimes,
} from './transits.js';
export {
  formatTransitsCsv,
  MAX_PLANETS,
  parseTransitsTable,
  parseTtvfastParams,
  parseTtvfastSetup,
  type TtvfastInputFlag,
  type TtvfastSetup,
} from './ttvfast-format.js';
