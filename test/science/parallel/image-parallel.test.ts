// The image kernels on a 2-worker pool give exactly the serial results.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrayFrames, coadd } from '../../../src/science/image/coadd.js';
import { autoReferenceGrid } from '../../../src/science/image/reference-grid.js';
import { reproject } from '../../../src/science/image/reproject.js';
import { createPool, type Pool } from '../../../src/science/parallel/pool.js';
import { addNoise, randomStars, renderModel, tanWcs } from '../image/coadd-helpers.js';

let pool: Pool;
beforeAll(async () => {
  pool = createPool({ workers: 2 });
  await pool.start();
});
afterAll(() => pool.stop());

/** Bitwise equality, NaN included. */
function expectIdentical(a: ArrayLike<number> | undefined, b: ArrayLike<number> | undefined): void {
  expect(a).toBeDefined();
  expect(b).toBeDefined();
  const x = a as ArrayLike<number>;
  const y = b as ArrayLike<number>;
  expect(x.length).toBe(y.length);
  let diff = 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) diff++;
  expect(diff).toBe(0);
}

describe('reproject with a pool', () => {
  const wIn = 180;
  const hIn = 140;
  const wcsIn = tanWcs(wIn, hIn, 1.2, 0);
  const stars = randomStars(60, 0.03, 1e3, 5e4, 7);
  const data = addNoise(renderModel(wcsIn, wIn, hIn, stars, 100, 3, 1.2), 5, 3);
  data[50 * wIn + 60] = NaN;
  const weights = Float32Array.from(data, (_, i) => 1 + (i % 7));
  // A rotated, finer grid wide enough that every band (and a partial last one) is used.
  const target = { wcs: tanWcs(1100, 260, 0.8, 25, { dRaDeg: 0.002 }), width: 1100, height: 260 };

  for (const method of ['bilinear', 'lanczos3', 'exact'] as const) {
    it(`${method}: identical to the serial path`, async () => {
      const serial = reproject({ data, width: wIn, height: hIn, wcs: wcsIn }, target, { method, weights });
      const input = { data, width: wIn, height: hIn, wcs: wcsIn };
      const par = await reproject(input, target, { method, weights, pool });
      expect(input.data).toBe(data); // the caller's input is left alone (shared, not moved)
      expect(data.length).toBe(wIn * hIn);
      expectIdentical(par.data, serial.data);
      expectIdentical(par.footprint, serial.footprint);
      expectIdentical(par.weights, serial.weights);
      expect(par.maxMapErrorPx).toBe(serial.maxMapErrorPx);
      // Something was actually resampled.
      expect(serial.footprint.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    });
  }

  it('a window and an in-process pool give the serial result too', async () => {
    const window = { x0: 100, y0: 30, width: 300, height: 90 };
    const serial = reproject({ data, width: wIn, height: hIn, wcs: wcsIn }, target, { window });
    expectIdentical((await reproject({ data, width: wIn, height: hIn, wcs: wcsIn }, target, { window, pool })).data, serial.data);
    const inProcess = createPool({ workers: 0 });
    await inProcess.start();
    expectIdentical((await reproject({ data, width: wIn, height: hIn, wcs: wcsIn }, target, { window, pool: inProcess })).data, serial.data);
    await inProcess.stop();
  });

  it('validation errors are thrown before any work', () => {
    expect(() => reproject({ data, width: wIn, height: hIn, wcs: wcsIn }, target, { method: 'nearest' as never, pool })).toThrow(/unknown method/);
  });
});

describe('coadd with a pool', () => {
  it('is identical to the serial co-addition (mesh background, clipping, several instruments)', async () => {
    const stars = randomStars(40, 0.025, 2e3, 4e4, 11);
    const specs = [
      { w: 150, h: 130, scale: 1.0, rot: 0, d: 0 },
      { w: 150, h: 130, scale: 1.0, rot: 10, d: 0.001 },
      { w: 120, h: 100, scale: 1.3, rot: -20, d: -0.001 },
      { w: 150, h: 130, scale: 1.0, rot: 3, d: 0.0005 },
    ];
    const list = specs.map((s, i) => {
      const wcs = tanWcs(s.w, s.h, s.scale, s.rot, { dRaDeg: s.d, dDecDeg: -s.d });
      const img = addNoise(renderModel(wcs, s.w, s.h, stars, 100 + 10 * i, 3, s.scale), 5, 20 + i);
      if (i === 1) for (let x = 0; x < s.w; x++) img[60 * s.w + x] += 500; // a trail to clip
      return { data: img, width: s.w, height: s.h, wcs };
    });
    const grid = autoReferenceGrid(list);
    const opts = { tileSize: 48, backgroundBoxSize: 32 };
    const serial = await coadd(arrayFrames(list), grid, opts);
    const par = await coadd(arrayFrames(list), grid, { ...opts, pool });
    expectIdentical(par.stack, serial.stack);
    expectIdentical(par.weight, serial.weight);
    expectIdentical(par.coverage, serial.coverage);
    expectIdentical(par.error, serial.error);
    expect(par.frames).toEqual(serial.frames);
    // Not vacuous: most of the grid is covered by several frames.
    let multi = 0;
    for (const c of serial.coverage) if (c >= 3) multi++;
    expect(multi).toBeGreaterThan(grid.width * grid.height * 0.3);
  });
});
