/**
 * Jobs: queue depths per state (live), the jobs running now with their progress (live),
 * and the failures — dead letters — with the reason each failed.
 */
import type { Page } from '../context.js';
import { h, replaceChildren } from '../lib/dom.js';
import { getJson, listOf } from '../lib/api.js';
import { formatUtc } from '../lib/format.js';
import { errorNote, note, panel, progressBar, shortId, table } from '../ui.js';
import type { LiveSnapshot } from '../live/state.js';

const STATES = ['queued', 'active', 'retry', 'completed', 'failed'] as const;

interface FailedJob {
  id: string;
  queue: string;
  stage: string;
  input: Record<string, unknown>;
  attempts: number;
  maxAttempts: number;
  error: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export const jobsPage: Page = (root, ctx) => {
  const depths = h('div', { class: 'queue-depths' });
  const running = h('div', { class: 'running-jobs' });
  const failures = h('div', { class: 'failed-jobs' });
  root.appendChild(h('div', { class: 'page-jobs' }, panel('Queues', depths), panel('Running', running), panel('Failures', failures)));

  let failedTotal = -1;
  let disposed = false;
  let abort: AbortController | null = null;

  function drawDepths(s: LiveSnapshot) {
    const queues = Object.keys(s.queues);
    const maxWaiting = Math.max(1, ...queues.map((q) => (s.queues[q].queued ?? 0) + (s.queues[q].retry ?? 0)));
    replaceChildren(
      depths,
      table(
        ['Queue', ...STATES, 'Waiting'],
        queues.map((q) => {
          const d = s.queues[q];
          const waiting = (d.queued ?? 0) + (d.retry ?? 0);
          return [
            h('strong', null, q),
            ...STATES.map((st) => h('span', { class: `depth depth-${st}${(d[st] ?? 0) > 0 ? ' nonzero' : ''}`, dataset: { queue: q, state: st } }, String(d[st] ?? 0))),
            h('div', { class: 'bar' }, h('div', { class: 'bar-fill', style: { width: `${(100 * waiting) / maxWaiting}%` } })),
          ];
        }),
        { class: 'depth-table' },
      ),
    );
  }

  function drawRunning(s: LiveSnapshot) {
    if (s.running.length === 0) {
      replaceChildren(running, note('Nothing running.'));
      return;
    }
    replaceChildren(
      running,
      table(
        ['Stage', 'Queue', 'Progress', 'Attempt', 'Started'],
        s.running.map((j) => [
          h('strong', null, j.stage),
          j.queue,
          h('div', { dataset: { jobId: j.id } }, progressBar(j.progress, j.message ?? j.stage)),
          `${j.attempts} of ${j.maxAttempts}`,
          formatUtc(j.startedAt),
        ]),
        { class: 'running-table' },
      ),
    );
  }

  async function loadFailures() {
    abort?.abort();
    abort = new AbortController();
    try {
      const body = await getJson<unknown>('/api/v1/jobs?state=failed&limit=50', abort.signal);
      if (disposed) return;
      const jobs = listOf<FailedJob>(body, 'jobs');
      if (jobs.length === 0) {
        replaceChildren(failures, note('No failures.'));
        return;
      }
      replaceChildren(
        failures,
        table(
          ['Stage', 'Queue', 'Reason', 'Attempts', 'Input', 'Failed at'],
          jobs.map((j) => [
            h('strong', null, j.stage),
            j.queue,
            h('span', { class: 'fail-reason' }, j.error ?? 'no reason recorded'),
            `${j.attempts} of ${j.maxAttempts}`,
            h('code', null, Object.entries(j.input).map(([k, v]) => `${k}=${typeof v === 'string' && v.length > 12 ? shortId(v) : JSON.stringify(v)}`).join(' ')),
            formatUtc(j.finishedAt ?? j.updatedAt),
          ]),
          { class: 'failed-table', dataset: { failures: jobs.length } },
        ),
      );
    } catch (err) {
      if ((err as Error).name === 'AbortError' || disposed) return;
      replaceChildren(failures, errorNote(err, 'failures'));
    }
  }

  const stop = ctx.live.subscribe((s) => {
    drawDepths(s);
    drawRunning(s);
    const total = Object.values(s.queues).reduce((n, d) => n + (d.failed ?? 0), 0);
    if (total !== failedTotal) {
      failedTotal = total;
      void loadFailures();
    }
  });
  if (!ctx.live.state) {
    replaceChildren(depths, note('Waiting for the live stream…', 'loading'));
    void loadFailures();
  }
  return () => {
    disposed = true;
    abort?.abort();
    stop();
  };
};
