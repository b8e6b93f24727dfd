/**
 * The map projection: Equal Earth's published extents (Šavrič, Patterson & Jenny 2018:
 * x_max = 2.7066297, y_max = 1.3173627 on the unit sphere), its defining property (equal
 * area: the Jacobian equals cos φ everywhere), and the antimeridian handling of rings.
 */
import { describe, expect, it } from 'vitest';
import { EQUAL_EARTH_X_MAX, EQUAL_EARTH_Y_MAX, equalEarth, mapProjector, outlinePath, ringsToPath, unwrapRing } from '../../web/src/lib/projection.js';

describe('Equal Earth', () => {
  it('has the published extents and symmetries', () => {
    expect(EQUAL_EARTH_X_MAX).toBeCloseTo(2.7066297, 6);
    expect(EQUAL_EARTH_Y_MAX).toBeCloseTo(1.3173627, 6);
    expect(equalEarth(0, 0)).toEqual([0, 0]);
    const [x, y] = equalEarth(40, 30);
    expect(equalEarth(-40, -30)).toEqual([-x, -y]);
  });

  it('is equal-area: |∂(x,y)/∂(λ,φ)| = cos φ', () => {
    const h = 1e-5; // degrees
    const rad = Math.PI / 180;
    for (let lat = -85; lat <= 85; lat += 17) {
      for (let lon = -175; lon <= 175; lon += 35) {
        const [xl1, yl1] = equalEarth(lon + h, lat);
        const [xl0, yl0] = equalEarth(lon - h, lat);
        const [xp1, yp1] = equalEarth(lon, lat + h);
        const [xp0, yp0] = equalEarth(lon, lat - h);
        const dxdl = (xl1 - xl0) / (2 * h * rad);
        const dydl = (yl1 - yl0) / (2 * h * rad);
        const dxdp = (xp1 - xp0) / (2 * h * rad);
        const dydp = (yp1 - yp0) / (2 * h * rad);
        const jac = Math.abs(dxdl * dydp - dxdp * dydl);
        expect(jac / Math.cos(lat * rad)).toBeCloseTo(1, 5);
      }
    }
  });

  it('the SVG projector puts the map in its box, north up', () => {
    const p = mapProjector(1000, 4);
    expect(p.project(-180, 0)[0]).toBeCloseTo(4, 9);
    expect(p.project(180, 0)[0]).toBeCloseTo(996, 9);
    expect(p.project(0, 90)[1]).toBeCloseTo(4, 9);
    expect(p.height).toBe(Math.ceil((992 * EQUAL_EARTH_Y_MAX) / EQUAL_EARTH_X_MAX + 8));
    expect(p.project(0, 45)[1]).toBeLessThan(p.project(0, -45)[1]);
  });
});

describe('rings across the antimeridian', () => {
  it('unwraps longitudes; a ring around a pole is closed through it', () => {
    expect(unwrapRing([[170, 0], [-170, 1], [-175, 2], [170, 0]])).toEqual([[170, 0], [190, 1], [185, 2], [170, 0]]);
    const polar = unwrapRing([[-180, -80], [-60, -75], [60, -70], [179, -78], [-180, -80]]);
    expect(polar.slice(-2)).toEqual([[180, -90], [-180, -90]]);
  });

  it('a crossing ring is drawn twice (each copy clipped by the outline); others once', () => {
    const project = (lon: number, lat: number) => [lon, -lat] as [number, number];
    expect(ringsToPath([[[0, 0], [10, 0], [10, 10], [0, 0]]], project)).toBe('M0 0L10 0L10 -10L0 0Z');
    const d = ringsToPath([[[170, 0], [-170, 0], [-170, 10], [170, 0]]], project);
    expect(d).toBe('M170 0L190 0L190 -10L170 0ZM-190 0L-170 0L-170 -10L-190 0Z');
    expect(outlinePath(project, 90)).toBe('M-180 90L-180 0L-180 -90L180 -90L180 0L180 90Z');
  });
});
