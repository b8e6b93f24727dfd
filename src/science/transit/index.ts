/**
 * Transit light-curve model (Mandel & Agol 2002, quadratic limb darkening) on Keplerian
 * orbits in batman's conventions, with exposure supersampling; transit-time fitting and
 * ephemerides build on it.
 */
export { TransitError, type TransitErrorCode, type TransitLocation } from './errors.js';
export { cel, ellipK, ellipE, ellipPi } from './elliptic.js';
export {
  occultQuadratic,
  occultUniform,
  uniformBlockedFraction,
  quadraticCoefficients,
  quadraticFluxAt,
  type QuadraticCoefficients,
} from './occultation.js';
export {
  skySeparation,
  separationAt,
  prepareOrbit,
  solveKepler,
  timeOfPeriastron,
  meanAnomalyAtConjunction,
  type OrbitParams,
  type PreparedOrbit,
} from './orbit.js';
export { transitLightCurve, MAX_SUPERSAMPLE, type TransitParams } from './model.js';
