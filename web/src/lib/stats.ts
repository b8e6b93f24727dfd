/**
 * Small statistics for the charts, with numpy's conventions so the pictures agree with a
 * scientist's notebook: quantiles by linear interpolation (numpy's default), histograms
 * with half-open bins except the last, which includes its right edge.
 */

/** q-quantile (0 … 1) of ascending-sorted values, numpy 'linear' method. NaN for none. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0 || !(q >= 0 && q <= 1)) return NaN;
  const pos = (n - 1) * q;
  const i = Math.floor(pos);
  const f = pos - i;
  if (i + 1 >= n) return sorted[n - 1];
  return sorted[i] + (sorted[i + 1] - sorted[i]) * f;
}

/** The finite values, sorted ascending (a copy). */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) n++;
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) out[k++] = values[i];
  return out.sort();
}

export interface Histogram {
  /** bins + 1 edges. */
  edges: Float64Array;
  counts: Float64Array;
}

/** numpy.linspace(lo, hi, bins + 1). */
function linspaceEdges(lo: number, hi: number, bins: number): Float64Array {
  const edges = new Float64Array(bins + 1);
  const step = (hi - lo) / bins;
  for (let i = 0; i < bins; i++) edges[i] = i * step + lo;
  edges[bins] = hi;
  return edges;
}

/** The bin of v as numpy finds it (scaled guess, then corrected against the edges); -1 outside. */
function binIndex(v: number, edges: Float64Array): number {
  const bins = edges.length - 1;
  const lo = edges[0];
  const hi = edges[bins];
  if (!(v >= lo && v <= hi)) return -1;
  let k = Math.floor((v - lo) * (bins / (hi - lo)));
  if (k >= bins) k = bins - 1;
  if (v < edges[k]) k--;
  else if (k !== bins - 1 && v >= edges[k + 1]) k++;
  return k;
}

/** Like numpy.histogram(values, bins, range=(lo, hi)); values outside are ignored. */
export function histogram1d(values: ArrayLike<number>, bins: number, lo: number, hi: number): Histogram {
  if (!(Number.isInteger(bins) && bins > 0)) throw new RangeError(`histogram1d: bins must be a positive integer, got ${bins}`);
  if (!(hi > lo)) {
    // numpy widens an empty range by ±0.5
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = linspaceEdges(lo, hi, bins);
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const k = binIndex(values[i], edges);
    if (k >= 0) counts[k]++;
  }
  return { edges, counts };
}

/** Like numpy.histogram2d(x, y, bins, range): counts[ix * bins + iy]. */
export function histogram2d(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  bins: number,
  xRange: [number, number],
  yRange: [number, number],
): { counts: Float64Array; bins: number } {
  const counts = new Float64Array(bins * bins);
  const ex = linspaceEdges(xRange[0], xRange[1], bins);
  const ey = linspaceEdges(yRange[0], yRange[1], bins);
  for (let i = 0; i < x.length; i++) {
    const ix = binIndex(x[i], ex);
    const iy = binIndex(y[i], ey);
    if (ix >= 0 && iy >= 0) counts[ix * bins + iy]++;
  }
  return { counts, bins };
}

/**
 * For each probability mass in `masses` (e.g. 0.393, 0.865: the 1σ and 2σ regions of a 2-D
 * Gaussian), the smallest count a bin needs to lie inside the highest-density region that
 * holds that mass. As corner.py draws its levels.
 */
export function densityLevels(counts: ArrayLike<number>, masses: readonly number[]): number[] {
  const sorted = Array.from(counts).sort((a, b) => b - a);
  const total = sorted.reduce((s, c) => s + c, 0);
  return masses.map((mass) => {
    if (total === 0) return Infinity;
    let acc = 0;
    for (const c of sorted) {
      acc += c;
      if (acc >= mass * total) return c;
    }
    return sorted[sorted.length - 1];
  });
}

/** Columns of a row-major sample matrix (rows = draws). */
export function columns(samples: readonly (readonly number[])[], nParams: number): Float64Array[] {
  const cols = Array.from({ length: nParams }, () => new Float64Array(samples.length));
  samples.forEach((row, i) => {
    for (let j = 0; j < nParams; j++) cols[j][i] = row[j];
  });
  return cols;
}

/** "Nice" tick values covering [lo, hi], about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** Plot range of a parameter: its 0.5–99.5 % span, padded 5 % each side. */
export function paramRange(sorted: Float64Array): [number, number] {
  let lo = quantileSorted(sorted, 0.005);
  let hi = quantileSorted(sorted, 0.995);
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = 0.05 * (hi - lo);
  return [lo - pad, hi + pad];
}
