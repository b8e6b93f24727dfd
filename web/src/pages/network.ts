/**
 * Network: the world map of sites with node states, the node table (state, last
 * heartbeat, current target, weather) and, for the node picked, tonight's plan.
 */
import type { Page } from '../context.js';
import { h, onResize, replaceChildren } from '../lib/dom.js';
import { getJson } from '../lib/api.js';
import { NODE_STATE_COLOURS, NODE_STATES } from '../lib/colors.js';
import { formatAgo, formatDuration, formatUtc, formatUtcTime } from '../lib/format.js';
import { worldMap } from '../charts/world-map.js';
import { badge, errorNote, note, panel, table } from '../ui.js';
import type { LiveNode, LiveSnapshot } from '../live/state.js';
import type { SiteView } from '../context.js';

interface PlanEntryView {
  missionId: string;
  missionName: string;
  taskId: string;
  targetName: string | null;
  filter: string;
  priority: number;
  startUtc: string;
  endUtc: string;
  exposureS: number;
  frameCount: number;
  altitudeStartDeg: number;
  altitudeEndDeg: number;
  held: boolean;
}

interface NightPlanView {
  nodeId: string;
  generatedAt: string;
  night: { startUtc: string; endUtc: string } | null;
  entries: PlanEntryView[];
}

export const networkPage: Page = (root, ctx) => {
  const counts = h('div', { class: 'state-counts' });
  const mapBox = h('div', { class: 'map-box' });
  const nodeTable = h('div', { class: 'node-table' });
  const planBox = h('div', { class: 'plan-box' }, note('Pick a node on the map or in the table to see its plan for tonight.'));
  const layout = h(
    'div',
    { class: 'page-network' },
    panel('Network', counts, mapBox, h('p', { class: 'legend' }, NODE_STATES.map((s) => h('span', { class: 'legend-item' }, h('i', { class: 'dot', style: { background: NODE_STATE_COLOURS[s] } }), s)))),
    panel('Nodes', nodeTable),
    panel('Tonight’s plan', planBox),
  );
  root.appendChild(layout);

  let state: LiveSnapshot | null = null;
  let receivedAt = performance.now();
  let sites = new Map<string, SiteView>();
  let width = 0;
  let selected: string | null = ctx.params.nodeId ?? null;
  let planAbort: AbortController | null = null;
  let disposed = false;

  const serviceNowMs = () => (state ? Date.parse(state.at) + (performance.now() - receivedAt) : Date.now());

  const select = (nodeId: string) => {
    selected = nodeId;
    history.replaceState(null, '', `/network/${nodeId}`);
    draw();
    void loadPlan();
  };

  function drawCounts(s: LiveSnapshot) {
    replaceChildren(
      counts,
      NODE_STATES.map((st) =>
        h('div', { class: 'count', dataset: { state: st } }, h('span', { class: 'count-n', style: { color: NODE_STATE_COLOURS[st] } }, String(s.nodeCounts[st] ?? 0)), h('span', { class: 'count-label' }, st)),
      ),
    );
  }

  function nodeRow(n: LiveNode) {
    const site = sites.get(n.siteId);
    const tr = h(
      'tr',
      { class: n.id === selected ? 'selected' : '', dataset: { nodeId: n.id }, onclick: () => select(n.id) },
      h('td', null, h('a', { href: `/network/${n.id}`, onclick: (e: Event) => (e.preventDefault(), select(n.id)) }, n.name)),
      h('td', null, site?.name ?? '…'),
      h('td', null, badge(n.state, NODE_STATE_COLOURS[n.state], { state: n.state })),
      h('td', { class: 'ago', title: formatUtc(n.lastHeartbeatAt), dataset: { at: n.lastHeartbeatAt ?? '' } }, formatAgo(n.lastHeartbeatAt, serviceNowMs())),
      h('td', { class: 'target' }, n.currentTarget ?? '—'),
      h('td', null, n.weatherOk === null ? '—' : n.weatherOk ? 'ok' : 'bad'),
    );
    return tr;
  }

  function drawTable(s: LiveSnapshot) {
    if (s.nodes.length === 0) {
      replaceChildren(nodeTable, note('No nodes registered yet.'));
      return;
    }
    const t = table(['Node', 'Site', 'State', 'Last heartbeat', 'Current target', 'Weather'], []);
    t.querySelector('tbody')!.append(...s.nodes.map(nodeRow));
    replaceChildren(nodeTable, t);
  }

  function draw() {
    if (!state || disposed) return;
    drawCounts(state);
    if (width > 0) replaceChildren(mapBox, worldMap({ width, sites, nodes: state.nodes, selectedNodeId: selected, onSelect: select }));
    drawTable(state);
  }

  async function loadPlan() {
    if (!selected) return;
    planAbort?.abort();
    planAbort = new AbortController();
    const nodeId = selected;
    const node = state?.nodes.find((n) => n.id === nodeId);
    replaceChildren(planBox, note(`Loading the plan of ${node?.name ?? nodeId}…`, 'loading'));
    try {
      const plan = await getJson<NightPlanView>(`/api/v1/nodes/${encodeURIComponent(nodeId)}/plan`, planAbort.signal);
      if (disposed || selected !== nodeId) return;
      const head = h('p', { class: 'plan-head' }, h('strong', null, node?.name ?? nodeId), ' — ', plan.night ? `night ${formatUtc(plan.night.startUtc)} → ${formatUtcTime(plan.night.endUtc)} UTC` : 'no dark night at this site now');
      if (plan.entries.length === 0) {
        replaceChildren(planBox, head, note('Nothing planned tonight.'));
        return;
      }
      const rows = plan.entries.map((e) => [
        `${formatUtcTime(e.startUtc)}–${formatUtcTime(e.endUtc)}`,
        h('a', { href: `/missions/${e.missionId}` }, e.missionName),
        e.targetName ?? '—',
        e.filter,
        `${e.frameCount} × ${formatDuration(e.exposureS / Math.max(1, e.frameCount))}`,
        `${e.altitudeStartDeg.toFixed(0)}° → ${e.altitudeEndDeg.toFixed(0)}°`,
        e.held ? 'holding now' : '',
      ]);
      replaceChildren(planBox, head, table(['UTC', 'Mission', 'Target', 'Filter', 'Frames', 'Altitude', ''], rows, { class: 'plan-table', dataset: { entries: plan.entries.length } }));
    } catch (err) {
      if ((err as Error).name === 'AbortError' || disposed) return;
      replaceChildren(planBox, errorNote(err, 'plan'));
    }
  }

  const stopResize = onResize(mapBox, (w) => {
    width = w;
    draw();
  });
  const stopLive = ctx.live.subscribe((s) => {
    state = s;
    receivedAt = performance.now();
    const first = sites.size === 0;
    void ctx.sites
      .get(s.nodes.map((n) => n.siteId))
      .then((m) => {
        sites = m;
        draw();
        if (first && selected) void loadPlan();
      })
      .catch((err) => replaceChildren(mapBox, errorNote(err, 'sites')));
    draw();
  });
  // Ages move on even when nothing else does.
  const ticker = setInterval(() => {
    for (const td of nodeTable.querySelectorAll<HTMLElement>('td.ago')) td.textContent = formatAgo(td.dataset.at || null, serviceNowMs());
  }, 5000);
  if (!ctx.live.state) replaceChildren(nodeTable, note('Waiting for the live stream…', 'loading'));

  return () => {
    disposed = true;
    planAbort?.abort();
    clearInterval(ticker);
    stopLive();
    stopResize();
  };
};
