/** Corner plot SVG: grid structure, histogram counts, ranges, quantile and truth lines. */
import { describe, expect, it } from 'vitest';
import { cornerPlotSvg } from '../../src/plot/corner.js';
import { Rng } from '../../src/science/inference/random.js';

function elements(svg: string, cls: string): Array<Record<string, string>> {
  const re = new RegExp(`<[a-z]+ class="${cls}"([^>]*)>`, 'g');
  return [...svg.matchAll(re)].map((m) => Object.fromEntries([...m[1].matchAll(/([\w-]+)="([^"]*)"/g)].map((kv) => [kv[1], kv[2]])));
}

/** Elements of `cls` inside the panel at (row, col). */
function inPanel(svg: string, row: number, col: number, cls: string): Array<Record<string, string>> {
  const start = svg.search(new RegExp(`<g class="panel[^"]*" data-row="${row}" data-col="${col}"`));
  const end = svg.indexOf('</g>', start);
  return elements(svg.slice(start, end), cls);
}

describe('cornerPlotSvg', () => {
  const rng = new Rng(7);
  const n = 4000;
  const d = 3;
  const samples = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    samples[i * d] = 10 + 2 * a;
    samples[i * d + 1] = 2459003.1 + 1e-4 * (0.8 * a + 0.6 * rng.normal());
    samples[i * d + 2] = rng.uniform();
  }
  const svg = cornerPlotSvg(samples, d, { names: ['massEarth_c', 'conjunctionDays_b', 'u'], truths: [10, 2459003.1, undefined], bins: 15 });

  it('draws d diagonal histograms and d(d−1)/2 pair panels; every histogram holds all samples', () => {
    expect(elements(svg, 'panel diagonal')).toHaveLength(3);
    expect(elements(svg, 'panel pair')).toHaveLength(3);
    for (let k = 0; k < d; k++) {
      const bins = inPanel(svg, k, k, 'bin');
      expect(bins).toHaveLength(15);
      expect(bins.reduce((s, b) => s + Number(b['data-count']), 0)).toBe(n);
    }
    const cells = inPanel(svg, 2, 0, 'cell');
    expect(cells.reduce((s, c) => s + Number(c['data-count']), 0)).toBe(n);
    expect(svg).not.toMatch(/NaN/);
  });

  it('sets each axis to the 0.5–99.5 % range widened by 5 % and marks the 16/50/84 % quantiles', () => {
    const col = Float64Array.from({ length: n }, (_, i) => samples[i * d]).sort();
    const q = (p: number) => {
      const pos = p * (n - 1);
      const i = Math.floor(pos);
      return col[i] + (pos - i) * (col[i + 1] - col[i]);
    };
    const lo = q(0.005);
    const hi = q(0.995);
    const panel = elements(svg, 'panel diagonal')[0];
    expect(Number(panel['data-x-min'])).toBeCloseTo(lo - 0.05 * (hi - lo), 9);
    expect(Number(panel['data-x-max'])).toBeCloseTo(hi + 0.05 * (hi - lo), 9);
    const quant = inPanel(svg, 0, 0, 'quantile').map((l) => Number(l['data-value']));
    expect(quant[1]).toBeCloseTo(q(0.5), 9);
    // A normal with σ = 2: the 16–84 % interval is close to ±2 (4000 draws).
    expect(quant[2] - quant[0]).toBeGreaterThan(3.7);
    expect(quant[2] - quant[0]).toBeLessThan(4.3);
    // The label keeps a BJD's fraction, to two significant digits of the error (σ ≈ 1e-4).
    expect(svg).toMatch(/conjunctionDays_b = 245900(3\.1000|3\.0999)\d\d \+0\.000\d{3} −0\.000\d{3}</);
  });

  it('draws truth lines where given (vertical on the diagonal, both ways in pairs)', () => {
    const truths = elements(svg, 'truth');
    // diag 0, diag 1, pair (1,0) ×2, pair (2,0) ×1 (vertical), pair (2,1) ×1 (vertical).
    expect(truths).toHaveLength(6);
    const t0 = inPanel(svg, 0, 0, 'truth')[0];
    const p = elements(svg, 'panel diagonal')[0];
    const x = 60 + ((10 - Number(p['data-x-min'])) / (Number(p['data-x-max']) - Number(p['data-x-min']))) * 130;
    expect(Number(t0.x1)).toBeCloseTo(x, 0);
  });

  it('refuses mismatched input', () => {
    expect(() => cornerPlotSvg(new Float64Array(5), 2, { names: ['a', 'b'] })).toThrow(RangeError);
    expect(() => cornerPlotSvg(new Float64Array(4), 2, { names: ['a'] })).toThrow(/1 names for 2/);
  });
});
