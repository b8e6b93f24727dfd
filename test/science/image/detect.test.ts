/**
 * Detection against sep 1.2.1 on a committed synthetic star field (Moffat PSF, Poisson and
 * read noise, close pairs, edge and saturated stars) with sep's own background and RMS
 * maps, so the comparison isolates detection; plus sep's deblending decisions on
 * noiseless pairs, analytic single stars, flags and bad input.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FitsReader } from '../../../src/science/fits/reader.js';
import type { ImageLike } from '../../../src/science/image/aperture.js';
import { defaultDetectionKernel } from '../../../src/science/image/convolve.js';
import { DetectFlag, detectSources, type DetectResult } from '../../../src/science/image/detect.js';
import { ImageError } from '../../../src/science/image/errors.js';
import { MaskBit } from '../../../src/science/image/mask.js';
import { Rng } from '../../../src/science/inference/random.js';

const DIR = new URL('../../fixtures/image-detect/', import.meta.url);

interface SepSource {
  x: number;
  y: number;
  xwin: number;
  ywin: number;
  xpeak: number;
  ypeak: number;
  isolated: boolean;
  flux: number;
  npix: number;
  flag: number;
  snr: number;
  winflag: number;
}

interface PairCase {
  filter: boolean;
  contrast: number;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
  amp1: number;
  amp2: number;
  count: number;
  npix: number[];
}

interface DetectFixture {
  params: { thresholdSigma: number; minAreaPx: number; saturation: number; gain: number; fwhmPx: number };
  truth: Array<{ x: number; y: number; flux: number }>;
  sep: SepSource[];
  sepNoFilterNoDeblend: Array<{ npix: number; flux: number; xmin: number; ymin: number; xmax: number; ymax: number; peak: number }>;
  pairs: { width: number; height: number; sigma: number; thresholdSigma: number; rms: number; minAreaPx: number; cases: PairCase[] };
}

async function loadImage(name: string): Promise<ImageLike & { data: Float32Array }> {
  const reader = await FitsReader.open(new URL(name, DIR).pathname);
  try {
    const im = await reader.readImage(0);
    return { data: Float32Array.from(im.data as ArrayLike<number>), width: im.width, height: im.height };
  } finally {
    await reader.close();
  }
}

const fx = JSON.parse(readFileSync(new URL('detect.json', DIR), 'utf8')) as DetectFixture;
let image: ImageLike & { data: Float32Array };
let back: Float32Array;
let rms: Float32Array;
let result: DetectResult;

beforeAll(async () => {
  image = await loadImage('starfield.fits');
  back = (await loadImage('background.fits')).data;
  rms = (await loadImage('rms.fits')).data;
  result = detectSources(image, back, rms, {
    thresholdSigma: fx.params.thresholdSigma,
    minAreaPx: fx.params.minAreaPx,
    saturationLevel: fx.params.saturation,
    segmentation: true,
  });
});

describe('detection vs sep on the star field', () => {
  const bright = (): SepSource[] => fx.sep.filter((s) => s.snr > 10);

  it('finds ≥ 98 % of sep sources with SNR > 10 (same peak pixel)', () => {
    const want = bright();
    expect(want.length).toBeGreaterThan(150);
    const found = want.filter((s) => result.sources.some((o) => o.xPeak === s.xpeak && o.yPeak === s.ypeak));
    expect(found.length / want.length).toBeGreaterThanOrEqual(0.98);
    // And not wildly more: within 5 % of sep's count overall.
    expect(Math.abs(result.sources.length - fx.sep.length) / fx.sep.length).toBeLessThan(0.05);
  });

  it('windowed centroids of isolated SNR > 10 sources: ≥ 98 % within 0.5 px of sep.winpos, RMS < 0.05 px', () => {
    const want = bright().filter((s) => s.isolated);
    expect(want.length).toBeGreaterThan(40);
    let matched = 0;
    let sum2 = 0;
    for (const s of want) {
      let best = Infinity;
      for (const o of result.sources) best = Math.min(best, Math.hypot(o.x - s.xwin, o.y - s.ywin));
      if (best < 0.5) {
        matched++;
        sum2 += best * best;
      }
    }
    expect(matched / want.length).toBeGreaterThanOrEqual(0.98);
    expect(Math.sqrt(sum2 / matched)).toBeLessThan(0.05);
  });

  it('without filter and deblending, footprints are exactly sep’s (pixels, bounding box, flux)', () => {
    const plain = detectSources(image, back, rms, { filter: null, deblendContrast: 1, minAreaPx: fx.params.minAreaPx, windowed: false });
    expect(plain.sources.length).toBe(fx.sepNoFilterNoDeblend.length);
    for (const s of fx.sepNoFilterNoDeblend) {
      const o = plain.sources.find((q) => q.xMin === s.xmin && q.yMin === s.ymin && q.xMax === s.xmax && q.yMax === s.ymax);
      expect(o, `object at ${s.xmin},${s.ymin}`).toBeDefined();
      expect(o!.areaPx).toBe(s.npix);
      expect(Math.abs(o!.flux - s.flux) / Math.abs(s.flux)).toBeLessThan(1e-5);
      expect(o!.peak).toBeCloseTo(s.peak, 2);
    }
  });

  it('blended, truncated and saturated objects are flagged', () => {
    const sepBlended = fx.sep.filter((s) => s.flag & 1).length;
    const ours = result.sources.filter((s) => s.flags & DetectFlag.BLENDED).length;
    expect(Math.abs(ours - sepBlended)).toBeLessThanOrEqual(Math.ceil(0.05 * sepBlended));
    for (const [x, y] of [
      [60.2, 200.7],
      [200.6, 190.1],
    ]) {
      const s = result.sources.find((o) => Math.hypot(o.x - x, o.y - y) < 1.5);
      expect(s, `saturated star at ${x},${y}`).toBeDefined();
      expect(s!.flags & DetectFlag.SATURATED).toBeTruthy();
    }
    const edge = result.sources.filter((o) => o.flags & DetectFlag.TRUNCATED);
    expect(edge.length).toBeGreaterThanOrEqual(4);
    for (const o of edge) expect(o.xMin === 0 || o.yMin === 0 || o.xMax === image.width - 1 || o.yMax === image.height - 1).toBe(true);
  });

  it('the segmentation map holds each source’s pixels', () => {
    const seg = result.segmentation!;
    const counts = new Int32Array(result.sources.length + 1);
    for (let i = 0; i < seg.length; i++) counts[seg[i]]++;
    result.sources.forEach((s, i) => expect(counts[i + 1]).toBe(s.areaPx));
  });

  it('windowed positions of isolated bright injected stars are within 0.05 px of the truth', () => {
    let n = 0;
    for (const t of fx.truth) {
      if (t.x < 8 || t.y < 8 || t.x > image.width - 9 || t.y > image.height - 9) continue;
      if (fx.truth.some((u) => u !== t && Math.hypot(u.x - t.x, u.y - t.y) < 12 && u.flux > 0.01 * t.flux)) continue;
      const o = result.sources.find((q) => Math.hypot(q.x - t.x, q.y - t.y) < 1);
      if (!o || o.flux / o.fluxErr < 50 || o.flags !== 0) continue;
      expect(Math.hypot(o.x - t.x, o.y - t.y)).toBeLessThan(0.05);
      n++;
    }
    expect(n).toBeGreaterThanOrEqual(4);
  });
});

describe('deblending decisions vs sep on noiseless Gaussian pairs', () => {
  it('splits exactly where sep splits', () => {
    const { width, height, sigma, cases } = fx.pairs;
    let agree = 0;
    const disagreements: string[] = [];
    for (const c of cases) {
      const data = new Float32Array(width * height);
      for (let j = 0; j < height; j++) {
        for (let i = 0; i < width; i++) {
          const g1 = Math.exp(-((i - c.x1) ** 2 + (j - c.y1) ** 2) / (2 * sigma * sigma));
          const g2 = Math.exp(-((i - c.x2) ** 2 + (j - c.y2) ** 2) / (2 * sigma * sigma));
          data[j * width + i] = c.amp1 * g1 + c.amp2 * g2;
        }
      }
      const res = detectSources({ data, width, height }, 0, fx.pairs.rms, {
        thresholdSigma: fx.pairs.thresholdSigma,
        minAreaPx: fx.pairs.minAreaPx,
        filter: c.filter ? defaultDetectionKernel() : null,
        deblendContrast: c.contrast,
        windowed: false,
      });
      if (res.sources.length === c.count) agree++;
      else disagreements.push(`${JSON.stringify(c)} → ${res.sources.length}`);
    }
    expect(disagreements).toEqual([]);
    expect(agree).toBe(cases.length);
  });
});

describe('single stars (analytic)', () => {
  /** A Gaussian star integrated over pixels (7×7 samples per pixel). */
  function gaussianStar(w: number, h: number, x0: number, y0: number, flux: number, fwhm: number): Float32Array {
    const s = fwhm / 2.3548200450309493;
    const out = new Float32Array(w * h);
    const n = 7;
    for (let j = 0; j < h; j++) {
      for (let i = 0; i < w; i++) {
        let v = 0;
        for (let b = 0; b < n; b++) {
          for (let a = 0; a < n; a++) {
            const x = i - 0.5 + (a + 0.5) / n;
            const y = j - 0.5 + (b + 0.5) / n;
            v += Math.exp(-((x - x0) ** 2 + (y - y0) ** 2) / (2 * s * s));
          }
        }
        out[j * w + i] = (flux * v) / (n * n * 2 * Math.PI * s * s);
      }
    }
    return out;
  }

  it('recovers position, flux and FWHM of a noiseless Gaussian star', () => {
    for (const fwhm of [2.5, 4, 6]) {
      const data = gaussianStar(64, 64, 31.27, 32.61, 1e5, fwhm);
      const res = detectSources({ data, width: 64, height: 64 }, 0, 1, { thresholdSigma: 1 });
      expect(res.sources.length).toBe(1);
      const s = res.sources[0];
      expect(Math.hypot(s.x - 31.27, s.y - 32.61)).toBeLessThan(2e-3);
      expect(s.flux / 1e5).toBeGreaterThan(0.99);
      expect(Math.abs(s.fwhmPx / fwhm - 1)).toBeLessThan(0.01);
      expect(s.flags).toBe(0);
      expect(s.a / s.b).toBeLessThan(1.01);
    }
  });

  it('recovers a star in noise to a fraction of a pixel, with a scalar background and RMS', () => {
    const rng = new Rng(42);
    const data = gaussianStar(80, 60, 40.4, 29.2, 2e4, 3.5);
    for (let i = 0; i < data.length; i++) data[i] += 500 + 10 * rng.normal();
    const res = detectSources({ data, width: 80, height: 60 }, 500, 10, { thresholdSigma: 3 });
    const s = res.sources.find((o) => Math.hypot(o.x - 40.4, o.y - 29.2) < 0.1);
    expect(s).toBeDefined();
    expect(Math.abs(s!.fwhmPx / 3.5 - 1)).toBeLessThan(0.05);
    expect(res.sources.length).toBeLessThanOrEqual(2);
  });

  it('masked and NaN pixels are never detected', () => {
    const data = gaussianStar(40, 40, 20, 20, 1e5, 3);
    const mask = new Uint8Array(data.length);
    for (let j = 15; j < 26; j++) for (let i = 15; i < 26; i++) mask[j * 40 + i] = MaskBit.BAD;
    expect(detectSources({ data, width: 40, height: 40 }, 0, 1, { mask }).sources.length).toBe(0);
    const holed = data.slice();
    for (let j = 15; j < 26; j++) for (let i = 15; i < 26; i++) holed[j * 40 + i] = NaN;
    expect(detectSources({ data: holed, width: 40, height: 40 }, 0, 1).sources.length).toBe(0);
  });
});

describe('bad input', () => {
  const code = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ImageError);
      return (e as ImageError).code;
    }
    return 'no error';
  };
  const img = { data: new Float32Array(100), width: 10, height: 10 };

  it('rejects all-NaN frames, bad thresholds, mismatched maps', () => {
    expect(code(() => detectSources({ data: new Float32Array(100).fill(NaN), width: 10, height: 10 }, 0, 1))).toBe('ALL_NAN');
    expect(code(() => detectSources(img, NaN, 1))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, new Float32Array(100).fill(NaN), 1))).toBe('ALL_NAN');
    expect(code(() => detectSources(img, 0, 0))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, 0, -1))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, 0, 1, { thresholdSigma: -1 }))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, 0, 1, { minAreaPx: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, 0, 1, { deblendContrast: 2 }))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, 0, 1, { deblendNThresh: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => detectSources(img, new Float32Array(99), 1))).toBe('SIZE_MISMATCH');
    expect(code(() => detectSources(img, 0, new Float32Array(3)))).toBe('SIZE_MISMATCH');
    expect(code(() => detectSources(img, 0, 1, { mask: new Uint8Array(5) }))).toBe('SIZE_MISMATCH');
    expect(code(() => detectSources({ data: new Float32Array(10), width: 10, height: 10 }, 0, 1))).toBe('SIZE_MISMATCH');
    expect(code(() => detectSources({ data: new Float32Array(0), width: 0, height: 0 }, 0, 1))).toBe('BAD_ARGUMENT');
  });

  it('an empty (flat) frame gives no sources', () => {
    expect(detectSources(img, 0, 1).sources).toEqual([]);
  });
});
