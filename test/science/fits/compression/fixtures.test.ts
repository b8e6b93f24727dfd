/**
 * Files written by fpack and astropy decompress here to the reference pixels (funpack's,
 * see test/fixtures/compression/README.md), and our writer reproduces fpack's bytes.
 */
import { describe, expect, it } from 'vitest';
import { readBinTable } from '../../../../src/science/fits/bintable.js';
import { FitsReader } from '../../../../src/science/fits/reader.js';
import {
  compressImage,
  decompressImage,
  isCompressedImage,
  readCompressedImage,
  type CompressOptions,
} from '../../../../src/science/fits/compression/index.js';
import { diffPixels, fixture, fixtureBytes, fromBigEndian, goldenBytes, manifest, sourceImage } from './helpers.js';

describe('reading fpack and astropy files', () => {
  for (const f of manifest.fixtures) {
    it(`${f.name} (${f.made_by}) decompresses to the reference pixels`, async () => {
      const reader = await FitsReader.open(fixtureBytes(f.file));
      const info = reader.hdus[f.hdu];
      expect(info.type).toBe('compressed-image');
      expect(isCompressedImage(info.header)).toBe(true);
      const { image, header, origin } = await readCompressedImage(reader, f.hdu, { raw: true });
      expect(image.bitpix).toBe(f.bitpix);
      expect(image.axes).toEqual(f.axes);
      expect(origin).toEqual([0, 0]);
      const want = fromBigEndian(goldenBytes(f.golden), f.bitpix);
      expect(diffPixels(image.data as ArrayLike<number>, want as ArrayLike<number>, { infAsNull: (f.inf_read_as_null ?? 0) > 0 })).toBe('');
      // The restored header describes the image.
      expect(header.get('BITPIX')).toBe(f.bitpix);
      expect(header.get('NAXIS1')).toBe(f.axes[0]);
      expect(header.get('NAXIS2')).toBe(f.axes[1]);
      expect(header.get('ZCMPTYPE')).toBeUndefined();
      expect(header.get('TFORM1')).toBeUndefined();
      if (f.made_by.startsWith('fpack')) expect(header.cards[0].keyword).toBe('SIMPLE');
      else expect(header.cards[0].value).toBe('IMAGE');
    });
  }

  it('applies BZERO = 32768 unless raw values are asked for', async () => {
    const f = fixture('u16_rice');
    const reader = await FitsReader.open(fixtureBytes(f.file));
    const data = await reader.readDataBytes(1);
    const phys = decompressImage(reader.hdus[1].header, data).image;
    expect(phys.data).toBeInstanceOf(Uint16Array);
    expect(phys.bzero).toBe(32768);
    const raw = fromBigEndian(goldenBytes(f.golden), 16) as Int16Array;
    const u = phys.data as Uint16Array;
    for (let i = 0; i < raw.length; i += 97) expect(u[i]).toBe(raw[i] + 32768);
  });

  it('keeps the quantized-float header keywords out of the restored header', async () => {
    const reader = await FitsReader.open(fixtureBytes('f32_q4_d1.fits'));
    const { header } = await readCompressedImage(reader, 1);
    for (const k of ['ZQUANTIZ', 'ZDITHER0', 'ZBLANK', 'ZSIMPLE', 'ZEXTEND', 'TTYPE2']) expect(header.get(k)).toBeUndefined();
    expect(header.get('SIMPLE')).toBe(true);
    expect(header.get('EXTEND')).toBe(true);
    expect(header.get('EXTNAME')).toBeUndefined();
  });
});

/** Options that make our writer do what the fixture's fpack command line did. */
const SAME_AS_FPACK: Array<[string, CompressOptions]> = [
  ['i16_rice', { type: 'RICE_1' }],
  ['u16_rice', { type: 'RICE_1' }],
  ['i32_rice', { type: 'RICE_1' }],
  ['u8_rice', { type: 'RICE_1' }],
  ['i16_rice_t48', { type: 'RICE_1', tileShape: [48, 48] }],
  ['mask16_rice_t50', { type: 'RICE_1', tileShape: [50, 30] }],
  ['f32_q4_d1', { type: 'RICE_1', quantizeLevel: 4, ditherSeed: 42 }],
  ['f32_q4_d2', { type: 'RICE_1', quantizeLevel: 4, ditherSeed: 42, quantizeMethod: 'SUBTRACTIVE_DITHER_2' }],
  ['f32_q4_nodither', { type: 'RICE_1', quantizeLevel: 4, quantizeMethod: 'NO_DITHER' }],
  ['f32_q2_t48', { type: 'RICE_1', quantizeLevel: 2, ditherSeed: 17, tileShape: [48, 48] }],
  ['f32_qabs', { type: 'RICE_1', quantizeLevel: -0.5, ditherSeed: 9 }],
  ['f64_q4', { type: 'RICE_1', ditherSeed: 5 }],
];

describe('writing like fpack', () => {
  for (const [name, opts] of SAME_AS_FPACK) {
    it(`${name}: every tile, ZSCALE and ZZERO equal fpack's`, async () => {
      const f = fixture(name);
      const reader = await FitsReader.open(fixtureBytes(f.file));
      const theirs = readBinTable(reader.hdus[1].header, await reader.readDataBytes(1));
      const ours = compressImage(sourceImage(f.source), opts);
      const mine = readBinTable(ours.header, ours.data);
      expect(mine.rows).toBe(theirs.rows);
      for (let t = 0; t < theirs.rows; t++) {
        expect(Buffer.from(mine.varBytes(t, mine.columnIndex('COMPRESSED_DATA')))).toEqual(Buffer.from(theirs.varBytes(t, 0)));
      }
      const zcols = theirs.columns.filter((c) => c.name === 'ZSCALE' || c.name === 'ZZERO').map((c) => c.name);
      for (const c of zcols) expect(mine.column(c)).toEqual(theirs.column(c));
      // Lossless tiles (constant or NaN-only rows) land in the same fallback column.
      expect(mine.columns.map((c) => c.name)).toEqual(theirs.columns.map((c) => c.name));
      for (const k of ['ZCMPTYPE', 'ZBITPIX', 'ZTILE1', 'ZTILE2', 'ZVAL1', 'ZVAL2', 'ZQUANTIZ', 'ZDITHER0', 'ZBLANK', 'BZERO']) {
        const want = theirs.header.get(k);
        // fpack marks SUBTRACTIVE_DITHER_2 files 'RICE_ONE'; we write the standard name.
        if (k === 'ZCMPTYPE' && want === 'RICE_ONE') expect(ours.header.get(k)).toBe('RICE_1');
        else expect([k, ours.header.get(k)]).toEqual([k, want]);
      }
    });
  }

  it('GZIP tiles are within 2 % of fpack’s size at its zlib level', async () => {
    for (const [name, opts] of [
      ['i16_gzip2', { type: 'GZIP_2' }],
      ['f32_lossless_g2', { type: 'GZIP_2', quantizeLevel: 0 }],
      ['f32_gzip2_q4', { type: 'GZIP_2', ditherSeed: 42 }],
    ] as Array<[string, CompressOptions]>) {
      const f = fixture(name);
      const reader = await FitsReader.open(fixtureBytes(f.file));
      const pcountFpack = reader.hdus[1].header.getInt('PCOUNT')!;
      const ours = compressImage(sourceImage(f.source), { ...opts, gzipLevel: 1 });
      const pcount = ours.header.getInt('PCOUNT')!;
      expect(Math.abs(pcount / pcountFpack - 1), name).toBeLessThan(0.02);
      // And the pixels come back as fpack's do.
      const back = decompressImage(ours.header, ours.data, { raw: true }).image.data as ArrayLike<number>;
      // (Our lossless floats keep the source's +Inf, which fpack stored as a null.)
      expect(diffPixels(back, fromBigEndian(goldenBytes(f.golden), f.bitpix) as ArrayLike<number>, { infAsNull: true })).toBe('');
    }
  });
});
