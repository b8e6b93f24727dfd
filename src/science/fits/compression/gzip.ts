/**
 * GZIP_1 and GZIP_2 tiles (FITS Standard 4.0 §10.4.2): the tile's big-endian pixel bytes
 * compressed with gzip (RFC 1952). GZIP_2 first "shuffles" the bytes — all most significant
 * bytes of the tile, then all second bytes, and so on — which groups the slowly varying
 * high bytes and usually compresses floats and wide integers better.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { FitsError } from '../errors.js';

/** Compress bytes; zlib level 1–9 (fpack uses the fastest, 1). */
export function gzipEncode(bytes: Uint8Array, level = 6): Uint8Array {
  const out = gzipSync(bytes, { level });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Decompress a tile; the output may not exceed `maxBytes` (a guard against corrupt or
 * hostile streams that would inflate without bound).
 */
export function gzipDecode(bytes: Uint8Array, maxBytes: number): Uint8Array {
  if (bytes.length === 0) throw new FitsError('CORRUPT_TILE', 'empty gzip stream');
  let out: Buffer;
  try {
    out = gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (e) {
    const why = e instanceof RangeError ? `inflates to more than the tile's ${maxBytes} bytes` : (e as Error).message;
    throw new FitsError('CORRUPT_TILE', `gzip stream does not decode: ${why}`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** GZIP_2 shuffle: byte k of every `size`-byte value goes to plane k. */
export function shuffleBytes(src: Uint8Array, size: number): Uint8Array {
  if (size === 1) return src;
  const n = src.length / size;
  const out = new Uint8Array(src.length);
  for (let k = 0; k < size; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) out[base + i] = src[i * size + k];
  }
  return out;
}

/** Inverse of {@link shuffleBytes}. */
export function unshuffleBytes(src: Uint8Array, size: number): Uint8Array {
  if (size === 1) return src;
  const n = src.length / size;
  const out = new Uint8Array(src.length);
  for (let k = 0; k < size; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) out[i * size + k] = src[base + i];
  }
  return out;
}
