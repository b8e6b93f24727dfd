/**
 * Binary-table column formats, TFORMn = 'rTa' (FITS Standard 4.0, §7.3.1, Table 18).
 *
 * r is the repeat count (default 1), T the type letter, a optional characters the
 * standard leaves undefined. Variable-length array descriptors are written 'rPt(emax)'
 * or 'rQt(emax)', where t is the element type and emax the largest array length.
 */
import { FitsError } from './errors.js';

export type TformType = 'L' | 'X' | 'B' | 'I' | 'J' | 'K' | 'A' | 'E' | 'D' | 'C' | 'M' | 'P' | 'Q';
export type ElementType = Exclude<TformType, 'P' | 'Q'>;

export interface ColumnFormat {
  repeat: number;
  type: TformType;
  /** Element type of a variable-length array column (P or Q). */
  varType?: ElementType;
  /** Largest array length, the 'emax' of 'Pt(emax)', when given. */
  varMax?: number;
}

/** Bytes per element in a row (X is handled by {@link fieldBytes}: bits are packed). */
export const ELEMENT_BYTES: Readonly<Record<TformType, number>> = {
  L: 1,
  X: 1,
  B: 1,
  I: 2,
  J: 4,
  K: 8,
  A: 1,
  E: 4,
  D: 8,
  C: 8,
  M: 16,
  P: 8,
  Q: 16,
};

/** Repeat counts above this are treated as corrupt: no real row is 2 GB wide. */
const MAX_REPEAT = 2 ** 31 - 1;

const TYPE_LETTERS = 'LXBIJKAEDCMPQ';

/** Parse a TFORMn value. Bad syntax throws FitsError 'BAD_VALUE'. */
export function parseTform(tform: string, where: { hdu?: number; column?: number } = {}): ColumnFormat {
  const loc = { hdu: where.hdu, column: where.column, keyword: where.column !== undefined ? `TFORM${where.column}` : undefined };
  const bad = (why: string): FitsError => new FitsError('BAD_VALUE', `bad TFORM '${tform}': ${why}`, loc);
  const s = tform.trim().toUpperCase();
  const m = /^(\d*)([A-Z])(.*)$/.exec(s);
  if (!m) throw bad('expected a repeat count and a type letter (e.g. 1E, 20A, 1PB(100))');
  const repeat = m[1] === '' ? 1 : Number(m[1]);
  if (!Number.isSafeInteger(repeat) || repeat > MAX_REPEAT) throw bad(`repeat count ${m[1]} too large`);
  const letter = m[2];
  if (!TYPE_LETTERS.includes(letter)) throw bad(`unknown type '${letter}'`);
  const type = letter as TformType;
  if (type !== 'P' && type !== 'Q') {
    // Trailing characters ('a' in rTa, e.g. the rAw substring convention) carry no structure.
    return { repeat, type };
  }
  if (repeat > 1) throw bad('a variable-length array descriptor has a repeat count of 0 or 1');
  const v = /^([A-Z])(?:\((\d*)\))?\s*$/.exec(m[3]);
  if (!v) throw bad(`expected ${type}t(emax) with an element type t`);
  const elem = v[1];
  if (!TYPE_LETTERS.includes(elem) || elem === 'P' || elem === 'Q') {
    throw bad(`bad element type '${elem}' for a variable-length array`);
  }
  const f: ColumnFormat = { repeat, type, varType: elem as ElementType };
  if (v[2] !== undefined && v[2] !== '') {
    const max = Number(v[2]);
    if (!Number.isSafeInteger(max)) throw bad('emax too large');
    f.varMax = max;
  }
  return f;
}

/** The TFORMn text for a format ('1E', '20A', '1PB(120)'). */
export function formatTform(f: ColumnFormat): string {
  if (f.type === 'P' || f.type === 'Q') {
    if (f.varType === undefined) throw new FitsError('BAD_ARGUMENT', `${f.type} format needs an element type`);
    return `${f.repeat}${f.type}${f.varType}${f.varMax !== undefined ? `(${f.varMax})` : ''}`;
  }
  return `${f.repeat}${f.type}`;
}

/** Width of the field in a table row, in bytes. */
export function fieldBytes(f: ColumnFormat): number {
  if (f.type === 'X') return Math.ceil(f.repeat / 8);
  return f.repeat * ELEMENT_BYTES[f.type];
}

/** Bytes that `count` elements of `type` occupy (in a row or in the heap). */
export function elementsBytes(type: ElementType, count: number): number {
  if (type === 'X') return Math.ceil(count / 8);
  return count * ELEMENT_BYTES[type];
}
