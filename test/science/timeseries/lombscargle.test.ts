/**
 * The Lomb–Scargle periodogram against astropy 5.2.1 (test/fixtures/timeseries: ds1 = one
 * sinusoid with heteroscedastic errors, ds3 = a non-sinusoidal signal), in every
 * normalisation, for the exact and fast sums, one and several Fourier terms.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { lombScargle, resolveMethod, TimeseriesError, gridFrequencies } from '../../../src/science/timeseries/index.js';
import { argmax, ds1, DS1_GRID, ds3, DS3_GRID, maxAbsDiffAt, maxRelDiffAt, readColumns, readJson } from './fixtures.js';

const P1 = readColumns('ds1_power.csv');
const P3 = readColumns('ds3_power.csv');
const PEAKS = readJson<{ ds1: Record<string, number>; ds3: Record<string, number> }>('peaks.json');

describe('exact method against astropy (ds1)', () => {
  const d = ds1();
  const cases: Array<[string, Parameters<typeof lombScargle>[2], boolean]> = [
    ['exact_standard', { normalization: 'standard' }, true],
    ['exact_model', { normalization: 'model' }, true],
    ['exact_log', { normalization: 'log' }, true],
    ['exact_psd', { normalization: 'psd' }, true],
    ['unweighted_standard', {}, false],
    ['unweighted_psd', { normalization: 'psd' }, false],
    ['nofitmean_standard', { fitMean: false }, true],
    ['nocenter_standard', { centerData: false }, true],
    ['nofitmean_nocenter_standard', { fitMean: false, centerData: false }, true],
    ['nterms3_standard', { nterms: 3 }, true],
    ['nterms3_psd', { nterms: 3, normalization: 'psd' }, true],
  ];
  for (const [column, options, weighted] of cases) {
    it(`${column}: within 1e-6 relative, same peak`, () => {
      const p = lombScargle(weighted ? d : { t: d.t, y: d.y }, DS1_GRID, { ...options, method: 'exact' });
      expect(p).toHaveLength(DS1_GRID.count);
      expect(maxRelDiffAt(p, P1.k, P1[column], 1e-3)).toBeLessThan(1e-6);
      expect(maxAbsDiffAt(p, P1.k, P1[column]) / Math.max(...P1[column])).toBeLessThan(1e-9);
      expect(argmax(p)).toBe(PEAKS.ds1[column]);
    });
  }
});

describe('exact multi-term against astropy (ds3)', () => {
  const d = ds3();
  for (const [column, options] of [
    ['nterms1_standard', { nterms: 1 }],
    ['nterms2_standard', { nterms: 2 }],
    ['nterms3_standard', { nterms: 3 }],
    ['nterms2_model', { nterms: 2, normalization: 'model' }],
    ['nterms2_log', { nterms: 2, normalization: 'log' }],
  ] as const) {
    it(`${column}: within 1e-6 relative, same peak`, () => {
      const p = lombScargle(d, DS3_GRID, { ...options, method: 'exact' });
      expect(maxRelDiffAt(p, P3.k, P3[column], 1e-3)).toBeLessThan(1e-6);
      expect(argmax(p)).toBe(PEAKS.ds3[column]);
    });
  }
});

describe('fast method (extirpolation + FFT)', () => {
  it('ds1: within 1e-3 of the peak power of both astropy exact and astropy fast, same peak', () => {
    const d = ds1();
    const p = lombScargle(d, DS1_GRID, { method: 'fast' });
    const peak = Math.max(...P1.exact_standard);
    expect(maxAbsDiffAt(p, P1.k, P1.exact_standard)).toBeLessThan(1e-3 * peak);
    expect(maxAbsDiffAt(p, P1.k, P1.fast_standard)).toBeLessThan(1e-3 * peak);
    expect(argmax(p)).toBe(PEAKS.ds1.fast_standard);
  });

  it('ds1: at least as accurate as astropy fast on the full grid', () => {
    const d = ds1();
    const exact = lombScargle(d, DS1_GRID, { method: 'exact' });
    const fast = lombScargle(d, DS1_GRID, { method: 'fast' });
    let ours = 0;
    for (let k = 0; k < exact.length; k++) ours = Math.max(ours, Math.abs(fast[k] - exact[k]));
    const astropy = maxAbsDiffAt(exact, P1.k, P1.fast_standard);
    expect(ours).toBeLessThanOrEqual(Math.max(astropy, 1e-6));
  });

  it('ds3 nterms = 2: within 1e-3 of astropy chi2, closer to it than astropy fastchi2, same peak', () => {
    const d = ds3();
    const p = lombScargle(d, DS3_GRID, { method: 'fast', nterms: 2 });
    const peak = Math.max(...P3.nterms2_standard);
    const ours = maxAbsDiffAt(p, P3.k, P3.nterms2_standard);
    expect(ours).toBeLessThan(1e-3 * peak);
    let astropy = 0;
    for (let i = 0; i < P3.k.length; i++) astropy = Math.max(astropy, Math.abs(P3.nterms2_fastchi2[i] - P3.nterms2_standard[i]));
    expect(ours).toBeLessThan(astropy);
    expect(argmax(p)).toBe(PEAKS.ds3.nterms2_fastchi2);
  });

  it('every normalisation follows the standard one through its exact transform', () => {
    const d = ds1();
    const std = lombScargle(d, DS1_GRID, { method: 'fast' });
    const model = lombScargle(d, DS1_GRID, { method: 'fast', normalization: 'model' });
    const log = lombScargle(d, DS1_GRID, { method: 'fast', normalization: 'log' });
    for (const k of [0, 530, 1999, 3999]) {
      expect(model[k]).toBeCloseTo(std[k] / (1 - std[k]), 12);
      expect(log[k]).toBeCloseTo(-Math.log(1 - std[k]), 12);
    }
  });

  it('higher order and oversampling converge to the exact powers', () => {
    const d = ds1();
    const exact = lombScargle(d, DS1_GRID, { method: 'exact' });
    const errs = [
      { oversampling: 3, order: 6 },
      { oversampling: 5, order: 10 },
      { oversampling: 8, order: 16 },
    ].map((fast) => {
      const p = lombScargle(d, DS1_GRID, { method: 'fast', fast });
      let e = 0;
      for (let k = 0; k < p.length; k++) e = Math.max(e, Math.abs(p[k] - exact[k]));
      return e;
    });
    expect(errs[1]).toBeLessThan(errs[0]);
    expect(errs[2]).toBeLessThan(errs[1]);
    expect(errs[2]).toBeLessThan(1e-6);
  });
});

describe('properties', () => {
  it('explicit frequency arrays give the same powers as the grid', () => {
    const d = ds1();
    const f = gridFrequencies(DS1_GRID).subarray(500, 560);
    const a = lombScargle(d, Float64Array.from(f), { method: 'exact' });
    const b = lombScargle(d, DS1_GRID, { method: 'exact' }).subarray(500, 560);
    for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(b[k], 12);
  });

  it('is invariant to a time shift and to the scale of y and dy (standard)', () => {
    const d = ds1();
    const grid = { minFrequency: 0.1, step: 0.01, count: 200 };
    const ref = lombScargle(d, grid, { method: 'exact' });
    fc.assert(
      fc.property(fc.double({ min: -3e6, max: 3e6, noNaN: true }), fc.double({ min: 1e-3, max: 1e3, noNaN: true }), (shift, scale) => {
        const p = lombScargle({ t: d.t.map((x) => x + shift), y: d.y.map((v) => v * scale), dy: d.dy.map((v) => v * scale) }, grid, { method: 'exact' });
        for (let k = 0; k < p.length; k += 17) expect(Math.abs(p[k] - ref[k])).toBeLessThan(1e-7);
      }),
      { numRuns: 20, seed: 7 },
    );
  });

  it('standard powers lie in [0, 1] and reach ~1 for a noiseless sinusoid at its frequency', () => {
    const t = Float64Array.from({ length: 60 }, (_, i) => i * 0.37 + 0.05 * Math.sin(i));
    const y = t.map((x) => 2 + Math.sin(2 * Math.PI * 0.8 * x + 0.3));
    const p = lombScargle({ t, y }, Float64Array.of(0.8, 0.5, 1.3), { method: 'exact' });
    expect(p[0]).toBeCloseTo(1, 10);
    for (const v of p) expect(v).toBeGreaterThanOrEqual(0);
    for (const v of lombScargle({ t, y }, { minFrequency: 0.01, step: 0.01, count: 300 }, { method: 'fast' })) {
      expect(v).toBeGreaterThanOrEqual(-1e-3);
      expect(v).toBeLessThanOrEqual(1 + 1e-3);
    }
  });

  it('constant data give zero power, not NaN', () => {
    const t = Float64Array.from({ length: 20 }, (_, i) => i);
    const p = lombScargle({ t, y: new Float64Array(20).fill(3) }, { minFrequency: 0.01, step: 0.01, count: 10 });
    expect([...p]).toEqual(new Array(10).fill(0));
  });
});

describe('method selection', () => {
  it("'auto' takes the exact sums for small problems and the fast ones for large", () => {
    expect(resolveMethod(200, DS1_GRID)).toBe('exact');
    expect(resolveMethod(100_000, { minFrequency: 0.001, step: 5e-6, count: 1_000_000 })).toBe('fast');
    expect(resolveMethod(100, Float64Array.of(1, 2))).toBe('exact');
    expect(() => resolveMethod(100, Float64Array.of(1, 2), 'fast')).toThrow(TimeseriesError);
  });
});

describe('bad input', () => {
  const t = Float64Array.of(0, 1, 2, 3, 4);
  const y = Float64Array.of(1, 2, 1, 2, 1);
  const grid = { minFrequency: 0.1, step: 0.1, count: 3 };
  const code = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(TimeseriesError);
      return (err as TimeseriesError).code;
    }
    return 'none';
  };
  it('rejects mismatched lengths, NaN, non-positive errors and bad options with typed errors', () => {
    expect(code(() => lombScargle({ t, y: y.subarray(1) }, grid))).toBe('SIZE_MISMATCH');
    expect(code(() => lombScargle({ t: Float64Array.of(0, NaN, 2, 3, 4), y }, grid))).toBe('BAD_DATA');
    expect(code(() => lombScargle({ t, y, dy: Float64Array.of(1, 1, 0, 1, 1) }, grid))).toBe('BAD_DATA');
    expect(code(() => lombScargle({ t, y, dy: -1 }, grid))).toBe('BAD_DATA');
    expect(code(() => lombScargle({ t, y }, { ...grid, step: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => lombScargle({ t, y }, { ...grid, count: 2 ** 40 }))).toBe('TOO_LARGE');
    expect(code(() => lombScargle({ t, y }, grid, { nterms: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => lombScargle({ t, y }, grid, { nterms: 3 }))).toBe('TOO_FEW_POINTS');
    expect(code(() => lombScargle({ t, y }, grid, { normalization: 'power' as never }))).toBe('BAD_ARGUMENT');
    expect(code(() => lombScargle({ t, y }, grid, { method: 'slow' as never }))).toBe('BAD_ARGUMENT');
    expect(code(() => lombScargle({ t, y }, grid, { fast: { order: 1 } }))).toBe('BAD_ARGUMENT');
    expect(code(() => lombScargle({ t, y }, Float64Array.of(0.1, -1)))).toBe('BAD_ARGUMENT');
  });
  it('names the offending point', () => {
    expect(() => lombScargle({ t, y: Float64Array.of(1, 2, Infinity, 2, 1) }, grid)).toThrow(/point 2/);
  });
});
