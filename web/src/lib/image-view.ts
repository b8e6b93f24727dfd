/**
 * The arithmetic of the stack viewer, kept apart from the DOM so it can be tested:
 * display limits from percentiles, the stretches, grey-scale rendering, and the view
 * transform between screen and image pixels.
 *
 * Image pixels are 0-based with (0, 0) the centre of the first pixel (the project's
 * convention, the same as src/science/wcs). Row 0 is drawn at the bottom, as FITS viewers
 * do, so north is up for the usual WCS orientation.
 */
import { quantileSorted } from './stats.js';

export type StretchKind = 'linear' | 'sqrt' | 'log' | 'asinh';
export const STRETCHES: readonly StretchKind[] = ['linear', 'sqrt', 'log', 'asinh'];

/** Beyond this many pixels the limits come from an evenly strided sample (sorting 16 M floats stalls a phone). */
export const LIMIT_SAMPLE = 1_000_000;

/**
 * [low, high] percentiles (0 … 100) of the finite pixels, numpy 'linear' method — exact up
 * to LIMIT_SAMPLE pixels, from a strided sample above.
 */
export function percentileLimits(data: ArrayLike<number>, lowPct: number, highPct: number): [number, number] {
  const stride = Math.max(1, Math.ceil(data.length / LIMIT_SAMPLE));
  const picked: number[] = [];
  for (let i = 0; i < data.length; i += stride) if (Number.isFinite(data[i])) picked.push(data[i]);
  const sorted = Float64Array.from(picked).sort();
  return [quantileSorted(sorted, lowPct / 100), quantileSorted(sorted, highPct / 100)];
}

const LOG_A = 1000; // ds9's log exponent
const ASINH_A = 10; // softening: linear below ~1/10 of the range, logarithmic above

/** A value's display level, 0 … 1, between the limits under a stretch. NaN stays NaN. */
export function stretchValue(v: number, lo: number, hi: number, kind: StretchKind): number {
  if (!Number.isFinite(v)) return NaN;
  let t = hi > lo ? (v - lo) / (hi - lo) : v >= hi ? 1 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  switch (kind) {
    case 'linear':
      return t;
    case 'sqrt':
      return Math.sqrt(t);
    case 'log':
      return Math.log1p(LOG_A * t) / Math.log1p(LOG_A);
    case 'asinh':
      return Math.asinh(ASINH_A * t) / Math.asinh(ASINH_A);
  }
}

/**
 * RGBA bytes of the image in display orientation (row 0 at the bottom): grey levels by
 * the stretch; NaN pixels transparent.
 */
export function renderGrey(data: ArrayLike<number>, width: number, height: number, lo: number, hi: number, kind: StretchKind): Uint8ClampedArray {
  const out = new Uint8ClampedArray(width * height * 4);
  // A lookup table over the limits keeps the stretch out of the per-pixel loop.
  const N = 4096;
  const lut = new Uint8ClampedArray(N + 1);
  for (let i = 0; i <= N; i++) lut[i] = Math.round(255 * stretchValue(lo + ((hi - lo) * i) / N, lo, hi, kind));
  const scale = hi > lo ? N / (hi - lo) : 0;
  for (let y = 0; y < height; y++) {
    const row = (height - 1 - y) * width;
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      const o = (row + x) * 4;
      if (!Number.isFinite(v)) continue; // transparent
      let k = Math.round((v - lo) * scale);
      k = k < 0 ? 0 : k > N ? N : k;
      const g = hi > lo ? lut[k] : v >= hi ? 255 : 0;
      out[o] = out[o + 1] = out[o + 2] = g;
      out[o + 3] = 255;
    }
  }
  return out;
}

/** A colour ramp (dark blue → green → yellow), t in 0 … 1. */
export function rampColour(t: number): [number, number, number] {
  const stops: Array<[number, number, number]> = [
    [68, 1, 84],
    [59, 82, 139],
    [33, 145, 140],
    [94, 201, 98],
    [253, 231, 37],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  return [0, 1, 2].map((c) => Math.round(stops[i][c] + (stops[i + 1][c] - stops[i][c]) * f)) as [number, number, number];
}

/** RGBA of a coverage map (frames per pixel) as a translucent overlay; 0 is transparent. */
export function renderCoverage(data: ArrayLike<number>, width: number, height: number, alpha = 150): { rgba: Uint8ClampedArray; max: number } {
  let max = 0;
  for (let i = 0; i < data.length; i++) if (Number.isFinite(data[i]) && data[i] > max) max = data[i];
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = (height - 1 - y) * width;
    for (let x = 0; x < width; x++) {
      const v = data[y * width + x];
      if (!(v > 0)) continue;
      const [r, g, b] = rampColour(max > 0 ? v / max : 0);
      const o = (row + x) * 4;
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = alpha;
    }
  }
  return { rgba, max };
}

/**
 * Screen ↔ image: a canvas point (css px) is offset + scale × (display column, display
 * row), where display coordinates run over the pixel edges 0 … width, 0 … height.
 */
export interface View {
  scale: number;
  offsetX: number;
  offsetY: number;
}

export const MIN_SCALE = 1 / 64;
export const MAX_SCALE = 64;

/** The whole image, centred, as large as fits. */
export function fitView(imageW: number, imageH: number, viewW: number, viewH: number): View {
  const scale = Math.min(viewW / imageW, viewH / imageH);
  return { scale, offsetX: (viewW - imageW * scale) / 2, offsetY: (viewH - imageH * scale) / 2 };
}

/** Screen point → image pixel (x, y), 0-based, fractional. */
export function screenToPixel(view: View, imageH: number, sx: number, sy: number): [number, number] {
  const cx = (sx - view.offsetX) / view.scale;
  const cy = (sy - view.offsetY) / view.scale;
  return [cx - 0.5, imageH - 0.5 - cy];
}

/** Image pixel (x, y) → screen point. */
export function pixelToScreen(view: View, imageH: number, x: number, y: number): [number, number] {
  return [view.offsetX + (x + 0.5) * view.scale, view.offsetY + (imageH - 0.5 - y) * view.scale];
}

/** Zoom by `factor` keeping the image point under (sx, sy) where it is; scale clamped. */
export function zoomAbout(view: View, factor: number, sx: number, sy: number): View {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, view.scale * factor));
  const k = scale / view.scale;
  return { scale, offsetX: sx - (sx - view.offsetX) * k, offsetY: sy - (sy - view.offsetY) * k };
}

export function panBy(view: View, dx: number, dy: number): View {
  return { ...view, offsetX: view.offsetX + dx, offsetY: view.offsetY + dy };
}

/** The pixel containing (x, y), or null outside the image. */
export function pixelIndex(x: number, y: number, width: number, height: number): number | null {
  // `|| 0` turns Math.round's −0 (for −0.5 … −0) into 0.
  const ix = Math.round(x) || 0;
  const iy = Math.round(y) || 0;
  return ix >= 0 && iy >= 0 && ix < width && iy < height ? iy * width + ix : null;
}
