/**
 * A periodogram's trigonometric sums as a job that can be cut into independent units —
 * frequency ranges (exact method) or (request, output residue) pairs (fast method) — so the
 * same code runs in-process or spread over worker threads.
 *
 * Layout of the sums (Float64Array of length 2·Q·M for Q = nBands·3·nterms requests and M
 * frequencies): request q = 3·nterms·b + j of band b is w@(j+1) for j < 2·nterms and
 * wy@(j − 2·nterms + 1) otherwise; its real parts at [2q·M, 2q·M + M), imaginary parts at
 * [(2q+1)·M, (2q+1)·M + M).
 */
import { TimeseriesError } from './errors.js';
import type { FrequencyGrid } from './frequency-grid.js';
import {
  directSums,
  EXACT_FREQ_BLOCK,
  exactSums,
  extirpolate,
  fastGeometry,
  fastScratch,
  fastSumsResidues,
  type Extirpolated,
  type FastGeometry,
  type FastScratch,
  type FastSumSettings,
} from './trig-sums.js';

export interface BandArrays {
  t: Float64Array;
  w: Float64Array;
  wy: Float64Array;
}

export interface SumsJob {
  bands: BandArrays[];
  nterms: number;
  method: 'exact' | 'fast';
  /** A regular grid, or explicit frequencies (exact method only). */
  grid: FrequencyGrid | Float64Array;
  fast: FastSumSettings;
}

/** Largest sums array (in doubles) a job may allocate: 2^28 doubles = 2 GiB. */
export const MAX_SUMS_LENGTH = 2 ** 28;

export function gridCount(grid: FrequencyGrid | Float64Array): number {
  return grid instanceof Float64Array ? grid.length : grid.count;
}

export function requestCount(job: Pick<SumsJob, 'bands' | 'nterms'>): number {
  return job.bands.length * 3 * job.nterms;
}

export function sumsLength(job: Pick<SumsJob, 'bands' | 'nterms' | 'grid'>): number {
  const len = 2 * requestCount(job) * gridCount(job.grid);
  if (len > MAX_SUMS_LENGTH) {
    throw new TimeseriesError('TOO_LARGE', `the periodogram would need ${len} intermediate sums (limit ${MAX_SUMS_LENGTH}); use fewer frequencies, terms or bands`, {
      parameter: 'grid.count',
    });
  }
  return len;
}

/** A unit of an exact job: frequencies [k0, k1). */
export interface ExactUnit {
  kind: 'exact';
  k0: number;
  k1: number;
}

/** A unit of a fast job: output residues [cFrom, cTo) of request q. */
export interface FastUnit {
  kind: 'fast';
  q: number;
  cFrom: number;
  cTo: number;
}

export type SumsUnit = ExactUnit | FastUnit;

/** Cuts a job into about `parts` units of similar cost, in order. */
export function splitJob(job: SumsJob, parts: number): SumsUnit[][] {
  const p = Math.max(1, Math.floor(parts));
  const m = gridCount(job.grid);
  const slices: SumsUnit[][] = Array.from({ length: p }, () => []);
  if (job.method === 'exact') {
    // Cuts on multiples of the recurrence block, so every frequency is reached by the same
    // rotations from the same exact seed however the job is split (bit-identical results).
    const blocks = Math.ceil(m / EXACT_FREQ_BLOCK);
    for (let s = 0; s < p; s++) {
      const k0 = Math.min(m, Math.floor((blocks * s) / p) * EXACT_FREQ_BLOCK);
      const k1 = Math.min(m, Math.floor((blocks * (s + 1)) / p) * EXACT_FREQ_BLOCK);
      if (k1 > k0) slices[s].push({ kind: 'exact', k0, k1 });
    }
    return slices.filter((u) => u.length > 0);
  }
  // Fast: the Q·R (request, residue) pairs in order, in p contiguous runs.
  const { residues: R } = fastGeometryOf(job);
  const total = requestCount(job) * R;
  for (let s = 0; s < p; s++) {
    const u0 = Math.floor((total * s) / p);
    const u1 = Math.floor((total * (s + 1)) / p);
    let u = u0;
    while (u < u1) {
      const q = Math.floor(u / R);
      const cFrom = u - q * R;
      const cTo = Math.min(R, cFrom + (u1 - u));
      slices[s].push({ kind: 'fast', q, cFrom, cTo });
      u += cTo - cFrom;
    }
  }
  return slices.filter((u) => u.length > 0);
}

/** The FFT geometry of a fast job (one for all its requests: the most points, the widest span). */
export function fastGeometryOf(job: SumsJob): FastGeometry {
  let nMax = 0;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const b of job.bands) {
    nMax = Math.max(nMax, b.t.length);
    for (let i = 0; i < b.t.length; i++) {
      if (b.t[i] < tMin) tMin = b.t[i];
      if (b.t[i] > tMax) tMax = b.t[i];
    }
  }
  const grid = job.grid as FrequencyGrid;
  const span = nMax > 0 ? 2 * job.nterms * grid.step * (tMax - tMin) : 1;
  const geometry = fastGeometry(grid.count, job.fast, nMax, span);
  // Node indices are combined with 32-bit masks.
  if (geometry.nodes >= 2 ** 31) {
    throw new TimeseriesError('TOO_LARGE', `the FFT grid would need ${geometry.nodes} nodes; use fewer frequencies or a lower oversampling`, { parameter: 'grid.count' });
  }
  return geometry;
}

/**
 * Per-thread scratch reused between calls: FFT buffers, and the last extirpolation (keyed
 * by job and request) so consecutive units of the same request do not repeat it.
 */
export interface SumsScratch {
  fast?: FastScratch;
  extirpolated?: { job: SumsJob; q: number; value: Extirpolated };
}

/** Runs units of `job`, adding their sums into `out` (full layout, zeroed by the caller). */
export function runUnits(job: SumsJob, units: SumsUnit[], out: Float64Array, scratch: SumsScratch = {}): void {
  const h = job.nterms;
  const m = gridCount(job.grid);
  for (const unit of units) {
    if (unit.kind === 'exact') {
      job.bands.forEach((band, b) => {
        if (band.t.length === 0) return;
        if (job.grid instanceof Float64Array) directSums(band.t, band.w, band.wy, h, job.grid, unit.k0, unit.k1, out, 3 * h * b, m);
        else exactSums(band.t, band.w, band.wy, h, job.grid.minFrequency, job.grid.step, unit.k0, unit.k1, out, 3 * h * b, m, 0);
      });
      continue;
    }
    const grid = job.grid as FrequencyGrid;
    const b = Math.floor(unit.q / (3 * h));
    const j = unit.q - 3 * h * b;
    const band = job.bands[b];
    if (band.t.length === 0) continue;
    const weights = j < 2 * h ? band.w : band.wy;
    const harmonic = j < 2 * h ? j + 1 : j - 2 * h + 1;
    const geometry = fastGeometryOf(job);
    if (!scratch.fast || scratch.fast.re.length !== geometry.subLength) scratch.fast = fastScratch(geometry.subLength);
    const fStart = harmonic * grid.minFrequency;
    const fStep = harmonic * grid.step;
    let ext = scratch.extirpolated;
    if (!ext || ext.job !== job || ext.q !== unit.q) {
      ext = { job, q: unit.q, value: extirpolate(band.t, weights, fStart, fStep, job.fast.order, geometry) };
      scratch.extirpolated = ext;
    }
    fastSumsResidues(
      band.t,
      weights,
      fStart,
      fStep,
      grid.count,
      job.fast,
      unit.cFrom,
      unit.cTo,
      out.subarray(2 * unit.q * m, (2 * unit.q + 1) * m),
      out.subarray((2 * unit.q + 1) * m, (2 * unit.q + 2) * m),
      scratch.fast,
      geometry,
      ext.value,
    );
  }
}

/** All sums of a job on the calling thread. */
export function computeSums(job: SumsJob): Float64Array {
  const out = new Float64Array(sumsLength(job));
  runUnits(job, splitJob(job, 1)[0] ?? [], out);
  return out;
}
