/**
 * The dashboard's end of GET /api/v1/events: a fetch-streamed SSE connection (fetch, not
 * EventSource, so the bearer token can go along), the snapshot it starts from and the
 * diffs applied since, reconnection with back-off when the stream drops. Pages subscribe
 * and re-render from the state they are given.
 */
import { authHeaders } from '../lib/api.js';
import { createSseParser } from './sse.js';
import { applyDiff, withoutSeq, type LiveDiff, type LiveSnapshot } from './state.js';

export type LiveStatus = 'connecting' | 'live' | 'offline';

export interface LiveStore {
  readonly state: LiveSnapshot | null;
  readonly status: LiveStatus;
  /** Called now (if there is a state) and on every change; returns the unsubscribe. */
  subscribe(fn: (state: LiveSnapshot) => void): () => void;
  onStatus(fn: (status: LiveStatus, detail: string) => void): () => void;
  stop(): void;
}

export interface LiveOptions {
  url?: string;
  /** First reconnect delay, ms (the server's `retry:` wins); doubles up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

export function connectLive(opts: LiveOptions = {}): LiveStore {
  const url = opts.url ?? '/api/v1/events';
  const maxRetryMs = opts.maxRetryMs ?? 30_000;
  let state: LiveSnapshot | null = null;
  let status: LiveStatus = 'connecting';
  let stopped = false;
  let controller: AbortController | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let delayMs = opts.retryMs ?? 1000;
  let serverRetryMs: number | undefined;
  const listeners = new Set<(s: LiveSnapshot) => void>();
  const statusListeners = new Set<(s: LiveStatus, detail: string) => void>();

  const setStatus = (s: LiveStatus, detail = '') => {
    status = s;
    for (const fn of statusListeners) fn(s, detail);
  };
  const publish = () => {
    if (state) for (const fn of [...listeners]) fn(state);
  };

  const scheduleReconnect = (detail: string) => {
    if (stopped) return;
    setStatus('offline', detail);
    const wait = Math.max(serverRetryMs ?? 0, delayMs);
    delayMs = Math.min(maxRetryMs, delayMs * 2);
    retryTimer = setTimeout(() => void run(), wait);
  };

  async function run(): Promise<void> {
    if (stopped) return;
    setStatus('connecting');
    controller = new AbortController();
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal, cache: 'no-store' });
    } catch (err) {
      if (!stopped) scheduleReconnect(`cannot reach the service: ${(err as Error).message}`);
      return;
    }
    if (!res.ok || !res.body) {
      let detail = `live updates: HTTP ${res.status}`;
      try {
        const body = (await res.json()) as { message?: string };
        if (body.message) detail = body.message;
      } catch {
        // not JSON
      }
      scheduleReconnect(detail);
      return;
    }
    const parser = createSseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const ev of parser.feed(value)) {
          if (parser.retryMs !== undefined) serverRetryMs = parser.retryMs;
          if (ev.event === 'snapshot') {
            state = withoutSeq(JSON.parse(ev.data) as LiveSnapshot & { seq: number });
            delayMs = opts.retryMs ?? 1000;
            setStatus('live');
            publish();
          } else if (ev.event === 'diff' && state) {
            state = applyDiff(state, withoutSeq(JSON.parse(ev.data) as LiveDiff & { seq: number }));
            publish();
          } else if (ev.event === 'problem') {
            const p = JSON.parse(ev.data) as { message?: string };
            setStatus('live', p.message ?? 'live snapshot failed');
          }
        }
      }
      scheduleReconnect('the live stream ended');
    } catch (err) {
      if (!stopped) scheduleReconnect(`the live stream broke: ${(err as Error).message}`);
    }
  }

  void run();

  return {
    get state() {
      return state;
    },
    get status() {
      return status;
    },
    subscribe(fn) {
      listeners.add(fn);
      if (state) fn(state);
      return () => listeners.delete(fn);
    },
    onStatus(fn) {
      statusListeners.add(fn);
      fn(status, '');
      return () => statusListeners.delete(fn);
    },
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      controller?.abort();
    },
  };
}
