/**
 * The FITS checksum convention (Seaman, Pence & Rots; FITS Standard 4.0, Appendix J).
 *
 * DATASUM is the 32-bit ones'-complement sum of the data unit's big-endian words, written as
 * an unsigned decimal string. CHECKSUM is a 16-character ASCII encoding of the complement of
 * the whole HDU's sum, chosen so that the HDU (header with CHECKSUM + data) sums to −0
 * (0xFFFFFFFF). Verification therefore needs the original header bytes, not a re-format.
 */
import { FitsError } from './errors.js';
import { BLOCK_LENGTH, Header } from './header.js';
import { extensionName, paddedLength } from './hdu.js';

export type ChecksumState = 'ok' | 'bad' | 'absent';

export interface ChecksumStatus {
  checksum: ChecksumState;
  datasum: ChecksumState;
}

const TWO_POW_32 = 4294967296;
const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Fold often enough that the double accumulator stays exact (< 2^53). */
const FOLD_EVERY_WORDS = 1 << 20;

function fold(sum: number): number {
  while (sum > 0xffffffff) sum = (sum % TWO_POW_32) + Math.floor(sum / TWO_POW_32);
  return sum;
}

/**
 * 32-bit ones'-complement sum of `bytes` read as big-endian words, added to `initial`.
 * A length that is not a multiple of 4 is summed as if zero-padded (FITS data units are
 * padded with zeros to 2880 bytes, which changes nothing).
 */
export function onesComplementSum32(bytes: Uint8Array, initial = 0): number {
  if (!Number.isInteger(initial) || initial < 0 || initial > 0xffffffff) {
    throw new FitsError('BAD_ARGUMENT', `initial checksum ${initial} is not an unsigned 32-bit integer`);
  }
  let sum = initial;
  const whole = bytes.length & ~3;
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) {
    // Aligned: read native words and swap them in registers (about twice as fast).
    const words = new Uint32Array(bytes.buffer, bytes.byteOffset, whole >> 2);
    let w = 0;
    while (w < words.length) {
      const stop = Math.min(words.length, w + FOLD_EVERY_WORDS);
      for (; w < stop; w++) {
        const x = words[w];
        sum += ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
      }
      sum = fold(sum);
    }
  } else {
    let i = 0;
    while (i < whole) {
      const stop = Math.min(whole, i + 4 * FOLD_EVERY_WORDS);
      for (; i < stop; i += 4) {
        sum += ((bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3]) >>> 0;
      }
      sum = fold(sum);
    }
  }
  if (whole < bytes.length) {
    let w = 0;
    for (let k = 0; k < 4; k++) w = w * 256 + (whole + k < bytes.length ? bytes[whole + k] : 0);
    sum = fold(sum + w);
  }
  return fold(sum);
}

/** ASCII characters between '0' and 'z' that are not letters or digits; the encoding avoids them. */
function isPunctuation(c: number): boolean {
  return (c >= 0x3a && c <= 0x40) || (c >= 0x5b && c <= 0x60);
}

/**
 * Encode a 32-bit sum (its complement when `complement`) as the 16 characters of a
 * CHECKSUM value. Each byte of the value is split into four near-equal parts added to '0'
 * (the first part takes the remainder), punctuation is avoided by moving one unit between
 * pairs of parts (which keeps their sum), and the characters are interleaved byte by byte
 * and rotated one place right so that, starting at card column 12, each part falls in the
 * byte lane of the value byte it came from.
 */
export function encodeChecksum(sum: number, complement = false): string {
  if (!Number.isInteger(sum) || sum < 0 || sum > 0xffffffff) {
    throw new FitsError('BAD_ARGUMENT', `checksum ${sum} is not an unsigned 32-bit integer`);
  }
  const value = complement ? ~sum >>> 0 : sum;
  const chars = new Array<number>(16);
  for (let b = 0; b < 4; b++) {
    const byte = (value >>> (24 - 8 * b)) & 0xff;
    const q = (byte >> 2) + 0x30;
    const part = [q + (byte & 3), q, q, q];
    for (let changed = true; changed; ) {
      changed = false;
      for (let j = 0; j < 4; j += 2) {
        while (isPunctuation(part[j]) || isPunctuation(part[j + 1])) {
          part[j]++;
          part[j + 1]--;
          changed = true;
        }
      }
    }
    for (let j = 0; j < 4; j++) chars[4 * j + b] = part[j];
  }
  let out = '';
  for (let i = 0; i < 16; i++) out += String.fromCharCode(chars[(i + 15) % 16]);
  return out;
}

/** Data unit bytes padded as on disk (ASCII tables pad with blanks, everything else with zeros). */
function datasumOf(header: Header, data: Uint8Array | undefined): number {
  if (!data || data.length === 0) return 0;
  const padded = paddedLength(data.length);
  if (extensionName(header) === 'TABLE' && padded > data.length) {
    const withPad = new Uint8Array(padded).fill(0x20);
    withPad.set(data);
    return onesComplementSum32(withPad);
  }
  return onesComplementSum32(data);
}

/**
 * Set DATASUM and CHECKSUM on `header` for the given (unpadded) data unit, so the HDU as
 * written sums to −0. Existing cards are updated in place, new ones appended.
 */
export function setChecksum(header: Header, data: Uint8Array | undefined): void {
  const datasum = datasumOf(header, data);
  if (header.find('CHECKSUM') === undefined) header.set('CHECKSUM', '0000000000000000', 'HDU checksum');
  else header.set('CHECKSUM', '0000000000000000');
  header.set('DATASUM', String(datasum), header.find('DATASUM') ? undefined : 'data unit checksum');
  const sum = onesComplementSum32(header.toBytes(), datasum);
  header.set('CHECKSUM', encodeChecksum(sum, true));
}

/**
 * Check CHECKSUM and DATASUM of one HDU given its original header bytes (whole blocks) and
 * its padded data unit.
 */
export function verifyChecksum(headerBytes: Uint8Array, paddedData: Uint8Array): ChecksumStatus {
  const { header } = Header.parse(headerBytes);
  const datasum = onesComplementSum32(paddedData);
  const status: ChecksumStatus = { checksum: 'absent', datasum: 'absent' };
  const ds = header.get('DATASUM');
  if (ds !== undefined) {
    const expected = typeof ds === 'string' && /^\s*\d+\s*$/.test(ds) ? Number(ds) : typeof ds === 'number' ? ds : NaN;
    status.datasum = expected === datasum ? 'ok' : 'bad';
  }
  if (header.get('CHECKSUM') !== undefined) {
    const headerLength = Math.ceil(headerBytes.length / BLOCK_LENGTH) * BLOCK_LENGTH;
    // Header bytes are whole blocks when read from a file; pad with blanks if a caller cut them.
    let h = headerBytes;
    if (headerLength !== headerBytes.length) {
      h = new Uint8Array(headerLength).fill(0x20);
      h.set(headerBytes);
    }
    status.checksum = onesComplementSum32(h, datasum) === 0xffffffff ? 'ok' : 'bad';
  }
  return status;
}
