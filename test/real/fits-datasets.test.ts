/**
 * Every FITS file in ../shared/datasets opens, every HDU's data unit is where the header
 * says, images decode, tables read, and checksums that are present verify.
 */
import { describe, expect, it } from 'vitest';
import { relative } from 'node:path';
import { FitsReader } from '../../src/science/fits/reader.js';
import { readBinTable } from '../../src/science/fits/bintable.js';
import { decompressImage } from '../../src/science/fits/compression/index.js';
import { DATASETS, findFiles, haveDatasets } from './shared.js';

const files = findFiles(/\.(fits|fit|fts|fz)$/i);

/**
 * Files whose stored CHECKSUM/DATASUM do not match their bytes — astropy agrees
 * (verify_checksum = verify_datasum = 0): the DECam cut-outs carry the full frames' sums.
 * For these, reporting 'bad' is the correct answer.
 */
const KNOWN_BAD_CHECKSUMS = /decam-transient-diffimg\//;

describe.skipIf(!haveDatasets)('real FITS files in ../shared/datasets', () => {
  it('finds the data sets', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  for (const file of files) {
    it(relative(DATASETS, file), async () => {
      const reader = await FitsReader.open(file);
      try {
        expect(reader.hdus.length).toBeGreaterThan(0);
        const last = reader.hdus[reader.hdus.length - 1];
        // The last data unit ends inside the file (padding may be absent on sloppy writers).
        expect(last.dataOffset + last.dataByteLength).toBeLessThanOrEqual(reader.source.size);
        for (const hdu of reader.hdus) {
          if (hdu.type === 'image' && hdu.dataByteLength > 0) {
            const img = await reader.readImage(hdu.index);
            const n = img.axes.reduce((a, b) => a * b, 1);
            expect(img.data.length).toBe(n);
          } else if (hdu.type === 'bintable') {
            const table = readBinTable(hdu.header, await reader.readDataBytes(hdu.index), { hdu: hdu.index });
            for (let c = 0; c < table.columns.length; c++) {
              const values = table.column(c);
              if (values.kind !== 'varlen' && values.kind !== 'string') {
                expect(values.values.length).toBe(table.rows * values.repeat);
              }
            }
          } else if (hdu.type === 'compressed-image') {
            const { image } = decompressImage(hdu.header, await reader.readDataBytes(hdu.index), { hdu: hdu.index });
            expect(image.data.length).toBe(image.axes.reduce((a, b) => a * b, 1));
          }
          const sums = await reader.verifyChecksum(hdu.index);
          if (KNOWN_BAD_CHECKSUMS.test(file)) {
            if (hdu.header.has('DATASUM')) expect(sums.datasum).toBe('bad');
          } else {
            expect(sums.checksum).not.toBe('bad');
            expect(sums.datasum).not.toBe('bad');
          }
        }
      } finally {
        await reader.close();
      }
    });
  }
});
