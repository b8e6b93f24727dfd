/**
 * Celestial world coordinate systems: TAN (gnomonic) with SIP or TPV distortion, read from
 * and written to FITS headers; pixel ↔ sky transforms (scalar and batched); pixel scale,
 * rotation, footprint and field of view; fitting a TAN(-SIP) WCS to matched stars.
 *
 * Pixels are 0-based everywhere: (0, 0) is the centre of the first pixel (FITS (1, 1)).
 * Angles are degrees; RA is returned in [0, 360).
 */
export * from './errors.js';
export * from './wcs.js';
export {
  intermediateToSky,
  pixToIntermediate,
  pixToSky,
  pixToSkyBatch,
  pixToSkyDerivatives,
  pixToUnitVector,
  skyToIntermediate,
  skyToPix,
  skyToPixBatch,
  type SkyToPixOptions,
} from './transform.js';
export * from './geometry.js';
export * from './fit.js';
export type { Sip, SipPolynomial, SipTerm } from './sip.js';
export type { Tpv } from './tpv.js';
export { TPV_BASIS, TPV_TERMS } from './tpv.js';
