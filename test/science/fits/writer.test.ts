import { mkdtempSync, readdirSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { oursFiles } from '../../../scripts/fixtures/fits-core-ours.js';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header } from '../../../src/science/fits/header.js';
import { FitsReader, parseFits } from '../../../src/science/fits/reader.js';
import { imageHdu, toExtension, toPrimary, writeFits, writeFitsFile, type HduToWrite } from '../../../src/science/fits/writer.js';
import { asJson, expected, fixture, text } from './fits-core-helpers.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof FitsError) return e.code;
    throw e;
  }
  return 'no error';
}

const keywords = (h: Header): string[] => h.cards.map((c) => c.keyword);

describe('our writer, checked by astropy', () => {
  const ours = oursFiles();

  for (const [name, bytes] of Object.entries(ours)) {
    it(`${name}: still exactly the bytes astropy verified`, () => {
      expect(bytes).toEqual(fixture(name));
    });

    it(`${name}: astropy found conforming HDUs with good CHECKSUM and DATASUM`, () => {
      const verdicts = expected.ours[name];
      expect(verdicts).toHaveLength(parseFits(bytes).length);
      for (const v of verdicts) expect([v.verifyChecksum, v.verifyDatasum]).toEqual([1, 1]);
    });
  }

  it('astropy reads back the pixels we wrote, with the types we meant', async () => {
    const mef = expected.ours['ours-mef.fits'];
    expect(mef.map((h) => h.dtype)).toEqual(['float32', 'int16', 'int8', 'uint32', 'int64', 'float32']);
    const reader = await FitsReader.open(ours['ours-mef.fits']);
    for (let i = 0; i < mef.length; i++) {
      expect(asJson((await reader.readImage(i)).data)).toEqual(mef[i].pixels);
    }
    const u16 = expected.ours['ours-u16.fits'][0];
    expect(u16.dtype).toBe('uint16');
    expect(asJson((await (await FitsReader.open(ours['ours-u16.fits'])).readImage(0)).data)).toEqual(u16.pixels);
  });
});

describe('read → write is byte-exact for unmodified files', () => {
  for (const name of ['headers.fits', 'mef.fits', 'checksum-u16.fits', 'checksum-mef.fits', 'groups.fits', 'sip-wcs.fit', 'img-u64.fits', 'img-s16.fits']) {
    it(name, async () => {
      const bytes = fixture(name);
      const reader = await FitsReader.open(bytes);
      const hdus: HduToWrite[] = [];
      for (const h of reader.hdus) {
        hdus.push({ header: h.header, data: h.dataByteLength > 0 ? await reader.readDataBytes(h.index) : undefined });
      }
      expect(writeFits(hdus)).toEqual(bytes);
    });
  }
});

describe('imageHdu', () => {
  it('puts the mandatory keywords first, in order, then the user cards', () => {
    const user = new Header()
      .set('OBJECT', 'M13')
      .set('NAXIS', 7) // structural cards of the user's header are replaced
      .set('BITPIX', -64)
      .set('EXPTIME', 30)
      .set('CHECKSUM', 'stale')
      .set('BZERO', 5);
    user.addCommentary('HISTORY', 'kept');
    const p = imageHdu(new Uint16Array(6), [3, 2], { header: user });
    expect(keywords(p.header)).toEqual(['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'EXTEND', 'BSCALE', 'BZERO', 'OBJECT', 'EXPTIME', 'HISTORY']);
    expect([p.header.get('BITPIX'), p.header.get('BZERO'), p.header.get('NAXIS')]).toEqual([16, 32768, 2]);
    const x = imageHdu(new Float32Array(6), [3, 2], { header: user, primary: false });
    expect(keywords(x.header)).toEqual(['XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'OBJECT', 'EXPTIME', 'HISTORY']);
    expect(x.header.get('XTENSION')).toBe('IMAGE');
    // the caller's header is not modified
    expect(user.get('NAXIS')).toBe(7);
  });

  it('writes BSCALE, BZERO and BLANK for scaled data and keeps matching user cards verbatim', () => {
    const user = Header.parse(
      new TextEncoder().encode(
        ['SIMPLE  =                    T', 'BSCALE  = 0.5 / odd but valid', 'BLANK   = -32768', 'END'].map((c) => c.padEnd(80)).join('').padEnd(2880),
      ),
    ).header;
    const h = imageHdu(new Float32Array([1, NaN]), [2], { header: user, bitpix: 16, bscale: 0.5, bzero: 0, blank: -32768 });
    const images = h.header.toCardImages();
    expect(images).toContain('BSCALE  = 0.5 / odd but valid'.padEnd(80));
    expect(h.header.get('BLANK')).toBe(-32768);
    expect(Array.from(h.data!)).toEqual([0, 2, 0x80, 0]);
  });

  it('an empty image has no data unit', () => {
    const h = imageHdu(new Float32Array(0), []);
    expect(h.data).toBeUndefined();
    expect(writeFits([h]).length).toBe(2880);
  });
});

describe('writeFits', () => {
  const prim = (): HduToWrite => imageHdu(new Int16Array([1, 2, 3]), [3]);
  const ext = (): HduToWrite => imageHdu(new Int16Array([1, 2, 3]), [3], { primary: false });

  it('pads headers with blanks and data with zeros to 2880-byte blocks', () => {
    const bytes = writeFits([prim(), ext()]);
    expect(bytes.length).toBe(4 * 2880);
    const h = text(bytes.subarray(0, 2880));
    expect(h.slice(80 * 5, 80 * 6)).toBe('END'.padEnd(80)); // SIMPLE BITPIX NAXIS NAXIS1 EXTEND END
    expect(h.slice(80 * 6)).toBe(' '.repeat(2880 - 80 * 6));
    expect(Array.from(bytes.subarray(2880, 2886))).toEqual([0, 1, 0, 2, 0, 3]);
    expect(bytes.subarray(2886, 5760).every((b) => b === 0)).toBe(true);
  });

  it('pads ASCII-table data with blanks', async () => {
    const reader = await FitsReader.open(fixture('mef.fits'));
    const h = reader.hdus[3];
    const out = writeFits([{ header: reader.hdus[0].header }, { header: h.header, data: await reader.readDataBytes(3) }]);
    const pad = out.subarray(2880 * 2 + h.dataByteLength, 2880 * 3);
    expect(pad.length).toBeGreaterThan(0);
    expect(pad.every((b) => b === 0x20)).toBe(true);
  });

  it('refuses a wrong HDU order or a data size that does not match the header', () => {
    expect(code(() => writeFits([]))).toBe('BAD_ARGUMENT');
    expect(code(() => writeFits([ext()]))).toBe('BAD_ARGUMENT');
    expect(code(() => writeFits([prim(), prim()]))).toBe('BAD_ARGUMENT');
    expect(code(() => writeFits([{ header: prim().header, data: new Uint8Array(5) }]))).toBe('SIZE_MISMATCH');
    expect(code(() => writeFits([{ header: prim().header }]))).toBe('SIZE_MISMATCH');
    const dup = prim();
    dup.header.cards.push({ keyword: 'NAXIS1', value: 3 });
    expect(code(() => writeFits([dup]))).toBe('DUPLICATE_CARD');
  });

  it('does not modify the caller’s headers when adding checksums', () => {
    const p = prim();
    writeFits([p], { checksum: true });
    expect(p.header.find('CHECKSUM')).toBeUndefined();
  });
});

describe('writeFitsFile is atomic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fits-core-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the same bytes as writeFits', async () => {
    const hdus = [imageHdu(new Float64Array([1, 2, 3, 4]), [2, 2])];
    const path = join(dir, 'a.fits');
    await writeFitsFile(path, hdus, { checksum: true });
    expect(new Uint8Array(readFileSync(path))).toEqual(writeFits(hdus, { checksum: true }));
    expect(readdirSync(dir)).toEqual(['a.fits']);
  });

  it('leaves an existing file untouched and no temporary file when writing fails', async () => {
    const path = join(dir, 'a.fits');
    const before = readFileSync(path);
    await expect(writeFitsFile(path, [{ header: new Header().set('SIMPLE', true) }])).rejects.toBeInstanceOf(FitsError);
    expect(readFileSync(path)).toEqual(before);
    // A failure at rename time (the target is a directory).
    const target = join(dir, 'is-a-directory');
    mkdirSync(target);
    await expect(writeFitsFile(target, [imageHdu(new Uint8Array(1), [1])])).rejects.toThrow();
    expect(readdirSync(dir).sort()).toEqual(['a.fits', 'is-a-directory']);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('toExtension / toPrimary', () => {
  it('convert the first cards and keep the rest', () => {
    const p = imageHdu(new Int16Array(4), [2, 2], { header: new Header().set('OBJECT', 'x') });
    const x = toExtension(p.header);
    expect(keywords(x)).toEqual(['XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'OBJECT']);
    expect(keywords(p.header)[0]).toBe('SIMPLE'); // original untouched
    const back = toPrimary(x);
    expect(keywords(back)).toEqual(['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'EXTEND', 'OBJECT']);
    // A file written with a converted header reads back.
    const bytes = writeFits([{ header: back, data: p.data }, { header: x, data: p.data }]);
    expect(parseFits(bytes).map((h) => h.type)).toEqual(['image', 'image']);
    expect(toPrimary(back).cards).toEqual(back.cards);
    expect(toExtension(x).cards).toEqual(x.cards);
  });

  it('refuse headers that cannot be converted', () => {
    const bintable = new Header().set('XTENSION', 'BINTABLE');
    expect(code(() => toPrimary(bintable))).toBe('BAD_ARGUMENT');
    expect(code(() => toExtension(new Header().set('FOO', 1)))).toBe('BAD_ARGUMENT');
  });
});
