/**
 * The best-fit periodic model at one frequency — the least-squares fit the periodogram
 * evaluates there: y(t) ≈ c + Σ_{h=1..nterms} [a_h cos(2πhf(t − tRef)) + b_h sin(…)].
 * Used to draw the model over a phase-folded light curve and to report amplitudes.
 */
import { TimeseriesError, requireFinite, requireInteger } from './errors.js';
import { fillNormalEquations, MAX_NTERMS } from './lombscargle.js';
import { choleskySolve } from './linalg.js';
import { prepareSeries, validateSeries, type SeriesInput } from './series.js';
import { directSums } from './trig-sums.js';

export interface PeriodicModel {
  frequency: number;
  /** Time origin of the phases (the first input time). */
  tRef: number;
  /** Constant term, in y units (the weighted mean when fitted on centred data). */
  offset: number;
  /** cos and sin coefficients of harmonics 1…nterms. */
  cos: Float64Array;
  sin: Float64Array;
}

export function fitPeriodicModel(input: SeriesInput, frequency: number, options: { nterms?: number } = {}): PeriodicModel {
  requireFinite(frequency, 'frequency', 0);
  const h = options.nterms ?? 1;
  requireInteger(h, 'nterms', 1, MAX_NTERMS);
  const v = validateSeries(input, 2 * h + 1);
  const series = prepareSeries(v.t, v.y, v.dy, false);
  const band = series.bands[0];
  const sums = new Float64Array(2 * 3 * h);
  directSums(band.t, band.w, band.wy, h, Float64Array.of(frequency), 0, 1, sums, 0, 1);
  const dim = 2 * h + 1;
  const a = new Float64Array(dim * dim);
  const rhs = new Float64Array(dim);
  fillNormalEquations(sums, 0, h, 1, 0, band.sumW, band.sumWY, true, a, rhs, dim);
  if (!choleskySolve(a, rhs, dim)) {
    throw new TimeseriesError('BAD_DATA', `the ${h}-term model is degenerate at frequency ${frequency} (too few distinct phases)`, { parameter: 'frequency' });
  }
  const cos = new Float64Array(h);
  const sin = new Float64Array(h);
  for (let p = 0; p < h; p++) {
    cos[p] = rhs[1 + 2 * p];
    sin[p] = rhs[2 + 2 * p];
  }
  return { frequency, tRef: series.tRef, offset: rhs[0], cos, sin };
}

/** The model at times t. */
export function evaluateModel(model: PeriodicModel, t: ArrayLike<number>): Float64Array {
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const x = model.frequency * (t[i] - model.tRef);
    const a = 2 * Math.PI * (x - Math.floor(x));
    let v = model.offset;
    for (let p = 0; p < model.cos.length; p++) v += model.cos[p] * Math.cos((p + 1) * a) + model.sin[p] * Math.sin((p + 1) * a);
    out[i] = v;
  }
  return out;
}

/** Peak-to-peak amplitude of the model over one cycle (sampled at 512 phases). */
export function modelAmplitude(model: PeriodicModel): number {
  if (model.frequency === 0) return 0;
  const t = new Float64Array(512);
  for (let i = 0; i < 512; i++) t[i] = model.tRef + i / 512 / model.frequency;
  const v = evaluateModel(model, t);
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  return hi - lo;
}
