/**
 * A corner plot of posterior samples in SVG: each parameter's histogram on the diagonal
 * (median solid, 68 % interval dashed, from the posterior summary), each pair's 2-D
 * histogram below it, shaded by the highest-density regions holding 39.3 % and 86.5 % of
 * the draws (the 1σ and 2σ regions of a 2-D Gaussian, as corner.py shades them).
 */
import { s } from '../lib/dom.js';
import { columns, densityLevels, histogram1d, histogram2d, niceTicks, paramRange, sortedFinite } from '../lib/stats.js';
import { formatNumber } from '../lib/format.js';

export interface PosteriorParameter {
  name: string;
  unit: string;
  median: number;
  lo68: number;
  hi68: number;
}

export interface CornerOptions {
  width: number;
  parameters: readonly PosteriorParameter[];
  samples: readonly (readonly number[])[];
  bins?: number;
}

export const SIGMA_MASSES = [0.393, 0.865] as const;

export function cornerPlot(opts: CornerOptions): SVGSVGElement {
  const p = opts.parameters.length;
  const bins = opts.bins ?? 24;
  const cols = columns(opts.samples, p);
  const ranges = cols.map((c) => paramRange(sortedFinite(c)));
  const left = 56;
  const bottom = 44;
  const top = 34;
  const right = 8;
  const gap = 6;
  const cell = Math.max(40, (opts.width - left - right) / p);
  const inner = cell - gap;
  const height = top + p * cell + bottom;
  const X = (j: number, v: number) => left + j * cell + ((v - ranges[j][0]) / (ranges[j][1] - ranges[j][0])) * inner;
  const Y = (i: number, v: number) => top + i * cell + inner - ((v - ranges[i][0]) / (ranges[i][1] - ranges[i][0])) * inner;

  const parts: SVGElement[] = [];
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      const x0 = left + j * cell;
      const y0 = top + i * cell;
      const g = s('g', { class: i === j ? 'corner-cell corner-diag' : 'corner-cell corner-pair', dataset: { row: i, col: j } });
      g.appendChild(s('rect', { x: x0, y: y0, width: inner, height: inner, class: 'corner-frame' }));
      if (i === j) {
        const hist = histogram1d(cols[j], bins, ranges[j][0], ranges[j][1]);
        const peak = Math.max(1, ...hist.counts);
        let d = `M${x0} ${y0 + inner}`;
        hist.counts.forEach((c, k) => {
          const yk = y0 + inner - (c / peak) * inner * 0.92;
          d += `L${X(j, hist.edges[k])} ${yk}L${X(j, hist.edges[k + 1])} ${yk}`;
        });
        d += `L${x0 + inner} ${y0 + inner}`;
        g.appendChild(s('path', { d, class: 'corner-hist', dataset: { counts: Array.from(hist.counts).join(',') } }));
        const par = opts.parameters[j];
        for (const [v, cls] of [
          [par.median, 'corner-median'],
          [par.lo68, 'corner-q'],
          [par.hi68, 'corner-q'],
        ] as const) {
          if (Number.isFinite(v) && v >= ranges[j][0] && v <= ranges[j][1]) g.appendChild(s('line', { x1: X(j, v), x2: X(j, v), y1: y0, y2: y0 + inner, class: cls }));
        }
        const plus = par.hi68 - par.median;
        const minus = par.median - par.lo68;
        g.appendChild(
          s(
            'text',
            // The last title ends at the plot's right edge instead of running off it.
            { x: j === p - 1 ? x0 + inner : x0 + inner / 2, y: y0 - 6, class: 'corner-title', 'text-anchor': j === p - 1 ? 'end' : 'middle', dataset: { param: par.name, median: par.median } },
            `${par.name} = ${formatNumber(par.median, 5)} +${formatNumber(plus, 2)} −${formatNumber(minus, 2)}${par.unit ? ` ${par.unit}` : ''}`,
          ),
        );
      } else {
        const { counts } = histogram2d(cols[j], cols[i], bins, ranges[j], ranges[i]);
        const [l1, l2] = densityLevels(counts, SIGMA_MASSES);
        const peak = Math.max(1, ...counts);
        const bw = inner / bins;
        for (let ix = 0; ix < bins; ix++) {
          for (let iy = 0; iy < bins; iy++) {
            const c = counts[ix * bins + iy];
            if (c <= 0) continue;
            const level = c >= l1 ? 'corner-1s' : c >= l2 ? 'corner-2s' : 'corner-out';
            g.appendChild(
              s('rect', {
                x: x0 + ix * bw,
                y: y0 + inner - (iy + 1) * bw,
                width: bw + 0.3,
                height: bw + 0.3,
                class: level,
                'fill-opacity': level === 'corner-out' ? (0.15 + 0.35 * (c / peak)).toFixed(3) : undefined,
              }),
            );
          }
        }
      }
      // Ticks on the outer edges only.
      if (i === p - 1) {
        for (const t of niceTicks(ranges[j][0], ranges[j][1], 3)) {
          const x = X(j, t);
          g.appendChild(s('line', { x1: x, x2: x, y1: y0 + inner, y2: y0 + inner + 4, class: 'corner-tick' }));
          g.appendChild(s('text', { x, y: y0 + inner + 15, 'text-anchor': 'middle', class: 'corner-ticklabel' }, formatNumber(t, 3)));
        }
        const par = opts.parameters[j];
        g.appendChild(s('text', { x: x0 + inner / 2, y: y0 + inner + 32, 'text-anchor': 'middle', class: 'corner-label' }, par.unit ? `${par.name} (${par.unit})` : par.name));
      }
      if (j === 0 && i > 0) {
        for (const t of niceTicks(ranges[i][0], ranges[i][1], 3)) {
          const y = Y(i, t);
          g.appendChild(s('line', { x1: x0 - 4, x2: x0, y1: y, y2: y, class: 'corner-tick' }));
          g.appendChild(s('text', { x: x0 - 6, y: y + 3, 'text-anchor': 'end', class: 'corner-ticklabel' }, formatNumber(t, 3)));
        }
      }
      parts.push(g);
    }
  }
  const width = left + p * cell + right;
  return s('svg', { class: 'corner', viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-label': `Corner plot of ${p} parameters`, dataset: { params: p, draws: opts.samples.length } }, ...parts);
}
