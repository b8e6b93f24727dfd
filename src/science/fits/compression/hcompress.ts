/**
 * HCOMPRESS_1 decoding (White 1992, "High-performance compression of astronomical images";
 * FITS Standard 4.0 §10.4.4). Read only.
 *
 * An H-compressed tile is a 2-D Haar ("H") transform of the integer pixels, optionally
 * divided by a scale factor (lossy), whose coefficients are coded bit plane by bit plane
 * with a quadtree:
 *
 *   magic 0xDD 0x99 | nx (int32) | ny (int32) | scale (int32) | sum (int64) |
 *   bit-plane counts of the three coefficient groups (3 bytes) |
 *   quadtree-coded magnitudes of the four quadrants, most significant plane first,
 *   then a zero nybble | sign bits of the non-zero coefficients (from the next byte).
 *
 * nx is the number of rows (slow axis), ny the row length; all integers big-endian.
 * Coefficients are held in doubles: 32-bit images need more than 32 bits in the
 * transform, and every operation below is exact on integers below 2^53.
 */
import { FitsError } from '../errors.js';

export interface HcompressTile {
  /** Rows (slow axis). */
  nx: number;
  /** Row length (fast axis). */
  ny: number;
  scale: number;
  /** nx × ny pixels, row-major. */
  data: Float64Array;
}

const corrupt = (why: string): FitsError => new FitsError('CORRUPT_TILE', `HCOMPRESS_1: ${why}`);

/** MSB-first bit reader that can restart at a byte boundary. */
class BitReader {
  private pos: number;
  private buf = 0;
  private avail = 0;
  constructor(
    private readonly bytes: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }

  /** Drop the bits left in the current byte. */
  align(): void {
    this.avail = 0;
  }

  bits(n: number): number {
    while (this.avail < n) {
      if (this.pos >= this.bytes.length) throw corrupt('stream ends early');
      this.buf = ((this.buf << 8) | this.bytes[this.pos++]) & 0xffffff;
      this.avail += 8;
    }
    this.avail -= n;
    return (this.buf >>> this.avail) & ((1 << n) - 1);
  }

  bit(): number {
    return this.bits(1);
  }

  nybble(): number {
    return this.bits(4);
  }

  /**
   * One 4-bit quadtree code from the fixed prefix code of the format:
   * 3 bits for 1, 2, 4, 8 (the single-pixel cases), 4 bits for 3, 5, 10, 12, 15,
   * 5 bits for 6, 7, 9, 11, 13, and 6 bits for 0 and 14.
   */
  huffman(): number {
    let c = this.bits(3);
    if (c < 4) return 1 << c;
    c = (c << 1) | this.bit();
    switch (c) {
      case 8:
        return 3;
      case 9:
        return 5;
      case 10:
        return 10;
      case 11:
        return 12;
      case 12:
        return 15;
    }
    c = (c << 1) | this.bit();
    switch (c) {
      case 26:
        return 6;
      case 27:
        return 7;
      case 28:
        return 9;
      case 29:
        return 11;
      case 30:
        return 13;
    }
    c = (c << 1) | this.bit();
    return c === 62 ? 0 : 14;
  }
}

function readInt32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) | 0;
}

/** Smallest k with 2^k ≥ n (0 for n ≤ 1). */
function ceilLog2(n: number): number {
  let k = 0;
  while (1 << k < n) k++;
  return k;
}

/**
 * Decode one tile. `expectedPixels` bounds the allocation; the caller checks the shape.
 * `smooth` applies the format's optional smoothing of lossy (scale > 1) tiles.
 */
export function hcompressDecode(bytes: Uint8Array, expectedPixels: number, smooth = false): HcompressTile {
  if (bytes.length < 25) throw corrupt(`stream of ${bytes.length} bytes is too short`);
  if (bytes[0] !== 0xdd || bytes[1] !== 0x99) throw corrupt('bad magic number');
  const nx = readInt32(bytes, 2);
  const ny = readInt32(bytes, 6);
  const scale = readInt32(bytes, 10);
  if (nx <= 0 || ny <= 0 || nx * ny !== expectedPixels) {
    throw corrupt(`tile is ${nx} × ${ny}, expected ${expectedPixels} pixels`);
  }
  // 64-bit sum, big-endian, signed.
  const hi = readInt32(bytes, 14);
  const lo = readInt32(bytes, 18) >>> 0;
  const sum = hi * 4294967296 + lo;
  const planes = [bytes[22], bytes[23], bytes[24]];
  if (planes.some((p) => p > 52)) throw corrupt(`bit-plane count ${Math.max(...planes)} out of range`);

  const a = new Float64Array(nx * ny);
  const r = new BitReader(bytes, 25);
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  const scratch = new Int32Array(nx2 * ny2 + 1);
  // Quadrants: averages and x/y/diagonal differences after the transform's shuffling.
  decodeQuadrant(r, a, 0, ny, nx2, ny2, planes[0], scratch);
  decodeQuadrant(r, a, ny2, ny, nx2, ny >> 1, planes[1], scratch);
  decodeQuadrant(r, a, ny * nx2, ny, nx >> 1, ny2, planes[1], scratch);
  decodeQuadrant(r, a, ny * nx2 + ny2, ny, nx >> 1, ny >> 1, planes[2], scratch);
  if (r.nybble() !== 0) throw corrupt('missing end-of-planes code');
  r.align();
  for (let i = 0; i < a.length; i++) if (a[i] !== 0 && r.bit() !== 0) a[i] = -a[i];
  a[0] = sum;
  if (scale > 1) for (let i = 0; i < a.length; i++) a[i] *= scale;
  inverseH(a, nx, ny, smooth, scale);
  return { nx, ny, scale, data: a };
}

/** Decode the bit planes of one nqx × nqy quadrant of `a` (row stride `n`, origin `base`). */
function decodeQuadrant(r: BitReader, a: Float64Array, base: number, n: number, nqx: number, nqy: number, nPlanes: number, s: Int32Array): void {
  const log2n = ceilLog2(Math.max(nqx, nqy));
  const codes = ((nqx + 1) >> 1) * ((nqy + 1) >> 1);
  for (let bit = nPlanes - 1; bit >= 0; bit--) {
    const how = r.nybble();
    if (how === 0) {
      // Plane written directly, four pixels per nybble.
      for (let i = 0; i < codes; i++) s[i] = r.nybble();
    } else if (how === 0xf) {
      // Quadtree: one code for the whole plane, each non-zero code refined 2×2 per level.
      s[0] = r.huffman();
      let nx = 1;
      let ny = 1;
      let restX = nqx;
      let restY = nqy;
      let c = 1 << log2n;
      for (let k = 1; k < log2n; k++) {
        // Level sizes follow n[k−1] = ⌈n[k]/2⌉ down from the quadrant size.
        c >>= 1;
        nx <<= 1;
        ny <<= 1;
        if (restX <= c) nx -= 1;
        else restX -= c;
        if (restY <= c) ny -= 1;
        else restY -= c;
        expandLevel(r, s, nx, ny);
      }
    } else {
      throw corrupt(`bad bit-plane code ${how}`);
    }
    insertPlane(s, nqx, nqy, a, base, n, 2 ** bit);
  }
}

/**
 * Expand the previous level (⌈nx/2⌉ × ⌈ny/2⌉ codes) in place to nx × ny one-bit flags,
 * then read a new code for each set flag, last first (the encoder wrote them reversed).
 */
function expandLevel(r: BitReader, s: Int32Array, nx: number, ny: number): void {
  const nx2 = (nx + 1) >> 1;
  const ny2 = (ny + 1) >> 1;
  // Spread code (i, j) to (2i, 2j), from the end so nothing is overwritten before it is read.
  for (let i = nx2 - 1; i >= 0; i--) {
    for (let j = ny2 - 1; j >= 0; j--) s[2 * (ny * i + j)] = s[ny2 * i + j];
  }
  // Each code's four bits become the 2×2 block: bit 3 → (0,0), 2 → (0,1), 1 → (1,0), 0 → (1,1).
  for (let i = 0; i < nx; i += 2) {
    const s00 = ny * i;
    const s10 = s00 + ny;
    const lastRow = i + 1 >= nx;
    for (let j = 0; j < ny; j += 2) {
      const v = s[s00 + j];
      const lastCol = j + 1 >= ny;
      if (!lastRow && !lastCol) s[s10 + j + 1] = v & 1;
      if (!lastRow) s[s10 + j] = (v >> 1) & 1;
      if (!lastCol) s[s00 + j + 1] = (v >> 2) & 1;
      s[s00 + j] = (v >> 3) & 1;
    }
  }
  for (let i = nx * ny - 1; i >= 0; i--) if (s[i] !== 0) s[i] = r.huffman();
}

/** OR the 2×2 bit blocks of codes `s` (⌈nx/2⌉ × ⌈ny/2⌉) into plane `plane` of `a`. */
function insertPlane(s: Int32Array, nx: number, ny: number, a: Float64Array, base: number, n: number, plane: number): void {
  let k = 0;
  for (let i = 0; i < nx; i += 2) {
    const s00 = base + n * i;
    const s10 = s00 + n;
    const lastRow = i + 1 >= nx;
    for (let j = 0; j < ny; j += 2) {
      const v = s[k++];
      if (v === 0) continue;
      const lastCol = j + 1 >= ny;
      if (v & 8) a[s00 + j] += plane;
      if (v & 4 && !lastCol) a[s00 + j + 1] += plane;
      if (v & 2 && !lastRow) a[s10 + j] += plane;
      if (v & 1 && !lastRow && !lastCol) a[s10 + j + 1] += plane;
    }
  }
}

/** x rounded to a multiple of `step` (a power of two): up by `up` when x ≥ 0, by `down` otherwise, then floored. */
function roundTo(x: number, step: number, up: number, down: number): number {
  return Math.floor((x + (x >= 0 ? up : down)) / step) * step;
}

/** Bit `b` (a power of two) of the two's-complement integer x, as 0 or b. */
function bitOf(x: number, b: number): number {
  return (Math.floor(x / b) & 1) * b;
}

/**
 * Inverse H-transform, in place. Level by level from the coarsest: un-shuffle the
 * coefficients, optionally smooth, then turn each (h0, hx, hy, hc) group back into a 2×2
 * block of pixels. The encoder divided by 2 at each level (4 at the first), so before
 * inverting, each coefficient is rounded to the multiple of the power of two it had and
 * the low bits the division dropped are recovered from the parity of the others.
 */
function inverseH(a: Float64Array, nx: number, ny: number, smooth: boolean, scale: number): void {
  const nmax = Math.max(nx, ny);
  const log2n = ceilLog2(nmax);
  const tmp = new Float64Array((nmax + 1) >> 1);

  if (log2n === 0) return; // a single pixel: the sum is the pixel
  // Rounding steps of the current level: hc is a multiple of bit0, hx and hy of bit1,
  // h0 of bit2; prnd/nrnd are the offsets that round to nearest for x ≥ 0 / x < 0.
  let bit0 = 2 ** (log2n - 1);
  let bit1 = bit0 * 2;
  const bit2 = bit0 * 4;
  let prnd0 = Math.floor(bit0 / 2);
  let prnd1 = bit1 / 2;
  const prnd2 = bit2 / 2;
  let nrnd0 = prnd0 - 1;
  let nrnd1 = prnd1 - 1;
  const nrnd2 = prnd2 - 1;

  a[0] = roundTo(a[0], bit2, prnd2, nrnd2);

  let nxTop = 1;
  let nyTop = 1;
  let restX = nx;
  let restY = ny;
  let c = 1 << log2n;
  for (let k = log2n - 1; k >= 0; k--) {
    c >>= 1;
    nxTop <<= 1;
    nyTop <<= 1;
    if (restX <= c) nxTop -= 1;
    else restX -= c;
    if (restY <= c) nyTop -= 1;
    else restY -= c;
    // The last level divides by 4 and has no half-unit to round with.
    if (k === 0) nrnd0 = 0;
    const div = k === 0 ? 4 : 2;

    for (let i = 0; i < nxTop; i++) unshuffle(a, ny * i, nyTop, 1, tmp);
    for (let j = 0; j < nyTop; j++) unshuffle(a, j, nxTop, ny, tmp);
    if (smooth) smoothLevel(a, nxTop, nyTop, ny, scale);

    const oddX = nxTop % 2;
    const oddY = nyTop % 2;
    let i = 0;
    for (; i < nxTop - oddX; i += 2) {
      let s00 = ny * i;
      let s10 = s00 + ny;
      for (let j = 0; j < nyTop - oddY; j += 2) {
        let h0 = a[s00];
        let hx = roundTo(a[s10], bit1, prnd1, nrnd1);
        let hy = roundTo(a[s00 + 1], bit1, prnd1, nrnd1);
        const hc = roundTo(a[s10 + 1], bit0, prnd0, nrnd0);
        // Bit 0 of hc belongs to hx and hy too.
        const low0 = bitOf(hc, bit0);
        hx = hx >= 0 ? hx - low0 : hx + low0;
        hy = hy >= 0 ? hy - low0 : hy + low0;
        // Bits 0 and 1 of h0 follow from the parities of hc, hx, hy.
        const low1 = bitOf(hc, bit1) ^ bitOf(hx, bit1) ^ bitOf(hy, bit1);
        h0 = h0 >= 0 ? h0 + low0 - low1 : h0 + (low0 === 0 ? low1 : low0 - low1);
        a[s10 + 1] = Math.floor((h0 + hx + hy + hc) / div);
        a[s10] = Math.floor((h0 + hx - hy - hc) / div);
        a[s00 + 1] = Math.floor((h0 - hx + hy - hc) / div);
        a[s00] = Math.floor((h0 - hx - hy + hc) / div);
        s00 += 2;
        s10 += 2;
      }
      if (oddY) {
        // Last element of an odd-length row: only h0 and hx.
        let h0 = a[s00];
        const hx = roundTo(a[s10], bit1, prnd1, nrnd1);
        const low1 = bitOf(hx, bit1);
        h0 = h0 >= 0 ? h0 - low1 : h0 + low1;
        a[s10] = Math.floor((h0 + hx) / div);
        a[s00] = Math.floor((h0 - hx) / div);
      }
    }
    if (oddX) {
      // Last row of an odd number of rows: only h0 and hy.
      let s00 = ny * i;
      for (let j = 0; j < nyTop - oddY; j += 2) {
        let h0 = a[s00];
        const hy = roundTo(a[s00 + 1], bit1, prnd1, nrnd1);
        const low1 = bitOf(hy, bit1);
        h0 = h0 >= 0 ? h0 - low1 : h0 + low1;
        a[s00 + 1] = Math.floor((h0 + hy) / div);
        a[s00] = Math.floor((h0 - hy) / div);
        s00 += 2;
      }
      if (oddY) a[s00] = Math.floor(a[s00] / div);
    }

    bit1 = bit0;
    bit0 = bit0 / 2;
    prnd1 = prnd0;
    prnd0 = Math.floor(prnd0 / 2);
    nrnd1 = nrnd0;
    nrnd0 = prnd0 - 1;
  }
}

/** In a[base + stride·i], i < n: move the first ⌈n/2⌉ values to even places, the rest to odd. */
function unshuffle(a: Float64Array, base: number, n: number, stride: number, tmp: Float64Array): void {
  const half = (n + 1) >> 1;
  for (let i = half; i < n; i++) tmp[i - half] = a[base + stride * i];
  for (let i = half - 1; i >= 0; i--) a[base + stride * 2 * i] = a[base + stride * i];
  for (let i = 1, t = 0; i < n; i += 2, t++) a[base + stride * i] = tmp[t];
}

/**
 * Optional smoothing of a lossy tile (White 1992 §4): each difference coefficient is moved
 * toward the slope (or curvature) that would match the neighbouring averages, within
 * monotonicity limits and by at most half the quantization step.
 */
function smoothLevel(a: Float64Array, nxTop: number, nyTop: number, ny: number, scale: number): void {
  const smax = scale >> 1;
  if (smax <= 0) return;
  const ny2 = ny * 2;
  const clamp = (v: number): number => Math.max(Math.min(v, smax), -smax);
  // x differences hx.
  for (let i = 2; i < nxTop - 2; i += 2) {
    let s00 = ny * i;
    let s10 = s00 + ny;
    for (let j = 0; j < nyTop; j += 2) {
      const hm = a[s00 - ny2];
      const h0 = a[s00];
      const hp = a[s00 + ny2];
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        const diff = Math.max(Math.min(hp - hm, dmax), dmin);
        const s = diff - a[s10] * 8;
        a[s10] += clamp(s >= 0 ? Math.floor(s / 8) : Math.floor((s + 7) / 8));
      }
      s00 += 2;
      s10 += 2;
    }
  }
  // y differences hy.
  for (let i = 0; i < nxTop; i += 2) {
    let s00 = ny * i + 2;
    for (let j = 2; j < nyTop - 2; j += 2) {
      const hm = a[s00 - 2];
      const h0 = a[s00];
      const hp = a[s00 + 2];
      const dmax = Math.max(Math.min(hp - h0, h0 - hm), 0) * 4;
      const dmin = Math.min(Math.max(hp - h0, h0 - hm), 0) * 4;
      if (dmin < dmax) {
        const diff = Math.max(Math.min(hp - hm, dmax), dmin);
        const s = diff - a[s00 + 1] * 8;
        a[s00 + 1] += clamp(s >= 0 ? Math.floor(s / 8) : Math.floor((s + 7) / 8));
      }
      s00 += 2;
    }
  }
  // Diagonal differences hc.
  for (let i = 2; i < nxTop - 2; i += 2) {
    let s00 = ny * i + 2;
    let s10 = s00 + ny;
    for (let j = 2; j < nyTop - 2; j += 2) {
      const hmm = a[s00 - ny2 - 2];
      const hpm = a[s00 + ny2 - 2];
      const hmp = a[s00 - ny2 + 2];
      const hpp = a[s00 + ny2 + 2];
      const h0 = a[s00];
      const hx2 = a[s10] * 2;
      const hy2 = a[s00 + 1] * 2;
      let m1 = Math.min(Math.max(hpp - h0, 0) - hx2 - hy2, Math.max(h0 - hpm, 0) + hx2 - hy2);
      let m2 = Math.min(Math.max(h0 - hmp, 0) - hx2 + hy2, Math.max(hmm - h0, 0) + hx2 + hy2);
      const dmax = Math.min(m1, m2) * 16;
      m1 = Math.max(Math.min(hpp - h0, 0) - hx2 - hy2, Math.min(h0 - hpm, 0) + hx2 - hy2);
      m2 = Math.max(Math.min(h0 - hmp, 0) - hx2 + hy2, Math.min(hmm - h0, 0) + hx2 + hy2);
      const dmin = Math.max(m1, m2) * 16;
      if (dmin < dmax) {
        const diff = Math.max(Math.min(hpp + hmm - hmp - hpm, dmax), dmin);
        const s = diff - a[s10 + 1] * 64;
        a[s10 + 1] += clamp(s >= 0 ? Math.floor(s / 64) : Math.floor((s + 63) / 64));
      }
      s00 += 2;
      s10 += 2;
    }
  }
}
