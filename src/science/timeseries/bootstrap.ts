/**
 * Bootstrap distribution of the highest periodogram peak under the null hypothesis of no
 * signal: the times are kept, the (y, dy) pairs are drawn with replacement (which destroys
 * any periodicity but keeps the noise distribution and the sampling), and the maximum
 * power over the grid is recorded for each replicate (VanderPlas 2018, §7.4.2).
 *
 * Replicate r draws from its own stream seeded with deriveSeed(seed, r), so the result
 * is the same whether the replicates run on one thread or are split between many.
 */
import { Rng, deriveSeed } from '../inference/random.js';
import { TimeseriesError } from './errors.js';
import type { FrequencyGrid } from './frequency-grid.js';
import { lombScargle, type LombScargleOptions } from './lombscargle.js';

export interface BootstrapTask {
  t: Float64Array;
  y: Float64Array;
  /** Per-point uncertainties (all 1 for unweighted data). */
  dy: Float64Array;
  grid: FrequencyGrid;
  /** Periodogram options (the pool is never used inside a replicate). */
  options: Omit<LombScargleOptions, 'pool'>;
  seed: number;
}

/** Most replicates a bootstrap accepts. */
export const MAX_BOOTSTRAPS = 1_000_000;

/** Maxima of replicates [from, to) written into out[from … to). */
export function bootstrapReplicates(task: BootstrapTask, from: number, to: number, out: Float64Array): void {
  const n = task.t.length;
  const yb = new Float64Array(n);
  const dyb = new Float64Array(n);
  for (let r = from; r < to; r++) {
    const rng = new Rng(deriveSeed(task.seed, r));
    for (let i = 0; i < n; i++) {
      const j = rng.int(n);
      yb[i] = task.y[j];
      dyb[i] = task.dy[j];
    }
    const p = lombScargle({ t: task.t, y: yb, dy: dyb }, task.grid, task.options);
    let max = -Infinity;
    for (let k = 0; k < p.length; k++) if (p[k] > max) max = p[k];
    out[r] = max;
  }
}

export function checkBootstrapCount(count: number): void {
  if (!Number.isInteger(count) || count < 1 || count > MAX_BOOTSTRAPS) {
    throw new TimeseriesError('BAD_ARGUMENT', `must be an integer in [1, ${MAX_BOOTSTRAPS}], got ${count}`, { parameter: 'bootstraps' });
  }
}

/** The `count` bootstrap maxima on the calling thread. */
export function bootstrapMaxima(task: BootstrapTask, count: number): Float64Array {
  checkBootstrapCount(count);
  const out = new Float64Array(count);
  bootstrapReplicates(task, 0, count, out);
  return out;
}

/** The same, split between the workers of a pool when one is given. */
export async function bootstrapMaximaAsync(
  task: BootstrapTask,
  count: number,
  pool?: { bootstrapMaxima(task: BootstrapTask, count: number): Promise<Float64Array> },
): Promise<Float64Array> {
  checkBootstrapCount(count);
  return pool ? Float64Array.from(await pool.bootstrapMaxima(task, count)) : bootstrapMaxima(task, count);
}
