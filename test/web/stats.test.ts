/**
 * The corner plot's statistics against numpy (Debian's /usr/bin/python3): quantiles
 * (numpy's default 'linear'), 1-D and 2-D histograms with numpy's binning (edges from
 * linspace, last bin closed) — on Gaussian draws and on values placed exactly on edges —
 * and the highest-density levels against a hand-checked case.
 */
import { describe, expect, it } from 'vitest';
import { densityLevels, histogram1d, histogram2d, niceTicks, paramRange, quantileSorted, sortedFinite } from '../../web/src/lib/stats.js';
import { missingTools } from '../helpers/tools.js';
import { gaussian, python, rng } from './python.js';

const skip = missingTools({ pythonModules: ['numpy'] });

describe.skipIf(skip !== undefined)('stats against numpy', () => {
  const normal = gaussian(rng(42));
  const x = Array.from({ length: 2000 }, () => 3 + 0.5 * normal());
  const y = x.map((v) => 0.8 * v + 0.3 * normal());
  // Values exactly on bin edges of range (0, 1) with 10 bins, and outside it.
  const edgy = [0, 0.1, 0.2, 0.3, 0.7, 0.9, 1, -0.1, 1.1, 0.30000000000000004, 0.29999999999999993, NaN];

  const golden = python<{
    q: number[];
    h1: number[];
    h1edges: number[];
    edgy: number[];
    h2: number[][];
    range: number[];
  }>(
    `
import sys, json, numpy as np
d = json.load(sys.stdin)
x = np.array(d['x']); y = np.array(d['y'])
e = np.array([v if v is not None else np.nan for v in d['edgy']])
lo, hi = np.quantile(x, [0.005, 0.995]); pad = 0.05 * (hi - lo)
r = [lo - pad, hi + pad]
h1, edges = np.histogram(x, bins=24, range=r)
h2, _, _ = np.histogram2d(x, y, bins=24, range=[r, [float(np.min(y)), float(np.max(y))]])
print(json.dumps({
  'q': [float(v) for v in np.quantile(x, [0, 0.005, 0.16, 0.5, 0.84, 0.995, 1])],
  'h1': h1.tolist(), 'h1edges': edges.tolist(),
  'edgy': np.histogram(e[np.isfinite(e)], bins=10, range=(0, 1))[0].tolist(),
  'h2': h2.tolist(), 'range': r,
}))
`,
    { x, y, edgy: edgy.map((v) => (Number.isNaN(v) ? null : v)) },
  );

  it('quantiles match numpy.quantile (linear)', () => {
    const sorted = sortedFinite(x);
    [0, 0.005, 0.16, 0.5, 0.84, 0.995, 1].forEach((q, i) => expect(quantileSorted(sorted, q)).toBeCloseTo(golden.q[i], 12));
    expect(quantileSorted(new Float64Array(0), 0.5)).toBeNaN();
  });

  it('the plot range and 1-D histogram match numpy', () => {
    const r = paramRange(sortedFinite(x));
    expect(r[0]).toBeCloseTo(golden.range[0], 12);
    expect(r[1]).toBeCloseTo(golden.range[1], 12);
    const h = histogram1d(x, 24, golden.range[0], golden.range[1]);
    expect(Array.from(h.counts)).toEqual(golden.h1);
    Array.from(h.edges).forEach((e, i) => expect(e).toBeCloseTo(golden.h1edges[i], 13));
  });

  it('values on bin edges land where numpy puts them; outside and NaN are dropped', () => {
    expect(Array.from(histogram1d(edgy, 10, 0, 1).counts)).toEqual(golden.edgy);
  });

  it('the 2-D histogram matches numpy.histogram2d', () => {
    const yr: [number, number] = [Math.min(...y), Math.max(...y)];
    const { counts, bins } = histogram2d(x, y, 24, [golden.range[0], golden.range[1]], yr);
    const rows = Array.from({ length: bins }, (_, ix) => Array.from(counts.slice(ix * bins, (ix + 1) * bins)));
    expect(rows).toEqual(golden.h2);
  });
});

describe('density levels and ticks', () => {
  it('the smallest count inside the region holding each mass', () => {
    // Sorted: 50, 30, 10, 5, 5 (total 100): 39.3 % is reached by the 50 bin, 86.5 % by the 10 bin.
    expect(densityLevels([5, 50, 10, 30, 5, 0], [0.393, 0.865])).toEqual([50, 10]);
    expect(densityLevels([0, 0], [0.5])).toEqual([Infinity]);
  });

  it('nice ticks are round and cover the range', () => {
    expect(niceTicks(0.13, 0.87, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-3, 3, 3)).toEqual([-2, 0, 2]);
    expect(niceTicks(1, 1)).toEqual([1]);
  });

  it('bad bin counts are refused', () => {
    expect(() => histogram1d([1], 0, 0, 1)).toThrow(/bins must be a positive integer/);
  });
});
