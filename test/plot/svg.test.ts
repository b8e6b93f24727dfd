/** The dependency-free SVG charts used by the CLI. */
import { describe, expect, it } from 'vitest';
import { niceTicks, reduceLine, svgPlot } from '../../src/plot/svg.js';

describe('svgPlot', () => {
  it('draws lines, points with error bars, labels (escaped), markers and a legend', () => {
    const svg = svgPlot(
      [
        { x: [0, 1, 2], y: [1, 3, 2], kind: 'line', label: 'model' },
        { x: [0.5, 1.5], y: [2, 2.5], yErr: [0.1, 0.2], kind: 'points', label: 'r & g' },
      ],
      { title: 'P < 1 d', xLabel: 'phase', yLabel: 'mag', invertY: true, markers: [{ x: 1, label: 'best' }] },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('P &lt; 1 d');
    expect(svg).toContain('r &amp; g');
    expect(svg.match(/<circle/g)).toHaveLength(2);
    expect(svg).toMatch(/<path d="M[\d.]+ [\d.]+L/);
    expect(svg).toContain('stroke-dasharray');
    expect(svg).toContain('>best<');
  });

  it('with invertY, larger values are drawn lower', () => {
    const svg = svgPlot([{ x: [0, 1], y: [10, 20], kind: 'points' }], { invertY: true, yRange: [10, 20] });
    const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(ys[1]).toBeGreaterThan(ys[0]);
  });

  it('stays small for a million-point line but keeps its highest peak', () => {
    const n = 1_000_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i === 654_321 ? 5 : Math.sin(i / 1000)));
    const pts = reduceLine(x, y, 0, n - 1, 600);
    expect(pts.length).toBeLessThan(3 * 600 + 3);
    expect(pts.some(([px, py]) => px === 654_321 && py === 5)).toBe(true);
    expect(svgPlot([{ x, y, kind: 'line' }]).length).toBeLessThan(100_000);
  });

  it('chooses round ticks', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.83, 5, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(niceTicks(3, 3, 5)).toEqual([3]);
  });
});
