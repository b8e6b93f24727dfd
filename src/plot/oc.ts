/**
 * O−C diagrams as SVG: one panel per planet, stacked, sharing the x axis label. Each panel
 * may hold observed points with 1σ error bars (partial transits drawn hollow) and a model
 * band from posterior draws — the central 95 % and 68 % regions as filled polygons and the
 * median as a line.
 *
 * Elements carry their values in data-* attributes (panel ranges, each point's x and y),
 * so a reader or a test can check the figure without parsing pixels.
 */
import { niceTicks } from './svg.js';

export interface OcPoints {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  yErr?: ArrayLike<number>;
  /** Drawn hollow (e.g. partial transits). */
  hollow?: ArrayLike<boolean>;
}

export interface OcBand {
  x: ArrayLike<number>;
  lo95: ArrayLike<number>;
  lo68: ArrayLike<number>;
  median: ArrayLike<number>;
  hi68: ArrayLike<number>;
  hi95: ArrayLike<number>;
}

export interface OcPanel {
  title?: string;
  points?: OcPoints;
  band?: OcBand;
}

export interface OcOptions {
  title?: string;
  xLabel?: string;
  /** y label of every panel (default 'O−C (min)'). */
  yLabel?: string;
  /** Pixels (default 760 wide, 260 per panel). */
  width?: number;
  panelHeight?: number;
  color?: string;
  bandColor?: string;
}

const MARGIN = { left: 72, right: 20, top: 30, bottom: 46, gap: 34 };

export function ocDiagramSvg(panels: OcPanel[], options: OcOptions = {}): string {
  const width = options.width ?? 760;
  const ph = options.panelHeight ?? 260;
  const pw = width - MARGIN.left - MARGIN.right;
  const height = MARGIN.top + panels.length * ph + (panels.length - 1) * MARGIN.gap + MARGIN.bottom;
  const color = options.color ?? '#1f77b4';
  const bandColor = options.bandColor ?? '#d62728';
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (options.title) out.push(`<text x="${width / 2}" y="18" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  panels.forEach((panel, i) => {
    const top = MARGIN.top + i * (ph + MARGIN.gap);
    const [x0, x1] = pad(rangeOf([panel.points?.x, panel.band?.x]), 0.03);
    const ys: Array<ArrayLike<number> | undefined> = [panel.band?.lo95, panel.band?.hi95];
    const [y0, y1] = pad(extendWithErrors(rangeOf(ys), panel.points), 0.08);
    const sx = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * pw;
    const sy = (y: number) => top + ph - ((y - y0) / (y1 - y0)) * ph;
    const nPoints = panel.points ? panel.points.x.length : 0;
    out.push(`<g class="panel" data-index="${i}" data-x-min="${x0}" data-x-max="${x1}" data-y-min="${y0}" data-y-max="${y1}" data-points="${nPoints}">`);
    out.push(`<clipPath id="oc-clip-${i}"><rect x="${MARGIN.left}" y="${top}" width="${pw}" height="${ph}"/></clipPath>`);
    const xt = niceTicks(x0, x1, Math.max(2, Math.floor(pw / 90)));
    for (const t of xt) {
      out.push(`<line x1="${f(sx(t))}" y1="${top}" x2="${f(sx(t))}" y2="${top + ph}" stroke="#eee"/>`);
      out.push(`<text x="${f(sx(t))}" y="${top + ph + 15}" text-anchor="middle">${tickText(t, xt)}</text>`);
    }
    const yt = niceTicks(y0, y1, Math.max(2, Math.floor(ph / 50)));
    for (const t of yt) {
      out.push(`<line x1="${MARGIN.left}" y1="${f(sy(t))}" x2="${MARGIN.left + pw}" y2="${f(sy(t))}" stroke="${t === 0 ? '#999' : '#eee'}"/>`);
      out.push(`<text x="${MARGIN.left - 6}" y="${f(sy(t) + 4)}" text-anchor="end">${tickText(t, yt)}</text>`);
    }
    out.push(`<rect x="${MARGIN.left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
    if (panel.title) out.push(`<text x="${MARGIN.left + 6}" y="${top + 15}" font-size="13">${esc(panel.title)}</text>`);
    const yl = options.yLabel ?? 'O−C (min)';
    out.push(`<text x="16" y="${top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + ph / 2})">${esc(yl)}</text>`);
    out.push(`<g clip-path="url(#oc-clip-${i})">`);
    if (panel.band) {
      const b = panel.band;
      const order = sortedIndex(b.x);
      out.push(`<path class="band band-95" d="${polygon(order, b.x, b.lo95, b.hi95, sx, sy)}" fill="${bandColor}" fill-opacity="0.15" stroke="none" data-count="${order.length}"/>`);
      out.push(`<path class="band band-68" d="${polygon(order, b.x, b.lo68, b.hi68, sx, sy)}" fill="${bandColor}" fill-opacity="0.3" stroke="none" data-count="${order.length}"/>`);
      const d = order.map((k, j) => `${j === 0 ? 'M' : 'L'}${f(sx(b.x[k]))} ${f(sy(b.median[k]))}`).join('');
      out.push(`<path class="band-median" d="${d}" fill="none" stroke="${bandColor}" stroke-width="1.2"/>`);
    }
    if (panel.points) {
      const p = panel.points;
      const parts: string[] = [];
      for (let k = 0; k < p.x.length; k++) {
        const x = p.x[k];
        const y = p.y[k];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const e = p.yErr ? p.yErr[k] : NaN;
        if (Number.isFinite(e)) parts.push(`<line class="error-bar" x1="${f(sx(x))}" y1="${f(sy(y - e))}" x2="${f(sx(x))}" y2="${f(sy(y + e))}" stroke="${color}"/>`);
        const hollow = p.hollow ? p.hollow[k] : false;
        parts.push(`<circle class="point${hollow ? ' hollow' : ''}" cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.8" fill="${hollow ? 'white' : color}" stroke="${color}" data-x="${x}" data-y="${y}"/>`);
      }
      out.push(`<g class="points">${parts.join('')}</g>`);
    }
    out.push('</g></g>');
  });
  if (options.xLabel) out.push(`<text x="${MARGIN.left + pw / 2}" y="${height - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function polygon(order: number[], x: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>, sx: (v: number) => number, sy: (v: number) => number): string {
  const up = order.map((k, j) => `${j === 0 ? 'M' : 'L'}${f(sx(x[k]))} ${f(sy(hi[k]))}`);
  const down = order
    .slice()
    .reverse()
    .map((k) => `L${f(sx(x[k]))} ${f(sy(lo[k]))}`);
  return up.join('') + down.join('') + 'Z';
}

function sortedIndex(x: ArrayLike<number>): number[] {
  const idx: number[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i])) idx.push(i);
  return idx.sort((a, b) => x[a] - x[b]);
}

function rangeOf(arrays: Array<ArrayLike<number> | undefined>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    if (!a) continue;
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) continue;
      lo = Math.min(lo, a[i]);
      hi = Math.max(hi, a[i]);
    }
  }
  return [lo, hi];
}

function extendWithErrors([lo, hi]: [number, number], p: OcPoints | undefined): [number, number] {
  if (!p) return [lo, hi];
  for (let i = 0; i < p.y.length; i++) {
    const e = p.yErr && Number.isFinite(p.yErr[i]) ? p.yErr[i] : 0;
    if (!Number.isFinite(p.y[i])) continue;
    lo = Math.min(lo, p.y[i] - e);
    hi = Math.max(hi, p.y[i] + e);
  }
  return [lo, hi];
}

function pad([lo, hi]: [number, number], frac: number): [number, number] {
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) return [lo - 0.5, hi + 0.5];
  const d = (hi - lo) * frac;
  return [lo - d, hi + d];
}

/** A tick with as many decimals as the tick spacing needs. */
function tickText(t: number, ticks: number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : Math.abs(t) || 1;
  return t.toFixed(Math.min(12, Math.max(0, -Math.floor(Math.log10(step)))));
}

function f(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
