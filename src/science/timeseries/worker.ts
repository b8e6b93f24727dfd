/**
 * The worker side of a PeriodogramPool: each worker thread imports this module and calls
 * `serveWorker` on its port. Requests carry SharedArrayBuffer-backed arrays, so data and
 * results are shared, not copied; each request names the units it must compute.
 */
import type { MessagePort } from 'node:worker_threads';
import { bootstrapReplicates, type BootstrapTask } from './bootstrap.js';
import { runUnits, type SumsJob, type SumsUnit } from './sums.js';
import type { FastScratch } from './trig-sums.js';

export type WorkerRequest =
  | { id: number; kind: 'sums'; job: SumsJob; units: SumsUnit[]; out: Float64Array }
  | { id: number; kind: 'bootstrap'; task: BootstrapTask; from: number; to: number; out: Float64Array };

export type WorkerReply = { id: number; type: 'done' } | { id: number; type: 'error'; message: string; code?: string };

/** Minimal port interface (a worker's parentPort). */
type Port = Pick<MessagePort, 'on' | 'postMessage'>;

export function serveWorker(port: Port): void {
  const scratch: { fast?: FastScratch } = {};
  port.on('message', (msg: WorkerRequest) => {
    try {
      if (msg.kind === 'sums') runUnits(msg.job, msg.units, msg.out, scratch);
      else bootstrapReplicates(msg.task, msg.from, msg.to, msg.out);
      port.postMessage({ id: msg.id, type: 'done' } satisfies WorkerReply);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id: msg.id, type: 'error', message: e?.message ?? String(err), code: e?.code } satisfies WorkerReply);
    }
  });
}
