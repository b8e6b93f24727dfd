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
export {
  fitLinearEphemeris,
  predictTransitTime,
  observedMinusCalculated,
  assignEpochs,
  type LinearEphemeris,
  type EphemerisOptions,
  type OMinusC,
} from './ephemeris.js';
export {
  fitTransitTime,
  transitDurations,
  coverageOf,
  type TransitShape,
  type TransitTimeOptions,
  type TransitTimeFit,
  type TransitWindowCoverage,
} from './timing.js';
export { transitPhaseWindow } from './orbit.js';
export { sampleTransitTime, type TransitTimeMcmc, type TransitTimeMcmcOptions } from './timing-mcmc.js';
export {
  fitTransitLightCurve,
  formatLightCurveFitCsv,
  type LightCurveFitOptions,
  type LightCurveFitResult,
  type TransitWindowResult,
} from './light-curve-fit.js';
