/**
 * Header-Data Units: what kind of HDU a header describes and how many bytes its data unit
 * takes (FITS Standard 4.0, §4.4.1 and §7). The mandatory keywords are validated here,
 * once, before anything is read or allocated.
 */
import { FitsError, MAX_DATA_BYTES, type FitsLocation } from './errors.js';
import { BLOCK_LENGTH, type Header } from './header.js';

/** 'unknown' is a conforming extension we do not interpret (XTENSION = 'FOREIGN', ...): it is skipped. */
export type HduType = 'image' | 'bintable' | 'table' | 'compressed-image' | 'unknown';

export interface HduInfo {
  /** 0-based position in the file (0 = primary). */
  index: number;
  type: HduType;
  header: Header;
  /** Byte offset of the first header card in the file. */
  headerOffset: number;
  /** Byte offset of the data unit (end of the header's last 2880-byte block). */
  dataOffset: number;
  /** Data unit size without padding; includes the heap (PCOUNT). */
  dataByteLength: number;
  /** Data unit size rounded up to whole 2880-byte blocks. */
  paddedDataByteLength: number;
}

export const VALID_BITPIX: ReadonlySet<number> = new Set([8, 16, 32, 64, -32, -64]);

/** Keywords whose repetition would make the layout or the pixel values ambiguous. */
const STRUCTURAL = new Set([
  'SIMPLE',
  'XTENSION',
  'BITPIX',
  'NAXIS',
  'PCOUNT',
  'GCOUNT',
  'GROUPS',
  'EXTEND',
  'BSCALE',
  'BZERO',
  'BLANK',
  'TFIELDS',
  'THEAP',
  'ZIMAGE',
]);
const NAXISN_RE = /^NAXIS[1-9][0-9]{0,2}$/;

export function paddedLength(n: number): number {
  return Math.ceil(n / BLOCK_LENGTH) * BLOCK_LENGTH;
}

/** The XTENSION value (trimmed, upper case), or undefined for a primary header. */
export function extensionName(header: Header): string | undefined {
  const first = header.cards[0];
  if (first?.keyword !== 'XTENSION' || typeof first.value !== 'string') return undefined;
  return first.value.trim().toUpperCase();
}

/** What a header describes. Does not validate; `dataByteLength` does. */
export function hduType(header: Header): HduType {
  const first = header.cards[0];
  if (first?.keyword === 'SIMPLE') return 'image';
  switch (extensionName(header)) {
    case 'IMAGE':
    case 'IUEIMAGE': // the experimental name IMAGE had before it was standardised
      return 'image';
    case 'TABLE':
      return 'table';
    case 'BINTABLE':
    case 'A3DTABLE': // likewise for BINTABLE
      return header.get('ZIMAGE') === true ? 'compressed-image' : 'bintable';
    default:
      return 'unknown';
  }
}

/** True for the (deprecated) random-groups structure in a primary HDU (§6). */
export function isRandomGroups(header: Header): boolean {
  return header.cards[0]?.keyword === 'SIMPLE' && header.get('GROUPS') === true && header.get('NAXIS1') === 0;
}

/** NAXIS1..NAXISn; assumes a header already validated by `dataByteLength`. */
export function imageAxes(header: Header): number[] {
  const n = header.getInt('NAXIS') ?? 0;
  const axes: number[] = [];
  for (let i = 1; i <= n; i++) axes.push(header.getInt(`NAXIS${i}`) ?? 0);
  return axes;
}

/** Multiply sizes, refusing anything above MAX_DATA_BYTES before it can overflow or be allocated. */
export function checkedProduct(factors: number[], loc: FitsLocation, what: string): number {
  let p = 1;
  for (const f of factors) if (f === 0) return 0;
  for (const f of factors) {
    p *= f;
    if (p > MAX_DATA_BYTES) {
      throw new FitsError('TOO_LARGE', `${what} exceeds ${MAX_DATA_BYTES} bytes (dimensions ${factors.join(' × ')})`, loc);
    }
  }
  return p;
}

/**
 * Size in bytes of the data unit described by `header`, without padding:
 * |BITPIX|/8 × GCOUNT × (PCOUNT + NAXIS1 × … × NAXISn) (§4.4.1.1; random groups omit NAXIS1).
 * Validates the mandatory keywords — presence, order, legal values, no duplicates — and
 * refuses sizes above MAX_DATA_BYTES.
 */
export function dataByteLength(header: Header, hduIndex: number): number {
  const cards = header.cards;
  const hdu = hduIndex;
  const at = (i: number, keyword: string): void => {
    const c = cards[i];
    if (c === undefined || c.keyword !== keyword || c.hierarch || c.value === undefined) {
      const present = header.indexOf(keyword);
      const found = c === undefined ? 'end of header' : `'${c.keyword}'`;
      throw new FitsError(
        'MISSING_CARD',
        present >= 0 && !header.cards[present].hierarch
          ? `${keyword} must be card ${i + 1}, found at card ${present + 1}`
          : `required keyword ${keyword} missing (expected as card ${i + 1}, found ${found})`,
        { hdu, card: i + 1, keyword },
      );
    }
  };
  const intAt = (i: number, keyword: string, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    at(i, keyword);
    const v = cards[i].value;
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isInteger(n)) {
      throw new FitsError('BAD_VALUE', `${keyword} must be an integer`, { hdu, card: i + 1, keyword });
    }
    if (n < min || n > max) {
      const tooBig = n > max && keyword.startsWith('NAXIS') && keyword !== 'NAXIS';
      throw new FitsError(
        tooBig ? 'TOO_LARGE' : 'BAD_VALUE',
        `${keyword} = ${n} is out of range (${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max})`,
        { hdu, card: i + 1, keyword },
      );
    }
    return n;
  };

  checkDuplicates(header, hdu);

  const first = cards[0];
  const primary = hduIndex === 0;
  if (primary) {
    if (first?.keyword !== 'SIMPLE') {
      throw new FitsError('NOT_FITS', `not a FITS file: first card is '${first?.keyword ?? ''}', not SIMPLE`, { hdu, card: 1, offset: 0 });
    }
    if (first.value !== true) {
      throw new FitsError('NOT_FITS', 'SIMPLE is not T: the file does not conform to the FITS standard', { hdu, card: 1, keyword: 'SIMPLE' });
    }
  } else {
    if (first?.keyword !== 'XTENSION') {
      throw new FitsError('MISSING_CARD', `extension header must start with XTENSION, found '${first?.keyword ?? ''}'`, {
        hdu,
        card: 1,
        keyword: 'XTENSION',
      });
    }
    if (typeof first.value !== 'string' || first.value.trim() === '') {
      throw new FitsError('BAD_VALUE', 'XTENSION must be a non-empty string', { hdu, card: 1, keyword: 'XTENSION' });
    }
  }

  const bitpix = intAt(1, 'BITPIX', -64, 64);
  if (!VALID_BITPIX.has(bitpix)) {
    throw new FitsError('BAD_VALUE', `illegal BITPIX ${bitpix} (allowed: 8, 16, 32, 64, -32, -64)`, { hdu, card: 2, keyword: 'BITPIX' });
  }
  const naxis = intAt(2, 'NAXIS', 0, 999);
  const axes: number[] = [];
  for (let i = 1; i <= naxis; i++) axes.push(intAt(2 + i, `NAXIS${i}`, 0, MAX_DATA_BYTES));

  let pcount = 0;
  let gcount = 1;
  const loc = { hdu };
  if (!primary) {
    pcount = intAt(3 + naxis, 'PCOUNT', 0, MAX_DATA_BYTES);
    gcount = intAt(4 + naxis, 'GCOUNT', 0, MAX_DATA_BYTES);
    const xt = extensionName(header);
    const need = (ok: boolean, keyword: string, what: string): void => {
      if (!ok) throw new FitsError('BAD_VALUE', `${what} in a ${xt} extension`, { hdu, card: header.indexOf(keyword) + 1, keyword });
    };
    if (xt === 'IMAGE') {
      need(pcount === 0, 'PCOUNT', 'PCOUNT must be 0');
      need(gcount === 1, 'GCOUNT', 'GCOUNT must be 1');
    } else if (xt === 'TABLE' || xt === 'BINTABLE') {
      need(bitpix === 8, 'BITPIX', 'BITPIX must be 8');
      need(naxis === 2, 'NAXIS', 'NAXIS must be 2');
      need(gcount === 1, 'GCOUNT', 'GCOUNT must be 1');
      if (xt === 'TABLE') need(pcount === 0, 'PCOUNT', 'PCOUNT must be 0');
    }
  } else if (isRandomGroups(header)) {
    pcount = header.getInt('PCOUNT', loc) ?? 0;
    gcount = header.getInt('GCOUNT', loc) ?? 1;
    if (pcount < 0 || gcount < 0) {
      throw new FitsError('BAD_VALUE', 'PCOUNT and GCOUNT must be non-negative', { hdu, keyword: pcount < 0 ? 'PCOUNT' : 'GCOUNT' });
    }
    const perGroup = pcount + checkedProduct(axes.slice(1), loc, 'group size');
    return checkedProduct([Math.abs(bitpix) / 8, gcount, perGroup], loc, 'data unit');
  }

  if (naxis === 0 && pcount === 0) return 0;
  const pixels = naxis === 0 ? 0 : checkedProduct(axes, loc, 'data unit');
  return checkedProduct([Math.abs(bitpix) / 8, gcount, pcount + pixels], loc, 'data unit');
}

function checkDuplicates(header: Header, hdu: number): void {
  const seen = new Map<string, number>();
  const cards = header.cards;
  for (let i = 0; i < cards.length; i++) {
    const c = cards[i];
    if (c.hierarch || c.value === undefined) continue;
    // SIMPLE and XTENSION are each other's duplicates: one HDU, one first card.
    const k = c.keyword === 'XTENSION' ? 'SIMPLE' : c.keyword;
    if (!STRUCTURAL.has(k) && !NAXISN_RE.test(k)) continue;
    const prev = seen.get(k);
    if (prev !== undefined) {
      throw new FitsError('DUPLICATE_CARD', `${c.keyword} appears again (first at card ${prev + 1})`, { hdu, card: i + 1, keyword: c.keyword });
    }
    seen.set(k, i);
  }
}

/** Describe an HDU whose header has been parsed; validates it (see `dataByteLength`). */
export function describeHdu(header: Header, index: number, headerOffset: number, headerByteLength: number): HduInfo {
  const length = dataByteLength(header, index);
  return {
    index,
    type: hduType(header),
    header,
    headerOffset,
    dataOffset: headerOffset + headerByteLength,
    dataByteLength: length,
    paddedDataByteLength: paddedLength(length),
  };
}
