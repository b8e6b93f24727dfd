/**
 * PLIO_1 decoding: IRAF's pixel-list ("line list") run-length code for masks and other
 * non-negative integer images (FITS Standard 4.0 §10.4.3; IRAF plio$PLIO.hlp). Read only.
 *
 * A line list is a sequence of 16-bit words (big-endian in the FITS heap, column '1PI').
 * A short header gives the list length and where the instructions start; each instruction
 * word holds a 3-bit opcode in bits 12–14 and a 12-bit operand N:
 *
 *   0  N zeros                       4  N pixels of the current value
 *   1  set value = next word·4096 + N 5  N−1 zeros, then one pixel of the current value
 *   2  value += N                    6  value += N, then one pixel of it
 *   3  value −= N                    7  value −= N, then one pixel of it
 *
 * Pixels not reached by the list are zero.
 */
import { FitsError } from '../errors.js';

const corrupt = (why: string): FitsError => new FitsError('CORRUPT_TILE', `PLIO_1: ${why}`);

/**
 * Decode a line list given as signed 16-bit words into `count` pixels of `out` starting at
 * `outPos`.
 */
export function plioDecode(words: Int16Array, count: number, out?: Int32Array, outPos = 0): Int32Array {
  const dst = out ?? new Int32Array(count);
  if (dst.length < outPos + count) throw new FitsError('BAD_ARGUMENT', `output holds ${dst.length - outPos} values, ${count} needed`);
  if (words.length < 3) throw corrupt(`list of ${words.length} words is too short`);
  // Two header layouts: the original one with the length in word 3, and the current one
  // (word 3 negative, a version number) with the header length in word 2 and the list
  // length split over words 4 and 5.
  let length: number;
  let first: number;
  if (words[2] > 0) {
    length = words[2];
    first = 3;
  } else {
    if (words.length < 5) throw corrupt(`list of ${words.length} words is too short`);
    length = ((words[4] & 0xffff) << 15) + (words[3] & 0xffff);
    first = words[1];
  }
  if (length > words.length || first < 0 || first > length) {
    throw corrupt(`list header claims ${length} words starting at ${first}, ${words.length} present`);
  }

  let op = 0; // pixels written
  let x = 0; // position along the line of the next instruction's first pixel
  let value = 1;
  for (let ip = first; ip < length && x < count; ip++) {
    const w = words[ip] & 0xffff;
    const opcode = w >> 12;
    const n = w & 0xfff;
    switch (opcode) {
      case 0:
      case 4:
      case 5: {
        const stop = Math.min(x + n, count);
        if (opcode === 4) {
          for (let i = x; i < stop; i++) dst[outPos + i] = value;
        } else {
          for (let i = x; i < stop; i++) dst[outPos + i] = 0;
          if (opcode === 5 && n > 0 && x + n <= count) dst[outPos + x + n - 1] = value;
        }
        x += n;
        op = stop;
        break;
      }
      case 1:
        if (ip + 1 >= length) throw corrupt('set-value instruction at the end of the list');
        value = (words[ip + 1] << 12) + n;
        ip++;
        break;
      case 2:
        value += n;
        break;
      case 3:
        value -= n;
        break;
      case 6:
      case 7:
        value += opcode === 6 ? n : -n;
        dst[outPos + x] = value;
        x++;
        op = x;
        break;
      default:
        throw corrupt(`bad opcode ${opcode} at word ${ip}`);
    }
  }
  for (let i = op; i < count; i++) dst[outPos + i] = 0;
  return dst;
}

/** Big-endian heap bytes of a '1PI' cell → 16-bit words. */
export function plioWords(bytes: Uint8Array): Int16Array {
  if (bytes.length % 2 !== 0) throw corrupt(`odd number of bytes (${bytes.length})`);
  const words = new Int16Array(bytes.length / 2);
  for (let i = 0; i < words.length; i++) words[i] = (bytes[2 * i] << 8) | bytes[2 * i + 1];
  return words;
}
