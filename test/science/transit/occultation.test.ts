import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { occultQuadratic, occultUniform, uniformBlockedFraction } from '../../../src/science/transit/occultation.js';
import { TransitError } from '../../../src/science/transit/errors.js';
import { readCsv } from './fixtures.js';

function flux(z: number, p: number, u1: number, u2: number): number {
  return occultQuadratic(new Float64Array([z]), p, u1, u2)[0];
}

/** Lens area of two circles (radii 1 and p, centres z apart) as the sum of two circular segments. */
function lensArea(z: number, p: number): number {
  if (z >= 1 + p) return 0;
  if (z <= Math.abs(1 - p)) return Math.PI * Math.min(1, p) ** 2;
  const d1 = (z * z + 1 - p * p) / (2 * z); // distance from the star's centre to the chord
  const d2 = z - d1;
  const seg = (r: number, d: number) => r * r * Math.acos(d / r) - d * Math.sqrt(r * r - d * d);
  return seg(1, d1) + seg(p, d2);
}

describe('occultQuadratic vs numerical integration (golden grids)', () => {
  it('shared zgrid (hard separations z = 0, p, 1 − p, 1 + p, ±1e-12, ±1e-7; p up to 1.5): within 1e-10', () => {
    const rows = readCsv('zgrid_subset.csv');
    expect(rows.length).toBeGreaterThan(1000);
    for (const r of rows) {
      const f = flux(+r.z, +r.p, +r.u1, +r.u2);
      expect(Math.abs(f - +r.flux_numint), `p=${r.p} u=${r.u1},${r.u2} z=${r.z}`).toBeLessThan(1e-10);
    }
  });

  it('p = 0.3, 0.7, 0.9, 0.999, 2 at the hard separations (incl. z = 1 − p for p > ½): within 1e-12', () => {
    const rows = readCsv('occult_numint.csv');
    expect(rows.length).toBeGreaterThan(800);
    for (const r of rows) {
      const f = flux(+r.z, +r.p, +r.u1, +r.u2);
      expect(Math.abs(f - +r.flux_numint), `p=${r.p} u=${r.u1},${r.u2} z=${r.z}`).toBeLessThan(1e-12);
    }
  });
});

describe('occultation: analytic limits', () => {
  it('uniform source equals 1 − lens area / π (circular-segment formula)', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-4, max: 3, noNaN: true }), fc.double({ min: 0, max: 4.5, noNaN: true }), (p, z) => {
        const f = occultUniform(new Float64Array([z]), p)[0];
        expect(Math.abs(f - (1 - lensArea(z, p) / Math.PI))).toBeLessThan(1e-12);
      }),
      { seed: 6, numRuns: 2000 },
    );
  });

  it('quadratic law with u = (0, 0) is the uniform source', () => {
    const z = Float64Array.from({ length: 400 }, (_, i) => i * 0.004);
    for (const p of [0.05, 0.5, 0.8, 1.3]) {
      const a = occultQuadratic(z, p, 0, 0);
      const b = occultUniform(z, p);
      for (let i = 0; i < z.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-13);
    }
  });

  it('flux is exactly 1 out of transit and 0 when p > 1 hides the star', () => {
    expect(flux(1.1, 0.1, 0.4, 0.26)).toBe(1);
    expect(flux(5, 0.1, 0.4, 0.26)).toBe(1);
    expect(flux(Infinity, 0.1, 0.4, 0.26)).toBe(1);
    expect(flux(0.3, 0, 0.4, 0.26)).toBe(1);
    expect(flux(0.2, 1.5, 0.4, 0.26)).toBe(0);
    expect(flux(0.5, 1.5, 0.4, 0.26)).toBe(0);
    expect(Number.isNaN(flux(Number.NaN, 0.1, 0.4, 0.26))).toBe(true);
  });

  it('depth at z = 0 is p² with u = 0, and p² I(centre)/⟨I⟩ to O(p⁴) with limb darkening', () => {
    for (const p of [1e-3, 0.01, 0.05]) {
      expect(Math.abs(1 - flux(0, p, 0, 0) - p * p)).toBeLessThan(1e-15);
      expect(Math.abs(1 - flux(0.3, p, 0, 0) - p * p)).toBeLessThan(1e-15);
      const [u1, u2] = [0.4, 0.26];
      const expected = (p * p) / (1 - u1 / 3 - u2 / 6);
      expect(Math.abs(1 - flux(0, p, u1, u2) - expected)).toBeLessThan(p ** 4);
    }
  });

  it('is continuous across the case boundaries (z = p, 1 − p, ½ ± 1e-11)', () => {
    for (const p of [0.05, 0.3, 0.5, 0.7, 0.95, 1.2]) {
      for (const zb of [p, Math.abs(1 - p), 0.5, 1 + p]) {
        const f0 = flux(zb, p, 0.45, 0.2);
        for (const dz of [-1e-11, 1e-11]) {
          if (zb + dz < 0) continue;
          expect(Math.abs(flux(zb + dz, p, 0.45, 0.2) - f0), `p=${p} z=${zb}${dz > 0 ? '+' : '-'}`).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('lies in [0, 1] and decreases as the planet moves in, for physical limb darkening', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1.4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (p, q1, q2) => {
          // Kipping (2013) mapping keeps the intensity positive and decreasing to the limb.
          const u1 = 2 * Math.sqrt(q1) * q2;
          const u2 = Math.sqrt(q1) * (1 - 2 * q2);
          const z = Float64Array.from({ length: 64 }, (_, i) => (i / 63) * (1.1 + p));
          const f = occultQuadratic(z, p, u1, u2);
          for (let i = 0; i < f.length; i++) {
            expect(f[i]).toBeGreaterThanOrEqual(-1e-12);
            expect(f[i]).toBeLessThanOrEqual(1);
            if (i > 0) expect(f[i]).toBeGreaterThanOrEqual(f[i - 1] - 1e-12);
          }
        },
      ),
      { seed: 61, numRuns: 300 },
    );
  });

  it('uniformBlockedFraction: 0 outside, p² inside, 1 when the star is covered', () => {
    expect(uniformBlockedFraction(2, 0.5)).toBe(0);
    expect(uniformBlockedFraction(0.2, 0.5)).toBe(0.25);
    expect(uniformBlockedFraction(0.2, 1.5)).toBe(1);
  });

  it('writes into a caller-supplied buffer and rejects bad input', () => {
    const z = new Float64Array([0, 0.5, 2]);
    const out = new Float64Array(3);
    expect(occultQuadratic(z, 0.1, 0.3, 0.2, out)).toBe(out);
    expect(out[2]).toBe(1);
    expect(() => occultQuadratic(z, 0.1, 0.3, 0.2, new Float64Array(2))).toThrow(TransitError);
    expect(() => occultQuadratic(z, -0.1, 0.3, 0.2)).toThrow(/'p'/);
    expect(() => occultQuadratic(z, Number.NaN, 0.3, 0.2)).toThrow(TransitError);
    expect(() => occultQuadratic(z, 0.1, 3, 0)).toThrow(/total flux/);
    expect(() => occultUniform(z, Infinity)).toThrow(TransitError);
  });
});
