/**
 * The background delivery loop: takes the next due item from the outbox, hands it to
 * `send` with the byte offset the server already has, and marks it sent, or failed (and
 * retried after a backoff), or advanced (a partial, resumable upload). It survives a send
 * that throws (even synchronously), rejects, or hangs (cut off after sendTimeoutMs), and
 * sleeps until the next retry is due or a new item arrives. It stops when `signal` fires.
 */
import type { Clock } from '../../network/clock.js';
import { AgentError, describeError, withDeadline } from '../errors.js';
import { realSleep, type Sleep } from '../devices/time.js';
import type { Outbox, OutboxEntry } from './outbox.js';

export interface Delivery extends OutboxEntry {
  /** The item's bytes (a measurement's JSON text, or the FITS file), SHA-256 checked. */
  payload: Uint8Array;
  /** A measurement's parsed body. */
  body?: unknown;
}

export interface SendContext {
  /** Bytes the server already has: resume from here. */
  offset: number;
  /** Fires when the attempt times out or the uploader stops. */
  signal: AbortSignal;
  /** Record progress durably during a long upload (after the server confirmed it). */
  reportOffset(offset: number): Promise<void>;
}

/** Nothing (or complete: true) when delivered; complete: false with the new offset after a partial upload. */
export type SendResult = void | { complete: true } | { complete: false; offset: number };

export type SendFn = (item: Delivery, ctx: SendContext) => Promise<SendResult>;

export type UploadEvent =
  | { type: 'sent'; id: string; attempts: number }
  | { type: 'failed'; id: string; attempts: number; error: string; retryAt: string }
  | { type: 'partial'; id: string; offset: number }
  | { type: 'corrupt'; id: string; error: string };

export interface UploaderOptions {
  outbox: Outbox;
  send: SendFn;
  clock: Clock;
  signal: AbortSignal;
  /** Waits on clock time (default real time). */
  sleep?: Sleep;
  /** Real ms one attempt may take; default 10 min. */
  sendTimeoutMs?: number;
  /** Clock ms to sleep when the queue is empty (a new item wakes it sooner); default 60 s. */
  idleMs?: number;
  onEvent?: (e: UploadEvent) => void;
}

/**
 * Runs until `signal` fires; never rejects because of a send failure.
 *
 * After a failure the loop pauses until the failed item's retry time, so a server that is
 * down sees one attempt per backoff step, not one per queued item. Once something gets
 * through after two or more failures in a row (the link was down, not just one item
 * bad), the items waiting out their backoffs are made due at once and go in priority
 * order: measurements first, then frames, oldest first.
 */
export async function runUploader(opts: UploaderOptions): Promise<void> {
  const { outbox, send, clock, signal } = opts;
  const sleep = opts.sleep ?? realSleep();
  const sendTimeoutMs = opts.sendTimeoutMs ?? 600_000;
  const idleMs = opts.idleMs ?? 60_000;
  const emit = opts.onEvent ?? (() => undefined);
  let streak = 0;
  let pauseUntil = 0;
  while (!signal.aborted) {
    const now = clock.now().getTime();
    if (now < pauseUntil) {
      await nap(outbox, sleep, pauseUntil - now, signal, false);
      continue;
    }
    const entry = outbox.next();
    if (!entry) {
      const due = outbox.nextDueMs();
      await nap(outbox, sleep, due === undefined ? idleMs : Math.max(0, due - now), signal, true);
      continue;
    }
    const r = await attempt(entry, { outbox, send, signal, sendTimeoutMs, emit });
    if (r.outcome === 'failed') {
      streak++;
      pauseUntil = r.retryMs;
    } else if (r.outcome === 'delivered') {
      if (streak >= 2) outbox.expedite();
      streak = 0;
    }
  }
}

type Attempt = { outcome: 'delivered' } | { outcome: 'failed'; retryMs: number } | { outcome: 'skipped' };

async function attempt(
  entry: OutboxEntry,
  o: { outbox: Outbox; send: SendFn; signal: AbortSignal; sendTimeoutMs: number; emit: (e: UploadEvent) => void },
): Promise<Attempt> {
  const { outbox, emit } = o;
  let payload: Uint8Array;
  try {
    payload = await outbox.read(entry.id);
  } catch (e) {
    emit({ type: 'corrupt', id: entry.id, error: describeError(e) });
    return { outcome: 'skipped' };
  }
  const delivery: Delivery = { ...entry, payload };
  let offset = entry.offset;
  try {
    if (entry.kind === 'measurement') delivery.body = JSON.parse(new TextDecoder().decode(payload));
    const result = await withDeadline(`upload of ${entry.id}`, { timeoutMs: o.sendTimeoutMs, signal: o.signal }, (signal) =>
      o.send(delivery, {
        offset: entry.offset,
        signal,
        reportOffset: async (n) => {
          await outbox.recordOffset(entry.id, n);
          offset = n;
        },
      }),
    );
    if (result && result.complete === false) {
      if (!(Number.isInteger(result.offset) && result.offset > offset && result.offset <= entry.sizeBytes)) {
        throw new AgentError('BAD_ARGUMENT', `partial upload reported offset ${result.offset}, not beyond ${offset}`);
      }
      await outbox.recordOffset(entry.id, result.offset);
      outbox.release(entry.id);
      emit({ type: 'partial', id: entry.id, offset: result.offset });
      return { outcome: 'delivered' };
    }
    await outbox.markSent(entry.id);
    emit({ type: 'sent', id: entry.id, attempts: entry.attempts + 1 });
    return { outcome: 'delivered' };
  } catch (e) {
    if (o.signal.aborted) {
      outbox.release(entry.id);
      return { outcome: 'skipped' };
    }
    try {
      const failed = await outbox.markFailed(entry.id, e);
      emit({ type: 'failed', id: entry.id, attempts: failed.attempts, error: describeError(e), retryAt: new Date(failed.nextAttemptMs).toISOString() });
      return { outcome: 'failed', retryMs: failed.nextAttemptMs };
    } catch (inner) {
      // The item vanished (set aside as corrupt) or the disk failed: leave it for the next turn.
      outbox.release(entry.id);
      emit({ type: 'corrupt', id: entry.id, error: describeError(inner) });
      return { outcome: 'skipped' };
    }
  }
}

/** Sleeps `ms` of clock time, or less if the signal fires (or, with `wakeOnEnqueue`, an item arrives). */
async function nap(outbox: Outbox, sleep: Sleep, ms: number, signal: AbortSignal, wakeOnEnqueue: boolean): Promise<void> {
  const ctl = new AbortController();
  const wake = (): void => ctl.abort();
  const off = wakeOnEnqueue ? outbox.onEnqueue(wake) : () => undefined;
  signal.addEventListener('abort', wake, { once: true });
  try {
    await sleep(ms, ctl.signal);
  } catch {
    /* woken */
  } finally {
    off();
    signal.removeEventListener('abort', wake);
  }
}
