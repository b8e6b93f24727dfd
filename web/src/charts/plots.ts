/**
 * The time-series charts, drawn with uPlot: light curve, periodogram, phase-folded curve,
 * O−C with the model band. Each returns a handle that follows its container's width and
 * is destroyed with the page. Magnitudes grow downwards, as astronomers plot them.
 */
import uPlot from 'uplot';
import { h, onResize } from '../lib/dom.js';
import { siteColours } from '../lib/colors.js';
import { formatNumber, formatPeriod } from '../lib/format.js';
import { ascendingOrder, bjdOffset, foldedColumns, ocColumns, siteColumns, type LightCurvePoint, type OcModelPoint, type OcPoint, type SiteColumns } from '../lib/series.js';

export interface ChartHandle {
  element: HTMLElement;
  destroy(): void;
}

const HEIGHT = 260;
const AXIS_TEXT = '#93a1b8';
const GRID = 'rgba(255, 255, 255, 0.07)';

/** An axis readable on the dark panels. */
function axis(label: string, size?: number): uPlot.Axis {
  return { label, stroke: AXIS_TEXT, grid: { stroke: GRID, width: 1 }, ticks: { stroke: GRID, width: 1 }, ...(size ? { size } : {}) };
}

/** Mount a uPlot that resizes with `box`; options are rebuilt per width. */
function mountPlot(box: HTMLElement, opts: (width: number) => uPlot.Options, data: uPlot.AlignedData): () => void {
  let plot: uPlot | null = null;
  const stop = onResize(box, (w) => {
    if (plot) plot.setSize({ width: w, height: HEIGHT });
    else plot = new uPlot(opts(w), data, box);
  });
  return () => {
    stop();
    plot?.destroy();
  };
}

/** Vertical error bars for series 1 … n from per-series error columns (canvas pixels). */
function errorBars(errs: Array<Array<number | null>>, colours: string[], firstSeries = 1): uPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u: uPlot) => {
          const c = u.ctx;
          const { left, top, width, height } = u.bbox;
          c.save();
          c.beginPath();
          c.rect(left, top, width, height);
          c.clip();
          c.lineWidth = Math.max(1, devicePixelRatio);
          errs.forEach((col, k) => {
            const si = firstSeries + k;
            if (!u.series[si]?.show) return;
            c.strokeStyle = colours[k];
            c.globalAlpha = 0.6;
            c.beginPath();
            const ys = u.data[si] as Array<number | null>;
            for (let i = 0; i < ys.length; i++) {
              const y = ys[i];
              const e = col[i];
              if (y === null || y === undefined || e === null || !(e > 0)) continue;
              const x = u.valToPos(u.data[0][i], 'x', true);
              c.moveTo(x, u.valToPos(y - e, 'y', true));
              c.lineTo(x, u.valToPos(y + e, 'y', true));
            }
            c.stroke();
          });
          c.restore();
        },
      ],
    },
  };
}

function pointSeries(label: string, colour: string): uPlot.Series {
  return { label, stroke: colour, fill: colour, paths: () => null, points: { show: true, size: 5, fill: colour, stroke: colour }, spanGaps: false };
}

function legendFor(cols: SiteColumns, colours: Map<string, string>): HTMLElement {
  return h(
    'p',
    { class: 'legend' },
    cols.sites.map((s, k) => h('span', { class: 'legend-item', dataset: { site: s, points: cols.counts[k] } }, h('i', { class: 'dot', style: { background: colours.get(s) as string } }), `${s} (${cols.counts[k]})`)),
  );
}

function chartBox(kind: string, pointsDrawn: number, ...above: HTMLElement[]): { element: HTMLElement; box: HTMLElement } {
  const box = h('div', { class: 'chart' });
  const element = h('div', { class: `chart-wrap chart-${kind}`, dataset: { points: pointsDrawn } }, ...above, box);
  return { element, box };
}

/** Light curve: magnitude against BJD_TDB, one colour per site, with error bars. */
export function lightCurveChart(points: readonly LightCurvePoint[], bands: readonly string[]): ChartHandle {
  const cols = siteColumns(
    points,
    (p) => p.bjdTdb,
    (p) => p.mag,
    (p) => p.err,
    (p) => p.site,
  );
  const colours = siteColours(cols.sites);
  const palette = cols.sites.map((s) => colours.get(s) as string);
  const offset = bjdOffset(cols.x);
  const n = cols.counts.reduce((a, b) => a + b, 0);
  const summary = h('p', { class: 'chart-summary' }, `${n} points from ${cols.sites.length} site${cols.sites.length === 1 ? '' : 's'}${bands.length ? ` · band ${bands.join(', ')}` : ''}`);
  const { element, box } = chartBox('lightcurve', n, summary, legendFor(cols, colours));
  const destroy = mountPlot(
    box,
    (width) => ({
      width,
      height: HEIGHT,
      scales: { x: { time: false }, y: { dir: -1 } },
      legend: { show: false },
      series: [{ label: 'BJD_TDB' }, ...cols.sites.map((s, k) => pointSeries(s, palette[k]))],
      axes: [axis(offset ? `BJD_TDB − ${offset}` : 'BJD_TDB'), axis('magnitude', 56)],
      plugins: [errorBars(cols.errs, palette)],
    }),
    [cols.x.map((x) => x - offset), ...cols.ys] as uPlot.AlignedData,
  );
  return { element, destroy };
}

export interface PeriodogramData {
  periodsDays: number[];
  power: number[];
  peaks: Array<{ periodDays: number; power: number; fap: number }>;
  bestPeriodDays: number;
}

/** Power against period (log axis), peaks marked. */
export function periodogramChart(pg: PeriodogramData): ChartHandle {
  const order = ascendingOrder(pg.periodsDays).filter((i) => Number.isFinite(pg.periodsDays[i]) && pg.periodsDays[i] > 0 && Number.isFinite(pg.power[i]));
  const x = order.map((i) => pg.periodsDays[i]);
  const y = order.map((i) => pg.power[i]);
  // Peaks drawn as points on the grid period nearest to each.
  const marks = new Array<number | null>(x.length).fill(null);
  for (const p of pg.peaks) {
    let best = -1;
    let dist = Infinity;
    x.forEach((xi, i) => {
      const d = Math.abs(Math.log(xi / p.periodDays));
      if (d < dist) {
        dist = d;
        best = i;
      }
    });
    if (best >= 0) marks[best] = y[best];
  }
  const best = pg.peaks.find((p) => p.periodDays === pg.bestPeriodDays) ?? pg.peaks[0];
  const summary = h(
    'p',
    { class: 'chart-summary best-period', dataset: { bestPeriodDays: pg.bestPeriodDays } },
    'Best period ',
    h('strong', null, formatPeriod(pg.bestPeriodDays)),
    best ? ` · power ${formatNumber(best.power, 3)} · FAP ${formatNumber(best.fap, 2)}` : '',
  );
  const { element, box } = chartBox('periodogram', x.length, summary);
  const destroy = mountPlot(
    box,
    (width) => ({
      width,
      height: HEIGHT,
      scales: { x: { time: false, distr: 3, log: 10 } },
      legend: { show: false },
      series: [
        { label: 'period (d)' },
        { label: 'power', stroke: '#6ab0ff', width: 1 },
        { label: 'peaks', stroke: '#e69f00', paths: () => null, points: { show: true, size: 8, fill: '#e69f00', stroke: '#e69f00' } },
      ],
      axes: [axis('period (days)'), axis('power', 56)],
    }),
    [x, y, marks] as uPlot.AlignedData,
  );
  return { element, destroy };
}

/** The light curve folded on `periodDays`, two cycles. */
export function phaseChart(points: readonly LightCurvePoint[], periodDays: number): ChartHandle {
  const cols = foldedColumns(points, periodDays);
  const colours = siteColours(cols.sites);
  const palette = cols.sites.map((s) => colours.get(s) as string);
  const n = cols.counts.reduce((a, b) => a + b, 0);
  const summary = h('p', { class: 'chart-summary' }, `Folded on P = ${formatPeriod(periodDays)} · epoch BJD_TDB ${cols.epoch.toFixed(5)} · ${n / 2} points shown twice`);
  const { element, box } = chartBox('phase', n / 2, summary);
  const destroy = mountPlot(
    box,
    (width) => ({
      width,
      height: HEIGHT,
      scales: { x: { time: false, range: [0, 2] }, y: { dir: -1 } },
      legend: { show: false },
      series: [{ label: 'phase' }, ...cols.sites.map((s, k) => pointSeries(s, palette[k]))],
      axes: [axis('phase'), axis('magnitude', 56)],
      plugins: [errorBars(cols.errs, palette)],
    }),
    [cols.x, ...cols.ys] as uPlot.AlignedData,
  );
  return { element, destroy };
}

/** O−C in minutes against epoch: measured points per site, model median with 68/95 % bands. */
export function ocChart(points: readonly OcPoint[], model: readonly OcModelPoint[], planet: string): ChartHandle {
  const c = ocColumns(points, model);
  const colours = siteColours(c.sites);
  const palette = c.sites.map((s) => colours.get(s) as string);
  const n = c.counts.reduce((a, b) => a + b, 0);
  const summary = h('p', { class: 'chart-summary' }, `${planet}: ${n} transit times · model median with 68 % and 95 % bands (${model.length} epochs)`);
  const { element, box } = chartBox('oc', n, summary, legendFor({ sites: c.sites, counts: c.counts, x: [], ys: [], errs: [] }, colours));
  const band = (label: string): uPlot.Series => ({ label, stroke: 'transparent', spanGaps: true, points: { show: false } });
  const destroy = mountPlot(
    box,
    (width) => ({
      width,
      height: HEIGHT,
      scales: { x: { time: false } },
      legend: { show: false },
      series: [
        { label: 'epoch' },
        band('lo95'),
        band('hi95'),
        band('lo68'),
        band('hi68'),
        { label: 'model', stroke: '#c8d3e6', width: 1.5, spanGaps: true, points: { show: false } },
        ...c.sites.map((s, k) => pointSeries(s, palette[k])),
      ],
      bands: [
        { series: [2, 1], fill: 'rgba(106,176,255,0.15)' },
        { series: [4, 3], fill: 'rgba(106,176,255,0.32)' },
      ],
      axes: [axis('epoch'), axis('O − C (min)', 56)],
      plugins: [errorBars(c.errs, palette, 6)],
    }),
    [c.x, c.lo95, c.hi95, c.lo68, c.hi68, c.median, ...c.ys] as uPlot.AlignedData,
  );
  return { element, destroy };
}
