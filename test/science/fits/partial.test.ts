/**
 * Partial reads: opening scans headers only; an image window reads only the rows it covers.
 * Proven with a ByteSource that records every range it is asked for, and with a 1.6 GB
 * "virtual" file whose bytes are computed on demand (so reading it whole would be obvious).
 */
import { describe, expect, it } from 'vitest';
import { Header } from '../../../src/science/fits/header.js';
import { FitsReader } from '../../../src/science/fits/reader.js';
import type { ByteSource } from '../../../src/science/fits/source.js';
import { imageHdu, writeFits } from '../../../src/science/fits/writer.js';
import type { PixelArray } from '../../../src/science/fits/image.js';
import { fixture, recordingSource } from './fits-core-helpers.js';

function inHeaders(reader: FitsReader, [offset, length]: [number, number]): boolean {
  return reader.hdus.some((h) => offset >= h.headerOffset && offset + length <= h.dataOffset);
}

describe('opening reads headers only', () => {
  for (const name of ['mef.fits', 'sip-wcs.fit', 'checksum-mef.fits', 'img-cube.fits']) {
    it(name, async () => {
      const src = recordingSource(fixture(name));
      const reader = await FitsReader.open(src);
      expect(src.reads.length).toBeGreaterThan(0);
      for (const r of src.reads) expect(inHeaders(reader, r)).toBe(true);
    });
  }
});

describe('image windows read only their rows', () => {
  const width = 300;
  const height = 200;
  const cases: Array<[string, PixelArray, { bitpix?: 16; bscale?: number; bzero?: number }]> = [
    ['int16', new Int16Array(width * height).map((_, i) => (i * 7) % 30000), {}],
    ['uint16', new Uint16Array(width * height).map((_, i) => (i * 13) % 65536), {}],
    ['float64', new Float64Array(width * height).map((_, i) => Math.sqrt(i)), {}],
    ['scaled int16', new Float32Array(width * height).map((_, i) => 10 + 0.5 * (i % 1000)), { bitpix: 16, bscale: 0.5, bzero: 10 }],
  ];
  for (const [label, data, opts] of cases) {
    it(label, async () => {
      const bytes = writeFits([imageHdu(data, [width, height], opts)]);
      const src = recordingSource(bytes);
      const reader = await FitsReader.open(src);
      const info = reader.hdus[0];
      const bpp = info.dataByteLength / (width * height);
      src.reads.length = 0;
      const win = { x0: 17, y0: 120, width: 40, height: 9 };
      const img = await reader.readImage(0, { window: win });
      // One read, exactly the covered rows.
      expect(src.reads).toEqual([[info.dataOffset + win.y0 * width * bpp, win.height * width * bpp]]);
      expect(img.axes).toEqual([win.width, win.height]);
      expect([img.width, img.height]).toEqual([win.width, win.height]);
      const full = (await reader.readImage(0)).data;
      expect(img.data.constructor).toBe(full.constructor);
      for (let y = 0; y < win.height; y++) {
        for (let x = 0; x < win.width; x++) {
          expect(img.data[y * win.width + x]).toBe(full[(win.y0 + y) * width + win.x0 + x]);
        }
      }
    });
  }

  it('windows at the edges, full width, and empty', async () => {
    const data = new Int32Array(12).map((_, i) => i);
    const reader = await FitsReader.open(writeFits([imageHdu(data, [4, 3])]));
    expect(Array.from((await reader.readImage(0, { window: { x0: 3, y0: 2, width: 1, height: 1 } })).data as Int32Array)).toEqual([11]);
    expect(Array.from((await reader.readImage(0, { window: { x0: 0, y0: 1, width: 4, height: 2 } })).data as Int32Array)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect((await reader.readImage(0, { window: { x0: 1, y0: 1, width: 0, height: 0 } })).data.length).toBe(0);
  });

  it('raw windows keep stored values', async () => {
    const reader = await FitsReader.open(writeFits([imageHdu(new Uint16Array([0, 1, 65535, 32768]), [2, 2])]));
    const w = await reader.readImage(0, { window: { x0: 0, y0: 1, width: 2, height: 1 }, raw: true });
    expect(Array.from(w.data as Int16Array)).toEqual([32767, 0]);
  });
});

describe('a 1.6 GB image that is never loaded', () => {
  // 40000 × 20000 int16; pixel value = (x + 3y) mod 32768, generated on demand.
  const W = 40000;
  const H = 20000;
  const header = new Header()
    .set('SIMPLE', true)
    .set('BITPIX', 16)
    .set('NAXIS', 2)
    .set('NAXIS1', W)
    .set('NAXIS2', H)
    .set('OBJECT', 'virtual')
    .toBytes();
  const dataBytes = W * H * 2;
  const size = header.length + Math.ceil(dataBytes / 2880) * 2880;
  const pixel = (x: number, y: number): number => (x + 3 * y) % 32768;

  function virtualSource(): ByteSource & { bytesRead: number } {
    const src = {
      size,
      bytesRead: 0,
      async read(offset: number, length: number): Promise<Uint8Array> {
        if (length > 64 * 1024 * 1024) throw new Error(`asked for ${length} bytes at once`);
        src.bytesRead += length;
        const out = new Uint8Array(length);
        for (let i = 0; i < length; i++) {
          const pos = offset + i;
          if (pos < header.length) out[i] = header[pos];
          else if (pos - header.length < dataBytes) {
            const k = (pos - header.length) >> 1;
            const v = pixel(k % W, Math.floor(k / W));
            out[i] = (pos - header.length) % 2 === 0 ? v >> 8 : v & 0xff;
          }
        }
        return out;
      },
      close: async () => undefined,
    };
    return src;
  }

  it('opens by reading its header only, and reads a window of 10 rows', async () => {
    const src = virtualSource();
    const reader = await FitsReader.open(src);
    expect(src.bytesRead).toBe(2880 + 8); // one header block and the 8-byte look at the start
    expect(reader.hdus[0].dataByteLength).toBe(dataBytes);
    const img = await reader.readImage(0, { window: { x0: 39990, y0: 12345, width: 10, height: 10 } });
    expect(src.bytesRead).toBe(2888 + 10 * W * 2);
    const d = img.data as Int16Array;
    for (let y = 0; y < 10; y++) for (let x = 0; x < 10; x++) expect(d[y * 10 + x]).toBe(pixel(39990 + x, 12345 + y));
  });

  it('readDataBytes fetches just the requested range', async () => {
    const src = virtualSource();
    const reader = await FitsReader.open(src);
    const before = src.bytesRead;
    const b = await reader.readDataBytes(0, 2 * (W * 7 + 5), 2);
    expect(src.bytesRead - before).toBe(2);
    expect((b[0] << 8) | b[1]).toBe(pixel(5, 7));
  });
});
