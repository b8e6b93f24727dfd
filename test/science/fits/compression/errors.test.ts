/** Bad input: unsupported features, corrupt tiles, and a seeded fuzz test. */
import { describe, expect, it } from 'vitest';
import { FitsError } from '../../../../src/science/fits/errors.js';
import type { Header } from '../../../../src/science/fits/header.js';
import { FitsReader } from '../../../../src/science/fits/reader.js';
import {
  decompressImage,
  hcompressDecode,
  plioDecode,
  readCompressedImage,
  readCompressedTiles,
  riceDecode,
} from '../../../../src/science/fits/compression/index.js';
import { fixtureBytes, rng } from './helpers.js';

async function load(file: string): Promise<{ header: Header; data: Uint8Array }> {
  const reader = await FitsReader.open(fixtureBytes(file));
  return { header: reader.hdus[1].header.clone(), data: new Uint8Array(await reader.readDataBytes(1)) };
}

/** Heap offset and length of tile `t` of a table with 8-byte P descriptors in column 1. */
function cell(data: Uint8Array, header: Header, t: number): { at: number; count: number } {
  const dv = new DataView(data.buffer, data.byteOffset);
  const rowBytes = header.getInt('NAXIS1')!;
  const heapStart = rowBytes * header.getInt('NAXIS2')!;
  return { count: dv.getUint32(t * rowBytes), at: heapStart + dv.getUint32(t * rowBytes + 4) };
}

function expectFitsError(fn: () => unknown, code: string, tile?: number): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    expect((e as FitsError).code).toBe(code);
    if (tile !== undefined) {
      expect((e as FitsError).location.tile).toBe(tile);
      expect((e as FitsError).message).toContain(`tile ${tile}`);
    }
    return;
  }
  throw new Error(`expected FitsError ${code}`);
}

describe('unsupported', () => {
  it('an unknown ZCMPTYPE', async () => {
    const { header, data } = await load('i16_rice.fits');
    header.set('ZCMPTYPE', 'LZW_1');
    expectFitsError(() => decompressImage(header, data, { hdu: 1 }), 'UNSUPPORTED');
    try {
      decompressImage(header, data, { hdu: 1 });
    } catch (e) {
      expect((e as FitsError).location).toMatchObject({ hdu: 1, keyword: 'ZCMPTYPE' });
    }
  });

  it('an unknown quantization, BYTEPIX 8, 64-bit images', async () => {
    const f = await load('f32_q4_d1.fits');
    f.header.set('ZQUANTIZ', 'SUBTRACTIVE_DITHER_9');
    expectFitsError(() => decompressImage(f.header, f.data), 'UNSUPPORTED');
    const r = await load('i16_rice.fits');
    r.header.set('ZVAL2', 8);
    expectFitsError(() => decompressImage(r.header, r.data), 'UNSUPPORTED');
    const z = await load('i16_rice.fits');
    z.header.set('ZBITPIX', 64);
    expectFitsError(() => decompressImage(z.header, z.data), 'UNSUPPORTED');
  });

  it('a compressed HDU without COMPRESSED_DATA', async () => {
    const { header, data } = await load('i16_rice.fits');
    header.set('TTYPE1', 'SOMETHING_ELSE');
    expectFitsError(() => decompressImage(header, data), 'MISSING_CARD');
  });
});

describe('corrupt tiles are reported with their tile number', () => {
  it('RICE_1: a truncated tile', async () => {
    const { header, data } = await load('i16_rice.fits');
    const rowBytes = header.getInt('NAXIS1')!;
    new DataView(data.buffer, data.byteOffset).setUint32(5 * rowBytes, 1); // tile 5 holds 1 byte
    expectFitsError(() => decompressImage(header, data, { hdu: 1 }), 'CORRUPT_TILE', 5);
  });

  it('a descriptor pointing past the heap', async () => {
    const { header, data } = await load('i16_gzip1.fits');
    const rowBytes = header.getInt('NAXIS1')!;
    new DataView(data.buffer, data.byteOffset).setUint32(7 * rowBytes + 4, 0x7fff0000);
    expectFitsError(() => decompressImage(header, data), 'CORRUPT_TILE', 7);
  });

  it('GZIP: a damaged stream', async () => {
    const { header, data } = await load('i16_gzip2.fits');
    const { at } = cell(data, header, 3);
    data[at + 12] ^= 0xff;
    data[at + 13] ^= 0xff;
    expectFitsError(() => decompressImage(header, data), 'CORRUPT_TILE', 3);
  });

  it('HCOMPRESS: a bad magic number', async () => {
    const { header, data } = await load('i16_hcomp.fits');
    const { at } = cell(data, header, 2);
    data[at] = 0;
    expectFitsError(() => decompressImage(header, data), 'CORRUPT_TILE', 2);
  });

  it('PLIO: a bad opcode', async () => {
    const { header, data } = await load('mask16_plio.fits');
    const { at, count } = cell(data, header, 46);
    // Words after the 7-word header are instructions; opcode 8+ does not exist.
    data[at + 2 * (count - 1)] = 0x80 | (data[at + 2 * (count - 1)] & 0x0f);
    expectFitsError(() => decompressImage(header, data), 'CORRUPT_TILE', 46);
  });

  it('the codecs alone throw CORRUPT_TILE', () => {
    expectFitsError(() => riceDecode(new Uint8Array([0, 1, 0xff]), 100, 32, 2), 'CORRUPT_TILE');
    expectFitsError(() => riceDecode(new Uint8Array([0]), 10, 32, 2), 'CORRUPT_TILE');
    expectFitsError(() => hcompressDecode(new Uint8Array(30), 16), 'CORRUPT_TILE');
    expectFitsError(() => plioDecode(new Int16Array([0, 7, -100, 100, 0, 0, 0]), 10), 'CORRUPT_TILE');
  });

  it('partial reads report the absolute tile number', async () => {
    const bytes = fixtureBytes('i16_rice.fits');
    const reader = await FitsReader.open(bytes);
    const hdr = reader.hdus[1].header;
    const off = reader.hdus[1].dataOffset + 12 * hdr.getInt('NAXIS1')!;
    const broken = new Uint8Array(bytes);
    new DataView(broken.buffer).setUint32(off, 2);
    const r2 = await FitsReader.open(broken);
    await expect(readCompressedTiles(r2, 1, 10, 14)).rejects.toMatchObject({ code: 'CORRUPT_TILE', location: { tile: 12 } });
  });
});

describe('fuzz', () => {
  it('mutated compressed files throw FitsError or decode, nothing else', async () => {
    const files = [
      'i16_rice.fits',
      'i32_rice.fits',
      'u8_rice.fits',
      'i16_gzip2.fits',
      'i16_hcomp.fits',
      'i32_hcomp.fits',
      'mask16_plio.fits',
      'f32_q4_d2.fits',
      'f32_q2_t48.fits',
      'f32_lossless_g1.fits',
      'i16_nocompress.fits',
      'ap_i16_hcomp_smooth.fits',
    ].map((f) => fixtureBytes(f));
    const next = rng(20240611);
    const start = Date.now();
    let decoded = 0;
    let rejected = 0;
    const ITERATIONS = 3000;
    for (let it = 0; it < ITERATIONS; it++) {
      const src = files[it % files.length];
      const bytes = new Uint8Array(src);
      // Mostly the data unit (descriptors and heap), sometimes the header.
      const dataStart = 5760;
      const flips = 1 + Math.floor(next() * 6);
      for (let k = 0; k < flips; k++) {
        const inHeader = next() < 0.1;
        const pos = inHeader ? 2880 + Math.floor(next() * 2880) : dataStart + Math.floor(next() * (bytes.length - dataStart));
        const r = next();
        if (inHeader) bytes[pos] = 0x30 + Math.floor(next() * 10); // a digit: keeps cards parseable more often
        else bytes[pos] = r < 0.5 ? bytes[pos] ^ (1 << Math.floor(next() * 8)) : Math.floor(next() * 256);
      }
      try {
        const reader = await FitsReader.open(bytes);
        if (reader.hdus.length > 1 && reader.hdus[1].type === 'compressed-image') {
          if (it % 3 === 0) await readCompressedTiles(reader, 1, 1, 2);
          else await readCompressedImage(reader, 1);
        }
        decoded++;
      } catch (e) {
        if (!(e instanceof FitsError)) throw new Error(`iteration ${it}: ${String(e)}\n${(e as Error).stack}`);
        rejected++;
      }
    }
    expect(decoded + rejected).toBe(ITERATIONS);
    expect(rejected).toBeGreaterThan(100);
    expect(Date.now() - start).toBeLessThan(20_000);
  });
});
