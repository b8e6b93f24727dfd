/** The native ↔ celestial rotation against Paper II eq. 2 written with spherical trigonometry. */
import { describe, expect, it } from 'vitest';
import { defaultLonpoleDeg, nativeToCelestialMatrix, rotate, rotateInverse } from '../../../src/science/wcs/rotation.js';
import { rng, wrapDeg } from './helpers.js';

const D = Math.PI / 180;

/** Calabretta & Greisen 2002 eq. 2: (φ, θ) → (α, δ). */
function paper2(phi: number, theta: number, ap: number, dp: number, pp: number): [number, number] {
  const x = Math.sin(theta * D) * Math.cos(dp * D) - Math.cos(theta * D) * Math.sin(dp * D) * Math.cos((phi - pp) * D);
  const y = -Math.cos(theta * D) * Math.sin((phi - pp) * D);
  const alpha = ap + Math.atan2(y, x) / D;
  const delta = Math.asin(Math.sin(theta * D) * Math.sin(dp * D) + Math.cos(theta * D) * Math.cos(dp * D) * Math.cos((phi - pp) * D)) / D;
  return [alpha, delta];
}

describe('nativeToCelestialMatrix', () => {
  it('reproduces Paper II eq. 2 and is orthogonal', () => {
    const r = rng(5);
    for (let i = 0; i < 500; i++) {
      const ap = r.uniform() * 360;
      const dp = r.uniform() * 180 - 90;
      const pp = r.uniform() * 360;
      const phi = r.uniform() * 360;
      const theta = r.uniform() * 170 - 85;
      const m = nativeToCelestialMatrix(ap, dp, pp);
      const n = [Math.cos(theta * D) * Math.cos(phi * D), Math.cos(theta * D) * Math.sin(phi * D), Math.sin(theta * D)];
      const c = [0, 0, 0];
      rotate(m, n, c);
      const [alpha, delta] = paper2(phi, theta, ap, dp, pp);
      expect(Math.abs(wrapDeg(Math.atan2(c[1], c[0]) / D - alpha))).toBeLessThan(1e-9);
      expect(Math.abs(Math.asin(c[2]) / D - delta)).toBeLessThan(1e-9);
      const back = [0, 0, 0];
      rotateInverse(m, c, back);
      for (let k = 0; k < 3; k++) expect(back[k]).toBeCloseTo(n[k], 14);
      for (let a = 0; a < 3; a++) {
        for (let b = 0; b < 3; b++) {
          const dot = m[3 * a] * m[3 * b] + m[3 * a + 1] * m[3 * b + 1] + m[3 * a + 2] * m[3 * b + 2];
          expect(dot).toBeCloseTo(a === b ? 1 : 0, 14);
        }
      }
    }
  });

  it('puts the native pole at (αp, δp)', () => {
    const m = nativeToCelestialMatrix(123, -45, 180);
    const c = [0, 0, 0];
    rotate(m, [0, 0, 1], c);
    expect(Math.atan2(c[1], c[0]) / D).toBeCloseTo(123, 12);
    expect(Math.asin(c[2]) / D).toBeCloseTo(-45, 12);
  });

  it('default LONPOLE (Paper II §2.4) for zenithal projections', () => {
    expect(defaultLonpoleDeg(20)).toBe(180);
    expect(defaultLonpoleDeg(-90)).toBe(180);
    expect(defaultLonpoleDeg(90)).toBe(0);
    // Non-zenithal example: θ0 = 0 (cylindrical), δ0 ≥ θ0 → φ0.
    expect(defaultLonpoleDeg(10, 0, 0)).toBe(0);
    expect(defaultLonpoleDeg(-10, 0, 0)).toBe(180);
  });
});
