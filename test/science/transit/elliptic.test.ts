import { describe, expect, it } from 'vitest';
import { cel, ellipE, ellipK, ellipPi } from '../../../src/science/transit/elliptic.js';
import { TransitError } from '../../../src/science/transit/errors.js';
import { readCsv } from './fixtures.js';

describe('complete elliptic integrals (Bulirsch cel) vs scipy.special', () => {
  const rows = readCsv('elliptic.csv').map((r) => ({ k: +r.k, n: +r.n, K: +r.K, E: +r.E, Pi: +r.Pi }));

  it('K(k) and E(k) agree to 1e-13 relative, including k → 1', () => {
    for (const r of rows) {
      expect(Math.abs(ellipK(r.k) / r.K - 1), `K(${r.k})`).toBeLessThan(1e-13);
      expect(Math.abs(ellipE(r.k) / r.E - 1), `E(${r.k})`).toBeLessThan(1e-13);
    }
  });

  it('Π(n, k) agrees with Carlson R_F + n/3 R_J to 2e-12 relative (scipy’s own accuracy at n = −1e6)', () => {
    for (const r of rows) expect(Math.abs(ellipPi(r.n, r.k) / r.Pi - 1), `Π(${r.n}, ${r.k})`).toBeLessThan(2e-12);
  });

  it('closed forms: K(0) = E(0) = π/2, E(1) = 1, Π(n, 0) = π / (2√(1 − n)), Π(0, k) = K(k)', () => {
    expect(ellipK(0)).toBeCloseTo(Math.PI / 2, 15);
    expect(ellipE(0)).toBeCloseTo(Math.PI / 2, 15);
    expect(ellipE(1)).toBe(1);
    expect(ellipK(1)).toBe(Infinity);
    for (const n of [-1e12, -1e6, -5, 0.5, 0.99]) {
      expect(Math.abs(ellipPi(n, 0) / (Math.PI / 2 / Math.sqrt(1 - n)) - 1)).toBeLessThan(1e-15);
    }
    for (const k of [0.2, 0.8, 0.999]) expect(Math.abs(ellipPi(0, k) / ellipK(k) - 1)).toBeLessThan(1e-15);
  });

  it('Legendre relation E K′ + E′ K − K K′ = π/2', () => {
    for (const k of [0.1, 0.5, 0.9, 0.99999]) {
      const kp = Math.sqrt(1 - k * k);
      const lhs = ellipE(k) * ellipK(kp) + ellipE(kp) * ellipK(k) - ellipK(k) * ellipK(kp);
      expect(Math.abs(lhs - Math.PI / 2)).toBeLessThan(1e-13);
    }
  });

  it('rejects arguments outside the supported domain with TransitError', () => {
    expect(() => ellipK(1.5)).toThrow(TransitError);
    expect(() => ellipPi(1, 0.5)).toThrow(TransitError);
    expect(() => ellipPi(2, 0.5)).toThrow(/characteristic/);
    expect(() => cel(0.5, 0, 1, 1)).toThrow(TransitError);
    expect(() => ellipE(Number.NaN)).toThrow(TransitError);
  });
});
