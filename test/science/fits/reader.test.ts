import { describe, expect, it } from 'vitest';
import { FitsError } from '../../../src/science/fits/errors.js';
import { dataByteLength, hduType } from '../../../src/science/fits/hdu.js';
import { Header } from '../../../src/science/fits/header.js';
import { FitsReader, parseFits } from '../../../src/science/fits/reader.js';
import { fileSource, memorySource } from '../../../src/science/fits/source.js';
import { asJson, expected, fixture, fixturePath } from './fits-core-helpers.js';

const ASTROPY_TYPE: Record<string, string> = {
  PrimaryHDU: 'image',
  ImageHDU: 'image',
  BinTableHDU: 'bintable',
  TableHDU: 'table',
  GroupsHDU: 'image',
  CompImageHDU: 'compressed-image',
};

async function rejection(p: Promise<unknown>): Promise<FitsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    return e as FitsError;
  }
  throw new Error('expected a FitsError');
}

describe('HDU structure against astropy', () => {
  for (const [name, hdus] of [
    ['mef.fits', expected.mef.hdus],
    ['groups.fits', expected.groups.hdus],
  ] as const) {
    it(`${name}: types and offsets (parseFits and FitsReader agree)`, async () => {
      const bytes = fixture(name);
      const sync = parseFits(bytes);
      const reader = await FitsReader.open(fixturePath(name));
      try {
        for (const infos of [sync, reader.hdus]) {
          expect(
            infos.map((h) => ({ type: h.type, headerOffset: h.headerOffset, dataOffset: h.dataOffset, paddedDataByteLength: h.paddedDataByteLength })),
          ).toEqual(hdus.map((h) => ({ ...h, type: ASTROPY_TYPE[h.type] })));
          expect(infos.map((h) => h.index)).toEqual(hdus.map((_, i) => i));
        }
      } finally {
        await reader.close();
      }
    });
  }

  it('mef.fits: extension names, images, and data lengths from the standard formula', async () => {
    const reader = await FitsReader.open(fixture('mef.fits'));
    expect(reader.hdus.map((h) => h.header.getString('EXTNAME') ?? 'PRIMARY')).toEqual(expected.mef.extnames);
    expect(asJson((await reader.readImage(1)).data)).toEqual(expected.mef.sci);
    expect(asJson((await reader.readImage(4)).data)).toEqual(expected.mef.var);
    // Binary table: NAXIS1 × NAXIS2 + PCOUNT.
    const tab = reader.hdus[2].header;
    expect(reader.hdus[2].dataByteLength).toBe(tab.requireInt('NAXIS1') * tab.requireInt('NAXIS2') + tab.requireInt('PCOUNT'));
    expect(reader.hdus[0].dataByteLength).toBe(0);
    // Tables are not images.
    expect((await rejection(reader.readImage(2))).code).toBe('BAD_ARGUMENT');
    expect((await rejection(reader.readImage(3))).code).toBe('BAD_ARGUMENT');
    // The ASCII table's data are readable as bytes.
    const ascii = await reader.readDataBytes(3);
    expect(new TextDecoder().decode(ascii)).toContain('cde');
    await reader.close();
  });

  it('random groups: recognised, sized, and UNSUPPORTED when read', async () => {
    const reader = await FitsReader.open(fixture('groups.fits'));
    const h = reader.hdus[0];
    // 3 groups × (2 parameters + 4 × 2 values) × 4 bytes
    expect(h.dataByteLength).toBe(3 * (2 + 8) * 4);
    const e = await rejection(reader.readImage(0));
    expect(e.code).toBe('UNSUPPORTED');
    expect(e.location.hdu).toBe(0);
  });

  it('the Feder SIP cut-out reads as uint16, 100 × 50, with astropy’s pixel values', async () => {
    const reader = await FitsReader.open(fixturePath('sip-wcs.fit'));
    try {
      expect(reader.hdus).toHaveLength(1);
      expect(reader.hdus[0].header.cards).toHaveLength(expected.sip.cards);
      const img = await reader.readImage(0);
      expect(img.data).toBeInstanceOf(Uint16Array);
      expect([img.width, img.height]).toEqual(expected.sip.axes);
      const d = img.data as Uint16Array;
      let sum = 0;
      let min = Infinity;
      let max = -Infinity;
      for (const v of d) {
        sum += v;
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      expect({ sum, min, max }).toEqual({ sum: expected.sip.sum, min: expected.sip.min, max: expected.sip.max });
      for (const [x, y, v] of expected.sip.samples) expect(d[y * img.width + x]).toBe(v);
      expect(reader.hdus[0].header.getString('CTYPE1')).toBe('RA---TAN-SIP');
    } finally {
      await reader.close();
    }
  });
});

describe('FitsReader', () => {
  it('opens paths, bytes and sources alike', async () => {
    const bytes = fixture('img-u16.fits');
    const a = await FitsReader.open(fixturePath('img-u16.fits'));
    const b = await FitsReader.open(bytes);
    const c = await FitsReader.open(memorySource(bytes));
    const imgs = await Promise.all([a, b, c].map((r) => r.readImage(0)));
    expect(imgs[0].data).toEqual(imgs[1].data);
    expect(imgs[0].data).toEqual(imgs[2].data);
    expect(asJson(imgs[0].data)).toEqual(expected.images['img-u16.fits'].physical);
    expect(a.source.size).toBe(bytes.length);
    await Promise.all([a, b, c].map((r) => r.close()));
  });

  it('closes a file it opened; leaves a caller’s source open', async () => {
    const reader = await FitsReader.open(fixturePath('img-u8.fits'));
    await reader.close();
    expect((await rejection(reader.readDataBytes(0))).code).toBe('BAD_ARGUMENT');
    const src = await fileSource(fixturePath('img-u8.fits'));
    const r2 = await FitsReader.open(src);
    await r2.close();
    expect((await src.read(0, 6)).length).toBe(6);
    await src.close();
  });

  it('reads raw stored values on request', async () => {
    const reader = await FitsReader.open(fixture('img-s16.fits'));
    const raw = await reader.readImage(0, { raw: true });
    expect(raw.data).toBeInstanceOf(Int16Array);
    expect(asJson(raw.data)).toEqual(expected.images['img-s16.fits'].raw);
  });

  it('readDataBytes is relative to the data unit and bounds-checked', async () => {
    const bytes = fixture('img-i16.fits');
    const reader = await FitsReader.open(bytes);
    const h = reader.hdus[0];
    expect(await reader.readDataBytes(0, 2, 4)).toEqual(bytes.subarray(h.dataOffset + 2, h.dataOffset + 6));
    expect((await reader.readDataBytes(0)).length).toBe(70);
    for (const [o, l] of [
      [-1, 2],
      [0, 71],
      [70, 1],
      [1.5, 2],
    ]) {
      const e = await rejection(reader.readDataBytes(0, o, l));
      expect(e.code).toBe('BAD_ARGUMENT');
      expect(e.location.hdu).toBe(0);
    }
    expect((await rejection(reader.readDataBytes(5))).code).toBe('BAD_ARGUMENT');
  });

  it('reads N-D images whole, and windows of their first plane', async () => {
    const reader = await FitsReader.open(fixture('img-cube.fits'));
    const all = await reader.readImage(0);
    expect(all.axes).toEqual([6, 4, 3]);
    expect(asJson(all.data)).toEqual(expected.images['img-cube.fits'].physical);
    const win = await reader.readImage(0, { window: { x0: 1, y0: 2, width: 3, height: 2 } });
    expect(win.axes).toEqual([3, 2]);
    const plane = all.data as Int16Array;
    expect(Array.from(win.data as Int16Array)).toEqual([plane[13], plane[14], plane[15], plane[19], plane[20], plane[21]]);
  });

  it('reads 1-D images', async () => {
    const reader = await FitsReader.open(fixture('img-1d.fits'));
    const img = await reader.readImage(0);
    expect([img.width, img.height]).toEqual([9, 1]);
    expect(asJson(img.data)).toEqual(expected.images['img-1d.fits'].physical);
  });

  it('tolerates a missing final padding and trailing zeros after the last HDU', async () => {
    const bytes = fixture('img-u8.fits');
    const info = parseFits(bytes)[0];
    const unpadded = bytes.subarray(0, info.dataOffset + info.dataByteLength);
    expect((await (await FitsReader.open(unpadded)).readImage(0)).data).toEqual((await (await FitsReader.open(bytes)).readImage(0)).data);
    const trailing = new Uint8Array(bytes.length + 100);
    trailing.set(bytes);
    expect(parseFits(trailing)).toHaveLength(1);
  });
});

describe('hdu helpers', () => {
  const base = (): Header =>
    new Header()
      .set('XTENSION', 'BINTABLE')
      .set('BITPIX', 8)
      .set('NAXIS', 2)
      .set('NAXIS1', 10)
      .set('NAXIS2', 3)
      .set('PCOUNT', 7)
      .set('GCOUNT', 1)
      .set('TFIELDS', 0);

  it('hduType distinguishes compressed images and unknown extensions', () => {
    expect(hduType(base())).toBe('bintable');
    expect(hduType(base().set('ZIMAGE', true))).toBe('compressed-image');
    expect(hduType(base().set('ZIMAGE', false))).toBe('bintable');
    expect(hduType(base().set('XTENSION', 'TABLE'))).toBe('table');
    expect(hduType(base().set('XTENSION', 'IMAGE'))).toBe('image');
    expect(hduType(base().set('XTENSION', 'FOREIGN'))).toBe('unknown');
  });

  it('dataByteLength includes the heap', () => {
    expect(dataByteLength(base(), 1)).toBe(37);
    expect(dataByteLength(base().set('BITPIX', 8), 1)).toBe(37);
  });

  it('an unknown extension is skipped using the generic size formula', () => {
    const h = base().set('XTENSION', 'FOREIGN').set('BITPIX', 16).set('PCOUNT', 0).set('GCOUNT', 2);
    expect(dataByteLength(h, 1)).toBe(2 * 2 * 30);
  });
});
