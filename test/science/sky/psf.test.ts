/**
 * PSF drawing against analytic truth: total flux, centroid, second moments (FWHM) of
 * Gaussian and Moffat profiles, trails, truncation, and the enclosed-flux formulas.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import {
  createPsfRenderer,
  DEFAULT_MOFFAT_BETA,
  gaussianSigmaPx,
  moffatAlphaPx,
  psfDensity,
  psfEnclosedFraction,
  psfKernel,
  psfRadiusForLoss,
  type PsfSpec,
} from '../../../src/science/sky/psf.js';
import { SkyError } from '../../../src/science/sky/errors.js';
import { moments } from './moments.js';

const SIZE = 301;

function draw(spec: PsfSpec, x: number, y: number, flux: number, opts = {}): { image: Float64Array; deposited: number } {
  const image = new Float64Array(SIZE * SIZE);
  const deposited = createPsfRenderer(spec, opts).add(image, SIZE, SIZE, x, y, flux);
  return { image, deposited };
}

/** FWHM implied by a per-axis variance (px²) of the profile. */
function fwhmFromVariance(spec: PsfSpec, variance: number): number {
  if (spec.profile === 'gaussian') return 2 * Math.sqrt(2 * Math.LN2) * Math.sqrt(variance);
  const beta = spec.beta ?? DEFAULT_MOFFAT_BETA;
  // Moffat per-axis variance α² / (2(β − 2)).
  return 2 * Math.sqrt(Math.pow(2, 1 / beta) - 1) * Math.sqrt(2 * (beta - 2) * variance);
}

const SPECS: PsfSpec[] = [
  { profile: 'gaussian', fwhmPx: 1.5 },
  { profile: 'gaussian', fwhmPx: 3 },
  { profile: 'gaussian', fwhmPx: 8 },
  { fwhmPx: 2 },
  { fwhmPx: 3.5 },
  { fwhmPx: 3, beta: 2.5 },
  { fwhmPx: 9, beta: 3 },
  { fwhmPx: 3, trail: { lengthPx: 12, angleDeg: 25 } },
];

describe('PSF rendering', () => {
  it('puts the requested flux on the image to 1e-4 (noise off), at any sub-pixel position', () => {
    const rng = new Rng(7);
    for (const spec of SPECS) {
      for (let k = 0; k < 4; k++) {
        const x = 150 + rng.uniform() - 0.5;
        const y = 150 + rng.uniform() - 0.5;
        const flux = 1e3 * Math.pow(10, 3 * rng.uniform());
        const { image, deposited } = draw(spec, x, y, flux);
        const m = moments(image, SIZE, SIZE);
        expect(Math.abs(m.sum / flux - 1), JSON.stringify(spec)).toBeLessThan(1e-4);
        expect(m.sum).toBeLessThanOrEqual(flux * (1 + 1e-12));
        expect(deposited).toBeCloseTo(m.sum, 6);
      }
    }
  });

  it('loses about the flux the truncation allows (so a missing wing would show)', () => {
    const spec: PsfSpec = { fwhmPx: 3, beta: 2.5 };
    for (const truncation of [1e-2, 1e-3]) {
      const { image } = draw(spec, 150.2, 149.9, 1e6, { truncation });
      const lost = 1 - moments(image, SIZE, SIZE).sum / 1e6;
      expect(lost).toBeGreaterThan(0.3 * truncation);
      expect(lost).toBeLessThanOrEqual(truncation);
    }
  });

  it('centres the star on its position to < 0.01 px (well-sampled PSFs)', () => {
    const rng = new Rng(11);
    for (const spec of SPECS.filter((s) => s.fwhmPx >= 2)) {
      for (let k = 0; k < 5; k++) {
        const x = 150 + 2 * rng.uniform() - 1;
        const y = 150 + 2 * rng.uniform() - 1;
        const m = moments(draw(spec, x, y, 1e5).image, SIZE, SIZE);
        expect(Math.abs(m.x - x), JSON.stringify(spec)).toBeLessThan(0.01);
        expect(Math.abs(m.y - y), JSON.stringify(spec)).toBeLessThan(0.01);
      }
    }
  });

  it('has the requested FWHM by second moments (pixel box variance 1/12 removed)', () => {
    for (const spec of [{ profile: 'gaussian', fwhmPx: 2.5 }, { profile: 'gaussian', fwhmPx: 6 }, { fwhmPx: 3 }, { fwhmPx: 7 }] as PsfSpec[]) {
      const m = moments(draw(spec, 150.31, 149.77, 1e6, { truncation: 1e-8 }).image, SIZE, SIZE);
      const fwhmX = fwhmFromVariance(spec, m.xx - 1 / 12);
      const fwhmY = fwhmFromVariance(spec, m.yy - 1 / 12);
      expect(Math.abs(fwhmX / spec.fwhmPx - 1), JSON.stringify(spec)).toBeLessThan(3e-3);
      expect(Math.abs(fwhmY / spec.fwhmPx - 1), JSON.stringify(spec)).toBeLessThan(3e-3);
      expect(Math.abs(m.xy) / m.xx).toBeLessThan(1e-4);
    }
  });

  it('has the requested FWHM at half maximum (large PSF, star on a pixel centre)', () => {
    for (const spec of [{ profile: 'gaussian', fwhmPx: 12 }, { fwhmPx: 12 }] as PsfSpec[]) {
      const { image } = draw(spec, 150, 150, 1e6);
      const row = 150 * SIZE;
      const peak = image[row + 150];
      let k = 150;
      while (image[row + k + 1] > peak / 2) k++;
      const a = image[row + k];
      const b = image[row + k + 1];
      const halfWidth = k - 150 + (a - peak / 2) / (a - b);
      expect(Math.abs((2 * halfWidth) / spec.fwhmPx - 1), JSON.stringify(spec)).toBeLessThan(0.01);
    }
  });

  it('trails: centroid kept, flux kept, variance along the trail grows by L²/12', () => {
    const base: PsfSpec = { profile: 'gaussian', fwhmPx: 3 };
    const len = 20;
    const angle = 30;
    const trailed: PsfSpec = { ...base, trail: { lengthPx: len, angleDeg: angle } };
    const m0 = moments(draw(base, 150.4, 150.1, 1e5).image, SIZE, SIZE);
    const m1 = moments(draw(trailed, 150.4, 150.1, 1e5).image, SIZE, SIZE);
    expect(Math.abs(m1.sum / 1e5 - 1)).toBeLessThan(1e-4);
    expect(Math.abs(m1.x - 150.4)).toBeLessThan(0.01);
    expect(Math.abs(m1.y - 150.1)).toBeLessThan(0.01);
    const c = Math.cos((angle * Math.PI) / 180);
    const s = Math.sin((angle * Math.PI) / 180);
    const along = c * c * m1.xx + 2 * c * s * m1.xy + s * s * m1.yy;
    const across = s * s * m1.xx - 2 * c * s * m1.xy + c * c * m1.yy;
    expect(Math.abs((along - m0.xx) / ((len * len) / 12) - 1)).toBeLessThan(1e-3);
    expect(Math.abs(across / m0.xx - 1)).toBeLessThan(2e-3);
  });

  it('returns the flux that landed on a chip that clips the star', () => {
    const r = createPsfRenderer({ fwhmPx: 4 });
    const image = new Float32Array(50 * 40);
    const deposited = r.add(image, 50, 40, -1.2, 20.3, 1e4);
    let sum = 0;
    for (const v of image) sum += v;
    expect(deposited).toBeCloseTo(sum, 1);
    expect(deposited).toBeGreaterThan(0);
    expect(deposited).toBeLessThan(0.5e4);
    expect(r.add(image, 50, 40, -500, 20, 1e4)).toBe(0);
    expect(r.add(image, 50, 40, 20, 20, 0)).toBe(0);
  });
});

describe('PSF formulas', () => {
  it('density integrates to the enclosed fraction; radiusForLoss inverts it', () => {
    for (const spec of [{ profile: 'gaussian', fwhmPx: 3 }, { fwhmPx: 3 }, { fwhmPx: 2, beta: 2.5 }] as PsfSpec[]) {
      // ∫₀ᴿ f(r) 2πr dr by Simpson's rule.
      const radius = 10;
      const n = 4000;
      const h = radius / n;
      let integral = 0;
      for (let i = 0; i <= n; i++) {
        const r = i * h;
        const w = i === 0 || i === n ? 1 : i % 2 ? 4 : 2;
        integral += w * psfDensity(spec, r, 0) * 2 * Math.PI * r;
      }
      integral *= h / 3;
      expect(integral).toBeCloseTo(psfEnclosedFraction(spec, radius), 9);
      for (const loss of [0.5, 1e-3, 1e-6]) expect(1 - psfEnclosedFraction(spec, psfRadiusForLoss(spec, loss))).toBeCloseTo(loss, 12);
    }
    // FWHM definitions: the density at r = FWHM/2 is half the central density.
    for (const spec of [{ profile: 'gaussian', fwhmPx: 3.3 }, { fwhmPx: 3.3, beta: 3.7 }] as PsfSpec[]) {
      expect(psfDensity(spec, spec.fwhmPx / 2, 0) / psfDensity(spec, 0, 0)).toBeCloseTo(0.5, 14);
    }
    expect(gaussianSigmaPx(2.354820045030949)).toBeCloseTo(1, 14);
    expect(moffatAlphaPx(2, 1.5)).toBeCloseTo(1 / Math.sqrt(Math.pow(2, 2 / 3) - 1), 14);
  });

  it('kernel: unit sum, centred, with the profile variance', () => {
    const k = psfKernel({ profile: 'gaussian', fwhmPx: 6 }, { truncation: 1e-9 });
    const m = moments(k.data, k.size, k.size);
    expect(m.sum).toBeCloseTo(1, 14);
    expect(m.x).toBeCloseTo(k.radiusPx, 10);
    expect(m.y).toBeCloseTo(k.radiusPx, 10);
    expect(m.xx / gaussianSigmaPx(6) ** 2).toBeCloseTo(1, 6);
  });

  it('rejects impossible PSFs with SkyError naming the parameter', () => {
    const bad: Array<[PsfSpec, string]> = [
      [{ fwhmPx: 0.1 }, 'psf.fwhmPx'],
      [{ fwhmPx: NaN }, 'psf.fwhmPx'],
      [{ fwhmPx: 3, beta: 1 }, 'psf.beta'],
      [{ fwhmPx: 3, profile: 'airy' as 'moffat' }, 'psf.profile'],
      [{ fwhmPx: 3, trail: { lengthPx: -1, angleDeg: 0 } }, 'psf.trail.lengthPx'],
    ];
    for (const [spec, parameter] of bad) {
      try {
        createPsfRenderer(spec);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SkyError);
        expect((e as SkyError).code).toBe('BAD_ARGUMENT');
        expect((e as SkyError).location.parameter).toBe(parameter);
      }
    }
  });
});
