/**
 * Calibration frames: master bias, dark and flat combined from many raw frames, and their
 * application to a light frame, with a mask plane (mask.ts bits) carried along.
 *
 *   calibrated = (light − bias − dark · t_light / t_dark) / flat
 *
 * - Master bias: per-pixel combination of bias frames.
 * - Master dark: per-pixel combination of (dark − bias) frames, each first scaled to a
 *   common exposure t_dark (the median of the frames' exposures) when they differ. Without
 *   a master bias the dark keeps the bias in it, and can then only be applied unscaled to
 *   lights of its own exposure.
 * - Master flat: each flat is corrected (bias, dark scaled to its exposure) and divided by
 *   its own sigma-clipped median, the normalised flats are combined, and the result is
 *   divided by its sigma-clipped median (so the master's typical value is 1).
 * Combination is 'median', 'mean' or 'clipped-mean' (per pixel: iterative κσ clipping about
 * the median with the population std, then the mean of the survivors — astropy's
 * sigma_clip(axis=0) followed by a mean). NaN inputs are skipped pixel by pixel.
 *
 * Memory: frames are read in row bands, so combining N frames of W × H pixels holds
 *   N · R · W · 4 bytes of bands (R rows per band, chosen so this stays under
 *   `memoryBytes`, default 256 MiB) + W · H · 5 bytes of result (float32 + mask)
 * plus the masters used for corrections. 50 frames of 4096² take 256 MiB + 80 MiB.
 * The per-band kernel (`combineBand`) is pure and synchronous, for a worker pool.
 */
import { FitsReader } from '../fits/reader.js';
import { Header } from '../fits/header.js';
import { imageHdu, type HduToWrite } from '../fits/writer.js';
import { parseLayout, uncompressedHeader } from '../fits/compression/compressed-image.js';
import { readCompressedRegion } from '../fits/compression/read-tiles.js';
import { checkShape, ImageError } from './errors.js';
import { checkMask, MaskBit } from './mask.js';
import { medianInPlace, sigmaClipBuffer, sigmaClippedStats, type Image2D, type NumericArray } from './stats.js';

export type CombineMethod = 'median' | 'mean' | 'clipped-mean';

/** A frame that can be read a band of rows at a time. */
export interface FrameSource {
  /** File path or label, used in error messages. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** Exposure time in seconds, when known. */
  readonly exposureS?: number;
  /** Rows [y0, y0 + rows) as float32, row-major; the caller may modify the returned array. */
  readRows(y0: number, rows: number): Promise<Float32Array> | Float32Array;
  close?(): Promise<void> | void;
}

export interface MasterFrame {
  kind: 'bias' | 'dark' | 'flat';
  width: number;
  height: number;
  data: Float32Array;
  /** MaskBit flags: NO_DATA where no input frame had a valid value, HOT, LOW_RESPONSE. */
  mask: Uint8Array;
  /** Number of frames combined. */
  frames: number;
  method: CombineMethod;
  /** Dark: the exposure (s) the master corresponds to; flat: unused. */
  exposureS?: number;
  /** Dark / flat: a master bias was subtracted from the frames. */
  biasSubtracted?: boolean;
  /** Flat: a master dark was subtracted from the frames. */
  darkSubtracted?: boolean;
  /** Flat: the clipped median the combined (already per-frame normalised) flat was divided by. */
  normalisation?: number;
  /** Flat: each input flat's clipped median after corrections (ADU), which it was divided by. */
  frameLevels?: number[];
}

export interface FrameCombineOptions {
  /** Default 'clipped-mean'. */
  method?: CombineMethod;
  /** Clipping threshold in σ for 'clipped-mean' (default 3). */
  sigma?: number;
  /** Clipping iterations for 'clipped-mean' (default 5). */
  maxIters?: number;
  /** Budget for the row bands of all frames together (bytes, default 256 MiB). */
  memoryBytes?: number;
  /** Called after each band with rows done and total rows. */
  onProgress?: (rowsDone: number, rowsTotal: number) => void;
}

const DEFAULT_MEMORY = 256 * 2 ** 20;

// ---------------------------------------------------------------------------------------
// Frame sources

/** A frame already in memory (any numeric typed array). */
export function arrayFrame(name: string, image: Image2D<NumericArray>, exposureS?: number): FrameSource {
  const n = checkShape(image.width, image.height, name);
  if (image.data.length !== n) {
    throw new ImageError('SIZE_MISMATCH', `data has ${image.data.length} pixels, expected ${image.width}×${image.height}`, { file: name });
  }
  return {
    name,
    width: image.width,
    height: image.height,
    exposureS,
    readRows(y0, rows) {
      checkRows(y0, rows, image.height, name);
      return Float32Array.from(image.data.subarray(y0 * image.width, (y0 + rows) * image.width));
    },
  };
}

function checkRows(y0: number, rows: number, height: number, name: string): void {
  if (!Number.isInteger(y0) || !Number.isInteger(rows) || y0 < 0 || rows < 0 || y0 + rows > height) {
    throw new ImageError('BAD_ARGUMENT', `rows ${y0}+${rows} outside the ${height}-row frame`, { file: name });
  }
}

/** Exposure keywords in order of preference. */
const EXPOSURE_KEYWORDS = ['EXPTIME', 'EXPOSURE', 'EXP_TIME', 'ITIME'];

/** Exposure time (s) from a header, or undefined. */
export function headerExposureS(header: Header): number | undefined {
  for (const k of EXPOSURE_KEYWORDS) {
    const v = header.get(k);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
}

export interface FitsFrame extends FrameSource {
  /** Header of the image HDU read (for compressed images: the equivalent image header). */
  readonly header: Header;
  /** HDU index read. */
  readonly hdu: number;
  close(): Promise<void>;
}

/**
 * Open the image of a FITS file as a FrameSource reading row bands from disk: HDU `hdu`,
 * or the first HDU with a 2-D image (plain or tile-compressed). Exposure from EXPTIME /
 * EXPOSURE / EXP_TIME / ITIME unless `exposureS` is given.
 */
export async function openFitsFrame(path: string, opts: { hdu?: number; exposureS?: number } = {}): Promise<FitsFrame> {
  const reader = await FitsReader.open(path);
  try {
    const candidates = opts.hdu === undefined ? reader.hdus : [reader.hdus[opts.hdu]];
    if (candidates[0] === undefined) throw new ImageError('BAD_ARGUMENT', `no HDU ${opts.hdu} (the file has ${reader.hdus.length})`, { file: path, parameter: 'hdu' });
    for (const info of candidates) {
      if (info.type === 'image') {
        const h = info.header;
        const naxis = h.getInt('NAXIS') ?? 0;
        if (naxis < 2) continue;
        const width = h.getInt('NAXIS1') ?? 0;
        const height = h.getInt('NAXIS2') ?? 0;
        if (width <= 0 || height <= 0) continue;
        checkShape(width, height, path);
        const hdu = info.index;
        return fitsFrame(reader, path, hdu, h, width, height, opts.exposureS ?? headerExposureS(h), async (y0, rows) => {
          const img = await reader.readImage(hdu, { window: { x0: 0, y0, width, height: rows } });
          return toFloat32(img.data);
        });
      }
      if (info.type === 'compressed-image') {
        const layout = parseLayout(info.header, info.index);
        if (layout.axes.length < 2 || layout.axes[0] <= 0 || layout.axes[1] <= 0) continue;
        const [width, height] = layout.axes;
        checkShape(width, height, path);
        const hdu = info.index;
        const tileH = layout.grid.tileShape[1];
        const tilesX = layout.grid.counts[0];
        const header = uncompressedHeader(info.header, undefined, hdu);
        return fitsFrame(reader, path, hdu, header, width, height, opts.exposureS ?? headerExposureS(header), async (y0, rows) => {
          // Tiles covering the rows: whole rows of tiles (first plane for cubes).
          const ty0 = Math.floor(y0 / tileH);
          const ty1 = Math.floor((y0 + rows - 1) / tileH);
          const region = await readCompressedRegion(reader, hdu, ty0 * tilesX, (ty1 + 1) * tilesX - 1);
          const off = (y0 - region.origin[1]) * width;
          return toFloat32(region.image.data).subarray(off, off + rows * width);
        });
      }
    }
    throw new ImageError('BAD_ARGUMENT', `no 2-D image${opts.hdu === undefined ? ' in any HDU' : ` in HDU ${opts.hdu}`}`, { file: path });
  } catch (e) {
    await reader.close();
    throw e;
  }
}

function fitsFrame(
  reader: FitsReader,
  name: string,
  hdu: number,
  header: Header,
  width: number,
  height: number,
  exposureS: number | undefined,
  read: (y0: number, rows: number) => Promise<Float32Array>,
): FitsFrame {
  return {
    name,
    width,
    height,
    exposureS,
    header,
    hdu,
    async readRows(y0, rows) {
      checkRows(y0, rows, height, name);
      if (rows === 0) return new Float32Array(0);
      return read(y0, rows);
    },
    close: () => reader.close(),
  };
}

function toFloat32(data: ArrayLike<number | bigint>): Float32Array {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  } else out.set(data as ArrayLike<number>);
  return out;
}

// ---------------------------------------------------------------------------------------
// Combination

/**
 * Combine pixel by pixel the bands of `frames.length` frames (each `n` values) into
 * `out[outOffset ..]`; pixels with no valid input become NaN with NO_DATA in `outMask`.
 * `valid[i]` accumulates the number of valid pixels of frame i. Pure kernel.
 */
export function combineBand(
  frames: Float32Array[],
  n: number,
  out: Float32Array,
  outMask: Uint8Array,
  outOffset: number,
  opts: { method: CombineMethod; sigma: number; maxIters: number },
  valid?: Float64Array,
  scratch: Float64Array = new Float64Array(2 * frames.length),
): void {
  const k = frames.length;
  const buf = scratch.subarray(0, k);
  const work = scratch.subarray(k, 2 * k);
  const clip = { sigma: opts.sigma, maxIters: opts.maxIters };
  if (valid) {
    for (let f = 0; f < k; f++) {
      const band = frames[f];
      let c = 0;
      for (let p = 0; p < n; p++) if (band[p] - band[p] === 0) c++;
      valid[f] += c;
    }
  }
  for (let p = 0; p < n; p++) {
    let m = 0;
    for (let f = 0; f < k; f++) {
      const v = frames[f][p];
      if (v - v === 0) buf[m++] = v;
    }
    let value: number;
    if (m === 0) {
      value = NaN;
      outMask[outOffset + p] |= MaskBit.NO_DATA;
    } else if (opts.method === 'median') value = medianInPlace(buf, m);
    else if (opts.method === 'mean') {
      let s = 0;
      for (let i = 0; i < m; i++) s += buf[i];
      value = s / m;
    } else value = sigmaClipBuffer(buf, m, work, clip).mean;
    out[outOffset + p] = value;
  }
}

function checkCombine(opts: FrameCombineOptions): { method: CombineMethod; sigma: number; maxIters: number; memoryBytes: number } {
  const method = opts.method ?? 'clipped-mean';
  if (method !== 'median' && method !== 'mean' && method !== 'clipped-mean') {
    throw new ImageError('BAD_ARGUMENT', `combination method '${String(method)}' is not one of median, mean, clipped-mean`, { parameter: 'method' });
  }
  const sigma = opts.sigma ?? 3;
  if (!(sigma > 0) || !Number.isFinite(sigma)) throw new ImageError('BAD_ARGUMENT', `sigma ${sigma} must be a positive number`, { parameter: 'sigma' });
  const maxIters = opts.maxIters ?? 5;
  if (!(Number.isInteger(maxIters) && maxIters >= 1)) throw new ImageError('BAD_ARGUMENT', `maxIters ${maxIters} must be a positive integer`, { parameter: 'maxIters' });
  const memoryBytes = opts.memoryBytes ?? DEFAULT_MEMORY;
  if (!(memoryBytes > 0)) throw new ImageError('BAD_ARGUMENT', `memoryBytes ${memoryBytes} must be positive`, { parameter: 'memoryBytes' });
  return { method, sigma, maxIters, memoryBytes };
}

/** All frames the same shape (SIZE_MISMATCH naming the first that is not). */
function checkSameShape(frames: FrameSource[], what: string): { width: number; height: number } {
  if (frames.length === 0) throw new ImageError('BAD_ARGUMENT', `no ${what} frames given`, { parameter: what });
  const { width, height } = frames[0];
  checkShape(width, height, frames[0].name);
  frames.forEach((f, i) => {
    if (f.width !== width || f.height !== height) {
      throw new ImageError('SIZE_MISMATCH', `${what} frame is ${f.width}×${f.height}, but ${frames[0].name} is ${width}×${height}`, { file: f.name, frame: i });
    }
  });
  return { width, height };
}

function checkMaster(master: MasterFrame | undefined, width: number, height: number, against: string): void {
  if (!master) return;
  if (master.width !== width || master.height !== height) {
    throw new ImageError('SIZE_MISMATCH', `master ${master.kind} is ${master.width}×${master.height}, but ${against} is ${width}×${height}`, { file: against, parameter: master.kind });
  }
}

/** Rows per band so that `frames` bands of `width` float32 pixels fit in `memoryBytes`. */
export function bandRows(frames: number, width: number, height: number, memoryBytes: number = DEFAULT_MEMORY): number {
  return Math.max(1, Math.min(height, Math.floor(memoryBytes / (frames * width * 4))));
}

/**
 * Combine frames pixel by pixel, reading them band by band. `prepare(f, band, y0, rows)`
 * may correct frame f's band in place before combination (bias subtraction, scaling).
 * Throws ALL_NAN naming a frame with no valid pixel.
 */
export async function combineFrames(
  frames: FrameSource[],
  opts: FrameCombineOptions = {},
  prepare?: (frame: number, band: Float32Array, y0: number, rows: number) => void,
  what = 'input',
): Promise<{ data: Float32Array; mask: Uint8Array; width: number; height: number }> {
  const o = checkCombine(opts);
  const { width, height } = checkSameShape(frames, what);
  const rowsPerBand = bandRows(frames.length, width, height, o.memoryBytes);
  const data = new Float32Array(width * height);
  const mask = new Uint8Array(width * height);
  const valid = new Float64Array(frames.length);
  const scratch = new Float64Array(2 * frames.length);
  for (let y0 = 0; y0 < height; y0 += rowsPerBand) {
    const rows = Math.min(rowsPerBand, height - y0);
    const bands: Float32Array[] = [];
    for (let f = 0; f < frames.length; f++) {
      const band = await frames[f].readRows(y0, rows);
      if (band.length !== rows * width) {
        throw new ImageError('SIZE_MISMATCH', `read ${band.length} values for ${rows} rows of ${width}`, { file: frames[f].name, frame: f });
      }
      prepare?.(f, band, y0, rows);
      bands.push(band);
    }
    combineBand(bands, rows * width, data, mask, y0 * width, o, valid, scratch);
    opts.onProgress?.(y0 + rows, height);
  }
  valid.forEach((v, f) => {
    if (v === 0) throw new ImageError('ALL_NAN', `${what} frame has no valid (finite) pixel`, { file: frames[f].name, frame: f });
  });
  return { data, mask, width, height };
}

// ---------------------------------------------------------------------------------------
// Masters

/** Master bias: the per-pixel combination of bias frames. */
export async function masterBias(frames: FrameSource[], opts: FrameCombineOptions = {}): Promise<MasterFrame> {
  const o = checkCombine(opts);
  const r = await combineFrames(frames, opts, undefined, 'bias');
  return { kind: 'bias', width: r.width, height: r.height, data: r.data, mask: r.mask, frames: frames.length, method: o.method };
}

function exposureOf(f: FrameSource, i: number, what: string): number {
  const t = f.exposureS;
  if (t === undefined) throw new ImageError('BAD_ARGUMENT', `${what} frame has no exposure time (EXPTIME)`, { file: f.name, frame: i, parameter: 'exposureS' });
  if (!(t > 0) || !Number.isFinite(t)) {
    throw new ImageError('BAD_ARGUMENT', `${what} frame has exposure ${t} s; scaling a dark needs a positive exposure`, { file: f.name, frame: i, parameter: 'exposureS' });
  }
  return t;
}

export interface MasterDarkOptions extends FrameCombineOptions {
  /** Master bias subtracted from each dark first (recommended: the dark can then be scaled). */
  bias?: MasterFrame;
  /** Flag HOT where the master dark exceeds its clipped median by more than this many σ. */
  hotSigma?: number;
}

/**
 * Master dark: (dark − bias) frames combined, each scaled to the median exposure of the set
 * when exposures differ. Without `bias`, all darks must share one exposure.
 */
export async function masterDark(frames: FrameSource[], opts: MasterDarkOptions = {}): Promise<MasterFrame> {
  const o = checkCombine(opts);
  const { width, height } = checkSameShape(frames, 'dark');
  checkMaster(opts.bias, width, height, frames[0].name);
  const exposures = frames.map((f, i) => exposureOf(f, i, 'dark'));
  const tRef = medianInPlace(Float64Array.from(exposures));
  const scales = exposures.map((t) => tRef / t);
  const differ = scales.some((s) => Math.abs(s - 1) > 1e-9);
  if (differ && !opts.bias) {
    const i = scales.findIndex((s) => Math.abs(s - 1) > 1e-9);
    throw new ImageError('BAD_ARGUMENT', `dark exposures differ (${exposures[i]} s vs ${tRef} s): give a master bias so the darks can be scaled`, {
      file: frames[i].name,
      frame: i,
      parameter: 'exposureS',
    });
  }
  const bias = opts.bias;
  const r = await combineFrames(
    frames,
    opts,
    (f, band, y0) => {
      const s = scales[f];
      if (bias) {
        const b = bias.data;
        const off = y0 * width;
        for (let p = 0; p < band.length; p++) band[p] = (band[p] - b[off + p]) * s;
      }
    },
    'dark',
  );
  if (bias) for (let i = 0; i < r.mask.length; i++) r.mask[i] |= bias.mask[i];
  if (opts.hotSigma !== undefined) flagHot(r.data, r.mask, opts.hotSigma);
  return { kind: 'dark', width, height, data: r.data, mask: r.mask, frames: frames.length, method: o.method, exposureS: tRef, biasSubtracted: Boolean(bias) };
}

/** HOT where value > clipped median + k·σ (clipped std of the whole frame). */
function flagHot(data: Float32Array, mask: Uint8Array, k: number): void {
  if (!(k > 0)) throw new ImageError('BAD_ARGUMENT', `hotSigma ${k} must be positive`, { parameter: 'hotSigma' });
  const st = sigmaClippedStats(subsample(data, 1 << 20), { sigma: 3, maxIters: 10 });
  const level = st.median + k * st.std;
  for (let i = 0; i < data.length; i++) if (data[i] > level) mask[i] |= MaskBit.HOT;
}

/** Every k-th value so that at most `max` remain (deterministic). */
function subsample(data: Float32Array, max: number): Float32Array {
  if (data.length <= max) return data;
  const step = Math.ceil(data.length / max);
  const out = new Float32Array(Math.ceil(data.length / step));
  for (let i = 0, j = 0; i < data.length; i += step) out[j++] = data[i];
  return out;
}

export interface MasterFlatOptions extends FrameCombineOptions {
  bias?: MasterFrame;
  /** Master dark, scaled to each flat's exposure (needs flat exposures and a bias-subtracted dark). */
  dark?: MasterFrame;
  /** Flag LOW_RESPONSE where the normalised master flat is below this (default 0.1). */
  minResponse?: number;
}

/**
 * Master flat: flats corrected for bias (and dark), each divided by its clipped median,
 * combined, and the result divided by its own clipped median.
 */
export async function masterFlat(frames: FrameSource[], opts: MasterFlatOptions = {}): Promise<MasterFrame> {
  const o = checkCombine(opts);
  const { width, height } = checkSameShape(frames, 'flat');
  checkMaster(opts.bias, width, height, frames[0].name);
  checkMaster(opts.dark, width, height, frames[0].name);
  const minResponse = opts.minResponse ?? 0.1;
  if (!(minResponse >= 0)) throw new ImageError('BAD_ARGUMENT', `minResponse ${minResponse} must be ≥ 0`, { parameter: 'minResponse' });
  const { bias, dark } = opts;
  requireBiasWithDark(dark, bias, frames[0].name);
  const darkScales = frames.map((f, i) => (dark ? darkScale(dark, f.exposureS, f.name, i) : 0));
  const correct = (f: number, band: Float32Array, y0: number): void => {
    const off = y0 * width;
    if (dark && !dark.biasSubtracted) {
      const d = dark.data;
      for (let p = 0; p < band.length; p++) band[p] -= d[off + p];
      return;
    }
    if (bias) {
      const b = bias.data;
      for (let p = 0; p < band.length; p++) band[p] -= b[off + p];
    }
    if (dark) {
      const d = dark.data;
      const s = darkScales[f];
      for (let p = 0; p < band.length; p++) band[p] -= s * d[off + p];
    }
  };
  // Pass 1: each corrected flat's clipped median, from an evenly spaced sample of ≤ 2^20 pixels.
  const rowsPerBand = bandRows(1, width, height, o.memoryBytes);
  const levels: number[] = [];
  for (let f = 0; f < frames.length; f++) {
    const step = Math.max(1, Math.ceil((width * height) / 2 ** 20));
    const sample = new Float32Array(Math.ceil((width * height) / step));
    let m = 0;
    for (let y0 = 0; y0 < height; y0 += rowsPerBand) {
      const rows = Math.min(rowsPerBand, height - y0);
      const band = await frames[f].readRows(y0, rows);
      correct(f, band, y0);
      const first = (step - ((y0 * width) % step)) % step;
      for (let p = first; p < band.length; p += step) sample[m++] = band[p];
    }
    const st = sigmaClippedStats(sample.subarray(0, m));
    if (st.count === 0) throw new ImageError('ALL_NAN', 'flat frame has no valid (finite) pixel', { file: frames[f].name, frame: f });
    if (!(st.median > 0)) throw new ImageError('BAD_ARGUMENT', `flat frame level ${st.median} after corrections is not positive`, { file: frames[f].name, frame: f });
    levels.push(st.median);
  }
  const r = await combineFrames(
    frames,
    opts,
    (f, band, y0) => {
      correct(f, band, y0);
      const inv = 1 / levels[f];
      for (let p = 0; p < band.length; p++) band[p] *= inv;
    },
    'flat',
  );
  const st = sigmaClippedStats(subsample(r.data, 1 << 20));
  const norm = st.median;
  if (!(norm > 0)) throw new ImageError('BAD_ARGUMENT', `combined flat level ${norm} is not positive`, { file: frames[0].name });
  const inv = 1 / norm;
  for (let i = 0; i < r.data.length; i++) {
    const v = r.data[i] * inv;
    r.data[i] = v;
    if (!(v >= minResponse)) r.mask[i] |= v - v === 0 ? MaskBit.LOW_RESPONSE : MaskBit.NO_DATA;
  }
  if (bias) for (let i = 0; i < r.mask.length; i++) r.mask[i] |= bias.mask[i];
  if (dark) for (let i = 0; i < r.mask.length; i++) r.mask[i] |= dark.mask[i];
  return {
    kind: 'flat',
    width,
    height,
    data: r.data,
    mask: r.mask,
    frames: frames.length,
    method: o.method,
    biasSubtracted: Boolean(bias) || Boolean(dark && !dark.biasSubtracted),
    darkSubtracted: Boolean(dark),
    normalisation: norm,
    frameLevels: levels,
  };
}

/** A bias-subtracted dark leaves the bias in the frame unless the master bias is applied too. */
function requireBiasWithDark(dark: MasterFrame | undefined, bias: MasterFrame | undefined, name: string): void {
  if (dark?.biasSubtracted && !bias) {
    throw new ImageError('BAD_ARGUMENT', 'the master dark was made with a master bias subtracted: give that master bias too', { file: name, parameter: 'bias' });
  }
}

/**
 * Factor applied to the master dark for a frame of exposure `t`: t / t_dark. A dark that
 * still contains the bias can only be applied to frames of its own exposure (factor 1).
 */
function darkScale(dark: MasterFrame, t: number | undefined, name: string, frame: number | undefined): number {
  const tDark = dark.exposureS;
  if (!dark.biasSubtracted) {
    if (t !== undefined && tDark !== undefined && Math.abs(t / tDark - 1) > 1e-3) {
      throw new ImageError('BAD_ARGUMENT', `exposure ${t} s differs from the dark's ${tDark} s, and the dark was made without a master bias so it cannot be scaled`, {
        file: name,
        frame,
        parameter: 'exposureS',
      });
    }
    return 1;
  }
  if (tDark === undefined || !(tDark > 0) || !Number.isFinite(tDark)) {
    throw new ImageError('BAD_ARGUMENT', `master dark exposure ${String(tDark)} s must be positive to scale it`, { file: name, parameter: 'dark.exposureS' });
  }
  if (t === undefined) throw new ImageError('BAD_ARGUMENT', 'frame has no exposure time (EXPTIME) to scale the dark to', { file: name, frame, parameter: 'exposureS' });
  if (!(t >= 0) || !Number.isFinite(t)) throw new ImageError('BAD_ARGUMENT', `exposure ${t} s must be a non-negative number`, { file: name, frame, parameter: 'exposureS' });
  return t / tDark;
}

// ---------------------------------------------------------------------------------------
// Application

export interface CalibrationMasters {
  bias?: MasterFrame;
  dark?: MasterFrame;
  flat?: MasterFrame;
}

export interface ApplyOptions {
  /** Raw level (ADU) at or above which a light pixel is flagged SATURATED. */
  saturationAdu?: number;
  /** Bad-pixel map (non-zero = bad), flagged BAD. */
  badPixelMask?: Uint8Array;
  /** An existing mask plane of the light frame, OR-ed into the result. */
  mask?: Uint8Array;
  /** Write the result here instead of a new array (may be the light frame's own data). */
  out?: Float32Array;
}

export interface LightFrame extends Image2D<Float32Array | Float64Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Uint8Array> {
  /** Exposure time (s): needed when a bias-subtracted dark is applied. */
  exposureS?: number;
  /** For error messages. */
  name?: string;
}

export interface CalibratedFrame {
  data: Float32Array;
  mask: Uint8Array;
  width: number;
  height: number;
  /** Factor the master dark was multiplied by (t_light / t_dark), 0 without a dark. */
  darkScale: number;
}

/**
 * (light − bias − dark · t_light / t_dark) / flat, with the mask plane: the light's NaN
 * pixels → NO_DATA, raw values ≥ saturationAdu → SATURATED, bad-pixel map → BAD, and the
 * masters' flags OR-ed in. Pixels where a master is NaN or the flat is ≤ 0 become NaN.
 */
export function applyCalibration(light: LightFrame, masters: CalibrationMasters, opts: ApplyOptions = {}): CalibratedFrame {
  const name = light.name ?? 'light frame';
  const { width, height } = light;
  const n = checkShape(width, height, name);
  if (light.data.length !== n) throw new ImageError('SIZE_MISMATCH', `data has ${light.data.length} pixels, expected ${width}×${height}`, { file: name });
  const { bias, dark, flat } = masters;
  checkMaster(bias, width, height, name);
  checkMaster(dark, width, height, name);
  checkMaster(flat, width, height, name);
  checkMask(opts.badPixelMask, n, 'badPixelMask');
  checkMask(opts.mask, n, 'mask');
  if (opts.out && opts.out.length !== n) throw new ImageError('SIZE_MISMATCH', `output has ${opts.out.length} pixels, expected ${n}`, { file: name, parameter: 'out' });
  const sat = opts.saturationAdu;
  if (sat !== undefined && Number.isNaN(sat)) throw new ImageError('BAD_ARGUMENT', 'saturationAdu is NaN', { file: name, parameter: 'saturationAdu' });

  const src = light.data;
  let finite = 0;
  for (let i = 0; i < n; i++) if (src[i] - src[i] === 0) finite++;
  if (finite === 0) throw new ImageError('ALL_NAN', 'light frame has no valid (finite) pixel', { file: name });

  requireBiasWithDark(dark, bias, name);
  const s = dark ? darkScale(dark, light.exposureS, name, undefined) : 0;
  const subtractBias = Boolean(bias) && !(dark && !dark.biasSubtracted);
  const out = opts.out ?? new Float32Array(n);
  const mask = new Uint8Array(n);
  if (opts.mask) mask.set(opts.mask);
  const b = subtractBias ? bias!.data : undefined;
  const d = dark?.data;
  const f = flat?.data;
  for (let i = 0; i < n; i++) {
    const raw = src[i];
    let v = raw;
    if (raw - raw !== 0) mask[i] |= MaskBit.NO_DATA;
    else if (sat !== undefined && raw >= sat) mask[i] |= MaskBit.SATURATED;
    if (b) v -= b[i];
    if (d) v -= s * d[i];
    if (f) {
      const r = f[i];
      v = r > 0 ? v / r : NaN;
    }
    out[i] = v;
  }
  if (bias && subtractBias) for (let i = 0; i < n; i++) mask[i] |= bias.mask[i];
  if (dark) for (let i = 0; i < n; i++) mask[i] |= dark.mask[i];
  if (flat) for (let i = 0; i < n; i++) mask[i] |= flat.mask[i];
  if (opts.badPixelMask) for (let i = 0; i < n; i++) if (opts.badPixelMask[i] !== 0) mask[i] |= MaskBit.BAD;
  // A value that could not be computed is no data, whatever the reason.
  for (let i = 0; i < n; i++) if (out[i] - out[i] !== 0) mask[i] |= MaskBit.NO_DATA;
  return { data: out, mask, width, height, darkScale: s };
}

// ---------------------------------------------------------------------------------------
// FITS files of masters and calibrated frames

const KIND_NAME = { bias: 'MASTER BIAS', dark: 'MASTER DARK', flat: 'MASTER FLAT' } as const;

/** Cards describing the mask bits, written with every MASK extension. */
function maskHdu(mask: Uint8Array, width: number, height: number): HduToWrite {
  const h = new Header();
  h.set('EXTNAME', 'MASK', 'pixel flags (bit values below)');
  for (const [name, bit] of Object.entries(MaskBit)) if (name !== 'ANY') h.set(`MASKB${Math.log2(bit)}`, name, `bit value ${bit}`);
  return imageHdu(mask, [width, height], { header: h, primary: false });
}

/**
 * A master frame as FITS HDUs: float32 primary (IMAGETYP = 'MASTER BIAS' | 'MASTER DARK' |
 * 'MASTER FLAT', NCOMBINE, COMBINE, EXPTIME for darks, BIASSUB / DARKSUB / FLATNORM) and a
 * uint8 'MASK' extension.
 */
export function masterHdus(master: MasterFrame, history: string[] = []): HduToWrite[] {
  const h = new Header();
  h.set('IMAGETYP', KIND_NAME[master.kind], 'combined calibration frame');
  h.set('NCOMBINE', master.frames, 'frames combined');
  h.set('COMBINE', master.method, 'per-pixel combination');
  if (master.exposureS !== undefined) h.set('EXPTIME', master.exposureS, '[s] exposure the master corresponds to');
  if (master.biasSubtracted !== undefined) h.set('BIASSUB', master.biasSubtracted, 'master bias subtracted from the frames');
  if (master.darkSubtracted !== undefined) h.set('DARKSUB', master.darkSubtracted, 'master dark subtracted from the frames');
  if (master.normalisation !== undefined) h.set('FLATNORM', master.normalisation, 'clipped median divided out');
  for (const line of history) h.addCommentary('HISTORY', line);
  return [imageHdu(master.data, [master.width, master.height], { header: h }), maskHdu(master.mask, master.width, master.height)];
}

/**
 * Read a master frame written by `masterHdus` (or any single-image FITS: the kind is then
 * `kind`, and without BIASSUB a dark counts as bias-subtracted when `assumeBiasSubtracted`).
 */
export async function readMasterFits(path: string, kind: MasterFrame['kind'], opts: { assumeBiasSubtracted?: boolean } = {}): Promise<MasterFrame> {
  const frame = await openFitsFrame(path);
  try {
    const data = await frame.readRows(0, frame.height);
    const h = frame.header;
    const imagetyp = h.getString('IMAGETYP')?.trim().toUpperCase();
    if (imagetyp !== undefined && imagetyp.startsWith('MASTER') && imagetyp !== KIND_NAME[kind]) {
      throw new ImageError('BAD_ARGUMENT', `is a ${imagetyp}, expected a ${KIND_NAME[kind]}`, { file: path, parameter: kind });
    }
    let mask = new Uint8Array(data.length);
    const reader = await FitsReader.open(path);
    try {
      const m = reader.hdus.find((x) => x.type === 'image' && x.header.getString('EXTNAME')?.trim().toUpperCase() === 'MASK');
      if (m) {
        const img = await reader.readImage(m.index);
        if (img.data.length !== data.length) throw new ImageError('SIZE_MISMATCH', `MASK extension is ${img.width}×${img.height}, the image ${frame.width}×${frame.height}`, { file: path });
        mask = Uint8Array.from(img.data as ArrayLike<number>);
      }
    } finally {
      await reader.close();
    }
    for (let i = 0; i < data.length; i++) if (data[i] - data[i] !== 0) mask[i] |= MaskBit.NO_DATA;
    const bool = (k: string): boolean | undefined => h.getBool(k);
    const frames = h.getInt('NCOMBINE') ?? 1;
    const method = (h.getString('COMBINE')?.trim() ?? 'median') as CombineMethod;
    const master: MasterFrame = { kind, width: frame.width, height: frame.height, data, mask, frames, method };
    if (kind === 'dark') {
      master.exposureS = frame.exposureS;
      master.biasSubtracted = bool('BIASSUB') ?? opts.assumeBiasSubtracted ?? true;
    }
    if (kind === 'flat') {
      master.biasSubtracted = bool('BIASSUB');
      master.darkSubtracted = bool('DARKSUB');
      master.normalisation = h.getNumber('FLATNORM');
    }
    return master;
  } finally {
    await frame.close();
  }
}

/**
 * A calibrated frame as FITS HDUs: float32 primary with the light's header cards (minus
 * the structural and scaling keywords) plus HISTORY lines, and the 'MASK' extension.
 */
export function calibratedHdus(result: CalibratedFrame, lightHeader?: Header, history: string[] = []): HduToWrite[] {
  const h = lightHeader ? lightHeader.clone() : new Header();
  for (const k of ['ZIMAGE', 'ZBITPIX', 'ZCMPTYPE', 'EXTNAME', 'XTENSION', 'PCOUNT', 'GCOUNT']) while (h.delete(k));
  for (const line of history) h.addCommentary('HISTORY', line);
  return [imageHdu(result.data, [result.width, result.height], { header: h }), maskHdu(result.mask, result.width, result.height)];
}
