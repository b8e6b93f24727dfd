/**
 * The sky grid against brute force (every cell within reach is visited, ids are consistent),
 * the quad index (codes of stored quads recomputed from the catalog; tolerance search equals a
 * brute-force scan; the file format round-trips and rejects corruption; a mismatched catalog is
 * refused).
 */
import { describe, expect, it } from 'vitest';
import {
  AstrometryError,
  buildCatalog,
  buildSkyIndex,
  catalogHash,
  checkIndexCatalog,
  codeValue,
  decodeSkyIndex,
  encodeSkyIndex,
  indexLevels,
  quadCode,
  searchIndex,
  SkyGrid,
} from '../../../src/science/astrometry/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { angularSeparationDeg } from '../../../src/science/wcs/index.js';
import { loadCones } from './frames.js';

describe('SkyGrid', () => {
  it('maps points to cells whose centres are near, and cellsNear visits every cell holding a point within the radius', () => {
    const rng = new Rng(3);
    for (const cellDeg of [0.5, 2, 7.3]) {
      const g = new SkyGrid(cellDeg);
      expect(g.zoneFirst[g.zones]).toBe(g.cells);
      for (let k = 0; k < 300; k++) {
        const ra = 360 * rng.uniform();
        const dec = (Math.asin(2 * rng.uniform() - 1) * 180) / Math.PI;
        const c = g.cellOf(ra, dec);
        const [cra, cdec] = g.cellCentre(c);
        expect(g.cellOf(cra, cdec)).toBe(c);
        // A cell is at most about one cell side wide in any direction (polar caps excepted).
        if (Math.abs(dec) < 90 - 2 * cellDeg) expect(angularSeparationDeg(ra, dec, cra, cdec)).toBeLessThan(1.5 * cellDeg);
        // Points within r of a query point: their cells are all visited.
        const r = cellDeg * (0.2 + 2 * rng.uniform());
        const seen = new Set<number>();
        g.cellsNear(ra, dec, r, (id) => {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        });
        for (let j = 0; j < 20; j++) {
          const pa = 2 * Math.PI * rng.uniform();
          const d = r * Math.sqrt(rng.uniform());
          const dec2 = Math.max(-90, Math.min(90, dec + d * Math.cos(pa)));
          const ra2 = ra + (d * Math.sin(pa)) / Math.max(1e-3, Math.cos((dec * Math.PI) / 180));
          if (angularSeparationDeg(ra, dec, ra2, dec2) > r) continue;
          expect(seen.has(g.cellOf(ra2, dec2))).toBe(true);
        }
      }
    }
  });
});

describe('sky index', () => {
  const { catalog } = loadCones();
  const index = buildSkyIndex(catalog, { quadSizeDeg: [0.3, 1.2] });

  it('covers the requested sizes with √2 levels and stores quads whose codes and sizes are right', () => {
    expect(indexLevels(0.3, 1.2).map(([a]) => Number(a.toFixed(4)))).toEqual([0.3, 0.4243, 0.6, 0.8485]);
    expect(index.levels.length).toBe(4);
    expect(index.keys.length).toBeGreaterThan(1000);
    expect(index.levels.reduce((a, l) => a + l.quads, 0)).toBe(index.keys.length);
    const code = new Float64Array(4);
    const order = new Int32Array(4);
    const d2r = Math.PI / 180;
    for (let q = 0; q < index.keys.length; q += 7) {
      const ids = Array.from(index.stars.subarray(4 * q, 4 * q + 4));
      // Recompute on the plane tangent at the backbone midpoint.
      const [ra0, dec0] = [catalog.raDeg[ids[0]], catalog.decDeg[ids[0]]];
      const px: number[] = [];
      const py: number[] = [];
      for (const id of ids) {
        const da = (catalog.raDeg[id] - ra0) * d2r;
        const d = catalog.decDeg[id] * d2r;
        const cosc = Math.sin(dec0 * d2r) * Math.sin(d) + Math.cos(dec0 * d2r) * Math.cos(d) * Math.cos(da);
        px.push((Math.cos(d) * Math.sin(da)) / cosc);
        py.push((Math.cos(dec0 * d2r) * Math.sin(d) - Math.sin(dec0 * d2r) * Math.cos(d) * Math.cos(da)) / cosc);
      }
      expect(quadCode(px, py, code, order)).toBeGreaterThan(0);
      // The stored order is already A, B, C, D.
      expect(Array.from(order)).toEqual([0, 1, 2, 3]);
      for (let k = 0; k < 4; k++) expect(Math.abs(codeValue(index.codes[4 * q + k]) - code[k])).toBeLessThan(2e-3);
      const size = angularSeparationDeg(catalog.raDeg[ids[0]], catalog.decDeg[ids[0]], catalog.raDeg[ids[1]], catalog.decDeg[ids[1]]);
      expect(size).toBeGreaterThanOrEqual(0.3 * 0.999);
      expect(size).toBeLessThanOrEqual(1.2 * Math.SQRT2 * 1.001);
    }
  });

  it('finds exactly the quads a brute-force scan finds within the tolerance', () => {
    const rng = new Rng(5);
    for (let t = 0; t < 50; t++) {
      const q0 = Math.floor(rng.uniform() * index.keys.length);
      const probe = [0, 1, 2, 3].map((k) => codeValue(index.codes[4 * q0 + k]) + 0.01 * (rng.uniform() - 0.5));
      const tol = 0.005 + 0.01 * rng.uniform();
      const found: number[] = [];
      searchIndex(index, probe, tol, (q) => found.push(q));
      const brute: number[] = [];
      for (let q = 0; q < index.keys.length; q++) {
        let d2 = 0;
        for (let k = 0; k < 4; k++) d2 += (codeValue(index.codes[4 * q + k]) - probe[k]) ** 2;
        if (d2 <= tol * tol) brute.push(q);
      }
      expect(found.sort((a, b) => a - b)).toEqual(brute);
    }
  });

  it('round-trips through its file format, refuses corruption and another catalog', () => {
    const bytes = encodeSkyIndex(index);
    const back = decodeSkyIndex(bytes);
    expect(Array.from(back.keys)).toEqual(Array.from(index.keys));
    expect(Array.from(back.stars)).toEqual(Array.from(index.stars));
    expect(Array.from(back.codes)).toEqual(Array.from(index.codes));
    expect(back.levels).toEqual(index.levels);
    expect(back.catalogHash).toBe(catalogHash(catalog));
    checkIndexCatalog(back, catalog);
    // Unaligned copy: decoded through DataView instead of views.
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    expect(Array.from(decodeSkyIndex(shifted).codes.subarray(0, 40))).toEqual(Array.from(index.codes.subarray(0, 40)));
    const bad = (b: Uint8Array, re: RegExp): void => {
      let err: unknown;
      try {
        decodeSkyIndex(b, 'x.oaidx');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AstrometryError);
      expect((err as AstrometryError).code).toBe('BAD_INDEX');
      expect((err as AstrometryError).message).toMatch(re);
    };
    bad(bytes.subarray(0, bytes.length - 4), /need \d+ bytes, the file has/);
    bad(Uint8Array.from(bytes, (v, i) => (i === 0 ? 0x58 : v)), /not an OpenAstro sky index/);
    const unsorted = Uint8Array.from(bytes);
    new DataView(unsorted.buffer).setUint32(64 + 40 * index.levels.length, 0xffffff, true);
    bad(unsorted, /not sorted|outside the code grid/);
    const other = buildCatalog({ raDeg: [...catalog.raDeg].map((r) => (r + 1) % 360), decDeg: catalog.decDeg, mag: catalog.mag, epochYr: 2000 });
    expect(() => checkIndexCatalog(back, other)).toThrow(/built from another catalog/);
  });
});
