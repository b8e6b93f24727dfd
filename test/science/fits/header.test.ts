import { describe, expect, it } from 'vitest';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header, formatCard, parseCard, type Card, type CardValue } from '../../../src/science/fits/header.js';
import { parseFits } from '../../../src/science/fits/reader.js';
import { writeFits } from '../../../src/science/fits/writer.js';
import { ascii, expected, fixture, headerBlock, prng, text, type ExpectedCard } from './fits-core-helpers.js';

/** Our card in the shape astropy's reading was recorded in (expected.json). */
function asAstropy(c: Card): ExpectedCard {
  if (c.value === undefined) return { keyword: c.keyword, value: c.comment ?? '', comment: '' };
  const v: CardValue = c.value;
  let value: ExpectedCard['value'];
  if (v === null) value = { undefined: true };
  else if (typeof v === 'bigint') value = { bigint: v.toString() };
  else if (typeof v === 'object') value = { re: v.re, im: v.im };
  else value = v;
  return { keyword: c.keyword, value, comment: c.comment ?? '' };
}

function expectFitsError(fn: () => unknown, code: string): FitsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    expect((e as FitsError).code).toBe(code);
    return e as FitsError;
  }
  throw new Error(`expected FitsError ${code}, nothing thrown`);
}

describe('Header.parse against astropy', () => {
  const bytes = fixture('headers.fits');
  const { header, byteLength } = Header.parse(bytes);

  it('reads every kind of card as astropy does', () => {
    expect(header.cards.map(asAstropy)).toEqual(expected.headers.cards);
  });

  it('occupies whole blocks', () => {
    expect(byteLength % 2880).toBe(0);
    expect(byteLength).toBe(parseFits(bytes)[0].dataOffset);
  });

  it('gives typed values through the accessors', () => {
    expect(header.getInt('NAXIS1')).toBe(3);
    expect(header.getString('OBSERVER')).toBe("O'Hara and D'Arcy");
    expect(header.get('BIGINT')).toBe(12345678901234567890n);
    expect(header.getNumber('DEXP')).toBe(1e10);
    expect(header.getBool('LOGF')).toBe(false);
    expect(header.get('UNDEF')).toBeNull();
    expect(header.has('UNDEF')).toBe(true);
    expect(header.has('NOPE')).toBe(false);
    expect(header.get('hierarch eso det dit')).toBe(1.5);
    expect(header.get('ESO DET DIT')).toBe(1.5);
    expect(header.find('LONGSTR')?.images).toHaveLength(3);
    expect(header.findAll('COMMENT')).toHaveLength(2);
  });

  it('writes an unmodified header back byte for byte', () => {
    expect(header.toBytes()).toEqual(bytes.subarray(0, byteLength));
  });

  it('writes the whole unmodified file back byte for byte', () => {
    const [hdu] = parseFits(bytes);
    const data = bytes.subarray(hdu.dataOffset, hdu.dataOffset + hdu.dataByteLength);
    expect(writeFits([{ header: hdu.header, data }])).toEqual(bytes);
  });

  it('re-formats only the cards that were changed', () => {
    const h = header.clone();
    h.set('INTVAL', 43);
    const before = header.toCardImages();
    const after = h.toCardImages();
    const changed = before.map((img, i) => (img === after[i] ? -1 : i)).filter((i) => i >= 0);
    expect(changed).toEqual([header.indexOf('INTVAL')]); // no CONTINUE before INTVAL, so card index = image index
    expect(after[changed[0]]).toBe('INTVAL  =                   43 / an integer'.padEnd(80));
  });
});

describe('card formatting', () => {
  const roundTrip = (c: Card): Card => {
    const images = formatCard(c);
    for (const img of images) expect(img).toHaveLength(80);
    const block = headerBlock(images);
    return Header.parse(block).header.cards[0];
  };

  it('writes fixed-format values in columns 11-30', () => {
    expect(formatCard({ keyword: 'NAXIS1', value: 100 })[0]).toBe('NAXIS1  =                  100'.padEnd(80));
    expect(formatCard({ keyword: 'SIMPLE', value: true, comment: 'c' })[0]).toBe('SIMPLE  =                    T / c'.padEnd(80));
    expect(formatCard({ keyword: 'OBJECT', value: 'M13' })[0]).toBe("OBJECT  = 'M13     '".padEnd(80));
    expect(formatCard({ keyword: 'OBJECT', value: 'M13', comment: 'x' })[0]).toBe("OBJECT  = 'M13     '           / x".padEnd(80));
    expect(formatCard({ keyword: 'UNDEF', value: null })[0]).toBe('UNDEF   ='.padEnd(80));
    expect(formatCard({ keyword: 'C', value: { re: 1, im: -2.5 } })[0]).toBe('C       =          (1.0, -2.5)'.padEnd(80));
    expect(formatCard({ keyword: 'COMMENT', comment: ' hello' })[0]).toBe('COMMENT  hello'.padEnd(80));
  });

  it('round-trips doubles exactly', () => {
    const rnd = prng(7);
    for (let i = 0; i < 2000; i++) {
      const mag = Math.floor(rnd() * 600) - 300;
      const v = (rnd() - 0.5) * 10 ** mag;
      const back = roundTrip({ keyword: 'X', value: v }).value;
      expect(back).toBe(v);
    }
    for (const v of [0, -0.5, 1e21, 1e-7, Number.MAX_VALUE, Number.MIN_VALUE, 2 ** 53 + 2, -123456789012]) {
      expect(roundTrip({ keyword: 'X', value: v }).value).toBe(v);
    }
  });

  it('round-trips bigints, logicals, complex, undefined', () => {
    expect(roundTrip({ keyword: 'X', value: -9223372036854775808n }).value).toBe(-9223372036854775808n);
    expect(roundTrip({ keyword: 'X', value: false }).value).toBe(false);
    expect(roundTrip({ keyword: 'X', value: { re: 0.1, im: -1e300 } }).value).toEqual({ re: 0.1, im: -1e300 });
    const u = roundTrip({ keyword: 'X', value: null, comment: 'why' });
    expect(u.value).toBeNull();
    expect(u.comment).toBe('why');
  });

  it('refuses values that cannot be written', () => {
    expectFitsError(() => formatCard({ keyword: 'X', value: NaN }), 'BAD_VALUE');
    expectFitsError(() => formatCard({ keyword: 'X', value: Infinity }), 'BAD_VALUE');
    expectFitsError(() => formatCard({ keyword: 'X', value: 'café' }), 'BAD_VALUE');
    expectFitsError(() => formatCard({ keyword: 'X', value: 'tab\there' }), 'BAD_VALUE');
    expectFitsError(() => formatCard({ keyword: 'A'.repeat(70), value: 'x'.repeat(20), hierarch: true }), 'BAD_VALUE');
    expectFitsError(() => formatCard({ keyword: 'LONGCOMMENTARY', comment: 'x' }), 'BAD_VALUE');
  });

  it('round-trips strings, with quotes and with CONTINUE for long ones', () => {
    const rnd = prng(11);
    const alphabet = "abc XYZ 019'&/=()-_";
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(rnd() * 300);
      let s = '';
      for (let k = 0; k < len; k++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      s = s.replace(/ +$/, ''); // trailing blanks are not significant in FITS strings
      const comment = rnd() < 0.5 ? 'a comment' : undefined;
      const c = roundTrip({ keyword: 'LONGSTR', value: s, comment });
      expect(c.value).toBe(s);
      // A comment that does not fit beside the value is cut (as astropy does), never garbled.
      if (comment) expect(comment.startsWith(c.comment ?? '')).toBe(true);
      // And the same through a full header with cards after it.
      const h = new Header([{ keyword: 'LONGSTR', value: s, comment }, { keyword: 'NEXT', value: 1 }]);
      const parsed = Header.parse(h.toBytes()).header;
      expect(parsed.get('LONGSTR')).toBe(s);
      expect(parsed.get('NEXT')).toBe(1);
      expect(parsed.cards).toHaveLength(2);
    }
  });

  it('writes HIERARCH cards for long keywords and keywords with spaces', () => {
    const h = new Header();
    h.set('ESO DET DIT', 2.5, 'exposure');
    h.set('hierarch eso ins filt1 name', 'V');
    h.set('VERYLONGKEYWORD', 3);
    const images = h.toCardImages();
    expect(images[0]).toBe('HIERARCH ESO DET DIT = 2.5 / exposure'.padEnd(80));
    expect(images[1].startsWith("HIERARCH ESO INS FILT1 NAME = 'V       '")).toBe(true);
    const back = Header.parse(h.toBytes()).header;
    expect(back.get('ESO DET DIT')).toBe(2.5);
    expect(back.get('ESO INS FILT1 NAME')).toBe('V');
    expect(back.get('VERYLONGKEYWORD')).toBe(3);
  });

  it('astropy reads the cards our writer formats as we meant them', () => {
    // ours-u16.fits was written by our writer; astropy's reading of it is in expected.json.
    const cards = expected.ours['ours-u16.fits'][0].cards;
    const byKey = new Map(cards.map((c) => [c.keyword, c]));
    expect(byKey.get('OBJECT')).toEqual({ keyword: 'OBJECT', value: 'checksum test', comment: 'target' });
    expect(byKey.get('FILTER')?.value).toBe("B'");
    expect(byKey.get('EXPTIME')?.value).toBe(120.5);
    expect(byKey.get('GAIN')?.value).toBe(1.25e-3);
    expect(byKey.get('CPLX')?.value).toEqual({ re: 1.5, im: -2 });
    expect(byKey.get('UNDEF')?.value).toEqual({ undefined: true });
    expect(byKey.get('LONGSTR')).toEqual({
      keyword: 'LONGSTR',
      value: 'A long string value that needs the CONTINUE convention because it does not fit in one card at all.',
      comment: 'long',
    });
    expect(byKey.get('ESO DET DIT')).toEqual({ keyword: 'ESO DET DIT', value: 1.5, comment: 'HIERARCH keyword' });
    expect(cards.filter((c) => c.keyword === 'HISTORY').map((c) => c.value).join('')).toBe('x'.repeat(100));
  });
});

describe('parseCard details', () => {
  it('treats a CONTINUE card that is not a string as commentary', () => {
    const c = parseCard('CONTINUE  this is free text'.padEnd(80));
    expect(c.value).toBeUndefined();
    expect(c.comment).toBe('  this is free text');
  });

  it('does not join a CONTINUE that follows a string without &', () => {
    const h = Header.parse(headerBlock(["A       = 'abc'", "CONTINUE  'def'"])).header;
    expect(h.get('A')).toBe('abc');
    expect(h.cards).toHaveLength(2);
  });

  it('a card without "= " in columns 9-10 has no value', () => {
    const c = parseCard("KEY     ='x'".padEnd(80));
    expect(c.value).toBeUndefined();
  });

  it('accepts END with stray characters after it', () => {
    const block = ascii(['SIMPLE  =                    T', 'END     x'].map((c) => c.padEnd(80)).join('').padEnd(2880));
    expect(Header.parse(block).header.cards).toHaveLength(1);
  });
});

describe('Header.parse errors carry code and location', () => {
  const good = ['SIMPLE  =                    T', 'BITPIX  =                    8', 'NAXIS   =                    0'];

  it('non-ASCII byte in a card → BAD_CARD with card number and byte offset', () => {
    const block = headerBlock(good);
    block[80 + 40] = 0xe9;
    const e = expectFitsError(() => Header.parse(block, 0, { hdu: 2, offset: 5760 }), 'BAD_CARD');
    expect(e.location).toMatchObject({ hdu: 2, card: 2, offset: 5760 + 120 });
  });

  it('binary garbage at the start of a file → NOT_FITS', () => {
    const block = new Uint8Array(2880).fill(0x01);
    expectFitsError(() => Header.parse(block, 0, { hdu: 0 }), 'NOT_FITS');
  });

  it('lower-case or punctuated keyword → BAD_CARD', () => {
    const e = expectFitsError(() => Header.parse(headerBlock([...good, 'lower   =                    1'])), 'BAD_CARD');
    expect(e.location.card).toBe(4);
    expectFitsError(() => Header.parse(headerBlock([...good, 'A.B     =                    1'])), 'BAD_CARD');
  });

  it('unparseable values → BAD_CARD', () => {
    for (const card of ["S       = 'no closing quote", 'N       = 12abc', 'N       = 1.2.3', "S       = 'a' b", 'N       = (1, )', 'L       = TRUE']) {
      const e = expectFitsError(() => Header.parse(headerBlock([...good, card]), 0, { hdu: 1 }), 'BAD_CARD');
      expect(e.location).toMatchObject({ hdu: 1, card: 4, keyword: card.slice(0, 8).trim() });
    }
  });

  it('no END card → TRUNCATED', () => {
    const block = ascii(good.map((c) => c.padEnd(80)).join('').padEnd(2880));
    const e = expectFitsError(() => Header.parse(block, 0, { hdu: 0 }), 'TRUNCATED');
    expect(e.location.offset).toBe(2880);
  });

  it('END present but block padding cut off → TRUNCATED', () => {
    const block = headerBlock(good).subarray(0, 400);
    expectFitsError(() => Header.parse(block), 'TRUNCATED');
  });

  it('typed accessors reject the wrong type', () => {
    const h = Header.parse(headerBlock([...good, "S       = 'text'", 'F       = 1.5'])).header;
    expectFitsError(() => h.getNumber('S'), 'BAD_VALUE');
    expectFitsError(() => h.getInt('F'), 'BAD_VALUE');
    expectFitsError(() => h.getBool('F'), 'BAD_VALUE');
    expectFitsError(() => h.getString('F'), 'BAD_VALUE');
    const e = expectFitsError(() => h.requireInt('NAXIS1', { hdu: 3 }), 'MISSING_CARD');
    expect(e.location).toMatchObject({ hdu: 3, keyword: 'NAXIS1' });
    expect(e.message).toContain("HDU 3 'NAXIS1'");
  });
});

describe('editing', () => {
  it('set updates in place, keeps the comment, inserts before/after', () => {
    const h = Header.fromCards([
      { keyword: 'SIMPLE', value: true },
      { keyword: 'BITPIX', value: 8, comment: 'bits' },
      { keyword: 'NAXIS', value: 0 },
    ]);
    h.set('BITPIX', 16);
    expect(h.find('BITPIX')).toMatchObject({ value: 16, comment: 'bits' });
    h.set('EXTEND', true, undefined, { after: 'NAXIS' });
    h.set('FIRST', 1, undefined, { before: 'SIMPLE' });
    expect(h.cards.map((c) => c.keyword)).toEqual(['FIRST', 'SIMPLE', 'BITPIX', 'NAXIS', 'EXTEND']);
    expect(h.delete('FIRST')).toBe(true);
    expect(h.delete('FIRST')).toBe(false);
    h.addCommentary('HISTORY', 'y'.repeat(150));
    expect(h.findAll('HISTORY').map((c) => c.comment)).toEqual(['y'.repeat(72), 'y'.repeat(72), 'y'.repeat(6)]);
  });

  it('clone is independent of the original', () => {
    const h = Header.parse(fixture('headers.fits')).header;
    const c = h.clone();
    c.set('OBJECT', 'changed');
    (c.get('CPLX') as { re: number }).re = 99;
    expect(h.get('OBJECT')).toBe('M13');
    expect((h.get('CPLX') as { re: number }).re).toBe(1.5);
    expect(text(h.toBytes())).toBe(text(fixture('headers.fits').subarray(0, h.toBytes().length)));
  });
});
