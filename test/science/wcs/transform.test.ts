/**
 * pixel ↔ sky against astropy.wcs (wcslib 7.12) on every fixture header: TAN with CD,
 * PC + CDELT, CROTA2; TAN-SIP with and without AP/BP; TPV; a field across RA = 0; fields
 * near both poles and at the pole; non-default LONPOLE; latitude-first axes; galactic;
 * an alternate WCS; and two real headers.
 */
import { describe, expect, it } from 'vitest';
import {
  pixToSky,
  pixToSkyBatch,
  skyToPix,
  skyToPixBatch,
  wcsFromHeader,
  type Wcs,
} from '../../../src/science/wcs/index.js';
import { CASES, loadGolden, loadHeader, sepArcsec } from './helpers.js';

/** Required agreement (brief): 1e-4 arcsec and 1e-6 px. We hold ourselves tighter. */
const MAX_ARCSEC = 1e-6;
const MAX_PX = 1e-7;

function load(name: string): { wcs: Wcs; g: ReturnType<typeof loadGolden> } {
  const g = loadGolden(name);
  const header = loadHeader(name);
  const wcs = wcsFromHeader(header, { key: g.key || undefined });
  if (!wcs) throw new Error(`${name}: no WCS`);
  return { wcs, g };
}

describe.each(CASES)('%s', (name) => {
  const { wcs, g } = load(name);

  it('reads the same model as astropy (CRPIX, CRVAL, CD, LONPOLE, RADESYS, EQUINOX)', () => {
    expect(wcs.crpix[0]).toBeCloseTo(g.astropy.crpix0[0], 12);
    expect(wcs.crpix[1]).toBeCloseTo(g.astropy.crpix0[1], 12);
    // astropy reports world axes in header order; ours is longitude first.
    const swapped = g.astropy.ctype[0].startsWith('DEC');
    const crval = swapped ? [g.astropy.crval[1], g.astropy.crval[0]] : g.astropy.crval;
    expect(wcs.crval[0]).toBeCloseTo(crval[0], 12);
    expect(wcs.crval[1]).toBeCloseTo(crval[1], 12);
    const cd = swapped ? [g.astropy.cd[1], g.astropy.cd[0]] : g.astropy.cd;
    const scale = Math.hypot(...wcs.cd);
    expect(Math.abs(wcs.cd[0] - cd[0][0]) / scale).toBeLessThan(1e-13);
    expect(Math.abs(wcs.cd[1] - cd[0][1]) / scale).toBeLessThan(1e-13);
    expect(Math.abs(wcs.cd[2] - cd[1][0]) / scale).toBeLessThan(1e-13);
    expect(Math.abs(wcs.cd[3] - cd[1][1]) / scale).toBeLessThan(1e-13);
    expect(wcs.lonpole).toBe(g.astropy.lonpole);
    if (wcs.ctype[0].startsWith('RA')) {
      expect(wcs.radesys).toBe(g.astropy.radesys);
      if (g.astropy.equinox === null) expect(wcs.equinox).toBeUndefined();
      else expect(wcs.equinox).toBe(g.astropy.equinox);
    }
  });

  it('pixel → sky matches all_pix2world', () => {
    let worst = 0;
    for (let i = 0; i < g.pix.length; i++) {
      const [ra, dec] = pixToSky(wcs, g.pix[i][0], g.pix[i][1]);
      expect(ra).toBeGreaterThanOrEqual(0);
      expect(ra).toBeLessThan(360);
      worst = Math.max(worst, sepArcsec(ra, dec, g.sky[i][0], g.sky[i][1]));
    }
    expect(worst).toBeLessThan(MAX_ARCSEC);
  });

  it('sky → pixel matches all_world2pix (exact inverse)', () => {
    let worst = 0;
    for (let i = 0; i < g.skyIn.length; i++) {
      const [x, y] = skyToPix(wcs, g.skyIn[i][0], g.skyIn[i][1]);
      worst = Math.max(worst, Math.hypot(x - g.pixExact[i][0], y - g.pixExact[i][1]));
    }
    expect(worst).toBeLessThan(MAX_PX);
  });

  it.runIf(g.pixPolynomial !== undefined)('sky → pixel with AP/BP only matches sip_foc2pix', () => {
    let worst = 0;
    for (let i = 0; i < g.skyIn.length; i++) {
      const [x, y] = skyToPix(wcs, g.skyIn[i][0], g.skyIn[i][1], { sipInverse: 'polynomial' });
      worst = Math.max(worst, Math.hypot(x - g.pixPolynomial![i][0], y - g.pixPolynomial![i][1]));
    }
    expect(worst).toBeLessThan(MAX_PX);
  });

  it('batched transforms equal the scalar ones', () => {
    const xs = Float64Array.from(g.pix, (p) => p[0]);
    const ys = Float64Array.from(g.pix, (p) => p[1]);
    const sky = pixToSkyBatch(wcs, xs, ys);
    for (let i = 0; i < xs.length; i++) {
      const [ra, dec] = pixToSky(wcs, xs[i], ys[i]);
      expect(sky.raDeg[i]).toBe(ra);
      expect(sky.decDeg[i]).toBe(dec);
    }
    const ras = Float64Array.from(g.skyIn, (p) => p[0]);
    const decs = Float64Array.from(g.skyIn, (p) => p[1]);
    for (const sipInverse of ['exact', 'polynomial'] as const) {
      const pix = skyToPixBatch(wcs, ras, decs, undefined, { sipInverse });
      for (let i = 0; i < ras.length; i++) {
        const [x, y] = skyToPix(wcs, ras[i], decs[i], { sipInverse });
        expect(pix.xPx[i]).toBe(x);
        expect(pix.yPx[i]).toBe(y);
      }
    }
  });

  it('round-trips pixel → sky → pixel', () => {
    let worst = 0;
    for (const [x, y] of g.pix) {
      const [ra, dec] = pixToSky(wcs, x, y);
      const [bx, by] = skyToPix(wcs, ra, dec);
      worst = Math.max(worst, Math.hypot(bx - x, by - y));
    }
    expect(worst).toBeLessThan(1e-8);
  });
});

describe('special inputs', () => {
  const { wcs } = load('tan_cd');
  it('gives NaN for positions behind the TAN horizon and for NaN input', () => {
    const [ra0, dec0] = [wcs.crval[0], wcs.crval[1]];
    const [x, y] = skyToPix(wcs, ra0 + 180, -dec0);
    expect(x).toBeNaN();
    expect(y).toBeNaN();
    expect(skyToPix(wcs, ra0 + 90.001, -dec0).every(Number.isNaN)).toBe(true); // just beyond the horizon
    expect(pixToSky(wcs, NaN, 0).every(Number.isNaN)).toBe(true);
    expect(skyToPix(wcs, NaN, 0).every(Number.isNaN)).toBe(true);
    const b = skyToPixBatch(wcs, Float64Array.of(NaN, ra0, Infinity), Float64Array.of(0, dec0, 0));
    expect(b.xPx[0]).toBeNaN();
    expect(b.xPx[1]).toBeCloseTo(wcs.crpix[0], 9);
    expect(b.xPx[2]).toBeNaN();
  });
  it('treats RA modulo 360', () => {
    const [x1, y1] = skyToPix(wcs, 150.1, 2.3);
    const [x2, y2] = skyToPix(wcs, 150.1 - 720, 2.3);
    expect(x2).toBeCloseTo(x1, 6);
    expect(y2).toBeCloseTo(y1, 6);
  });
  it('writes into caller arrays and checks their lengths', () => {
    const out = { raDeg: new Float64Array(3), decDeg: new Float64Array(3) };
    const res = pixToSkyBatch(wcs, Float64Array.of(1, 2), Float64Array.of(3, 4), out);
    expect(res.raDeg).toBe(out.raDeg);
    expect(out.raDeg[2]).toBe(0);
    expect(() => pixToSkyBatch(wcs, Float64Array.of(1, 2), Float64Array.of(3))).toThrow(/xPx has 2 values/);
    expect(() => pixToSkyBatch(wcs, Float64Array.of(1, 2), Float64Array.of(3, 4), { raDeg: new Float64Array(1), decDeg: new Float64Array(2) })).toThrow(
      /length ≥ 2/,
    );
  });
});
