/**
 * A whole-sky index of catalog quads for blind solving (`openastro catalog index`).
 *
 * Levels of quad size D ∈ [Dk, r·Dk] (r = √2 by default) cover the requested range. For each
 * level the catalog is thinned to the brightest `starsPerCell` stars per SkyGrid cell of side
 * Dk (so the index stars are the locally brightest ones an image also sees first), and the sky
 * is tiled again with cells of side Dk (`quadCellFactor`): each cell gets up to `quadsPerCell` quads whose
 * backbone midpoint lies in it, made from the brightest nearby index stars first (backbone
 * pairs in order of their fainter star; C and D the brightest two inside the backbone circle).
 * Codes are computed on the plane tangent at the cell centre (quads.ts conventions).
 *
 * Quads are sorted by a 4-D grid key of their code (cells of `codeCellSize`), so a tolerance
 * search is a handful of binary searches over contiguous runs.
 *
 * On disk (`.oaidx`, little-endian; every array starts on a 4-byte boundary so a loaded file is
 * used in place through typed-array views):
 *   0  "OAIDX001"    8 u32 flags (0)       12 u32 quads N          16 u32 levels L
 *   20 u32 catalog stars                   24 u32 catalog hash (FNV-1a of the quantised positions)
 *   28 u32 grid cells per code axis G      32 f64 code cell size   40 f64 code lower bound
 *   48 16 bytes reserved (0)
 *   64 L × 40 bytes: f64 Dlo (deg), f64 Dhi (deg), f64 quad cell (deg), u32 quads, u32 stars, u64 reserved
 *   then u32 key[N], u32 star[4N] (catalog star numbers A, B, C, D), u16 code[4N]
 *   (code = lower bound + value / 65535 × 1.5).
 */
import { readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { StarCatalog } from './catalog.js';
import { AstrometryError, requireFinite } from './errors.js';
import { quadCode } from './quads.js';
import { SkyGrid } from './sky-grid.js';

const MAGIC = 'OAIDX001';
const HEADER_BYTES = 64;
const LEVEL_BYTES = 40;
export const CODE_LO = -0.25;
const CODE_SPAN = 1.5;
const CODE_Q = 65535 / CODE_SPAN;
const D2R = Math.PI / 180;
/** Indexes larger than this are refused (≈ 1.7 GB on disk). */
export const MAX_INDEX_QUADS = 60_000_000;

export interface SkyIndexLevel {
  sizeLoDeg: number;
  sizeHiDeg: number;
  quadCellDeg: number;
  quads: number;
  stars: number;
}

export interface SkyIndex {
  levels: SkyIndexLevel[];
  /** Identity of the catalog the star numbers refer to. */
  catalogStars: number;
  catalogHash: number;
  codeCellSize: number;
  gridN: number;
  /** Sorted grid keys, one per quad. */
  keys: Uint32Array;
  /** Catalog star numbers, 4 per quad (A, B, C, D). */
  stars: Uint32Array;
  /** Quantised codes, 4 per quad. */
  codes: Uint16Array;
}

export interface SkyIndexOptions {
  /** Quad backbone sizes to cover, degrees. */
  quadSizeDeg: [number, number];
  /** Ratio between successive levels (default √2). */
  levelRatio?: number;
  /** Index stars kept per uniformisation cell (default 6). */
  starsPerCell?: number;
  /** Quads per quad cell (default 3). */
  quadsPerCell?: number;
  /** Side of the quad cells as a fraction of the level's smallest quad (default 1). */
  quadCellFactor?: number;
  /** Code grid cell (default 0.02; searches with a tolerance up to half of it touch ≤ 2 cells per axis). */
  codeCellSize?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

/** FNV-1a over the quantised positions (the same quantisation as the catalog file). */
export function catalogHash(cat: Pick<StarCatalog, 'raDeg' | 'decDeg'>): number {
  let h = 0x811c9dc5;
  const raQ = 2 ** 32 / 360;
  const decQ = (2 ** 31 - 1) / 90;
  const mix = (v: number): void => {
    for (let k = 0; k < 4; k++) {
      h ^= (v >>> (8 * k)) & 0xff;
      h = Math.imul(h, 0x01000193);
    }
  };
  for (let i = 0; i < cat.raDeg.length; i++) {
    mix(Math.round(cat.raDeg[i] * raQ) >>> 0);
    mix(Math.round(cat.decDeg[i] * decQ) | 0);
  }
  return h >>> 0;
}

/** The level sizes covering [lo, hi] with ratio r. */
export function indexLevels(loDeg: number, hiDeg: number, ratio = Math.SQRT2): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let d = loDeg;
  while (d < hiDeg * (1 - 1e-9)) {
    out.push([d, d * ratio]);
    d *= ratio;
  }
  return out;
}

export function buildSkyIndex(catalog: StarCatalog, opts: SkyIndexOptions): SkyIndex {
  const [lo, hi] = opts.quadSizeDeg;
  requireFinite(lo, 'quadSizeDeg[0]', 1e-3, 90);
  requireFinite(hi, 'quadSizeDeg[1]', lo, 90);
  const ratio = requireFinite(opts.levelRatio ?? Math.SQRT2, 'levelRatio', 1.05, 4);
  const perCell = Math.round(requireFinite(opts.starsPerCell ?? 6, 'starsPerCell', 2, 100));
  const perQuadCell = Math.round(requireFinite(opts.quadsPerCell ?? 3, 'quadsPerCell', 1, 100));
  const cellFactor = requireFinite(opts.quadCellFactor ?? 1, 'quadCellFactor', 0.1, 4);
  const codeCell = requireFinite(opts.codeCellSize ?? 0.02, 'codeCellSize', 1e-3, 0.5);
  const n = catalog.raDeg.length;
  const byMag = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => catalog.mag[a] - catalog.mag[b] || a - b);
  const levelSizes = indexLevels(lo, hi, ratio);
  const levels: SkyIndexLevel[] = [];
  const quadStars = new Growable(Uint32Array);
  const quadCodes = new Growable(Uint16Array);
  levelSizes.forEach(([dLo, dHi], li) => {
    const before = quadStars.length / 4;
    const stars = levelStars(catalog, byMag, new SkyGrid(dLo), perCell);
    const quadCell = dLo * cellFactor;
    buildLevelQuads(catalog, stars, dLo, dHi, new SkyGrid(quadCell), perQuadCell, quadStars, quadCodes, (d, t) => opts.onProgress?.(d, t, `level ${li + 1}/${levelSizes.length}`));
    const count = quadStars.length / 4 - before;
    if (quadStars.length / 4 > MAX_INDEX_QUADS) throw new AstrometryError('TOO_LARGE', `more than ${MAX_INDEX_QUADS} quads; narrow the scale range`);
    levels.push({ sizeLoDeg: dLo, sizeHiDeg: dHi, quadCellDeg: quadCell, quads: count, stars: stars.length });
  });
  return sortIndex(quadStars.view(), quadCodes.view(), levels, catalog, codeCell);
}

/** An append-only typed array (doubling). */
class Growable<T extends Uint32Array | Uint16Array> {
  private data: T;
  length = 0;
  constructor(private readonly ctor: new (n: number) => T) {
    this.data = new ctor(1024);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new this.ctor(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
  view(): T {
    return this.data.subarray(0, this.length) as T;
  }
}

/** The brightest perCell stars in each cell (catalog numbers, brightest first). */
function levelStars(cat: StarCatalog, byMag: Int32Array, grid: SkyGrid, perCell: number): Int32Array {
  const count = new Uint8Array(grid.cells);
  const out: number[] = [];
  for (const i of byMag) {
    if (!Number.isFinite(cat.mag[i])) continue;
    const c = grid.cellOf(cat.raDeg[i], cat.decDeg[i]);
    if (count[c] < perCell) {
      count[c]++;
      out.push(i);
    }
  }
  return Int32Array.from(out);
}

function buildLevelQuads(
  cat: StarCatalog,
  stars: Int32Array,
  dLo: number,
  dHi: number,
  grid: SkyGrid,
  perQuadCell: number,
  outStars: Growable<Uint32Array>,
  outCodes: Growable<Uint16Array>,
  progress: (done: number, total: number) => void,
): void {
  // Index stars bucketed by quad cell (CSR), keeping brightest-first order inside each cell.
  const cellOfStar = Int32Array.from(stars, (i) => grid.cellOf(cat.raDeg[i], cat.decDeg[i]));
  const start = new Int32Array(grid.cells + 1);
  for (const c of cellOfStar) start[c + 1]++;
  for (let c = 0; c < grid.cells; c++) start[c + 1] += start[c];
  const fill = start.slice(0, grid.cells);
  const bucket = new Int32Array(stars.length);
  for (let k = 0; k < stars.length; k++) bucket[fill[cellOfStar[k]]++] = k;
  // Cells that can own a quad: those within Dhi/2 of some index star.
  const mark = new Uint8Array(grid.cells);
  for (const i of stars) grid.cellsNear(cat.raDeg[i], cat.decDeg[i], dHi / 2, (c) => (mark[c] = 1));
  const cells: number[] = [];
  for (let c = 0; c < grid.cells; c++) if (mark[c]) cells.push(c);

  const MAXN = 32;
  const gather: number[] = [];
  const xs = new Float64Array(MAXN);
  const ys = new Float64Array(MAXN);
  const px = new Float64Array(4);
  const py = new Float64Array(4);
  const code = new Float64Array(4);
  const order = new Int32Array(4);
  const dLoR = dLo * D2R;
  const dHiR = dHi * D2R;
  const reach = dHi / 2 + grid.cellDeg;
  cells.forEach((cell, ci) => {
    if (ci % 4096 === 0) progress(ci, cells.length);
    const [ra0, dec0] = grid.cellCentre(cell);
    gather.length = 0;
    grid.cellsNear(ra0, dec0, reach, (c) => {
      for (let k = start[c]; k < start[c + 1]; k++) gather.push(bucket[k]);
    });
    if (gather.length < 4) return;
    // Brightest first (index-star order is by magnitude).
    gather.sort((a, b) => a - b);
    const sd0 = Math.sin(dec0 * D2R);
    const cd0 = Math.cos(dec0 * D2R);
    let m = 0;
    const ids: number[] = [];
    for (const k of gather) {
      if (m >= MAXN) break;
      const i = stars[k];
      const da = (cat.raDeg[i] - ra0) * D2R;
      const d = cat.decDeg[i] * D2R;
      const cdd = Math.cos(d);
      const cosc = sd0 * Math.sin(d) + cd0 * cdd * Math.cos(da);
      if (cosc < Math.cos(reach * D2R)) continue;
      xs[m] = (cdd * Math.sin(da)) / cosc;
      ys[m] = (cd0 * Math.sin(d) - sd0 * cdd * Math.cos(da)) / cosc;
      ids.push(i);
      m++;
    }
    let made = 0;
    for (let b = 1; b < m && made < perQuadCell; b++) {
      for (let a = 0; a < b && made < perQuadCell; a++) {
        const dx = xs[b] - xs[a];
        const dy = ys[b] - ys[a];
        const d = Math.hypot(dx, dy);
        if (d < dLoR || d > dHiR) continue;
        const mx = (xs[a] + xs[b]) / 2;
        const my = (ys[a] + ys[b]) / 2;
        // Midpoint back on the sphere: the quad belongs to the cell that holds it.
        const den = cd0 - my * sd0;
        const mra = ra0 + Math.atan2(mx, den) / D2R;
        const mdec = Math.atan2(sd0 + my * cd0, Math.hypot(mx, den)) / D2R;
        if (grid.cellOf(mra, mdec) !== cell) continue;
        const r2 = (d * d) / 4;
        let c1 = -1;
        let c2 = -1;
        for (let c = 0; c < m; c++) {
          if (c === a || c === b) continue;
          if ((xs[c] - mx) ** 2 + (ys[c] - my) ** 2 >= r2) continue;
          if (c1 < 0) c1 = c;
          else {
            c2 = c;
            break;
          }
        }
        if (c2 < 0) continue;
        const four = [a, b, c1, c2];
        for (let k = 0; k < 4; k++) {
          px[k] = xs[four[k]];
          py[k] = ys[four[k]];
        }
        if (quadCode(px, py, code, order) < 0) continue;
        for (let k = 0; k < 4; k++) {
          outStars.push(ids[four[order[k]]]);
          outCodes.push(quantCode(code[k]));
        }
        made++;
      }
    }
  });
  progress(cells.length, cells.length);
}

function quantCode(v: number): number {
  return Math.max(0, Math.min(65535, Math.round((v - CODE_LO) * CODE_Q)));
}

export function codeValue(q: number): number {
  return CODE_LO + q / CODE_Q;
}

function gridCell(v: number, cell: number, g: number): number {
  return Math.max(0, Math.min(g - 1, Math.floor((v - CODE_LO) / cell)));
}

function sortIndex(quadStars: Uint32Array, qc: Uint16Array, levels: SkyIndexLevel[], catalog: StarCatalog, codeCell: number): SkyIndex {
  const n = quadStars.length / 4;
  const g = Math.ceil(CODE_SPAN / codeCell);
  if (g ** 4 >= 2 ** 32) throw new AstrometryError('BAD_ARGUMENT', `code cell ${codeCell} is too fine (grid keys need 32 bits)`, { parameter: 'codeCellSize' });
  const key = new Uint32Array(n);
  for (let q = 0; q < n; q++) {
    let k = 0;
    for (let d = 0; d < 4; d++) k = k * g + gridCell(codeValue(qc[4 * q + d]), codeCell, g);
    key[q] = k;
  }
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => key[a] - key[b] || a - b);
  const keys = new Uint32Array(n);
  const stars = new Uint32Array(4 * n);
  const codes = new Uint16Array(4 * n);
  for (let k = 0; k < n; k++) {
    const q = order[k];
    keys[k] = key[q];
    for (let d = 0; d < 4; d++) {
      stars[4 * k + d] = quadStars[4 * q + d];
      codes[4 * k + d] = qc[4 * q + d];
    }
  }
  return { levels, catalogStars: catalog.raDeg.length, catalogHash: catalogHash(catalog), codeCellSize: codeCell, gridN: g, keys, stars, codes };
}

function lowerBound(keys: Uint32Array, v: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calls visit(q, dist²) for each index quad whose code lies within tol (4-D Euclidean) of code. */
export function searchIndex(index: SkyIndex, code: ArrayLike<number>, tol: number, visit: (q: number, dist2: number) => void): void {
  const g = index.gridN;
  const cell = index.codeCellSize;
  const lo = [0, 0, 0, 0];
  const hi = [0, 0, 0, 0];
  for (let d = 0; d < 4; d++) {
    lo[d] = gridCell(code[d] - tol, cell, g);
    hi[d] = gridCell(code[d] + tol, cell, g);
  }
  const tol2 = tol * tol;
  const { keys, codes } = index;
  for (let i0 = lo[0]; i0 <= hi[0]; i0++) {
    for (let i1 = lo[1]; i1 <= hi[1]; i1++) {
      for (let i2 = lo[2]; i2 <= hi[2]; i2++) {
        const base = ((i0 * g + i1) * g + i2) * g;
        const to = lowerBound(keys, base + hi[3] + 1);
        for (let k = lowerBound(keys, base + lo[3]); k < to; k++) {
          const o = 4 * k;
          const d0 = codeValue(codes[o]) - code[0];
          const d1 = codeValue(codes[o + 1]) - code[1];
          const d2 = codeValue(codes[o + 2]) - code[2];
          const d3 = codeValue(codes[o + 3]) - code[3];
          const dist2 = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
          if (dist2 <= tol2) visit(k, dist2);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// File format

const align4 = (v: number): number => (v + 3) & ~3;

function layout(nQuads: number, nLevels: number): { keys: number; stars: number; codes: number; total: number } {
  const keys = HEADER_BYTES + LEVEL_BYTES * nLevels;
  const stars = keys + 4 * nQuads;
  const codes = stars + 16 * nQuads;
  return { keys, stars, codes, total: align4(codes + 8 * nQuads) };
}

export function encodeSkyIndex(index: SkyIndex): Uint8Array {
  const n = index.keys.length;
  const L = index.levels.length;
  const lay = layout(n, L);
  const bytes = new Uint8Array(lay.total);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  dv.setUint32(8, 0, true);
  dv.setUint32(12, n, true);
  dv.setUint32(16, L, true);
  dv.setUint32(20, index.catalogStars, true);
  dv.setUint32(24, index.catalogHash, true);
  dv.setUint32(28, index.gridN, true);
  dv.setFloat64(32, index.codeCellSize, true);
  dv.setFloat64(40, CODE_LO, true);
  index.levels.forEach((l, i) => {
    const o = HEADER_BYTES + LEVEL_BYTES * i;
    dv.setFloat64(o, l.sizeLoDeg, true);
    dv.setFloat64(o + 8, l.sizeHiDeg, true);
    dv.setFloat64(o + 16, l.quadCellDeg, true);
    dv.setUint32(o + 24, l.quads, true);
    dv.setUint32(o + 28, l.stars, true);
  });
  for (let q = 0; q < n; q++) dv.setUint32(lay.keys + 4 * q, index.keys[q], true);
  for (let k = 0; k < 4 * n; k++) dv.setUint32(lay.stars + 4 * k, index.stars[k], true);
  for (let k = 0; k < 4 * n; k++) dv.setUint16(lay.codes + 2 * k, index.codes[k], true);
  return bytes;
}

/**
 * Reads an encoded index. On a little-endian host the arrays are views into `bytes` (no copy;
 * `bytes` must start on a 4-byte boundary, as a freshly read file does).
 */
export function decodeSkyIndex(bytes: Uint8Array, file?: string): SkyIndex {
  const bad = (message: string, offset: number): never => {
    throw new AstrometryError('BAD_INDEX', message, { file, offset });
  };
  if (bytes.length < HEADER_BYTES) bad(`${bytes.length} bytes: too short for a sky index header`, 0);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) bad(`not an OpenAstro sky index (magic ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 8)))})`, 0);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags = dv.getUint32(8, true);
  const n = dv.getUint32(12, true);
  const L = dv.getUint32(16, true);
  if (flags !== 0) bad(`unknown flags ${flags}`, 8);
  if (n > MAX_INDEX_QUADS || L > 1000) bad(`${n} quads in ${L} levels is more than allowed`, 12);
  const lay = layout(n, L);
  if (lay.total !== bytes.length) bad(`${n} quads in ${L} levels need ${lay.total} bytes, the file has ${bytes.length}`, 12);
  const gridN = dv.getUint32(28, true);
  const codeCellSize = dv.getFloat64(32, true);
  if (!(codeCellSize >= 1e-3 && codeCellSize <= 0.5) || gridN !== Math.ceil(CODE_SPAN / codeCellSize) || dv.getFloat64(40, true) !== CODE_LO) {
    bad(`code grid (${gridN} cells of ${codeCellSize}) is inconsistent`, 28);
  }
  const levels: SkyIndexLevel[] = [];
  for (let i = 0; i < L; i++) {
    const o = HEADER_BYTES + LEVEL_BYTES * i;
    const l = { sizeLoDeg: dv.getFloat64(o, true), sizeHiDeg: dv.getFloat64(o + 8, true), quadCellDeg: dv.getFloat64(o + 16, true), quads: dv.getUint32(o + 24, true), stars: dv.getUint32(o + 28, true) };
    if (!(l.sizeLoDeg > 0 && l.sizeHiDeg >= l.sizeLoDeg && l.sizeHiDeg <= 90)) bad(`level ${i}: quad sizes ${l.sizeLoDeg}°–${l.sizeHiDeg}°`, o);
    levels.push(l);
  }
  if (levels.reduce((a, l) => a + l.quads, 0) !== n) bad('level quad counts do not add up to the number of quads', HEADER_BYTES);
  const aligned = (bytes.byteOffset & 3) === 0 && endianness() === 'LE';
  const u32 = (off: number, count: number): Uint32Array => {
    if (aligned) return new Uint32Array(bytes.buffer, bytes.byteOffset + off, count);
    const a = new Uint32Array(count);
    for (let i = 0; i < count; i++) a[i] = dv.getUint32(off + 4 * i, true);
    return a;
  };
  const keys = u32(lay.keys, n);
  const stars = u32(lay.stars, 4 * n);
  let codes: Uint16Array;
  if (aligned) codes = new Uint16Array(bytes.buffer, bytes.byteOffset + lay.codes, 4 * n);
  else {
    codes = new Uint16Array(4 * n);
    for (let i = 0; i < 4 * n; i++) codes[i] = dv.getUint16(lay.codes + 2 * i, true);
  }
  const catalogStars = dv.getUint32(20, true);
  for (let q = 1; q < n; q++) if (keys[q] < keys[q - 1]) bad(`quad keys are not sorted at quad ${q}`, lay.keys + 4 * q);
  if (n > 0 && keys[n - 1] >= gridN ** 4) bad('quad key outside the code grid', lay.keys + 4 * (n - 1));
  for (let k = 0; k < 4 * n; k++) if (stars[k] >= catalogStars) bad(`quad ${k >> 2} names star ${stars[k]} of a ${catalogStars}-star catalog`, lay.stars + 4 * k);
  return { levels, catalogStars, catalogHash: dv.getUint32(24, true), codeCellSize, gridN, keys, stars, codes };
}

export async function readSkyIndex(path: string): Promise<SkyIndex> {
  const buf = await readFile(path);
  // A Buffer may share a pool at an unaligned offset; copy only then.
  const bytes = (buf.byteOffset & 3) === 0 ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf);
  return decodeSkyIndex(bytes, path);
}

/** Throws BAD_INDEX unless the index was built from this catalog. */
export function checkIndexCatalog(index: SkyIndex, catalog: StarCatalog): void {
  if (index.catalogStars !== catalog.raDeg.length || index.catalogHash !== catalogHash(catalog)) {
    throw new AstrometryError('BAD_INDEX', `the index was built from another catalog (${index.catalogStars} stars, hash ${index.catalogHash.toString(16)}; this one has ${catalog.raDeg.length} stars, hash ${catalogHash(catalog).toString(16)})`);
  }
}
