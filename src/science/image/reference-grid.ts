/**
 * The output grid of a co-addition ("reference grid") and the geometry that links frames
 * to it: which part of the grid a frame covers, and which window of a frame an output
 * tile needs.
 *
 * The automatic grid is a plain TAN projection, north up and east left (CD = diag(−s, s)),
 * with s the finest pixel scale among the frames (measured at each frame's centre), the
 * tangent point at the centre of the frames' union (normalised mean of their corner unit
 * vectors), and the smallest pixel box that holds every frame's outline (edges sampled
 * every ~32 px, so distortion and projection curvature are included).
 */
import type { Wcs } from '../wcs/wcs.js';
import { createWcs } from '../wcs/wcs.js';
import { pixelScaleArcsec } from '../wcs/geometry.js';
import { pixToSkyBatch, skyToPixBatch, skyToIntermediate } from '../wcs/transform.js';
import { checkShape, ImageError } from './errors.js';

export interface GridSpec {
  wcs: Wcs;
  width: number;
  height: number;
}

/** A rectangle of pixels: first column x0, first row y0, size width × height. */
export interface PixelWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export interface FrameGeometry {
  wcs: Wcs;
  width: number;
  height: number;
}

/** Pixel positions along the outline of [x0, x1] × [y0, y1] (inclusive), about every `stepPx`. */
export function outlinePoints(x0: number, y0: number, x1: number, y1: number, stepPx = 32): { x: Float64Array; y: Float64Array } {
  const nx = Math.max(1, Math.ceil((x1 - x0) / stepPx));
  const ny = Math.max(1, Math.ceil((y1 - y0) / stepPx));
  const n = 2 * (nx + ny);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < nx; i++) {
    const t = x0 + ((x1 - x0) * i) / nx;
    x[k] = t; y[k++] = y0; // bottom, left → right
    x[k] = x1 - (t - x0); y[k++] = y1; // top, right → left
  }
  for (let j = 0; j < ny; j++) {
    const t = y0 + ((y1 - y0) * j) / ny;
    x[k] = x1; y[k++] = t;
    x[k] = x0; y[k++] = y1 - (t - y0);
  }
  return { x, y };
}

/**
 * The automatic reference grid for a set of frames: finest pixel scale, north up, east
 * left, covering their union. Throws ALL_NAN-free errors: BAD_ARGUMENT for no frames,
 * TOO_LARGE when the union needs more than `maxPixels` (default 2^29) pixels.
 */
export function autoReferenceGrid(frames: readonly FrameGeometry[], opts: { scaleArcsec?: number; maxPixels?: number } = {}): GridSpec {
  if (frames.length === 0) throw new ImageError('BAD_ARGUMENT', 'no frames to build a reference grid from', { parameter: 'frames' });
  let scale = opts.scaleArcsec ?? Infinity;
  if (opts.scaleArcsec !== undefined && !(opts.scaleArcsec > 0)) {
    throw new ImageError('BAD_ARGUMENT', `scaleArcsec must be positive (got ${opts.scaleArcsec})`, { parameter: 'scaleArcsec' });
  }
  // Centre of the union: mean of the corner unit vectors.
  let cx = 0;
  let cy = 0;
  let cz = 0;
  const d2r = Math.PI / 180;
  const outlines = frames.map((f, i) => {
    checkShape(f.width, f.height, `frame ${i}`);
    if (opts.scaleArcsec === undefined) scale = Math.min(scale, pixelScaleArcsec(f.wcs, [(f.width - 1) / 2, (f.height - 1) / 2]));
    const p = outlinePoints(-0.5, -0.5, f.width - 0.5, f.height - 0.5);
    const sky = pixToSkyBatch(f.wcs, p.x, p.y);
    for (let k = 0; k < sky.raDeg.length; k++) {
      const ra = sky.raDeg[k] * d2r;
      const dec = sky.decDeg[k] * d2r;
      cx += Math.cos(dec) * Math.cos(ra);
      cy += Math.cos(dec) * Math.sin(ra);
      cz += Math.sin(dec);
    }
    return sky;
  });
  const r = Math.hypot(cx, cy, cz);
  if (!(r > 0) || !Number.isFinite(scale) || !(scale > 0)) throw new ImageError('BAD_ARGUMENT', 'frames have no usable sky footprint', { parameter: 'frames' });
  let raC = Math.atan2(cy, cx) / d2r;
  if (raC < 0) raC += 360;
  const decC = Math.asin(cz / r) / d2r;
  const sDeg = scale / 3600;
  const probe = createWcs({ crpix: [0, 0], crval: [raC, decC], cd: [-sDeg, 0, 0, sDeg] });
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const sky of outlines) {
    for (let k = 0; k < sky.raDeg.length; k++) {
      const [u, v] = skyToIntermediate(probe, sky.raDeg[k], sky.decDeg[k]);
      if (!Number.isFinite(u) || !Number.isFinite(v)) throw new ImageError('TOO_LARGE', 'frames span more than a hemisphere; no TAN grid can hold them', { parameter: 'frames' });
      // Pixel coordinates in the probe grid (x grows east-left: x = −u/s).
      const x = -u / sDeg;
      const y = v / sDeg;
      if (x < xMin) xMin = x;
      if (x > xMax) xMax = x;
      if (y < yMin) yMin = y;
      if (y > yMax) yMax = y;
    }
  }
  // Outline points are pixel edges: the grid's first pixel edge sits on the union's edge
  // (so a single north-up frame gives back its own grid), with 1e-6 px of slack so that
  // rounding in the transforms does not add a row or column.
  const width = Math.max(1, Math.ceil(xMax - xMin - 1e-6));
  const height = Math.max(1, Math.ceil(yMax - yMin - 1e-6));
  const maxPixels = opts.maxPixels ?? 2 ** 29;
  if (width * height > maxPixels) {
    throw new ImageError('TOO_LARGE', `the union of the frames needs a ${width}×${height} grid at ${scale.toFixed(3)}″/px, over the ${maxPixels}-pixel limit`, { parameter: 'frames' });
  }
  checkShape(width, height, 'reference grid');
  const wcs = createWcs({ crpix: [-(xMin + 0.5), -(yMin + 0.5)], crval: [raC, decC], cd: [-sDeg, 0, 0, sDeg] });
  return { wcs, width, height };
}

/**
 * Bounding box (in `to` pixels, clipped to [0, toWidth) × [0, toHeight)) of the pixel
 * rectangle [x0, x1] × [y0, y1] of `from`, grown by `marginPx`; null when it misses `to`.
 * The outline is sampled every ~16 px; for grids related by smooth WCS (TAN, SIP) the
 * extreme of the image of a rectangle lies on its outline.
 */
export function mapWindow(from: Wcs, rect: PixelWindow, to: Wcs, toWidth: number, toHeight: number, marginPx = 0): PixelWindow | null {
  const p = outlinePoints(rect.x0 - 0.5, rect.y0 - 0.5, rect.x0 + rect.width - 0.5, rect.y0 + rect.height - 0.5, 16);
  const sky = pixToSkyBatch(from, p.x, p.y);
  const q = skyToPixBatch(to, sky.raDeg, sky.decDeg);
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  let bad = 0;
  for (let k = 0; k < q.xPx.length; k++) {
    const x = q.xPx[k];
    const y = q.yPx[k];
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      bad++;
      continue;
    }
    if (x < xMin) xMin = x;
    if (x > xMax) xMax = x;
    if (y < yMin) yMin = y;
    if (y > yMax) yMax = y;
  }
  if (bad === q.xPx.length) return null;
  if (bad > 0) return { x0: 0, y0: 0, width: toWidth, height: toHeight }; // partly behind the tangent plane: be safe
  const x0 = Math.max(0, Math.floor(xMin - marginPx));
  const y0 = Math.max(0, Math.floor(yMin - marginPx));
  const x1 = Math.min(toWidth - 1, Math.ceil(xMax + marginPx));
  const y1 = Math.min(toHeight - 1, Math.ceil(yMax + marginPx));
  if (x1 < x0 || y1 < y0) return null;
  return { x0, y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

/** Output tiles of at most tileSize² pixels covering a width × height grid, row by row. */
export function gridTiles(width: number, height: number, tileSize: number): PixelWindow[] {
  if (!Number.isInteger(tileSize) || tileSize < 1) throw new ImageError('BAD_ARGUMENT', `tileSize must be a positive integer (got ${tileSize})`, { parameter: 'tileSize' });
  const tiles: PixelWindow[] = [];
  for (let y0 = 0; y0 < height; y0 += tileSize) {
    for (let x0 = 0; x0 < width; x0 += tileSize) {
      tiles.push({ x0, y0, width: Math.min(tileSize, width - x0), height: Math.min(tileSize, height - y0) });
    }
  }
  return tiles;
}
