/**
 * The stack viewer's arithmetic: display limits against numpy.nanpercentile, the
 * stretches against their formulas, grey rendering orientation (row 0 at the bottom, NaN
 * transparent), and the view transform (inverse pairs; zooming keeps the pixel under the
 * cursor; the fitted view centres the image).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fitView,
  panBy,
  percentileLimits,
  pixelIndex,
  pixelToScreen,
  renderCoverage,
  renderGrey,
  screenToPixel,
  stretchValue,
  zoomAbout,
} from '../../web/src/lib/image-view.js';
import { missingTools } from '../helpers/tools.js';
import { gaussian, python, rng } from './python.js';

describe.skipIf(missingTools({ pythonModules: ['numpy'] }) !== undefined)('limits against numpy', () => {
  it('percentile limits equal numpy.nanpercentile (linear), NaNs ignored', () => {
    const normal = gaussian(rng(7));
    const data = new Float32Array(300 * 200).map((_, i) => (i % 97 === 0 ? NaN : 1000 + 30 * normal() + (i % 1013 === 0 ? 5e4 : 0)));
    const pcts = [0, 0.25, 0.5, 1, 2.5, 50, 97.5, 99, 99.5, 99.75, 100];
    const golden = python<number[]>(
      `
import sys, json, numpy as np
d = json.load(sys.stdin)
a = np.array([np.nan if v is None else v for v in d['data']], dtype=np.float32).astype(np.float64)
print(json.dumps([float(v) for v in np.nanpercentile(a, d['p'])]))
`,
      { data: Array.from(data, (v) => (Number.isNaN(v) ? null : v)), p: pcts },
    );
    pcts.forEach((p, i) => {
      const [lo] = percentileLimits(data, p, 100);
      expect(lo).toBeCloseTo(golden[i], 9);
    });
  });
});

describe('stretch and rendering', () => {
  it('stretches follow their formulas and clamp to 0 … 1', () => {
    expect(stretchValue(5, 0, 10, 'linear')).toBe(0.5);
    expect(stretchValue(5, 0, 10, 'sqrt')).toBeCloseTo(Math.SQRT1_2, 15);
    expect(stretchValue(5, 0, 10, 'log')).toBeCloseTo(Math.log(501) / Math.log(1001), 15);
    expect(stretchValue(5, 0, 10, 'asinh')).toBeCloseTo(Math.asinh(5) / Math.asinh(10), 15);
    for (const k of ['linear', 'sqrt', 'log', 'asinh'] as const) {
      expect(stretchValue(-1, 0, 10, k)).toBe(0);
      expect(stretchValue(11, 0, 10, k)).toBe(1);
      expect(stretchValue(NaN, 0, 10, k)).toBeNaN();
    }
  });

  it('renders row 0 at the bottom, NaN transparent, levels from the stretch', () => {
    // Image rows (y up): row 0 = [0, 1], row 1 = [2, NaN].
    const rgba = renderGrey(new Float32Array([0, 1, 2, NaN]), 2, 2, 0, 2, 'linear');
    const px = (i: number) => Array.from(rgba.slice(4 * i, 4 * i + 4));
    expect(px(0)).toEqual([255, 255, 255, 255]); // top-left: image (0, 1) = 2
    expect(px(1)).toEqual([0, 0, 0, 0]); // top-right: NaN
    expect(px(2)).toEqual([0, 0, 0, 255]); // bottom-left: image (0, 0) = 0
    expect(px(3)).toEqual([128, 128, 128, 255]); // bottom-right: 1 → 127.5 → 128
    const cov = renderCoverage(new Int16Array([0, 3, 6, 0]), 2, 2);
    expect(cov.max).toBe(6);
    expect(cov.rgba[4 * 2 + 3]).toBe(0); // coverage 0 (bottom-left) transparent
    expect(cov.rgba[4 * 0 + 3]).toBe(150); // 6 frames (top-left)
  });
});

describe('view transform', () => {
  it('the fitted view centres the image and scales it to fit', () => {
    const v = fitView(400, 200, 800, 600);
    expect(v.scale).toBe(2);
    expect(screenToPixel(v, 200, 400, 300)).toEqual([199.5, 99.5]);
    // The bottom-left corner of the image is the outer corner of pixel (0, 0).
    expect(screenToPixel(v, 200, v.offsetX, v.offsetY + 400)).toEqual([-0.5, -0.5]);
    expect(pixelIndex(-0.5, -0.5, 400, 200)).toBe(0);
    expect(pixelIndex(399.4, 199.4, 400, 200)).toBe(199 * 400 + 399);
    expect(pixelIndex(-0.6, 0, 400, 200)).toBeNull();
  });

  it('screen ↔ pixel are inverses; zooming keeps the pixel under the cursor; panning moves it with the cursor', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 20, noNaN: true }),
        fc.double({ min: -500, max: 500, noNaN: true }),
        fc.double({ min: -500, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 800, noNaN: true }),
        fc.double({ min: 0, max: 600, noNaN: true }),
        fc.double({ min: 0.2, max: 5, noNaN: true }),
        (scale, ox, oy, sx, sy, factor) => {
          const v = { scale, offsetX: ox, offsetY: oy };
          const [x, y] = screenToPixel(v, 300, sx, sy);
          const [bx, by] = pixelToScreen(v, 300, x, y);
          expect(bx).toBeCloseTo(sx, 6);
          expect(by).toBeCloseTo(sy, 6);
          const z = zoomAbout(v, factor, sx, sy);
          const [zx, zy] = screenToPixel(z, 300, sx, sy);
          expect(zx).toBeCloseTo(x, 6);
          expect(zy).toBeCloseTo(y, 6);
          const p = panBy(v, 13, -7);
          const [px, py] = screenToPixel(p, 300, sx + 13, sy - 7);
          expect(px).toBeCloseTo(x, 6);
          expect(py).toBeCloseTo(y, 6);
        },
      ),
      { seed: 3, numRuns: 300 },
    );
    expect(zoomAbout({ scale: 60, offsetX: 0, offsetY: 0 }, 10, 0, 0).scale).toBe(64);
  });
});
