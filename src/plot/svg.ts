/**
 * Minimal SVG charts (no dependencies): line and scatter series on linear axes with
 * "nice" ticks, optional error bars, an inverted y axis (magnitudes) and vertical
 * markers. Lines with far more points than pixels are reduced to the minimum and maximum
 * per pixel column, so a periodogram of a million frequencies stays a small file and
 * keeps every peak.
 */

export interface PlotSeries {
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  kind: 'line' | 'points';
  /** CSS colour (default: from a palette by series index). */
  color?: string;
  /** Legend entry; series without a label are not listed. */
  label?: string;
  /** Symmetric error bars for points. */
  yErr?: ArrayLike<number>;
}

export interface PlotOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Pixels (default 760 × 420). */
  width?: number;
  height?: number;
  /** Larger y downwards (astronomical magnitudes). */
  invertY?: boolean;
  /** Fixed axis ranges (default: the data's). */
  xRange?: [number, number];
  yRange?: [number, number];
  /** Dashed vertical lines with a label at the top. */
  markers?: Array<{ x: number; label?: string }>;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const MARGIN = { left: 70, right: 20, top: 34, bottom: 48 };

export function svgPlot(series: PlotSeries[], options: PlotOptions = {}): string {
  const width = options.width ?? 760;
  const height = options.height ?? 420;
  const pw = width - MARGIN.left - MARGIN.right;
  const ph = height - MARGIN.top - MARGIN.bottom;
  const [x0, x1] = options.xRange ?? padRange(extent(series.map((s) => s.x)), 0);
  const [y0, y1] = options.yRange ?? padRange(extentWithErrors(series), 0.05);
  const sx = (x: number): number => MARGIN.left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number): number => (options.invertY ? MARGIN.top + ((y - y0) / (y1 - y0 || 1)) * ph : MARGIN.top + ph - ((y - y0) / (y1 - y0 || 1)) * ph);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  out.push(`<clipPath id="plot-area"><rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}"/></clipPath>`);
  // Axes, ticks, grid.
  for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(pw / 90)))) {
    const x = sx(t);
    out.push(`<line x1="${f(x)}" y1="${MARGIN.top}" x2="${f(x)}" y2="${MARGIN.top + ph}" stroke="#eee"/>`);
    out.push(`<text x="${f(x)}" y="${MARGIN.top + ph + 16}" text-anchor="middle">${esc(tickLabel(t))}</text>`);
  }
  for (const t of niceTicks(y0, y1, Math.max(2, Math.floor(ph / 60)))) {
    const y = sy(t);
    out.push(`<line x1="${MARGIN.left}" y1="${f(y)}" x2="${MARGIN.left + pw}" y2="${f(y)}" stroke="#eee"/>`);
    out.push(`<text x="${MARGIN.left - 6}" y="${f(y + 4)}" text-anchor="end">${esc(tickLabel(t))}</text>`);
  }
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (options.title) out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${esc(options.title)}</text>`);
  if (options.xLabel) out.push(`<text x="${MARGIN.left + pw / 2}" y="${height - 10}" text-anchor="middle">${esc(options.xLabel)}</text>`);
  if (options.yLabel) {
    out.push(`<text x="16" y="${MARGIN.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + ph / 2})">${esc(options.yLabel)}</text>`);
  }
  out.push('<g clip-path="url(#plot-area)">');
  for (const m of options.markers ?? []) {
    const x = sx(m.x);
    out.push(`<line x1="${f(x)}" y1="${MARGIN.top}" x2="${f(x)}" y2="${MARGIN.top + ph}" stroke="#888" stroke-dasharray="4 3"/>`);
  }
  series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    if (s.kind === 'line') {
      const pts = reduceLine(s.x, s.y, x0, x1, pw);
      const d = pts.map(([x, y], j) => `${j === 0 ? 'M' : 'L'}${f(sx(x))} ${f(sy(y))}`).join('');
      if (d) out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="1.2"/>`);
    } else {
      const parts: string[] = [];
      for (let j = 0; j < s.x.length; j++) {
        const x = s.x[j];
        const y = s.y[j];
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        if (s.yErr && Number.isFinite(s.yErr[j])) {
          parts.push(`<line x1="${f(sx(x))}" y1="${f(sy(y - s.yErr[j]))}" x2="${f(sx(x))}" y2="${f(sy(y + s.yErr[j]))}" stroke="${color}" stroke-opacity="0.4"/>`);
        }
        parts.push(`<circle cx="${f(sx(x))}" cy="${f(sy(y))}" r="2.2"/>`);
      }
      out.push(`<g fill="${color}">${parts.join('')}</g>`);
    }
  });
  out.push('</g>');
  for (const m of options.markers ?? []) {
    if (m.label) out.push(`<text x="${f(sx(m.x) + 3)}" y="${MARGIN.top + 12}" fill="#555">${esc(m.label)}</text>`);
  }
  const legend = series.map((s, i) => ({ label: s.label, color: s.color ?? PALETTE[i % PALETTE.length] })).filter((l) => l.label);
  legend.forEach((l, i) => {
    const y = MARGIN.top + 14 + i * 16;
    const x = MARGIN.left + pw - 110;
    out.push(`<rect x="${x}" y="${y - 9}" width="10" height="10" fill="${l.color}"/><text x="${x + 14}" y="${y}">${esc(l.label!)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Keeps, per pixel column, the first point and the points of minimum and maximum y, in x order. */
export function reduceLine(x: ArrayLike<number>, y: ArrayLike<number>, x0: number, x1: number, pixels: number): Array<[number, number]> {
  const n = Math.min(x.length, y.length);
  if (n <= 4 * pixels) {
    const out: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) out.push([x[i], y[i]]);
    return out;
  }
  const out: Array<[number, number]> = [];
  let col = -1;
  let iMin = -1;
  let iMax = -1;
  let iFirst = -1;
  const flush = (): void => {
    if (iFirst < 0) return;
    const idx = [...new Set([iFirst, iMin, iMax])].sort((a, b) => a - b);
    for (const i of idx) out.push([x[i], y[i]]);
  };
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) continue;
    const c = Math.floor(((x[i] - x0) / (x1 - x0 || 1)) * pixels);
    if (c !== col) {
      flush();
      col = c;
      iFirst = iMin = iMax = i;
    } else {
      if (y[i] < y[iMin]) iMin = i;
      if (y[i] > y[iMax]) iMax = i;
    }
  }
  flush();
  return out;
}

/** About `count` round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return Number.isFinite(lo) ? [lo] : [];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  // Integer multiples of the step, rounded so 3 × 0.2 prints as 0.6.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) out.push(k === 0 ? 0 : Number((k * step).toPrecision(12)));
  return out;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(6)));
}

function extent(arrays: Array<ArrayLike<number>>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (!Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

function extentWithErrors(series: PlotSeries[]): [number, number] {
  let [lo, hi] = extent(series.map((s) => s.y));
  for (const s of series) {
    if (!s.yErr) continue;
    for (let i = 0; i < s.y.length; i++) {
      const e = s.yErr[i];
      if (!Number.isFinite(e) || !Number.isFinite(s.y[i])) continue;
      lo = Math.min(lo, s.y[i] - e);
      hi = Math.max(hi, s.y[i] + e);
    }
  }
  return [lo, hi];
}

function padRange([lo, hi]: [number, number], frac: number): [number, number] {
  if (hi === lo) return [lo - 0.5, hi + 0.5];
  const pad = (hi - lo) * frac;
  return [lo - pad, hi + pad];
}

function f(v: number): string {
  return Number.isFinite(v) ? v.toFixed(1) : '0';
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
