/**
 * Regular frequency grids for periodograms, in cycles per day: f_k = minFrequency + k·step,
 * k = 0 … count−1.
 *
 * The automatic grid follows the heuristics of VanderPlas (2018, ApJS 236, 16, §7.1): a
 * peak is ~1/T wide for a baseline T, so the step is 1/(T·samplesPerPeak); the highest
 * frequency defaults to nyquistFactor × the "average Nyquist frequency" N/(2T); the lowest
 * defaults to half a step. These are astropy's defaults (samplesPerPeak = 5,
 * nyquistFactor = 5), so our automatic grids are the same as `LombScargle.autofrequency()`.
 */
import { TimeseriesError, requireFinite } from './errors.js';

export interface FrequencyGrid {
  /** First frequency (cycles/day). */
  minFrequency: number;
  /** Spacing (cycles/day), > 0. */
  step: number;
  /** Number of frequencies. */
  count: number;
}

export interface AutoGridOptions {
  /** Grid points per peak width 1/T (default 5). */
  samplesPerPeak?: number;
  /** Multiple of the average Nyquist frequency N/(2T) used as the highest frequency (default 5). */
  nyquistFactor?: number;
  /** Lowest frequency (cycles/day); default half a step. */
  minFrequency?: number;
  /** Highest frequency (cycles/day); default nyquistFactor·N/(2T). */
  maxFrequency?: number;
  /** Shortest period searched (days): sets maxFrequency = 1/minPeriodDays. */
  minPeriodDays?: number;
  /** Longest period searched (days): sets minFrequency = 1/maxPeriodDays. */
  maxPeriodDays?: number;
}

/** Most frequencies an automatic or user grid may hold (guards allocations: 8 bytes × several arrays each). */
export const MAX_GRID_COUNT = 1 << 27;

/** The automatic grid for observation times `t` (days). */
export function autoFrequencyGrid(t: ArrayLike<number>, options: AutoGridOptions = {}): FrequencyGrid {
  const n = t.length;
  if (n < 2) throw new TimeseriesError('TOO_FEW_POINTS', `an automatic frequency grid needs at least 2 times, got ${n}`, { parameter: 't' });
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = t[i];
    if (!Number.isFinite(v)) throw new TimeseriesError('BAD_DATA', `time is not finite: ${v}`, { index: i });
    if (v < tMin) tMin = v;
    if (v > tMax) tMax = v;
  }
  const baseline = tMax - tMin;
  if (!(baseline > 0)) throw new TimeseriesError('TOO_FEW_POINTS', 'all times are equal: the baseline is zero', { parameter: 't' });
  const spp = options.samplesPerPeak ?? 5;
  const nyq = options.nyquistFactor ?? 5;
  requireFinite(spp, 'samplesPerPeak', Number.MIN_VALUE);
  requireFinite(nyq, 'nyquistFactor', Number.MIN_VALUE);
  if (options.minFrequency !== undefined && options.maxPeriodDays !== undefined) {
    throw new TimeseriesError('BAD_ARGUMENT', 'give minFrequency or maxPeriodDays, not both', { parameter: 'maxPeriodDays' });
  }
  if (options.maxFrequency !== undefined && options.minPeriodDays !== undefined) {
    throw new TimeseriesError('BAD_ARGUMENT', 'give maxFrequency or minPeriodDays, not both', { parameter: 'minPeriodDays' });
  }
  const step = 1 / (baseline * spp);
  let fMin = step / 2;
  if (options.minFrequency !== undefined) {
    requireFinite(options.minFrequency, 'minFrequency', 0);
    fMin = options.minFrequency;
  } else if (options.maxPeriodDays !== undefined) {
    requireFinite(options.maxPeriodDays, 'maxPeriodDays', Number.MIN_VALUE);
    fMin = 1 / options.maxPeriodDays;
  }
  let fMax = (0.5 * nyq * n) / baseline;
  if (options.maxFrequency !== undefined) {
    requireFinite(options.maxFrequency, 'maxFrequency', Number.MIN_VALUE);
    fMax = options.maxFrequency;
  } else if (options.minPeriodDays !== undefined) {
    requireFinite(options.minPeriodDays, 'minPeriodDays', Number.MIN_VALUE);
    fMax = 1 / options.minPeriodDays;
  }
  if (!(fMax > fMin)) {
    const explicitMax = options.maxFrequency !== undefined || options.minPeriodDays !== undefined;
    const why = explicitMax
      ? 'check the period or frequency limits'
      : `the default is nyquistFactor × N/(2T) = ${nyq} × ${n}/(2 × ${baseline.toPrecision(6)} d); give a shortest period or a larger nyquistFactor`;
    throw new TimeseriesError('BAD_ARGUMENT', `the highest frequency ${fMax.toPrecision(6)}/d must exceed the lowest ${fMin.toPrecision(6)}/d (${why})`, {
      parameter: explicitMax ? (options.minPeriodDays !== undefined ? 'minPeriodDays' : 'maxFrequency') : 'nyquistFactor',
    });
  }
  const count = 1 + Math.round((fMax - fMin) / step);
  const grid = { minFrequency: fMin, step, count };
  validateGrid(grid);
  return grid;
}

/** Throws unless `grid` is a usable regular grid (finite, step > 0, minFrequency ≥ 0, 1 ≤ count ≤ MAX_GRID_COUNT). */
export function validateGrid(grid: FrequencyGrid): void {
  requireFinite(grid.minFrequency, 'grid.minFrequency', 0);
  requireFinite(grid.step, 'grid.step', Number.MIN_VALUE);
  if (!Number.isInteger(grid.count) || grid.count < 1) {
    throw new TimeseriesError('BAD_ARGUMENT', `must be a positive integer, got ${grid.count}`, { parameter: 'grid.count' });
  }
  if (grid.count > MAX_GRID_COUNT) {
    throw new TimeseriesError('TOO_LARGE', `${grid.count} frequencies exceed the limit of ${MAX_GRID_COUNT}; use a coarser step or a narrower range`, {
      parameter: 'grid.count',
    });
  }
}

/** The frequencies of a grid as an array. */
export function gridFrequencies(grid: FrequencyGrid): Float64Array {
  validateGrid(grid);
  const f = new Float64Array(grid.count);
  for (let k = 0; k < grid.count; k++) f[k] = grid.minFrequency + k * grid.step;
  return f;
}

/** The highest frequency of a grid. */
export function gridMaxFrequency(grid: FrequencyGrid): number {
  return grid.minFrequency + (grid.count - 1) * grid.step;
}
