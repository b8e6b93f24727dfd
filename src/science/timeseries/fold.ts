/** Phase folding of a light curve on a period. */
import { requireFinite } from './errors.js';

/** Phases in [0, 1) of times `t` (days) for a period and the epoch of phase 0. */
export function phaseFold(t: ArrayLike<number>, periodDays: number, epoch = 0): Float64Array {
  requireFinite(periodDays, 'periodDays', Number.MIN_VALUE);
  requireFinite(epoch, 'epoch');
  const out = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    const x = (t[i] - epoch) / periodDays;
    let ph = x - Math.floor(x);
    if (ph >= 1) ph = 0; // x just below an integer can round up
    out[i] = ph;
  }
  return out;
}

/** Indices that sort the phases in increasing order (ties by index). */
export function phaseOrder(phase: ArrayLike<number>): Uint32Array {
  const idx = new Uint32Array(phase.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((a, b) => phase[a] - phase[b] || a - b);
}
