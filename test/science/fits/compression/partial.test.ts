/** Decompressing a range of tiles, from memory and from a file read piece by piece. */
import { describe, expect, it } from 'vitest';
import { FitsReader } from '../../../../src/science/fits/reader.js';
import { memorySource, type ByteSource } from '../../../../src/science/fits/source.js';
import { decompressImage, readCompressedRegion, readCompressedTiles } from '../../../../src/science/fits/compression/index.js';
import { diffPixels, fixture, fixtureBytes, fromBigEndian, goldenBytes } from './helpers.js';

/** A byte source that counts what is read from it. */
function counting(bytes: Uint8Array): ByteSource & { bytesRead: number; reads: Array<[number, number]> } {
  const inner = memorySource(bytes);
  const src = {
    size: inner.size,
    bytesRead: 0,
    reads: [] as Array<[number, number]>,
    read(offset: number, length: number): Promise<Uint8Array> {
      src.bytesRead += length;
      src.reads.push([offset, length]);
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
  return src;
}

/** Golden pixels of a fixture cut to the region [x0, x0+w) × [y0, y0+h). */
function goldenRegion(name: string, x0: number, y0: number, w: number, h: number): number[] {
  const f = fixture(name);
  const all = fromBigEndian(goldenBytes(f.golden), f.bitpix) as ArrayLike<number>;
  const out: number[] = [];
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) out.push(all[y * f.axes[0] + x]);
  return out;
}

describe('partial reads', () => {
  it('row tiles: rows 10..19 of an int16 image', async () => {
    const src = counting(fixtureBytes('i16_rice.fits'));
    const reader = await FitsReader.open(src);
    const scanned = src.bytesRead;
    const img = await readCompressedTiles(reader, 1, 10, 19, { raw: true });
    expect(img.axes).toEqual([120, 10]);
    expect(diffPixels(img.data as ArrayLike<number>, goldenRegion('i16_rice', 0, 10, 120, 10))).toBe('');
    // The 10 descriptors (8 bytes each) and those tiles' heap bytes, nothing else.
    const read = src.bytesRead - scanned;
    const data = await reader.readDataBytes(1);
    const hdr = reader.hdus[1].header;
    let heap = 0;
    for (let r = 10; r < 20; r++) heap += new DataView(data.buffer, data.byteOffset + r * 8, 8).getUint32(0);
    expect(read).toBe(10 * 8 + heap);
    expect(read).toBeLessThan(hdr.getInt('PCOUNT')! / 4);
  });

  it('dithered floats: a tile range restores the same pixels as the whole image', async () => {
    for (const name of ['f32_q4_d1', 'f32_q4_d2', 'f32_gzip2_q4', 'f64_q4']) {
      const f = fixture(name);
      const reader = await FitsReader.open(fixtureBytes(f.file));
      const { image, origin, header } = await readCompressedRegion(reader, 1, 7, 31);
      expect(origin).toEqual([0, 7]);
      expect(header.get('NAXIS2')).toBe(25);
      expect(diffPixels(image.data as ArrayLike<number>, goldenRegion(name, 0, 7, f.axes[0], 25)), name).toBe('');
    }
  });

  it('2-D tiles: one tile, and a range that wraps to the next row of tiles', async () => {
    const reader = await FitsReader.open(fixtureBytes('i16_rice_t48.fits'));
    // 120 × 80 in 48 × 48 tiles: 3 × 2 tiles, the right and bottom ones partial.
    const one = await readCompressedRegion(reader, 1, 2, 2, { raw: true });
    expect(one.origin).toEqual([96, 0]);
    expect(one.image.axes).toEqual([24, 48]);
    expect(diffPixels(one.image.data as ArrayLike<number>, goldenRegion('i16_rice_t48', 96, 0, 24, 48))).toBe('');

    const wrap = await readCompressedRegion(reader, 1, 2, 3, { raw: true });
    expect(wrap.origin).toEqual([0, 0]);
    expect(wrap.image.axes).toEqual([120, 80]);
    const all = goldenRegion('i16_rice_t48', 0, 0, 120, 80);
    const got = wrap.image.data as Int16Array;
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 120; x++) {
        const inTile2 = x >= 96 && y < 48;
        const inTile3 = x < 48 && y >= 48;
        // Tiles outside the range are not decoded: zero.
        expect(got[y * 120 + x]).toBe(inTile2 || inTile3 ? all[y * 120 + x] : 0);
      }
    }
  });

  it('2-D tiles of dithered floats (absolute tile numbers seed the dither)', async () => {
    const reader = await FitsReader.open(fixtureBytes('f32_q2_t48.fits'));
    const r = await readCompressedRegion(reader, 1, 4, 5);
    expect(r.origin).toEqual([48, 48]);
    expect(r.image.axes).toEqual([72, 32]);
    expect(diffPixels(r.image.data as ArrayLike<number>, goldenRegion('f32_q2_t48', 48, 48, 72, 32))).toBe('');
  });

  it('in memory: decompressImage with tiles equals readCompressedTiles', async () => {
    const bytes = fixtureBytes('i16_hcomp.fits');
    const reader = await FitsReader.open(bytes);
    const data = await reader.readDataBytes(1);
    const a = decompressImage(reader.hdus[1].header, data, { tiles: [1, 3], raw: true });
    const b = await readCompressedTiles(reader, 1, 1, 3, { raw: true });
    expect(a.origin).toEqual([0, 16]);
    expect(a.image.axes).toEqual([120, 48]);
    expect(diffPixels(a.image.data as ArrayLike<number>, b.data as ArrayLike<number>)).toBe('');
    expect(diffPixels(b.data as ArrayLike<number>, goldenRegion('i16_hcomp', 0, 16, 120, 48))).toBe('');
  });

  it('rejects ranges outside the image', async () => {
    const reader = await FitsReader.open(fixtureBytes('i16_rice.fits'));
    await expect(readCompressedTiles(reader, 1, 5, 80)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(readCompressedTiles(reader, 1, 6, 5)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    await expect(readCompressedTiles(reader, 0, 0, 0)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
  });
});
