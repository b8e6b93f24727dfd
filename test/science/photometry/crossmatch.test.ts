/**
 * Cross-matching: on a frame rendered by science/sky with a known WCS (detected sources must
 * pair with the very catalog stars that made them), against a brute-force matcher on random
 * fields (RA wrap and poles included), and the one-to-one and input rules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { estimateBackground } from '../../../src/science/image/background.js';
import { detectSources } from '../../../src/science/image/detect.js';
import { Rng } from '../../../src/science/inference/random.js';
import { crossMatch, crossMatchSky, PhotometryError } from '../../../src/science/photometry/index.js';
import { randomStarField, renderFrame, tanWcsForOptics, type Optics } from '../../../src/science/sky/index.js';
import { angularSeparationDeg } from '../../../src/science/wcs/index.js';

const OPTICS: Optics = {
  apertureMm: 200,
  focalLengthMm: 1000,
  pixelSizeUm: 3.76,
  widthPx: 768,
  heightPx: 512,
  gainEPerAdu: 1,
  readNoiseE: 3,
  biasAdu: 500,
  fullWellE: 1e6,
  vignetting: { kind: 'none' },
};

/** Greedy closest-first one-to-one matching by brute force, as the reference. */
function bruteForce(a: { raDeg: number[]; decDeg: number[] }, b: { raDeg: number[]; decDeg: number[] }, radiusArcsec: number): Array<[number, number]> {
  const pairs: Array<{ i: number; j: number; d: number }> = [];
  for (let i = 0; i < a.raDeg.length; i++) {
    for (let j = 0; j < b.raDeg.length; j++) {
      const d = angularSeparationDeg(a.raDeg[i], a.decDeg[i], b.raDeg[j], b.decDeg[j]) * 3600;
      if (d <= radiusArcsec) pairs.push({ i, j, d });
    }
  }
  pairs.sort((p, q) => p.d - q.d || p.i - q.i || p.j - q.j);
  const ua = new Set<number>();
  const ub = new Set<number>();
  const out: Array<[number, number]> = [];
  for (const p of pairs) {
    if (ua.has(p.i) || ub.has(p.j)) continue;
    ua.add(p.i);
    ub.add(p.j);
    out.push([p.i, p.j]);
  }
  return out.sort((x, y) => x[0] - y[0]);
}

describe('crossMatch on a rendered frame', () => {
  it('pairs every detected star with the catalog star that made it', () => {
    const raC = 201.3;
    const decC = -43.2;
    const wcs = tanWcsForOptics(OPTICS, raC, decC, { rotationDeg: 27 });
    const stars = randomStarField({ raDeg: raC, decDeg: decC, radiusDeg: 0.15, magFaint: 17.5, densityAtRefMag: 3000, seed: 11 });
    const frame = renderFrame({ wcs, optics: OPTICS, stars, exposureS: 60, seeingFwhmArcsec: 2.5, seed: 5, skyMagPerArcsec2: 20 });
    const data = Float32Array.from(frame.frame);
    const bg = estimateBackground(data, frame.width, frame.height);
    const det = detectSources({ data, width: frame.width, height: frame.height }, bg.level, bg.rms, { thresholdSigma: 5, minAreaPx: 5 }).sources;
    expect(det.length).toBeGreaterThan(100);
    const m = crossMatch({ xPx: det.map((s) => s.x), yPx: det.map((s) => s.y) }, { raDeg: stars.map((s) => s.raDeg), decDeg: stars.map((s) => s.decDeg) }, wcs, { radiusArcsec: 3 });
    // Truth: the rendered star nearest each detection (in pixels), among those within 1.5 px.
    let checked = 0;
    let agree = 0;
    for (let k = 0; k < m.sourceIndex.length; k++) {
      const s = det[m.sourceIndex[k]];
      let best = -1;
      let bestD = Infinity;
      for (const t of frame.stars) {
        const dd = Math.hypot(t.xPx - s.x, t.yPx - s.y);
        if (dd < bestD) {
          bestD = dd;
          best = t.index;
        }
      }
      if (bestD > 1.5) continue;
      checked++;
      if (best === m.refIndex[k]) agree++;
    }
    expect(checked).toBeGreaterThan(0.9 * m.sourceIndex.length);
    expect(agree).toBe(checked);
    // Unblended, unsaturated detections all match, within a fraction of the seeing.
    const clean = det.filter((s) => s.flags === 0).length;
    expect(m.sourceIndex.length).toBeGreaterThanOrEqual(0.97 * clean);
    const sorted = Float64Array.from(m.separationArcsec).sort();
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(0.3);
    // Bookkeeping arrays agree with the pair list.
    for (let k = 0; k < m.sourceIndex.length; k++) {
      expect(m.refOfSource[m.sourceIndex[k]]).toBe(m.refIndex[k]);
      expect(m.sourceOfRef[m.refIndex[k]]).toBe(m.sourceIndex[k]);
    }
  });
});

describe('crossMatchSky', () => {
  it('equals brute-force closest-first matching on random fields, including RA wrap and the poles', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(0, 89.99, -89.995, 30), fc.double({ min: 0.5, max: 40, noNaN: true }), (seed, decC, radius) => {
        const rng = new Rng(seed);
        const gen = (n: number) => {
          const raDeg: number[] = [];
          const decDeg: number[] = [];
          for (let i = 0; i < n; i++) {
            // Square patches of ±60″ around (0°, decC): RA straddles 0/360.
            const dec = Math.max(-90, Math.min(90, decC + (rng.uniform() - 0.5) * (120 / 3600)));
            const cosd = Math.max(Math.cos((dec * Math.PI) / 180), 1e-3);
            raDeg.push((((rng.uniform() - 0.5) * (120 / 3600)) / cosd + 360) % 360);
            decDeg.push(dec);
          }
          return { raDeg, decDeg };
        };
        const a = gen(1 + rng.int(60));
        const b = gen(1 + rng.int(60));
        const got = crossMatchSky(a, b, { radiusArcsec: radius });
        const pairs = Array.from(got.sourceIndex, (i, k) => [i, got.refIndex[k]] as [number, number]).sort((x, y) => x[0] - y[0]);
        expect(pairs).toEqual(bruteForce(a, b, radius));
        for (let k = 0; k < got.sourceIndex.length; k++) {
          const ref = angularSeparationDeg(a.raDeg[got.sourceIndex[k]], a.decDeg[got.sourceIndex[k]], b.raDeg[got.refIndex[k]], b.decDeg[got.refIndex[k]]) * 3600;
          expect(Math.abs(got.separationArcsec[k] - ref)).toBeLessThan(1e-6);
        }
      }),
      { numRuns: 60, seed: 42 },
    );
  });

  it('is one-to-one: the closer of two sources wins a star, the other takes its next candidate', () => {
    const ref = { raDeg: [10, 10 + 4 / 3600], decDeg: [0, 0] };
    const src = { raDeg: [10 + 0.5 / 3600, 10 + 1 / 3600], decDeg: [0, 0] };
    const m = crossMatchSky(src, ref, { radiusArcsec: 3.5 });
    expect(Array.from(m.refOfSource)).toEqual([0, 1]);
    expect(m.separationArcsec[0]).toBeCloseTo(0.5, 6);
    expect(m.separationArcsec[1]).toBeCloseTo(3, 6);
    // With a radius that excludes the second star, the loser stays unmatched.
    const m2 = crossMatchSky(src, ref, { radiusArcsec: 2 });
    expect(Array.from(m2.refOfSource)).toEqual([0, -1]);
    expect(Array.from(m2.sourceOfRef)).toEqual([0, -1]);
  });

  it('matches across RA 0/360 and ignores non-finite positions', () => {
    const m = crossMatchSky({ raDeg: [359.99995, NaN], decDeg: [1, 1] }, { raDeg: [0.00005], decDeg: [1] }, { radiusArcsec: 1 });
    expect(Array.from(m.refOfSource)).toEqual([0, -1]);
    expect(m.separationArcsec[0]).toBeCloseTo(0.36 * Math.cos(Math.PI / 180), 4);
  });

  it('rejects bad input with typed errors', () => {
    const code = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PhotometryError);
        return (e as PhotometryError).code;
      }
      return undefined;
    };
    const p = { raDeg: [1], decDeg: [2] };
    expect(code(() => crossMatchSky(p, p, { radiusArcsec: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => crossMatchSky(p, p, { radiusArcsec: NaN }))).toBe('BAD_ARGUMENT');
    expect(code(() => crossMatchSky({ raDeg: [1, 2], decDeg: [2] }, p, { radiusArcsec: 1 }))).toBe('SIZE_MISMATCH');
    expect(code(() => crossMatchSky({ raDeg: [1], decDeg: [91] }, p, { radiusArcsec: 1 }))).toBe('BAD_ARGUMENT');
    expect(() => crossMatchSky({ raDeg: [1], decDeg: [91] }, p, { radiusArcsec: 1 })).toThrow(/sources\.decDeg/);
  });
});
