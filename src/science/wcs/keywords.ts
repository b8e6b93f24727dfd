/**
 * Typed look-ups of WCS keywords on any HeaderLike, with errors that name the card.
 */
import { Header, type CardValue, type HeaderLike } from '../fits/header.js';
import { WcsError } from './errors.js';

export interface KeywordReader {
  /** Number, or undefined when the card is absent or has no value. */
  number(keyword: string): number | undefined;
  /** Integer, or undefined when absent. */
  int(keyword: string): number | undefined;
  /** String (trailing blanks removed, as FITS says they are not significant), or undefined. */
  string(keyword: string): string | undefined;
  has(keyword: string): boolean;
  /** Error about a keyword, located at its card when the header can tell us where it is. */
  error(code: WcsError['code'], keyword: string, message: string): WcsError;
}

export function keywordReader(header: HeaderLike, hdu?: number): KeywordReader {
  const cardOf = (keyword: string): number | undefined => {
    if (header instanceof Header) {
      const i = header.indexOf(keyword);
      return i >= 0 ? i + 1 : undefined;
    }
    return undefined;
  };
  const error = (code: WcsError['code'], keyword: string, message: string): WcsError =>
    new WcsError(code, message, { hdu, keyword, card: cardOf(keyword) });
  const value = (keyword: string): CardValue | undefined => {
    const v = header.get(keyword);
    return v === null ? undefined : v;
  };
  const number = (keyword: string): number | undefined => {
    const v = value(keyword);
    if (v === undefined) return undefined;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw error('BAD_VALUE', keyword, `value ${v} is not a finite number`);
      return v;
    }
    if (typeof v === 'bigint') return Number(v);
    throw error('BAD_VALUE', keyword, `expected a number, found ${describe(v)}`);
  };
  return {
    number,
    int(keyword) {
      const n = number(keyword);
      if (n !== undefined && !Number.isInteger(n)) throw error('BAD_VALUE', keyword, `expected an integer, found ${n}`);
      return n;
    },
    string(keyword) {
      const v = value(keyword);
      if (v === undefined) return undefined;
      if (typeof v !== 'string') throw error('BAD_VALUE', keyword, `expected a string, found ${describe(v)}`);
      return v.replace(/ +$/, '');
    },
    has(keyword) {
      return value(keyword) !== undefined;
    },
    error,
  };
}

function describe(v: CardValue): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object' && v !== null) return `(${v.re}, ${v.im})`;
  return String(v);
}
