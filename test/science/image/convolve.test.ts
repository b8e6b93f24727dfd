/**
 * Detection filtering: 'zero' mode against scipy.ndimage.correlate (mode='constant'),
 * 'renormalize' against astropy.convolution.convolve (NaN interpolation, NaN outside),
 * Gaussian kernels against the fixture script's, and bad kernels.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convolve2d, defaultDetectionKernel, gaussianKernel, kernelFromRows, normalizeKernel } from '../../../src/science/image/convolve.js';
import { ImageError } from '../../../src/science/image/errors.js';

interface ConvolveFixture {
  width: number;
  height: number;
  image: Array<number | null>;
  kernel: number[][];
  zero: Array<number | null>;
  renormalize: Array<number | null>;
  gaussian: Record<string, number[]>;
}

const fx = JSON.parse(readFileSync(new URL('../../fixtures/image-detect/convolve.json', import.meta.url), 'utf8')) as ConvolveFixture;
const image = Float32Array.from(fx.image, (v) => (v === null ? NaN : v));

function expectClose(got: Float32Array, want: Array<number | null>): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w === null) {
      expect(Number.isNaN(got[i])).toBe(true);
      continue;
    }
    worst = Math.max(worst, Math.abs(got[i] - w) / Math.max(1, Math.abs(w)));
  }
  expect(worst).toBeLessThan(2e-6); // float32 output
}

describe('convolve2d', () => {
  const kernel = kernelFromRows(fx.kernel);

  it("'zero' mode is scipy's correlate with NaN and the outside as 0", () => {
    expectClose(convolve2d(image, fx.width, fx.height, kernel, { missing: 'zero' }), fx.zero);
  });

  it("'renormalize' mode is astropy's NaN interpolation with NaN outside the image", () => {
    expectClose(convolve2d(image, fx.width, fx.height, kernel, { missing: 'renormalize' }), fx.renormalize);
  });

  it('keeps missing pixels NaN when asked, and treats masked pixels as missing', () => {
    const keep = convolve2d(image, fx.width, fx.height, kernel, { missing: 'renormalize', preserveMissing: true });
    for (let i = 0; i < image.length; i++) expect(Number.isNaN(keep[i])).toBe(Number.isNaN(image[i]));
    // Masking the NaN pixels of a NaN-free copy gives the same result as the NaNs themselves.
    const filled = Float32Array.from(image, (v) => (Number.isNaN(v) ? 1e6 : v));
    const mask = Uint8Array.from(image, (v) => (Number.isNaN(v) ? 1 : 0));
    expectClose(convolve2d(filled, fx.width, fx.height, kernel, { missing: 'zero', mask }), fx.zero);
  });

  it('an all-NaN neighbourhood is NaN in renormalize mode, 0 in zero mode', () => {
    const img = new Float32Array(25).fill(NaN);
    const k = defaultDetectionKernel();
    expect(Array.from(convolve2d(img, 5, 5, k, { missing: 'renormalize' })).every(Number.isNaN)).toBe(true);
    expect(Array.from(convolve2d(img, 5, 5, k)).every((v) => v === 0)).toBe(true);
  });
});

describe('kernels', () => {
  it('Gaussian kernels match the fixture script (sampled at pixel centres, unit sum)', () => {
    for (const [fwhm, want] of Object.entries(fx.gaussian)) {
      const k = gaussianKernel(Number(fwhm));
      expect(k.data.length).toBe(want.length);
      k.data.forEach((v, i) => expect(v).toBeCloseTo(want[i], 14));
    }
  });

  it('normalises by the sum of absolute weights (as Source Extractor and sep)', () => {
    const k = normalizeKernel(kernelFromRows([[-1, 0, -0.5], [0, 4, 0], [-1, 0, -1]]));
    const s = k.data.reduce((a, v) => a + Math.abs(v), 0);
    expect(s).toBeCloseTo(1, 15);
    expect(k.data[4]).toBeCloseTo(4 / 7.5, 15);
  });

  it('rejects even, empty, non-finite and all-zero kernels', () => {
    expect(() => kernelFromRows([[1, 1], [1, 1]])).toThrow(ImageError);
    expect(() => kernelFromRows([[0, 0, 0]])).toThrow(/all zero/);
    expect(() => kernelFromRows([[1, NaN, 1]])).toThrow(ImageError);
    expect(() => kernelFromRows([[1, 2, 3], [1, 2]])).toThrow(ImageError);
    expect(() => gaussianKernel(-1)).toThrow(ImageError);
    expect(() => gaussianKernel(2, 4)).toThrow(ImageError);
    expect(() => convolve2d(new Float32Array(10), 5, 3, defaultDetectionKernel())).toThrow(ImageError);
  });
});
