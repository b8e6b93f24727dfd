/**
 * Star catalogs and plate solving: a compact zone-indexed catalog format with cone queries
 * and proper motion, CSV importers, quad geometric hashing and the hinted solver.
 * Angles in degrees (arcsec where named), pixels 0-based.
 */
export * from './errors.js';
export * from './catalog.js';
export * from './csv.js';
export * from './quads.js';
export * from './solve.js';
