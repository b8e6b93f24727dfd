/** Random star fields: counts, the log N ∝ 0.3 m magnitude distribution, uniform positions in the cone. */
import { describe, expect, it } from 'vitest';
import { angularSeparationDeg } from '../../../src/science/wcs/index.js';
import { coneAreaDeg2, cumulativeStarDensity, expectedStarCount, randomStarField } from '../../../src/science/sky/catalog.js';
import { SkyError } from '../../../src/science/sky/errors.js';

describe('random star field', () => {
  it('cone area and expected count follow the closed forms', () => {
    expect(coneAreaDeg2(180)).toBeCloseTo((4 * Math.PI * (180 / Math.PI) ** 2), 6);
    expect(coneAreaDeg2(1)).toBeCloseTo(Math.PI * (1 - 1 / 12 / (180 / Math.PI) ** 2 * 1), 3);
    expect(cumulativeStarDensity(15)).toBe(700);
    expect(cumulativeStarDensity(20) / cumulativeStarDensity(10)).toBeCloseTo(1000, 9);
    expect(expectedStarCount({ radiusDeg: 2, magBright: 8, magFaint: 15, slope: 0.4, densityAtRefMag: 3, refMag: 12 })).toBeCloseTo(
      coneAreaDeg2(2) * 3 * (Math.pow(10, 0.4 * 3) - Math.pow(10, -0.4 * 4)),
      9,
    );
  });

  it('draws a Poisson number of stars around the expected count', () => {
    const opts = { raDeg: 200, decDeg: 20, radiusDeg: 1, magFaint: 12 };
    const expected = expectedStarCount(opts);
    const counts = [1, 2, 3, 4, 5, 6].map((seed) => randomStarField({ ...opts, seed }).length);
    for (const n of counts) expect(Math.abs(n - expected)).toBeLessThan(4 * Math.sqrt(expected));
    expect(new Set(counts).size).toBeGreaterThan(1);
  });

  it('magnitudes follow dN/dm ∝ 10^(0.3 m): sample mean and variance match the truncated exponential', () => {
    const [a, b] = [9, 17];
    const stars = randomStarField({ raDeg: 10, decDeg: -30, radiusDeg: 1.1, magBright: a, magFaint: b, seed: 42 });
    expect(stars.length).toBeGreaterThan(10000);
    const k = 0.3 * Math.LN10;
    // Moments of the density ∝ e^(k m) on [a, b].
    const ea = Math.exp(k * (a - b));
    const mean = (b - a * ea) / (1 - ea) - 1 / k;
    const second = (b * b - a * a * ea) / (1 - ea) - (2 / k) * mean;
    const variance = second - mean * mean;
    let s = 0;
    let outside = 0;
    for (const st of stars) {
      if (st.mag < a || st.mag > b) outside++;
      s += st.mag;
    }
    expect(outside).toBe(0);
    const sampleMean = s / stars.length;
    expect(Math.abs(sampleMean - mean)).toBeLessThan(4 * Math.sqrt(variance / stars.length));
    // A slope of 0.35 would move the mean by many σ: the test discriminates.
    const k2 = 0.35 * Math.LN10;
    const ea2 = Math.exp(k2 * (a - b));
    const mean2 = (b - a * ea2) / (1 - ea2) - 1 / k2;
    expect(Math.abs(mean2 - mean)).toBeGreaterThan(10 * Math.sqrt(variance / stars.length));
    // Brightest first, with ids.
    expect(stars.every((st, i) => i === 0 || st.mag >= stars[i - 1].mag)).toBe(true);
    expect(stars[0].id).toBe('S1');
  });

  it('positions are uniform on the sphere inside the cone, also around a pole', () => {
    for (const [ra, dec] of [[120, 35], [0, 89.7], [359.9, -89.2]]) {
      const r = 1.5;
      const stars = randomStarField({ raDeg: ra, decDeg: dec, radiusDeg: r, magFaint: 12, seed: 3 });
      let inner = 0;
      let maxSep = 0;
      let badRa = 0;
      for (const s of stars) {
        const sep = angularSeparationDeg(ra, dec, s.raDeg, s.decDeg);
        maxSep = Math.max(maxSep, sep);
        if (!(s.raDeg >= 0 && s.raDeg < 360)) badRa++;
        if (sep < r / 2) inner++;
      }
      expect(maxSep).toBeLessThanOrEqual(r + 1e-9);
      expect(maxSep).toBeGreaterThan(0.98 * r);
      expect(badRa).toBe(0);
      const p = coneAreaDeg2(r / 2) / coneAreaDeg2(r);
      const n = stars.length;
      expect(Math.abs(inner - n * p)).toBeLessThan(4 * Math.sqrt(n * p * (1 - p)));
    }
  });

  it('is deterministic per seed and guards its size', () => {
    const opts = { raDeg: 1, decDeg: 2, radiusDeg: 0.5, magFaint: 12 };
    expect(randomStarField({ ...opts, seed: 9 })).toEqual(randomStarField({ ...opts, seed: 9 }));
    expect(randomStarField({ ...opts, seed: 9 })).not.toEqual(randomStarField({ ...opts, seed: 10 }));
    expect(() => randomStarField({ raDeg: 0, decDeg: 0, radiusDeg: 30, magFaint: 25, seed: 1 })).toThrow(SkyError);
    expect(() => randomStarField({ ...opts, decDeg: 95, seed: 1 })).toThrow(/decDeg/);
    expect(() => randomStarField({ ...opts, seed: 1.5 })).toThrow(/seed/);
  });
});
