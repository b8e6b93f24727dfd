/**
 * Pixel maps between two WCS grids: where, in the pixels of one image, each pixel of another
 * image falls. Evaluating the full WCS chain (pixel → sky → pixel, with SIP Newton inverses)
 * at every pixel is the slow part of reprojection, so the map is computed exactly on a
 * coarse grid of nodes every `stepPx` pixels and bilinearly interpolated in between. The
 * interpolation error is measured where it is largest for a smooth map — at the centres of
 * the coarse cells — against the exact mapping, and the step is halved until it is below
 * `maxErrorPx` (at step 1 every pixel is a node, so the map is exact).
 *
 * Cells with a node that does not map (sky position behind the other image's tangent plane,
 * failed inverse) are computed exactly pixel by pixel, so the map's NaN boundary is the
 * exact one.
 */
import { pixToSkyBatch, skyToPixBatch, type Wcs } from '../wcs/index.js';
import { checkShape, ImageError } from './errors.js';

/** A sub-rectangle of a target grid (0-based), for tile-by-tile work. */
export interface GridWindow {
  x0: number;
  y0: number;
  width: number;
  height: number;
}

export interface PixelMapOptions {
  /** Initial node spacing in target pixels (default 16); halved until the checked error < maxErrorPx. */
  stepPx?: number;
  /** Largest accepted interpolation error at the check points, pixels (default 0.01). */
  maxErrorPx?: number;
}

export interface PixelMap {
  /** Input-pixel x of every window pixel, row-major over the window; NaN where unmapped. */
  x: Float32Array;
  y: Float32Array;
  /** Largest |interpolated − exact| (Euclidean, input pixels) over the check points. */
  maxErrorPx: number;
}

/**
 * Input-pixel coordinates (0-based) of every target pixel centre in `window`: exact on a
 * coarse grid every `stepPx` target pixels, bilinearly interpolated in between, refined
 * until the error measured at the cell centres is below `maxErrorPx`. NaN where the sky
 * position is behind the input's tangent plane or the transform fails.
 */
export function pixelMap(inputWcs: Wcs, targetWcs: Wcs, window: GridWindow, opts: PixelMapOptions = {}): PixelMap {
  checkWindow(window);
  const n = window.width * window.height;
  const gx = new Float64Array(n);
  const gy = new Float64Array(n);
  const maxErrorPx = mapGrid(targetWcs, inputWcs, window.x0, window.y0, window.width, window.height, gx, gy, opts);
  return { x: Float32Array.from(gx), y: Float32Array.from(gy), maxErrorPx };
}

export function checkWindow(window: GridWindow, grid?: { width: number; height: number }): void {
  const { x0, y0, width, height } = window;
  if (!Number.isSafeInteger(x0) || !Number.isSafeInteger(y0)) {
    throw new ImageError('BAD_ARGUMENT', `window origin (${x0}, ${y0}) must be integers`, { parameter: 'window' });
  }
  checkShape(width, height, 'window');
  if (grid && (x0 < 0 || y0 < 0 || x0 + width > grid.width || y0 + height > grid.height)) {
    throw new ImageError('BAD_ARGUMENT', `window ${width}×${height} at (${x0}, ${y0}) is outside the ${grid.width}×${grid.height} target grid`, {
      parameter: 'window',
    });
  }
}

/**
 * Maps the grid of points (originX + i, originY + j), i < nx, j < ny, of `fromWcs` pixels
 * into `toWcs` pixels, writing row-major into outX/outY (length ≥ nx·ny). The origin may
 * be fractional (−0.5 gives pixel corners). Returns the measured interpolation error.
 */
export function mapGrid(
  fromWcs: Wcs,
  toWcs: Wcs,
  originX: number,
  originY: number,
  nx: number,
  ny: number,
  outX: Float64Array,
  outY: Float64Array,
  opts: PixelMapOptions = {},
): number {
  const tol = opts.maxErrorPx ?? 0.01;
  let step = Math.floor(opts.stepPx ?? 16);
  if (!(step >= 1)) throw new ImageError('BAD_ARGUMENT', `stepPx ${opts.stepPx} must be ≥ 1`, { parameter: 'stepPx' });
  if (!(tol > 0)) throw new ImageError('BAD_ARGUMENT', `maxErrorPx ${opts.maxErrorPx} must be > 0`, { parameter: 'maxErrorPx' });
  for (;;) {
    if (step <= 1) {
      mapExact(fromWcs, toWcs, originX, originY, nx, ny, outX, outY);
      return 0;
    }
    const err = mapCoarse(fromWcs, toWcs, originX, originY, nx, ny, step, outX, outY, tol);
    if (err < tol) return err;
    step = Math.max(1, Math.floor(step / 2));
  }
}

/** Every point through the full WCS chain. */
function mapExact(from: Wcs, to: Wcs, ox: number, oy: number, nx: number, ny: number, outX: Float64Array, outY: Float64Array): void {
  // Row by row keeps the sky scratch small for big grids.
  const xs = new Float64Array(nx);
  const ys = new Float64Array(nx);
  const sky = { raDeg: new Float64Array(nx), decDeg: new Float64Array(nx) };
  const pix = { xPx: new Float64Array(nx), yPx: new Float64Array(nx) };
  for (let i = 0; i < nx; i++) xs[i] = ox + i;
  for (let j = 0; j < ny; j++) {
    ys.fill(oy + j);
    pixToSkyBatch(from, xs, ys, sky);
    skyToPixBatch(to, sky.raDeg, sky.decDeg, pix);
    const base = j * nx;
    for (let i = 0; i < nx; i++) {
      const x = pix.xPx[i];
      const y = pix.yPx[i];
      const ok = Number.isFinite(x) && Number.isFinite(y);
      outX[base + i] = ok ? x : NaN;
      outY[base + i] = ok ? y : NaN;
    }
  }
}

/** Exact transform of a list of points (in place: xs/ys in, results in rx/ry). */
function transformPoints(from: Wcs, to: Wcs, xs: Float64Array, ys: Float64Array, rx: Float64Array, ry: Float64Array): void {
  const sky = pixToSkyBatch(from, xs, ys);
  skyToPixBatch(to, sky.raDeg, sky.decDeg, { xPx: rx, yPx: ry });
  for (let i = 0; i < rx.length; i++) {
    if (!(Number.isFinite(rx[i]) && Number.isFinite(ry[i]))) {
      rx[i] = NaN;
      ry[i] = NaN;
    }
  }
}

/** Coarse nodes + bilinear fill; returns the error at the cell centres (Infinity to ask for a finer step). */
function mapCoarse(
  from: Wcs,
  to: Wcs,
  ox: number,
  oy: number,
  nx: number,
  ny: number,
  step: number,
  outX: Float64Array,
  outY: Float64Array,
  tol: number,
): number {
  const cellsX = Math.max(1, Math.ceil((nx - 1) / step));
  const cellsY = Math.max(1, Math.ceil((ny - 1) / step));
  const nnx = cellsX + 1;
  const nny = cellsY + 1;
  const nodes = nnx * nny;
  const px = new Float64Array(nodes);
  const py = new Float64Array(nodes);
  for (let j = 0; j < nny; j++) {
    for (let i = 0; i < nnx; i++) {
      px[j * nnx + i] = ox + i * step;
      py[j * nnx + i] = oy + j * step;
    }
  }
  const nodeX = new Float64Array(nodes);
  const nodeY = new Float64Array(nodes);
  transformPoints(from, to, px, py, nodeX, nodeY);

  // Check points: the centre of every cell whose four nodes map.
  const cells = cellsX * cellsY;
  const cx = new Float64Array(cells);
  const cy = new Float64Array(cells);
  for (let j = 0; j < cellsY; j++) {
    for (let i = 0; i < cellsX; i++) {
      cx[j * cellsX + i] = ox + (i + 0.5) * step;
      cy[j * cellsX + i] = oy + (j + 0.5) * step;
    }
  }
  const ex = new Float64Array(cells);
  const ey = new Float64Array(cells);
  transformPoints(from, to, cx, cy, ex, ey);
  let maxErr = 0;
  for (let j = 0; j < cellsY; j++) {
    for (let i = 0; i < cellsX; i++) {
      const a = j * nnx + i;
      const b = a + nnx;
      const ix = 0.25 * (nodeX[a] + nodeX[a + 1] + nodeX[b] + nodeX[b + 1]);
      const iy = 0.25 * (nodeY[a] + nodeY[a + 1] + nodeY[b] + nodeY[b + 1]);
      if (!Number.isFinite(ix)) continue; // a cell with an unmapped node is done exactly below
      const c = j * cellsX + i;
      // A cell whose centre does not map but whose corners do: the map folds; refine.
      const err = Number.isFinite(ex[c]) ? Math.hypot(ix - ex[c], iy - ey[c]) : Infinity;
      if (err > maxErr) maxErr = err;
      if (maxErr >= tol) return maxErr;
    }
  }

  // Bilinear fill, cell by cell.
  const inv = 1 / step;
  for (let cj = 0; cj < cellsY; cj++) {
    const yStart = cj * step;
    const yEnd = Math.min(ny, cj === cellsY - 1 ? ny : yStart + step);
    for (let ci = 0; ci < cellsX; ci++) {
      const xStart = ci * step;
      const xEnd = Math.min(nx, ci === cellsX - 1 ? nx : xStart + step);
      const a = cj * nnx + ci;
      const b = a + nnx;
      const x00 = nodeX[a], x10 = nodeX[a + 1], x01 = nodeX[b], x11 = nodeX[b + 1];
      const y00 = nodeY[a], y10 = nodeY[a + 1], y01 = nodeY[b], y11 = nodeY[b + 1];
      if (!Number.isFinite(x00 + x10 + x01 + x11)) {
        exactCell(from, to, ox, oy, nx, xStart, xEnd, yStart, yEnd, outX, outY);
        continue;
      }
      for (let y = yStart; y < yEnd; y++) {
        const ty = (y - yStart) * inv;
        const lx = x00 + ty * (x01 - x00);
        const rx = x10 + ty * (x11 - x10);
        const ly = y00 + ty * (y01 - y00);
        const ry = y10 + ty * (y11 - y10);
        const dxx = rx - lx;
        const dyy = ry - ly;
        let o = y * nx + xStart;
        for (let x = xStart; x < xEnd; x++, o++) {
          const tx = (x - xStart) * inv;
          outX[o] = lx + tx * dxx;
          outY[o] = ly + tx * dyy;
        }
      }
    }
  }
  return maxErr;
}

function exactCell(
  from: Wcs,
  to: Wcs,
  ox: number,
  oy: number,
  nx: number,
  xStart: number,
  xEnd: number,
  yStart: number,
  yEnd: number,
  outX: Float64Array,
  outY: Float64Array,
): void {
  const w = xEnd - xStart;
  const m = w * (yEnd - yStart);
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let y = yStart, k = 0; y < yEnd; y++) {
    for (let x = xStart; x < xEnd; x++, k++) {
      xs[k] = ox + x;
      ys[k] = oy + y;
    }
  }
  const rx = new Float64Array(m);
  const ry = new Float64Array(m);
  transformPoints(from, to, xs, ys, rx, ry);
  for (let y = yStart, k = 0; y < yEnd; y++) {
    for (let x = xStart; x < xEnd; x++, k++) {
      outX[y * nx + x] = rx[k];
      outY[y * nx + x] = ry[k];
    }
  }
}
