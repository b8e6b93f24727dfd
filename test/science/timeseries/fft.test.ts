/** The FFT against a direct DFT (small sizes) and against direct sums of single bins (sizes beyond the cache chunk). */
import { describe, expect, it } from 'vitest';
import { FftPlan, TimeseriesError } from '../../../src/science/timeseries/index.js';
import { Rng } from '../../../src/science/inference/random.js';

function randomComplex(n: number, seed: number): { re: Float64Array; im: Float64Array } {
  const rng = new Rng(seed);
  return { re: Float64Array.from({ length: n }, () => rng.normal()), im: Float64Array.from({ length: n }, () => rng.normal()) };
}

function dftBin(re: Float64Array, im: Float64Array, k: number, sign: number): [number, number] {
  const n = re.length;
  let sr = 0;
  let si = 0;
  for (let j = 0; j < n; j++) {
    const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
    const c = Math.cos(a);
    const s = Math.sin(a);
    sr += re[j] * c - im[j] * s;
    si += re[j] * s + im[j] * c;
  }
  return [sr, si];
}

describe('FftPlan', () => {
  for (const n of [1, 2, 4, 8, 16, 32, 64, 128, 512, 1024]) {
    for (const sign of [1, -1] as const) {
      it(`n = ${n}, sign ${sign}: equals the direct DFT`, () => {
        const { re, im } = randomComplex(n, n + (sign > 0 ? 1 : 2));
        const want = Array.from({ length: n }, (_, k) => dftBin(re, im, k, sign));
        new FftPlan(n).transform(re, im, sign);
        const tol = 1e-13 * Math.sqrt(n) * Math.log2(n + 1) * 4;
        for (let k = 0; k < n; k++) {
          expect(Math.abs(re[k] - want[k][0])).toBeLessThan(tol);
          expect(Math.abs(im[k] - want[k][1])).toBeLessThan(tol);
        }
      });
    }
  }

  for (const n of [1 << 14, 1 << 15, 1 << 17]) {
    it(`n = ${n} (wider than one cache chunk): sampled bins equal direct sums; bit-reversed output matches`, () => {
      const { re, im } = randomComplex(n, 99);
      const plan = new FftPlan(n);
      const a = { re: re.slice(), im: im.slice() };
      plan.transform(a.re, a.im, 1);
      const b = { re: re.slice(), im: im.slice() };
      plan.transformToBitReversed(b.re, b.im, 1);
      const rev = plan.reversal();
      for (const k of [0, 1, 3, 777, n / 2 - 1, n / 2, n - 5, n - 1]) {
        const [wr, wi] = dftBin(re, im, k, 1);
        expect(Math.abs(a.re[k] - wr)).toBeLessThan(1e-9);
        expect(Math.abs(a.im[k] - wi)).toBeLessThan(1e-9);
        expect(b.re[rev[k]]).toBe(a.re[k]);
        expect(b.im[rev[k]]).toBe(a.im[k]);
      }
    });
  }

  it('forward then inverse returns n × the input', () => {
    const n = 1 << 13;
    const { re, im } = randomComplex(n, 5);
    const x = { re: re.slice(), im: im.slice() };
    const plan = new FftPlan(n);
    plan.transform(x.re, x.im, -1);
    plan.transform(x.re, x.im, 1);
    for (let i = 0; i < n; i += 97) {
      expect(x.re[i] / n).toBeCloseTo(re[i], 12);
      expect(x.im[i] / n).toBeCloseTo(im[i], 12);
    }
  });

  it('rejects lengths that are not powers of two and arrays that are too short', () => {
    expect(() => new FftPlan(12)).toThrow(TimeseriesError);
    expect(() => new FftPlan(0)).toThrow(TimeseriesError);
    expect(() => new FftPlan(2 ** 30)).toThrow(TimeseriesError);
    expect(() => new FftPlan(8).transform(new Float64Array(4), new Float64Array(8), 1)).toThrow(/at least/);
  });
});
