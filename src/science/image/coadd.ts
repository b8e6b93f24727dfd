/**
 * Co-addition of frames from different instruments onto one reference grid.
 *
 * Steps, per frame i (pass 1, one frame in memory at a time):
 *  - background: Source-Extractor mesh estimate (background.ts, box 64, filter 3). With
 *    `background: 'mesh'` (default) the smooth full-resolution level map is subtracted
 *    (evaluated only on the window each tile reads), so skies agree everywhere, gradients
 *    included; with 'global' only the global level; with 'none' nothing. σ_i is the
 *    global background RMS (median of the mesh RMS values).
 *  - flux scale s_i to the common zero point: given (`scales`), or from zero points
 *    (`zeroPoints`: s_i = 10^(−0.4 (ZP_i − ZP_ref)), ZP_ref = `zeroPointRef` or frame 0's),
 *    or estimated from stars (`normalise: 'stars'`): bright unsaturated detections of each
 *    frame are matched on the sky (≤ 1″) with frame 0's, measured in circular apertures of
 *    radius 4 × FWHM of frame 0 (arcsec; > 99.9 % of a Moffat β≈4.8 star), and
 *    s_i = median(F_ref / F_i). Default: 1 for every frame.
 *  - pixel-area factor a_i = (scale_ref / scale_i)² (at the frame centre): every method of
 *    reproject.ts returns surface brightness in units per input pixel (as astropy's
 *    reproject does), so after this factor the stack holds flux per reference pixel in the
 *    reference zero point and a star's summed flux is the same whatever instrument it came
 *    from.
 *  - weight w_i = 1 / (s_i a_i σ_i)²: the inverse variance of the frame's sky after scaling.
 *    A pixel's weight is w_i × its reprojection footprint (partial edge pixels count less).
 *
 * Pass 2 works tile by tile over the output grid (tileSize² pixels, default 512): for each
 * tile, every frame whose outline touches it is read on the window its pixel map needs
 * (bounding box of the tile outline mapped into the frame, + kernel margin), background-
 * subtracted, scaled and reprojected onto the tile; then each output pixel combines its
 * values by iterative sigma clipping and a weighted mean (`combinePixels`):
 *  - centre m = median of the surviving values; value v_j is rejected when
 *    |v_j − m| > κ σ_j + f |m|, with σ_j = 1/√w_j (the frame's own noise) and f the
 *    amplitude fraction (default 1, the idea of SWarp's CLIP_AMPFRAC: PSF and resampling
 *    differences between frames make bright pixels disagree by more than the sky noise).
 *    Measured in coadd.test.ts: with instruments of 0.8″ and 1.6″ pixels and a 4″ PSF,
 *    f = 0.3 biased a star's flux by −1.3 %, f = 0.5 by −0.7 %, f = 1 by < 0.05 %; artefacts
 *    on the sky (m ≈ 0) are rejected at κσ whatever f, those on bright stars only when
 *    they exceed the star itself. Repeated until nothing changes or `maxIters` (default 5). A noise model
 *    is needed because with the sample scatter a single outlier among N values can never
 *    exceed κ = 3 unless N > 10 (its z-score is at most (N − 1)/√N). Fewer than 3 values:
 *    no clipping. If everything would be rejected, nothing is.
 *  - stack = Σ w v / Σ w over survivors, WEIGHT = Σ w, COVERAGE = number of survivors,
 *    ERROR = 1/√Σ w. Pixels no frame covers are NaN with weight and coverage 0.
 *
 * Memory: pass 1 holds one frame (4 w h bytes) and its background maps; pass 2 holds
 * 8 N_t T² bytes of per-frame values and weights for a tile (N_t = frames touching the
 * tile, T = tileSize), one frame window at a time (4 bytes × window, plus its background
 * rows: 4 × frame width × window height), and the outputs (14 bytes per output pixel:
 * stack, weight, error float32 + coverage uint16). Peak ≈ 8 N T² + 14 W H + 4 w h (+ small).
 * 100 frames of 4096² onto a 4096² grid with T = 512: 210 MB + 235 MB + 67 MB ≈ 0.5 GB.
 * `coaddMemoryBytes` gives the formula; `coadd` refuses (TOO_LARGE) beyond `maxMemoryBytes`
 * (default 2 GiB) rather than start.
 *
 * Tiling changes nothing: each output pixel sees the same values whatever the tile.
 * Chunking over groups of frames is exact for the plain weighted mean (Σwv, Σw and counts
 * add: `accumulateWeighted` / `mergeWeighted`); sigma clipping needs all of a pixel's
 * values at once and is not decomposable — which is why the tiles split space, not frames.
 */
import type { Wcs } from '../wcs/wcs.js';
import { createWcs } from '../wcs/wcs.js';
import { pixelScaleArcsec } from '../wcs/geometry.js';
import { pixToSkyBatch, skyToPixBatch } from '../wcs/transform.js';
import { apertureSums } from './aperture.js';
import { backgroundMesh, interpolateMeshRows, type BackgroundMesh } from './background.js';
import { detectSources } from './detect.js';
import { checkShape, ImageError } from './errors.js';
import { gridTiles, mapWindow, type GridSpec, type PixelWindow } from './reference-grid.js';
import { reproject, type ReprojectMethod } from './reproject.js';
import { medianInPlace } from './stats.js';
import type { Pool } from '../parallel/pool.js';

/** Frames read lazily: the CLI reads windows from FITS files, tests hand arrays. */
export interface FrameProvider {
  count: number;
  /** File name or label, for messages. */
  name?(i: number): string;
  /** The frame's celestial WCS; undefined when it has none (→ NO_WCS). */
  wcs(i: number): Wcs | undefined;
  shape(i: number): { width: number; height: number };
  /** The frame's pixels, or those of a window of it (row-major, window.width × window.height). */
  read(i: number, window?: PixelWindow): Promise<Float32Array>;
}

export type BackgroundMethod = 'mesh' | 'global' | 'none';

export interface CoaddOptions {
  method?: ReprojectMethod;
  kappa?: number;
  ampFraction?: number;
  maxIters?: number;
  tileSize?: number;
  background?: BackgroundMethod;
  backgroundBoxSize?: number;
  /** Multiplicative flux scale per frame (applied after background subtraction). */
  scales?: readonly number[];
  /** Photometric zero points per frame (mag of one count); scale to `zeroPointRef` (default frame 0's). */
  zeroPoints?: readonly number[];
  zeroPointRef?: number;
  normalise?: 'none' | 'stars';
  maxMemoryBytes?: number;
  onWarning?: (message: string, frame: number) => void;
  onProgress?: (done: number, total: number, stage: string) => void;
  /**
   * Worker pool (src/science/parallel): output tiles are projected and combined on its
   * workers (frames are still read on this thread). Results are identical to the serial
   * path; peak memory grows to coaddMemoryBytes(..., pool.size).
   */
  pool?: Pool;
}

export interface FrameInfo {
  index: number;
  name: string;
  used: boolean;
  backgroundLevel: number;
  backgroundRms: number;
  scale: number;
  areaFactor: number;
  weight: number;
  /** Where the frame falls on the output grid; null when it does not. */
  window: PixelWindow | null;
}

export interface CoaddResult {
  grid: GridSpec;
  stack: Float32Array;
  weight: Float32Array;
  coverage: Uint16Array;
  error: Float32Array;
  frames: FrameInfo[];
  /** Zero point of the stack when zero points were given. */
  zeroPoint?: number;
}

const MARGIN_PX: Readonly<Record<ReprojectMethod, number>> = { bilinear: 2, lanczos3: 4, exact: 2 };

/**
 * Peak memory of `coadd` in bytes for N frames of at most frameW×frameH onto W×H with tiles
 * of T². With a pool of `threads` workers up to threads + 1 tiles are in flight, each
 * holding its frame windows (≈ 4 N T², moved to the worker) and the worker's values and
 * weights (8 N T²).
 */
export function coaddMemoryBytes(nFrames: number, tileSize: number, gridWidth: number, gridHeight: number, frameWidth: number, frameHeight: number, threads = 0): number {
  const t2 = Math.min(tileSize, gridWidth) * Math.min(tileSize, gridHeight);
  const perTile = threads > 0 ? 12 * nFrames * t2 * (threads + 1) : 8 * nFrames * t2;
  return perTile + 14 * gridWidth * gridHeight + 4 * frameWidth * frameHeight * 3;
}

/** Plain weighted-mean partial sums over a group of frames (mergeable, order-free). */
export interface WeightedSums {
  sumWV: Float64Array;
  sumW: Float64Array;
  count: Uint32Array;
}

export function emptyWeightedSums(n: number): WeightedSums {
  return { sumWV: new Float64Array(n), sumW: new Float64Array(n), count: new Uint32Array(n) };
}

/** Adds one reprojected frame (values, per-pixel weights) to the sums; NaN or w ≤ 0 is skipped. */
export function accumulateWeighted(sums: WeightedSums, values: ArrayLike<number>, weights: ArrayLike<number>): void {
  const { sumWV, sumW, count } = sums;
  for (let p = 0; p < sumW.length; p++) {
    const v = values[p];
    const w = weights[p];
    if (v === v && w > 0) {
      sumWV[p] += w * v;
      sumW[p] += w;
      count[p]++;
    }
  }
}

export function mergeWeighted(into: WeightedSums, from: WeightedSums): void {
  for (let p = 0; p < into.sumW.length; p++) {
    into.sumWV[p] += from.sumWV[p];
    into.sumW[p] += from.sumW[p];
    into.count[p] += from.count[p];
  }
}

export interface CombineOptions {
  kappa: number;
  ampFraction: number;
  maxIters: number;
}

export interface CombineOutput {
  stack: Float32Array;
  weight: Float32Array;
  coverage: Uint16Array;
  error: Float32Array;
}

/**
 * Sigma-clipped weighted mean of `nFrames` planes of `nPix` values (values[f·nPix + p],
 * weights likewise) into out[outIndex(p)] — pure and synchronous so a worker can run it
 * on a tile. See the module comment for the rule.
 */
export function combinePixels(
  values: Float32Array,
  weights: Float32Array,
  nFrames: number,
  nPix: number,
  opts: CombineOptions,
  out: CombineOutput,
  outIndex: (p: number) => number,
): void {
  const v = new Float64Array(nFrames);
  const w = new Float64Array(nFrames);
  const keep = new Uint8Array(nFrames);
  const scratch = new Float64Array(nFrames);
  const { kappa, ampFraction, maxIters } = opts;
  for (let p = 0; p < nPix; p++) {
    let n = 0;
    for (let f = 0; f < nFrames; f++) {
      const val = values[f * nPix + p];
      const wt = weights[f * nPix + p];
      if (val === val && wt > 0) {
        v[n] = val;
        w[n] = wt;
        keep[n] = 1;
        n++;
      }
    }
    const o = outIndex(p);
    if (n === 0) {
      out.stack[o] = NaN;
      out.weight[o] = 0;
      out.coverage[o] = 0;
      out.error[o] = NaN;
      continue;
    }
    if (n >= 3 && Number.isFinite(kappa)) {
      for (let iter = 0; iter < maxIters; iter++) {
        let m = 0;
        for (let j = 0; j < n; j++) if (keep[j]) scratch[m++] = v[j];
        const centre = medianInPlace(scratch, m);
        const floor = ampFraction * Math.abs(centre);
        let survivors = 0;
        for (let j = 0; j < n; j++) if (Math.abs(v[j] - centre) <= kappa / Math.sqrt(w[j]) + floor) survivors++;
        if (survivors === 0) break; // everything disagrees: keep what we have
        // Re-evaluated from scratch against the new centre, so a value may come back.
        let changed = false;
        for (let j = 0; j < n; j++) {
          const k = Math.abs(v[j] - centre) <= kappa / Math.sqrt(w[j]) + floor ? 1 : 0;
          if (k !== keep[j]) changed = true;
          keep[j] = k;
        }
        if (!changed) break;
      }
    }
    let sw = 0;
    let swv = 0;
    let c = 0;
    for (let j = 0; j < n; j++) {
      if (!keep[j]) continue;
      sw += w[j];
      swv += w[j] * v[j];
      c++;
    }
    out.stack[o] = swv / sw;
    out.weight[o] = sw;
    out.coverage[o] = c;
    out.error[o] = 1 / Math.sqrt(sw);
  }
}

function frameName(frames: FrameProvider, i: number): string {
  return frames.name ? frames.name(i) : `frame ${i}`;
}

/** The same WCS for a window whose first pixel is (x0, y0) of the frame. */
export function windowWcs(wcs: Wcs, x0: number, y0: number): Wcs {
  if (x0 === 0 && y0 === 0) return wcs;
  return createWcs({
    ctype: wcs.ctype,
    crpix: [wcs.crpix[0] - x0, wcs.crpix[1] - y0],
    crval: wcs.crval,
    cd: wcs.cd,
    lonpole: wcs.lonpole,
    latpole: wcs.latpole,
    radesys: wcs.radesys,
    ...(wcs.equinox !== undefined ? { equinox: wcs.equinox } : {}),
    ...(wcs.sip ? { sip: wcs.sip } : {}),
    ...(wcs.tpv ? { tpv: wcs.tpv } : {}),
  });
}

interface StarList {
  raDeg: Float64Array;
  decDeg: Float64Array;
  flux: Float64Array;
}

const MAX_NORMALISATION_STARS = 300;

/** Bright, unsaturated, unblended stars of a background-subtracted frame, measured in apertures of radiusArcsec. */
function measureStars(data: Float32Array, width: number, height: number, wcs: Wcs, rms: number, radiusArcsec: number | undefined): { stars: StarList; fwhmArcsec: number } {
  const det = detectSources({ data, width, height }, 0, rms, { thresholdSigma: 5, minAreaPx: 5 });
  const scale = pixelScaleArcsec(wcs, [(width - 1) / 2, (height - 1) / 2]);
  const good = det.sources.filter((s) => s.flags === 0 && Number.isFinite(s.fwhmPx) && s.flux > 50 * rms).sort((a, b) => b.flux - a.flux).slice(0, MAX_NORMALISATION_STARS);
  const fw = good.map((s) => s.fwhmPx).sort((a, b) => a - b);
  const fwhmArcsec = fw.length > 0 ? fw[fw.length >> 1] * scale : NaN;
  const rPx = (radiusArcsec ?? 4 * fwhmArcsec) / scale;
  const x = Float64Array.from(good, (s) => s.x);
  const y = Float64Array.from(good, (s) => s.y);
  const sky = pixToSkyBatch(wcs, x, y);
  const flux = rPx > 0 && good.length > 0 ? apertureSums({ data, width, height }, x, y, rPx).sum : new Float64Array(0);
  return { stars: { raDeg: sky.raDeg, decDeg: sky.decDeg, flux }, fwhmArcsec };
}

/** Median F_ref/F_i over stars matched within 1″; NaN with fewer than 3 matches. */
function fluxRatio(ref: StarList, other: StarList, refWcs: Wcs): number {
  const a = skyToPixBatch(refWcs, ref.raDeg, ref.decDeg);
  const b = skyToPixBatch(refWcs, other.raDeg, other.decDeg);
  const tol = 1 / pixelScaleArcsec(refWcs); // 1″ in reference pixels
  const ratios: number[] = [];
  for (let i = 0; i < ref.flux.length; i++) {
    let best = -1;
    let bestD = tol;
    for (let j = 0; j < other.flux.length; j++) {
      const d = Math.hypot(a.xPx[i] - b.xPx[j], a.yPx[i] - b.yPx[j]);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    if (best >= 0 && other.flux[best] > 0 && ref.flux[i] > 0) ratios.push(ref.flux[i] / other.flux[best]);
  }
  if (ratios.length < 3) return NaN;
  return medianInPlace(Float64Array.from(ratios));
}

/** Where one output tile sits and how frames are resampled onto it. */
export interface TileContext {
  tile: PixelWindow;
  gridWcs: Wcs;
  gridWidth: number;
  gridHeight: number;
  method: ReprojectMethod;
}

/** One frame's window for one tile, as read (before background subtraction). */
export interface PlaneInput {
  data: Float32Array;
  window: PixelWindow;
  /** Width of the whole frame (background rows are interpolated over it). */
  frameWidth: number;
  wcs: Wcs;
  mesh: BackgroundMesh | undefined;
  backgroundLevel: number;
  /** Flux scale × pixel-area factor. */
  scale: number;
  /** Frame weight (inverse variance). */
  weight: number;
}

/**
 * Background-subtracts and scales a frame window (in place), reprojects it onto the tile
 * into values[vOff…] and writes its per-pixel weights (frame weight × footprint). Returns
 * whether the plane has any valid weighted pixel. Pure and synchronous: the serial loop
 * and the worker task (coaddTileTask) both run it, so their results are identical.
 */
export function projectPlane(p: PlaneInput, ctx: TileContext, values: Float32Array, weights: Float32Array, vOff: number): boolean {
  const { data, window: win, frameWidth: width, mesh } = p;
  const k = p.scale;
  if (mesh) {
    const rows = new Float32Array(win.height * width);
    interpolateMeshRows(mesh, [mesh.level], win.y0, win.height, [rows]);
    for (let y = 0; y < win.height; y++) {
      const ro = y * width + win.x0;
      const o = y * win.width;
      for (let x = 0; x < win.width; x++) data[o + x] = (data[o + x] - rows[ro + x]) * k;
    }
  } else {
    const b = p.backgroundLevel;
    for (let i = 0; i < data.length; i++) data[i] = (data[i] - b) * k;
  }
  const { tile } = ctx;
  const tPix = tile.width * tile.height;
  const target = values.subarray(vOff, vOff + tPix);
  const r = reproject({ data, width: win.width, height: win.height, wcs: windowWcs(p.wcs, win.x0, win.y0) }, { wcs: ctx.gridWcs, width: ctx.gridWidth, height: ctx.gridHeight }, {
    method: ctx.method,
    window: tile,
    out: target,
  });
  if (r.data !== target) target.set(r.data);
  const fp = r.footprint;
  let any = false;
  for (let i = 0; i < tPix; i++) {
    const c = fp[i];
    const wpx = c > 0 ? p.weight * (c < 1 ? c : 1) : 0;
    weights[vOff + i] = wpx;
    if (wpx > 0 && values[vOff + i] === values[vOff + i]) any = true;
  }
  return any;
}

/** Worker task: projects every plane onto the tile and combines them (tile-local outputs). */
export function coaddTileTask(a: { ctx: TileContext; planes: PlaneInput[]; combine: CombineOptions }): CombineOutput {
  const { tile } = a.ctx;
  const tPix = tile.width * tile.height;
  const values = new Float32Array(a.planes.length * tPix);
  const weights = new Float32Array(a.planes.length * tPix);
  let n = 0;
  for (const p of a.planes) if (projectPlane(p, a.ctx, values, weights, n * tPix)) n++;
  const out: CombineOutput = { stack: new Float32Array(tPix), weight: new Float32Array(tPix), coverage: new Uint16Array(tPix), error: new Float32Array(tPix) };
  combinePixels(values, weights, n, tPix, a.combine, out, (p) => p);
  return out;
}

/**
 * Co-add the frames onto `grid`. Frames without WCS throw NO_WCS (naming the frame);
 * frames that miss the grid or have no valid pixel are skipped with `onWarning`; no usable
 * frame at all throws NO_OVERLAP / ALL_NAN.
 */
export async function coadd(frames: FrameProvider, grid: GridSpec, opts: CoaddOptions = {}): Promise<CoaddResult> {
  const n = frames.count;
  if (!Number.isInteger(n) || n < 1) throw new ImageError('BAD_ARGUMENT', 'no frames to co-add', { parameter: 'frames' });
  const method = opts.method ?? 'bilinear';
  if (!(method in MARGIN_PX)) throw new ImageError('BAD_ARGUMENT', `unknown method '${String(method)}'`, { parameter: 'method' });
  const kappa = opts.kappa ?? 3;
  if (!(kappa > 0)) throw new ImageError('BAD_ARGUMENT', `kappa must be positive (got ${kappa})`, { parameter: 'kappa' });
  const ampFraction = opts.ampFraction ?? 1;
  if (!(ampFraction >= 0)) throw new ImageError('BAD_ARGUMENT', `ampFraction must be ≥ 0 (got ${ampFraction})`, { parameter: 'ampFraction' });
  const maxIters = opts.maxIters ?? 5;
  const tileSize = opts.tileSize ?? 512;
  const bgMethod = opts.background ?? 'mesh';
  for (const [name, arr] of [['scales', opts.scales], ['zeroPoints', opts.zeroPoints]] as const) {
    if (arr === undefined) continue;
    if (arr.length !== n) throw new ImageError('SIZE_MISMATCH', `${arr.length} ${name} for ${n} frames`, { parameter: name });
    arr.forEach((v, i) => {
      if (!Number.isFinite(v) || (name === 'scales' && !(v > 0))) throw new ImageError('BAD_ARGUMENT', `${name}[${i}] = ${v} is not usable`, { parameter: name, frame: i });
    });
  }
  const { width: W, height: H } = grid;
  const nOut = checkShape(W, H, 'reference grid');
  const warn = (msg: string, i: number): void => opts.onWarning?.(`${frameName(frames, i)}: ${msg}`, i);

  // Geometry first: every WCS must exist before any pixel is read.
  const wcsList: Wcs[] = [];
  let maxFrameW = 1;
  let maxFrameH = 1;
  for (let i = 0; i < n; i++) {
    const wcs = frames.wcs(i);
    if (!wcs) throw new ImageError('NO_WCS', 'frame has no celestial WCS; plate-solve it first', { file: frameName(frames, i), frame: i });
    const { width, height } = frames.shape(i);
    checkShape(width, height, frameName(frames, i));
    maxFrameW = Math.max(maxFrameW, width);
    maxFrameH = Math.max(maxFrameH, height);
    wcsList.push(wcs);
  }
  const need = coaddMemoryBytes(n, tileSize, W, H, maxFrameW, maxFrameH, opts.pool?.size ?? 0);
  const limit = opts.maxMemoryBytes ?? 2 ** 31;
  if (need > limit) throw new ImageError('TOO_LARGE', `co-adding ${n} frames onto ${W}×${H} with ${tileSize}² tiles needs ~${(need / 2 ** 20).toFixed(0)} MiB, over the ${(limit / 2 ** 20).toFixed(0)} MiB limit; use smaller tiles`, { parameter: 'tileSize' });

  const refScale = pixelScaleArcsec(grid.wcs, [(W - 1) / 2, (H - 1) / 2]);
  const zpRef = opts.zeroPoints ? (opts.zeroPointRef ?? opts.zeroPoints[0]) : undefined;
  const infos: FrameInfo[] = [];
  const meshes: Array<BackgroundMesh | undefined> = [];
  let refStars: StarList | undefined;
  let refStarWcs: Wcs | undefined;
  let apertureArcsec: number | undefined;

  // Pass 1: background, noise and scale of each frame, one frame in memory at a time.
  for (let i = 0; i < n; i++) {
    opts.onProgress?.(i, n, 'background');
    const wcs = wcsList[i];
    const { width, height } = frames.shape(i);
    const info: FrameInfo = { index: i, name: frameName(frames, i), used: false, backgroundLevel: NaN, backgroundRms: NaN, scale: 1, areaFactor: 1, weight: 0, window: null };
    infos.push(info);
    meshes.push(undefined);
    info.window = mapWindow(wcs, { x0: 0, y0: 0, width, height }, grid.wcs, W, H);
    if (!info.window) {
      warn('does not overlap the reference grid; skipped', i);
      continue;
    }
    const data = await frames.read(i);
    if (data.length !== width * height) throw new ImageError('SIZE_MISMATCH', `read ${data.length} pixels, expected ${width}×${height}`, { file: info.name, frame: i });
    let mesh: BackgroundMesh;
    try {
      mesh = backgroundMesh(data, width, height, { boxSize: opts.backgroundBoxSize ?? 64 });
    } catch (e) {
      if (e instanceof ImageError && e.code === 'ALL_NAN') {
        warn('has no valid pixels; skipped', i);
        continue;
      }
      throw e;
    }
    info.backgroundLevel = bgMethod === 'none' ? 0 : mesh.globalLevel;
    info.backgroundRms = mesh.globalRms;
    if (!(mesh.globalRms > 0)) {
      warn('has zero background noise (constant image?); skipped', i);
      continue;
    }
    if (bgMethod === 'mesh') meshes[i] = mesh;
    info.areaFactor = (refScale / pixelScaleArcsec(wcs, [(width - 1) / 2, (height - 1) / 2])) ** 2;
    if (opts.scales) info.scale = opts.scales[i];
    else if (opts.zeroPoints && zpRef !== undefined) info.scale = 10 ** (-0.4 * (opts.zeroPoints[i] - zpRef));
    else if (opts.normalise === 'stars') {
      if (bgMethod === 'mesh') {
        const level = new Float32Array(width * height);
        interpolateMeshRows(mesh, [mesh.level], 0, height, [level]);
        for (let p = 0; p < data.length; p++) data[p] -= level[p];
      } else for (let p = 0; p < data.length; p++) data[p] -= info.backgroundLevel;
      const m = measureStars(data, width, height, wcs, mesh.globalRms, apertureArcsec);
      if (!refStars) {
        refStars = m.stars;
        refStarWcs = wcs;
        apertureArcsec = 4 * m.fwhmArcsec;
        if (!(apertureArcsec > 0)) throw new ImageError('ALL_NAN', 'no stars to normalise fluxes with in the first frame', { file: info.name, frame: i });
        refStars = measureStars(data, width, height, wcs, mesh.globalRms, apertureArcsec).stars;
      } else {
        const r = fluxRatio(refStars, m.stars, refStarWcs as Wcs);
        if (Number.isFinite(r) && r > 0) info.scale = r;
        else warn('fewer than 3 stars matched with the first frame; flux scale left at 1', i);
      }
    }
    const sigma = info.scale * info.areaFactor * info.backgroundRms;
    info.weight = 1 / (sigma * sigma);
    info.used = true;
  }
  const used = infos.filter((f) => f.used);
  if (used.length === 0) {
    const anyOverlap = infos.some((f) => f.window);
    throw new ImageError(anyOverlap ? 'ALL_NAN' : 'NO_OVERLAP', anyOverlap ? 'no frame has valid pixels' : 'no frame overlaps the reference grid', { parameter: 'frames' });
  }

  // Pass 2: tile by tile over the output grid.
  const out: CombineOutput = { stack: new Float32Array(nOut).fill(NaN), weight: new Float32Array(nOut), coverage: new Uint16Array(nOut), error: new Float32Array(nOut).fill(NaN) };
  const tiles = gridTiles(W, H, tileSize);
  const combineOpts: CombineOptions = { kappa, ampFraction, maxIters };
  const margin = MARGIN_PX[method];
  const pool = opts.pool && opts.pool.size > 0 ? opts.pool : undefined;
  // With a pool: at most size + 1 tiles in flight (one being read while the workers work).
  const inFlight = new Set<Promise<void>>();
  const maxInFlight = pool ? pool.size + 1 : 0;
  for (let t = 0; t < tiles.length; t++) {
    opts.onProgress?.(t, tiles.length, 'combine');
    const tile = tiles[t];
    const tPix = tile.width * tile.height;
    const touching = used.filter((f) => {
      const w = f.window as PixelWindow;
      return w.x0 < tile.x0 + tile.width && tile.x0 < w.x0 + w.width && w.y0 < tile.y0 + tile.height && tile.y0 < w.y0 + w.height;
    });
    if (touching.length === 0) continue;
    const ctx: TileContext = { tile, gridWcs: grid.wcs, gridWidth: W, gridHeight: H, method };
    const values = pool ? undefined : new Float32Array(touching.length * tPix);
    const weights = pool ? undefined : new Float32Array(touching.length * tPix);
    const planes: PlaneInput[] = [];
    let nPlanes = 0;
    for (const f of touching) {
      const i = f.index;
      const { width, height } = frames.shape(i);
      const win = mapWindow(grid.wcs, tile, wcsList[i], width, height, margin);
      if (!win) continue;
      const data = await frames.read(i, win);
      if (data.length !== win.width * win.height) throw new ImageError('SIZE_MISMATCH', `window read ${data.length} pixels, expected ${win.width}×${win.height}`, { file: f.name, frame: i });
      const plane: PlaneInput = { data, window: win, frameWidth: width, wcs: wcsList[i], mesh: meshes[i], backgroundLevel: f.backgroundLevel, scale: f.scale * f.areaFactor, weight: f.weight };
      // Serially each window is projected at once, so only one is held at a time.
      if (values && weights) {
        if (projectPlane(plane, ctx, values, weights, nPlanes * tPix)) nPlanes++;
      } else planes.push(plane);
    }
    if (values && weights) {
      combinePixels(values, weights, nPlanes, tPix, combineOpts, out, (p) => (tile.y0 + Math.floor(p / tile.width)) * W + tile.x0 + (p % tile.width));
      continue;
    }
    if (!pool || planes.length === 0) continue;
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    const transfer = planes.map((p) => p.data.buffer).filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
    const job: Promise<void> = pool
      .run({ module: import.meta.url, fn: 'coaddTileTask', args: [{ ctx, planes, combine: combineOpts }], transfer })
      .then((res) => {
        const r = res as CombineOutput;
        for (let y = 0; y < tile.height; y++) {
          const o = (tile.y0 + y) * W + tile.x0;
          const s = y * tile.width;
          const e = s + tile.width;
          out.stack.set(r.stack.subarray(s, e), o);
          out.weight.set(r.weight.subarray(s, e), o);
          out.coverage.set(r.coverage.subarray(s, e), o);
          out.error.set(r.error.subarray(s, e), o);
        }
      })
      .finally(() => inFlight.delete(job));
    job.catch(() => {}); // awaited below; this only marks it handled while others finish
    inFlight.add(job);
  }
  await Promise.all(inFlight);
  opts.onProgress?.(tiles.length, tiles.length, 'combine');
  const result: CoaddResult = { grid, ...out, frames: infos };
  if (zpRef !== undefined) result.zeroPoint = zpRef;
  return result;
}

/** A FrameProvider over in-memory frames (tests, library use). */
export function arrayFrames(list: ReadonlyArray<{ data: Float32Array; width: number; height: number; wcs?: Wcs; name?: string }>): FrameProvider {
  return {
    count: list.length,
    name: (i) => list[i].name ?? `frame ${i}`,
    wcs: (i) => list[i].wcs,
    shape: (i) => ({ width: list[i].width, height: list[i].height }),
    read: (i, w) => {
      const f = list[i];
      if (!w) return Promise.resolve(Float32Array.from(f.data));
      const out = new Float32Array(w.width * w.height);
      for (let y = 0; y < w.height; y++) out.set(f.data.subarray((w.y0 + y) * f.width + w.x0, (w.y0 + y) * f.width + w.x0 + w.width), y * w.width);
      return Promise.resolve(out);
    },
  };
}
