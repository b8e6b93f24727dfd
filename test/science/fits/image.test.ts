import { describe, expect, it } from 'vitest';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header } from '../../../src/science/fits/header.js';
import { decodeImage, encodeImage, type Bitpix, type PixelArray } from '../../../src/science/fits/image.js';
import { parseFits } from '../../../src/science/fits/reader.js';
import { asJson, expected, fixture, prng } from './fits-core-helpers.js';

const ARRAY_FOR_DTYPE: Record<string, string> = {
  uint8: 'Uint8Array',
  int8: 'Int8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  int64: 'BigInt64Array',
  uint64: 'BigUint64Array',
  float32: 'Float32Array',
  float64: 'Float64Array',
};

function load(name: string): { header: Header; data: Uint8Array } {
  const bytes = fixture(name);
  const [hdu] = parseFits(bytes);
  return { header: hdu.header, data: bytes.subarray(hdu.dataOffset, hdu.dataOffset + hdu.dataByteLength) };
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof FitsError) return e.code;
    throw e;
  }
  return 'no error';
}

describe('decodeImage against astropy', () => {
  for (const [name, exp] of Object.entries(expected.images)) {
    it(`${name}: physical values, type and scaling`, () => {
      const { header, data } = load(name);
      const img = decodeImage(header, data);
      expect(img.data.constructor.name).toBe(ARRAY_FOR_DTYPE[exp.physicalDtype]);
      expect(asJson(img.data)).toEqual(exp.physical);
      expect(img.bitpix).toBe(exp.bitpix);
      expect(img.axes).toEqual(exp.axes);
      expect(img.width).toBe(exp.axes[0]);
      expect(img.height).toBe(exp.axes.length >= 2 ? exp.axes[1] : 1);
      expect(img.bscale).toBe(exp.bscale);
      expect(img.bzero).toBe(exp.bzero);
      if (exp.blank === undefined) expect(img.blank).toBeUndefined();
      else expect(String(img.blank)).toBe(String(exp.blank));
    });

    it(`${name}: raw stored values`, () => {
      const { header, data } = load(name);
      const img = decodeImage(header, data, { raw: true });
      expect(asJson(img.data)).toEqual(exp.raw);
    });
  }
});

describe('encodeImage reproduces astropy-written data units', () => {
  const natural = ['img-u8', 'img-i8', 'img-i16', 'img-u16', 'img-i32', 'img-u32', 'img-i64', 'img-u64', 'img-f32', 'img-f64', 'img-cube', 'img-1d'];
  for (const n of natural) {
    it(`${n}: physical values → same bytes, picking BITPIX/BZERO from the array type`, () => {
      const { header, data } = load(`${n}.fits`);
      const img = decodeImage(header, data);
      const enc = encodeImage(img.data, img.axes);
      expect(enc.bitpix).toBe(header.getInt('BITPIX'));
      expect(enc.bzero).toBe(header.getNumber('BZERO') ?? 0);
      expect(enc.bscale).toBe(1);
      expect(enc.bytes).toEqual(data);
    });
  }

  for (const n of ['img-s8', 'img-s16', 'img-s32']) {
    it(`${n}: scaled physical values with NaN → same stored bytes via BSCALE/BZERO/BLANK`, () => {
      const { header, data } = load(`${n}.fits`);
      const img = decodeImage(header, data);
      const enc = encodeImage(img.data, img.axes, { bitpix: img.bitpix, bscale: img.bscale, bzero: img.bzero, blank: Number(img.blank) });
      expect(enc.bytes).toEqual(data);
    });
  }

  for (const n of Object.keys(expected.images)) {
    it(`${n}: raw stored values are written verbatim`, () => {
      const { header, data } = load(n);
      const img = decodeImage(header, data, { raw: true });
      const enc = encodeImage(img.data, img.axes, { bitpix: img.bitpix, bscale: img.bscale, bzero: img.bzero });
      expect(enc.bytes).toEqual(data);
      expect([enc.bscale, enc.bzero]).toEqual([img.bscale, img.bzero]);
    });
  }
});

describe('bulk byte swapping round-trips every type', () => {
  const rnd = prng(2024);
  const n = 10007; // odd, not a multiple of anything
  const makers: Array<[string, () => PixelArray]> = [
    ['Uint8Array', () => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256))],
    ['Int8Array', () => Int8Array.from({ length: n }, () => Math.floor(rnd() * 256) - 128)],
    ['Int16Array', () => Int16Array.from({ length: n }, () => Math.floor(rnd() * 65536) - 32768)],
    ['Uint16Array', () => Uint16Array.from({ length: n }, () => Math.floor(rnd() * 65536))],
    ['Int32Array', () => Int32Array.from({ length: n }, () => Math.floor(rnd() * 2 ** 32) - 2 ** 31)],
    ['Uint32Array', () => Uint32Array.from({ length: n }, () => Math.floor(rnd() * 2 ** 32))],
    ['BigInt64Array', () => BigInt64Array.from({ length: n }, () => BigInt.asIntN(64, (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32))))],
    ['BigUint64Array', () => BigUint64Array.from({ length: n }, () => (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32)))],
    ['Float32Array', () => Float32Array.from({ length: n }, () => (rnd() - 0.5) * 1e30)],
    ['Float64Array', () => Float64Array.from({ length: n }, () => (rnd() - 0.5) * 1e300)],
  ];
  for (const [name, make] of makers) {
    it(name, () => {
      const data = make();
      const enc = encodeImage(data, [n]);
      const header = new Header()
        .set('SIMPLE', true)
        .set('BITPIX', enc.bitpix)
        .set('NAXIS', 1)
        .set('NAXIS1', n)
        .set('BSCALE', enc.bscale)
        .set('BZERO', enc.bzero);
      const img = decodeImage(header, enc.bytes);
      expect(img.data.constructor.name).toBe(name);
      expect(img.data).toEqual(data);
      // Big-endian on disk: check the first value by hand.
      const view = new DataView(enc.bytes.buffer, enc.bytes.byteOffset);
      const first = data[0];
      const stored = (() => {
        switch (enc.bitpix) {
          case 8:
            return view.getUint8(0) + enc.bzero;
          case 16:
            return view.getInt16(0) + enc.bzero;
          case 32:
            return view.getInt32(0) + enc.bzero;
          case 64:
            return view.getBigInt64(0) + BigInt(enc.bzero);
          case -32:
            return view.getFloat32(0);
          case -64:
            return view.getFloat64(0);
        }
      })();
      expect(stored).toBe(first);
    });
  }

  it('also from typed arrays that are views at an odd offset', () => {
    const backing = new ArrayBuffer(8 * 12);
    const view = new Int16Array(backing, 6, 5);
    view.set([1, -2, 300, -32768, 32767]);
    const enc = encodeImage(view, [5]);
    expect(Array.from(enc.bytes)).toEqual([0, 1, 0xff, 0xfe, 0x01, 0x2c, 0x80, 0x00, 0x7f, 0xff]);
  });
});

describe('encodeImage options', () => {
  it('unsigned typed arrays pick the unsigned conventions', () => {
    expect(encodeImage(new Uint16Array(1), [1])).toMatchObject({ bitpix: 16, bscale: 1, bzero: 32768 });
    expect(encodeImage(new Uint32Array(1), [1])).toMatchObject({ bitpix: 32, bzero: 2147483648 });
    expect(encodeImage(new BigUint64Array(1), [1])).toMatchObject({ bitpix: 64, bzero: 2 ** 63 });
    expect(encodeImage(new Int8Array(1), [1])).toMatchObject({ bitpix: 8, bzero: -128 });
    expect(encodeImage(new Float64Array(1), [1])).toMatchObject({ bitpix: -64, bzero: 0 });
  });

  it('quantizes floats to a requested integer BITPIX', () => {
    const enc = encodeImage(new Float32Array([10, 10.5, NaN, 11.24]), [4], { bitpix: 16, bscale: 0.5, bzero: 10, blank: -1 });
    expect(Array.from(new Int16Array(Array.from({ length: 4 }, (_, i) => (enc.bytes[2 * i] << 8) | enc.bytes[2 * i + 1])))).toEqual([0, 1, -1, 2]);
    expect(enc.blank).toBe(-1);
  });

  it('converts between float types', () => {
    const enc = encodeImage(new Float64Array([0.1, -2]), [2], { bitpix: -32 });
    const back = decodeImage(new Header().set('BITPIX', -32).set('NAXIS', 1).set('NAXIS1', 2), enc.bytes);
    expect(Array.from(back.data as Float32Array)).toEqual([Math.fround(0.1), -2]);
  });

  it('rejects impossible requests with BAD_ARGUMENT', () => {
    expect(code(() => encodeImage(new Float32Array([NaN]), [1], { bitpix: 16 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float32Array([40000]), [1], { bitpix: 16 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float32Array([-1]), [1], { bitpix: 8 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float64Array([2 ** 63]), [1], { bitpix: 64 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float32Array(6), [2, 2]))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float32Array(1), [1], { bitpix: 12 as Bitpix }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float32Array(1), [1], { bscale: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Float32Array(1), [1], { blank: 5 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Int16Array(1), [1], { blank: 40000 }))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage(new Int16Array(1), [1.5]))).toBe('BAD_ARGUMENT');
    expect(code(() => encodeImage([1, 2] as unknown as PixelArray, [2]))).toBe('BAD_ARGUMENT');
  });
});

describe('decodeImage details', () => {
  const h16 = (): Header => new Header().set('SIMPLE', true).set('BITPIX', 16).set('NAXIS', 2).set('NAXIS1', 3).set('NAXIS2', 2);

  it('decodes a window of whole rows given its axes', () => {
    const { header, data } = load('img-i16.fits');
    const all = decodeImage(header, data).data;
    const rowBytes = 7 * 2;
    const win = decodeImage(header, data.subarray(2 * rowBytes, 4 * rowBytes), { axes: [7, 2] });
    expect(win.axes).toEqual([7, 2]);
    expect([win.width, win.height]).toEqual([7, 2]);
    expect(Array.from(win.data as Int16Array)).toEqual(Array.from((all as Int16Array).subarray(14, 28)));
  });

  it('too few bytes → SIZE_MISMATCH', () => {
    expect(code(() => decodeImage(h16(), new Uint8Array(11)))).toBe('SIZE_MISMATCH');
  });

  it('an empty image decodes to nothing', () => {
    const img = decodeImage(new Header().set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 0), new Uint8Array(0));
    expect(img.data.length).toBe(0);
    expect([img.width, img.height]).toEqual([0, 0]);
  });

  it('bad keywords → BAD_VALUE / MISSING_CARD / UNSUPPORTED, with HDU', () => {
    const bad = h16().set('BITPIX', 12);
    const e = (() => {
      try {
        decodeImage(bad, new Uint8Array(100), { hdu: 3 });
      } catch (err) {
        return err as FitsError;
      }
    })();
    expect(e?.code).toBe('BAD_VALUE');
    expect(e?.location).toMatchObject({ hdu: 3, keyword: 'BITPIX', card: 2 });
    expect(code(() => decodeImage(h16().set('BSCALE', 0), new Uint8Array(12)))).toBe('BAD_VALUE');
    expect(code(() => decodeImage(h16().set('BLANK', 1.5), new Uint8Array(12)))).toBe('BAD_VALUE');
    const noAxis = h16();
    noAxis.delete('NAXIS2');
    expect(code(() => decodeImage(noAxis, new Uint8Array(12)))).toBe('MISSING_CARD');
    const groups = new Header().set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 2).set('NAXIS1', 0).set('NAXIS2', 2).set('GROUPS', true);
    expect(code(() => decodeImage(groups, new Uint8Array(2)))).toBe('UNSUPPORTED');
  });

  it('absurd axes → TOO_LARGE before allocating', () => {
    const h = h16().set('NAXIS1', 1e12).set('NAXIS2', 1e12);
    expect(code(() => decodeImage(h, new Uint8Array(12)))).toBe('TOO_LARGE');
  });
});
