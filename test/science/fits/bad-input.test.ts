/**
 * Bad input: every case is a FitsError with a code and a location, found before anything
 * large is allocated. Each case goes through both the synchronous scan (parseFits) and
 * FitsReader over a ByteSource, which must agree.
 */
import { describe, expect, it } from 'vitest';
import { FitsError, type FitsLocation } from '../../../src/science/fits/errors.js';
import { dataByteLength } from '../../../src/science/fits/hdu.js';
import { Header } from '../../../src/science/fits/header.js';
import { FitsReader, parseFits } from '../../../src/science/fits/reader.js';
import { imageHdu, writeFits } from '../../../src/science/fits/writer.js';
import { ascii, fixture, headerBlock, recordingSource } from './fits-core-helpers.js';

const IMAGE = ['SIMPLE  =                    T', 'BITPIX  =                   16', 'NAXIS   =                    2', 'NAXIS1  =                    4', 'NAXIS2  =                    3'];
const EXT = ["XTENSION= 'IMAGE   '", 'BITPIX  =                  -32', 'NAXIS   =                    1', 'NAXIS1  =                    5', 'PCOUNT  =                    0', 'GCOUNT  =                    1'];

/** A file from header card lists, each followed by a zero data unit of the stated size. */
function file(...hdus: Array<{ cards: string[]; data?: number }>): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const h of hdus) {
    parts.push(headerBlock(h.cards));
    const n = h.data ?? 0;
    parts.push(new Uint8Array(Math.ceil(n / 2880) * 2880));
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function replaceCard(cards: string[], keyword: string, card: string): string[] {
  return cards.map((c) => (c.startsWith(keyword.padEnd(8)) ? card : c));
}

/** Both scanners throw the same FitsError; returns it. */
async function scanError(bytes: Uint8Array): Promise<FitsError> {
  let sync: unknown;
  try {
    parseFits(bytes);
  } catch (e) {
    sync = e;
  }
  expect(sync).toBeInstanceOf(FitsError);
  let async_: unknown;
  try {
    await FitsReader.open(bytes);
  } catch (e) {
    async_ = e;
  }
  expect(async_).toBeInstanceOf(FitsError);
  expect((async_ as FitsError).code).toBe((sync as FitsError).code);
  expect((async_ as FitsError).location).toEqual((sync as FitsError).location);
  return sync as FitsError;
}

async function expectScanError(bytes: Uint8Array, code: string, location: FitsLocation): Promise<FitsError> {
  const e = await scanError(bytes);
  expect(e.code).toBe(code);
  expect(e.location).toMatchObject(location);
  return e;
}

describe('not FITS', () => {
  it('empty, text, PNG, binary, and SIMPLE = F', async () => {
    await expectScanError(new Uint8Array(0), 'NOT_FITS', { offset: 0 });
    await expectScanError(ascii('hello world, this is not a FITS file\n'.repeat(100)), 'NOT_FITS', { offset: 0 });
    await expectScanError(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new Uint8Array(3000)), 'NOT_FITS', { offset: 0 });
    await expectScanError(new Uint8Array(5760).fill(0xff), 'NOT_FITS', { offset: 0 });
    await expectScanError(file({ cards: replaceCard(IMAGE, 'SIMPLE', 'SIMPLE  =                    F'), data: 24 }), 'NOT_FITS', { hdu: 0, card: 1 });
    await expectScanError(file({ cards: [...EXT] }), 'NOT_FITS', { offset: 0 });
  });
});

describe('truncated files', () => {
  const good = writeFits([imageHdu(new Int16Array(2000), [50, 40]), imageHdu(new Float32Array(30), [5, 6], { primary: false })]);
  const hdus = parseFits(good);

  it('in the first header', async () => {
    await expectScanError(good.subarray(0, 1000), 'TRUNCATED', { hdu: 0, offset: 1000 });
    await expectScanError(good.subarray(0, 300), 'TRUNCATED', { hdu: 0, offset: 240 }); // the first incomplete card
    await expectScanError(good.subarray(0, 7), 'NOT_FITS', { offset: 0 });
  });

  it('in the primary data unit', async () => {
    const cut = hdus[0].dataOffset + 1234;
    const e = await expectScanError(good.subarray(0, cut), 'TRUNCATED', { hdu: 0, offset: cut });
    expect(e.message).toContain('4000 bytes');
  });

  it('in the extension header', async () => {
    await expectScanError(good.subarray(0, hdus[1].headerOffset + 500), 'TRUNCATED', { hdu: 1 });
  });

  it('in the last data unit', async () => {
    await expectScanError(good.subarray(0, hdus[1].dataOffset + 100), 'TRUNCATED', { hdu: 1, offset: hdus[1].dataOffset + 100 });
  });
});

describe('bad and duplicated cards', () => {
  it('a non-ASCII byte in a header', async () => {
    const bytes = file({ cards: IMAGE, data: 24 }, { cards: [...EXT, "OBJECT  = 'M13'"], data: 20 });
    bytes[2880 * 2 + 6 * 80 + 12] = 0xb0; // '°' in latin-1, in card 7 of HDU 1
    await expectScanError(bytes, 'BAD_CARD', { hdu: 1, card: 7, offset: 2880 * 2 + 6 * 80 + 12 });
  });

  it('an unparseable value', async () => {
    await expectScanError(file({ cards: [...IMAGE, 'EXPTIME = 12,5'], data: 24 }), 'BAD_CARD', { hdu: 0, card: 6, keyword: 'EXPTIME' });
  });

  it('duplicated structural keywords', async () => {
    await expectScanError(file({ cards: [...IMAGE, 'NAXIS1  =                    4'], data: 24 }), 'DUPLICATE_CARD', { hdu: 0, card: 6, keyword: 'NAXIS1' });
    await expectScanError(file({ cards: [...IMAGE, 'BZERO   = 1', 'BZERO   = 2'], data: 24 }), 'DUPLICATE_CARD', { hdu: 0, card: 7, keyword: 'BZERO' });
    await expectScanError(file({ cards: IMAGE, data: 24 }, { cards: [...EXT, 'GCOUNT  = 1'], data: 20 }), 'DUPLICATE_CARD', { hdu: 1, card: 7, keyword: 'GCOUNT' });
    await expectScanError(file({ cards: [...IMAGE, "XTENSION= 'IMAGE'"], data: 24 }), 'DUPLICATE_CARD', { hdu: 0, keyword: 'XTENSION' });
  });

  it('duplicated ordinary keywords are fine (first wins on look-up)', () => {
    const [h] = parseFits(file({ cards: [...IMAGE, "OBJECT  = 'a'", "OBJECT  = 'b'"], data: 24 }));
    expect(h.header.get('OBJECT')).toBe('a');
  });
});

describe('mandatory keywords', () => {
  it('missing, out of order, or of the wrong type', async () => {
    await expectScanError(file({ cards: IMAGE.filter((c) => !c.startsWith('NAXIS2')), data: 24 }), 'MISSING_CARD', { hdu: 0, card: 5, keyword: 'NAXIS2' });
    const swapped = [IMAGE[0], IMAGE[2], IMAGE[1], ...IMAGE.slice(3)];
    const e = await expectScanError(file({ cards: swapped, data: 24 }), 'MISSING_CARD', { hdu: 0, card: 2, keyword: 'BITPIX' });
    expect(e.message).toContain('found at card 3');
    await expectScanError(file({ cards: replaceCard(IMAGE, 'NAXIS1', "NAXIS1  = 'four'"), data: 24 }), 'BAD_VALUE', { hdu: 0, card: 4, keyword: 'NAXIS1' });
    await expectScanError(file({ cards: IMAGE, data: 24 }, { cards: EXT.filter((c) => !c.startsWith('GCOUNT')), data: 20 }), 'MISSING_CARD', { hdu: 1, keyword: 'GCOUNT' });
    await expectScanError(file({ cards: IMAGE, data: 24 }, { cards: replaceCard(EXT, 'XTENSION', 'XTENSION=                    1'), data: 20 }), 'BAD_VALUE', { hdu: 1, card: 1 });
  });

  it('illegal BITPIX', async () => {
    for (const v of ['12', '0', '-16', '1.5', "'16'", '128']) {
      const e = await expectScanError(file({ cards: replaceCard(IMAGE, 'BITPIX', `BITPIX  = ${v}`), data: 24 }), 'BAD_VALUE', { hdu: 0, card: 2, keyword: 'BITPIX' });
      expect(e.message).toMatch(/BITPIX/);
    }
  });

  it('illegal NAXIS and NAXISn', async () => {
    await expectScanError(file({ cards: replaceCard(IMAGE, 'NAXIS   ', 'NAXIS   = -1') }), 'BAD_VALUE', { hdu: 0, card: 3, keyword: 'NAXIS' });
    await expectScanError(file({ cards: replaceCard(IMAGE, 'NAXIS   ', 'NAXIS   = 1000') }), 'BAD_VALUE', { hdu: 0, card: 3 });
    await expectScanError(file({ cards: replaceCard(IMAGE, 'NAXIS2', 'NAXIS2  = -3') }), 'BAD_VALUE', { hdu: 0, card: 5, keyword: 'NAXIS2' });
  });

  it('extension-specific rules', async () => {
    const ext = (edit: (c: string[]) => string[]): Uint8Array => file({ cards: IMAGE, data: 24 }, { cards: edit(EXT), data: 20 });
    await expectScanError(ext((c) => replaceCard(c, 'PCOUNT', 'PCOUNT  = 4')), 'BAD_VALUE', { hdu: 1, keyword: 'PCOUNT' });
    await expectScanError(ext((c) => replaceCard(c, 'GCOUNT', 'GCOUNT  = 2')), 'BAD_VALUE', { hdu: 1, keyword: 'GCOUNT' });
    const table = ["XTENSION= 'BINTABLE'", 'BITPIX  = 16', 'NAXIS   = 2', 'NAXIS1  = 4', 'NAXIS2  = 2', 'PCOUNT  = 0', 'GCOUNT  = 1', 'TFIELDS = 0'];
    await expectScanError(file({ cards: IMAGE, data: 24 }, { cards: table, data: 16 }), 'BAD_VALUE', { hdu: 1, keyword: 'BITPIX' });
  });
});

describe('sizes', () => {
  it('NAXIS1 = 10^12 is TOO_LARGE before anything is allocated or read', async () => {
    const bytes = file({ cards: replaceCard(IMAGE, 'NAXIS1', 'NAXIS1  = 1000000000000') });
    await expectScanError(bytes, 'TOO_LARGE', { hdu: 0, card: 4, keyword: 'NAXIS1' });
    const src = recordingSource(bytes);
    await expect(FitsReader.open(src)).rejects.toThrow(FitsError);
    expect(src.reads.every(([, n]) => n <= 2880)).toBe(true);
  });

  it('a product of sane axes beyond MAX_DATA_BYTES is TOO_LARGE', async () => {
    const cards = [...replaceCard(replaceCard(IMAGE, 'NAXIS   ', 'NAXIS   = 3'), 'NAXIS2', 'NAXIS2  = 100000'), 'NAXIS3  = 100000'];
    const e = await expectScanError(file({ cards: replaceCard(cards, 'NAXIS1', 'NAXIS1  = 100000') }), 'TOO_LARGE', { hdu: 0 });
    expect(e.message).toContain('100000 × 100000 × 100000');
    const h = new Header().set('XTENSION', 'BINTABLE').set('BITPIX', 8).set('NAXIS', 2).set('NAXIS1', 8).set('NAXIS2', 1).set('PCOUNT', 2 ** 31).set('GCOUNT', 1);
    expect(() => dataByteLength(h, 1)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }) as Error);
    const huge = new Header().set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 1).set('NAXIS1', 123456789012345678901234567890n);
    expect(() => dataByteLength(huge, 0)).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }) as Error);
  });

  it('NAXISn larger than the data present: TRUNCATED, or SIZE_MISMATCH when it swallows the next header', async () => {
    await expectScanError(file({ cards: replaceCard(IMAGE, 'NAXIS2', 'NAXIS2  = 3000'), data: 24 }), 'TRUNCATED', { hdu: 0 });
    const mef = file({ cards: replaceCard(IMAGE, 'NAXIS2', 'NAXIS2  = 3000'), data: 24 }, { cards: EXT, data: 20 });
    // NAXIS2 = 3000 → 24000 bytes: past the extension header at 5760 and past the end of the file.
    await expectScanError(mef, 'SIZE_MISMATCH', { hdu: 0, offset: 5760 });
  });

  it('NAXISn smaller than the data present, so the next header is missed: SIZE_MISMATCH', async () => {
    const bigData = file({ cards: replaceCard(IMAGE, 'NAXIS2', 'NAXIS2  = 1500'), data: 12000 }, { cards: EXT, data: 20 });
    const lying = bigData.slice();
    lying.set(ascii('NAXIS2  =                    3'.padEnd(80)), 4 * 80);
    await expectScanError(lying, 'SIZE_MISMATCH', { hdu: 0, offset: 2880 + 12000 + (2880 - (12000 % 2880)) });
  });

  it('a wrong data size handed to the image decoder is SIZE_MISMATCH', async () => {
    const { decodeImage } = await import('../../../src/science/fits/image.js');
    const [h] = parseFits(file({ cards: IMAGE, data: 24 }));
    expect(() => decodeImage(h.header, new Uint8Array(10), { hdu: 0 })).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }) as Error);
  });
});

describe('bad requests', () => {
  it('windows outside the image, wrong HDU kinds, HDUs that do not exist', async () => {
    const reader = await FitsReader.open(fixture('mef.fits'));
    for (const window of [
      { x0: -1, y0: 0, width: 1, height: 1 },
      { x0: 0, y0: 0, width: 5, height: 1 },
      { x0: 0, y0: 2, width: 1, height: 2 },
      { x0: 0.5, y0: 0, width: 1, height: 1 },
      { x0: 0, y0: 0, width: NaN, height: 1 },
    ]) {
      await expect(reader.readImage(1, { window })).rejects.toMatchObject({ code: 'BAD_ARGUMENT', location: { hdu: 1 } });
    }
    await expect(reader.readImage(2)).rejects.toMatchObject({ code: 'BAD_ARGUMENT', location: { hdu: 2 } });
    await expect(reader.readImage(9)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(reader.verifyChecksum(-1)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
