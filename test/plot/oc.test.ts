/** O−C diagram SVG: structure (panels, points, error bars, bands) and values (ranges, coordinates). */
import { describe, expect, it } from 'vitest';
import { ocDiagramSvg } from '../../src/plot/oc.js';

function attrs(svg: string, cls: string): Array<Record<string, string>> {
  const re = new RegExp(`<[a-z]+ class="${cls}"([^>]*)>`, 'g');
  const out: Array<Record<string, string>> = [];
  for (const m of svg.matchAll(re)) {
    const a: Record<string, string> = {};
    for (const kv of m[1].matchAll(/([\w-]+)="([^"]*)"/g)) a[kv[1]] = kv[2];
    out.push(a);
  }
  return out;
}

describe('ocDiagramSvg', () => {
  const x = [0, 10, 20, 30, 40];
  const y = [1, -2, 3, -1, 0.5];
  const err = [0.5, 0.5, 1, 0.5, 0.5];
  const bx = [-5, 0, 10, 20, 30, 40, 50];
  const med = bx.map((v) => Math.sin(v / 10));
  const band = { x: bx, median: med, lo68: med.map((m) => m - 1), hi68: med.map((m) => m + 1), lo95: med.map((m) => m - 2), hi95: med.map((m) => m + 4) };

  it('draws one panel per planet with its points, error bars and model band, ranges covering all', () => {
    const svg = ocDiagramSvg(
      [
        { title: 'b', points: { x, y, yErr: err, hollow: [false, false, true, false, false] }, band },
        { title: 'c', points: { x: [5, 15], y: [10, -10] } },
      ],
      { title: 'Kepler-9', xLabel: 'BJD − 2454900' },
    );
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    const panels = attrs(svg, 'panel');
    expect(panels).toHaveLength(2);
    expect(panels.map((p) => Number(p['data-points']))).toEqual([5, 2]);
    // Panel 0: x from the band (−5…50) padded 3 %, y from the band (min lo95 −2.98…max hi95 4.99) padded 8 %.
    const p0 = panels[0];
    expect(Number(p0['data-x-min'])).toBeCloseTo(-5 - 0.03 * 55, 9);
    expect(Number(p0['data-x-max'])).toBeCloseTo(50 + 0.03 * 55, 9);
    const lo = Math.min(...band.lo95);
    const hi = Math.max(...band.hi95);
    expect(Number(p0['data-y-min'])).toBeCloseTo(lo - 0.08 * (hi - lo), 9);
    expect(Number(p0['data-y-max'])).toBeCloseTo(hi + 0.08 * (hi - lo), 9);
    // Panel 1: points only, y range from them.
    expect(Number(panels[1]['data-y-min'])).toBeCloseTo(-10 - 1.6, 9);
    const pts = attrs(svg, 'point').concat(attrs(svg, 'point hollow'));
    expect(pts).toHaveLength(7);
    expect(attrs(svg, 'point hollow')).toHaveLength(1);
    expect(attrs(svg, 'point hollow')[0]['data-x']).toBe('20');
    expect(attrs(svg, 'error-bar')).toHaveLength(5);
    // Band: 95 % and 68 % polygons with one vertex pair per band point, and the median line.
    const b95 = attrs(svg, 'band band-95');
    expect(b95).toHaveLength(1);
    expect(Number(b95[0]['data-count'])).toBe(7);
    expect((b95[0].d.match(/[ML]/g) ?? []).length).toBe(14);
    expect(b95[0].d.endsWith('Z')).toBe(true);
    expect(attrs(svg, 'band band-68')).toHaveLength(1);
    expect(attrs(svg, 'band-median')).toHaveLength(1);
    // Pixel positions: a point's error bar spans 2σ on the panel's scale.
    const ph = 260;
    const bar = attrs(svg, 'error-bar')[0];
    const span = Number(p0['data-y-max']) - Number(p0['data-y-min']);
    expect(Math.abs(Number(bar.y1) - Number(bar.y2))).toBeCloseTo((2 * 0.5 * ph) / span, 0);
    expect(svg).toContain('>Kepler-9<');
  });

  it('handles an empty or degenerate panel without NaN', () => {
    const svg = ocDiagramSvg([{ points: { x: [1], y: [0] } }, {}]);
    expect(svg).not.toMatch(/NaN/);
    expect(attrs(svg, 'panel')).toHaveLength(2);
  });
});
