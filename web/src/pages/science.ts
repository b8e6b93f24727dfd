/**
 * Science, per mission: the light curve (per-site colours), its periodogram and the curve
 * folded on the best period (or any peak picked), the O−C diagram with the model band,
 * the posterior corner plot, the stacked image; and the alerts of the whole network.
 * Each panel loads on its own and says plainly when a result is not there yet.
 */
import type { Page } from '../context.js';
import { h, onResize, replaceChildren } from '../lib/dom.js';
import { getJson, listOf } from '../lib/api.js';
import { formatNumber, formatPeriod, formatUtc } from '../lib/format.js';
import { lightCurveChart, ocChart, periodogramChart, phaseChart, type ChartHandle, type PeriodogramData } from '../charts/plots.js';
import { cornerPlot, type PosteriorParameter } from '../charts/corner.js';
import { stackViewer, type StackInfo } from '../charts/stack-viewer.js';
import { errorNote, note, panel, table } from '../ui.js';
import type { LightCurvePoint, OcModelPoint, OcPoint } from '../lib/series.js';

interface LightCurveData {
  target: string;
  bands: string[];
  points: LightCurvePoint[];
}

interface OcData {
  planet: string;
  points: OcPoint[];
  model: OcModelPoint[];
}

interface PosteriorData {
  parameters: PosteriorParameter[];
  samples: number[][];
  logEvidence?: number;
}

interface Alert {
  id: string;
  kind: string;
  message: string;
  missionId?: string;
  createdAt: string;
}

export const sciencePage: Page = (root, ctx) => {
  const picker = h('select', { 'aria-label': 'Mission', class: 'mission-picker' });
  const lcBox = h('div', { class: 'lc-box' });
  const pgBox = h('div', { class: 'pg-box' });
  const phaseBox = h('div', { class: 'phase-box' });
  const ocBox = h('div', { class: 'oc-box' });
  const postBox = h('div', { class: 'post-box' });
  const stackBox = h('div', { class: 'stack-box' });
  const alertsBox = h('div', { class: 'alerts-box' });
  root.appendChild(
    h(
      'div',
      { class: 'page-science' },
      h('div', { class: 'science-head panel' }, h('label', null, 'Mission ', picker)),
      h(
        'div',
        { class: 'grid-2' },
        panel('Light curve', lcBox),
        panel('Periodogram', pgBox),
        panel('Phase-folded', phaseBox),
        panel('O − C', ocBox),
        panel('Posterior', postBox),
        panel('Alerts', alertsBox),
      ),
      panel('Stacked image', stackBox),
    ),
  );

  let missionId: string | null = ctx.params.missionId ?? null;
  let charts: Array<{ destroy(): void }> = [];
  let abort = new AbortController();
  let knownMissions = '';

  const keep = <T extends { destroy(): void }>(c: T): T => (charts.push(c), c);
  const clearCharts = () => {
    for (const c of charts) c.destroy();
    charts = [];
  };
  const mount = (box: HTMLElement, c: ChartHandle) => replaceChildren(box, keep(c).element);

  async function loadLightCurveAndPeriods(id: string, signal: AbortSignal) {
    let lc: LightCurveData | null = null;
    try {
      lc = await getJson<LightCurveData>(`/api/v1/missions/${id}/lightcurve`, signal);
      if (signal.aborted) return;
      if (lc.points.length === 0) replaceChildren(lcBox, note('The light curve has no points yet.'));
      else mount(lcBox, lightCurveChart(lc.points, lc.bands));
    } catch (err) {
      if (signal.aborted) return;
      replaceChildren(lcBox, errorNote(err, 'light curve'));
    }
    try {
      const pg = await getJson<PeriodogramData>(`/api/v1/missions/${id}/periodogram`, signal);
      if (signal.aborted) return;
      mount(pgBox, periodogramChart(pg));
      const peaks = h(
        'div',
        { class: 'peaks' },
        table(
          ['Period', 'Power', 'FAP', ''],
          pg.peaks.slice(0, 5).map((p) => [
            formatPeriod(p.periodDays),
            formatNumber(p.power, 3),
            formatNumber(p.fap, 2),
            lc && lc.points.length ? h('button', { type: 'button', onclick: () => fold(p.periodDays) }, 'Fold') : '',
          ]),
          { class: 'peak-table' },
        ),
      );
      pgBox.appendChild(peaks);
      let phaseChartHandle: ChartHandle | null = null;
      const fold = (periodDays: number) => {
        if (!lc || lc.points.length === 0) return;
        phaseChartHandle?.destroy();
        phaseChartHandle = phaseChart(lc.points, periodDays);
        replaceChildren(phaseBox, phaseChartHandle.element);
      };
      keep({ destroy: () => phaseChartHandle?.destroy() });
      if (lc && lc.points.length) fold(pg.bestPeriodDays);
      else replaceChildren(phaseBox, note('Nothing to fold without a light curve.'));
    } catch (err) {
      if (signal.aborted) return;
      replaceChildren(pgBox, errorNote(err, 'periodogram'));
      replaceChildren(phaseBox, note('Folding waits for a period.'));
    }
  }

  async function loadOc(id: string, signal: AbortSignal) {
    try {
      const oc = await getJson<OcData>(`/api/v1/missions/${id}/oc`, signal);
      if (signal.aborted) return;
      mount(ocBox, ocChart(oc.points, oc.model, oc.planet));
    } catch (err) {
      if (!signal.aborted) replaceChildren(ocBox, errorNote(err, 'O − C diagram'));
    }
  }

  async function loadPosterior(id: string, signal: AbortSignal) {
    try {
      const post = await getJson<PosteriorData>(`/api/v1/missions/${id}/posterior`, signal);
      if (signal.aborted) return;
      const plotBox = h('div', { class: 'corner-box' });
      replaceChildren(
        postBox,
        table(
          ['Parameter', 'Median', '−68 %', '+68 %', 'Unit'],
          post.parameters.map((p) => [
            h('span', { dataset: { param: p.name } }, p.name),
            h('span', { class: 'median', dataset: { median: p.median } }, formatNumber(p.median, 6)),
            formatNumber(p.median - p.lo68, 3),
            formatNumber(p.hi68 - p.median, 3),
            p.unit,
          ]),
          { class: 'posterior-table' },
        ),
        post.logEvidence !== undefined ? h('p', { class: 'muted' }, `ln Z = ${formatNumber(post.logEvidence, 6)}`) : null,
        h('p', { class: 'muted' }, `${post.samples.length} posterior draws`),
        plotBox,
      );
      if (post.samples.length > 0 && post.parameters.length > 0) {
        keep({ destroy: onResize(plotBox, (w) => replaceChildren(plotBox, cornerPlot({ width: w, parameters: post.parameters, samples: post.samples }))) });
      }
    } catch (err) {
      if (!signal.aborted) replaceChildren(postBox, errorNote(err, 'posterior'));
    }
  }

  async function loadStack(id: string, signal: AbortSignal) {
    try {
      const info = await getJson<StackInfo>(`/api/v1/missions/${id}/stack`, signal);
      if (signal.aborted) return;
      replaceChildren(stackBox, keep(stackViewer(info)).element);
    } catch (err) {
      if (!signal.aborted) replaceChildren(stackBox, errorNote(err, 'stacked image'));
    }
  }

  async function loadAlerts(signal: AbortSignal) {
    try {
      const alerts = listOf<Alert>(await getJson<unknown>('/api/v1/alerts', signal), 'alerts').sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
      if (signal.aborted) return;
      if (alerts.length === 0) {
        replaceChildren(alertsBox, note('No alerts.'));
        return;
      }
      replaceChildren(
        alertsBox,
        h(
          'ul',
          { class: 'alerts', dataset: { alerts: alerts.length } },
          alerts.map((a) =>
            h(
              'li',
              { class: `alert alert-${a.kind}`, dataset: { alertId: a.id } },
              h('span', { class: 'alert-kind' }, a.kind),
              ' ',
              h('span', { class: 'alert-message' }, a.message),
              ' ',
              h('span', { class: 'muted' }, formatUtc(a.createdAt)),
              a.missionId ? [' ', h('a', { href: `/science/${a.missionId}` }, 'mission')] : null,
            ),
          ),
        ),
      );
    } catch (err) {
      if (!signal.aborted) replaceChildren(alertsBox, errorNote(err, 'alerts'));
    }
  }

  function loadMission(id: string) {
    abort.abort();
    abort = new AbortController();
    clearCharts();
    const signal = abort.signal;
    for (const box of [lcBox, pgBox, phaseBox, ocBox, postBox, stackBox]) replaceChildren(box, note('Loading…', 'loading'));
    void loadLightCurveAndPeriods(id, signal);
    void loadOc(id, signal);
    void loadPosterior(id, signal);
    void loadStack(id, signal);
  }

  picker.addEventListener('change', () => {
    missionId = picker.value;
    history.replaceState(null, '', `/science/${missionId}`);
    loadMission(missionId);
  });

  const alertsAbort = new AbortController();
  void loadAlerts(alertsAbort.signal);

  const stop = ctx.live.subscribe((s) => {
    const list = s.missions.map((m) => `${m.id}:${m.name}`).join('|');
    if (list === knownMissions) return;
    knownMissions = list;
    replaceChildren(
      picker,
      s.missions.map((m) => h('option', { value: m.id, selected: m.id === missionId }, `${m.name}${m.targetName && !m.name.includes(m.targetName) ? ` (${m.targetName})` : ''}`)),
    );
    if (!missionId && s.missions.length > 0) {
      missionId = s.missions[0].id;
      picker.value = missionId;
      loadMission(missionId);
    }
  });
  if (missionId) loadMission(missionId);
  else if (!ctx.live.state) replaceChildren(lcBox, note('Waiting for the live stream…', 'loading'));

  return () => {
    abort.abort();
    alertsAbort.abort();
    clearCharts();
    stop();
  };
};
