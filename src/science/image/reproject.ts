/**
 * Reprojection of an image with a celestial WCS onto a target WCS and shape.
 *
 * - 'bilinear' (default) and 'lanczos3' interpolate surface brightness (values per input
 *   pixel, no Jacobian scaling), as astropy reproject's reproject_interp does; the target →
 *   input pixel map comes from pixel-map.ts (coarse grid + checked interpolation).
 * - 'exact' is flux-conserving resampling by area of overlap (exact-overlap.ts); like
 *   reproject_exact it returns surface brightness, so Σ out·footprint·Ω_out = Σ in·Ω_in.
 *
 * NaN outside the input footprint; NaN input pixels are missing data (see interpolate.ts
 * and exact-overlap.ts for the rules). Work goes in bands of rows so scratch memory stays
 * small; the kernels are pure and synchronous so a worker pool can run windows (tiles);
 * with `pool` the bands run on worker threads (see reprojectOnPool).
 */
import { pixToSkyBatch, skyToPixBatch, type Wcs } from '../wcs/index.js';
import { checkShape, ImageError } from './errors.js';
import { accumulateOverlap } from './exact-overlap.js';
import { sampleBilinear, sampleLanczos3 } from './interpolate.js';
import { checkWindow, mapGrid, type GridWindow } from './pixel-map.js';
import type { Pool } from '../parallel/pool.js';

export type { GridWindow } from './pixel-map.js';

export interface WcsImage {
  data: Float32Array;
  width: number;
  height: number;
  wcs: Wcs;
}

export type ReprojectMethod = 'bilinear' | 'lanczos3' | 'exact';

export const REPROJECT_METHODS: readonly ReprojectMethod[] = ['bilinear', 'lanczos3', 'exact'];

export interface ReprojectOptions {
  method?: ReprojectMethod;
  /** Sub-rectangle of the target grid to compute (default: all of it). */
  window?: GridWindow;
  /** Input weight map (same shape as the input), resampled the same way. */
  weights?: Float32Array;
  /** Output buffer of window.width × window.height (reused by tile loops). */
  out?: Float32Array;
  /** Pixel-map node spacing and error bound (see pixelMap). */
  stepPx?: number;
  maxErrorPx?: number;
}

export interface ReprojectResult {
  data: Float32Array;
  weights?: Float32Array;
  /** Fraction of each output pixel covered by valid input (0..1). */
  footprint: Float32Array;
  window: GridWindow;
  /** Largest pixel-map interpolation error measured (input pixels; 0 for 'exact', whose corners are mapped exactly on a checked grid too). */
  maxMapErrorPx: number;
}

/** Scratch budget per band of the target (pixels). */
const BAND_PIXELS = 1 << 18;

/**
 * Rows per band of the target for a window `width` wide. The bands start at the window's
 * first row; the parallel path splits on these boundaries so that every band is computed
 * with exactly the same arguments as in the serial path (identical results).
 */
function bandRows(method: ReprojectMethod, width: number): number {
  // The same budget for every method ('exact' bands also bound the input rectangle mapped).
  void method;
  return Math.max(1, Math.floor(BAND_PIXELS / width));
}

/**
 * Reprojects `input` onto `target` (or `opts.window` of it). With `opts.pool` the target
 * is split into row bands run on the pool's workers (the input is shared with them, not
 * copied per band) and a promise is returned; results are identical to the serial path.
 */
export function reproject(input: WcsImage, target: ReprojectTarget, opts: ReprojectOptions & { pool: Pool }): Promise<ReprojectResult>;
export function reproject(input: WcsImage, target: ReprojectTarget, opts?: ReprojectOptions & { pool?: undefined }): ReprojectResult;
export function reproject(input: WcsImage, target: ReprojectTarget, opts?: ReprojectOptions & { pool?: Pool }): ReprojectResult | Promise<ReprojectResult>;
export function reproject(input: WcsImage, target: ReprojectTarget, opts: ReprojectOptions & { pool?: Pool } = {}): ReprojectResult | Promise<ReprojectResult> {
  const { method, window } = validate(input, target, opts);
  if (!opts.pool) return reprojectSerial(input, target, opts, method, window);
  // An in-process pool (0 workers) runs the serial path; the caller still gets a promise.
  if (opts.pool.size === 0) return Promise.resolve(reprojectSerial(input, target, opts, method, window));
  return reprojectOnPool(input, target, opts, opts.pool, method, window);
}

export type ReprojectTarget = { wcs: Wcs; width: number; height: number };

function validate(input: WcsImage, target: ReprojectTarget, opts: ReprojectOptions): { method: ReprojectMethod; window: GridWindow } {
  const method = opts.method ?? 'bilinear';
  if (!REPROJECT_METHODS.includes(method)) {
    throw new ImageError('BAD_ARGUMENT', `unknown method '${String(method)}' (expected ${REPROJECT_METHODS.join(', ')})`, { parameter: 'method' });
  }
  if (!input.wcs) throw new ImageError('NO_WCS', 'input image has no celestial WCS', { parameter: 'input' });
  if (!target.wcs) throw new ImageError('NO_WCS', 'target grid has no celestial WCS', { parameter: 'target' });
  const nIn = checkShape(input.width, input.height, 'input image');
  if (input.data.length !== nIn) {
    throw new ImageError('SIZE_MISMATCH', `input data has ${input.data.length} values, expected ${input.width}×${input.height}`, { parameter: 'input' });
  }
  if (opts.weights && opts.weights.length !== nIn) {
    throw new ImageError('SIZE_MISMATCH', `weight map has ${opts.weights.length} values, expected ${input.width}×${input.height}`, { parameter: 'weights' });
  }
  checkShape(target.width, target.height, 'target grid');
  // A whole-grid call must produce something; a window (a tile) may legitimately be empty.
  if (!opts.window) checkReprojectable(input, target);
  const window = opts.window ?? { x0: 0, y0: 0, width: target.width, height: target.height };
  checkWindow(window, target);
  if (opts.out && opts.out.length !== window.width * window.height) {
    throw new ImageError('SIZE_MISMATCH', `out has ${opts.out.length} values, expected ${window.width}×${window.height}`, { parameter: 'out' });
  }
  return { method, window };
}

function reprojectSerial(input: WcsImage, target: ReprojectTarget, opts: ReprojectOptions, method: ReprojectMethod, window: GridWindow): ReprojectResult {
  const n = window.width * window.height;
  const data = opts.out ?? new Float32Array(n);
  const footprint = new Float32Array(n);
  const outWeights = opts.weights ? new Float32Array(n) : undefined;
  const mapOpts = { stepPx: opts.stepPx, maxErrorPx: opts.maxErrorPx };
  const rowsPerBand = Math.min(window.height, bandRows(method, window.width));

  let maxMapErrorPx = 0;
  if (method === 'exact') {
    for (let r0 = 0; r0 < window.height; r0 += rowsPerBand) {
      const rows = Math.min(rowsPerBand, window.height - r0);
      const band = { x0: window.x0, y0: window.y0 + r0, width: window.width, height: rows };
      const o = r0 * window.width;
      const e = o + rows * window.width;
      const err = reprojectExact(input, target.wcs, band, opts.weights, data.subarray(o, e), footprint.subarray(o, e), outWeights?.subarray(o, e), mapOpts);
      if (err > maxMapErrorPx) maxMapErrorPx = err;
    }
  } else {
    const sample = method === 'lanczos3' ? sampleLanczos3 : sampleBilinear;
    const mx = new Float64Array(rowsPerBand * window.width);
    const my = new Float64Array(rowsPerBand * window.width);
    const sampleTarget = { out: data, coverage: footprint, outWeights };
    for (let r0 = 0; r0 < window.height; r0 += rowsPerBand) {
      const rows = Math.min(rowsPerBand, window.height - r0);
      const err = mapGrid(target.wcs, input.wcs, window.x0, window.y0 + r0, window.width, rows, mx, my, mapOpts);
      if (err > maxMapErrorPx) maxMapErrorPx = err;
      sample(input.data, input.width, input.height, opts.weights, mx, my, rows * window.width, sampleTarget, r0 * window.width);
    }
  }
  return { data, weights: outWeights, footprint, window, maxMapErrorPx };
}

/** Bands in flight per worker: a few, so uneven bands (footprint edges) balance out. */
const TASKS_PER_WORKER = 3;

function toShared(a: Float32Array): Float32Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float32Array(new SharedArrayBuffer(a.length * 4));
  s.set(a);
  return s;
}

async function reprojectOnPool(input: WcsImage, target: ReprojectTarget, opts: ReprojectOptions, pool: Pool, method: ReprojectMethod, window: GridWindow): Promise<ReprojectResult> {
  const n = window.width * window.height;
  const unit = Math.min(window.height, bandRows(method, window.width));
  const units = Math.ceil(window.height / unit);
  const nTasks = Math.min(units, pool.size * TASKS_PER_WORKER);
  const rowsPerTask = Math.ceil(units / nTasks) * unit;
  // Workers read the input through shared memory: one copy in all, not one per band.
  const shared: ReprojectBandArgs = {
    data: toShared(input.data),
    width: input.width,
    height: input.height,
    wcs: input.wcs,
    target: { wcs: target.wcs, width: target.width, height: target.height },
    window,
    method,
    weights: opts.weights ? toShared(opts.weights) : undefined,
    stepPx: opts.stepPx,
    maxErrorPx: opts.maxErrorPx,
  };
  const data = opts.out ?? new Float32Array(n);
  const footprint = new Float32Array(n);
  const outWeights = opts.weights ? new Float32Array(n) : undefined;
  let maxMapErrorPx = 0;
  const tasks: Promise<void>[] = [];
  for (let r0 = 0; r0 < window.height; r0 += rowsPerTask) {
    const rows = Math.min(rowsPerTask, window.height - r0);
    const band = { x0: window.x0, y0: window.y0 + r0, width: window.width, height: rows };
    tasks.push(
      pool.run({ module: import.meta.url, fn: 'reprojectBandTask', args: [{ ...shared, window: band }] }).then((res) => {
        const r = res as BandResult;
        const o = r0 * window.width;
        data.set(r.data, o);
        footprint.set(r.footprint, o);
        if (outWeights && r.weights) outWeights.set(r.weights, o);
        if (r.maxMapErrorPx > maxMapErrorPx) maxMapErrorPx = r.maxMapErrorPx;
      }),
    );
  }
  await Promise.all(tasks);
  return { data, weights: outWeights, footprint, window, maxMapErrorPx };
}

export interface ReprojectBandArgs {
  data: Float32Array;
  width: number;
  height: number;
  wcs: Wcs;
  target: ReprojectTarget;
  window: GridWindow;
  method: ReprojectMethod;
  weights: Float32Array | undefined;
  stepPx: number | undefined;
  maxErrorPx: number | undefined;
}

interface BandResult {
  data: Float32Array;
  footprint: Float32Array;
  weights?: Float32Array;
  maxMapErrorPx: number;
}

/** Worker task: one band of the target (the serial kernel on a window). */
export function reprojectBandTask(a: ReprojectBandArgs): BandResult {
  const r = reprojectSerial({ data: a.data, width: a.width, height: a.height, wcs: a.wcs }, a.target, { weights: a.weights, stepPx: a.stepPx, maxErrorPx: a.maxErrorPx }, a.method, a.window);
  return { data: r.data, footprint: r.footprint, weights: r.weights, maxMapErrorPx: r.maxMapErrorPx };
}

/**
 * The input pixel rectangle that can reach `window`: the window's outline (pixel edges,
 * every few pixels) mapped into the input, widened by 2 px; the whole input when the
 * outline does not map at all. Undefined when it misses the input.
 */
function inputBounds(input: WcsImage, targetWcs: Wcs, window: GridWindow): { c0: number; c1: number; r0: number; r1: number } | undefined {
  const pts: number[] = [];
  const stepX = Math.max(1, Math.floor(window.width / 64));
  const stepY = Math.max(1, Math.floor(window.height / 64));
  const xl = window.x0 - 0.5;
  const xr = window.x0 + window.width - 0.5;
  const yb = window.y0 - 0.5;
  const yt = window.y0 + window.height - 0.5;
  for (let x = 0; x <= window.width; x += stepX) pts.push(xl + x, yb, xl + x, yt);
  for (let y = 0; y <= window.height; y += stepY) pts.push(xl, yb + y, xr, yb + y);
  pts.push(xr, yt);
  const m = pts.length / 2;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    xs[i] = pts[2 * i];
    ys[i] = pts[2 * i + 1];
  }
  const sky = pixToSkyBatch(targetWcs, xs, ys);
  const pix = skyToPixBatch(input.wcs, sky.raDeg, sky.decDeg);
  let minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
  let mapped = 0;
  for (let i = 0; i < m; i++) {
    const x = pix.xPx[i];
    const y = pix.yPx[i];
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    mapped++;
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  // A partly unmapped outline (window reaching behind the input's horizon) bounds nothing.
  if (mapped < m) return { c0: 0, c1: input.width, r0: 0, r1: input.height };
  const c0 = Math.max(0, Math.floor(minX) - 2);
  const c1 = Math.min(input.width, Math.ceil(maxX) + 3);
  const r0 = Math.max(0, Math.floor(minY) - 2);
  const r1 = Math.min(input.height, Math.ceil(maxY) + 3);
  if (c0 >= c1 || r0 >= r1) return undefined;
  return { c0, c1, r0, r1 };
}

function reprojectExact(
  input: WcsImage,
  targetWcs: Wcs,
  window: GridWindow,
  weights: Float32Array | undefined,
  out: Float32Array,
  footprint: Float32Array,
  outWeights: Float32Array | undefined,
  mapOpts: { stepPx?: number; maxErrorPx?: number },
): number {
  const n = window.width * window.height;
  const acc = { sum: new Float64Array(n), area: new Float64Array(n), weightSum: weights ? new Float64Array(n) : undefined };
  const bounds = inputBounds(input, targetWcs, window);
  let maxErr = 0;
  if (bounds) {
    const { c0, c1, r0, r1 } = bounds;
    const cw = c1 - c0 + 1;
    const bandRows = Math.max(1, Math.min(r1 - r0, Math.floor(BAND_PIXELS / cw)));
    const cx = new Float64Array((bandRows + 1) * cw);
    const cy = new Float64Array((bandRows + 1) * cw);
    for (let r = r0; r < r1; r += bandRows) {
      const rows = Math.min(bandRows, r1 - r);
      // Input pixel corners → target pixels, made window-relative.
      const err = mapGrid(input.wcs, targetWcs, c0 - 0.5, r - 0.5, cw, rows + 1, cx, cy, mapOpts);
      if (err > maxErr) maxErr = err;
      const m = (rows + 1) * cw;
      for (let i = 0; i < m; i++) {
        cx[i] -= window.x0;
        cy[i] -= window.y0;
      }
      accumulateOverlap(input.data, input.width, weights, c0, c1, r, r + rows, cx, cy, window.width, window.height, acc);
    }
  }
  const { sum, area, weightSum } = acc;
  for (let i = 0; i < n; i++) {
    const a = area[i];
    if (a > 0) {
      out[i] = sum[i] / a;
      footprint[i] = a > 1 ? 1 : a;
      if (outWeights && weightSum) outWeights[i] = weightSum[i] / a;
    } else {
      out[i] = NaN;
      footprint[i] = 0;
      if (outWeights) outWeights[i] = 0;
    }
  }
  return maxErr;
}

/**
 * Throws NO_OVERLAP when nothing of the input lands on the target grid and ALL_NAN when
 * the input has no valid pixel: checks for callers (CLI, co-addition) that want an error
 * rather than an all-NaN result.
 */
export function checkReprojectable(input: WcsImage, target: { wcs: Wcs; width: number; height: number }, name = 'input'): void {
  let valid = false;
  for (let i = 0; i < input.data.length; i++) {
    if (input.data[i] === input.data[i]) {
      valid = true;
      break;
    }
  }
  if (!valid) throw new ImageError('ALL_NAN', 'image has no valid (non-NaN) pixel', { file: name });
  if (!overlaps(input, target)) throw new ImageError('NO_OVERLAP', 'image does not overlap the target grid', { file: name });
}

/**
 * Whether the input's footprint reaches the target grid: a coarse sampling (≤ 65×65
 * points, plus the edges) of the target mapped into the input, and of the input mapped
 * into the target.
 */
export function overlaps(input: WcsImage, target: { wcs: Wcs; width: number; height: number }): boolean {
  return hits(target.wcs, target.width, target.height, input.wcs, input.width, input.height) || hits(input.wcs, input.width, input.height, target.wcs, target.width, target.height);
}

function hits(fromWcs: Wcs, fw: number, fh: number, toWcs: Wcs, tw: number, th: number): boolean {
  const nx = Math.min(fw, 65);
  const ny = Math.min(fh, 65);
  const xs = new Float64Array(nx * ny);
  const ys = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      xs[j * nx + i] = nx === 1 ? 0 : (i * (fw - 1)) / (nx - 1);
      ys[j * nx + i] = ny === 1 ? 0 : (j * (fh - 1)) / (ny - 1);
    }
  }
  const sky = pixToSkyBatch(fromWcs, xs, ys);
  const pix = skyToPixBatch(toWcs, sky.raDeg, sky.decDeg);
  for (let i = 0; i < xs.length; i++) {
    const x = pix.xPx[i];
    const y = pix.yPx[i];
    if (x >= -0.5 && x <= tw - 0.5 && y >= -0.5 && y <= th - 0.5) return true;
  }
  return false;
}
