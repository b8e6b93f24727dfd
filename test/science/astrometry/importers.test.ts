/**
 * Importers: the astrometry.net index reader against astrometry.net's own query-starkd listing
 * of the committed index-tycho2-19 file, and against synthetic index files in both byte orders
 * and stored types; the FITS-table importer against the same listing and synthetic tables;
 * merging with de-duplication; typed errors for broken input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AstrometryError, mergeStarLists, readAstrometryNetIndex, readCatalogFitsTable } from '../../../src/science/astrometry/index.js';
import { buildBinTable } from '../../../src/science/fits/bintable.js';
import { Header } from '../../../src/science/fits/header.js';
import { writeFits, type HduToWrite } from '../../../src/science/fits/writer.js';
import { Rng } from '../../../src/science/inference/random.js';
import { angularSeparationDeg } from '../../../src/science/wcs/index.js';
import { ROOT } from './frames.js';

const FIX = join(ROOT, 'test/fixtures/astrometry');

async function expectAstrometryError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AstrometryError);
  expect((e as AstrometryError).code).toBe(code);
  expect((e as AstrometryError).message).toMatch(message);
}

describe('astrometry.net index files', () => {
  it('reads every star of index-tycho2-19 as query-starkd lists it (positions < 1 mas, magnitudes exact)', async () => {
    const ours = await readAstrometryNetIndex(join(FIX, 'index-tycho2-19.fits'));
    const ref = await readCatalogFitsTable(join(FIX, 'index-tycho2-19.query-starkd.fits'));
    expect(ours.raDeg.length).toBe(1080);
    expect(ref.raDeg.length).toBe(1080);
    expect(ours.indexId).toBe(4119);
    expect(ours.magColumn).toBe('MAG_VT');
    expect(ours.quadScaleArcmin![0]).toBeCloseTo(1400, 0);
    // Match each reference star to ours by position (the orders may differ).
    const byDec = Array.from({ length: ours.decDeg.length }, (_, i) => i);
    let worst = 0;
    for (let j = 0; j < ref.raDeg.length; j++) {
      let best = Infinity;
      let bi = -1;
      for (const i of byDec) {
        if (Math.abs(ours.decDeg[i] - ref.decDeg[j]) > 1e-5) continue;
        const d = angularSeparationDeg(ours.raDeg[i], ours.decDeg[i], ref.raDeg[j], ref.decDeg[j]);
        if (d < best) {
          best = d;
          bi = i;
        }
      }
      expect(bi).toBeGreaterThanOrEqual(0);
      expect(ours.mag[bi]).toBe(ref.mag[j]);
      worst = Math.max(worst, best * 3.6e6);
    }
    expect(worst).toBeLessThan(1); // mas
  });

  /** A minimal index file in the documented layout, holding the given stars. */
  function syntheticIndex(ra: number[], dec: number[], mag: number[], opts: { little: boolean; type: 'u32' | 'double'; dropTagAlong?: boolean; ndim?: number }): Uint8Array {
    const n = ra.length;
    const le = opts.little;
    const primary = new Header([
      { keyword: 'SIMPLE', value: true },
      { keyword: 'BITPIX', value: 8 },
      { keyword: 'NAXIS', value: 0 },
      { keyword: 'EXTEND', value: true },
      { keyword: 'ENDIAN', value: le ? '04:03:02:01' : '01:02:03:04' },
      { keyword: 'INDEXID', value: 9999 },
      { keyword: 'SCALE_L', value: 0.001 },
      { keyword: 'SCALE_U', value: 0.002 },
    ]);
    const rawTable = (name: string, rowBytes: number, bytes: Uint8Array, extra: Array<[string, string | number]> = []): HduToWrite => {
      const rows = rowBytes === 0 ? 0 : bytes.length / rowBytes;
      const h = new Header([
        { keyword: 'XTENSION', value: 'BINTABLE' },
        { keyword: 'BITPIX', value: 8 },
        { keyword: 'NAXIS', value: 2 },
        { keyword: 'NAXIS1', value: rowBytes },
        { keyword: 'NAXIS2', value: rows },
        { keyword: 'PCOUNT', value: 0 },
        { keyword: 'GCOUNT', value: 1 },
        { keyword: 'TFIELDS', value: 1 },
        { keyword: 'TFORM1', value: `${rowBytes}A` },
        { keyword: 'TTYPE1', value: name },
        ...extra.map(([keyword, value]) => ({ keyword, value })),
      ]);
      return bytes.length > 0 ? { header: h, data: bytes } : { header: h };
    };
    const ndim = opts.ndim ?? 3;
    const width = opts.type === 'u32' ? 4 : 8;
    const data = new Uint8Array(n * ndim * width);
    const dv = new DataView(data.buffer);
    const lo = -1;
    const scale = 2 ** 31; // tree units per unit
    const d2r = Math.PI / 180;
    for (let i = 0; i < n; i++) {
      const v = [Math.cos(dec[i] * d2r) * Math.cos(ra[i] * d2r), Math.cos(dec[i] * d2r) * Math.sin(ra[i] * d2r), Math.sin(dec[i] * d2r)];
      for (let d = 0; d < ndim; d++) {
        const o = (i * ndim + d) * width;
        if (opts.type === 'u32') dv.setUint32(o, Math.round((v[d] - lo) * scale), le);
        else dv.setFloat64(o, v[d], le);
      }
    }
    const range = new Uint8Array(8 * (2 * ndim + 1));
    const rv = new DataView(range.buffer);
    for (let d = 0; d < ndim; d++) {
      rv.setFloat64(8 * d, lo, le);
      rv.setFloat64(8 * (ndim + d), 1, le);
    }
    rv.setFloat64(8 * 2 * ndim, scale, le);
    const hdus: HduToWrite[] = [
      { header: primary },
      rawTable('kdtree_header_stars', 0, new Uint8Array(0), [
        ['KDT_NAME', 'stars'],
        ['KDT_NDAT', n],
        ['KDT_NDIM', ndim],
        ['KDT_DATA', opts.type],
        ['ENDIAN', le ? '04:03:02:01' : '01:02:03:04'],
      ]),
      rawTable('kdtree_range_stars', 8, range),
      rawTable('kdtree_data_stars', ndim * width, data),
    ];
    if (!opts.dropTagAlong) {
      const t = buildBinTable([{ name: 'MAG_BT', format: 'E', values: Float32Array.from(mag, (m) => m + 0.5) }, { name: 'MAG_VT', format: 'E', values: Float32Array.from(mag) }]);
      t.header.set('AN_FILE', 'TAGALONG');
      hdus.push({ header: t.header, data: t.data });
    }
    return writeFits(hdus);
  }

  const rng = new Rng(8);
  const n = 200;
  const ra = Array.from({ length: n }, () => 360 * rng.uniform());
  const dec = Array.from({ length: n }, () => (Math.asin(2 * rng.uniform() - 1) * 180) / Math.PI);
  const mag = Array.from({ length: n }, () => Math.fround(6 + 6 * rng.uniform()));

  for (const little of [true, false]) {
    for (const type of ['u32', 'double'] as const) {
      it(`recovers injected stars from a ${little ? 'little' : 'big'}-endian ${type} star tree`, async () => {
        const s = await readAstrometryNetIndex(syntheticIndex(ra, dec, mag, { little, type }));
        expect(s.indexId).toBe(9999);
        expect(s.tagAlongColumns).toEqual(['MAG_BT', 'MAG_VT']);
        let worst = 0;
        for (let i = 0; i < n; i++) {
          worst = Math.max(worst, angularSeparationDeg(s.raDeg[i], s.decDeg[i], ra[i], dec[i]) * 3.6e6);
          expect(s.mag[i]).toBe(mag[i]);
        }
        // u32 units of 2⁻³¹ on a unit vector: ≈ 0.1 mas.
        expect(worst).toBeLessThan(type === 'u32' ? 0.5 : 1e-6);
        const bt = await readAstrometryNetIndex(syntheticIndex(ra, dec, mag, { little, type }), { magColumn: 'mag_bt' });
        expect(bt.mag[0]).toBeCloseTo(mag[0] + 0.5, 5);
      });
    }
  }

  it('rejects broken files with a typed error naming the problem', async () => {
    await expectAstrometryError(readAstrometryNetIndex(syntheticIndex(ra, dec, mag, { little: true, type: 'u32', dropTagAlong: true })), 'BAD_TABLE', /tag-along/);
    await expectAstrometryError(readAstrometryNetIndex(syntheticIndex(ra, dec, mag, { little: true, type: 'u32', ndim: 2 })), 'BAD_TABLE', /KDT_NDIM 2/);
    await expectAstrometryError(readAstrometryNetIndex(syntheticIndex(ra, dec, mag, { little: true, type: 'u32' }), { magColumn: 'MAG_R' }), 'BAD_TABLE', /no tag-along column 'MAG_R'/);
    const good = syntheticIndex(ra, dec, mag, { little: true, type: 'u32' });
    await expectAstrometryError(readAstrometryNetIndex(good.subarray(0, good.length - 2880)), 'BAD_TABLE', /./);
    await expectAstrometryError(readAstrometryNetIndex(join(FIX, 'index-tycho2-19.query-starkd.fits')), 'BAD_TABLE', /not an astrometry.net index file/);
  });
});

describe('FITS binary tables', () => {
  it('reads the query-starkd listing (RA, DEC, MAG_VT) and a Gaia-style table with proper motion in radians', async () => {
    const ref = await readCatalogFitsTable(readFileSync(join(FIX, 'index-tycho2-19.query-starkd.fits')));
    expect(ref.raDeg.length).toBe(1080);
    expect(ref.epochYr).toBe(2000);
    const d2r = Math.PI / 180;
    const t = buildBinTable([
      { name: 'source_id', format: 'K', values: BigInt64Array.from([1n, 2n, 3n]) },
      { name: 'ra', format: 'D', unit: 'rad', values: Float64Array.from([10 * d2r, 200 * d2r, 359.9 * d2r]) },
      { name: 'dec', format: 'D', unit: 'rad', values: Float64Array.from([-30 * d2r, 0, 89 * d2r]) },
      { name: 'phot_g_mean_mag', format: 'E', values: Float32Array.from([8, 9, 10]) },
      { name: 'pmra', format: 'D', values: Float64Array.from([5, NaN, -3]) },
      { name: 'pmdec', format: 'D', values: Float64Array.from([1, 2, NaN]) },
    ]);
    const bytes = writeFits([{ header: new Header([{ keyword: 'SIMPLE', value: true }, { keyword: 'BITPIX', value: 8 }, { keyword: 'NAXIS', value: 0 }, { keyword: 'EXTEND', value: true }]) }, t]);
    const g = await readCatalogFitsTable(bytes);
    expect(g.epochYr).toBe(2016);
    expect(Array.from(g.raDeg, (v) => Number(v.toFixed(9)))).toEqual([10, 200, 359.9]);
    expect(Array.from(g.decDeg, (v) => Number(v.toFixed(9)))).toEqual([-30, 0, 89]);
    expect(Array.from(g.pmRaMasYr!)).toEqual([5, 0, -3]);
    expect(Array.from(g.pmDecMasYr!)).toEqual([1, 2, 0]);
    // Named columns.
    const named = await readCatalogFitsTable(bytes, { raColumn: 'RA', decColumn: 'DEC', magColumn: 'phot_g_mean_mag', epochYr: 2015.5 });
    expect(named.epochYr).toBe(2015.5);
  });

  it('rejects tables without the columns, with bad values or units, naming row and column', async () => {
    const primary = { header: new Header([{ keyword: 'SIMPLE', value: true }, { keyword: 'BITPIX', value: 8 }, { keyword: 'NAXIS', value: 0 }, { keyword: 'EXTEND', value: true }]) };
    const noMag = writeFits([primary, buildBinTable([{ name: 'ra', format: 'D', values: Float64Array.from([1]) }, { name: 'dec', format: 'D', values: Float64Array.from([2]) }])]);
    await expectAstrometryError(readCatalogFitsTable(noMag), 'BAD_TABLE', /no magnitude column/);
    const badMag = writeFits([primary, buildBinTable([{ name: 'ra', format: 'D', values: Float64Array.from([1, 2]) }, { name: 'dec', format: 'D', values: Float64Array.from([2, 3]) }, { name: 'mag', format: 'E', values: Float32Array.from([9, NaN]) }])]);
    await expectAstrometryError(readCatalogFitsTable(badMag), 'BAD_TABLE', /HDU 1 column 'mag': row 2: NaN is not a valid magnitude/);
    const badUnit = writeFits([primary, buildBinTable([{ name: 'ra', format: 'D', unit: 'hourangle', values: Float64Array.from([1]) }, { name: 'dec', format: 'D', values: Float64Array.from([2]) }, { name: 'mag', format: 'E', values: Float32Array.from([9]) }])]);
    await expectAstrometryError(readCatalogFitsTable(badUnit), 'BAD_TABLE', /unit 'hourangle'/);
    await expectAstrometryError(readCatalogFitsTable(noMag, { raColumn: 'alpha' }), 'BAD_TABLE', /no binary table with an RA column/);
    await expectAstrometryError(readCatalogFitsTable(new Uint8Array(100)), 'BAD_TABLE', /./);
  });
});

describe('mergeStarLists', () => {
  it('drops later copies within the de-duplication radius and keeps distinct neighbours', () => {
    const a = { raDeg: [10, 20, 359.99999], decDeg: [0, 45, -10], mag: [5, 6, 7], epochYr: 2000 };
    const b = { raDeg: [10 + 1e-7, 20 + 2 / 3600 / Math.cos((45 * Math.PI) / 180), 0.0000001], decDeg: [0, 45, -10], mag: [5.5, 6, 7.5], epochYr: 2000 };
    const m = mergeStarLists([a, b], { dedupArcsec: 0.1 });
    expect(m.duplicates).toBe(2);
    expect(Array.from(m.mag)).toEqual([5, 6, 7, 6]);
    expect(() => mergeStarLists([a, { ...b, epochYr: 2016 }])).toThrow(/epochs 2000 and 2016/);
  });
});
