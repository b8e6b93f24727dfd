/**
 * Rice coding of integer pixel streams (ZCMPTYPE = 'RICE_1'; Rice, Yeh & Miller 1993, as
 * specified for FITS by the tiled-image compression convention, Pence et al. 2013 and
 * FITS Standard 4.0 §10.4.1).
 *
 * Stream layout, bits written most significant first:
 *   - the first pixel, raw, in 8 × BYTEPIX bits;
 *   - then blocks of BLOCKSIZE pixel differences (the last block may be shorter), each
 *     starting with an FSBITS-wide code:
 *       0            every difference in the block is 0 (low-entropy block);
 *       FSMAX + 1    the differences follow raw, 8 × BYTEPIX bits each (high entropy);
 *       fs + 1       each difference d is written as (d >> fs) zero bits, a one bit,
 *                    then the fs low bits of d.
 *   - the stream is padded with zero bits to a whole byte.
 * Differences are taken modulo 2^(8·BYTEPIX) and mapped to unsigned values with the
 * "zig-zag" map 0, -1, 1, -2, … → 0, 1, 2, 3, …
 *
 * The split count fs for a block is the one the published encoder picks: from the mean
 * mapped difference m, fs = number of bits of floor(m') / 2 where
 * m' = (Σd − ⌊n/2⌋ − 1) / n, clamped at 0. Using the same choice makes our output
 * byte-identical to fpack's.
 */
import { FitsError } from '../errors.js';

/** FSBITS, FSMAX and bits per raw value for BYTEPIX = 1, 2, 4. */
interface RiceParams {
  fsBits: number;
  fsMax: number;
  bBits: number;
}

function riceParams(bytePix: number): RiceParams {
  switch (bytePix) {
    case 1:
      return { fsBits: 3, fsMax: 6, bBits: 8 };
    case 2:
      return { fsBits: 4, fsMax: 14, bBits: 16 };
    case 4:
      return { fsBits: 5, fsMax: 25, bBits: 32 };
    default:
      throw new FitsError('UNSUPPORTED', `RICE_1 with BYTEPIX = ${bytePix} (allowed: 1, 2, 4)`);
  }
}

function checkBlockSize(blockSize: number): void {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65536) {
    throw new FitsError('BAD_VALUE', `RICE_1 BLOCKSIZE = ${blockSize} is not a usable block size`);
  }
}

/** Upper bound on the encoded size of `count` pixels: raw values plus one code per block. */
export function riceMaxBytes(count: number, blockSize: number, bytePix: number): number {
  const { fsBits, bBits } = riceParams(bytePix);
  const blocks = Math.ceil(count / blockSize);
  return Math.ceil((bBits * (count + 1) + fsBits * blocks) / 8) + 8;
}

/**
 * Rice-encode pixels. Values are taken modulo 2^(8·bytePix): for bytePix = 2 pass
 * int16 (or uint16) values, for bytePix = 1 bytes, for bytePix = 4 int32.
 */
export function riceEncode(pixels: Int32Array | Int16Array | Uint8Array, blockSize: number, bytePix: number): Uint8Array {
  const src = pixels instanceof Int32Array ? pixels : Int32Array.from(pixels);
  const out = new Uint8Array(riceMaxBytes(src.length, blockSize, bytePix));
  const n = riceEncodeInto(src, 0, src.length, blockSize, bytePix, out, 0, new Uint32Array(blockSize));
  return out.slice(0, n);
}

/**
 * Encode `count` values of `src` starting at `start` into `out` at `outPos`; returns the
 * number of bytes written. `out` must hold riceMaxBytes(count, …) bytes; `scratch` at least
 * `blockSize` entries. No allocation: the tile loop reuses its buffers.
 */
export function riceEncodeInto(
  src: Int32Array,
  start: number,
  count: number,
  blockSize: number,
  bytePix: number,
  out: Uint8Array,
  outPos: number,
  scratch: Uint32Array,
): number {
  checkBlockSize(blockSize);
  const { fsBits, fsMax, bBits } = riceParams(bytePix);
  if (count === 0) return 0;
  // Shift that sign-extends a 32-bit value from bBits bits; the mask keeps bBits bits.
  const ext = 32 - bBits;
  const valueMask = bBits === 32 ? -1 : (1 << bBits) - 1;
  let p = outPos;
  // Bit writer: `buf` holds pending bits left-aligned and `free` (1..32) of its bits are
  // unused; full words go out big-endian. Writing w bits of v (1 ≤ w ≤ 32, v < 2^w) is,
  // inlined below:
  //   if (w < free) { free -= w; buf |= v << free; }
  //   else { over = w − free; buf |= v >>> over; <emit buf>; free = 32 − over; buf = over ? v << free : 0; }
  let buf = 0;
  let free = 32;
  let w = 0;
  let v = 0;
  let over = 0;

  // First pixel, raw.
  let last = (src[start] << ext) >> ext;
  v = last & valueMask;
  w = bBits;
  if (w < free) {
    free -= w;
    buf |= v << free;
  } else {
    over = w - free;
    buf |= v >>> over;
    out[p] = buf >>> 24;
    out[p + 1] = buf >>> 16;
    out[p + 2] = buf >>> 8;
    out[p + 3] = buf;
    p += 4;
    free = 32 - over;
    buf = over === 0 ? 0 : v << free;
  }

  const end = start + count;
  for (let b0 = start; b0 < end; b0 += blockSize) {
    const n = Math.min(blockSize, end - b0);
    // Mapped differences and their sum (a double: 32 × 2^32 overflows an int).
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const next = (src[b0 + j] << ext) >> ext;
      const d = ((next - last) << ext) >> ext;
      const u = ((d << 1) ^ (d >> 31)) & valueMask;
      scratch[j] = u;
      sum += u >>> 0;
      last = next;
    }
    let mean = (sum - (n >> 1) - 1) / n;
    if (mean < 0) mean = 0;
    const half = Math.floor(mean) >>> 1;
    const fs = half === 0 ? 0 : 32 - Math.clz32(half);

    // Block code.
    if (fs >= fsMax) v = fsMax + 1;
    else if (fs === 0 && sum === 0) v = 0;
    else v = fs + 1;
    w = fsBits;
    if (w < free) {
      free -= w;
      buf |= v << free;
    } else {
      over = w - free;
      buf |= v >>> over;
      out[p] = buf >>> 24;
      out[p + 1] = buf >>> 16;
      out[p + 2] = buf >>> 8;
      out[p + 3] = buf;
      p += 4;
      free = 32 - over;
      buf = over === 0 ? 0 : v << free;
    }

    if (fs >= fsMax) {
      // High entropy: the differences raw.
      w = bBits;
      for (let j = 0; j < n; j++) {
        v = scratch[j];
        if (w < free) {
          free -= w;
          buf |= v << free;
        } else {
          over = w - free;
          buf |= v >>> over;
          out[p] = buf >>> 24;
          out[p + 1] = buf >>> 16;
          out[p + 2] = buf >>> 8;
          out[p + 3] = buf;
          p += 4;
          free = 32 - over;
          buf = over === 0 ? 0 : v << free;
        }
      }
    } else if (fs === 0 && sum === 0) {
      // Low entropy: all differences zero, the code says it all.
    } else {
      // Each difference: (u >> fs) zero bits, a one bit, the fs low bits.
      const lowMask = (1 << fs) - 1;
      const one = 1 << fs;
      for (let j = 0; j < n; j++) {
        const u = scratch[j];
        const top = u >>> fs;
        w = top + 1 + fs;
        v = one | (u & lowMask);
        if (w > 32) {
          // A long run of zeros first (outliers): whole words of it, then the rest.
          let z = top;
          while (z >= free) {
            z -= free;
            out[p] = buf >>> 24;
            out[p + 1] = buf >>> 16;
            out[p + 2] = buf >>> 8;
            out[p + 3] = buf;
            p += 4;
            buf = 0;
            free = 32;
          }
          free -= z;
          w = fs + 1;
        }
        if (w < free) {
          free -= w;
          buf |= v << free;
        } else {
          over = w - free;
          buf |= v >>> over;
          out[p] = buf >>> 24;
          out[p + 1] = buf >>> 16;
          out[p + 2] = buf >>> 8;
          out[p + 3] = buf;
          p += 4;
          free = 32 - over;
          buf = over === 0 ? 0 : v << free;
        }
      }
    }
  }
  // The last, partial word: whole bytes, zero-padded.
  for (let used = 32 - free, shift = 24; used > 0; used -= 8, shift -= 8) out[p++] = buf >>> shift;
  return p - outPos;
}

/**
 * Decode `count` pixels. Values come back sign-extended from 8·bytePix bits (so int16
 * tiles come back as -32768..32767, bytes as -128..127: the caller stores them in the
 * tile's own typed array, where the bit pattern is what matters).
 */
export function riceDecode(bytes: Uint8Array, count: number, blockSize: number, bytePix: number, out?: Int32Array): Int32Array {
  const dst = out ?? new Int32Array(count);
  if (dst.length < count) throw new FitsError('BAD_ARGUMENT', `output holds ${dst.length} values, ${count} needed`);
  riceDecodeInto(bytes, count, blockSize, bytePix, dst, 0);
  return dst;
}

/**
 * Decode into `dst` starting at `dstPos`. Throws FitsError('CORRUPT_TILE') on malformed
 * input. The stream is `bytes[0..byteLength)`; when the caller can offer a few readable
 * bytes beyond it (`bytes.length ≥ byteLength + 4`, e.g. a padded copy) the reader never
 * indexes past the end of the array, which keeps the hot loop on V8's fast path.
 */
export function riceDecodeInto(
  bytes: Uint8Array,
  count: number,
  blockSize: number,
  bytePix: number,
  dst: Int32Array,
  dstPos: number,
  byteLength = bytes.length,
): void {
  checkBlockSize(blockSize);
  const { fsBits, fsMax, bBits } = riceParams(bytePix);
  if (count === 0) return;
  const len = Math.min(byteLength, bytes.length);
  const firstBytes = bBits >> 3;
  if (len < firstBytes) throw new FitsError('CORRUPT_TILE', `RICE_1 stream of ${len} bytes is too short`);
  const ext = 32 - bBits;
  let p = 0;
  let last = 0;
  for (let i = 0; i < firstBytes; i++) last = (last << 8) | bytes[p++];
  last = (last << ext) >> ext;

  // Bit reader: `buf` holds `avail` unread bits left-aligned (the rest are zero), refilled
  // a byte at a time to more than 24 bits. Reading past the end yields zero bits (typed
  // arrays read undefined → 0 in integer ops); the position is checked after each block so
  // a truncated stream is reported, never looped on.
  let buf = 0;
  let avail = 0;
  const end = dstPos + count;
  for (let b0 = dstPos; b0 < end; b0 += blockSize) {
    const n = Math.min(blockSize, end - b0);
    const bEnd = b0 + n;
    while (avail <= 24) {
      buf |= bytes[p++] << (24 - avail);
      avail += 8;
    }
    const fs = (buf >>> (32 - fsBits)) - 1;
    buf <<= fsBits;
    avail -= fsBits;
    if (fs < 0) {
      for (let i = b0; i < bEnd; i++) dst[i] = last;
    } else if (fs === fsMax) {
      for (let i = b0; i < bEnd; i++) {
        while (avail <= 24) {
          buf |= bytes[p++] << (24 - avail);
          avail += 8;
        }
        let u: number;
        if (bBits === 32) {
          const hi = buf >>> 16;
          buf <<= 16;
          avail -= 16;
          while (avail <= 24) {
            buf |= bytes[p++] << (24 - avail);
            avail += 8;
          }
          u = (hi << 16) | (buf >>> 16);
          buf <<= 16;
          avail -= 16;
        } else {
          u = buf >>> (32 - bBits);
          buf <<= bBits;
          avail -= bBits;
        }
        const d = (u >>> 1) ^ -(u & 1);
        last = ((last + d) << ext) >> ext;
        dst[i] = last;
      }
    } else if (fs < fsMax) {
      const lowShift = 31 - fs;
      for (let i = b0; i < bEnd; i++) {
        // Two bytes at a time keep the buffer above 16 bits: enough for the usual
        // code (a few zeros, the one, fs low bits) without a refill per pixel.
        if (avail <= 16) {
          buf |= ((bytes[p] << 8) | bytes[p + 1]) << (16 - avail);
          p += 2;
          avail += 16;
        }
        let zeros = Math.clz32(buf);
        if (zeros < avail) {
          // Two shifts: zeros + 1 may be 32, which a single JS shift would ignore.
          buf = (buf << zeros) << 1;
          avail -= zeros + 1;
        } else {
          // Run of zeros longer than the buffer: skip whole zero bytes.
          zeros = avail;
          let w = 0;
          for (;;) {
            if (p >= len) throw new FitsError('CORRUPT_TILE', 'RICE_1 stream ends inside a block');
            w = bytes[p++];
            if (w !== 0) break;
            zeros += 8;
          }
          const lead = Math.clz32(w) - 24;
          zeros += lead;
          buf = (w << 24) << (lead + 1);
          avail = 7 - lead;
          while (avail <= 24) {
            buf |= bytes[p++] << (24 - avail);
            avail += 8;
          }
        }
        if (avail < fs) {
          while (avail <= 24) {
            buf |= bytes[p++] << (24 - avail);
            avail += 8;
          }
        }
        // fs low bits (none when fs = 0: the double shift then yields 0).
        const low = (buf >>> 1) >>> lowShift;
        buf <<= fs;
        avail -= fs;
        const u = (zeros << fs) | low;
        const d = (u >>> 1) ^ -(u & 1);
        last = ((last + d) << ext) >> ext;
        dst[i] = last;
      }
    } else {
      throw new FitsError('CORRUPT_TILE', `RICE_1 block code ${fs + 1} is out of range (max ${fsMax + 1})`);
    }
    if (p > len + 4) throw new FitsError('CORRUPT_TILE', `RICE_1 stream of ${len} bytes ends inside block at pixel ${b0 - dstPos}`);
  }
  // The reader runs up to 4 bytes ahead; anything beyond that is missing data.
  if (p - (avail >> 3) > len) throw new FitsError('CORRUPT_TILE', `RICE_1 stream of ${len} bytes is truncated`);
}
