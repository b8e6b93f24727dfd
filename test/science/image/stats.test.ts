/**
 * Robust statistics against astropy.stats.sigma_clipped_stats / numpy (clip.json) and the
 * histogram mode estimate against sep (one mesh covering the whole sample, mode.json).
 * Goldens: scripts/fixtures/image-background.py.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  histogramMode,
  madStd,
  median,
  medianInPlace,
  meanStd,
  modeEstimate,
  quickselect,
  seModeRule,
  sigmaClippedStats,
  type SigmaClipOptions,
} from '../../../src/science/image/stats.js';
import { ImageError } from '../../../src/science/image/errors.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/image-background');
const f64 = (name: string): Float64Array => {
  const b = readFileSync(join(DIR, name));
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};
const f32 = (name: string): Float32Array => {
  const b = readFileSync(join(DIR, name));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
};

describe('quickselect and median', () => {
  it('selects the k-th smallest value, like a sort', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 }), fc.nat(), (vals, kk) => {
        const a = Float64Array.from(vals);
        const k = kk % a.length;
        const sorted = Float64Array.from(vals).sort();
        expect(quickselect(a, k)).toBe(sorted[k]);
        for (let i = 0; i < k; i++) expect(a[i]).toBeLessThanOrEqual(a[k]);
        for (let i = k + 1; i < a.length; i++) expect(a[i]).toBeGreaterThanOrEqual(a[k]);
      }),
      { numRuns: 300 },
    );
  });

  it('handles many ties and sorted / reversed input', () => {
    const ties = Float64Array.from({ length: 1001 }, (_, i) => i % 3);
    expect(medianInPlace(ties)).toBe(1);
    const up = Float64Array.from({ length: 1000 }, (_, i) => i);
    expect(medianInPlace(up)).toBe(499.5);
    const down = Float64Array.from({ length: 999 }, (_, i) => 999 - i);
    expect(medianInPlace(down)).toBe(500);
  });

  it('median skips NaN / Infinity and masked pixels, matching numpy', () => {
    const x = f64('clip.f64');
    const golden = JSON.parse(readFileSync(join(DIR, 'clip.json'), 'utf8'));
    expect(median(x)).toBeCloseTo(golden.nanmedian, 12);
    // numpy's median of the first 1000 finite values (even count → mean of the middle two).
    const finite = Array.from(x).filter((v) => Number.isFinite(v));
    expect(finite.length).toBe(golden.nFinite);
    expect(median(finite.slice(0, 1000))).toBeCloseTo(golden.evenMedianFirst1000, 12);
    expect(madStd(x)).toBeCloseTo(golden.madStd, 11);
    const mask = new Uint8Array(x.length).fill(0);
    mask.fill(1, 0, 2000);
    expect(median(x, { mask })).toBe(x[2000]);
    expect(median([NaN, NaN])).toBeNaN();
    expect(median([])).toBeNaN();
  });

  it('rejects a mask of the wrong size', () => {
    expect(() => median([1, 2, 3], { mask: new Uint8Array(2) })).toThrow(ImageError);
  });
});

describe('sigmaClippedStats vs astropy.stats.sigma_clipped_stats', () => {
  const x = f64('clip.f64');
  const maskBits = new Uint8Array(readFileSync(join(DIR, 'clip-mask.u8')));
  const golden = JSON.parse(readFileSync(join(DIR, 'clip.json'), 'utf8')) as {
    runs: Array<{ name: string; opts: Record<string, unknown>; mean: number; median: number; std: number }>;
  };
  for (const run of golden.runs) {
    it(run.name, () => {
      const opts: SigmaClipOptions = { ...(run.opts as SigmaClipOptions) };
      if (run.opts.maxIters === null) opts.maxIters = Infinity;
      if (run.opts.mask) opts.mask = maskBits;
      const st = sigmaClippedStats(x, opts);
      expect(Math.abs(st.mean - run.mean)).toBeLessThan(1e-12 * Math.abs(run.mean));
      expect(st.median).toBe(run.median);
      expect(Math.abs(st.std - run.std)).toBeLessThan(1e-11 * run.std);
      expect(st.count).toBeGreaterThan(1000);
    });
  }

  it('returns NaN and count 0 when nothing is valid', () => {
    const st = sigmaClippedStats([NaN, Infinity, -Infinity]);
    expect(st.count).toBe(0);
    expect(st.mean).toBeNaN();
    expect(st.median).toBeNaN();
  });

  it('rejects negative sigma', () => {
    expect(() => sigmaClippedStats([1, 2, 3], { sigma: -1 })).toThrow(/sigma/);
  });

  it('meanStd is exact for a shifted sample (no catastrophic cancellation)', () => {
    const v = Float64Array.from({ length: 1000 }, (_, i) => 1e9 + (i % 2));
    const { mean, std } = meanStd(v);
    expect(mean).toBe(1e9 + 0.5);
    expect(std).toBeCloseTo(0.5, 12);
  });
});

describe('histogram mode estimate vs sep', () => {
  const golden = JSON.parse(readFileSync(join(DIR, 'mode.json'), 'utf8')) as {
    cases: Array<{ name: string; file: string; n: number; sepLevel: number; sepRms: number }>;
  };
  for (const c of golden.cases) {
    it(`${c.name} (${c.n} values)`, () => {
      const v = f32(c.file);
      const m = histogramMode(Float64Array.from(v), v.length);
      // sep works in float32; agreement to a thousandth of σ.
      expect(Math.abs(m.mode - c.sepLevel)).toBeLessThan(1e-3 * c.sepRms);
      expect(Math.abs(m.std / c.sepRms - 1)).toBeLessThan(1e-4);
      expect(modeEstimate(v).mode).toBeCloseTo(m.mode, 9);
    });
  }

  it('uses 2.5 median − 1.5 mean for a mildly skewed sample and the median for a crowded one', () => {
    const tail = f32('mode-tail.f32');
    const t = histogramMode(Float64Array.from(tail), tail.length);
    expect(Math.abs(t.mean - t.median)).toBeLessThan(0.3 * t.std);
    expect(t.mode).toBeCloseTo(2.5 * t.median - 1.5 * t.mean, 9);
    const crowded = f32('mode-crowded.f32');
    const c = histogramMode(Float64Array.from(crowded), crowded.length);
    expect(Math.abs(c.mean - c.median)).toBeGreaterThanOrEqual(0.3 * c.std);
    expect(c.mode).toBe(c.median);
  });

  it('seModeRule', () => {
    expect(seModeRule(10, 9, 10)).toBe(2.5 * 9 - 1.5 * 10);
    expect(seModeRule(10, 6, 10)).toBe(6);
    expect(seModeRule(4, 4, 0)).toBe(4);
  });

  it('a constant sample has mode = the constant and σ = 0; NaN are skipped', () => {
    const m = modeEstimate([5, 5, NaN, 5, 5]);
    expect(m.mode).toBe(5);
    expect(m.std).toBe(0);
    expect(m.count).toBe(4);
    expect(modeEstimate([NaN]).mode).toBeNaN();
  });
});
