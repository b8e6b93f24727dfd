/**
 * Tile geometry of a tile-compressed image (FITS Standard 4.0 §10.1): the image is cut
 * into ZTILE1 × ZTILE2 × … tiles, in FITS order (first axis fastest), the tiles on the far
 * edges of each axis being shorter when the axis is not a multiple of the tile size.
 * Tile i is row i + 1 of the binary table.
 */
import { FitsError } from '../errors.js';

export interface TileGrid {
  /** Image axes, NAXIS1 first. */
  axes: number[];
  /** Tile shape, ZTILE1 first (each ≤ the axis length). */
  tileShape: number[];
  /** Tiles along each axis. */
  counts: number[];
  total: number;
}

/** Tiles are counted in doubles; anything beyond this is a corrupt header. */
const MAX_TILES = 2 ** 31;

export function tileGrid(axes: number[], tileShape: number[]): TileGrid {
  if (tileShape.length !== axes.length) {
    throw new FitsError('BAD_VALUE', `tile shape has ${tileShape.length} axes, the image ${axes.length}`);
  }
  const counts: number[] = [];
  const shape: number[] = [];
  let total = 1;
  for (let i = 0; i < axes.length; i++) {
    const t = tileShape[i];
    if (!Number.isSafeInteger(t) || t < 1) throw new FitsError('BAD_VALUE', `ZTILE${i + 1} = ${t} is not a positive integer`, { keyword: `ZTILE${i + 1}` });
    const a = axes[i];
    shape.push(Math.min(t, Math.max(a, 1)));
    const c = a === 0 ? 0 : Math.ceil(a / shape[i]);
    counts.push(c);
    total *= c;
  }
  if (total > MAX_TILES) throw new FitsError('TOO_LARGE', `${total} tiles`);
  return { axes: [...axes], tileShape: shape, counts, total };
}

/** Row-by-row tiles: ZTILE1 = NAXIS1, the others 1 (the convention's default). */
export function rowTiles(axes: number[]): number[] {
  return axes.map((a, i) => (i === 0 ? Math.max(a, 1) : 1));
}

export interface TileBox {
  /** 0-based first pixel along each axis. */
  start: number[];
  /** Pixels along each axis (shorter at the far edges). */
  shape: number[];
  pixels: number;
}

/** Position and size of 0-based tile `index`. */
export function tileBox(grid: TileGrid, index: number): TileBox {
  const start: number[] = [];
  const shape: number[] = [];
  let rest = index;
  let pixels = 1;
  for (let i = 0; i < grid.axes.length; i++) {
    const k = rest % grid.counts[i];
    rest = Math.floor(rest / grid.counts[i]);
    const s = k * grid.tileShape[i];
    start.push(s);
    const n = Math.min(grid.tileShape[i], grid.axes[i] - s);
    shape.push(n);
    pixels *= n;
  }
  return { start, shape, pixels };
}

/** Bounding box (in pixels) of tiles first..last, as a TileBox. */
export function tilesBoundingBox(grid: TileGrid, first: number, last: number): TileBox {
  const lo = grid.axes.map((a) => a);
  const hi = grid.axes.map(() => 0);
  // Along each axis the tile indices covered by a raster range are either a single span
  // (when the range stays inside one row of tiles of the slower axes) or the full axis.
  const firstIdx = tileIndices(grid, first);
  const lastIdx = tileIndices(grid, last);
  let slowerDiffer = false;
  for (let i = grid.axes.length - 1; i >= 0; i--) {
    let a: number;
    let b: number;
    if (slowerDiffer) {
      a = 0;
      b = grid.counts[i] - 1;
    } else {
      a = firstIdx[i];
      b = lastIdx[i];
      if (a !== b) slowerDiffer = true;
    }
    lo[i] = a * grid.tileShape[i];
    hi[i] = Math.min((b + 1) * grid.tileShape[i], grid.axes[i]);
  }
  const shape = lo.map((l, i) => hi[i] - l);
  return { start: lo, shape, pixels: shape.reduce((p, n) => p * n, 1) };
}

function tileIndices(grid: TileGrid, index: number): number[] {
  const out: number[] = [];
  let rest = index;
  for (let i = 0; i < grid.axes.length; i++) {
    out.push(rest % grid.counts[i]);
    rest = Math.floor(rest / grid.counts[i]);
  }
  return out;
}

/**
 * Call `fn(imageOffset, tileOffset, length)` for each contiguous run (one per row of the
 * tile) that maps a tile at `box` into an image region of `regionAxes` starting at
 * `regionStart` (both in pixels, first axis fastest).
 */
export function forEachTileRow(box: TileBox, regionStart: number[], regionAxes: number[], fn: (imageOffset: number, tileOffset: number, length: number) => void): void {
  const nd = box.shape.length;
  if (box.pixels === 0) return;
  const width = box.shape[0];
  const rows = box.pixels / width;
  // Strides of the region.
  const stride: number[] = [1];
  for (let i = 1; i < nd; i++) stride.push(stride[i - 1] * regionAxes[i - 1]);
  const pos = new Array<number>(nd).fill(0);
  for (let r = 0; r < rows; r++) {
    let off = 0;
    for (let i = 0; i < nd; i++) off += (box.start[i] - regionStart[i] + pos[i]) * stride[i];
    fn(off, r * width, width);
    // Odometer over axes 2..n.
    for (let i = 1; i < nd; i++) {
      if (++pos[i] < box.shape[i]) break;
      pos[i] = 0;
    }
  }
}
