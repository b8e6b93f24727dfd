/**
 * Missions: each mission's exposure delivered against required (live), and for the one
 * picked its tasks with their nodes, the tasks cut short and the remainders made from
 * them (reassignments), and what each node contributed.
 */
import type { Page } from '../context.js';
import { h, replaceChildren } from '../lib/dom.js';
import { getJson } from '../lib/api.js';
import { MISSION_STATE_COLOURS, TASK_STATE_COLOURS } from '../lib/colors.js';
import { formatDuration, formatExposure, formatUtc } from '../lib/format.js';
import { badge, errorNote, note, panel, progressBar, shortId, table } from '../ui.js';
import type { LiveMission, LiveSnapshot } from '../live/state.js';

interface TaskView {
  id: string;
  parentTaskId: string | null;
  state: string;
  exposureS: number;
  deliveredExposureS: number;
  nodeId: string | null;
  notBefore: string | null;
  notAfter: string | null;
}

interface MissionDetail {
  mission: { id: string; name: string; targetName: string | null; raDeg: number | null; decDeg: number | null; filter: string; subExposureS: number; priority: number; state: string; createdAt: string };
  deliveredExposureS: number;
  requiredExposureS: number;
  remainingExposureS: number;
  fraction: number;
  taskCounts: Record<string, number>;
  tasks: TaskView[];
  nodes: Array<{ nodeId: string; nodeName: string | null; acceptedExposureS: number; acceptedFrames: number; rejectedFrames: number; pendingFrames: number; tasks: number }>;
  partialTasks: Array<{ taskId: string; nodeId: string | null; exposureS: number; deliveredExposureS: number; remainderTaskIds: string[] }>;
  reassignments: number;
}

const TASK_ORDER = ['PENDING', 'LEASED', 'RUNNING', 'DONE', 'PARTIAL', 'CANCELLED'];

function taskChips(tasks: Record<string, number>) {
  return h(
    'span',
    { class: 'task-chips' },
    TASK_ORDER.filter((s) => (tasks[s] ?? 0) > 0).map((s) => h('span', { class: 'chip', style: { borderColor: TASK_STATE_COLOURS[s] }, dataset: { taskState: s } }, `${tasks[s]} ${s.toLowerCase()}`)),
  );
}

export const missionsPage: Page = (root, ctx) => {
  const list = h('div', { class: 'mission-list' });
  const detail = h('div', { class: 'mission-detail' }, note('Pick a mission to see its tasks.'));
  root.appendChild(h('div', { class: 'page-missions' }, panel('Missions', list), panel('Mission', detail)));

  let selected: string | null = ctx.params.id ?? null;
  let lastSeen = '';
  let abort: AbortController | null = null;
  let refetch: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;
  let nodeNames = new Map<string, string>();

  const missionCard = (m: LiveMission) =>
    h(
      'a',
      { class: `mission-card${m.id === selected ? ' selected' : ''}`, href: `/missions/${m.id}`, dataset: { missionId: m.id } },
      h('div', { class: 'mission-head' }, h('strong', { class: 'mission-name' }, m.name), ' ', badge(m.state, MISSION_STATE_COLOURS[m.state] ?? '#888', { missionState: m.state }), h('span', { class: 'muted' }, ` ${m.targetName ?? ''} · ${m.filter} · priority ${m.priority}`)),
      progressBar(m.fraction, formatExposure(m.deliveredExposureS, m.requiredExposureS), MISSION_STATE_COLOURS[m.state]),
      h('div', { class: 'mission-numbers', dataset: { delivered: m.deliveredExposureS, required: m.requiredExposureS } }, `${m.deliveredExposureS} s of ${m.requiredExposureS} s delivered`),
      taskChips(m.tasks),
    );

  function drawList(s: LiveSnapshot) {
    if (s.missions.length === 0) replaceChildren(list, note('No missions yet.'));
    else replaceChildren(list, s.missions.map(missionCard));
  }

  const nodeName = (id: string | null) => (id === null ? '—' : (nodeNames.get(id) ?? shortId(id)));

  async function loadDetail() {
    if (!selected) return;
    abort?.abort();
    abort = new AbortController();
    const id = selected;
    try {
      const d = await getJson<MissionDetail>(`/api/v1/missions/${encodeURIComponent(id)}`, abort.signal);
      if (disposed || id !== selected) return;
      for (const n of d.nodes) if (n.nodeName) nodeNames.set(n.nodeId, n.nodeName);
      const byId = new Map(d.tasks.map((t, i) => [t.id, i + 1]));
      const taskLabel = (tid: string) => `#${byId.get(tid) ?? shortId(tid)}`;
      const m = d.mission;
      replaceChildren(
        detail,
        h('h3', { class: 'detail-title' }, m.name, ' ', badge(m.state, MISSION_STATE_COLOURS[m.state] ?? '#888')),
        h('p', { class: 'muted' }, `${m.targetName ?? 'field'}${m.raDeg !== null ? ` (RA ${m.raDeg.toFixed(4)}°, Dec ${m.decDeg!.toFixed(4)}°)` : ''} · filter ${m.filter} · sub-exposures ${formatDuration(m.subExposureS)} · created ${formatUtc(m.createdAt)}`),
        progressBar(d.fraction, formatExposure(d.deliveredExposureS, d.requiredExposureS)),
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'Delivered'),
          h('dd', { dataset: { field: 'delivered' } }, `${d.deliveredExposureS} s`),
          h('dt', null, 'Required'),
          h('dd', { dataset: { field: 'required' } }, `${d.requiredExposureS} s`),
          h('dt', null, 'Remaining'),
          h('dd', { dataset: { field: 'remaining' } }, `${d.remainingExposureS} s`),
          h('dt', null, 'Reassignments'),
          h('dd', { dataset: { field: 'reassignments' } }, String(d.reassignments)),
        ),
        h('h4', null, 'Tasks'),
        table(
          ['Task', 'State', 'Node', 'Delivered', 'Exposure', 'Window', 'Remainder of'],
          d.tasks.map((t, i) => [
            `#${i + 1}`,
            badge(t.state, TASK_STATE_COLOURS[t.state] ?? '#888', { taskState: t.state }),
            nodeName(t.nodeId),
            progressBar(t.exposureS > 0 ? t.deliveredExposureS / t.exposureS : 0, formatExposure(t.deliveredExposureS, t.exposureS), TASK_STATE_COLOURS[t.state]),
            `${t.exposureS} s`,
            t.notBefore ? `${formatUtc(t.notBefore)} → ${t.notAfter ? formatUtc(t.notAfter) : '…'}` : 'any time',
            t.parentTaskId ? taskLabel(t.parentTaskId) : '',
          ]),
          { class: 'task-table', dataset: { tasks: d.tasks.length } },
        ),
        h('h4', null, 'Cut short'),
        d.partialTasks.length === 0
          ? note('No task was cut short.')
          : table(
              ['Task', 'Node', 'Delivered', 'Remainder'],
              d.partialTasks.map((p) => [taskLabel(p.taskId), nodeName(p.nodeId), `${p.deliveredExposureS} s of ${p.exposureS} s`, p.remainderTaskIds.length ? p.remainderTaskIds.map(taskLabel).join(', ') : '—']),
              { class: 'partial-table' },
            ),
        h('h4', null, 'Nodes'),
        d.nodes.length === 0
          ? note('No node has worked on it yet.')
          : table(
              ['Node', 'Accepted', 'Frames', 'Rejected', 'Pending', 'Tasks'],
              d.nodes.map((n) => [n.nodeName ?? shortId(n.nodeId), formatDuration(n.acceptedExposureS), String(n.acceptedFrames), String(n.rejectedFrames), String(n.pendingFrames), String(n.tasks)]),
              { class: 'contrib-table' },
            ),
      );
    } catch (err) {
      if ((err as Error).name === 'AbortError' || disposed) return;
      replaceChildren(detail, errorNote(err, 'mission'));
    }
  }

  const stop = ctx.live.subscribe((s) => {
    nodeNames = new Map([...nodeNames, ...s.nodes.map((n) => [n.id, n.name] as [string, string])]);
    drawList(s);
    if (!selected && s.missions.length > 0) {
      selected = s.missions[0].id;
      drawList(s);
    }
    // Refetch the detail when its live summary moves (debounced: frames arrive in bursts).
    const m = s.missions.find((x) => x.id === selected);
    const seen = m ? JSON.stringify(m) : '';
    if (seen !== lastSeen) {
      lastSeen = seen;
      if (refetch) clearTimeout(refetch);
      refetch = setTimeout(() => void loadDetail(), 300);
    }
  });
  if (!ctx.live.state) replaceChildren(list, note('Waiting for the live stream…', 'loading'));
  if (selected) void loadDetail();

  return () => {
    disposed = true;
    abort?.abort();
    if (refetch) clearTimeout(refetch);
    stop();
  };
};
