/**
 * Image data units: big-endian FITS pixels ↔ typed arrays (FITS Standard 4.0, §5 and §4.4.2.5).
 *
 * Physical value = BZERO + BSCALE × stored value. The unsigned conventions (BZERO = 2^(n−1)
 * with BSCALE = 1, and BZERO = −128 for signed bytes) map to the matching typed array
 * without going through floating point; any other scaling gives floats with BLANK → NaN.
 * Byte order is swapped in bulk on a copy, never with per-pixel DataView calls.
 */
import { FitsError, type FitsLocation } from './errors.js';
import type { Header } from './header.js';
import { checkedProduct, isRandomGroups, VALID_BITPIX } from './hdu.js';

export type PixelArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

export type Bitpix = 8 | 16 | 32 | 64 | -32 | -64;

export interface FitsImage {
  bitpix: Bitpix;
  /** NAXIS1..NAXISn (NAXIS1 varies fastest). */
  axes: number[];
  /** NAXIS1 (0 for an empty image). */
  width: number;
  /** NAXIS2, or 1 for a 1-D image (0 for an empty one). */
  height: number;
  /** Row-major pixels: physical values, or stored values when read with `raw`. */
  data: PixelArray;
  bscale: number;
  bzero: number;
  /** The header's BLANK (a stored value), if any. In float output those pixels are NaN. */
  blank?: number | bigint;
}

const TWO_POW_63 = 2 ** 63;

/** Stored-value range of each integer BITPIX. */
const INT_RANGE: Record<8 | 16 | 32 | 64, [number, number]> = {
  8: [0, 255],
  16: [-32768, 32767],
  32: [-2147483648, 2147483647],
  64: [-TWO_POW_63, TWO_POW_63],
};

/** The BZERO that makes each integer BITPIX the unsigned (or, for 8, signed) twin. */
const OFFSET_BZERO: Record<8 | 16 | 32 | 64, number> = { 8: -128, 16: 32768, 32: 2147483648, 64: TWO_POW_63 };

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------
// Bulk byte swapping (in place, on buffers we own). No-ops on big-endian hosts.
// `flip` toggles the sign bit of each value on the native side of the swap: after it when
// reading (big-endian → native), before it when writing (native → big-endian).

function swap16(buf: ArrayBuffer, n: number, flip: boolean, toNative: boolean): void {
  const u = new Uint16Array(buf, 0, n);
  const pre = flip && !toNative ? 0x8000 : 0;
  const post = flip && toNative ? 0x8000 : 0;
  if (!LITTLE_ENDIAN_HOST) {
    if (flip) for (let i = 0; i < n; i++) u[i] ^= 0x8000;
    return;
  }
  for (let i = 0; i < n; i++) {
    const x = u[i] ^ pre;
    u[i] = ((x << 8) | (x >>> 8)) ^ post;
  }
}

function swap32(buf: ArrayBuffer, n: number, flip: boolean, toNative: boolean): void {
  const u = new Uint32Array(buf, 0, n);
  const pre = flip && !toNative ? 0x80000000 : 0;
  const post = flip && toNative ? 0x80000000 : 0;
  if (!LITTLE_ENDIAN_HOST) {
    if (flip) for (let i = 0; i < n; i++) u[i] ^= 0x80000000;
    return;
  }
  for (let i = 0; i < n; i++) {
    const x = u[i] ^ pre;
    u[i] = ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) ^ post;
  }
}

function swap64(buf: ArrayBuffer, n: number, flip: boolean, toNative: boolean): void {
  const u = new Uint32Array(buf, 0, 2 * n);
  if (!LITTLE_ENDIAN_HOST) {
    if (flip) for (let i = 0; i < 2 * n; i += 2) u[i] ^= 0x80000000;
    return;
  }
  // Native (little-endian) high word is u[i + 1]; flip it there.
  const pre = flip && !toNative ? 0x80000000 : 0;
  const post = flip && toNative ? 0x80000000 : 0;
  for (let i = 0; i < 2 * n; i += 2) {
    const a = u[i];
    const b = u[i + 1] ^ pre;
    u[i] = (b << 24) | ((b & 0xff00) << 8) | ((b >>> 8) & 0xff00) | (b >>> 24);
    u[i + 1] = ((a << 24) | ((a & 0xff00) << 8) | ((a >>> 8) & 0xff00) | (a >>> 24)) ^ post;
  }
}

/** Node's Buffer swaps natively, several times faster than a JS loop; elsewhere the loops above serve. */
interface Swappable {
  swap16(): unknown;
  swap32(): unknown;
  swap64(): unknown;
}
const NodeBuffer = (globalThis as { Buffer?: { from(ab: ArrayBuffer, offset: number, length: number): Swappable } }).Buffer;

/** Toggle the sign bit of n native-order values of bpp bytes. */
function flipSigns(buf: ArrayBuffer, n: number, bpp: number): void {
  if (bpp === 2) {
    const pairs = n >> 1;
    const u = new Uint32Array(buf, 0, pairs);
    for (let i = 0; i < pairs; i++) u[i] ^= 0x80008000;
    if (n & 1) new Uint16Array(buf, 0, n)[n - 1] ^= 0x8000;
  } else if (bpp === 4) {
    const u = new Uint32Array(buf, 0, n);
    for (let i = 0; i < n; i++) u[i] ^= 0x80000000;
  } else {
    const u = new Uint32Array(buf, 0, 2 * n);
    for (let i = 1; i < 2 * n; i += 2) u[i] ^= 0x80000000;
  }
}

function swapInPlace(buf: ArrayBuffer, n: number, bpp: number, flip: boolean, toNative: boolean): void {
  if (bpp === 1) {
    if (flip) {
      const u = new Uint8Array(buf, 0, n);
      for (let i = 0; i < n; i++) u[i] ^= 0x80;
    }
    return;
  }
  if (LITTLE_ENDIAN_HOST && NodeBuffer && n > 64) {
    if (flip && !toNative) flipSigns(buf, n, bpp);
    const b = NodeBuffer.from(buf, 0, n * bpp);
    if (bpp === 2) b.swap16();
    else if (bpp === 4) b.swap32();
    else b.swap64();
    if (flip && toNative) flipSigns(buf, n, bpp);
    return;
  }
  if (bpp === 2) swap16(buf, n, flip, toNative);
  else if (bpp === 4) swap32(buf, n, flip, toNative);
  else swap64(buf, n, flip, toNative);
}

/** Copy `n` big-endian values of `bpp` bytes into a fresh native-order buffer. */
function nativeCopy(bytes: Uint8Array, n: number, bpp: number, flipSign = false): ArrayBuffer {
  const buf = new ArrayBuffer(n * bpp);
  new Uint8Array(buf).set(bytes.subarray(0, n * bpp));
  swapInPlace(buf, n, bpp, flipSign, true);
  return buf;
}

/** Big-endian bytes of a native typed array (a fresh copy). */
function bigEndianCopy(data: PixelArray, flipSign = false): Uint8Array {
  const bpp = data.BYTES_PER_ELEMENT;
  const n = data.length;
  const out = new Uint8Array(n * bpp);
  out.set(new Uint8Array(data.buffer, data.byteOffset, n * bpp));
  swapInPlace(out.buffer, n, bpp, flipSign, false);
  return out;
}

function storedArray(bitpix: Bitpix, buf: ArrayBuffer, n: number): PixelArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(buf, 0, n);
    case 16:
      return new Int16Array(buf, 0, n);
    case 32:
      return new Int32Array(buf, 0, n);
    case 64:
      return new BigInt64Array(buf, 0, n);
    case -32:
      return new Float32Array(buf, 0, n);
    case -64:
      return new Float64Array(buf, 0, n);
  }
}

// ---------------------------------------------------------------------------------------
// Decoding

export interface ImageKeywords {
  bitpix: Bitpix;
  axes: number[];
  bscale: number;
  bzero: number;
  blank?: number | bigint;
}

/** BITPIX, NAXISn, BSCALE, BZERO and BLANK of an image header, validated. */
export function imageKeywords(header: Header, hdu?: number): ImageKeywords {
  const loc: FitsLocation = { hdu };
  if (isRandomGroups(header)) {
    throw new FitsError('UNSUPPORTED', 'random-groups data (GROUPS = T) cannot be read as an image', { ...loc, keyword: 'GROUPS' });
  }
  const bitpix = header.requireInt('BITPIX', loc);
  if (!VALID_BITPIX.has(bitpix)) {
    throw new FitsError('BAD_VALUE', `illegal BITPIX ${bitpix} (allowed: 8, 16, 32, 64, -32, -64)`, {
      ...loc,
      keyword: 'BITPIX',
      card: header.indexOf('BITPIX') + 1,
    });
  }
  const naxis = header.requireInt('NAXIS', loc);
  if (naxis < 0 || naxis > 999) {
    throw new FitsError('BAD_VALUE', `NAXIS = ${naxis} is out of range 0..999`, { ...loc, keyword: 'NAXIS' });
  }
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const a = header.requireInt(`NAXIS${i}`, loc);
    if (a < 0) throw new FitsError('BAD_VALUE', `NAXIS${i} = ${a} is negative`, { ...loc, keyword: `NAXIS${i}` });
    axes.push(a);
  }
  const bscale = header.getNumber('BSCALE', loc) ?? 1;
  const bzero = header.getNumber('BZERO', loc) ?? 0;
  if (!Number.isFinite(bscale) || bscale === 0 || !Number.isFinite(bzero)) {
    throw new FitsError('BAD_VALUE', `unusable scaling BSCALE = ${bscale}, BZERO = ${bzero}`, { ...loc, keyword: 'BSCALE' });
  }
  const out: ImageKeywords = { bitpix: bitpix as Bitpix, axes, bscale, bzero };
  const rawBlank = header.get('BLANK');
  if (rawBlank !== undefined && rawBlank !== null && bitpix > 0) {
    if (typeof rawBlank === 'bigint') out.blank = bitpix === 64 ? rawBlank : Number(rawBlank);
    else if (typeof rawBlank === 'number' && Number.isInteger(rawBlank)) out.blank = bitpix === 64 ? BigInt(rawBlank) : rawBlank;
    else {
      throw new FitsError('BAD_VALUE', 'BLANK must be an integer', { ...loc, keyword: 'BLANK', card: header.indexOf('BLANK') + 1 });
    }
  }
  return out;
}

function dims(axes: number[]): { width: number; height: number } {
  if (axes.length === 0) return { width: 0, height: 0 };
  return { width: axes[0], height: axes.length >= 2 ? axes[1] : 1 };
}

/**
 * Decode an image data unit. `bytes` is the big-endian data unit, or with `opts.axes` a
 * window of it (e.g. whole rows: axes = [NAXIS1, rows]). Extra trailing bytes (padding) are
 * ignored; too few is SIZE_MISMATCH.
 */
export function decodeImage(
  header: Header,
  bytes: Uint8Array,
  opts: { raw?: boolean; hdu?: number; axes?: number[] } = {},
): FitsImage {
  const kw = imageKeywords(header, opts.hdu);
  const loc: FitsLocation = { hdu: opts.hdu };
  const axes = opts.axes ? [...opts.axes] : kw.axes;
  for (const a of axes) {
    if (!Number.isSafeInteger(a) || a < 0) throw new FitsError('BAD_ARGUMENT', `invalid axis length ${a}`, loc);
  }
  const bpp = Math.abs(kw.bitpix) / 8;
  const n = axes.length === 0 ? 0 : checkedProduct(axes, loc, 'image');
  checkedProduct([n, bpp], loc, 'image');
  if (bytes.length < n * bpp) {
    throw new FitsError('SIZE_MISMATCH', `image needs ${n * bpp} bytes (${axes.join(' × ')} × ${bpp}), only ${bytes.length} present`, loc);
  }
  const { bitpix, bscale, bzero, blank } = kw;
  const base = { bitpix, axes, ...dims(axes), bscale, bzero, ...(blank !== undefined ? { blank } : {}) };

  if (opts.raw || (bscale === 1 && bzero === 0)) return { ...base, data: storedArray(bitpix, nativeCopy(bytes, n, bpp), n) };
  if (bitpix > 0 && bscale === 1 && bzero === OFFSET_BZERO[bitpix as 8 | 16 | 32 | 64]) {
    const buf = nativeCopy(bytes, n, bpp, true);
    const data =
      bitpix === 8
        ? new Int8Array(buf, 0, n)
        : bitpix === 16
          ? new Uint16Array(buf, 0, n)
          : bitpix === 32
            ? new Uint32Array(buf, 0, n)
            : new BigUint64Array(buf, 0, n);
    return { ...base, data };
  }
  // General scaling: floats, BLANK → NaN.
  const stored = storedArray(bitpix, nativeCopy(bytes, n, bpp), n);
  const out = bitpix === 8 || bitpix === 16 || bitpix === -32 ? new Float32Array(n) : new Float64Array(n);
  if (stored instanceof BigInt64Array) {
    const b = blank as bigint | undefined;
    for (let i = 0; i < n; i++) {
      const v = stored[i];
      out[i] = v === b ? NaN : bzero + bscale * Number(v);
    }
  } else {
    const s = stored as Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;
    if (blank === undefined || bitpix < 0) {
      for (let i = 0; i < n; i++) out[i] = bzero + bscale * s[i];
    } else {
      const b = Number(blank);
      for (let i = 0; i < n; i++) {
        const v = s[i];
        out[i] = v === b ? NaN : bzero + bscale * v;
      }
    }
  }
  return { ...base, data: out };
}

// ---------------------------------------------------------------------------------------
// Encoding

interface Natural {
  bitpix: Bitpix;
  bzero: number;
}

/** The BITPIX/BZERO each typed array is written with by default. */
export function naturalEncoding(data: PixelArray): Natural {
  if (data instanceof Uint8Array) return { bitpix: 8, bzero: 0 };
  if (data instanceof Int8Array) return { bitpix: 8, bzero: -128 };
  if (data instanceof Int16Array) return { bitpix: 16, bzero: 0 };
  if (data instanceof Uint16Array) return { bitpix: 16, bzero: 32768 };
  if (data instanceof Int32Array) return { bitpix: 32, bzero: 0 };
  if (data instanceof Uint32Array) return { bitpix: 32, bzero: 2147483648 };
  if (data instanceof BigInt64Array) return { bitpix: 64, bzero: 0 };
  if (data instanceof BigUint64Array) return { bitpix: 64, bzero: TWO_POW_63 };
  if (data instanceof Float32Array) return { bitpix: -32, bzero: 0 };
  if (data instanceof Float64Array) return { bitpix: -64, bzero: 0 };
  throw new FitsError('BAD_ARGUMENT', 'image data must be a typed array');
}

/** True when `data` already has the stored type of `bitpix` (Uint8Array for 8, Int16Array for 16, ...). */
function isStoredType(data: PixelArray, bitpix: Bitpix): boolean {
  switch (bitpix) {
    case 8:
      return data instanceof Uint8Array;
    case 16:
      return data instanceof Int16Array;
    case 32:
      return data instanceof Int32Array;
    case 64:
      return data instanceof BigInt64Array;
    case -32:
      return data instanceof Float32Array;
    case -64:
      return data instanceof Float64Array;
  }
}

export interface EncodedImage {
  bitpix: Bitpix;
  bscale: number;
  bzero: number;
  /** BLANK to write (integer BITPIX only). */
  blank?: number;
  /** Big-endian data unit, unpadded. */
  bytes: Uint8Array;
}

/**
 * Encode pixels as a big-endian data unit.
 *
 * - `data` of the stored type of the chosen BITPIX (Uint8Array for 8, Int16Array for 16,
 *   Int32Array for 32, BigInt64Array for 64, Float32Array for −32, Float64Array for −64) is
 *   written verbatim; BSCALE/BZERO only describe it. This is what `readImage(…, {raw})` gives.
 * - Any other array holds physical values: stored = (value − BZERO) / BSCALE, rounded for
 *   integer BITPIX (out of range → BAD_ARGUMENT; NaN → `blank`, which must then be given).
 * - Without options each array type picks its own encoding (Uint16Array → BITPIX 16 with
 *   BZERO 32768, Int8Array → BITPIX 8 with BZERO −128, ...).
 */
export function encodeImage(
  data: PixelArray,
  axes: number[],
  opts: { bitpix?: Bitpix; bscale?: number; bzero?: number; blank?: number } = {},
): EncodedImage {
  for (const a of axes) {
    if (!Number.isSafeInteger(a) || a < 0) throw new FitsError('BAD_ARGUMENT', `invalid axis length ${a}`);
  }
  if (axes.length > 999) throw new FitsError('BAD_ARGUMENT', `too many axes (${axes.length} > 999)`);
  const n = axes.length === 0 ? 0 : checkedProduct(axes, {}, 'image');
  if (n !== data.length) {
    throw new FitsError('BAD_ARGUMENT', `axes ${axes.join(' × ')} = ${n} pixels but data has ${data.length}`);
  }
  const natural = naturalEncoding(data);
  const bitpix = opts.bitpix ?? natural.bitpix;
  if (!VALID_BITPIX.has(bitpix)) throw new FitsError('BAD_ARGUMENT', `illegal BITPIX ${bitpix}`);
  const sameFamily = bitpix === natural.bitpix;
  const bscale = opts.bscale ?? 1;
  const bzero = opts.bzero ?? (sameFamily ? natural.bzero : 0);
  if (!Number.isFinite(bscale) || bscale === 0 || !Number.isFinite(bzero)) {
    throw new FitsError('BAD_ARGUMENT', `unusable scaling BSCALE = ${bscale}, BZERO = ${bzero}`);
  }
  const blank = opts.blank;
  if (blank !== undefined) {
    if (bitpix < 0) throw new FitsError('BAD_ARGUMENT', 'BLANK is only for integer BITPIX (floats use NaN)');
    const [lo, hi] = INT_RANGE[bitpix as 8 | 16 | 32 | 64];
    if (!Number.isInteger(blank) || blank < lo || blank > hi) {
      throw new FitsError('BAD_ARGUMENT', `BLANK ${blank} is not a stored value of BITPIX ${bitpix}`);
    }
  }
  const result = (bytes: Uint8Array): EncodedImage => ({ bitpix, bscale, bzero, ...(blank !== undefined ? { blank } : {}), bytes });

  if (isStoredType(data, bitpix)) return result(bigEndianCopy(data));
  if (sameFamily && bscale === 1 && bzero === natural.bzero) return result(bigEndianCopy(data, true));

  // General conversion from physical values.
  const stored = storedArray(bitpix, new ArrayBuffer(n * (Math.abs(bitpix) / 8)), n);
  if (bitpix < 0) {
    const out = stored as Float32Array | Float64Array;
    for (let i = 0; i < n; i++) out[i] = (Number(data[i]) - bzero) / bscale;
  } else {
    const [lo, hi] = INT_RANGE[bitpix as 8 | 16 | 32 | 64];
    const big = stored instanceof BigInt64Array ? stored : undefined;
    const small = big ? undefined : (stored as Uint8Array | Int16Array | Int32Array);
    for (let i = 0; i < n; i++) {
      const v = Number(data[i]);
      let s: number;
      if (Number.isNaN(v)) {
        if (blank === undefined) {
          throw new FitsError('BAD_ARGUMENT', `pixel ${i} is NaN: give a BLANK value to write NaN with BITPIX ${bitpix}`);
        }
        s = blank;
      } else {
        s = Math.round((v - bzero) / bscale);
        // 2^63 itself is out of range for 64-bit.
        if (!(s >= lo && (bitpix === 64 ? s < hi : s <= hi))) {
          throw new FitsError('BAD_ARGUMENT', `pixel ${i} = ${v} does not fit BITPIX ${bitpix} with BSCALE ${bscale}, BZERO ${bzero}`);
        }
      }
      if (big) big[i] = BigInt(s);
      else small![i] = s;
    }
  }
  return result(bigEndianCopy(stored));
}
