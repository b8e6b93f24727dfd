/**
 * A pool of worker threads that evaluates a log-probability over batches of positions —
 * one batch per half-ensemble step. The function lives in an ES module that every worker
 * imports (functions cannot be sent between threads): either an export called `logProb`
 * (or `exportName`), or a `factory` export called once per worker with `init` (any
 * structured-cloneable data, e.g. the observations) that returns the function.
 *
 * Positions and results travel through SharedArrayBuffers; a batch is split into one
 * contiguous chunk per worker. Results do not depend on the number of workers, so a run
 * with a pool is identical to one without.
 *
 * With `workers: 0` the module is imported in-process and batches run synchronously on
 * the calling thread (for tests and for machines with one core).
 *
 * Lifecycle is explicit: `await pool.start()` … `await pool.stop()`; a started pool keeps
 * the process alive until stopped.
 *
 * Worker modules must be plain JavaScript for Node, or TypeScript when the process runs
 * under a loader that workers inherit (e.g. tsx: workers get the parent's execArgv unless
 * `execArgv` is given).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BatchEvaluator, LogProbFn } from './ensemble.js';
import { InferenceError } from './errors.js';

export interface PoolOptions {
  /** Path (relative to the working directory) or file URL of the ES module to import. */
  module: string | URL;
  /** Export holding the log-probability (default 'logProb'); ignored when `factory` is set. */
  exportName?: string;
  /** Export called as `factory(init)` (may be async) returning the log-probability. */
  factory?: string;
  /** Data passed to `factory` in every worker (structured-cloneable). */
  init?: unknown;
  /** Number of worker threads; 0 evaluates in-process. */
  workers: number;
  /** Node options for the workers (default: inherit the parent's). */
  execArgv?: string[];
}

/** Most worker threads a pool will start. */
export const MAX_WORKERS = 256;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  let fn;
  try {
    const mod = await import(workerData.moduleUrl);
    fn = workerData.factory ? await mod[workerData.factory](workerData.init) : mod[workerData.exportName];
    if (typeof fn !== 'function') throw new Error('export ' + (workerData.factory || workerData.exportName) + ' is not a function' + (workerData.factory ? ' (factory must return the log-probability)' : ''));
  } catch (err) {
    parentPort.postMessage({ type: 'load-error', message: err && err.message ? err.message : String(err) });
    return;
  }
  let pos = null;
  let out = null;
  let x = null;
  parentPort.on('message', (msg) => {
    if (msg.type === 'buffers') {
      pos = new Float64Array(msg.positions);
      out = new Float64Array(msg.out);
      return;
    }
    const { id, start, end, nDim } = msg;
    if (x === null || x.length !== nDim) x = new Float64Array(nDim);
    let i = start;
    try {
      for (; i < end; i++) {
        const o = i * nDim;
        for (let d = 0; d < nDim; d++) x[d] = pos[o + d];
        out[i] = fn(x);
      }
      parentPort.postMessage({ type: 'done', id });
    } catch (err) {
      parentPort.postMessage({ type: 'error', id, index: i, message: err && err.message ? err.message : String(err) });
    }
  });
  parentPort.postMessage({ type: 'ready' });
})();
`;

interface Pending {
  remaining: number;
  resolve: () => void;
  reject: (err: Error) => void;
  error: Error | null;
  /** Set when the pool broke (a worker died): the batch was rejected already. */
  failed: boolean;
}

type WorkerMessage =
  | { type: 'ready' }
  | { type: 'load-error'; message: string }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; index: number; message: string };

export class LogProbPool implements BatchEvaluator {
  private readonly options: PoolOptions;
  private readonly moduleUrl: string;
  private workers: Worker[] = [];
  private fn: LogProbFn | null = null;
  private row = new Float64Array(0);
  private sharedPos: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private sharedOut: Float64Array<ArrayBufferLike> = new Float64Array(0);
  private state: 'new' | 'starting' | 'running' | 'stopped' | 'broken' = 'new';
  private brokenReason = '';
  private pending: Pending | null = null;
  private batchId = 0;

  constructor(options: PoolOptions) {
    const n = options.workers;
    if (!Number.isInteger(n) || n < 0 || n > MAX_WORKERS) {
      throw new InferenceError('BAD_ARGUMENT', `workers must be an integer in [0, ${MAX_WORKERS}], got ${n}`, { field: 'workers' });
    }
    if (options.module === undefined || options.module === '') throw new InferenceError('BAD_ARGUMENT', 'module is required', { field: 'module' });
    this.options = options;
    const m = options.module;
    this.moduleUrl = m instanceof URL ? m.href : m.startsWith('file:') ? m : pathToFileURL(resolve(m)).href;
  }

  /** Number of worker threads (0: in-process). */
  get size(): number {
    return this.options.workers;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new InferenceError('POOL', `pool cannot be started: it is ${this.state}`);
    this.state = 'starting';
    const exportName = this.options.exportName ?? 'logProb';
    if (this.options.workers === 0) {
      try {
        const mod = (await import(this.moduleUrl)) as Record<string, unknown>;
        const f = this.options.factory
          ? await (mod[this.options.factory] as (init: unknown) => unknown)(this.options.init)
          : mod[exportName];
        if (typeof f !== 'function') throw new Error(`export ${this.options.factory ?? exportName} is not a function`);
        this.fn = f as LogProbFn;
      } catch (err) {
        this.state = 'broken';
        throw new InferenceError('POOL', `cannot load the log-probability from ${this.moduleUrl}: ${err instanceof Error ? err.message : String(err)}`);
      }
      this.state = 'running';
      return;
    }
    const ready: Promise<void>[] = [];
    for (let w = 0; w < this.options.workers; w++) {
      const worker = new Worker(WORKER_SOURCE, {
        eval: true,
        workerData: { moduleUrl: this.moduleUrl, exportName, factory: this.options.factory, init: this.options.init },
        ...(this.options.execArgv ? { execArgv: this.options.execArgv } : {}),
      });
      this.workers.push(worker);
      ready.push(
        new Promise<void>((res, rej) => {
          const onMessage = (msg: WorkerMessage) => {
            if (msg.type === 'ready') {
              worker.off('message', onMessage);
              worker.on('message', (m: WorkerMessage) => this.onWorkerMessage(w, m));
              res();
            } else if (msg.type === 'load-error') {
              rej(new InferenceError('POOL', `cannot load the log-probability from ${this.moduleUrl}: ${msg.message}`, { worker: w }));
            }
          };
          worker.on('message', onMessage);
          worker.once('error', (err) => {
            rej(new InferenceError('POOL', `worker failed: ${err.message}`, { worker: w }));
            this.fail(`worker ${w} failed: ${err.message}`);
          });
          worker.once('exit', (code) => {
            rej(new InferenceError('POOL', `worker exited with code ${code} while starting`, { worker: w }));
            if (this.state === 'running' || this.state === 'starting') this.fail(`worker ${w} exited with code ${code}`);
          });
        }),
      );
    }
    try {
      await Promise.all(ready);
    } catch (err) {
      await this.terminateAll();
      this.state = 'broken';
      throw err;
    }
    this.state = 'running';
  }

  /** Evaluates rows [0, count) of `positions` (nDim each) into `out`. One batch at a time. */
  evaluate(positions: Float64Array, count: number, nDim: number, out: Float64Array): void | Promise<void> {
    if (this.state !== 'running') {
      throw new InferenceError('POOL', this.state === 'broken' ? `pool is broken: ${this.brokenReason}` : `pool is ${this.state}; call start() first`);
    }
    if (this.fn) {
      const fn = this.fn;
      if (this.row.length !== nDim) this.row = new Float64Array(nDim);
      const x = this.row;
      for (let i = 0; i < count; i++) {
        const o = i * nDim;
        for (let d = 0; d < nDim; d++) x[d] = positions[o + d];
        try {
          out[i] = fn(x);
        } catch (err) {
          throw new InferenceError('LOG_PROB_FAILED', `log-probability threw: ${err instanceof Error ? err.message : String(err)}`, { walker: i });
        }
      }
      return;
    }
    return this.evaluateInWorkers(positions, count, nDim, out);
  }

  private async evaluateInWorkers(positions: Float64Array, count: number, nDim: number, out: Float64Array): Promise<void> {
    if (this.pending) throw new InferenceError('POOL', 'a batch is already running; evaluate batches one at a time');
    if (count === 0) return;
    this.ensureCapacity(count, nDim);
    this.sharedPos.set(positions.subarray(0, count * nDim));
    const nw = Math.min(this.workers.length, count);
    const id = ++this.batchId;
    const done = new Promise<void>((res, rej) => {
      this.pending = { remaining: nw, resolve: res, reject: rej, error: null, failed: false };
    });
    // Contiguous, near-equal chunks: the first (count mod nw) workers take one extra row.
    const base = Math.floor(count / nw);
    const extra = count % nw;
    let start = 0;
    for (let w = 0; w < nw; w++) {
      const end = start + base + (w < extra ? 1 : 0);
      this.workers[w].postMessage({ type: 'run', id, start, end, nDim });
      start = end;
    }
    try {
      await done;
    } finally {
      this.pending = null;
    }
    out.set(this.sharedOut.subarray(0, count));
  }

  private ensureCapacity(count: number, nDim: number): void {
    if (this.sharedPos.length >= count * nDim && this.sharedOut.length >= count) return;
    let rows = 16;
    while (rows < count) rows *= 2;
    const positions = new SharedArrayBuffer(rows * nDim * 8);
    const outBuf = new SharedArrayBuffer(rows * 8);
    this.sharedPos = new Float64Array(positions);
    this.sharedOut = new Float64Array(outBuf);
    for (const w of this.workers) w.postMessage({ type: 'buffers', positions, out: outBuf });
  }

  private onWorkerMessage(w: number, msg: WorkerMessage): void {
    const p = this.pending;
    if (!p || (msg.type !== 'done' && msg.type !== 'error') || msg.id !== this.batchId) return;
    if (msg.type === 'error' && !p.error) {
      p.error = new InferenceError('LOG_PROB_FAILED', `log-probability threw in a worker: ${msg.message}`, { worker: w, walker: msg.index });
    }
    // Settle only when every worker of the batch is idle again, so a failed batch never
    // overlaps the next one in the shared buffers.
    if (--p.remaining === 0) {
      if (p.error) p.reject(p.error);
      else p.resolve();
    }
  }

  private fail(reason: string): void {
    if (this.state === 'stopped') return;
    this.state = 'broken';
    this.brokenReason = reason;
    if (this.pending && !this.pending.failed) {
      this.pending.failed = true;
      this.pending.reject(new InferenceError('POOL', reason));
    }
  }

  private async terminateAll(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(ws.map((w) => w.terminate()));
  }

  /** Terminates the workers. Safe to call more than once. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.fn = null;
    await this.terminateAll();
  }
}

/** Creates and starts a pool. */
export async function startPool(options: PoolOptions): Promise<LogProbPool> {
  const pool = new LogProbPool(options);
  await pool.start();
  return pool;
}
