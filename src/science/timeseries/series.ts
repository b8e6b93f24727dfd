/**
 * Light-curve input for the periodograms: validation, weights and centring.
 *
 * Weights are w_i = 1/dy_i² (1 without errors), normalised so that Σ w = 1 over all points;
 * the raw sum Σ 1/dy² is kept for the 'psd' normalisation. Times are shifted by the first
 * time (a periodogram does not change under a time shift, and small t keeps f·t accurate).
 * Points are grouped by band (one band for an ordinary light curve).
 */
import { TimeseriesError } from './errors.js';

export interface SeriesInput {
  /** Observation times (days, e.g. BJD_TDB or MJD). */
  t: ArrayLike<number>;
  /** Measurements (magnitude, flux, …). */
  y: ArrayLike<number>;
  /** 1σ uncertainties of y: one per point, one for all, or absent (equal weights). */
  dy?: ArrayLike<number> | number;
}

/** The points of one band, times shifted by `tRef`, weights normalised over all bands. */
export interface PreparedBand {
  t: Float64Array;
  /** Normalised weights (Σ over all bands = 1). */
  w: Float64Array;
  /** w·y with y centred as requested. */
  wy: Float64Array;
  /** Σ w over the band. */
  sumW: number;
  /** Σ w·y over the band (0 when centred). */
  sumWY: number;
  /** Σ w·y² over the band. */
  sumWYY: number;
  /** Indices of the band's points in the input. */
  index: Int32Array;
}

export interface PreparedSeries {
  /** Number of points. */
  n: number;
  /** Time subtracted from every t (the first input time). */
  tRef: number;
  bands: PreparedBand[];
  /** Σ 1/dy² over all points (N when there are no errors). */
  sumRawWeight: number;
  /** max(t) − min(t) in days. */
  baselineDays: number;
  /** Σ w·y² of the input values before centring (normalised weights): a scale for "constant". */
  yScale2: number;
}

/** Most points a periodogram accepts (guards allocations of several arrays per point). */
export const MAX_POINTS = 1 << 26;

/** Validated copies of t, y, dy (dy filled with 1 when absent); throws on NaN, dy ≤ 0, length mismatch. */
export function validateSeries(input: SeriesInput, minPoints = 1): { t: Float64Array; y: Float64Array; dy: Float64Array; hasErrors: boolean } {
  const n = input.t?.length;
  if (typeof n !== 'number') throw new TimeseriesError('BAD_ARGUMENT', 'times must be an array', { parameter: 't' });
  if (input.y?.length !== n) {
    throw new TimeseriesError('SIZE_MISMATCH', `y has ${input.y?.length} values but t has ${n}`, { parameter: 'y' });
  }
  if (n > MAX_POINTS) throw new TimeseriesError('TOO_LARGE', `${n} points exceed the limit of ${MAX_POINTS}`, { parameter: 't' });
  if (n < minPoints) throw new TimeseriesError('TOO_FEW_POINTS', `need at least ${minPoints} points, got ${n}`, { parameter: 't' });
  const dyIn = input.dy;
  if (dyIn !== undefined && typeof dyIn !== 'number' && dyIn.length !== n) {
    throw new TimeseriesError('SIZE_MISMATCH', `dy has ${dyIn.length} values but t has ${n}`, { parameter: 'dy' });
  }
  const t = new Float64Array(n);
  const y = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ti = Number(input.t[i]);
    const yi = Number(input.y[i]);
    const di = dyIn === undefined ? 1 : typeof dyIn === 'number' ? dyIn : Number(dyIn[i]);
    if (!Number.isFinite(ti)) throw new TimeseriesError('BAD_DATA', `time is not finite: ${ti}`, { index: i, parameter: 't' });
    if (!Number.isFinite(yi)) throw new TimeseriesError('BAD_DATA', `value is not finite: ${yi}`, { index: i, parameter: 'y' });
    if (!(di > 0) || !Number.isFinite(di)) throw new TimeseriesError('BAD_DATA', `uncertainty must be finite and > 0, got ${di}`, { index: i, parameter: 'dy' });
    t[i] = ti;
    y[i] = yi;
    dy[i] = di;
  }
  return { t, y, dy, hasErrors: dyIn !== undefined };
}

/**
 * Prepares validated data: `band[i]` gives each point's band index in [0, nBands) (all 0
 * when absent). With `centerData`, y is centred on the weighted mean of its band.
 */
export function prepareSeries(
  t: Float64Array,
  y: Float64Array,
  dy: Float64Array,
  centerData: boolean,
  band?: Int32Array,
  nBands = 1,
): PreparedSeries {
  const n = t.length;
  let tMin = Infinity;
  let tMax = -Infinity;
  let sumRaw = 0;
  let yScale2 = 0;
  for (let i = 0; i < n; i++) {
    if (t[i] < tMin) tMin = t[i];
    if (t[i] > tMax) tMax = t[i];
    sumRaw += 1 / (dy[i] * dy[i]);
    yScale2 += (y[i] * y[i]) / (dy[i] * dy[i]);
  }
  yScale2 /= sumRaw;
  const tRef = n > 0 ? t[0] : 0;
  const counts = new Int32Array(nBands);
  for (let i = 0; i < n; i++) counts[band ? band[i] : 0]++;
  const bands: PreparedBand[] = [];
  for (let b = 0; b < nBands; b++) {
    const m = counts[b];
    bands.push({ t: new Float64Array(m), w: new Float64Array(m), wy: new Float64Array(m), sumW: 0, sumWY: 0, sumWYY: 0, index: new Int32Array(m) });
  }
  const fill = new Int32Array(nBands);
  for (let i = 0; i < n; i++) {
    const b = band ? band[i] : 0;
    const bd = bands[b];
    const j = fill[b]++;
    bd.t[j] = t[i] - tRef;
    bd.w[j] = 1 / (dy[i] * dy[i]) / sumRaw;
    bd.index[j] = i;
  }
  for (const bd of bands) {
    let sw = 0;
    let swy = 0;
    for (let j = 0; j < bd.t.length; j++) {
      sw += bd.w[j];
      swy += bd.w[j] * y[bd.index[j]];
    }
    const mean = centerData && sw > 0 ? swy / sw : 0;
    let sumWY = 0;
    let sumWYY = 0;
    for (let j = 0; j < bd.t.length; j++) {
      const yc = y[bd.index[j]] - mean;
      bd.wy[j] = bd.w[j] * yc;
      sumWY += bd.wy[j];
      sumWYY += bd.wy[j] * yc;
    }
    bd.sumW = sw;
    bd.sumWY = sumWY;
    bd.sumWYY = sumWYY;
  }
  return { n, tRef, bands, sumRawWeight: sumRaw, baselineDays: n > 0 ? tMax - tMin : 0, yScale2 };
}
