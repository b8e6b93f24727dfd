/**
 * Sérsic profiles: bₙ against closed forms and the Ciotti & Bertin (1999, A&A 352, 447)
 * asymptotic series, the total-flux normalisation by direct integration, and drawn stamps
 * (flux, centroid, axis ratio and orientation from second moments).
 */
import { describe, expect, it } from 'vitest';
import {
  addConvolvedStamp,
  sersicB,
  sersicEnclosedFraction,
  sersicIe,
  sersicRadiusEnclosing,
  sersicStamp,
} from '../../../src/science/sky/sersic.js';
import { psfKernel } from '../../../src/science/sky/psf.js';
import { SkyError } from '../../../src/science/sky/errors.js';
import { moments } from './moments.js';

/** Ciotti & Bertin (1999) eq. 18: bₙ ≈ 2n − 1/3 + 4/(405n) + 46/(25515n²) + 131/(1148175n³) − 2194697/(30690717750n⁴). */
function ciottiBertin(n: number): number {
  return 2 * n - 1 / 3 + 4 / (405 * n) + 46 / (25515 * n * n) + 131 / (1148175 * n ** 3) - 2194697 / (30690717750 * n ** 4);
}

describe('Sérsic profile', () => {
  it('bₙ: ln 2 for n = ½, (1 + b)e^(−b) = ½ for n = 1, and the Ciotti–Bertin series for large n', () => {
    expect(sersicB(0.5)).toBeCloseTo(Math.LN2, 14);
    const b1 = sersicB(1);
    expect((1 + b1) * Math.exp(-b1)).toBeCloseTo(0.5, 14);
    expect(Math.abs(sersicB(4) - ciottiBertin(4))).toBeLessThan(2e-6);
    expect(Math.abs(sersicB(10) - ciottiBertin(10))).toBeLessThan(1e-7);
    expect(Math.abs(sersicB(1) - ciottiBertin(1))).toBeLessThan(1e-4);
    for (const n of [0.3, 1, 2.5, 4, 8]) {
      expect(sersicEnclosedFraction(n, 1)).toBeCloseTo(0.5, 13);
      expect(sersicEnclosedFraction(n, sersicRadiusEnclosing(n, 0.9))).toBeCloseTo(0.9, 12);
    }
  });

  it('Iₑ normalises the profile to unit total flux (direct radial integration)', () => {
    for (const [n, re, q] of [[0.7, 2, 1], [1, 3, 0.5], [4, 1.5, 0.8]]) {
      const ie = sersicIe(n, re, q);
      const b = sersicB(n);
      // ∫ 2π q R I(R) dR with R = re·eᵗ, Simpson on t ∈ [−25, 10].
      const steps = 20000;
      const t0 = -25;
      const h = 35 / steps;
      let sum = 0;
      for (let i = 0; i <= steps; i++) {
        const r = re * Math.exp(t0 + i * h);
        const f = 2 * Math.PI * q * r * r * ie * Math.exp(-b * (Math.pow(r / re, 1 / n) - 1));
        sum += (i === 0 || i === steps ? 1 : i % 2 ? 4 : 2) * f;
      }
      expect((sum * h) / 3).toBeCloseTo(1, 9);
    }
  });

  it('draws stamps holding the requested flux (to 1e-4) for a range of n, shapes and pixel grids', () => {
    const grids: Array<[number, number, number, number]> = [
      [0.8, 0, 0, 0.8],
      [0.3, 0.5, -0.45, 0.2],
      [-1.1, 0.1, 0.05, 0.9],
    ];
    for (const n of [0.5, 1, 2.5, 4]) {
      for (const m of grids) {
        for (const q of [1, 0.4]) {
          const st = sersicStamp({ xPx: 60.3, yPx: 59.6, fluxE: 5e4, n, reArcsec: 2.5, axisRatio: q, pixelToAxes: m });
          let sum = 0;
          for (const v of st.data) sum += v;
          expect(Math.abs(sum / 5e4 - 1), `n=${n} q=${q} m=${m}`).toBeLessThan(1e-4);
          expect(st.enclosed).toBeCloseTo(0.999, 9);
        }
      }
    }
  });

  it('second moments: centred, axis ratio q, major axis where the matrix puts it', () => {
    // Pixel → axes: 1"/px, major axis at 30° from +x (towards +y).
    const phi = (30 * Math.PI) / 180;
    const m: [number, number, number, number] = [Math.cos(phi), Math.sin(phi), -Math.sin(phi), Math.cos(phi)];
    const q = 0.5;
    const st = sersicStamp({ xPx: 100.25, yPx: 99.6, fluxE: 1, n: 1, reArcsec: 6, axisRatio: q, pixelToAxes: m });
    const mo = moments(st.data, st.width, st.height);
    expect(Math.abs(mo.x + st.x0 - 100.25)).toBeLessThan(0.01);
    expect(Math.abs(mo.y + st.y0 - 99.6)).toBeLessThan(0.01);
    const cxx = mo.xx - 1 / 12;
    const cyy = mo.yy - 1 / 12;
    const cxy = mo.xy;
    // Covariance along the galaxy axes: M C Mᵀ should be diag(s, q² s).
    const uu = m[0] * m[0] * cxx + 2 * m[0] * m[1] * cxy + m[1] * m[1] * cyy;
    const vv = m[2] * m[2] * cxx + 2 * m[2] * m[3] * cxy + m[3] * m[3] * cyy;
    const uv = m[0] * m[2] * cxx + (m[0] * m[3] + m[1] * m[2]) * cxy + m[1] * m[3] * cyy;
    expect(Math.abs(vv / uu - q * q)).toBeLessThan(0.005);
    expect(Math.abs(uv / uu)).toBeLessThan(1e-3);
  });

  it('convolution with a PSF kernel keeps the flux and the centroid', () => {
    const st = sersicStamp({ xPx: 200.5, yPx: 190.2, fluxE: 1e4, n: 4, reArcsec: 3, axisRatio: 0.7, pixelToAxes: [1, 0, 0, 1] });
    const image = new Float64Array(400 * 400);
    const got = addConvolvedStamp(image, 400, 400, st, psfKernel({ fwhmPx: 3 }));
    const mo = moments(image, 400, 400);
    expect(got / 1e4).toBeCloseTo(1, 4);
    expect(mo.sum).toBeCloseTo(got, 6);
    expect(Math.abs(mo.x - 200.5)).toBeLessThan(0.02);
    expect(Math.abs(mo.y - 190.2)).toBeLessThan(0.02);
  });

  it('rejects bad parameters', () => {
    const ok = { xPx: 10, yPx: 10, fluxE: 1, n: 1, reArcsec: 2, axisRatio: 1, pixelToAxes: [1, 0, 0, 1] as [number, number, number, number] };
    expect(() => sersicStamp({ ...ok, n: 20 })).toThrow(SkyError);
    expect(() => sersicStamp({ ...ok, axisRatio: 0 })).toThrow(/axisRatio/);
    expect(() => sersicStamp({ ...ok, pixelToAxes: [1, 2, 2, 4] })).toThrow(/singular/);
    expect(() => sersicStamp({ ...ok, reArcsec: 5000, n: 4, maxRadiusPx: 4096 })).toThrow(/stamp/);
  });
});
