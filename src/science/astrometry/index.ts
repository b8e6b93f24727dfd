/**
 * Star catalogs and plate solving: a compact zone-indexed catalog format with cone queries
 * and proper motion; importers from CSV, FITS tables and astrometry.net index files; quad
 * geometric hashing; the hinted solver, the whole-sky quad index and the blind solver; and
 * interchangeable solver backends (native, astrometry.net solve-field, ASTAP).
 * Angles in degrees (arcsec where named), pixels 0-based.
 */
export * from './errors.js';
export * from './catalog.js';
export * from './csv.js';
export * from './fits-table.js';
export * from './astrometry-net.js';
export * from './merge.js';
export * from './quads.js';
export * from './similarity.js';
export * from './verify.js';
export * from './refine.js';
export * from './solve.js';
export * from './sky-grid.js';
export * from './sky-index.js';
export * from './blind.js';
export * from './frame.js';
export * from './backends.js';
