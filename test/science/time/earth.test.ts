import { describe, expect, it } from 'vitest';
import {
  AU_M,
  checkSite,
  earthState,
  frameBiasMatrix,
  icrsToEqj,
  observerGeocentric,
  topocentricTdbTermS,
} from '../../../src/science/time/earth.js';
import { codeOf, readJson } from './fixtures.js';

describe('frame bias ICRS → mean J2000', () => {
  it('equals ERFA’s bp00 bias matrix to 1e-12', () => {
    const { rb } = readJson<{ rb: number[][] }>('frame_bias.json');
    const b = frameBiasMatrix();
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(Math.abs(b[i][j] - rb[i][j])).toBeLessThan(1e-12);
    const v = icrsToEqj([0, 0, 1]);
    expect(Math.hypot(...v)).toBeCloseTo(1, 15);
    expect(Math.abs(v[0] - rb[0][2])).toBeLessThan(1e-12);
  });
});

describe('observatory position (astronomy-engine, vs the WGS84 ellipsoid)', () => {
  const a = 6378137.0;
  const f = 1 / 298.257223563;
  const e2 = f * (2 - f);
  function wgs84(latDeg: number, h: number): { rho: number; z: number } {
    const phi = (latDeg * Math.PI) / 180;
    const n = a / Math.sqrt(1 - e2 * Math.sin(phi) ** 2);
    return { rho: (n + h) * Math.cos(phi), z: (n * (1 - e2) + h) * Math.sin(phi) };
  }

  it('has the WGS84 distance from the axis and the equator plane within 1 m (precession/nutation ≤ 1″ ≈ 30 m in z aside)', () => {
    for (const [lat, h] of [
      [0, 0],
      [19.8208, 4205],
      [-24.6272, 2635],
      [60.17, 30],
      [89.9, 0],
      [31.5, -400],
    ]) {
      const r = observerGeocentric(8000.25, { lonDeg: 33, latDeg: lat, heightM: h }).map((x) => x * AU_M);
      const w = wgs84(lat, h);
      expect(Math.abs(Math.hypot(...r) - Math.hypot(w.rho, w.z))).toBeLessThan(1);
    }
  });

  it('turns once per sidereal day', () => {
    const s = { lonDeg: 0, latDeg: 0, heightM: 0 };
    const r0 = observerGeocentric(5000, s);
    const r1 = observerGeocentric(5000 + 0.99726958, s);
    const r2 = observerGeocentric(5000 + 0.99726958 / 2, s);
    expect(Math.hypot(r1[0] - r0[0], r1[1] - r0[1]) * AU_M).toBeLessThan(50);
    expect(Math.hypot(r2[0] + r0[0], r2[1] + r0[1]) * AU_M).toBeLessThan(50); // diametrically opposite
  });
});

describe('Earth state (astronomy-engine)', () => {
  it('is an Earth orbit: 0.983–1.017 AU from the Sun, 29.2–30.4 km/s, the barycentre ≤ 0.011 AU from the Sun', () => {
    for (let d = -3650; d <= 11000; d += 97.3) {
      const e = earthState(d);
      const rh = Math.hypot(...e.helio);
      expect(rh).toBeGreaterThan(0.983);
      expect(rh).toBeLessThan(1.017);
      const v = (Math.hypot(...e.baryVel) * AU_M) / 86400;
      expect(v).toBeGreaterThan(29.2e3);
      expect(v).toBeLessThan(30.4e3 + 13);
      const sun = Math.hypot(e.bary[0] - e.helio[0], e.bary[1] - e.helio[1], e.bary[2] - e.helio[2]);
      expect(sun).toBeLessThan(0.011);
    }
  });

  it('site term of TDB − TT: v·r/c², at most |v| R⊕ / c² ≈ 2.1 µs', () => {
    const v: [number, number, number] = [0.0172, 0, 0]; // AU/day ≈ 29.8 km/s
    const r: [number, number, number] = [6378137 / AU_M, 0, 0];
    const t = topocentricTdbTermS(v, r);
    expect(t).toBeCloseTo((((0.0172 * AU_M) / 86400) * 6378137) / 299792458 ** 2, 15);
    expect(t).toBeGreaterThan(2.0e-6);
    expect(t).toBeLessThan(2.2e-6);
    expect(topocentricTdbTermS(v, [0, r[0], 0])).toBe(0);
  });

  it('validates sites', () => {
    expect(codeOf(() => checkSite({ lonDeg: 0, latDeg: 0, heightM: 0 }))).toBe('none');
    expect(codeOf(() => checkSite({ lonDeg: 400, latDeg: 0, heightM: 0 }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => checkSite({ lonDeg: 0, latDeg: 0, heightM: 1e6 }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => checkSite(undefined as unknown as { lonDeg: number; latDeg: number; heightM: number }))).toBe('BAD_ARGUMENT');
  });
});
