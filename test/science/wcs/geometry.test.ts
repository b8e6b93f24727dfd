/**
 * Pixel scale, orientation, footprint and field of view against astropy: local scales and
 * position angles from astropy positions with SkyCoord separations / position angles,
 * footprints from WCS.calc_footprint.
 */
import { describe, expect, it } from 'vitest';
import {
  angularSeparationDeg,
  createWcs,
  fieldOfView,
  footprint,
  isFlipped,
  pixelScaleArcsec,
  rotationDeg,
  wcsFromHeader,
} from '../../../src/science/wcs/index.js';
import { CASES, loadGolden, loadHeader, sepArcsec, wrapDeg } from './helpers.js';

describe.each(CASES)('%s', (name) => {
  const g = loadGolden(name);
  const wcs = wcsFromHeader(loadHeader(name), { key: g.key || undefined })!;
  // TPV's r term (PV1_3) has a kink at the tangent point: no derivative there to compare.
  const atKink = (p: [number, number]): boolean => wcs.tpv !== undefined && p[0] === wcs.crpix[0] && p[1] === wcs.crpix[1];

  it('local pixel scale', () => {
    for (const s of g.scale.filter((q) => !atKink(q.atPx))) {
      // The reference uses ±0.5 px finite differences too; both are O(h²) ≈ 1e-11 relative.
      expect(Math.abs(pixelScaleArcsec(wcs, s.atPx) / s.arcsec - 1)).toBeLessThan(1e-8);
    }
    if (!wcs.sip && !wcs.tpv) {
      // Plain TAN at the tangent point: exactly √|det CD|.
      expect(Math.abs(pixelScaleArcsec(wcs) / g.scaleAtCrpixNoDistortion - 1)).toBeLessThan(1e-9);
    }
  });

  it.runIf(g.rotation !== undefined)('rotation (position angle of +y, east of north)', () => {
    for (const r of g.rotation!.filter((q) => !atKink(q.atPx))) expect(Math.abs(wrapDeg(rotationDeg(wcs, r.atPx) - r.deg))).toBeLessThan(1e-6);
  });

  it('footprint matches calc_footprint', () => {
    const fp = footprint(wcs, g.width, g.height);
    expect(fp).toHaveLength(4);
    for (let i = 0; i < 4; i++) expect(sepArcsec(fp[i][0], fp[i][1], g.footprint[i][0], g.footprint[i][1])).toBeLessThan(1e-6);
  });

  it('field of view', () => {
    const fov = fieldOfView(wcs, g.width, g.height);
    expect(Math.abs(fov.widthDeg - g.fieldOfView.widthDeg) * 3600).toBeLessThan(1e-6);
    expect(Math.abs(fov.heightDeg - g.fieldOfView.heightDeg) * 3600).toBeLessThan(1e-6);
    expect(sepArcsec(fov.centerRaDeg, fov.centerDecDeg, g.fieldOfView.centerRaDeg, g.fieldOfView.centerDecDeg)).toBeLessThan(1e-6);
  });
});

describe('analytic cases', () => {
  const s = 1 / 3600;
  it('north up, east left: rotation 0, not flipped, scale exact', () => {
    const w = createWcs({ crpix: [100, 100], crval: [30, 10], cd: [-s, 0, 0, s] });
    expect(rotationDeg(w)).toBeCloseTo(0, 10);
    expect(isFlipped(w)).toBe(false);
    expect(pixelScaleArcsec(w)).toBeCloseTo(1, 10);
  });
  it.each([10, 45, 90, 135, -30, 179])('image rotated so +y points %f° east of north', (theta) => {
    const t = (theta * Math.PI) / 180;
    // +y along PA θ: (east, north) = (sin θ, cos θ); +x along PA θ − 90°: (−cos θ, sin θ).
    const w = createWcs({ crpix: [0, 0], crval: [200, -40], cd: [-s * Math.cos(t), s * Math.sin(t), s * Math.sin(t), s * Math.cos(t)] });
    expect(rotationDeg(w)).toBeCloseTo(theta, 8);
    expect(isFlipped(w)).toBe(false);
  });
  it('mirrored image (east right) is flipped', () => {
    const w = createWcs({ crpix: [0, 0], crval: [200, -40], cd: [s, 0, 0, s] });
    expect(isFlipped(w)).toBe(true);
    expect(rotationDeg(w)).toBeCloseTo(0, 10);
  });
  it('TAN scale falls off as cos²θ radially and cos θ tangentially away from the tangent point', () => {
    const w = createWcs({ crpix: [0, 0], crval: [0, 0], cd: [-s, 0, 0, s] });
    // 3600 px along x = 1° on the plane: θ = 90° − atan(tan 1°) … native distance ρ = atan(1°·π/180).
    const rho = Math.atan(Math.PI / 180);
    const expected = Math.sqrt(Math.cos(rho) ** 3);
    expect(pixelScaleArcsec(w, [3600, 0])).toBeCloseTo(expected, 9);
  });
  it('angularSeparationDeg across RA = 0 and at the pole', () => {
    expect(angularSeparationDeg(359.5, 0, 0.5, 0)).toBeCloseTo(1, 12);
    expect(angularSeparationDeg(10, 89.5, 190, 89.5)).toBeCloseTo(1, 12);
    expect(angularSeparationDeg(0, 0, 180, 0)).toBeCloseTo(180, 12);
  });
  it('rejects impossible sizes', () => {
    const w = createWcs({ crpix: [0, 0], crval: [0, 0], cd: [-s, 0, 0, s] });
    expect(() => footprint(w, 0, 10)).toThrow(/not positive/);
    expect(() => fieldOfView(w, 10, NaN)).toThrow(/not positive/);
    expect(() => pixelScaleArcsec(w, [NaN, 0])).toThrow(/not finite/);
  });
});
