/**
 * Transit times predicted from posterior draws: each draw is integrated to `toDays`, the
 * transits are numbered (observed planets by their data ephemeris, so epochs continue the
 * observed ones; unobserved planets from 0 at the first transit after the reference epoch),
 * and the median and the central 68 % and 95 % intervals of each (planet, epoch) are
 * reported — the windows a scheduler must cover to catch the transit with that probability.
 */
import { Rng } from '../inference/random.js';
import { TtvError } from './errors.js';
import { TtvLikelihood } from './likelihood.js';
import type { TtvModel } from './model.js';
import { quantileSorted } from './summary.js';

export interface PredictedTransit {
  planet: string;
  epoch: number;
  medianDays: number;
  lo68Days: number;
  hi68Days: number;
  lo95Days: number;
  hi95Days: number;
  /** Half the 68 % interval (a 1σ-like width), days. */
  sigmaDays: number;
  /** Draws that produced this transit. */
  nDraws: number;
}

export interface PredictOptions {
  /** Report transits whose median is at or after this time (default: the reference epoch). */
  fromDays?: number;
  /** Integrate to this time (days). */
  toDays: number;
  /** Only these planets (names; default all). */
  planets?: string[];
  /** Posterior draws used (default 500; chosen at random, seeded, when there are more). */
  maxDraws?: number;
  seed?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Longest prediction span accepted (days). */
export const MAX_PREDICTION_SPAN_DAYS = 365.25 * 200;

export function predictTransitTimes(model: TtvModel, samples: Float64Array, options: PredictOptions): PredictedTransit[] {
  const nDim = model.parameters.length;
  const n = samples.length / nDim;
  if (!Number.isInteger(n) || n < 1) throw new TtvError('BAD_SAMPLES', `${samples.length} values are not whole draws of ${nDim} parameters`);
  const to = options.toDays;
  if (!Number.isFinite(to) || !(to > model.referenceEpochDays)) throw new TtvError('BAD_ARGUMENT', `toDays ${to} must be after the reference epoch ${model.referenceEpochDays}`);
  if (to - model.referenceEpochDays > MAX_PREDICTION_SPAN_DAYS) throw new TtvError('TOO_LARGE', `predicting ${(to - model.referenceEpochDays).toFixed(0)} days ahead exceeds ${MAX_PREDICTION_SPAN_DAYS} days`);
  const from = options.fromDays ?? model.referenceEpochDays;
  const wanted = new Set<number>();
  for (const name of options.planets ?? model.planets.map((p) => p.name)) {
    const p = model.planets.findIndex((q) => q.name === name);
    if (p < 0) throw new TtvError('BAD_ARGUMENT', `no planet '${name}' in the model (${model.planets.map((q) => q.name).join(', ')})`);
    wanted.add(p);
  }
  const maxDraws = options.maxDraws ?? 500;
  const rows = drawRows(n, maxDraws, options.seed ?? 1);
  const likelihood = new TtvLikelihood(model);
  const times = new Map<string, { planet: number; epoch: number; t: number[] }>();
  rows.forEach((row, k) => {
    const theta = samples.subarray(row * nDim, (row + 1) * nDim);
    const sim = likelihood.simulate(theta, to);
    options.onProgress?.(k + 1, rows.length);
    if (!sim) return;
    for (let i = 0; i < sim.count; i++) {
      const p = sim.planet[i];
      if (!wanted.has(p)) continue;
      const epoch = model.planets[p].ephemeris ? likelihood.epochOf(p, sim.timeDays[i]) : sim.epoch[i];
      const key = `${p}:${epoch}`;
      let e = times.get(key);
      if (!e) times.set(key, (e = { planet: p, epoch, t: [] }));
      e.t.push(sim.timeDays[i]);
    }
  });
  const out: PredictedTransit[] = [];
  for (const e of times.values()) {
    // An edge transit some draws miss (it falls just past toDays) is not reported.
    if (e.t.length < 0.9 * rows.length) continue;
    const s = Float64Array.from(e.t).sort();
    const med = quantileSorted(s, 0.5);
    if (med < from) continue;
    const lo68 = quantileSorted(s, 0.15865525393145707);
    const hi68 = quantileSorted(s, 0.8413447460685429);
    out.push({
      planet: model.planets[e.planet].name,
      epoch: e.epoch,
      medianDays: med,
      lo68Days: lo68,
      hi68Days: hi68,
      lo95Days: quantileSorted(s, 0.025),
      hi95Days: quantileSorted(s, 0.975),
      sigmaDays: 0.5 * (hi68 - lo68),
      nDraws: s.length,
    });
  }
  out.sort((a, b) => a.medianDays - b.medianDays);
  return out;
}

/** Up to `max` distinct row indices of n, all of them when n ≤ max (partial Fisher–Yates, seeded). */
function drawRows(n: number, max: number, seed: number): number[] {
  if (!Number.isInteger(max) || max < 1) throw new TtvError('BAD_ARGUMENT', `maxDraws must be a positive integer, got ${max}`);
  const idx = Array.from({ length: n }, (_, i) => i);
  if (n <= max) return idx;
  const rng = new Rng(seed);
  for (let i = 0; i < max; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
  }
  return idx.slice(0, max).sort((a, b) => a - b);
}
