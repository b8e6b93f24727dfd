/**
 * Aperture photometry against photutils (exact overlap), astropy sigma clipping for the
 * annulus sky, the CCD equation for errors, and sep.winpos / sep.flux_radius for windowed
 * centroids and half-light radii. Geometry checked against analytic areas.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FitsReader } from '../../../src/science/fits/reader.js';
import {
  annulusSky,
  ApertureFlag,
  aperturePhotometry,
  apertureSums,
  fluxRadius,
  sigmaClipSorted,
  windowedCentroid,
  type ImageLike,
} from '../../../src/science/image/aperture.js';
import { ImageError } from '../../../src/science/image/errors.js';
import { circleRectOverlap, pixelCircleOverlap } from '../../../src/science/image/overlap.js';
import { Rng } from '../../../src/science/inference/random.js';

const DIR = new URL('../../fixtures/image-detect/', import.meta.url);

interface ApertureFixture {
  x: number[];
  y: number[];
  sums: Record<string, { sum: Array<number | null>; err: Array<number | null> }>;
  annulusX: number[];
  annulusY: number[];
  annulus: Array<{ rIn: number; rOut: number; median: number[]; std: number[]; kept: number[] }>;
  photometry: {
    r: number;
    rIn: number;
    rOut: number;
    gain: number;
    readNoiseE: number;
    darkE: number;
    flux: number[];
    area: number[];
    sky: number[];
    nsky: number[];
    skyStd: number[];
    errCcd: number[];
    errMeasured: number[];
  };
}

interface SepSource {
  x: number;
  y: number;
  xwin: number;
  ywin: number;
  sig: number;
  r50: number;
  a: number;
  winflag: number;
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

const fx = JSON.parse(readFileSync(new URL('aperture.json', DIR), 'utf8')) as ApertureFixture;
const sepCat = (JSON.parse(readFileSync(new URL('detect.json', DIR), 'utf8')) as { sep: SepSource[] }).sep;
let image: ImageLike & { data: Float32Array };
let rms: Float32Array;
let sub: ImageLike;

beforeAll(async () => {
  image = await loadImage('starfield.fits');
  rms = (await loadImage('rms.fits')).data;
  const back = (await loadImage('background.fits')).data;
  sub = { data: Float32Array.from(image.data, (v, i) => v - back[i]), width: image.width, height: image.height };
});

describe('exact circle ∩ pixel overlap', () => {
  it('sums to πr² over the pixels of any circle inside the grid', () => {
    const rng = new Rng(7);
    for (let t = 0; t < 50; t++) {
      const r = 0.05 + 12 * rng.uniform();
      const xc = 20 + rng.uniform();
      const yc = 20 + rng.uniform();
      let s = 0;
      for (let j = 0; j < 41; j++) for (let i = 0; i < 41; i++) s += pixelCircleOverlap(i, j, xc, yc, r);
      expect(Math.abs(s - Math.PI * r * r) / (Math.PI * r * r)).toBeLessThan(1e-13);
    }
  });

  it('gives the known areas: inscribed circle, quarter disk, half-planes', () => {
    expect(circleRectOverlap(-0.5, -0.5, 0.5, 0.5, 0.5)).toBeCloseTo(Math.PI / 4, 15);
    expect(circleRectOverlap(0, 0, 5, 5, 2)).toBeCloseTo(Math.PI, 14);
    expect(circleRectOverlap(-3, 0, 3, 3, 2)).toBeCloseTo(2 * Math.PI, 14);
    expect(circleRectOverlap(-1, -1, 1, 1, 10)).toBe(4);
    expect(circleRectOverlap(3, 3, 4, 4, 2)).toBe(0);
    // The segment of a unit circle beyond x = 0.5: r²·acos(d/r) − d·√(r² − d²).
    expect(circleRectOverlap(0.5, -2, 2, 2, 1)).toBeCloseTo(Math.acos(0.5) - 0.5 * Math.sqrt(0.75), 14);
  });
});

describe('apertureSums vs photutils (method="exact")', () => {
  it('agrees to 1e-10 relative, partial and off-image apertures included', () => {
    for (const [r, want] of Object.entries(fx.sums)) {
      const got = apertureSums(image, fx.x, fx.y, Number(r), { error: rms });
      for (let i = 0; i < fx.x.length; i++) {
        const ws = want.sum[i];
        const we = want.err[i];
        if (ws === null || we === null) {
          // Entirely off the image: photutils says NaN, we say nothing there (0 over 0 px²).
          expect(got.sum[i]).toBe(0);
          expect(got.areaPx[i]).toBe(0);
          expect(got.flags[i] & ApertureFlag.TRUNCATED).toBeTruthy();
          continue;
        }
        const scale = Math.max(Math.abs(ws), 1);
        expect(Math.abs(got.sum[i] - ws) / scale, `r=${r} #${i}`).toBeLessThan(1e-10);
        expect(Math.abs(got.sumErr[i] - we) / Math.max(we, 1e-6), `r=${r} err #${i}`).toBeLessThan(1e-7);
      }
    }
  });

  it('flags apertures that run off the image and leaves out NaN pixels', () => {
    const out = apertureSums(image, [1, 100], [1, 100], 3);
    expect(out.flags[0] & ApertureFlag.TRUNCATED).toBeTruthy();
    expect(out.flags[1]).toBe(0);
    expect(out.areaPx[1]).toBeCloseTo(9 * Math.PI, 12);
    const holed = { ...image, data: image.data.slice() };
    holed.data[100 * image.width + 100] = NaN;
    const h = apertureSums(holed, [100], [100], 3);
    expect(h.flags[0] & ApertureFlag.HAS_MASKED).toBeTruthy();
    expect(h.areaPx[0]).toBeCloseTo(9 * Math.PI - 1, 12);
    expect(h.sum[0]).toBeCloseTo(out.sum[1] - image.data[100 * image.width + 100], 6);
    const mask = new Uint8Array(image.data.length);
    mask[100 * image.width + 100] = 1;
    const m = apertureSums(image, [100], [100], 3, { mask });
    expect(m.sum[0]).toBe(h.sum[0]);
  });
});

describe('annulus sky vs astropy sigma_clipped_stats (centre-in-annulus pixels)', () => {
  it('reproduces the clipped median, std and the number kept', () => {
    for (const a of fx.annulus) {
      const got = annulusSky(image, fx.annulusX, fx.annulusY, a.rIn, a.rOut);
      for (let i = 0; i < fx.annulusX.length; i++) {
        expect(got.sky[i]).toBeCloseTo(a.median[i], 9);
        expect(got.skyStd[i]).toBeCloseTo(a.std[i], 9);
        expect(got.skyPx[i]).toBe(a.kept[i]);
      }
    }
  });

  it('sigma-clips like astropy on a hand-made sample', () => {
    const v = new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1000]);
    const st = sigmaClipSorted(v);
    expect(st.n).toBe(10);
    expect(st.median).toBe(5.5);
    expect(st.std).toBeCloseTo(Math.sqrt(8.25), 14);
  });
});

describe('aperturePhotometry: sky subtraction and the CCD equation', () => {
  const p = fx.photometry;
  it("'ccd' noise: σ² = N★ + A(1 + A/n)(N_sky + N_dark + R²) in electrons", () => {
    const got = aperturePhotometry(image, fx.annulusX, fx.annulusY, {
      radiusPx: p.r,
      annulus: { innerPx: p.rIn, outerPx: p.rOut },
      gain: p.gain,
      readNoiseE: p.readNoiseE,
      darkE: p.darkE,
    });
    for (let i = 0; i < p.flux.length; i++) {
      expect(Math.abs(got.flux[i] - p.flux[i]) / Math.max(Math.abs(p.flux[i]), 1)).toBeLessThan(1e-9);
      expect(got.areaPx[i]).toBeCloseTo(p.area[i], 10);
      expect(got.skyPx[i]).toBe(p.nsky[i]);
      expect(got.fluxErr[i] / p.errCcd[i] - 1).toBeLessThan(1e-9);
      expect(got.fluxErr[i] / p.errCcd[i] - 1).toBeGreaterThan(-1e-9);
    }
  });

  it("'measured' noise uses the annulus scatter", () => {
    const got = aperturePhotometry(image, fx.annulusX, fx.annulusY, {
      radiusPx: p.r,
      annulus: { innerPx: p.rIn, outerPx: p.rOut },
      gain: p.gain,
      skyNoise: 'measured',
    });
    for (let i = 0; i < p.flux.length; i++) expect(Math.abs(got.fluxErr[i] / p.errMeasured[i] - 1)).toBeLessThan(1e-9);
  });

  it('an error map gives Σ overlap·σ² (photutils aperture_sum_err) for a background-subtracted image', () => {
    const r = '3.0' in fx.sums ? '3.0' : '3';
    const got = aperturePhotometry(image, fx.x, fx.y, { radiusPx: 3, error: rms });
    for (let i = 0; i < fx.x.length; i++) {
      const we = fx.sums[r].err[i];
      if (we !== null) expect(Math.abs(got.fluxErr[i] / we - 1)).toBeLessThan(1e-7);
    }
  });

  it('rejects impossible arguments with ImageError', () => {
    const bad = (f: () => unknown, code: string): void => {
      try {
        f();
        expect.unreachable('should have thrown');
      } catch (e) {
        expect(e).toBeInstanceOf(ImageError);
        expect((e as ImageError).code).toBe(code);
      }
    };
    bad(() => apertureSums(image, [1], [1], -2), 'BAD_ARGUMENT');
    bad(() => apertureSums(image, [1], [1], 0), 'BAD_ARGUMENT');
    bad(() => apertureSums(image, [1, 2], [1], 2), 'SIZE_MISMATCH');
    bad(() => apertureSums(image, [NaN], [1], 2), 'BAD_ARGUMENT');
    bad(() => annulusSky(image, [1], [1], 5, 4), 'BAD_ARGUMENT');
    bad(() => annulusSky(image, [1], [1], -1, 4), 'BAD_ARGUMENT');
    bad(() => aperturePhotometry(image, [1], [1], { radiusPx: 3, gain: 0 }), 'BAD_ARGUMENT');
    bad(() => aperturePhotometry(image, [1], [1], { radiusPx: 3, skyNoise: 'ccd' }), 'BAD_ARGUMENT');
    bad(() => aperturePhotometry(image, [1], [1], { radiusPx: 3, error: new Float32Array(3) }), 'SIZE_MISMATCH');
    bad(() => apertureSums({ data: new Float32Array(5), width: 2, height: 2 }, [1], [1], 1), 'SIZE_MISMATCH');
  });

  it('an annulus with no usable pixel gives NaN sky and the NO_SKY flag', () => {
    const nan = { data: new Float32Array(64 * 64).fill(NaN), width: 64, height: 64 };
    const got = aperturePhotometry(nan, [32], [32], { radiusPx: 3, annulus: { innerPx: 5, outerPx: 8 } });
    expect(got.flags[0] & ApertureFlag.NO_SKY).toBeTruthy();
    expect(Number.isNaN(got.sky[0])).toBe(true);
  });
});

describe('windowed centroid and half-light radius vs sep', () => {
  // sep.winpos has no guard against walking onto a neighbour; compare where it converged near its start.
  const good = sepCat.filter((s) => s.winflag === 0 && Math.hypot(s.xwin - s.x, s.ywin - s.y) < 1);

  it('sep.winpos(subpix=0) from the same start and σ: agreement to 1e-3 px', () => {
    expect(good.length).toBeGreaterThan(120);
    for (const s of good) {
      const w = windowedCentroid(sub, s.x, s.y, s.sig);
      expect(w.flags).toBe(0);
      expect(Math.hypot(w.x - s.xwin, w.y - s.ywin)).toBeLessThan(1e-3);
    }
  });

  it('sep.flux_radius (subpix 25) within 0.01 px (ours is exact)', () => {
    for (const s of sepCat) {
      const r = fluxRadius(sub, s.x, s.y, Math.max(6 * s.a, 3), 0.5);
      expect(Math.abs(r - s.r50)).toBeLessThan(0.01);
    }
  });

  it('recovers a Gaussian star centre exactly (noise-free)', () => {
    const w = 41;
    const data = new Float32Array(w * w);
    const [x0, y0, sigma] = [20.37, 19.81, 1.7];
    for (let j = 0; j < w; j++) for (let i = 0; i < w; i++) data[j * w + i] = 1000 * Math.exp(-((i - x0) ** 2 + (j - y0) ** 2) / (2 * sigma * sigma));
    const c = windowedCentroid({ data, width: w, height: w }, 20, 20, sigma);
    expect(Math.hypot(c.x - x0, c.y - y0)).toBeLessThan(1e-4);
  });
});
