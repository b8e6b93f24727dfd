/**
 * A pool of worker threads for periodograms: the trigonometric sums of one periodogram
 * (chunks of frequency ranges or FFT residues, taken from a shared queue) and bootstrap
 * replicates. Inputs and outputs live in SharedArrayBuffers; results do not depend on the
 * number of threads or on which thread took which chunk.
 *
 * Lifecycle is explicit: `await startPeriodogramPool()` … `await pool.stop()`. A started
 * pool keeps the process alive until stopped.
 *
 * Workers import worker.js next to this file. When the package runs from its TypeScript
 * sources (tests, benchmarks), workers load worker.ts through tsx's loader API instead
 * (a development dependency; start-up then takes a few hundred milliseconds).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BootstrapTask } from './bootstrap.js';
import { TimeseriesError } from './errors.js';
import type { SumsExecutor } from './lombscargle.js';
import { splitJob, sumsLength, type SumsJob } from './sums.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

export interface PoolOptions {
  /** Worker threads (default: the machine's available parallelism). */
  threads?: number;
}

/** Most threads a pool starts. */
export const MAX_THREADS = 256;

/** Chunks of a sums job per thread (finer chunks balance better, coarser ones repeat less set-up). */
const CHUNKS_PER_THREAD = 4;

const BOOT_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let mod;
  try {
    if (workerData.tsxApi) {
      const api = await import(workerData.tsxApi);
      const tsImport = api.tsImport || (api.default && api.default.tsImport);
      mod = await tsImport(workerData.moduleUrl, workerData.moduleUrl);
    } else {
      mod = await import(workerData.moduleUrl);
    }
    mod.serveWorker(parentPort);
  } catch (err) {
    parentPort.postMessage({ type: 'load-error', message: err && err.message ? err.message : String(err) });
    return;
  }
  parentPort.postMessage({ type: 'ready' });
})();
`;

interface Pending {
  remaining: number;
  resolve: () => void;
  reject: (err: Error) => void;
  settled: boolean;
}

/** Where workers find their module: worker.js beside this file, or worker.ts via tsx when running from sources. */
function workerModule(): { moduleUrl: string; tsxApi?: string } {
  const self = import.meta.url;
  if (!self.endsWith('.ts')) return { moduleUrl: new URL('./worker.js', self).href };
  let tsxApi: string;
  try {
    // require.resolve gives the CommonJS entry; the ES module beside it is the one to import.
    const cjs = createRequire(self).resolve('tsx/esm/api');
    const esm = cjs.replace(/\.cjs$/, '.mjs');
    tsxApi = pathToFileURL(existsSync(esm) ? esm : cjs).href;
  } catch {
    throw new TimeseriesError('POOL', 'running from TypeScript sources needs the tsx development dependency for worker threads');
  }
  return { moduleUrl: new URL('./worker.ts', self).href, tsxApi };
}

export class PeriodogramPool implements SumsExecutor {
  private workers: Worker[] = [];
  private pending = new Map<number, Pending>();
  private nextId = 1;
  private state: 'new' | 'running' | 'stopped' | 'broken' = 'new';
  private brokenReason = '';

  private constructor(private readonly threads: number) {}

  /** Starts `threads` workers and waits until every one has loaded its module. */
  static async start(options: PoolOptions = {}): Promise<PeriodogramPool> {
    const threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
      throw new TimeseriesError('BAD_ARGUMENT', `must be an integer in [1, ${MAX_THREADS}], got ${threads}`, { parameter: 'threads' });
    }
    const pool = new PeriodogramPool(threads);
    await pool.boot();
    return pool;
  }

  get size(): number {
    return this.threads;
  }

  private async boot(): Promise<void> {
    const where = workerModule();
    const ready: Array<Promise<void>> = [];
    for (let w = 0; w < this.threads; w++) {
      const worker = new Worker(BOOT_SOURCE, { eval: true, workerData: where });
      this.workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          const onBoot = (msg: { type: string; message?: string }): void => {
            if (msg.type === 'ready') {
              worker.off('message', onBoot);
              worker.on('message', (m: WorkerReply) => this.onReply(m));
              resolve();
            } else if (msg.type === 'load-error') {
              reject(new TimeseriesError('POOL', `worker ${w} could not load ${where.moduleUrl}: ${msg.message}`));
            }
          };
          worker.on('message', onBoot);
          worker.once('error', (err) => {
            reject(new TimeseriesError('POOL', `worker ${w} failed: ${err.message}`));
            this.fail(`worker ${w} failed: ${err.message}`);
          });
          worker.once('exit', (code) => {
            reject(new TimeseriesError('POOL', `worker ${w} exited with code ${code} while starting`));
            if (this.state === 'running') this.fail(`worker ${w} exited with code ${code}`);
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      this.state = 'broken';
      await this.terminateAll();
      throw err;
    }
    this.state = 'running';
  }

  /** The sums of `job`, computed by all workers (each on its share of the units). */
  async computeSums(job: SumsJob): Promise<Float64Array> {
    this.assertRunning();
    const len = sumsLength(job);
    const out = new Float64Array(new SharedArrayBuffer(len * 8));
    const shared: SumsJob = {
      ...job,
      bands: job.bands.map((b) => ({ t: toShared(b.t), w: toShared(b.w), wy: toShared(b.wy) })),
      grid: job.grid instanceof Float64Array ? toShared(job.grid) : job.grid,
    };
    // More chunks than threads, handed out through a shared counter as threads free up.
    const chunks = splitJob(shared, this.threads * CHUNKS_PER_THREAD);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const workers = Math.min(this.threads, chunks.length);
    await this.dispatch(Array.from({ length: workers }, () => ({ kind: 'sums' as const, job: shared, chunks, counter, out })));
    return out;
  }

  /** Bootstrap maxima of `task` for replicates [0, count), split between the workers. */
  async bootstrapMaxima(task: BootstrapTask, count: number): Promise<Float64Array> {
    this.assertRunning();
    const out = new Float64Array(new SharedArrayBuffer(Math.max(1, count) * 8)).subarray(0, count);
    const shared: BootstrapTask = { ...task, t: toShared(task.t), y: toShared(task.y), dy: toShared(task.dy) };
    const parts = Math.min(this.threads, Math.max(1, count));
    const requests = [];
    for (let s = 0; s < parts; s++) {
      const from = Math.floor((count * s) / parts);
      const to = Math.floor((count * (s + 1)) / parts);
      if (to > from) requests.push({ kind: 'bootstrap' as const, task: shared, from, to, out });
    }
    await this.dispatch(requests);
    return out;
  }

  private dispatch(requests: Array<Omit<Extract<WorkerRequest, { kind: 'sums' }>, 'id'> | Omit<Extract<WorkerRequest, { kind: 'bootstrap' }>, 'id'>>): Promise<void> {
    if (requests.length === 0) return Promise.resolve();
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { remaining: requests.length, resolve, reject, settled: false });
      requests.forEach((r, i) => this.workers[i % this.workers.length].postMessage({ ...r, id }));
    });
  }

  private onReply(msg: WorkerReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (msg.type === 'error') {
      if (!p.settled) {
        p.settled = true;
        const code = (msg.code as TimeseriesError['code']) ?? 'POOL';
        p.reject(new TimeseriesError(code, msg.message));
      }
    } else if (--p.remaining > 0) return;
    this.pending.delete(msg.id);
    if (!p.settled) {
      p.settled = true;
      p.resolve();
    }
  }

  private assertRunning(): void {
    if (this.state !== 'running') {
      throw new TimeseriesError('POOL', this.state === 'broken' ? `the pool is broken: ${this.brokenReason}` : `the pool is ${this.state}`);
    }
  }

  private fail(reason: string): void {
    if (this.state === 'stopped') return;
    this.state = 'broken';
    this.brokenReason = reason;
    for (const [id, p] of this.pending) {
      if (!p.settled) {
        p.settled = true;
        p.reject(new TimeseriesError('POOL', reason));
      }
      this.pending.delete(id);
    }
  }

  private async terminateAll(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** Stops the workers; pending work is rejected. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.fail('the pool was stopped');
    this.state = 'stopped';
    await this.terminateAll();
  }
}

export function startPeriodogramPool(options: PoolOptions = {}): Promise<PeriodogramPool> {
  return PeriodogramPool.start(options);
}

function toShared(a: Float64Array): Float64Array {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const s = new Float64Array(new SharedArrayBuffer(Math.max(1, a.length) * 8)).subarray(0, a.length);
  s.set(a);
  return s;
}
