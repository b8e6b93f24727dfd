/**
 * Photometric calibration: cross-matching detected sources to a reference catalog through
 * the frame's WCS, zero point and colour term by robust (sigma-clipped) weighted least
 * squares, an instrument registry that accumulates colour terms over nights, and
 * differential ensemble photometry with comparison stars chosen by magnitude, colour,
 * distance and stability. Magnitudes on the catalog's system, angles in degrees
 * (separations in arcsec), pixels 0-based.
 */
export * from './errors.js';
export * from './crossmatch.js';
export * from './zeropoint.js';
export * from './registry.js';
export * from './calibrate.js';
export * from './ensemble.js';
