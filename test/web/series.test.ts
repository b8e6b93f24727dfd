/** Shaping results into chart columns: per-site columns, phase folding, O−C merging. */
import { describe, expect, it } from 'vitest';
import { bjdOffset, foldedColumns, ocColumns, siteColumns, type LightCurvePoint } from '../../web/src/lib/series.js';

const pt = (bjdTdb: number, mag: number, site: string, err = 0.01): LightCurvePoint => ({ bjdTdb, mag, err, site, band: 'V', nodeId: 'n' });

describe('series', () => {
  it('one column per site (sorted), x ascending, nulls elsewhere; non-finite points dropped', () => {
    const c = siteColumns(
      [pt(3, 10.3, 'OHP'), pt(1, 10.1, 'SSO'), pt(2, 10.2, 'OHP'), pt(NaN, 9, 'OHP'), pt(4, NaN, 'SSO')],
      (p) => p.bjdTdb,
      (p) => p.mag,
      (p) => p.err,
      (p) => p.site,
    );
    expect(c.sites).toEqual(['OHP', 'SSO']);
    expect(c.x).toEqual([1, 2, 3]);
    expect(c.ys).toEqual([
      [null, 10.2, 10.3],
      [10.1, null, null],
    ]);
    expect(c.counts).toEqual([2, 1]);
  });

  it('folding: phase = frac((t − t0)/P), each point at φ and φ + 1, sorted', () => {
    const P = 0.5668;
    const pts = [pt(2460000.1, 1, 'A'), pt(2460000.5, 2, 'A'), pt(2460003.77, 3, 'B')];
    const f = foldedColumns(pts, P);
    expect(f.epoch).toBe(2460000.1);
    const expected = pts.map((p) => ((p.bjdTdb - 2460000.1) / P) % 1);
    const want = [...expected, ...expected.map((e) => e + 1)].sort((a, b) => a - b);
    f.x.forEach((x, i) => expect(x).toBeCloseTo(want[i], 9));
    expect(f.counts).toEqual([4, 2]);
  });

  it('O−C: model and measured epochs on one x column', () => {
    const c = ocColumns(
      [
        { epoch: 1, ocMin: 0.5, errMin: 0.2, site: 'OHP' },
        { epoch: 3, ocMin: -0.4, errMin: 0.3 },
      ],
      [0, 2, 3].map((e) => ({ epoch: e, medianMin: e / 10, lo68Min: e / 10 - 1, hi68Min: e / 10 + 1, lo95Min: e / 10 - 2, hi95Min: e / 10 + 2 })),
    );
    expect(c.x).toEqual([0, 1, 2, 3]);
    expect(c.median).toEqual([0, null, 0.2, 0.3]);
    expect(c.sites).toEqual(['OHP', 'measured']);
    expect(c.ys).toEqual([
      [null, 0.5, null, null],
      [null, null, null, -0.4],
    ]);
    expect(c.errs[1][3]).toBe(0.3);
  });

  it('BJD offsets are round thousands', () => {
    expect(bjdOffset([2460123.4, 2460200])).toBe(2460000);
    expect(bjdOffset([0.5])).toBe(0);
  });
});
