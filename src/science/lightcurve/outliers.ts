/**
 * Outlier rejection against a running median: for light curves without a model (or before
 * one is fitted), each point is compared with the median of its neighbours within ±w/2 in
 * time — a filter that follows any signal slower than the window and ignores single bad
 * points — and clipped when its normalised residual exceeds κ robust standard deviations.
 */
import { MAD_TO_SIGMA, medianInPlace } from '../image/stats.js';
import { LightCurveError, requireFinite } from './errors.js';

/**
 * Median of y over the points with |t_j − t_i| ≤ windowDays/2 (the point itself included),
 * for each i. `t` must be sorted ascending; `keep` (optional) excludes points from the
 * medians (they still get a value).
 */
export function runningMedian(t: ArrayLike<number>, y: ArrayLike<number>, windowDays: number, keep?: ArrayLike<number>): Float64Array {
  requireFinite(windowDays, 'windowDays', 0);
  const n = t.length;
  if (y.length !== n) throw new LightCurveError('SIZE_MISMATCH', `y has ${y.length} values for ${n} times`, { parameter: 'y' });
  for (let i = 1; i < n; i++) if (!(t[i] >= t[i - 1])) throw new LightCurveError('BAD_ARGUMENT', 'times must be sorted ascending', { parameter: 't', index: i });
  const out = new Float64Array(n);
  const buf = new Float64Array(n);
  const half = windowDays / 2;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < n; i++) {
    while (t[i] - t[lo] > half) lo++;
    while (hi < n && t[hi] - t[i] <= half) hi++;
    let m = 0;
    for (let j = lo; j < hi; j++) if (!keep || keep[j]) buf[m++] = y[j];
    out[i] = m > 0 ? medianInPlace(buf, m) : NaN;
  }
  return out;
}

export interface RunningMedianClipOptions {
  windowDays: number;
  /** Threshold in robust standard deviations of the normalised residuals; default 4. */
  sigma?: number;
  /** Rounds at most; default 5. */
  maxIters?: number;
}

/**
 * 1 for points kept, 0 for outliers, judged against the running median of the kept points.
 * `t` sorted ascending; `dy` NaN where unknown (then residuals are compared unnormalised).
 */
export function clipAgainstRunningMedian(t: Float64Array, y: Float64Array, dy: Float64Array, options: RunningMedianClipOptions): Uint8Array {
  const sigma = requireFinite(options.sigma ?? 4, 'sigma', 0);
  if (!(sigma > 0)) throw new LightCurveError('BAD_ARGUMENT', 'must be > 0', { parameter: 'sigma' });
  const maxIters = requireFinite(options.maxIters ?? 5, 'maxIters', 1, 100);
  const n = t.length;
  const keep = new Uint8Array(n).fill(1);
  const z = new Float64Array(n);
  const buf = new Float64Array(n);
  const useErr = Array.from(dy).every((e) => e > 0);
  for (let iter = 0; iter < maxIters; iter++) {
    const med = runningMedian(t, y, options.windowDays, keep);
    let m = 0;
    for (let i = 0; i < n; i++) {
      z[i] = (y[i] - med[i]) / (useErr ? dy[i] : 1);
      if (keep[i] && Number.isFinite(z[i])) buf[m++] = z[i];
    }
    if (m < 3) break;
    const centre = medianInPlace(buf.subarray(0, m), m);
    for (let i = 0; i < m; i++) buf[i] = Math.abs(buf[i] - centre);
    // Normalised residuals within their own error are never clipped.
    const width = Math.max(MAD_TO_SIGMA * medianInPlace(buf.subarray(0, m), m), useErr ? 1 : 0);
    if (!(width > 0)) break;
    let changed = false;
    for (let i = 0; i < n; i++) {
      const k = Number.isFinite(z[i]) && Math.abs(z[i] - centre) <= sigma * width ? 1 : 0;
      if (k !== keep[i]) {
        keep[i] = k;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return keep;
}
