import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { airmass, horizontal, j2000ToOfDate, ofDateToJ2000 } from '../../src/agent/devices/coordinates.js';
import { angularSeparationDeg } from '../../src/science/wcs/index.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/agent/coordinates.json', import.meta.url), 'utf8')) as {
  ofDate: Array<{ raDeg: number; decDeg: number; utc: string; raOfDateDeg: number; decOfDateDeg: number }>;
  altaz: Array<{ raDeg: number; decDeg: number; utc: string; latDeg: number; lonDeg: number; heightM: number; altDeg: number; azDeg: number }>;
};

describe('coordinates', () => {
  it('J2000 → equator of date matches ERFA pnm06a (2006/2000A) to 0.2″ (short nutation series of astronomy-engine)', () => {
    for (const g of golden.ofDate) {
      const [ra, dec] = j2000ToOfDate(g.raDeg, g.decDeg, new Date(g.utc));
      expect(angularSeparationDeg(ra, dec, g.raOfDateDeg, g.decOfDateDeg) * 3600).toBeLessThan(0.2);
      const [ra0, dec0] = ofDateToJ2000(ra, dec, new Date(g.utc));
      expect(angularSeparationDeg(ra0, dec0, g.raDeg, g.decDeg) * 3600).toBeLessThan(1e-6);
    }
  });

  it('altitude and azimuth match astropy AltAz within its aberration (< 25″)', () => {
    for (const g of golden.altaz) {
      const h = horizontal(g.raDeg, g.decDeg, { latDeg: g.latDeg, lonDeg: g.lonDeg, heightM: g.heightM }, new Date(g.utc));
      expect(Math.abs(h.altDeg - g.altDeg) * 3600).toBeLessThan(25);
      const dAz = (((h.azDeg - g.azDeg + 540) % 360) - 180) * Math.cos((g.altDeg * Math.PI) / 180);
      expect(Math.abs(dAz) * 3600).toBeLessThan(25);
    }
  });

  it('hour angle is LST − RA: a star transits at HA 0 at its highest altitude', () => {
    const site = { latDeg: 50, lonDeg: 10, heightM: 0 };
    const t0 = Date.parse('2026-01-15T18:00:00Z');
    let best = { alt: -99, ha: 0 };
    for (let m = 0; m < 24 * 60; m += 2) {
      const h = horizontal(83.822, -5.391, site, new Date(t0 + m * 60e3));
      if (h.altDeg > best.alt) best = { alt: h.altDeg, ha: h.haDeg };
    }
    // Upper culmination: altitude 90 − |lat − dec| (of date) at HA ≈ 0 (2-minute steps = 0.5°).
    expect(Math.abs(best.ha)).toBeLessThan(0.6);
    expect(best.alt).toBeCloseTo(90 - 50 - 5.373, 1);
  });

  it('airmass: Pickering (2002) values', () => {
    expect(airmass(90)).toBeCloseTo(1, 4);
    expect(airmass(30)).toBeCloseTo(1.995, 2);
    expect(airmass(0)).toBeGreaterThan(35);
    expect(airmass(-5)).toBe(Infinity);
  });
});
