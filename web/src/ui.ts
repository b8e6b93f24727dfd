/** Small shared widgets: panels, badges, progress bars, tables, error and empty notes. */
import { h, type Child } from './lib/dom.js';
import { ApiError } from './lib/api.js';
import { formatPercent } from './lib/format.js';

export function panel(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'panel' }, h('h2', null, title), ...children);
}

export function badge(text: string, colour: string, attrs: Record<string, string> = {}): HTMLElement {
  return h('span', { class: 'badge', style: { background: colour }, dataset: attrs }, text);
}

/** A progress bar with its label; `fraction` 0 … 1. */
export function progressBar(fraction: number, label: string, colour = '#2f6fd6'): HTMLElement {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  return h(
    'div',
    { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': String(Math.round(f * 100)), dataset: { fraction: String(f) } },
    h('div', { class: 'progress-fill', style: { width: `${(f * 100).toFixed(2)}%`, background: colour } }),
    h('span', { class: 'progress-label' }, `${label} (${formatPercent(f)})`),
  );
}

export function table(headers: string[], rows: Child[][], attrs: Record<string, unknown> = {}): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', attrs, h('thead', null, h('tr', null, headers.map((t) => h('th', null, t)))), h('tbody', null, rows.map((r) => h('tr', null, r.map((c) => h('td', null, c)))))),
  );
}

export function note(text: string, kind: 'empty' | 'error' | 'loading' = 'empty'): HTMLElement {
  return h('p', { class: `note note-${kind}` }, text);
}

/** What to show when a request failed: 404 is "not there yet", the rest an error with its code. */
export function errorNote(err: unknown, what: string): HTMLElement {
  if (err instanceof ApiError && err.status === 404) return note(`No ${what} for this yet.`, 'empty');
  if (err instanceof ApiError) return note(`${what}: ${err.message} (${err.code})`, 'error');
  return note(`${what}: ${(err as Error).message ?? String(err)}`, 'error');
}

export function shortId(id: string | null): string {
  return id === null ? '—' : id.slice(0, 8);
}
