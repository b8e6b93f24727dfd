/**
 * Periodograms of light curves: the generalised (floating-mean, weighted) Lomb–Scargle
 * periodogram with exact and fast (extirpolation + FFT) sums and multi-term models; the
 * multi-band periodogram; automatic frequency grids; false-alarm probabilities (Baluev's
 * analytic approximation and the bootstrap); peaks, phase folding and the best-fit model;
 * a worker-thread pool to spread the work over all cores; light-curve CSV parsing.
 *
 * Times are days (JD, MJD, BJD_TDB…), frequencies cycles per day.
 */
export * from './errors.js';
export * from './frequency-grid.js';
export { validateSeries, prepareSeries, MAX_POINTS, type SeriesInput, type PreparedSeries, type PreparedBand } from './series.js';
export {
  lombScargle,
  lombScargleAsync,
  preparePeriodogram,
  resolveMethod,
  resolveOptions,
  normalizePower,
  toStandardPower,
  referenceChi2,
  MAX_NTERMS,
  type LombScargleOptions,
  type Normalization,
  type PeriodogramMethod,
  type ResolvedOptions,
  type SumsExecutor,
} from './lombscargle.js';
export {
  multibandLombScargle,
  multibandLombScargleAsync,
  prepareMultiband,
  bandIndex,
  type MultibandInput,
  type MultibandOptions,
} from './multiband.js';
export * from './fap.js';
export { bootstrapMaxima, bootstrapMaximaAsync, MAX_BOOTSTRAPS, type BootstrapTask } from './bootstrap.js';
export * from './peaks.js';
export * from './fold.js';
export * from './model.js';
export * from './csv.js';
export { PeriodogramPool, startPeriodogramPool, MAX_THREADS, type PoolOptions } from './pool.js';
export { FftPlan } from './fft.js';
export { DEFAULT_FAST_SETTINGS, type FastSumSettings } from './trig-sums.js';
