/**
 * FITS header: an ordered list of cards (FITS Standard 4.0, §4).
 *
 * Cards parsed from a file keep their original 80-character images, so a header that is
 * read and written back without changes is byte-identical, including cards we do not
 * understand. A card whose value is changed through `set` is re-formatted.
 */
import { FitsError } from './errors.js';

export const CARD_LENGTH = 80;
export const BLOCK_LENGTH = 2880;
const CARDS_PER_BLOCK = BLOCK_LENGTH / CARD_LENGTH;
/** Headers longer than this are treated as corrupt rather than read forever. */
const MAX_HEADER_CARDS = 1_000_000;

export interface Complex {
  re: number;
  im: number;
}

/**
 * A card value. Integers that do not fit a double exactly are bigint; an undefined value
 * (`KEY     =` followed by blanks) is null.
 */
export type CardValue = string | number | bigint | boolean | Complex | null;

export interface Card {
  /** Upper-case keyword; for HIERARCH cards the words after 'HIERARCH', space separated. */
  keyword: string;
  /** Undefined for commentary cards (COMMENT, HISTORY, blank keyword, no value indicator). */
  value?: CardValue;
  comment?: string;
  /** True for ESO HIERARCH long-keyword cards. */
  hierarch?: boolean;
  /** Original card images (several for CONTINUE'd strings); written back verbatim. */
  images?: string[];
}

/** Anything that can answer keyword look-ups: the WCS and other readers take this. */
export interface HeaderLike {
  get(keyword: string): CardValue | undefined;
}

export interface ParseLocation {
  hdu?: number;
  /** Byte offset of the header's first card within the file. */
  offset?: number;
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);

export class Header implements HeaderLike {
  readonly cards: Card[];

  constructor(cards: Card[] = []) {
    this.cards = cards;
  }

  static fromCards(cards: Array<Omit<Card, 'images'>>): Header {
    return new Header(cards.map((c) => ({ ...c, keyword: normaliseKeyword(c.keyword) })));
  }

  /**
   * Parse a header starting at `start` in `bytes`. Returns the header and the number of
   * bytes it occupies (whole 2880-byte blocks, END included).
   */
  static parse(bytes: Uint8Array, start = 0, where: ParseLocation = {}): { header: Header; byteLength: number } {
    const raw: Card[] = [];
    const fileOffset = where.offset ?? start;
    let pos = start;
    let cardNo = 0;
    for (;;) {
      if (pos + CARD_LENGTH > bytes.length) {
        throw new FitsError('TRUNCATED', 'file ends inside the header (no END card)', {
          hdu: where.hdu,
          card: cardNo + 1,
          offset: fileOffset + (pos - start),
        });
      }
      cardNo++;
      if (cardNo > MAX_HEADER_CARDS) {
        throw new FitsError('TOO_LARGE', `header has more than ${MAX_HEADER_CARDS} cards`, { hdu: where.hdu });
      }
      const image = cardImage(bytes, pos, { hdu: where.hdu, card: cardNo, offset: fileOffset + (pos - start) });
      pos += CARD_LENGTH;
      // Columns 9-80 of END should be blank; a stray character there is not worth rejecting the file.
      if (image.startsWith('END     ')) break;
      raw.push(parseCard(image, { hdu: where.hdu, card: cardNo }));
    }
    const cards = joinContinuations(raw);
    const used = pos - start;
    const byteLength = Math.ceil(used / BLOCK_LENGTH) * BLOCK_LENGTH;
    if (start + byteLength > bytes.length) {
      throw new FitsError('TRUNCATED', `file ends inside the header's last block (END at byte ${fileOffset + used - CARD_LENGTH})`, {
        hdu: where.hdu,
        offset: fileOffset + (bytes.length - start),
      });
    }
    return { header: new Header(cards), byteLength };
  }

  /** First card with this keyword (HIERARCH keywords may be given with or without the prefix). */
  find(keyword: string): Card | undefined {
    const k = normaliseKeyword(keyword);
    for (const c of this.cards) if (c.keyword === k) return c;
    return undefined;
  }

  indexOf(keyword: string): number {
    const k = normaliseKeyword(keyword);
    return this.cards.findIndex((c) => c.keyword === k);
  }

  /** All cards with this keyword, in order. */
  findAll(keyword: string): Card[] {
    const k = normaliseKeyword(keyword);
    return this.cards.filter((c) => c.keyword === k);
  }

  has(keyword: string): boolean {
    return this.find(keyword)?.value !== undefined;
  }

  get(keyword: string): CardValue | undefined {
    return this.find(keyword)?.value;
  }

  /** Number value; integers given as bigint are converted. Throws if the value is not numeric. */
  getNumber(keyword: string, where: ParseLocation = {}): number | undefined {
    const v = this.get(keyword);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    throw new FitsError('BAD_VALUE', `expected a number, found ${describe(v)}`, {
      hdu: where.hdu,
      keyword: normaliseKeyword(keyword),
      card: this.indexOf(keyword) + 1,
    });
  }

  /** Integer value; throws if not an integer. */
  getInt(keyword: string, where: ParseLocation = {}): number | undefined {
    const n = this.getNumber(keyword, where);
    if (n === undefined) return undefined;
    if (!Number.isInteger(n)) {
      throw new FitsError('BAD_VALUE', `expected an integer, found ${n}`, {
        hdu: where.hdu,
        keyword: normaliseKeyword(keyword),
        card: this.indexOf(keyword) + 1,
      });
    }
    return n;
  }

  getString(keyword: string, where: ParseLocation = {}): string | undefined {
    const v = this.get(keyword);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    throw new FitsError('BAD_VALUE', `expected a string, found ${describe(v)}`, {
      hdu: where.hdu,
      keyword: normaliseKeyword(keyword),
      card: this.indexOf(keyword) + 1,
    });
  }

  getBool(keyword: string, where: ParseLocation = {}): boolean | undefined {
    const v = this.get(keyword);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    throw new FitsError('BAD_VALUE', `expected T or F, found ${describe(v)}`, {
      hdu: where.hdu,
      keyword: normaliseKeyword(keyword),
      card: this.indexOf(keyword) + 1,
    });
  }

  /** Like getInt but the card must be present. */
  requireInt(keyword: string, where: ParseLocation = {}): number {
    const n = this.getInt(keyword, where);
    if (n === undefined) {
      throw new FitsError('MISSING_CARD', 'required keyword missing', { hdu: where.hdu, keyword: normaliseKeyword(keyword) });
    }
    return n;
  }

  requireString(keyword: string, where: ParseLocation = {}): string {
    const s = this.getString(keyword, where);
    if (s === undefined) {
      throw new FitsError('MISSING_CARD', 'required keyword missing', { hdu: where.hdu, keyword: normaliseKeyword(keyword) });
    }
    return s;
  }

  /**
   * Set a value. An existing card is updated in place (its comment kept unless a new one
   * is given); otherwise a card is appended, or inserted before/after another keyword.
   */
  set(
    keyword: string,
    value: CardValue,
    comment?: string,
    position?: { before?: string; after?: string },
  ): this {
    const k = normaliseKeyword(keyword);
    const existing = this.find(k);
    if (existing) {
      existing.value = value;
      if (comment !== undefined) existing.comment = comment;
      delete existing.images;
      return this;
    }
    const card: Card = { keyword: k, value, comment, hierarch: isHierarchKeyword(keyword) || undefined };
    if (card.hierarch === undefined) delete card.hierarch;
    this.insert(card, position);
    return this;
  }

  /** Append a COMMENT or HISTORY card (or any commentary card). */
  addCommentary(keyword: 'COMMENT' | 'HISTORY' | '', text: string): this {
    // Long text is split over several cards, as astropy does.
    const width = CARD_LENGTH - 8;
    const chunks = text.length === 0 ? [''] : text.match(new RegExp(`.{1,${width}}`, 'g'))!;
    for (const chunk of chunks) this.cards.push({ keyword, comment: chunk });
    return this;
  }

  delete(keyword: string): boolean {
    const i = this.indexOf(keyword);
    if (i < 0) return false;
    this.cards.splice(i, 1);
    return true;
  }

  insert(card: Card, position?: { before?: string; after?: string }): void {
    if (position?.before !== undefined) {
      const i = this.indexOf(position.before);
      if (i >= 0) {
        this.cards.splice(i, 0, card);
        return;
      }
    }
    if (position?.after !== undefined) {
      const i = this.indexOf(position.after);
      if (i >= 0) {
        this.cards.splice(i + 1, 0, card);
        return;
      }
    }
    this.cards.push(card);
  }

  clone(): Header {
    return new Header(
      this.cards.map((c) => {
        const copy: Card = { ...c };
        if (c.images) copy.images = [...c.images];
        if (typeof c.value === 'object' && c.value !== null) copy.value = { ...c.value };
        return copy;
      }),
    );
  }

  /** Card images (80 characters each), END included, without block padding. */
  toCardImages(): string[] {
    const out: string[] = [];
    for (const c of this.cards) {
      if (c.images) out.push(...c.images);
      else out.push(...formatCard(c));
    }
    out.push('END'.padEnd(CARD_LENGTH));
    return out;
  }

  /** The header as bytes, padded with blanks to whole 2880-byte blocks. */
  toBytes(): Uint8Array {
    const images = this.toCardImages();
    const blocks = Math.ceil(images.length / CARDS_PER_BLOCK);
    const out = new Uint8Array(blocks * BLOCK_LENGTH).fill(0x20);
    let pos = 0;
    for (const img of images) {
      for (let i = 0; i < CARD_LENGTH; i++) out[pos + i] = img.charCodeAt(i);
      pos += CARD_LENGTH;
    }
    return out;
  }
}

// ---------------------------------------------------------------------------------------
// Parsing

function cardImage(bytes: Uint8Array, pos: number, loc: { hdu?: number; card: number; offset: number }): string {
  let s = '';
  for (let i = 0; i < CARD_LENGTH; i++) {
    const b = bytes[pos + i];
    if (b < 0x20 || b > 0x7e) {
      if (loc.card === 1 && loc.hdu === 0) throw new FitsError('NOT_FITS', 'not a FITS file (non-ASCII header)', { offset: 0 });
      throw new FitsError('BAD_CARD', `illegal byte 0x${b.toString(16).padStart(2, '0')} in header card column ${i + 1}`, {
        hdu: loc.hdu,
        card: loc.card,
        offset: loc.offset + i,
      });
    }
    s += String.fromCharCode(b);
  }
  return s;
}

function isHierarchKeyword(k: string): boolean {
  const u = k.trim().toUpperCase();
  return u.startsWith('HIERARCH ') || u.length > 8 || u.includes(' ');
}

/** Canonical form of a keyword for look-ups: upper case, HIERARCH prefix dropped, single spaces. */
export function normaliseKeyword(k: string): string {
  let u = k.trim().toUpperCase().replace(/\s+/g, ' ');
  if (u.startsWith('HIERARCH ')) u = u.slice(9);
  return u;
}

/** Parse one 80-character card image (not END). Exported for tests and fuzzing. */
export function parseCard(image: string, loc: { hdu?: number; card?: number } = {}): Card {
  const kw = image.slice(0, 8).trimEnd();
  const images = [image];
  if (kw === 'HIERARCH') {
    const eq = image.indexOf('=', 8);
    if (eq < 0) return { keyword: 'HIERARCH', comment: image.slice(8).trimEnd(), images };
    const keyword = normaliseKeyword(image.slice(9, eq));
    const { value, comment } = parseValueField(image.slice(eq + 1), { ...loc, keyword });
    return { keyword, value, comment, hierarch: true, images };
  }
  if (!/^[A-Z0-9_-]*$/.test(kw)) {
    throw new FitsError('BAD_CARD', `illegal keyword '${kw}' (allowed: A-Z 0-9 _ -)`, { ...loc });
  }
  if (COMMENTARY.has(kw)) {
    return { keyword: kw, comment: image.slice(8).trimEnd(), images };
  }
  if (kw === 'CONTINUE') {
    // Long-string continuation: a string value from column 11, no '='. Anything else on a
    // CONTINUE card (some writers use it as free text) is kept as commentary.
    const field = image.slice(8);
    if (field.trimStart().startsWith("'")) {
      try {
        const { value, comment } = parseValueField(field, { ...loc, keyword: kw });
        return { keyword: kw, value, comment, images };
      } catch {
        // fall through to commentary
      }
    }
    return { keyword: kw, comment: field.trimEnd(), images };
  }
  if (image.slice(8, 10) !== '= ') {
    // No value indicator: commentary card with a keyword.
    return { keyword: kw, comment: image.slice(8).trimEnd(), images };
  }
  const { value, comment } = parseValueField(image.slice(10), { ...loc, keyword: kw });
  return { keyword: kw, value, comment, images };
}

function parseValueField(field: string, loc: { hdu?: number; card?: number; keyword: string }): { value: CardValue; comment?: string } {
  let i = 0;
  while (i < field.length && field[i] === ' ') i++;
  if (i === field.length) return { value: null };
  if (field[i] === '/') return { value: null, comment: field.slice(i + 1).trim() };
  if (field[i] === "'") {
    let s = '';
    let j = i + 1;
    for (;;) {
      if (j >= field.length) throw new FitsError('BAD_CARD', 'string value has no closing quote', loc);
      if (field[j] === "'") {
        if (field[j + 1] === "'") {
          s += "'";
          j += 2;
          continue;
        }
        break;
      }
      s += field[j];
      j++;
    }
    const rest = field.slice(j + 1);
    return { value: s.replace(/ +$/, ''), comment: commentOf(rest, loc) };
  }
  // Non-string: value runs to '/' or end.
  const slash = field.indexOf('/', i);
  const text = (slash < 0 ? field.slice(i) : field.slice(i, slash)).trim();
  const comment = slash < 0 ? undefined : field.slice(slash + 1).trim();
  return { value: parseScalar(text, loc), comment };
}

function commentOf(rest: string, loc: { hdu?: number; card?: number; keyword: string }): string | undefined {
  const t = rest.trim();
  if (t === '') return undefined;
  if (!t.startsWith('/')) {
    throw new FitsError('BAD_CARD', `unexpected text after the string value: '${t.slice(0, 20)}'`, loc);
  }
  return t.slice(1).trim();
}

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;

function parseScalar(text: string, loc: { hdu?: number; card?: number; keyword: string }): CardValue {
  if (text === 'T') return true;
  if (text === 'F') return false;
  if (INT_RE.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n)) return n;
    return BigInt(text);
  }
  if (FLOAT_RE.test(text)) return Number(text.replace(/[Dd]/, 'E'));
  const m = /^\(\s*([^,]+?)\s*,\s*([^)]+?)\s*\)$/.exec(text);
  if (m && FLOAT_RE.test(m[1]) && FLOAT_RE.test(m[2])) {
    return { re: Number(m[1].replace(/[Dd]/, 'E')), im: Number(m[2].replace(/[Dd]/, 'E')) };
  }
  throw new FitsError('BAD_CARD', `cannot parse value '${text.slice(0, 30)}'`, loc);
}

/** Long-string convention: a string ending in '&' followed by CONTINUE cards is one value. */
function joinContinuations(raw: Card[]): Card[] {
  const out: Card[] = [];
  for (let i = 0; i < raw.length; i++) {
    const card = raw[i];
    while (
      typeof card.value === 'string' &&
      card.value.endsWith('&') &&
      !card.hierarch &&
      i + 1 < raw.length &&
      raw[i + 1].keyword === 'CONTINUE'
    ) {
      const cont = raw[++i];
      const piece = typeof cont.value === 'string' ? cont.value : '';
      card.value = card.value.slice(0, -1) + piece;
      if (cont.comment) card.comment = card.comment ? `${card.comment} ${cont.comment}` : cont.comment;
      card.images = [...(card.images ?? []), ...(cont.images ?? [])];
    }
    out.push(card);
  }
  return out;
}

function describe(v: CardValue): string {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'object' && v !== null) return `(${v.re}, ${v.im})`;
  return String(v);
}

// ---------------------------------------------------------------------------------------
// Formatting

/** Format a value as FITS free-format text (fixed-format position handled by the caller). */
export function formatValue(v: CardValue): string {
  if (v === null) return '';
  if (typeof v === 'boolean') return v ? 'T' : 'F';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return `'${v.replace(/'/g, "''").padEnd(8)}'`;
  return `(${formatNumber(v.re, true)}, ${formatNumber(v.im, true)})`;
}

function formatNumber(n: number, forceFloat = false): string {
  if (!Number.isFinite(n)) {
    throw new FitsError('BAD_VALUE', `cannot write ${n} in a FITS header`);
  }
  // Integers beyond 2^53 are written as reals so they read back as numbers, not bigints.
  if (Number.isSafeInteger(n) && !forceFloat) return n.toFixed(0);
  // Shortest representation that reads back to the same double, with an explicit decimal
  // point (so readers see a real). It may exceed the 20 fixed-format columns (up to 24
  // characters); free format allows that, and losing digits would not round-trip.
  let s = String(n).toUpperCase();
  if (!s.includes('.') && !s.includes('E')) s += '.0';
  if (s.includes('E') && !s.includes('.')) s = s.replace('E', '.0E');
  return s;
}

const KEYWORD_RE = /^[A-Z0-9_-]{0,8}$/;
const PRINTABLE_RE = /^[\x20-\x7e]*$/;

/** Card images for one card (several for a long string written with CONTINUE). */
export function formatCard(c: Card): string[] {
  const images = formatCardImages(c);
  for (const img of images) {
    if (!PRINTABLE_RE.test(img)) {
      throw new FitsError('BAD_VALUE', `card '${c.keyword}' has characters outside printable ASCII (FITS headers are ASCII 32-126)`, {
        keyword: c.keyword,
      });
    }
  }
  return images;
}

function formatCardImages(c: Card): string[] {
  const kw = c.keyword;
  if (c.value === undefined) {
    // Commentary card.
    const text = c.comment ?? '';
    if (kw.length > 8) throw new FitsError('BAD_VALUE', `commentary keyword '${kw}' longer than 8 characters`);
    return [(kw.padEnd(8) + text).slice(0, CARD_LENGTH).padEnd(CARD_LENGTH)];
  }
  if (c.hierarch || !KEYWORD_RE.test(kw)) {
    const head = `HIERARCH ${kw} = `;
    const value = formatValue(c.value);
    let img = head + value;
    if (c.comment) img += ` / ${c.comment}`;
    if (head.length + value.length > CARD_LENGTH) {
      throw new FitsError('BAD_VALUE', `HIERARCH card '${kw}' does not fit in 80 characters`);
    }
    return [img.slice(0, CARD_LENGTH).padEnd(CARD_LENGTH)];
  }
  if (typeof c.value === 'string') return formatStringCard(kw, c.value, c.comment);
  let value = formatValue(c.value);
  // Fixed format: numbers and logicals right-justified in columns 11–30.
  value = value.padStart(20);
  let img = kw.padEnd(8) + '= ' + value;
  if (c.comment !== undefined && c.comment !== '') img += ' / ' + c.comment;
  return [img.slice(0, CARD_LENGTH).padEnd(CARD_LENGTH)];
}

function formatStringCard(kw: string, value: string, comment?: string): string[] {
  const quoted = formatValue(value);
  // Like numbers, the value field is 20 columns wide when a comment follows (as cfitsio and
  // astropy write it; astropy's checksum verification re-formats CHECKSUM this way).
  const withComment = comment ? `${quoted.padEnd(20)} / ${comment}` : quoted;
  if (10 + quoted.length <= CARD_LENGTH) {
    return [(kw.padEnd(8) + '= ' + withComment).slice(0, CARD_LENGTH).padEnd(CARD_LENGTH)];
  }
  // Long string convention: pieces end in '&', continued on CONTINUE cards.
  const images: string[] = [];
  let rest = value;
  let first = true;
  while (rest.length > 0) {
    const room = CARD_LENGTH - 10 - 3; // after 'KEYWORD = ' or 'CONTINUE  ': two quotes and '&'
    let take = Math.min(rest.length, room);
    // Do not split an escaped quote across cards.
    let piece = rest.slice(0, take);
    while (escapedLength(piece) > room) {
      take--;
      piece = rest.slice(0, take);
    }
    rest = rest.slice(take);
    const more = rest.length > 0;
    const text = `'${piece.replace(/'/g, "''")}${more ? '&' : ''}'`;
    const prefix = first ? kw.padEnd(8) + '= ' : 'CONTINUE  ';
    images.push((prefix + text).padEnd(CARD_LENGTH).slice(0, CARD_LENGTH));
    first = false;
  }
  if (comment) {
    images.push(("CONTINUE  '' / " + comment).slice(0, CARD_LENGTH).padEnd(CARD_LENGTH));
    // The previous (last) piece must announce the continuation, even if the value itself
    // ends in '&' (readers drop exactly one). Its size left room for the '&'.
    const prev = images[images.length - 2];
    const close = prev.lastIndexOf("'");
    images[images.length - 2] = (prev.slice(0, close) + "&'" + prev.slice(close + 1)).slice(0, CARD_LENGTH);
  }
  return images;
}

function escapedLength(s: string): number {
  let n = s.length;
  for (const ch of s) if (ch === "'") n++;
  return n;
}

/**
 * Byte offset of the END card among the whole cards in bytes[start, end), or -1. Lets a
 * reader pull a header block by block and stop at the block that holds END.
 */
export function findEndCard(bytes: Uint8Array, start = 0, end = bytes.length): number {
  // 'END' followed by five blanks in columns 1-8.
  for (let p = start; p + CARD_LENGTH <= end; p += CARD_LENGTH) {
    if (bytes[p] === 0x45 && bytes[p + 1] === 0x4e && bytes[p + 2] === 0x44) {
      let blank = true;
      for (let i = 3; i < 8; i++) if (bytes[p + i] !== 0x20) blank = false;
      if (blank) return p;
    }
  }
  return -1;
}
