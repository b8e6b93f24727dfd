/** The automatic reference grid: finest scale, north up, covering every frame; window mapping. */
import { describe, expect, it } from 'vitest';
import { autoReferenceGrid, gridTiles, mapWindow } from '../../../src/science/image/reference-grid.js';
import { isFlipped, pixToSky, pixelScaleArcsec, rotationDeg, skyToPix } from '../../../src/science/wcs/index.js';
import { tanWcs } from './coadd-helpers.js';

describe('autoReferenceGrid', () => {
  it('a single north-up frame gives back its own grid', () => {
    const wcs = tanWcs(200, 150, 1.2);
    const g = autoReferenceGrid([{ wcs, width: 200, height: 150 }]);
    expect([g.width, g.height]).toEqual([200, 150]);
    const [ra, dec] = pixToSky(wcs, 17, 33);
    const [x, y] = skyToPix(g.wcs, ra, dec);
    expect(x).toBeCloseTo(17, 6);
    expect(y).toBeCloseTo(33, 6);
  });

  it('finest scale, north up, east left, and every frame corner inside', () => {
    const frames = [
      { wcs: tanWcs(100, 80, 1.5, 35, { dRaDeg: 0.01 }), width: 100, height: 80 },
      { wcs: tanWcs(120, 120, 0.9, -120, { dDecDeg: -0.02, flip: true }), width: 120, height: 120 },
    ];
    const g = autoReferenceGrid(frames);
    expect(pixelScaleArcsec(g.wcs)).toBeCloseTo(0.9, 6);
    expect(rotationDeg(g.wcs)).toBeCloseTo(0, 9);
    expect(isFlipped(g.wcs)).toBe(false);
    let touchX = false;
    for (const f of frames) {
      for (const [cx, cy] of [[-0.5, -0.5], [f.width - 0.5, -0.5], [-0.5, f.height - 0.5], [f.width - 0.5, f.height - 0.5]]) {
        const [ra, dec] = pixToSky(f.wcs, cx, cy);
        const [x, y] = skyToPix(g.wcs, ra, dec);
        expect(x).toBeGreaterThanOrEqual(-0.5 - 1e-6);
        expect(y).toBeGreaterThanOrEqual(-0.5 - 1e-6);
        expect(x).toBeLessThanOrEqual(g.width - 0.5 + 1e-6);
        expect(y).toBeLessThanOrEqual(g.height - 0.5 + 1e-6);
        if (Math.abs(x + 0.5) < 1e-3 || Math.abs(x - g.width + 0.5) < 1) touchX = true;
      }
    }
    expect(touchX).toBe(true); // tight: some corner sits on the grid's edge
  });

  it('refuses grids beyond maxPixels', () => {
    const frames = [{ wcs: tanWcs(100, 100, 1), width: 100, height: 100 }, { wcs: tanWcs(100, 100, 1, 0, { dDecDeg: 1 }), width: 100, height: 100 }];
    expect(() => autoReferenceGrid(frames, { maxPixels: 10000 })).toThrow(/pixel limit/);
  });
});

describe('mapWindow and gridTiles', () => {
  it('maps a tile into a rotated frame: the window holds every mapped pixel', () => {
    const ref = tanWcs(300, 300, 1);
    const frame = tanWcs(200, 200, 1.3, 40);
    const tile = { x0: 100, y0: 120, width: 50, height: 40 };
    const win = mapWindow(ref, tile, frame, 200, 200, 2);
    expect(win).not.toBeNull();
    for (let y = tile.y0; y < tile.y0 + tile.height; y += 3) {
      for (let x = tile.x0; x < tile.x0 + tile.width; x += 3) {
        const [ra, dec] = pixToSky(ref, x, y);
        const [fx, fy] = skyToPix(frame, ra, dec);
        expect(fx).toBeGreaterThanOrEqual(win!.x0);
        expect(fy).toBeGreaterThanOrEqual(win!.y0);
        expect(fx).toBeLessThanOrEqual(win!.x0 + win!.width - 1);
        expect(fy).toBeLessThanOrEqual(win!.y0 + win!.height - 1);
      }
    }
    expect(mapWindow(ref, tile, tanWcs(200, 200, 1, 0, { dDecDeg: 2 }), 200, 200)).toBeNull();
  });

  it('tiles cover the grid exactly once', () => {
    const tiles = gridTiles(130, 70, 64);
    expect(tiles.length).toBe(6);
    expect(tiles.reduce((a, t) => a + t.width * t.height, 0)).toBe(130 * 70);
  });
});
