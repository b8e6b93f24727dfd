import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FitsReader } from '../../../src/science/fits/reader.js';
import { pixelMap } from '../../../src/science/image/pixel-map.js';
import { createWcs, pixToSky, skyToPix, wcsFromHeader, type Wcs } from '../../../src/science/wcs/index.js';

const DIR = new URL('../../fixtures/image-reproject/', import.meta.url);

async function wcsOf(name: string): Promise<Wcs> {
  const r = await FitsReader.open(new URL(name, DIR).pathname);
  try {
    const w = wcsFromHeader(r.hdus[0].header);
    if (!w) throw new Error(`${name}: no WCS`);
    return w;
  } finally {
    await r.close();
  }
}

describe('pixelMap', () => {
  it('matches astropy (pixel_to_world on the target, world_to_pixel on the input) to < 0.01 px', async () => {
    const golden = JSON.parse(readFileSync(new URL('pixel_map.json', DIR), 'utf8')) as { points: number[][] };
    const input = await wcsOf('input.fits');
    const target = await wcsOf('interp_a.fits'); // TAN-SIP, rotated, rescaled, shifted
    const map = pixelMap(input, target, { x0: 0, y0: 0, width: 170, height: 140 });
    expect(map.maxErrorPx).toBeLessThan(0.01);
    let worst = 0;
    let checked = 0;
    for (const [tx, ty, ix, iy] of golden.points) {
      if (!Number.isInteger(tx) || !Number.isInteger(ty)) continue;
      const k = ty * 170 + tx;
      worst = Math.max(worst, Math.hypot(map.x[k] - ix, map.y[k] - iy));
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(worst).toBeLessThan(0.01);
  });

  it('interpolation error is below the bound at every pixel of a strongly distorted, large map', () => {
    // A wide field (2°) with strong SIP: the exact map is curved enough that step 16 may be refined.
    const input = createWcs({ crpix: [1000, 1000], crval: [10, 40], cd: [-1e-3, 0, 0, 1e-3] });
    const target = createWcs({
      crpix: [900, 1100],
      crval: [10.2, 40.1],
      cd: [-8e-4, 3e-4, 3e-4, 8e-4],
      sip: { a: { order: 3, terms: [{ p: 2, q: 0, value: 3e-6 }, { p: 0, q: 3, value: 2e-9 }] }, b: { order: 3, terms: [{ p: 1, q: 1, value: -4e-6 }, { p: 3, q: 0, value: 1e-9 }] } },
    });
    const win = { x0: 300, y0: 200, width: 400, height: 300 };
    const map = pixelMap(input, target, win, { maxErrorPx: 0.01 });
    expect(map.maxErrorPx).toBeLessThan(0.01);
    let worst = 0;
    for (let y = 0; y < win.height; y += 3) {
      for (let x = 0; x < win.width; x += 3) {
        const [ra, dec] = pixToSky(target, win.x0 + x, win.y0 + y);
        const [ix, iy] = skyToPix(input, ra, dec);
        worst = Math.max(worst, Math.hypot(map.x[y * win.width + x] - ix, map.y[y * win.width + x] - iy));
      }
    }
    expect(worst).toBeLessThan(0.01);
    // A tighter bound forces a finer grid and a smaller error.
    const fine = pixelMap(input, target, win, { maxErrorPx: 1e-4 });
    expect(fine.maxErrorPx).toBeLessThan(1e-4);
  });

  it('is NaN where the sky position is behind the input tangent plane', () => {
    const input = createWcs({ crpix: [50, 50], crval: [0, 0], cd: [-0.01, 0, 0, 0.01] });
    // Target centred 90° away, with a 1.2°/px scale so its grid spans the input's horizon.
    const target = createWcs({ crpix: [50, 50], crval: [90, 0], cd: [-1.2, 0, 0, 1.2] });
    const map = pixelMap(input, target, { x0: 0, y0: 0, width: 100, height: 100 });
    let nan = 0;
    let finite = 0;
    for (let k = 0; k < map.x.length; k++) {
      const x = k % 100;
      const y = Math.floor(k / 100);
      const [ra, dec] = pixToSky(target, x, y);
      const exact = skyToPix(input, ra, dec);
      if (Number.isNaN(exact[0])) {
        expect(map.x[k]).toBeNaN();
        nan++;
      } else {
        finite++;
      }
    }
    expect(nan).toBeGreaterThan(100);
    expect(finite).toBeGreaterThan(100);
  });

  it('rejects bad options', () => {
    const w = createWcs({ crpix: [0, 0], crval: [0, 0], cd: [-1e-3, 0, 0, 1e-3] });
    expect(() => pixelMap(w, w, { x0: 0, y0: 0, width: 0, height: 5 })).toThrow(/window/);
    expect(() => pixelMap(w, w, { x0: 0, y0: 0, width: 5, height: 5 }, { stepPx: 0 })).toThrow(/stepPx/);
  });
});
