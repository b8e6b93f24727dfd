/**
 * Light curves per target and band: importers for archival formats (AAVSO download and
 * Extended File Format, ETD and ExoClock transit tables, Kepler/TESS light-curve FITS,
 * plain CSV), times converted to BJD_TDB, merging many instruments with jointly fitted
 * per-site offsets, outlier rejection and error inflation, binning, and exporters (AAVSO
 * Extended File Format, CSV with BJD_TDB). Times in days (BJD_TDB), values in magnitudes
 * or fluxes as the light curve says.
 */
export * from './errors.js';
export * from './lightcurve.js';
export * from './times.js';
export * from './table.js';
export * from './csv.js';
export * from './aavso.js';
export * from './transit-table.js';
export * from './mission-fits.js';
export * from './outliers.js';
export * from './binning.js';
export * from './merge.js';
export * from './import.js';
