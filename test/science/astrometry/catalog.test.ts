/**
 * Catalog format, cone queries against a brute-force scan, proper motion against the
 * analytic great-circle motion, CSV importers and their errors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AstrometryError, applyProperMotion, buildCatalog, CatalogFile, coneQuery, decodeCatalog, encodeCatalog, parseCatalogCsv } from '../../../src/science/astrometry/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { angularSeparationDeg } from '../../../src/science/wcs/index.js';

function randomCatalog(n: number, seed: number) {
  const rng = new Rng(seed);
  const ra: number[] = [];
  const dec: number[] = [];
  const mag: number[] = [];
  const pmra: number[] = [];
  const pmdec: number[] = [];
  for (let i = 0; i < n; i++) {
    ra.push(rng.uniform() * 360);
    dec.push((Math.asin(2 * rng.uniform() - 1) * 180) / Math.PI);
    mag.push(6 + 10 * rng.uniform());
    pmra.push((rng.uniform() - 0.5) * 200);
    pmdec.push((rng.uniform() - 0.5) * 200);
  }
  return buildCatalog({ raDeg: ra, decDeg: dec, mag, pmRaMasYr: pmra, pmDecMasYr: pmdec, epochYr: 2016 }, { zoneHeightDeg: 2 });
}

describe('star catalog', () => {
  const cat = randomCatalog(20000, 3);
  const cones: Array<[number, number, number]> = [
    [10, 20, 3],
    [359.5, -4, 2.5], // wraps through RA 0
    [0.2, 45, 6],
    [180, 88.5, 3], // holds the pole
    [271, -89.9, 1],
    [123, -30, 0.7],
    [45, 0, 40],
  ];

  it('round-trips through the file format unchanged', () => {
    const back = decodeCatalog(encodeCatalog(cat));
    expect(back.raDeg).toEqual(cat.raDeg);
    expect(back.decDeg).toEqual(cat.decDeg);
    expect(back.mag).toEqual(cat.mag);
    expect(back.pmRaMasYr).toEqual(cat.pmRaMasYr);
    expect(back.zoneStart).toEqual(cat.zoneStart);
    expect(back.epochYr).toBe(2016);
  });

  it('cone queries (memory and file) return exactly the brute-force set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oacat-'));
    const path = join(dir, 'c.oacat');
    writeFileSync(path, encodeCatalog(cat));
    const file = await CatalogFile.open(path);
    expect(file.info()).toMatchObject({ stars: 20000, zones: 90, hasProperMotion: true, epochYr: 2016 });
    for (const [ra, dec, r] of cones) {
      const brute: string[] = [];
      for (let i = 0; i < cat.raDeg.length; i++) if (angularSeparationDeg(cat.raDeg[i], cat.decDeg[i], ra, dec) <= r) brute.push(`${cat.raDeg[i]},${cat.decDeg[i]}`);
      const mem = coneQuery(cat, ra, dec, r);
      const fromFile = await file.cone(ra, dec, r);
      const keys = (c: typeof mem) => Array.from(c.raDeg, (x, i) => `${x},${c.decDeg[i]}`).sort();
      expect(keys(mem)).toEqual(brute.sort());
      expect(keys(fromFile)).toEqual(brute.sort());
      expect(brute.length).toBeGreaterThan(0);
    }
  });

  it('applies proper motion along the great circle', () => {
    // 1000 mas/yr due north at Dec 0 for 14 yr: exactly 14″ north.
    const a = applyProperMotion({ raDeg: Float64Array.of(50), decDeg: Float64Array.of(0), mag: Float32Array.of(5), pmRaMasYr: Float32Array.of(0), pmDecMasYr: Float32Array.of(1000), epochYr: 2016 }, 2030);
    expect(a.raDeg[0]).toBeCloseTo(50, 12);
    expect((a.decDeg[0] * 3600)).toBeCloseTo(14, 9);
    // Due east at Dec 60: a great circle through the start point at PA 90°; after angle θ,
    // sin δ = sin δ0 cos θ and tan Δα = sin θ / (cos δ0 cos θ).
    const th = (((5000 * 14) / 3.6e6) * Math.PI) / 180;
    const d0 = Math.PI / 3;
    const b = applyProperMotion({ raDeg: Float64Array.of(10), decDeg: Float64Array.of(60), mag: Float32Array.of(5), pmRaMasYr: Float32Array.of(5000), pmDecMasYr: Float32Array.of(0), epochYr: 2016 }, 2030);
    expect(b.decDeg[0]).toBeCloseTo((Math.asin(Math.sin(d0) * Math.cos(th)) * 180) / Math.PI, 11);
    expect(b.raDeg[0]).toBeCloseTo(10 + (Math.atan2(Math.sin(th), Math.cos(d0) * Math.cos(th)) * 180) / Math.PI, 11);
    // Barnard's star (Gaia DR3: pmra −801.551, pmdec 10362.394 mas/yr): total motion μ·Δt.
    const c = applyProperMotion({ raDeg: Float64Array.of(269.44850252543), decDeg: Float64Array.of(4.73942002), mag: Float32Array.of(8.2), pmRaMasYr: Float32Array.of(-801.551), pmDecMasYr: Float32Array.of(10362.394), epochYr: 2016 }, 2030);
    const mu = Math.hypot(Math.fround(-801.551), Math.fround(10362.394)) * 14;
    expect(angularSeparationDeg(c.raDeg[0], c.decDeg[0], 269.44850252543, 4.73942002) * 3.6e6).toBeCloseTo(mu, 3);
    // Through a cone query with an epoch.
    const cat1 = buildCatalog({ raDeg: [50], decDeg: [0], mag: [5], pmRaMasYr: [0], pmDecMasYr: [1000], epochYr: 2016 });
    expect(coneQuery(cat1, 50, 0, 1, { epochYr: 2030 }).decDeg[0] * 3600).toBeCloseTo(14, 3);
  });
});

describe('CSV import', () => {
  it('reads Gaia-style columns (case-insensitive) with epoch 2016 and proper motion', () => {
    const c = parseCatalogCsv('RA,DEC,Phot_G_Mean_Mag,PMRA,PMDEC\n10.5,-3.25,12.1,1.5,-2\n11,-3,13,,\n');
    expect(c.epochYr).toBe(2016);
    expect(Array.from(c.raDeg)).toEqual([10.5, 11]);
    expect(Array.from(c.pmRaMasYr!)).toEqual([1.5, 0]);
    expect(Array.from(c.pmDecMasYr!)).toEqual([-2, 0]);
  });
  it('reads Tycho-2-style columns with epoch 2000', () => {
    const c = parseCatalogCsv('TYC,RAmdeg,DEmdeg,pmRA,pmDE,BTmag,VTmag\n"1-2-1",1.0,2.0,3,4,10.5,10.1\n');
    expect(c.epochYr).toBe(2000);
    expect(Array.from(c.mag)).toEqual([10.1]);
    expect(Array.from(c.pmDecMasYr!)).toEqual([4]);
  });
  it('rejects bad input naming the line and column', () => {
    const err = (t: string): AstrometryError => {
      try {
        parseCatalogCsv(t, { file: 'x.csv' });
      } catch (e) {
        return e as AstrometryError;
      }
      throw new Error('no error');
    };
    let e = err('ra,dec,mag\n1,2,3\n1,abc,3\n');
    expect(e).toBeInstanceOf(AstrometryError);
    expect(e.code).toBe('BAD_CSV');
    expect(e.location).toEqual({ file: 'x.csv', line: 3, column: 'dec' });
    expect(e.message).toMatch(/x\.csv line 3 column 'dec'/);
    e = err('ra,dec,mag\n1,2,3\n\n1,95,3\n');
    expect(e.location.line).toBe(4);
    e = err('ra,dec,mag\n1,2\n');
    expect(e.location.line).toBe(2);
    e = err('ra,flux\n1,2\n');
    expect(e.message).toMatch(/no dec, mag column/);
  });
});
