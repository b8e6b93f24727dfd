import { describe, expect, it } from 'vitest';
import { InferenceError, Rng, deriveSeed } from '../../../src/science/inference/index.js';

describe('Rng (xoshiro128**)', () => {
  it('follows the xoshiro128** recurrence (outputs worked by hand from the paper for state 1,2,3,4)', () => {
    // Blackman & Vigna: result = rotl(s1·5, 7)·9. With s = (1,2,3,4): rotl(10,7)·9 = 11520;
    // the next state has s1 = 0 → 0; then s1 = 1029 → rotl(5145,7)·9 = 5927040.
    const r = Rng.fromState({ s: [1, 2, 3, 4], spare: null });
    expect([r.nextInt32() >>> 0, r.nextInt32() >>> 0, r.nextInt32() >>> 0]).toEqual([11520, 0, 5927040]);
  });

  it('is reproducible from a seed and different across seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xa = Array.from({ length: 8 }, () => a.uniform());
    expect(Array.from({ length: 8 }, () => b.uniform())).toEqual(xa);
    expect(Array.from({ length: 8 }, () => c.uniform())).not.toEqual(xa);
    expect(new Rng(2 ** 40 + 1).uniform()).not.toBe(new Rng(1).uniform());
    expect(new Rng(-5).uniform()).not.toBe(new Rng(5).uniform());
  });

  it('uniform draws have the moments of U(0,1) within 5 standard errors', () => {
    const r = new Rng(7);
    const n = 200_000;
    let s1 = 0;
    let s2 = 0;
    let min = 1;
    let max = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      s1 += u;
      s2 += u * u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    // Var(U) = 1/12; Var(U²) = 1/5 − 1/9.
    expect(Math.abs(s1 / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(s2 / n - 1 / 3)).toBeLessThan(5 * Math.sqrt((1 / 5 - 1 / 9) / n));
  });

  it('normal draws have mean 0, variance 1, kurtosis 3 within 5 standard errors', () => {
    const r = new Rng(11);
    const n = 200_000;
    let m1 = 0;
    let m2 = 0;
    let m4 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      m1 += z;
      m2 += z * z;
      m4 += z ** 4;
    }
    // Var(z) = 1, Var(z²) = 2, Var(z⁴) = 105 − 9 = 96.
    expect(Math.abs(m1 / n)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(m2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
  });

  it('int(n) covers [0, n) evenly', () => {
    const r = new Rng(3);
    const counts = new Array(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[r.int(7)]++;
    for (const c of counts) expect(Math.abs(c - n / 7)).toBeLessThan(5 * Math.sqrt((n * (1 / 7) * 6) / 7));
  });

  it('resumes exactly from a saved state, including a cached normal', () => {
    const r = new Rng(5);
    r.normal(); // leaves a spare cached
    const saved = JSON.parse(JSON.stringify(r.getState()));
    expect(saved.spare).not.toBeNull();
    const a = Array.from({ length: 5 }, () => [r.normal(), r.uniform()]);
    const q = Rng.fromState(saved);
    expect(Array.from({ length: 5 }, () => [q.normal(), q.uniform()])).toEqual(a);
  });

  it('rejects bad seeds and states', () => {
    expect(() => new Rng(1.5)).toThrow(InferenceError);
    expect(() => Rng.fromState({ s: [0, 0, 0, 0], spare: null })).toThrow(/all zero/);
    expect(() => Rng.fromState({ s: [1, 2, 3] as unknown as [number, number, number, number], spare: null })).toThrow(InferenceError);
    expect(() => Rng.fromState({ s: [1, 2, 3, 4], spare: NaN })).toThrow(InferenceError);
  });

  it('derives distinct stream seeds', () => {
    const seeds = new Set([0, 1, 2, 3, 4].map((k) => deriveSeed(99, k)));
    expect(seeds.size).toBe(5);
    for (const s of seeds) expect(Number.isSafeInteger(s)).toBe(true);
  });
});
