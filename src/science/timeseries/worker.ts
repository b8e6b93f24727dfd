/**
 * The worker side of a PeriodogramPool: each worker thread imports this module and calls
 * `serveWorker` on its port. Requests carry SharedArrayBuffer-backed arrays, so data and
 * results are shared, not copied; each request names the units it must compute.
 */
import type { MessagePort } from 'node:worker_threads';
import { bootstrapReplicates, type BootstrapTask } from './bootstrap.js';
import { runUnits, type SumsJob, type SumsScratch, type SumsUnit } from './sums.js';

export type WorkerRequest =
  /** Takes chunks[i] for i = Atomics.add(counter, 0, 1) until none are left. */
  | { id: number; kind: 'sums'; job: SumsJob; chunks: SumsUnit[][]; counter: Int32Array; out: Float64Array }
  | { id: number; kind: 'bootstrap'; task: BootstrapTask; from: number; to: number; out: Float64Array };

export type WorkerReply = { id: number; type: 'done' } | { id: number; type: 'error'; message: string; code?: string };

/** Minimal port interface (a worker's parentPort). */
type Port = Pick<MessagePort, 'on' | 'postMessage'>;

export function serveWorker(port: Port): void {
  const scratch: SumsScratch = {};
  port.on('message', (msg: WorkerRequest) => {
    try {
      if (msg.kind === 'sums') {
        // A dynamic queue: a thread slowed down by other load simply takes fewer chunks.
        for (let i = Atomics.add(msg.counter, 0, 1); i < msg.chunks.length; i = Atomics.add(msg.counter, 0, 1)) {
          runUnits(msg.job, msg.chunks[i], msg.out, scratch);
        }
        scratch.extirpolated = undefined;
      } else bootstrapReplicates(msg.task, msg.from, msg.to, msg.out);
      port.postMessage({ id: msg.id, type: 'done' } satisfies WorkerReply);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      port.postMessage({ id: msg.id, type: 'error', message: e?.message ?? String(err), code: e?.code } satisfies WorkerReply);
    }
  });
}
