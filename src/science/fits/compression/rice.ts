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
  // Bit writer: `acc` holds `nb` (< 8) pending bits in its low end between writes.
  let acc = 0;
  let nb = 0;

  // First pixel, raw.
  let last = (src[start] << ext) >> ext;
  {
    const v = last & valueMask;
    if (bBits === 32) {
      out[p++] = v >>> 24;
      out[p++] = (v >>> 16) & 0xff;
      out[p++] = (v >>> 8) & 0xff;
      out[p++] = v & 0xff;
    } else if (bBits === 16) {
      out[p++] = v >>> 8;
      out[p++] = v & 0xff;
    } else {
      out[p++] = v;
    }
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

    if (fs >= fsMax) {
      // High entropy: code FSMAX + 1, then raw values.
      acc = (acc << fsBits) | (fsMax + 1);
      nb += fsBits;
      while (nb >= 8) {
        nb -= 8;
        out[p++] = (acc >>> nb) & 0xff;
      }
      for (let j = 0; j < n; j++) {
        const u = scratch[j];
        if (bBits > 24) {
          // Two halves keep every write within the 32-bit accumulator.
          acc = (acc << 16) | (u >>> 16);
          nb += 16;
          while (nb >= 8) {
            nb -= 8;
            out[p++] = (acc >>> nb) & 0xff;
          }
          acc = (acc << 16) | (u & 0xffff);
        } else {
          acc = (acc << bBits) | u;
        }
        nb += bBits > 24 ? 16 : bBits;
        while (nb >= 8) {
          nb -= 8;
          out[p++] = (acc >>> nb) & 0xff;
        }
      }
    } else if (fs === 0 && sum === 0) {
      // Low entropy: all differences zero, only the code.
      acc <<= fsBits;
      nb += fsBits;
      while (nb >= 8) {
        nb -= 8;
        out[p++] = (acc >>> nb) & 0xff;
      }
    } else {
      acc = (acc << fsBits) | (fs + 1);
      nb += fsBits;
      while (nb >= 8) {
        nb -= 8;
        out[p++] = (acc >>> nb) & 0xff;
      }
      const lowMask = (1 << fs) - 1;
      const one = 1 << fs;
      for (let j = 0; j < n; j++) {
        const u = scratch[j];
        let top = u >>> fs;
        const width = top + 1 + fs;
        if (width + nb <= 32) {
          // `top` zero bits, a one bit and the fs low bits, in one write.
          acc = width === 32 ? one | (u & lowMask) : (acc << width) | one | (u & lowMask);
          nb += width;
        } else {
          // Long run of zeros: finish the current byte, emit zero bytes, then the rest.
          const fill = 8 - nb;
          out[p++] = (acc << fill) & 0xff;
          top -= fill;
          while (top >= 8) {
            out[p++] = 0;
            top -= 8;
          }
          acc = one | (u & lowMask);
          nb = top + 1 + fs;
        }
        while (nb >= 8) {
          nb -= 8;
          out[p++] = (acc >>> nb) & 0xff;
        }
      }
    }
  }
  if (nb > 0) out[p++] = (acc << (8 - nb)) & 0xff;
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
        while (avail <= 24) {
          buf |= bytes[p++] << (24 - avail);
          avail += 8;
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
