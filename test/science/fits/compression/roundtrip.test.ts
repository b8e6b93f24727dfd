/** Write with our compressor, read back with our decompressor (through whole FITS files). */
import { describe, expect, it } from 'vitest';
import { Header } from '../../../../src/science/fits/header.js';
import type { FitsImage, PixelArray } from '../../../../src/science/fits/image.js';
import { FitsReader } from '../../../../src/science/fits/reader.js';
import { imageHdu, writeFits } from '../../../../src/science/fits/writer.js';
import {
  compressImage,
  decompressImage,
  readCompressedImage,
  writeCompressedFits,
  type CompressionType,
  type CompressOptions,
} from '../../../../src/science/fits/compression/index.js';
import { buildBinTable, readBinTable } from '../../../../src/science/fits/bintable.js';
import { tileBox, tileGrid } from '../../../../src/science/fits/compression/tiles.js';
import { diffPixels, gaussian, rng } from './helpers.js';

function image(data: PixelArray, axes: number[], extra: Partial<FitsImage> = {}): FitsImage {
  const natural =
    data instanceof Uint8Array ? 8 : data instanceof Int16Array || data instanceof Uint16Array ? 16 : data instanceof Int32Array ? 32 : data instanceof Float32Array ? -32 : -64;
  return {
    bitpix: natural,
    axes,
    width: axes[0],
    height: axes[1] ?? 1,
    data,
    bscale: 1,
    bzero: data instanceof Uint16Array ? 32768 : 0,
    ...extra,
  } as FitsImage;
}

/** Sky-like integers: noise around a level, a few bright spots, and the type's extremes. */
function intPixels<T extends Int32Array | Int16Array | Uint16Array | Uint8Array>(ctor: new (n: number) => T, n: number, seed: number, lo: number, hi: number): T {
  const u = rng(seed);
  const g = gaussian(u);
  const out = new ctor(n);
  const mid = (lo + hi) / 2;
  const sigma = Math.min(50, (hi - lo) / 20);
  for (let i = 0; i < n; i++) {
    let v = Math.round(mid + sigma * g());
    if (u() < 0.01) v = Math.round(lo + u() * (hi - lo));
    out[i] = Math.max(lo, Math.min(hi, v));
  }
  out[0] = lo;
  out[n - 1] = hi;
  out[n >> 1] = hi;
  out[(n >> 1) + 1] = lo;
  return out;
}

function floatPixels(ctor: Float32ArrayConstructor | Float64ArrayConstructor, n: number, seed: number): Float32Array | Float64Array {
  const g = gaussian(rng(seed));
  const out = new ctor(n);
  for (let i = 0; i < n; i++) out[i] = 500 + 12 * g() + (i % 97 === 0 ? 3000 : 0);
  for (let i = 40; i < 60; i++) out[i] = NaN; // nulls
  for (let i = 200; i < 260; i += 3) out[i] = 0; // exact zeros
  return out;
}

async function viaFile(img: FitsImage, opts: CompressOptions, header?: Header): Promise<{ image: FitsImage; header: Header }> {
  const file = writeCompressedFits(img, opts, header, { checksum: true });
  const reader = await FitsReader.open(file);
  expect(reader.hdus).toHaveLength(2);
  expect(reader.hdus[1].type).toBe('compressed-image');
  expect(await reader.verifyChecksum(1)).toEqual({ checksum: 'ok', datasum: 'ok' });
  return readCompressedImage(reader, 1);
}

const LOSSLESS: CompressionType[] = ['RICE_1', 'GZIP_1', 'GZIP_2', 'NOCOMPRESS'];
const TILINGS: Array<[string, number[] | undefined]> = [
  ['row by row', undefined],
  ['2-D tiles with partial edges', [16, 10]],
  ['one tile', [37, 23]],
];

describe('integer images round-trip exactly', () => {
  const W = 37;
  const H = 23;
  const cases: Array<[string, () => PixelArray]> = [
    ['uint8', () => intPixels(Uint8Array, W * H, 1, 0, 255)],
    ['int16', () => intPixels(Int16Array, W * H, 2, -32768, 32767)],
    ['uint16 (BZERO 32768)', () => intPixels(Uint16Array, W * H, 3, 0, 65535)],
    ['int32', () => intPixels(Int32Array, W * H, 4, -2147483648, 2147483647)],
  ];
  for (const [what, make] of cases) {
    for (const type of LOSSLESS) {
      for (const [tiling, tileShape] of TILINGS) {
        it(`${what}, ${type}, ${tiling}`, async () => {
          const data = make();
          const back = await viaFile(image(data, [W, H]), { type, tileShape });
          expect(back.image.data.constructor).toBe(data.constructor);
          expect(diffPixels(back.image.data as ArrayLike<number>, data as ArrayLike<number>)).toBe('');
        });
      }
    }
  }

  it('a 3-D cube with 3-D tiles', async () => {
    const axes = [20, 9, 5];
    const data = intPixels(Int16Array, 20 * 9 * 5, 9, -500, 500);
    for (const type of LOSSLESS) {
      const back = await viaFile(image(data, axes), { type, tileShape: [8, 4, 2] });
      expect(back.image.axes).toEqual(axes);
      expect(diffPixels(back.image.data as ArrayLike<number>, data)).toBe('');
    }
  });

  it('constant and zero images (low-entropy Rice blocks)', async () => {
    for (const v of [0, 7, -32768]) {
      const data = new Int16Array(64 * 8).fill(v);
      const back = await viaFile(image(data, [64, 8]), { type: 'RICE_1' });
      expect(diffPixels(back.image.data as ArrayLike<number>, data)).toBe('');
    }
  });

  it('signed bytes (BZERO −128) and scaled integers (BSCALE, BLANK) keep their physical values', async () => {
    const s8 = Int8Array.from({ length: 60 }, (_, i) => (i * 37) % 256 - 128);
    const back8 = await viaFile(image(s8, [12, 5], { bitpix: 8, bzero: -128 }), { type: 'RICE_1' });
    expect(back8.image.data).toBeInstanceOf(Int8Array);
    expect(diffPixels(back8.image.data as Int8Array, s8)).toBe('');

    const phys = Float32Array.from({ length: 60 }, (_, i) => 10 + 0.5 * ((i * 131) % 2000 - 1000));
    phys[7] = NaN;
    const scaled = image(phys, [12, 5], { bitpix: 16, bscale: 0.5, bzero: 10, blank: -32768 });
    const back = await viaFile(scaled, { type: 'GZIP_2' });
    expect(back.header.get('BSCALE')).toBe(0.5);
    expect(back.header.get('BLANK')).toBe(-32768);
    expect(diffPixels(back.image.data as Float32Array, phys)).toBe('');
  });

  it('Rice with block size 16', async () => {
    const data = intPixels(Int32Array, W * H, 11, -100000, 100000);
    const back = await viaFile(image(data, [W, H]), { type: 'RICE_1', riceBlockSize: 16 });
    expect(diffPixels(back.image.data as ArrayLike<number>, data)).toBe('');
  });
});

describe('floating-point images', () => {
  const W = 50;
  const H = 20;
  const methods = ['SUBTRACTIVE_DITHER_1', 'SUBTRACTIVE_DITHER_2', 'NO_DITHER'] as const;
  for (const ctor of [Float32Array, Float64Array] as Array<Float32ArrayConstructor | Float64ArrayConstructor>) {
    for (const type of ['RICE_1', 'GZIP_1', 'GZIP_2'] as const) {
      for (const method of methods) {
        for (const [tiling, tileShape] of TILINGS) {
          it(`${ctor.name}, ${type}, ${method}, ${tiling}: error ≤ ZSCALE/2, NaN kept`, async () => {
            const data = floatPixels(ctor, W * H, 5);
            const opts: CompressOptions = { type, tileShape, quantizeMethod: method, ditherSeed: 77, quantizeLevel: 4 };
            const back = await viaFile(image(data, [W, H]), opts);
            const got = back.image.data as Float32Array | Float64Array;
            expect(got.constructor).toBe(ctor);
            // Each pixel's error is at most half its tile's quantization step.
            const { header, data: table } = compressImage(image(data, [W, H]), opts);
            const zscale = readBinTable(header, table).column('ZSCALE').values as Float64Array;
            const grid = tileGrid([W, H], tileShape ?? [W, 1]);
            let within = 0;
            for (let t = 0; t < grid.total; t++) {
              const box = tileBox(grid, t);
              for (let y = box.start[1]; y < box.start[1] + box.shape[1]; y++) {
                for (let x = box.start[0]; x < box.start[0] + box.shape[0]; x++) {
                  const i = y * W + x;
                  if (Number.isNaN(data[i])) {
                    expect(got[i]).toBeNaN();
                    continue;
                  }
                  if (method === 'SUBTRACTIVE_DITHER_2' && data[i] === 0) expect(got[i]).toBe(0);
                  const err = Math.abs(got[i] - data[i]);
                  expect(err).toBeLessThanOrEqual(zscale[t] / 2 + Math.abs(data[i]) * 1e-6);
                  within++;
                }
              }
            }
            expect(within).toBeGreaterThan(900);
            // The noise (σ = 12) sets the step: σ/4 in tiles of plain sky.
            const steps = Array.from(zscale).sort((a, b) => a - b);
            expect(steps[steps.length >> 1]).toBeGreaterThan(12 / 4 / 1.3);
            expect(steps[steps.length >> 1]).toBeLessThan(12 / 4 * 1.3);
          });
        }
      }
    }
    for (const type of ['GZIP_1', 'GZIP_2', 'RICE_1', 'NOCOMPRESS'] as const) {
      it(`${ctor.name}, lossless with ${type}`, async () => {
        const data = floatPixels(ctor, W * H, 6);
        data[5] = Infinity;
        data[6] = -0;
        const back = await viaFile(image(data, [W, H]), { type, quantizeLevel: 'lossless', tileShape: [16, 16] });
        expect(diffPixels(back.image.data as ArrayLike<number>, data)).toBe('');
        expect(back.header.get('BITPIX')).toBe(ctor === Float32Array ? -32 : -64);
      });
    }
  }

  it('RICE_1 with lossless floats is written as GZIP_2', () => {
    const { header } = compressImage(image(floatPixels(Float32Array, 100, 1), [10, 10]), { type: 'RICE_1', quantizeLevel: 0 });
    expect(header.get('ZCMPTYPE')).toBe('GZIP_2');
    expect(header.get('ZQUANTIZ')).toBe('NONE');
  });

  it('tiles without measurable noise are stored exactly in GZIP_COMPRESSED_DATA', async () => {
    const data = floatPixels(Float32Array, 40 * 6, 8);
    data.fill(3.25, 40, 80); // constant row
    data.fill(NaN, 80, 120); // all-null row
    data[200] = 3e38; // range too wide for 32-bit integers
    data[201] = -3e38;
    const { header, data: bytes } = compressImage(image(data, [40, 6]), { type: 'RICE_1', ditherSeed: 3 });
    expect(header.get('TTYPE4')).toBe('GZIP_COMPRESSED_DATA');
    expect(header.get('ZBLANK')).toBe(-2147483647);
    const back = decompressImage(header, bytes).image.data as Float32Array;
    for (let i = 40; i < 80; i++) expect(back[i]).toBe(3.25);
    for (let i = 80; i < 120; i++) expect(back[i]).toBeNaN();
    for (let i = 200; i < 240; i++) expect(back[i]).toBe(data[i]);
  });

  it('takes ZDITHER0 from the clock when no seed is given', () => {
    const { header } = compressImage(image(floatPixels(Float32Array, 100, 2), [10, 10]), { type: 'RICE_1' });
    const seed = header.getInt('ZDITHER0')!;
    expect(seed).toBeGreaterThanOrEqual(1);
    expect(seed).toBeLessThanOrEqual(10000);
  });

  it('absolute quantization step (negative level)', async () => {
    const data = floatPixels(Float32Array, 30 * 10, 9);
    const back = await viaFile(image(data, [30, 10]), { type: 'RICE_1', quantizeLevel: -0.25, ditherSeed: 1 });
    const got = back.image.data as Float32Array;
    for (let i = 0; i < data.length; i++) if (!Number.isNaN(data[i])) expect(Math.abs(got[i] - data[i])).toBeLessThanOrEqual(0.125 + 1e-4);
  });
});

describe('headers', () => {
  it('carries the image header over and restores it, primary or extension', async () => {
    const src = new Header();
    src.set('SIMPLE', true);
    src.set('BITPIX', 16);
    src.set('NAXIS', 2);
    src.set('NAXIS1', 12);
    src.set('NAXIS2', 4);
    src.set('EXTEND', true);
    src.set('OBJECT', 'M 51', 'target');
    src.set('EXPTIME', 30.5, 's');
    src.addCommentary('HISTORY', 'flat-fielded');
    src.set('TFORM1', 'not a table keyword here');
    const data = intPixels(Int16Array, 48, 1, -100, 100);
    const out = await viaFile(image(data, [12, 4]), { type: 'RICE_1' }, src);
    const h = out.header;
    expect(h.cards.slice(0, 6).map((c) => c.keyword)).toEqual(['SIMPLE', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'EXTEND']);
    expect(h.get('OBJECT')).toBe('M 51');
    expect(h.find('EXPTIME')?.comment).toBe('s');
    expect(h.findAll('HISTORY').map((c) => c.comment)).toEqual(['flat-fielded']);
    expect(h.get('TFORM1')).toBeUndefined();
    expect(h.get('EXTNAME')).toBeUndefined();

    const ext = src.clone();
    ext.delete('SIMPLE');
    ext.delete('EXTEND');
    ext.cards.unshift({ keyword: 'XTENSION', value: 'IMAGE' });
    ext.set('EXTNAME', 'SCI');
    const out2 = await viaFile(image(data, [12, 4]), { type: 'GZIP_1' }, ext);
    expect(out2.header.cards.slice(0, 7).map((c) => [c.keyword, c.value])).toEqual([
      ['XTENSION', 'IMAGE'],
      ['BITPIX', 16],
      ['NAXIS', 2],
      ['NAXIS1', 12],
      ['NAXIS2', 4],
      ['PCOUNT', 0],
      ['GCOUNT', 1],
    ]);
    expect(out2.header.get('EXTNAME')).toBe('SCI');
  });

  it('the restored header writes a valid image HDU with the same pixels', async () => {
    const data = intPixels(Uint16Array, 48, 2, 0, 65535);
    const out = await viaFile(image(data, [12, 4]), { type: 'RICE_1' });
    const file = writeFits([imageHdu(new Uint8Array(0), []), imageHdu(out.image.data, out.image.axes, { header: out.header, primary: false })]);
    const reader = await FitsReader.open(file);
    const again = await reader.readImage(1);
    expect(diffPixels(again.data as ArrayLike<number>, data)).toBe('');
  });

  it('restores ZHECKSUM/ZDATASUM as CHECKSUM/DATASUM', () => {
    const { header, data } = compressImage(image(new Int16Array(16), [4, 4]), { type: 'RICE_1' });
    header.set('ZHECKSUM', 'abcdefghijklmnop');
    header.set('ZDATASUM', '12345');
    const h = decompressImage(header, data).header;
    expect(h.get('CHECKSUM')).toBe('abcdefghijklmnop');
    expect(h.get('DATASUM')).toBe('12345');
  });

  it('ZSCALE, ZZERO and ZBLANK given as keywords, or ZBLANK as a column', () => {
    // One tile, quantized without dither: rebuild the table with the scaling moved around.
    const data = floatPixels(Float32Array, 20 * 5, 4);
    const { header, data: bytes } = compressImage(image(data, [20, 5]), { type: 'RICE_1', quantizeMethod: 'NO_DITHER', tileShape: [20, 5] });
    const t = readBinTable(header, bytes);
    const scale = (t.column('ZSCALE').values as Float64Array)[0];
    const zero = (t.column('ZZERO').values as Float64Array)[0];
    const want = decompressImage(header, bytes).image.data as Float32Array;
    expect(want[45]).toBeNaN();
    const cell = t.varBytes(0, 0).slice();

    const asKeywords = buildBinTable([{ name: 'COMPRESSED_DATA', values: [cell] }]);
    const h1 = asKeywords.header;
    for (const c of header.cards) if (/^Z/.test(c.keyword) || c.keyword === 'EXTNAME') h1.cards.push({ ...c });
    h1.set('ZSCALE', scale);
    h1.set('ZZERO', zero);
    expect(diffPixels(decompressImage(h1, asKeywords.data).image.data as Float32Array, want)).toBe('');

    const blankColumn = buildBinTable([
      { name: 'COMPRESSED_DATA', values: [cell] },
      { name: 'ZSCALE', format: '1D', values: Float64Array.of(scale) },
      { name: 'ZZERO', format: '1D', values: Float64Array.of(zero) },
      { name: 'ZBLANK', format: '1J', values: Int32Array.of(-2147483647) },
    ]);
    const h2 = blankColumn.header;
    for (const c of header.cards) if (/^Z/.test(c.keyword) && c.keyword !== 'ZBLANK') h2.cards.push({ ...c });
    expect(diffPixels(decompressImage(h2, blankColumn.data).image.data as Float32Array, want)).toBe('');
  });

  it('rejects what it cannot write', () => {
    const img = image(new Int16Array(16), [4, 4]);
    expect(() => compressImage(img, { type: 'HCOMPRESS_1' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => compressImage(img, { type: 'PLIO_1' })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => compressImage(img, { type: 'LZW' as CompressionType })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    expect(() => compressImage(img, { type: 'RICE_1', tileShape: [4] })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
    const f = image(new Float32Array(16), [4, 4]);
    expect(() => compressImage(f, { type: 'RICE_1', ditherSeed: 0 })).toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT' }));
  });
});
