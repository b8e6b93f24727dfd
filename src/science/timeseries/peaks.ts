/**
 * The highest peaks of a periodogram: local maxima, best first, each at least
 * `minSeparation` (cycles/day) from every better one — so one broad peak, or its
 * shoulders, is reported once while aliases (f ± 1/day) and harmonics still show up.
 */
import { TimeseriesError, requireFinite, requireInteger } from './errors.js';
import type { FrequencyGrid } from './frequency-grid.js';

export interface Peak {
  /** Grid index of the maximum. */
  index: number;
  /** Frequency (cycles/day): the grid value, or the vertex of a parabola through the three samples with `refine`. */
  frequency: number;
  periodDays: number;
  power: number;
}

export interface PeakOptions {
  /** Peaks to return (default 5). */
  count?: number;
  /** Minimum distance between reported peaks (cycles/day; default 0: any two distinct local maxima). */
  minSeparation?: number;
  /** Refine each maximum by a parabola through it and its neighbours (regular grids; default false). */
  refine?: boolean;
}

export function topPeaks(power: ArrayLike<number>, grid: FrequencyGrid | ArrayLike<number>, options: PeakOptions = {}): Peak[] {
  const count = options.count ?? 5;
  requireInteger(count, 'count', 1, 1_000_000);
  const minSep = options.minSeparation ?? 0;
  requireFinite(minSep, 'minSeparation', 0);
  const regular = !isArrayLike(grid);
  const m = power.length;
  const nGrid = regular ? (grid as FrequencyGrid).count : (grid as ArrayLike<number>).length;
  if (nGrid !== m) throw new TimeseriesError('SIZE_MISMATCH', `${m} powers for ${nGrid} frequencies`, { parameter: 'power' });
  const freq = (k: number): number => (regular ? (grid as FrequencyGrid).minFrequency + k * (grid as FrequencyGrid).step : (grid as ArrayLike<number>)[k]);
  const maxima: number[] = [];
  for (let k = 0; k < m; k++) {
    const p = power[k];
    if (!Number.isFinite(p)) continue;
    const left = k > 0 ? power[k - 1] : -Infinity;
    const right = k + 1 < m ? power[k + 1] : -Infinity;
    // ≥ on the left and > on the right keeps one sample of a flat top.
    if (p >= left && p > right) maxima.push(k);
    else if (m === 1) maxima.push(k);
  }
  maxima.sort((a, b) => power[b] - power[a] || a - b);
  const out: Peak[] = [];
  for (const k of maxima) {
    if (out.length >= count) break;
    let f = freq(k);
    let p = power[k];
    if (options.refine && regular && k > 0 && k + 1 < m) {
      const a = power[k - 1];
      const c = power[k + 1];
      const den = a - 2 * p + c;
      if (den < 0) {
        const delta = (0.5 * (a - c)) / den;
        if (Math.abs(delta) <= 0.5) {
          f += delta * (grid as FrequencyGrid).step;
          p -= 0.25 * (a - c) * delta;
        }
      }
    }
    if (out.some((q) => Math.abs(q.frequency - f) < minSep)) continue;
    out.push({ index: k, frequency: f, periodDays: f > 0 ? 1 / f : Infinity, power: p });
  }
  return out;
}

function isArrayLike(g: FrequencyGrid | ArrayLike<number>): g is ArrayLike<number> {
  return typeof (g as ArrayLike<number>).length === 'number';
}
