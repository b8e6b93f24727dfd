/**
 * Special functions against closed forms (integer and half-integer arguments, where
 * P(a, x) and Γ have elementary expressions) and classic table values of erf.
 */
import { describe, expect, it } from 'vitest';
import { erf, gammaP, gammaPInverse, gammaQ, lnGamma, normalCdf } from '../../../src/science/sky/special.js';

describe('lnGamma', () => {
  it('matches ln (n−1)! and Γ(½) = √π, Γ(n + ½) = (2n)! √π / (4ⁿ n!)', () => {
    let lnFact = 0;
    for (let n = 1; n <= 170; n++) {
      expect(lnGamma(n)).toBeCloseTo(lnFact, 10 - Math.floor(Math.log10(Math.max(1, lnFact))));
      lnFact += Math.log(n);
    }
    expect(lnGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    for (const n of [1, 3, 7, 12]) {
      let lf2n = 0;
      for (let k = 2; k <= 2 * n; k++) lf2n += Math.log(k);
      let lfn = 0;
      for (let k = 2; k <= n; k++) lfn += Math.log(k);
      expect(lnGamma(n + 0.5)).toBeCloseTo(lf2n + 0.5 * Math.log(Math.PI) - n * Math.log(4) - lfn, 12);
    }
    // Γ(x) ~ 1/x near 0.
    expect(lnGamma(1e-8)).toBeCloseTo(-Math.log(1e-8) - 0.5772156649015329 * 1e-8, 10);
  });
});

describe('incomplete gamma', () => {
  it('P(n, x) = 1 − e^(−x) Σ_{k<n} x^k/k! for integer n, both branches', () => {
    for (const n of [1, 2, 5, 12]) {
      for (const x of [0.01, 0.5, 1, 3, 7.5, 12, 30, 60]) {
        let term = 1;
        let sum = 1;
        for (let k = 1; k < n; k++) {
          term *= x / k;
          sum += term;
        }
        const q = Math.exp(-x) * sum;
        expect(gammaQ(n, x)).toBeCloseTo(q, 14);
        expect(Math.abs(gammaQ(n, x) - q) / q).toBeLessThan(1e-12);
        expect(gammaP(n, x)).toBeCloseTo(1 - q, 14);
      }
    }
  });

  it('erf(z) = P(½, z²) matches table values (Abramowitz & Stegun 7.1)', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778130465, 14);
    expect(erf(1)).toBeCloseTo(0.8427007929497149, 14);
    expect(erf(2)).toBeCloseTo(0.9953222650189527, 14);
    expect(erf(3)).toBeCloseTo(0.9999779095030014, 14);
    expect(erf(-1)).toBeCloseTo(-0.8427007929497149, 14);
    expect(erf(0)).toBe(0);
  });

  it('normalCdf keeps relative precision in the far tail', () => {
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 14);
    // Φ(−10) = ½ erfc(10/√2); erfc(x) ~ e^(−x²)/(x√π)(1 − 1/(2x²) + 3/(4x⁴) − 15/(8x⁶) + 105/(16x⁸)).
    const x = 10 / Math.SQRT2;
    const asym = (Math.exp(-x * x) / (x * Math.sqrt(Math.PI))) * (1 - 1 / (2 * x * x) + 3 / (4 * x ** 4) - 15 / (8 * x ** 6) + 105 / (16 * x ** 8) - 945 / (32 * x ** 10));
    expect(Math.abs(normalCdf(-10) / (0.5 * asym) - 1)).toBeLessThan(1e-5);
    expect(normalCdf(-5) + normalCdf(5)).toBeCloseTo(1, 15);
  });

  it('gammaPInverse inverts P; ln 2 for a = 1', () => {
    expect(gammaPInverse(1, 0.5)).toBeCloseTo(Math.LN2, 14);
    for (const a of [0.3, 1, 2.5, 8, 20]) {
      for (const p of [1e-6, 0.01, 0.5, 0.9, 0.999999]) {
        const x = gammaPInverse(a, p);
        expect(Math.abs(gammaP(a, x) - p) / Math.min(p, 1 - p)).toBeLessThan(1e-9);
      }
    }
    expect(gammaPInverse(2, 0)).toBeNaN();
  });
});
