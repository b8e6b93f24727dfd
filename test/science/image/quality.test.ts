/**
 * Frame quality on synthetic frames with injected truth: elliptical Gaussian stars of known
 * FWHM, ellipticity and angle (integrated over each pixel by 7×7 sub-sampling), a sky of
 * known level and Gaussian noise of known σ.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import { adaptiveMoments, frameQuality, judgeQuality, shapeOf } from '../../../src/science/image/quality.js';
import { estimateBackground } from '../../../src/science/image/background.js';

const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

interface Star {
  x: number;
  y: number;
  flux: number;
}

/** Adds an elliptical Gaussian (σa, σb, θ) of total `flux`, pixel-integrated by sub-sampling. */
function addStar(img: Float32Array, w: number, h: number, s: Star, sa: number, sb: number, thetaDeg: number): void {
  const t = (thetaDeg * Math.PI) / 180;
  const c = Math.cos(t);
  const sn = Math.sin(t);
  const sub = 7;
  const norm = s.flux / (2 * Math.PI * sa * sb) / (sub * sub);
  const r = Math.ceil(6 * sa);
  for (let y = Math.max(0, Math.floor(s.y) - r); y <= Math.min(h - 1, Math.floor(s.y) + r); y++) {
    for (let x = Math.max(0, Math.floor(s.x) - r); x <= Math.min(w - 1, Math.floor(s.x) + r); x++) {
      let acc = 0;
      for (let j = 0; j < sub; j++) {
        for (let i = 0; i < sub; i++) {
          const dx = x - 0.5 + (i + 0.5) / sub - s.x;
          const dy = y - 0.5 + (j + 0.5) / sub - s.y;
          const u = dx * c + dy * sn;
          const v = -dx * sn + dy * c;
          acc += Math.exp(-0.5 * ((u * u) / (sa * sa) + (v * v) / (sb * sb)));
        }
      }
      img[y * w + x] += norm * acc;
    }
  }
}

function scene(opts: { seed: number; fwhm: number; ell: number; thetaDeg: number; stars: number; sky: number; noise: number; saturated?: boolean }) {
  const w = 400;
  const h = 300;
  const rng = new Rng(opts.seed);
  const img = new Float32Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) img[y * w + x] = opts.sky + 0.01 * x - 0.01 * y + opts.noise * rng.normal();
  // σa σb = (fwhm / 2.3548)², σb = (1 − e) σa.
  const g = opts.fwhm / FWHM_PER_SIGMA;
  const sa = g / Math.sqrt(1 - opts.ell);
  const sb = sa * (1 - opts.ell);
  const stars: Star[] = [];
  while (stars.length < opts.stars) {
    const s = { x: 15 + rng.uniform() * (w - 30), y: 15 + rng.uniform() * (h - 30), flux: 5000 + 45000 * rng.uniform() };
    if (stars.every((o) => Math.hypot(o.x - s.x, o.y - s.y) > 14)) stars.push(s);
  }
  for (const s of stars) addStar(img, w, h, s, sa, sb, opts.thetaDeg);
  if (opts.saturated) {
    const s = { x: 200.3, y: 150.6, flux: 3e6 };
    addStar(img, w, h, s, sa, sb, opts.thetaDeg);
    for (let i = 0; i < img.length; i++) img[i] = Math.min(img[i], 60000);
  }
  return { img, w, h, stars };
}

describe('adaptive moments', () => {
  it('recover the covariance of a noiseless pixel-integrated Gaussian', () => {
    const w = 41;
    const h = 41;
    const img = new Float32Array(w * h);
    addStar(img, w, h, { x: 20.3, y: 19.8, flux: 1e4 }, 2.0, 1.4, 35);
    const m = adaptiveMoments(img, w, h, 20, 20, 1.5)!;
    expect(m).toBeDefined();
    expect(m.x).toBeCloseTo(20.3, 3);
    expect(m.y).toBeCloseTo(19.8, 3);
    const s = shapeOf(m.xx, m.yy, m.xy);
    expect(s.fwhmPx / (FWHM_PER_SIGMA * Math.sqrt(2.0 * 1.4))).toBeCloseTo(1, 3);
    expect(s.ellipticity).toBeCloseTo(1 - 1.4 / 2.0, 3);
    expect(s.thetaDeg).toBeCloseTo(35, 1);
  });

  it('fail cleanly on empty data', () => {
    expect(adaptiveMoments(new Float32Array(100), 10, 10, 5, 5)).toBeUndefined();
  });
});

describe('frameQuality', () => {
  it('recovers star count, FWHM, ellipticity, angle, sky level and noise', () => {
    const { img, w, h, stars } = scene({ seed: 1, fwhm: 3.5, ell: 0.15, thetaDeg: 30, stars: 80, sky: 1000, noise: 10 });
    const q = frameQuality({ data: img, width: w, height: h });
    expect(q.starCount).toBeGreaterThanOrEqual(stars.length - 2);
    expect(q.starCount).toBeLessThanOrEqual(stars.length);
    expect(q.measuredStars).toBeGreaterThanOrEqual(q.starCount - 2);
    expect(Math.abs(q.fwhmPx / 3.5 - 1)).toBeLessThan(0.02);
    expect(Math.abs(q.ellipticity - 0.15)).toBeLessThan(0.01);
    expect(Math.abs(q.thetaDeg - 30)).toBeLessThan(2);
    // The sky plane's median over the frame is 1000 + 0.01·(200 − 150).
    expect(Math.abs(q.skyLevel - 1000.5)).toBeLessThan(1);
    // Clipping at 3σ lowers σ by 1.4 %, star wings raise it a little: within 3 %.
    expect(Math.abs(q.skyNoise / 10 - 1)).toBeLessThan(0.03);
  });

  it('sees defocus and trailing', () => {
    const sharp = scene({ seed: 2, fwhm: 2.5, ell: 0.05, thetaDeg: -60, stars: 40, sky: 500, noise: 8 });
    const soft = scene({ seed: 2, fwhm: 6, ell: 0.05, thetaDeg: -60, stars: 40, sky: 500, noise: 8 });
    const trailed = scene({ seed: 2, fwhm: 3, ell: 0.5, thetaDeg: 80, stars: 40, sky: 500, noise: 8 });
    const qs = frameQuality({ data: sharp.img, width: sharp.w, height: sharp.h });
    const qd = frameQuality({ data: soft.img, width: soft.w, height: soft.h });
    const qt = frameQuality({ data: trailed.img, width: trailed.w, height: trailed.h });
    expect(Math.abs(qs.fwhmPx / 2.5 - 1)).toBeLessThan(0.03);
    expect(Math.abs(qd.fwhmPx / 6 - 1)).toBeLessThan(0.03);
    expect(Math.abs(qt.ellipticity - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(qt.thetaDeg - 80)).toBeLessThan(2);
    const limits = { minStars: 20, maxFwhmPx: 4, maxEllipticity: 0.3 };
    expect(judgeQuality(qs, limits)).toEqual({ ok: true, reasons: [] });
    expect(judgeQuality(qd, limits).reasons.join()).toMatch(/FWHM/);
    expect(judgeQuality(qt, limits).reasons.join()).toMatch(/ellipticity/);
  });

  it('skips saturated stars and accepts a precomputed background', () => {
    const { img, w, h, stars } = scene({ seed: 3, fwhm: 3, ell: 0.1, thetaDeg: 0, stars: 30, sky: 1000, noise: 10, saturated: true });
    const bg = estimateBackground(img, w, h, { boxSize: 50 });
    const q = frameQuality({ data: img, width: w, height: h }, { background: bg, saturationAdu: 60000 });
    expect(q.starCount).toBeLessThanOrEqual(stars.length);
    expect(q.sourceCount).toBeGreaterThan(q.starCount);
    expect(q.skyLevel).toBe(bg.mesh.globalLevel);
    expect(Math.abs(q.fwhmPx / 3 - 1)).toBeLessThan(0.03);
  });

  it('an empty sky has no stars and NaN shape figures', () => {
    const rng = new Rng(4);
    const img = Float32Array.from({ length: 128 * 128 }, () => 100 + 5 * rng.normal());
    const q = frameQuality({ data: img, width: 128, height: 128 });
    expect(q.starCount).toBe(0);
    expect(q.fwhmPx).toBeNaN();
    expect(judgeQuality(q, { minStars: 5 }).ok).toBe(false);
  });

  it('bad input', () => {
    expect(() => frameQuality({ data: new Float32Array(10), width: 4, height: 4 })).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => frameQuality({ data: new Float32Array(64 * 64).fill(NaN), width: 64, height: 64 })).toThrow(expect.objectContaining({ code: 'ALL_NAN' }));
    expect(() => frameQuality({ data: new Float32Array(16), width: 4, height: 4 }, { maxStars: 0 })).toThrow(/maxStars/);
  });
});
