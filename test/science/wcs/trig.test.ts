/** The inlined trigonometry of the kernels against the library functions. */
import { describe, expect, it } from 'vitest';
import { atan2Fast, cosDeg, sinDeg, unitVectorDeg } from '../../../src/science/wcs/trig.js';
import { rng } from './helpers.js';

describe('atan2Fast', () => {
  it('agrees with Math.atan2 to a few ulp over all octants and scales', () => {
    const r = rng(7);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      const scale = 10 ** (r.uniform() * 20 - 10);
      const y = (r.uniform() * 2 - 1) * scale;
      const x = (r.uniform() * 2 - 1) * scale * (i % 3 === 0 ? 1e-3 : 1);
      worst = Math.max(worst, Math.abs(atan2Fast(y, x) - Math.atan2(y, x)));
    }
    expect(worst).toBeLessThan(1e-15);
  });
  it('keeps relative precision for small angles', () => {
    for (const t of [1e-300, 1e-12, 3e-7, 0.01, 0.19, 0.2, 0.6, 0.67, 1]) {
      expect(Math.abs(atan2Fast(t, 1) / Math.atan2(t, 1) - 1)).toBeLessThan(1e-15);
    }
  });
  it('handles axes, zero and NaN like Math.atan2', () => {
    expect(atan2Fast(0, 0)).toBe(0);
    expect(atan2Fast(0, 1)).toBe(0);
    expect(atan2Fast(1, 0)).toBe(Math.PI / 2);
    expect(atan2Fast(-1, 0)).toBe(-Math.PI / 2);
    expect(atan2Fast(0, -1)).toBe(Math.PI);
    expect(atan2Fast(1, 1)).toBeCloseTo(Math.PI / 4, 16);
    expect(atan2Fast(Infinity, 1)).toBe(Math.PI / 2);
    expect(atan2Fast(NaN, 1)).toBeNaN();
    expect(atan2Fast(1, NaN)).toBeNaN();
  });
});

describe('sinDeg / cosDeg', () => {
  it('agree with Math.sin / Math.cos', () => {
    const r = rng(11);
    let worst = 0;
    for (let i = 0; i < 200_000; i++) {
      const d = (r.uniform() * 2 - 1) * 1080;
      const rad = (d * Math.PI) / 180;
      worst = Math.max(worst, Math.abs(sinDeg(d) - Math.sin(rad)), Math.abs(cosDeg(d) - Math.cos(rad)));
    }
    // Math.sin(d·π/180) itself carries the rounding of the product (≈ 2e-15 at 1080°).
    expect(worst).toBeLessThan(5e-15);
    // Within ±45° the reference argument is exact to 1e-16: a few ulp.
    let near = 0;
    for (let i = 0; i < 100_000; i++) {
      const d = (r.uniform() * 2 - 1) * 45;
      const rad = (d * Math.PI) / 180;
      near = Math.max(near, Math.abs(sinDeg(d) - Math.sin(rad)), Math.abs(cosDeg(d) - Math.cos(rad)));
    }
    expect(near).toBeLessThan(4e-16);
  });
  it('are exact at multiples of 90° and symmetric', () => {
    for (let k = -8; k <= 8; k++) {
      const d = 90 * k;
      expect(Math.abs(sinDeg(d))).toBe([0, 1, 0, 1][((k % 4) + 4) % 4]);
      expect(Math.abs(cosDeg(d))).toBe([1, 0, 1, 0][((k % 4) + 4) % 4]);
    }
    expect(sinDeg(30)).toBeCloseTo(0.5, 15);
    expect(cosDeg(60)).toBeCloseTo(0.5, 15);
    expect(sinDeg(-123.4)).toBe(-sinDeg(123.4));
  });
  it('fall back to the library beyond the table range and pass NaN through', () => {
    expect(sinDeg(1e12)).toBe(Math.sin((1e12 * Math.PI) / 180));
    expect(cosDeg(NaN)).toBeNaN();
  });
  it('unit vectors have unit length', () => {
    const v = [0, 0, 0];
    unitVectorDeg(123.4, -56.7, v);
    expect(Math.hypot(v[0], v[1], v[2])).toBeCloseTo(1, 15);
  });
});
