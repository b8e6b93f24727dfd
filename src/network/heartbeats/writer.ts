/**
 * The heartbeat writer: group commit for heartbeats. Requests that arrive while a batch is
 * being written wait, and go together in the next batch — one statement and one commit
 * for all of them (writeHeartbeats). Nothing waits on a timer: an idle writer starts a
 * batch in the same turn of the event loop (setImmediate, so the requests that arrived
 * together are grouped), and under load the batch size grows with the arrival rate.
 *
 * A heartbeat is answered only after its batch committed; a failed batch fails every
 * heartbeat in it with the database's error, and nothing of it stays. At most one
 * heartbeat per node is in flight at a time (a second waits for the next batch), so a
 * node's heartbeats are written in the order they arrived.
 *
 * Explicit lifecycle: startHeartbeatWriter → record … → stop() (refuses new heartbeats,
 * then waits for those already accepted).
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { DbError } from '../../platform/db/errors.js';
import { NetworkError } from '../errors.js';
import {
  checkHeartbeat,
  checkRecordOptions,
  writeHeartbeats,
  type CheckedHeartbeat,
  type HeartbeatInput,
  type HeartbeatAck,
  type RecordHeartbeatOptions,
} from './heartbeats.js';

export interface HeartbeatWriterOptions extends RecordHeartbeatOptions {
  database: { db: Kysely<Schema>; kind?: 'pglite' | 'postgres' };
  /** Most heartbeats in one statement (default 1000). */
  maxBatch?: number;
  /**
   * Batches written at once (default 2 on PostgreSQL — one fills while the other commits;
   * 1 on PGlite, which has a single session).
   */
  maxInFlight?: number;
  /** Defers the start of a batch to the end of this turn of the event loop (tests may pass their own). */
  defer?: (fn: () => void) => void;
}

export interface HeartbeatWriter {
  /**
   * Check and queue a heartbeat; resolves when its batch committed. BAD_REQUEST (at once)
   * for bad input, NOT_FOUND for an unknown node, DbError CLOSED after stop().
   */
  record(nodeId: string, input: HeartbeatInput, now: Date): Promise<HeartbeatAck>;
  /** Heartbeats accepted and not yet answered. */
  readonly pending: number;
  /** Refuse new heartbeats and wait for the accepted ones to be written. Idempotent. */
  stop(): Promise<void>;
}

interface Waiting {
  hb: CheckedHeartbeat;
  resolve: (r: HeartbeatAck) => void;
  reject: (err: unknown) => void;
}

export function startHeartbeatWriter(opts: HeartbeatWriterOptions): HeartbeatWriter {
  const recordOpts = checkRecordOptions(opts);
  const maxBatch = opts.maxBatch ?? 1000;
  const maxInFlight = opts.maxInFlight ?? (opts.database.kind === 'pglite' ? 1 : 2);
  if (!(Number.isInteger(maxBatch) && maxBatch >= 1)) throw new RangeError(`startHeartbeatWriter: maxBatch must be an integer >= 1, got ${maxBatch}`);
  if (!(Number.isInteger(maxInFlight) && maxInFlight >= 1)) throw new RangeError(`startHeartbeatWriter: maxInFlight must be an integer >= 1, got ${maxInFlight}`);
  const defer = opts.defer ?? ((fn: () => void) => void setImmediate(fn));
  const db = opts.database.db;

  let queue: Waiting[] = [];
  /** Nodes with a heartbeat in a batch being written. */
  const writing = new Set<string>();
  let inFlight = 0;
  let scheduled = false;
  let pending = 0;
  let stopped = false;
  let idle: (() => void) | null = null;
  let drained: Promise<void> | null = null;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    defer(() => {
      scheduled = false;
      pump();
    });
  };

  // Start batches while there is room; a node already being written (or twice in the
  // queue) waits for a later batch.
  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch: Waiting[] = [];
      const later: Waiting[] = [];
      const inBatch = new Set<string>();
      for (const w of queue) {
        if (batch.length < maxBatch && !writing.has(w.hb.nodeId) && !inBatch.has(w.hb.nodeId)) {
          batch.push(w);
          inBatch.add(w.hb.nodeId);
        } else later.push(w);
      }
      queue = later;
      if (batch.length === 0) break;
      void write(batch);
    }
  };

  const write = async (batch: Waiting[]) => {
    inFlight++;
    for (const w of batch) writing.add(w.hb.nodeId);
    try {
      const results = await writeHeartbeats(
        db,
        batch.map((w) => w.hb),
        recordOpts,
      );
      batch.forEach((w, i) => {
        const r = results[i];
        if (r) w.resolve(r);
        else w.reject(new NetworkError('NOT_FOUND', `no node with id '${w.hb.nodeId}'`));
      });
    } catch (err) {
      for (const w of batch) w.reject(err);
    } finally {
      inFlight--;
      for (const w of batch) writing.delete(w.hb.nodeId);
      pending -= batch.length;
      if (queue.length > 0) pump();
      if (pending === 0 && idle) idle();
    }
  };

  return {
    record(nodeId, input, now) {
      if (stopped) return Promise.reject(new DbError('CLOSED', 'the heartbeat writer has been stopped'));
      let hb: CheckedHeartbeat;
      try {
        hb = checkHeartbeat(nodeId, input, now);
      } catch (err) {
        return Promise.reject(err);
      }
      return new Promise<HeartbeatAck>((resolve, reject) => {
        queue.push({ hb, resolve, reject });
        pending++;
        schedule();
      });
    },
    get pending() {
      return pending;
    },
    stop() {
      stopped = true;
      drained ??= pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => (idle = resolve));
      return drained;
    },
  };
}
