/**
 * Corner plot as SVG (the figure of Foreman-Mackey's corner.py, drawn here from scratch):
 * for d parameters a lower-triangular d × d grid — on the diagonal the histogram of each
 * parameter with dashed lines at its 16th, 50th and 84th percentiles and "median +up −down"
 * above it; below the diagonal the 2-D histogram of each pair as grey cells shaded by count.
 * Optional truth values are drawn as blue lines.
 *
 * Each parameter's axis spans its samples' 0.5–99.5 percentile range widened by 5 % (so one
 * stray draw does not squash the rest); draws outside fall in the edge bins. Elements
 * carry their values in data-* attributes (ranges, bin counts) for readers and tests.
 */
import { niceTicks } from './svg.js';

export interface CornerOptions {
  names: string[];
  /** True values to mark (NaN or undefined: none for that parameter). */
  truths?: Array<number | undefined>;
  /** Bins per axis (default 20). */
  bins?: number;
  /** Panel size in pixels (default 130). */
  panelSize?: number;
  title?: string;
}

const MARGIN = { left: 60, top: 40, right: 16, bottom: 60 };
const GAP = 8;

export function cornerPlotSvg(samples: Float64Array, nDim: number, options: CornerOptions): string {
  if (!Number.isInteger(nDim) || nDim < 1) throw new RangeError(`nDim must be a positive integer, got ${nDim}`);
  const n = samples.length / nDim;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${samples.length} values are not whole rows of ${nDim}`);
  if (options.names.length !== nDim) throw new RangeError(`${options.names.length} names for ${nDim} parameters`);
  const bins = options.bins ?? 20;
  if (!Number.isInteger(bins) || bins < 2 || bins > 200) throw new RangeError(`bins must be an integer in [2, 200], got ${bins}`);
  const size = options.panelSize ?? 130;
  const width = MARGIN.left + nDim * size + (nDim - 1) * GAP + MARGIN.right;
  const height = MARGIN.top + nDim * size + (nDim - 1) * GAP + MARGIN.bottom;
  const cols: Float64Array[] = [];
  const sorted: Float64Array[] = [];
  const ranges: Array<[number, number]> = [];
  for (let d = 0; d < nDim; d++) {
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = samples[i * nDim + d];
    cols.push(c);
    const s = c.slice().sort();
    sorted.push(s);
    let lo = quantile(s, 0.005);
    let hi = quantile(s, 0.995);
    if (!(hi > lo)) {
      lo -= 0.5 * (Math.abs(lo) || 1);
      hi += 0.5 * (Math.abs(hi) || 1);
    }
    const padW = 0.05 * (hi - lo);
    ranges.push([lo - padW, hi + padW]);
  }
  const binOf = (d: number, v: number): number => {
    const [lo, hi] = ranges[d];
    const b = Math.floor(((v - lo) / (hi - lo)) * bins);
    return b < 0 ? 0 : b >= bins ? bins - 1 : b;
  };
  const ox = (j: number) => MARGIN.left + j * (size + GAP);
  const oy = (i: number) => MARGIN.top + i * (size + GAP);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="10">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (options.title) out.push(`<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${esc(options.title)}</text>`);
  for (let i = 0; i < nDim; i++) {
    for (let j = 0; j <= i; j++) {
      const x0 = ox(j);
      const y0 = oy(i);
      const [ax0, ax1] = ranges[j];
      const px = (v: number) => x0 + ((v - ax0) / (ax1 - ax0)) * size;
      if (i === j) {
        const counts = new Int32Array(bins);
        for (let k = 0; k < n; k++) counts[binOf(j, cols[j][k])]++;
        let max = 0;
        for (const c of counts) max = Math.max(max, c);
        out.push(`<g class="panel diagonal" data-row="${i}" data-col="${j}" data-x-min="${ax0}" data-x-max="${ax1}" data-count="${n}">`);
        const w = size / bins;
        for (let b = 0; b < bins; b++) {
          const h = max > 0 ? (counts[b] / max) * (size - 4) : 0;
          out.push(`<rect class="bin" x="${f(x0 + b * w)}" y="${f(y0 + size - h)}" width="${f(w)}" height="${f(h)}" fill="#555" fill-opacity="0.65" data-count="${counts[b]}"/>`);
        }
        const q = [0.15865525393145707, 0.5, 0.8413447460685429].map((p) => quantile(sorted[j], p));
        for (const v of q) out.push(`<line class="quantile" x1="${f(px(v))}" y1="${y0}" x2="${f(px(v))}" y2="${y0 + size}" stroke="#222" stroke-dasharray="3 2" data-value="${v}"/>`);
        out.push(`<text x="${x0 + size / 2}" y="${y0 - 4}" text-anchor="middle">${esc(`${options.names[j]} = ${valueWithErrors(q[1], q[2] - q[1], q[1] - q[0])}`)}</text>`);
        truthLine(out, options.truths?.[j], px, x0, y0, size, 'v');
      } else {
        const [by0, by1] = ranges[i];
        const py = (v: number) => y0 + size - ((v - by0) / (by1 - by0)) * size;
        const grid = new Int32Array(bins * bins);
        for (let k = 0; k < n; k++) grid[binOf(i, cols[i][k]) * bins + binOf(j, cols[j][k])]++;
        let max = 0;
        for (const c of grid) max = Math.max(max, c);
        out.push(`<g class="panel pair" data-row="${i}" data-col="${j}" data-x-min="${ax0}" data-x-max="${ax1}" data-y-min="${by0}" data-y-max="${by1}" data-count="${n}">`);
        const w = size / bins;
        for (let by = 0; by < bins; by++) {
          for (let bx = 0; bx < bins; bx++) {
            const c = grid[by * bins + bx];
            if (c === 0) continue;
            // Square-root shading keeps the wings visible beside the peak.
            const shade = Math.round(235 - 215 * Math.sqrt(c / max));
            out.push(`<rect class="cell" x="${f(x0 + bx * w)}" y="${f(y0 + size - (by + 1) * w)}" width="${f(w)}" height="${f(w)}" fill="rgb(${shade},${shade},${shade})" data-count="${c}"/>`);
          }
        }
        truthLine(out, options.truths?.[j], px, x0, y0, size, 'v');
        truthLine(out, options.truths?.[i], py, x0, y0, size, 'h');
      }
      out.push(`<rect x="${x0}" y="${y0}" width="${size}" height="${size}" fill="none" stroke="#333"/>`);
      // Tick labels on the outer panels only.
      if (i === nDim - 1) {
        const ticks = niceTicks(ax0, ax1, 3);
        for (const t of ticks) {
          out.push(`<text x="${f(px(t))}" y="${y0 + size + 12}" text-anchor="end" transform="rotate(-35 ${f(px(t))} ${y0 + size + 12})">${tickText(t, ticks)}</text>`);
        }
        out.push(`<text x="${x0 + size / 2}" y="${y0 + size + 48}" text-anchor="middle" font-size="11">${esc(options.names[j])}</text>`);
      }
      if (j === 0 && i > 0) {
        const [by0, by1] = ranges[i];
        const ticks = niceTicks(by0, by1, 3);
        for (const t of ticks) {
          const yy = y0 + size - ((t - by0) / (by1 - by0)) * size;
          out.push(`<text x="${x0 - 4}" y="${f(yy + 3)}" text-anchor="end">${tickText(t, ticks)}</text>`);
        }
        out.push(`<text x="12" y="${y0 + size / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${y0 + size / 2})">${esc(options.names[i])}</text>`);
      }
      out.push('</g>');
    }
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function truthLine(out: string[], v: number | undefined, p: (v: number) => number, x0: number, y0: number, size: number, dir: 'v' | 'h'): void {
  if (v === undefined || !Number.isFinite(v)) return;
  const c = p(v);
  if (dir === 'v') out.push(`<line class="truth" x1="${f(c)}" y1="${y0}" x2="${f(c)}" y2="${y0 + size}" stroke="#4682b4" stroke-width="1.2" data-value="${v}"/>`);
  else out.push(`<line class="truth" x1="${x0}" y1="${f(c)}" x2="${x0 + size}" y2="${f(c)}" stroke="#4682b4" stroke-width="1.2" data-value="${v}"/>`);
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  return i + 1 < sorted.length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[sorted.length - 1];
}

/** A tick with as many decimals as the tick spacing needs (BJDs keep their fraction). */
function tickText(t: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(t) || 1;
  const decimals = Math.min(12, Math.max(0, -Math.floor(Math.log10(step))));
  return t.toFixed(decimals);
}

/** "median +up −down" with two significant digits in the smaller error. */
function valueWithErrors(median: number, up: number, down: number): string {
  const e = Math.min(up, down);
  const decimals = e > 0 && Number.isFinite(e) ? Math.min(12, Math.max(0, 1 - Math.floor(Math.log10(e)))) : 3;
  return `${median.toFixed(decimals)} +${up.toFixed(decimals)} −${down.toFixed(decimals)}`;
}

function f(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
