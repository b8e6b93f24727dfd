/**
 * FITS binary tables (XTENSION = 'BINTABLE', FITS Standard 4.0, §7.3): reading columns
 * into typed arrays, raw access to variable-length array cells in the heap, and building
 * a table (main table + heap) from columns.
 *
 * Numbers in a table are big-endian. Columns are gathered out of the row-interleaved main
 * table with one byte-swapping pass per column; heap cells are returned as subarray views
 * so tile-compressed images (one heap cell per tile) are read without copying.
 */
import { FitsError, MAX_DATA_BYTES } from './errors.js';
import { Header, type Card, type CardValue } from './header.js';
import {
  type ColumnFormat,
  type ElementType,
  ELEMENT_BYTES,
  elementsBytes,
  fieldBytes,
  formatTform,
  parseTform,
} from './tform.js';

export { type ColumnFormat, type ElementType, type TformType, formatTform, parseTform } from './tform.js';

export interface ColumnInfo {
  /** 0-based column index (the FITS column number is index + 1). */
  index: number;
  /** TTYPEn, '' when absent. */
  name: string;
  /** TFORMn as written in the header. */
  tform: string;
  format: ColumnFormat;
  unit?: string;
  tscal: number;
  tzero: number;
  /** TNULLn: the stored integer that marks an undefined value (integer columns only). */
  tnull?: number | bigint;
  /** TDIMn, fastest-varying axis first, as in the header. */
  tdim?: number[];
  /** Offset of the field within a row, bytes. */
  byteOffset: number;
  /** Width of the field within a row, bytes. */
  byteWidth: number;
}

export type NumericArray =
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

/**
 * Decoded column. Numeric values are physical (TSCAL/TZERO applied): the unsigned
 * conventions (B with TZERO = -128, I with 32768, J with 2^31, K with 2^63) give exact
 * integer arrays, any other scaling gives Float64Array with TNULL cells as NaN. Unscaled
 * integer columns keep their type; their TNULL cells are left as the stored value.
 */
export type ColumnValues =
  | { kind: 'numeric'; repeat: number; values: NumericArray }
  /** Interleaved real, imaginary; rows * repeat complex numbers. */
  | { kind: 'complex'; repeat: number; values: Float32Array | Float64Array }
  /** One string per row; characters after the first NUL and trailing blanks dropped. */
  | { kind: 'string'; values: string[] }
  /** 1 = T, 0 = F, -1 = undefined (a 0x00 byte). */
  | { kind: 'logical'; repeat: number; values: Int8Array }
  /** One byte (0 or 1) per bit, most significant bit of each field byte first. */
  | { kind: 'bits'; repeat: number; values: Uint8Array }
  /** Per row, each cell decoded like a fixed column whose repeat is the cell's length. */
  | { kind: 'varlen'; values: ColumnValues[] };

/** Row limit for tables whose rows are zero bytes wide (no data to check NAXIS2 against). */
const MAX_EMPTY_ROWS = 2 ** 24;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Stored-value offsets of the unsigned-integer conventions (TSCAL = 1 and this TZERO). */
const UNSIGNED_TZERO: Partial<Record<ElementType, number>> = { B: -128, I: 32768, J: 2 ** 31, K: 2 ** 63 };

export interface ColumnScaling {
  tscal: number;
  tzero: number;
  /** TZERO equals the unsigned-convention offset exactly (checked on the card text for K). */
  unsigned: boolean;
  tnull?: number | bigint;
}

// ---------------------------------------------------------------------------------------
// Reading

export class BinTable {
  readonly header: Header;
  readonly rows: number;
  readonly rowBytes: number;
  readonly columns: ColumnInfo[];
  /** Main table followed by the (optional) gap and the heap. */
  private readonly data: Uint8Array;
  /** Byte offset of the heap within `data` (THEAP). */
  readonly heapOffset: number;
  /** Heap length in bytes (from THEAP to the end of the PCOUNT area). */
  readonly heapBytes: number;
  private readonly hdu?: number;
  private readonly scalings: ColumnScaling[];

  /** Use {@link readBinTable}, which validates the header against the data. */
  constructor(args: {
    header: Header;
    rows: number;
    rowBytes: number;
    columns: ColumnInfo[];
    data: Uint8Array;
    heapOffset: number;
    heapBytes: number;
    hdu?: number;
    scalings: ColumnScaling[];
  }) {
    this.header = args.header;
    this.rows = args.rows;
    this.rowBytes = args.rowBytes;
    this.columns = args.columns;
    this.data = args.data;
    this.heapOffset = args.heapOffset;
    this.heapBytes = args.heapBytes;
    this.hdu = args.hdu;
    this.scalings = args.scalings;
  }

  /** Index of a column by name (case-insensitive) or by 0-based index. */
  columnIndex(nameOrIndex: string | number): number {
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= this.columns.length) {
        throw new FitsError('BAD_ARGUMENT', `no column ${nameOrIndex} (table has ${this.columns.length})`, { hdu: this.hdu });
      }
      return nameOrIndex;
    }
    const want = nameOrIndex.trim().toLowerCase();
    const i = this.columns.findIndex((c) => c.name.trim().toLowerCase() === want);
    if (i < 0) throw new FitsError('BAD_ARGUMENT', `no column named '${nameOrIndex}'`, { hdu: this.hdu });
    return i;
  }

  /** All rows of one column, decoded. */
  column(nameOrIndex: string | number): ColumnValues {
    const c = this.columnIndex(nameOrIndex);
    const info = this.columns[c];
    const f = info.format;
    if (f.type === 'P' || f.type === 'Q') {
      const out: ColumnValues[] = new Array(this.rows);
      const varType = f.varType!;
      for (let r = 0; r < this.rows; r++) {
        const { count, offset } = this.descriptor(r, c);
        out[r] = decodeCells(this.data, this.heapOffset + offset, 0, 1, count, varType, this.scalings[c]);
      }
      return { kind: 'varlen', values: out };
    }
    return decodeCells(this.data, info.byteOffset, this.rowBytes, this.rows, f.repeat, f.type, this.scalings[c]);
  }

  /**
   * Array descriptor of a P/Q cell: element count and byte offset from the start of the
   * heap. Throws SIZE_MISMATCH when the array does not lie inside the heap.
   */
  descriptor(row: number, column: number): { count: number; offset: number } {
    const info = this.columns[this.columnIndex(column)];
    const f = info.format;
    if (f.type !== 'P' && f.type !== 'Q') {
      throw new FitsError('BAD_ARGUMENT', `column is '${info.tform}', not a variable-length array`, {
        hdu: this.hdu,
        column: info.index + 1,
      });
    }
    this.checkRow(row, info);
    if (f.repeat === 0) return { count: 0, offset: 0 };
    const p = row * this.rowBytes + info.byteOffset;
    const d = this.data;
    let count: number;
    let offset: number;
    if (f.type === 'P') {
      count = readU32(d, p);
      offset = readU32(d, p + 4);
    } else {
      count = readU32(d, p) * 2 ** 32 + readU32(d, p + 4);
      offset = readU32(d, p + 8) * 2 ** 32 + readU32(d, p + 12);
    }
    if (count === 0) return { count, offset };
    const bytes = elementsBytes(f.varType!, count);
    if (offset + bytes > this.heapBytes) {
      throw new FitsError(
        'SIZE_MISMATCH',
        `array of ${count} elements at heap offset ${offset} runs past the end of the ${this.heapBytes}-byte heap`,
        { hdu: this.hdu, column: info.index + 1, row },
      );
    }
    return { count, offset };
  }

  /** Raw (big-endian) heap bytes of a P/Q cell: a view into the table's buffer, not a copy. */
  varBytes(row: number, column: number): Uint8Array {
    const { count, offset } = this.descriptor(row, column);
    if (count === 0) return this.data.subarray(0, 0);
    const start = this.heapOffset + offset;
    return this.data.subarray(start, start + elementsBytes(this.columns[this.columnIndex(column)].format.varType!, count));
  }

  /** Raw bytes of a row of the main table (a view). */
  rowBytesAt(row: number): Uint8Array {
    this.checkRow(row);
    return this.data.subarray(row * this.rowBytes, (row + 1) * this.rowBytes);
  }

  private checkRow(row: number, info?: ColumnInfo): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) {
      throw new FitsError('BAD_ARGUMENT', `row ${row} outside the table (${this.rows} rows)`, {
        hdu: this.hdu,
        column: info ? info.index + 1 : undefined,
      });
    }
  }
}

/**
 * Read a binary table HDU. `data` is the data unit (main table, gap, heap) without the
 * block padding (longer input is accepted and ignored past NAXIS1*NAXIS2 + PCOUNT).
 * The header is validated up front; array descriptors are checked when a cell is read.
 */
export function readBinTable(header: Header, data: Uint8Array, where: { hdu?: number } = {}): BinTable {
  const hdu = where.hdu;
  const loc = { hdu };
  const xt = header.getString('XTENSION', loc);
  if (xt === undefined) throw new FitsError('MISSING_CARD', 'XTENSION missing: not a binary table extension', { hdu, keyword: 'XTENSION' });
  if (xt.trim() !== 'BINTABLE') {
    throw new FitsError('BAD_VALUE', `XTENSION is '${xt}', expected 'BINTABLE'`, { hdu, keyword: 'XTENSION' });
  }
  expectInt(header, 'BITPIX', 8, hdu);
  expectInt(header, 'NAXIS', 2, hdu);
  const naxis1 = header.requireInt('NAXIS1', loc);
  const naxis2 = header.requireInt('NAXIS2', loc);
  const pcount = header.getInt('PCOUNT', loc) ?? 0;
  const gcount = header.getInt('GCOUNT', loc) ?? 1;
  const tfields = header.requireInt('TFIELDS', loc);
  if (naxis1 < 0) throw new FitsError('BAD_VALUE', `NAXIS1 = ${naxis1} is negative`, { hdu, keyword: 'NAXIS1' });
  if (naxis2 < 0) throw new FitsError('BAD_VALUE', `NAXIS2 = ${naxis2} is negative`, { hdu, keyword: 'NAXIS2' });
  if (pcount < 0) throw new FitsError('BAD_VALUE', `PCOUNT = ${pcount} is negative`, { hdu, keyword: 'PCOUNT' });
  if (gcount !== 1) throw new FitsError('BAD_VALUE', `GCOUNT = ${gcount}, a binary table has GCOUNT = 1`, { hdu, keyword: 'GCOUNT' });
  if (tfields < 0 || tfields > 999) {
    throw new FitsError('BAD_VALUE', `TFIELDS = ${tfields} outside 0..999`, { hdu, keyword: 'TFIELDS' });
  }
  const mainBytes = naxis1 * naxis2;
  const total = mainBytes + pcount;
  if (total > data.length) {
    throw new FitsError(
      'SIZE_MISMATCH',
      `header describes ${total} data bytes (NAXIS1 ${naxis1} x NAXIS2 ${naxis2} + PCOUNT ${pcount}), only ${data.length} present`,
      { hdu, keyword: 'NAXIS2' },
    );
  }
  if (naxis1 === 0 && naxis2 > MAX_EMPTY_ROWS) {
    // Zero-width rows take no bytes, but every row still costs an array slot when read.
    throw new FitsError('TOO_LARGE', `NAXIS2 = ${naxis2} rows of zero width is more than we will read`, { hdu, keyword: 'NAXIS2' });
  }
  const theap = header.getInt('THEAP', loc) ?? mainBytes;
  if (theap < mainBytes || theap > total) {
    throw new FitsError('SIZE_MISMATCH', `THEAP = ${theap} outside ${mainBytes}..${total} (end of main table .. end of heap)`, {
      hdu,
      keyword: 'THEAP',
    });
  }

  const columns: ColumnInfo[] = [];
  const scalings: ColumnScaling[] = [];
  let offset = 0;
  for (let n = 1; n <= tfields; n++) {
    const tform = header.getString(`TFORM${n}`, loc);
    if (tform === undefined) {
      throw new FitsError('MISSING_CARD', `TFORM${n} missing (TFIELDS = ${tfields})`, { hdu, keyword: `TFORM${n}`, column: n });
    }
    const format = parseTform(tform, { hdu, column: n });
    const width = fieldBytes(format);
    const elemType = format.varType ?? (format.type as ElementType);
    const info: ColumnInfo = {
      index: n - 1,
      name: header.getString(`TTYPE${n}`, loc) ?? '',
      tform,
      format,
      tscal: 1,
      tzero: 0,
      byteOffset: offset,
      byteWidth: width,
    };
    const unit = header.getString(`TUNIT${n}`, loc);
    if (unit !== undefined) info.unit = unit;
    const scalable = elemType !== 'A' && elemType !== 'L' && elemType !== 'X';
    // TSCAL/TZERO are not defined for A, L and X fields; ignore them there.
    if (scalable) {
      info.tscal = header.getNumber(`TSCAL${n}`, loc) ?? 1;
      info.tzero = header.getNumber(`TZERO${n}`, loc) ?? 0;
    }
    const isInt = elemType === 'B' || elemType === 'I' || elemType === 'J' || elemType === 'K';
    if (isInt) {
      const tnull = header.get(`TNULL${n}`);
      if (typeof tnull === 'bigint' || (typeof tnull === 'number' && Number.isInteger(tnull))) info.tnull = tnull;
      else if (tnull !== undefined && tnull !== null) {
        throw new FitsError('BAD_VALUE', `TNULL${n} must be an integer`, { hdu, keyword: `TNULL${n}`, column: n });
      }
    }
    const tdim = header.getString(`TDIM${n}`, loc);
    if (tdim !== undefined) info.tdim = parseTdim(tdim, format, { hdu, column: n });
    columns.push(info);
    scalings.push({
      tscal: info.tscal,
      tzero: info.tzero,
      unsigned: isInt && info.tscal === 1 && isUnsignedTzero(elemType, header.get(`TZERO${n}`)),
      tnull: info.tnull,
    });
    offset += width;
  }
  if (offset !== naxis1) {
    throw new FitsError('SIZE_MISMATCH', `NAXIS1 = ${naxis1} but the TFORMn fields add up to ${offset} bytes per row`, {
      hdu,
      keyword: 'NAXIS1',
    });
  }
  return new BinTable({
    header,
    rows: naxis2,
    rowBytes: naxis1,
    columns,
    data: data.subarray(0, total),
    heapOffset: theap,
    heapBytes: total - theap,
    hdu,
    scalings,
  });
}

function expectInt(header: Header, keyword: string, want: number, hdu?: number): void {
  const v = header.requireInt(keyword, { hdu });
  if (v !== want) throw new FitsError('BAD_VALUE', `${keyword} = ${v}, a binary table has ${keyword} = ${want}`, { hdu, keyword });
}

function isUnsignedTzero(type: ElementType, card: CardValue | undefined): boolean {
  if (type === 'K') {
    // 2^63 is not a safe integer: compare the card's exact value, not a rounded double.
    if (typeof card === 'bigint') return card === 2n ** 63n;
    return card === 2 ** 63;
  }
  const want = UNSIGNED_TZERO[type];
  return want !== undefined && (typeof card === 'number' || typeof card === 'bigint') && Number(card) === want;
}

function parseTdim(text: string, f: ColumnFormat, where: { hdu?: number; column: number }): number[] {
  const loc = { hdu: where.hdu, column: where.column, keyword: `TDIM${where.column}` };
  const m = /^\s*\(([\d\s,]*)\)\s*$/.exec(text);
  if (!m) throw new FitsError('BAD_VALUE', `bad TDIM '${text}' (expected '(n1,n2,...)')`, loc);
  const dims = m[1].split(',').map((s) => s.trim());
  if (dims.some((s) => !/^\d+$/.test(s))) throw new FitsError('BAD_VALUE', `bad TDIM '${text}'`, loc);
  const n = dims.map(Number);
  let product = 1;
  for (const d of n) product *= d;
  // For P/Q columns the product bounds each row's array length, checked by the reader of the cell.
  if (f.type !== 'P' && f.type !== 'Q' && product > f.repeat) {
    throw new FitsError('BAD_VALUE', `TDIM '${text}' holds ${product} elements, more than the repeat count ${f.repeat}`, loc);
  }
  return n;
}

function readU32(d: Uint8Array, p: number): number {
  return ((d[p] << 24) | (d[p + 1] << 16) | (d[p + 2] << 8) | d[p + 3]) >>> 0;
}

// ---------------------------------------------------------------------------------------
// Decoding cells

/**
 * Decode `cells` cells of `repeat` elements each, the first at `base`, one every `stride`
 * bytes (a column of the main table, or one heap cell with cells = 1).
 */
function decodeCells(
  src: Uint8Array,
  base: number,
  stride: number,
  cells: number,
  repeat: number,
  type: ElementType,
  s: ColumnScaling,
): ColumnValues {
  const n = cells * repeat;
  switch (type) {
    case 'L': {
      const out = new Int8Array(n);
      let o = 0;
      for (let r = 0; r < cells; r++) {
        const p0 = base + r * stride;
        for (let k = 0; k < repeat; k++) {
          const b = src[p0 + k];
          out[o++] = b === 0x54 ? 1 : b === 0 ? -1 : 0;
        }
      }
      return { kind: 'logical', repeat, values: out };
    }
    case 'X': {
      const out = new Uint8Array(n);
      let o = 0;
      for (let r = 0; r < cells; r++) {
        const p0 = base + r * stride;
        for (let k = 0; k < repeat; k++) out[o++] = (src[p0 + (k >> 3)] >> (7 - (k & 7))) & 1;
      }
      return { kind: 'bits', repeat, values: out };
    }
    case 'A': {
      const out: string[] = new Array(cells);
      for (let r = 0; r < cells; r++) out[r] = decodeString(src, base + r * stride, repeat);
      return { kind: 'string', values: out };
    }
    case 'B':
    case 'I':
    case 'J':
    case 'K':
      return { kind: 'numeric', repeat, values: decodeIntegers(src, base, stride, cells, repeat, type, s) };
    case 'E':
    case 'D':
      return { kind: 'numeric', repeat, values: decodeFloats(src, base, stride, cells, repeat, type === 'E' ? 4 : 8, s) };
    case 'C':
    case 'M':
      // A complex element is two floats; scaling applies to the real and the imaginary part alike.
      return { kind: 'complex', repeat, values: decodeFloats(src, base, stride, cells, 2 * repeat, type === 'C' ? 4 : 8, s) };
  }
}

function isIdentity(s: ColumnScaling): boolean {
  return s.tscal === 1 && s.tzero === 0;
}

function viewOf(src: Uint8Array): DataView {
  return new DataView(src.buffer, src.byteOffset, src.byteLength);
}

// The loops below are written out per type on purpose: one monomorphic loop per output
// array type and DataView getter is what V8 compiles to tight code.

function decodeFloats(
  src: Uint8Array,
  base: number,
  stride: number,
  cells: number,
  repeat: number,
  size: 4 | 8,
  s: ColumnScaling,
): Float32Array | Float64Array {
  const dv = viewOf(src);
  const n = cells * repeat;
  let i = 0;
  if (isIdentity(s)) {
    if (size === 4) {
      const out = new Float32Array(n);
      for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 4) out[i++] = dv.getFloat32(p);
      return out;
    }
    const out = new Float64Array(n);
    for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 8) out[i++] = dv.getFloat64(p);
    return out;
  }
  const { tscal, tzero } = s;
  const out = new Float64Array(n);
  if (size === 4) {
    for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 4) out[i++] = tzero + tscal * dv.getFloat32(p);
  } else {
    for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 8) out[i++] = tzero + tscal * dv.getFloat64(p);
  }
  return out;
}

function decodeIntegers(
  src: Uint8Array,
  base: number,
  stride: number,
  cells: number,
  repeat: number,
  type: 'B' | 'I' | 'J' | 'K',
  s: ColumnScaling,
): NumericArray {
  const n = cells * repeat;
  const dv = viewOf(src);
  let i = 0;
  if (s.unsigned || isIdentity(s)) {
    // Unsigned conventions: value - TZERO in two's complement = stored value with its sign bit flipped.
    const u = s.unsigned;
    switch (type) {
      case 'B': {
        if (!u) {
          const out = new Uint8Array(n);
          gather(src, base, stride, cells, repeat, 1, out);
          return out;
        }
        const out = new Int8Array(n);
        for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p++) out[i++] = src[p] ^ 0x80;
        return out;
      }
      case 'I': {
        if (!u) {
          const out = new Int16Array(n);
          for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 2) out[i++] = dv.getInt16(p);
          return out;
        }
        const out = new Uint16Array(n);
        for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 2) out[i++] = dv.getUint16(p) ^ 0x8000;
        return out;
      }
      case 'J': {
        if (!u) {
          const out = new Int32Array(n);
          for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 4) out[i++] = dv.getInt32(p);
          return out;
        }
        const out = new Uint32Array(n);
        for (let r = 0; r < cells; r++) for (let k = 0, p = base + r * stride; k < repeat; k++, p += 4) out[i++] = dv.getInt32(p) ^ 0x80000000;
        return out;
      }
      case 'K': {
        // Byte-swap into the array's buffer: no BigInt per element.
        const buf = new Uint8Array(n * 8);
        gather(src, base, stride, cells, repeat * 8, 8, buf);
        if (u) for (let j = LITTLE_ENDIAN ? 7 : 0; j < buf.length; j += 8) buf[j] ^= 0x80;
        return u ? new BigUint64Array(buf.buffer) : new BigInt64Array(buf.buffer);
      }
    }
  }
  const out = new Float64Array(n);
  const { tscal, tzero } = s;
  if (type === 'K') {
    // Combine the two 32-bit halves in floating point.
    let nullHi = NaN;
    let nullLo = NaN;
    if (s.tnull !== undefined) {
      const t = BigInt.asUintN(64, BigInt(s.tnull));
      nullHi = Number(BigInt.asIntN(32, t >> 32n));
      nullLo = Number(t & 0xffffffffn);
    }
    for (let r = 0; r < cells; r++) {
      for (let k = 0, p = base + r * stride; k < repeat; k++, p += 8) {
        const h = dv.getInt32(p);
        const l = dv.getUint32(p + 4);
        out[i++] = h === nullHi && l === nullLo ? NaN : tzero + tscal * (h * 4294967296 + l);
      }
    }
    return out;
  }
  const tnull = s.tnull === undefined ? NaN : Number(s.tnull);
  switch (type) {
    case 'B':
      for (let r = 0; r < cells; r++) {
        for (let k = 0, p = base + r * stride; k < repeat; k++, p++) {
          const v = src[p];
          out[i++] = v === tnull ? NaN : tzero + tscal * v;
        }
      }
      break;
    case 'I':
      for (let r = 0; r < cells; r++) {
        for (let k = 0, p = base + r * stride; k < repeat; k++, p += 2) {
          const v = dv.getInt16(p);
          out[i++] = v === tnull ? NaN : tzero + tscal * v;
        }
      }
      break;
    case 'J':
      for (let r = 0; r < cells; r++) {
        for (let k = 0, p = base + r * stride; k < repeat; k++, p += 4) {
          const v = dv.getInt32(p);
          out[i++] = v === tnull ? NaN : tzero + tscal * v;
        }
      }
      break;
  }
  return out;
}

/**
 * Copy `cells` cells of `cellBytes` bytes, one every `stride` bytes from `base`, into `dst`
 * contiguously, turning big-endian elements of `size` bytes into native order. (Other
 * element sizes are read through DataView, which is faster for them.)
 */
function gather(src: Uint8Array, base: number, stride: number, cells: number, cellBytes: number, size: 1 | 8, dst: Uint8Array): void {
  if (cells === 0 || cellBytes === 0) return;
  if (size === 1 || !LITTLE_ENDIAN) {
    if (stride === cellBytes || cells === 1) {
      dst.set(src.subarray(base, base + cells * cellBytes));
      return;
    }
    let o = 0;
    for (let r = 0; r < cells; r++) {
      const p0 = base + r * stride;
      for (let k = 0; k < cellBytes; k++) dst[o++] = src[p0 + k];
    }
    return;
  }
  let o = 0;
  for (let r = 0; r < cells; r++) {
    const end = base + r * stride + cellBytes;
    for (let p = base + r * stride; p < end; p += 8) {
      dst[o] = src[p + 7];
      dst[o + 1] = src[p + 6];
      dst[o + 2] = src[p + 5];
      dst[o + 3] = src[p + 4];
      dst[o + 4] = src[p + 3];
      dst[o + 5] = src[p + 2];
      dst[o + 6] = src[p + 1];
      dst[o + 7] = src[p];
      o += 8;
    }
  }
}

/** Inverse of {@link gather}: native-order elements in `src` to big-endian cells in `dst`. */
function scatter(src: Uint8Array, dst: Uint8Array, base: number, stride: number, cells: number, cellBytes: number, size: number): void {
  if (cells === 0 || cellBytes === 0) return;
  if (size === 1 || !LITTLE_ENDIAN) {
    if (stride === cellBytes || cells === 1) {
      dst.set(src.subarray(0, cells * cellBytes), base);
      return;
    }
    let o = 0;
    for (let r = 0; r < cells; r++) {
      const p0 = base + r * stride;
      for (let k = 0; k < cellBytes; k++) dst[p0 + k] = src[o++];
    }
    return;
  }
  let o = 0;
  switch (size) {
    case 2:
      for (let r = 0; r < cells; r++) {
        const end = base + r * stride + cellBytes;
        for (let p = base + r * stride; p < end; p += 2) {
          dst[p + 1] = src[o];
          dst[p] = src[o + 1];
          o += 2;
        }
      }
      return;
    case 4:
      for (let r = 0; r < cells; r++) {
        const end = base + r * stride + cellBytes;
        for (let p = base + r * stride; p < end; p += 4) {
          dst[p + 3] = src[o];
          dst[p + 2] = src[o + 1];
          dst[p + 1] = src[o + 2];
          dst[p] = src[o + 3];
          o += 4;
        }
      }
      return;
    case 8:
      for (let r = 0; r < cells; r++) {
        const end = base + r * stride + cellBytes;
        for (let p = base + r * stride; p < end; p += 8) {
          dst[p + 7] = src[o];
          dst[p + 6] = src[o + 1];
          dst[p + 5] = src[o + 2];
          dst[p + 4] = src[o + 3];
          dst[p + 3] = src[o + 4];
          dst[p + 2] = src[o + 5];
          dst[p + 1] = src[o + 6];
          dst[p] = src[o + 7];
          o += 8;
        }
      }
      return;
  }
}

function decodeString(src: Uint8Array, p: number, width: number): string {
  let end = p;
  const lim = p + width;
  while (end < lim && src[end] !== 0) end++;
  while (end > p && src[end - 1] === 0x20) end--;
  let s = '';
  // fromCharCode.apply has an argument-count limit: go in chunks.
  for (let a = p; a < end; a += 8192) {
    s += String.fromCharCode.apply(null, src.subarray(a, Math.min(end, a + 8192)) as unknown as number[]);
  }
  return s;
}

// ---------------------------------------------------------------------------------------
// Building

export type ColumnInput = {
  name: string;
  /** TFORMn ('1J', '20A', '3E', 'PB', 'QD'); inferred from the values when absent. */
  format?: string;
  unit?: string;
  tscal?: number;
  tzero?: number;
  /** Stored integer for undefined values; NaN physical values are written as this. */
  tnull?: number | bigint;
  /** TDIMn, fastest-varying axis first. */
  dim?: number[];
  /**
   * Physical values (TSCAL/TZERO are undone on writing). Fixed columns: rows * repeat
   * values, row-major (complex: interleaved re, im). Logical columns take booleans, or
   * numbers 1/0/-1 (-1 or null = undefined). Bit (X) columns take 0/1 per bit. Strings:
   * one per row. Variable-length columns: one array (or string, for PA) per row.
   */
  values:
    | ArrayLike<number>
    | BigInt64Array
    | BigUint64Array
    | ArrayLike<bigint>
    | string[]
    | Array<boolean | null>
    | Array<ArrayLike<number> | Uint8Array | BigInt64Array | BigUint64Array | string | boolean[] | null>;
  /** Elements per row for fixed columns (default: from format, dim, or values.length / rows). */
  repeat?: number;
};

export interface BuildOptions {
  rows?: number;
  extname?: string;
  /** Extra cards, appended after the structural ones (structural and column-format keywords are skipped). */
  header?: Header;
  /** Use 64-bit (Q) descriptors for variable-length columns whose format is not given. */
  largeHeap?: boolean;
}

interface Plan {
  input: ColumnInput;
  n: number; // 1-based column number
  format: ColumnFormat;
  elem: ElementType;
  tscal: number;
  tzero: number;
  /** Exact TZERO card value (bigint 2^63 for unsigned 64-bit). */
  tzeroCard?: number | bigint;
  unsigned: boolean;
  tnull?: number | bigint;
  /** Whether the format came from the caller (P stays P even for large heaps). */
  explicit: boolean;
  rows: number;
  /** Fixed columns: the values as one flat array-like. */
  flat?: ArrayLike<unknown>;
  /** Variable-length columns: per-row element counts and heap offsets. */
  counts?: number[];
  heapAt?: number[];
  offset: number;
}

/** Build a binary table: its header and its data unit (main table + heap, unpadded). */
export function buildBinTable(columns: ColumnInput[], opts: BuildOptions = {}): { header: Header; data: Uint8Array } {
  if (columns.length > 999) throw new FitsError('BAD_ARGUMENT', `${columns.length} columns: FITS allows at most 999`);
  const plans = columns.map((c, i) => planColumn(c, i + 1, opts));
  let rows = opts.rows;
  for (const p of plans) {
    if (rows === undefined) rows = p.rows;
    else if (p.rows !== rows) {
      throw new FitsError('BAD_ARGUMENT', `column '${p.input.name}' has ${p.rows} rows, expected ${rows}`, { column: p.n });
    }
  }
  rows ??= 0;
  if (!Number.isSafeInteger(rows) || rows < 0) throw new FitsError('BAD_ARGUMENT', `bad row count ${rows}`);

  // Heap layout: column by column, row by row.
  let heap = 0;
  for (const p of plans) {
    if (!p.counts) continue;
    p.heapAt = new Array(rows);
    let max = 0;
    for (let r = 0; r < rows; r++) {
      p.heapAt[r] = heap;
      heap += elementsBytes(p.elem, p.counts[r]);
      if (p.counts[r] > max) max = p.counts[r];
    }
    p.format.varMax = max;
  }
  const pLimit = 2 ** 31 - 1;
  for (const p of plans) {
    if (p.format.type === 'P' && heap > pLimit) {
      if (p.explicit) {
        throw new FitsError('BAD_ARGUMENT', `heap of ${heap} bytes is too large for 32-bit P descriptors: use Q`, { column: p.n });
      }
      p.format.type = 'Q';
    }
  }
  let rowBytes = 0;
  for (const p of plans) {
    p.offset = rowBytes;
    rowBytes += fieldBytes(p.format);
  }
  const mainBytes = rowBytes * rows;
  if (mainBytes + heap > MAX_DATA_BYTES) {
    throw new FitsError('TOO_LARGE', `table of ${mainBytes + heap} bytes exceeds the ${MAX_DATA_BYTES}-byte limit`);
  }
  const data = new Uint8Array(mainBytes + heap);
  const dv = new DataView(data.buffer);
  for (const p of plans) {
    if (p.counts) writeVarColumn(p, data, dv, rows, rowBytes, mainBytes);
    else writeFixedColumn(p, data, dv, rows, rowBytes);
  }
  return { header: buildHeader(plans, rows, rowBytes, heap, opts), data };
}

const TYPED_DEFAULTS: Array<[new (n: number) => ArrayLike<unknown>, ElementType, number | bigint | undefined]> = [
  [Uint8Array, 'B', undefined],
  [Uint8ClampedArray, 'B', undefined],
  [Int8Array, 'B', -128],
  [Int16Array, 'I', undefined],
  [Uint16Array, 'I', 32768],
  [Int32Array, 'J', undefined],
  [Uint32Array, 'J', 2 ** 31],
  [BigInt64Array, 'K', undefined],
  [BigUint64Array, 'K', 2n ** 63n],
  [Float32Array, 'E', undefined],
  [Float64Array, 'D', undefined],
];

/** Type and conventional TZERO for a typed array, or for the first element of a plain array. */
function inferElement(v: unknown): { type: ElementType; tzero?: number | bigint } | undefined {
  for (const [ctor, type, tzero] of TYPED_DEFAULTS) if (v instanceof ctor) return { type, tzero };
  if (Array.isArray(v)) {
    const first = v.find((x) => x !== null && x !== undefined);
    if (typeof first === 'boolean') return { type: 'L' };
    if (typeof first === 'string') return { type: 'A' };
    if (typeof first === 'bigint') return { type: 'K' };
    return { type: 'D' };
  }
  return undefined;
}

function isRowArray(x: unknown): boolean {
  return typeof x === 'object' && x !== null && typeof (x as ArrayLike<unknown>).length === 'number';
}

function planColumn(c: ColumnInput, n: number, opts: BuildOptions): Plan {
  const bad = (why: string): FitsError => new FitsError('BAD_ARGUMENT', `column '${c.name}': ${why}`, { column: n });
  if (typeof c.name !== 'string') throw bad('name must be a string');
  const values = c.values as ArrayLike<unknown>;
  if (!isRowArray(values)) throw bad('values must be an array');
  const explicit = c.format !== undefined;
  let format: ColumnFormat;
  let defaultTzero: number | bigint | undefined;
  const nested = Array.isArray(values) && values.some((x) => isRowArray(x) || typeof x === 'string');
  const looksVar = Array.isArray(values) && values.some((x) => isRowArray(x));
  if (explicit) {
    format = parseTform(c.format!, { column: n });
  } else if (looksVar) {
    const first = (values as unknown[]).find((x) => x !== null && x !== undefined);
    const e = inferElement(first) ?? { type: 'D' as ElementType };
    format = { repeat: 1, type: opts.largeHeap ? 'Q' : 'P', varType: e.type };
    defaultTzero = e.tzero;
  } else {
    const e = inferElement(values) ?? { type: 'D' as ElementType };
    format = { repeat: 1, type: e.type };
    defaultTzero = e.tzero;
  }
  const isVar = format.type === 'P' || format.type === 'Q';
  const elem = (isVar ? format.varType : format.type) as ElementType;
  if (explicit && defaultTzero === undefined && c.tzero === undefined) {
    // A typed array whose class implies the unsigned convention for the given type.
    const sample = isVar ? (values as unknown[]).find((x) => x !== null && x !== undefined) : values;
    const e = inferElement(sample);
    if (e && e.type === elem && e.tzero !== undefined) defaultTzero = e.tzero;
  }
  const scalable = elem !== 'A' && elem !== 'L' && elem !== 'X';
  const tscal = c.tscal ?? 1;
  const tzeroCard = c.tzero ?? defaultTzero;
  const tzero = tzeroCard === undefined ? 0 : Number(tzeroCard);
  if (!scalable && (tscal !== 1 || tzero !== 0)) throw bad(`TSCAL/TZERO are not allowed for '${elem}' columns`);
  if (!Number.isFinite(tscal) || !Number.isFinite(tzero) || tscal === 0) throw bad('TSCAL must be finite and non-zero, TZERO finite');
  const isInt = elem === 'B' || elem === 'I' || elem === 'J' || elem === 'K';
  if (c.tnull !== undefined && !isInt) throw bad('TNULL is only defined for integer columns (B, I, J, K)');
  const unsigned = isInt && tscal === 1 && (elem === 'K' ? tzeroCard === 2n ** 63n || tzeroCard === 2 ** 63 : tzero === UNSIGNED_TZERO[elem]);
  const plan: Plan = {
    input: c,
    n,
    format,
    elem,
    tscal,
    tzero,
    tzeroCard: elem === 'K' && unsigned ? 2n ** 63n : tzeroCard,
    unsigned,
    tnull: c.tnull,
    explicit,
    rows: 0,
    offset: 0,
  };

  if (isVar) {
    if (!Array.isArray(values)) throw bad('a variable-length column takes an array of rows');
    const counts = new Array<number>(values.length);
    for (let r = 0; r < values.length; r++) {
      const v = values[r] as unknown;
      if (v === null || v === undefined) counts[r] = 0;
      else if (typeof v === 'string') {
        if (elem !== 'A') throw bad(`row ${r} is a string in a '${elem}' column`);
        counts[r] = v.length;
      } else if (isRowArray(v)) {
        counts[r] = (v as ArrayLike<unknown>).length / (elem === 'C' || elem === 'M' ? 2 : 1);
        if (!Number.isInteger(counts[r])) throw bad(`row ${r}: complex values come in re, im pairs`);
      } else throw bad(`row ${r} is not an array`);
    }
    plan.counts = counts;
    plan.rows = values.length;
    if (format.repeat === 0 && values.length > 0 && counts.some((x) => x > 0)) throw bad('repeat 0 column cannot hold arrays');
    if (c.dim) checkDim(c.dim, Infinity, bad);
    return plan;
  }

  if (elem === 'A') {
    if (!explicit) {
      let width = 1;
      for (let r = 0; r < values.length; r++) {
        const s = values[r];
        if (typeof s === 'string' && s.length > width) width = s.length;
      }
      format.repeat = c.repeat ?? width;
    } else if (c.repeat !== undefined) format.repeat = c.repeat;
    plan.rows = values.length;
    plan.flat = values;
    if (c.dim) checkDim(c.dim, format.repeat, bad);
    return plan;
  }

  // Fixed numeric, logical or bit columns.
  const perElement = elem === 'C' || elem === 'M' ? 2 : 1;
  let flat: ArrayLike<unknown> = values;
  let repeat: number | undefined = c.repeat ?? (c.dim ? c.dim.reduce((a, b) => a * b, 1) : undefined) ?? (explicit ? format.repeat : undefined);
  if (nested) {
    // One array per row given for a fixed column: flatten.
    const rowsIn = values as ArrayLike<ArrayLike<unknown>>;
    const w = rowsIn.length > 0 ? rowsIn[0].length : (repeat ?? 1) * perElement;
    repeat ??= w / perElement;
    const out: unknown[] = new Array(rowsIn.length * repeat * perElement);
    let o = 0;
    for (let r = 0; r < rowsIn.length; r++) {
      const row = rowsIn[r];
      if (!isRowArray(row) || row.length !== repeat * perElement) throw bad(`row ${r} does not have ${repeat} elements`);
      for (let k = 0; k < row.length; k++) out[o++] = row[k];
    }
    flat = out;
  }
  if (repeat === undefined) {
    repeat = opts.rows !== undefined && opts.rows > 0 ? values.length / perElement / opts.rows : 1;
  }
  if (!Number.isSafeInteger(repeat) || repeat < 0) throw bad(`bad repeat count ${repeat}`);
  format.repeat = repeat;
  const per = repeat * perElement;
  const rows = per === 0 ? (opts.rows ?? 0) : flat.length / per;
  if (!Number.isInteger(rows)) throw bad(`${flat.length} values is not a whole number of rows of ${repeat}`);
  plan.rows = rows;
  plan.flat = flat;
  if (c.dim) checkDim(c.dim, repeat, bad);
  return plan;
}

function checkDim(dim: number[], max: number, bad: (why: string) => FitsError): void {
  let product = 1;
  for (const d of dim) {
    if (!Number.isSafeInteger(d) || d < 0) throw bad(`bad TDIM axis ${d}`);
    product *= d;
  }
  if (product > max) throw bad(`TDIM (${dim.join(',')}) holds more than ${max} elements`);
}

function writeFixedColumn(p: Plan, data: Uint8Array, dv: DataView, rows: number, rowBytes: number): void {
  const f = p.format;
  const flat = p.flat!;
  if (f.type === 'A') {
    for (let r = 0; r < rows; r++) writeString(p, data, r * rowBytes + p.offset, flat[r], f.repeat, r, true);
    return;
  }
  if (fastPath(p, flat)) {
    const size = p.elem === 'C' ? 4 : p.elem === 'M' ? 8 : ELEMENT_BYTES[p.elem];
    const src = flat as unknown as ArrayBufferView;
    const bytes = new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
    scatter(bytes, data, p.offset, rowBytes, rows, fieldBytes(f), size);
    if (p.unsigned) flipSigns(data, p.offset, rowBytes, rows, f.repeat, size);
    return;
  }
  writeElements(p, data, dv, p.offset, rowBytes, rows, f.repeat, flat, 0);
}

function writeVarColumn(p: Plan, data: Uint8Array, dv: DataView, rows: number, rowBytes: number, mainBytes: number): void {
  const values = p.input.values as unknown[];
  const q = p.format.type === 'Q';
  if (p.format.repeat === 0) return;
  for (let r = 0; r < rows; r++) {
    const count = p.counts![r];
    const at = p.heapAt![r];
    const desc = r * rowBytes + p.offset;
    if (q) {
      dv.setUint32(desc, Math.floor(count / 2 ** 32));
      dv.setUint32(desc + 4, count >>> 0);
      dv.setUint32(desc + 8, Math.floor(at / 2 ** 32));
      dv.setUint32(desc + 12, at >>> 0);
    } else {
      dv.setUint32(desc, count);
      dv.setUint32(desc + 4, at);
    }
    if (count === 0) continue;
    const v = values[r];
    const pos = mainBytes + at;
    if (p.elem === 'A') {
      writeString(p, data, pos, v, count, r, false);
    } else if (fastPath(p, v)) {
      const size = p.elem === 'C' ? 4 : p.elem === 'M' ? 8 : ELEMENT_BYTES[p.elem];
      const src = v as ArrayBufferView;
      scatter(new Uint8Array(src.buffer, src.byteOffset, src.byteLength), data, pos, 0, 1, elementsBytes(p.elem, count), size);
      if (p.unsigned) flipSigns(data, pos, 0, 1, count, size);
    } else {
      writeElements(p, data, dv, pos, 0, 1, count, v as ArrayLike<unknown>, r);
    }
  }
}

/** Values already in the stored representation (same element type, no scaling beyond the unsigned convention)? */
function fastPath(p: Plan, v: unknown): boolean {
  if (p.tnull !== undefined && (p.elem === 'E' || p.elem === 'D')) return false;
  const plain = p.tscal === 1 && p.tzero === 0;
  switch (p.elem) {
    case 'B':
      return plain ? v instanceof Uint8Array : p.unsigned && v instanceof Int8Array;
    case 'I':
      return plain ? v instanceof Int16Array : p.unsigned && v instanceof Uint16Array;
    case 'J':
      return plain ? v instanceof Int32Array : p.unsigned && v instanceof Uint32Array;
    case 'K':
      return plain ? v instanceof BigInt64Array : p.unsigned && v instanceof BigUint64Array;
    case 'E':
    case 'C':
      return plain && v instanceof Float32Array;
    case 'D':
    case 'M':
      return plain && v instanceof Float64Array;
    default:
      return false;
  }
}

function flipSigns(data: Uint8Array, base: number, stride: number, cells: number, repeat: number, size: number): void {
  for (let r = 0; r < cells; r++) {
    const p0 = base + r * stride;
    for (let k = 0; k < repeat; k++) data[p0 + k * size] ^= 0x80;
  }
}

function writeString(p: Plan, data: Uint8Array, pos: number, v: unknown, width: number, row: number, pad: boolean): void {
  if (v === null || v === undefined) return; // leading NUL: an undefined string
  if (typeof v !== 'string') throw new FitsError('BAD_ARGUMENT', `column '${p.input.name}' row ${row}: expected a string`, { column: p.n, row });
  if (v.length > width) {
    throw new FitsError('BAD_ARGUMENT', `column '${p.input.name}' row ${row}: '${v.slice(0, 20)}…' longer than ${width} characters`, {
      column: p.n,
      row,
    });
  }
  for (let i = 0; i < v.length; i++) {
    const ch = v.charCodeAt(i);
    if (ch < 0x20 || ch > 0x7e) {
      throw new FitsError('BAD_ARGUMENT', `column '${p.input.name}' row ${row}: character ${ch} is not printable ASCII`, {
        column: p.n,
        row,
      });
    }
    data[pos + i] = ch;
  }
  if (pad) for (let i = v.length; i < width; i++) data[pos + i] = 0x20;
}

const INT_RANGE: Record<'B' | 'I' | 'J', [number, number]> = {
  B: [0, 255],
  I: [-32768, 32767],
  J: [-2147483648, 2147483647],
};

function badValue(p: Plan, row: number, why: string): FitsError {
  return new FitsError('BAD_ARGUMENT', `column '${p.input.name}' row ${row}: ${why}`, { column: p.n, row });
}

/**
 * Generic writer (any array-like, any scaling): `cells` cells of `repeat` elements, taken
 * from values[0..] in order, written at base, base + stride, ... ; `firstRow` for errors.
 */
function writeElements(
  p: Plan,
  data: Uint8Array,
  dv: DataView,
  base: number,
  stride: number,
  cells: number,
  repeat: number,
  values: ArrayLike<unknown>,
  firstRow: number,
): void {
  const { tscal, tzero } = p;
  const plain = tscal === 1 && tzero === 0;
  let i = 0;
  switch (p.elem) {
    case 'L':
      for (let r = 0; r < cells; r++) {
        for (let k = 0, o = base + r * stride; k < repeat; k++, o++) {
          const v = values[i++];
          data[o] = v === true ? 0x54 : v === false ? 0x46 : typeof v === 'number' ? (v > 0 ? 0x54 : v === 0 ? 0x46 : 0) : 0;
        }
      }
      return;
    case 'X':
      for (let r = 0; r < cells; r++) {
        const o = base + r * stride;
        for (let k = 0; k < repeat; k++) if (values[i++]) data[o + (k >> 3)] |= 0x80 >> (k & 7);
      }
      return;
    case 'B':
    case 'I':
    case 'J': {
      const [lo, hi] = INT_RANGE[p.elem];
      const size = ELEMENT_BYTES[p.elem];
      const offset = plain || p.unsigned;
      for (let r = 0; r < cells; r++) {
        for (let k = 0, o = base + r * stride; k < repeat; k++, o += size) {
          const v = toNumber(values[i++], p, firstRow + r);
          let s: number;
          if (v !== v) {
            if (p.tnull === undefined) throw badValue(p, firstRow + r, 'NaN in an integer column without TNULL');
            s = Number(p.tnull);
          } else {
            s = offset ? v - tzero : Math.round((v - tzero) / tscal);
            if (!(s >= lo && s <= hi && Math.floor(s) === s)) throw badValue(p, firstRow + r, `value ${v} does not fit a '${p.elem}' column`);
          }
          if (size === 1) data[o] = s & 0xff;
          else if (size === 2) dv.setInt16(o, s);
          else dv.setInt32(o, s);
        }
      }
      return;
    }
    case 'K': {
      const zBig = typeof p.tzeroCard === 'bigint' ? p.tzeroCard : Number.isInteger(tzero) ? BigInt(tzero) : undefined;
      for (let r = 0; r < cells; r++) {
        const row = firstRow + r;
        for (let k = 0, o = base + r * stride; k < repeat; k++, o += 8) {
          const v = values[i++];
          if (typeof v === 'bigint') {
            if (tscal !== 1 || zBig === undefined) throw badValue(p, row, 'bigint values need TSCAL = 1 and an integer TZERO');
            const s = v - zBig;
            if (s < -(2n ** 63n) || s >= 2n ** 63n) throw badValue(p, row, `value ${v} does not fit a 'K' column`);
            dv.setBigInt64(o, s);
            continue;
          }
          const x = toNumber(v, p, row);
          if (x !== x) {
            if (p.tnull === undefined) throw badValue(p, row, 'NaN in an integer column without TNULL');
            dv.setBigInt64(o, BigInt(p.tnull));
            continue;
          }
          const s = p.unsigned ? x - 2 ** 63 : plain ? x : Math.round((x - tzero) / tscal);
          if (!(s >= -(2 ** 63) && s < 2 ** 63 && Math.floor(s) === s)) throw badValue(p, row, `value ${x} does not fit a 'K' column`);
          const h = Math.floor(s / 4294967296);
          dv.setInt32(o, h);
          dv.setUint32(o + 4, s - h * 4294967296);
        }
      }
      return;
    }
    case 'E':
    case 'C':
    case 'D':
    case 'M': {
      const n = p.elem === 'C' || p.elem === 'M' ? 2 * repeat : repeat;
      if (p.elem === 'E' || p.elem === 'C') {
        for (let r = 0; r < cells; r++) {
          for (let k = 0, o = base + r * stride; k < n; k++, o += 4) {
            const v = toNumber(values[i++], p, firstRow + r);
            dv.setFloat32(o, plain ? v : (v - tzero) / tscal);
          }
        }
      } else {
        for (let r = 0; r < cells; r++) {
          for (let k = 0, o = base + r * stride; k < n; k++, o += 8) {
            const v = toNumber(values[i++], p, firstRow + r);
            dv.setFloat64(o, plain ? v : (v - tzero) / tscal);
          }
        }
      }
      return;
    }
    case 'A':
      return; // handled by writeString
  }
}

function toNumber(v: unknown, p: Plan, row: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === null || v === undefined) return NaN;
  throw badValue(p, row, `value ${String(v).slice(0, 20)} is not a number`);
}

const STRUCTURAL = new Set(['SIMPLE', 'XTENSION', 'BITPIX', 'NAXIS', 'PCOUNT', 'GCOUNT', 'TFIELDS', 'THEAP', 'END', 'EXTEND']);
const COLUMN_KEYS = /^(TTYPE|TFORM|TUNIT|TSCAL|TZERO|TNULL|TDIM)(\d+)$/;

function buildHeader(plans: Plan[], rows: number, rowBytes: number, heap: number, opts: BuildOptions): Header {
  const h = new Header();
  h.set('XTENSION', 'BINTABLE', 'binary table extension');
  h.set('BITPIX', 8, 'array data type');
  h.set('NAXIS', 2, 'number of array dimensions');
  h.set('NAXIS1', rowBytes, 'length of a row, bytes');
  h.set('NAXIS2', rows, 'number of rows');
  h.set('PCOUNT', heap, 'heap size, bytes');
  h.set('GCOUNT', 1, 'one data group');
  h.set('TFIELDS', plans.length, 'number of columns');
  for (const p of plans) {
    const n = p.n;
    const c = p.input;
    if (c.name !== '') h.set(`TTYPE${n}`, c.name);
    h.set(`TFORM${n}`, formatTform(p.format));
    if (c.unit !== undefined) h.set(`TUNIT${n}`, c.unit);
    if (p.tscal !== 1) h.set(`TSCAL${n}`, p.tscal);
    if (p.tzeroCard !== undefined && p.tzero !== 0) h.set(`TZERO${n}`, p.tzeroCard);
    if (p.tnull !== undefined) h.set(`TNULL${n}`, p.tnull);
    if (c.dim !== undefined) h.set(`TDIM${n}`, `(${c.dim.join(',')})`);
  }
  if (opts.extname !== undefined) h.set('EXTNAME', opts.extname, 'extension name');
  if (opts.header) {
    for (const card of opts.header.cards) {
      if (STRUCTURAL.has(card.keyword) || /^NAXIS\d*$/.test(card.keyword)) continue;
      const m = COLUMN_KEYS.exec(card.keyword);
      if (m && Number(m[2]) <= plans.length) continue;
      if (card.keyword === 'EXTNAME' && opts.extname !== undefined) continue;
      const copy: Card = { ...card, images: card.images ? [...card.images] : undefined };
      if (copy.images === undefined) delete copy.images;
      h.cards.push(copy);
    }
  }
  return h;
}
