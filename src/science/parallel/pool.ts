/**
 * A general pool of worker threads for the heavy, pure kernels of the science library
 * (reprojection bands, co-addition tiles, ...). A task names an ES module, one of its
 * exported functions and the arguments (structured-cloneable); functions cannot travel
 * between threads, so every worker imports the module itself (once, then cached).
 *
 * - `createPool({ workers })`, then `await pool.start()` … `await pool.stop()`; a started
 *   pool keeps the process alive until stopped.
 * - `workers: 0` runs tasks in-process on the calling thread (tests, one-core machines):
 *   same code path for the caller, results identical.
 * - Tasks run in FIFO order, one per worker at a time. `transfer` lists ArrayBuffers moved
 *   (not copied) to the worker — the caller's views of them become empty (in worker mode
 *   only). ArrayBuffers in a task's result are moved back the same way.
 * - A task that throws rejects with a TaskError carrying the worker's message, error name
 *   and `code`; the worker stays. A worker that dies (uncaught error, exit) rejects its
 *   task with PoolError WORKER_CRASHED and is replaced.
 *
 * Worker modules may be TypeScript when running on the sources: the worker entry (plain
 * .mjs, see worker-entry.mjs) registers tsx for modules ending in `.ts`.
 */
import { availableParallelism } from 'node:os';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export type PoolErrorCode = 'BAD_ARGUMENT' | 'NOT_RUNNING' | 'STOPPED' | 'WORKER_CRASHED';

export class PoolError extends Error {
  override readonly name = 'PoolError';
  readonly code: PoolErrorCode;
  constructor(code: PoolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** An error thrown by a task inside a worker: its message, name, code and location are kept. */
export class TaskError extends Error {
  /** The original error's name (e.g. 'ImageError'). */
  readonly remoteName: string;
  readonly code: string | undefined;
  readonly location: Record<string, unknown> | undefined;
  constructor(remote: RemoteError) {
    super(remote.message);
    this.remoteName = remote.name;
    this.name = remote.name;
    this.code = remote.code;
    this.location = remote.location;
    if (remote.stack) this.stack = remote.stack;
  }
}

interface RemoteError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  location?: Record<string, unknown>;
}

export interface Task {
  /** Absolute path or URL (file:) of the ES module exporting `fn`. */
  module: string | URL;
  /** Name of the exported function, called as fn(...args) (may return a promise). */
  fn: string;
  args: unknown[];
  /** ArrayBuffers to move to the worker instead of copying. */
  transfer?: ArrayBuffer[];
}

export interface Pool {
  /** Number of worker threads (0: in-process). */
  readonly size: number;
  start(): Promise<void>;
  run(task: Task): Promise<unknown>;
  /** Terminates the workers; queued and running tasks reject with STOPPED. Idempotent. */
  stop(): Promise<void>;
}

export interface PoolOptions {
  /** Worker threads; 0 runs tasks in-process. */
  workers: number;
  /** Node options for the workers (default: inherit the parent's). */
  execArgv?: string[];
}

/** Most worker threads a pool will start. */
export const MAX_WORKERS = 256;

/** A sensible default thread count: the CPUs this process may use. */
export function defaultThreads(): number {
  return availableParallelism();
}

const ENTRY = new URL('./worker-entry.mjs', import.meta.url);

interface Job {
  id: number;
  moduleUrl: string;
  fn: string;
  args: unknown[];
  transfer: ArrayBuffer[];
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  job: Job | null;
  dead: boolean;
}

type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: RemoteError };

export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (/^(file|data):/.test(module)) return module;
  if (!isAbsolute(module)) throw new PoolError('BAD_ARGUMENT', `task module must be an absolute path or a URL, got '${module}'`);
  return pathToFileURL(module).href;
}

class WorkerPool implements Pool {
  readonly size: number;
  private readonly execArgv: string[] | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private slots: Slot[] = [];
  private queue: Job[] = [];
  private nextId = 0;

  constructor(opts: PoolOptions) {
    const n = opts.workers;
    if (!Number.isInteger(n) || n < 0 || n > MAX_WORKERS) throw new PoolError('BAD_ARGUMENT', `workers must be an integer in [0, ${MAX_WORKERS}], got ${n}`);
    this.size = n;
    this.execArgv = opts.execArgv;
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new PoolError('NOT_RUNNING', `pool cannot be started: it is ${this.state}`);
    this.state = 'running';
    const online: Promise<void>[] = [];
    for (let w = 0; w < this.size; w++) {
      const slot = this.spawn();
      online.push(new Promise<void>((res, rej) => {
        slot.worker.once('online', res);
        slot.worker.once('error', rej);
      }));
    }
    try {
      await Promise.all(online);
    } catch (err) {
      await this.stop();
      throw new PoolError('WORKER_CRASHED', `worker failed to start: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  run(task: Task): Promise<unknown> {
    if (this.state !== 'running') return Promise.reject(new PoolError('NOT_RUNNING', this.state === 'new' ? 'pool is not started; call start() first' : 'pool is stopped'));
    let url: string;
    try {
      url = moduleUrl(task.module);
    } catch (e) {
      return Promise.reject(e);
    }
    if (this.size === 0) return this.runInProcess(url, task);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: ++this.nextId, moduleUrl: url, fn: task.fn, args: task.args, transfer: task.transfer ?? [], resolve, reject });
      this.dispatch();
    });
  }

  private async runInProcess(url: string, task: Task): Promise<unknown> {
    const mod = (await import(url)) as Record<string, unknown>;
    const f = mod[task.fn];
    if (typeof f !== 'function') throw new TaskError({ name: 'Error', message: `${url} has no exported function '${task.fn}'` });
    return (f as (...a: unknown[]) => unknown)(...task.args);
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    const stopped = new PoolError('STOPPED', 'pool stopped');
    for (const job of this.queue.splice(0)) job.reject(stopped);
    const slots = this.slots;
    this.slots = [];
    for (const s of slots) {
      s.dead = true;
      s.job?.reject(stopped);
      s.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(ENTRY, this.execArgv ? { execArgv: this.execArgv } : {});
    const slot: Slot = { worker, job: null, dead: false };
    worker.on('message', (m: Reply) => this.onReply(slot, m));
    worker.on('error', (err) => this.onCrash(slot, `uncaught error: ${err.message}`));
    worker.on('exit', (code) => this.onCrash(slot, `exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  private onReply(slot: Slot, m: Reply): void {
    const job = slot.job;
    if (!job || job.id !== m.id) return;
    slot.job = null;
    if (m.ok) job.resolve(m.result);
    else job.reject(new TaskError(m.error));
    this.dispatch();
  }

  private onCrash(slot: Slot, why: string): void {
    if (slot.dead) return;
    slot.dead = true;
    this.slots = this.slots.filter((s) => s !== slot);
    const job = slot.job;
    slot.job = null;
    void slot.worker.terminate();
    job?.reject(new PoolError('WORKER_CRASHED', `worker ${why} while running ${job.fn} from ${job.moduleUrl}`));
    if (this.state === 'running') {
      this.spawn();
      this.dispatch();
    }
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job || slot.dead) continue;
      const job = this.queue.shift() as Job;
      slot.job = job;
      try {
        slot.worker.postMessage({ id: job.id, module: job.moduleUrl, fn: job.fn, args: job.args }, job.transfer);
      } catch (err) {
        // Not cloneable: the task fails, the worker stays free.
        slot.job = null;
        job.reject(new PoolError('BAD_ARGUMENT', `cannot send the task to a worker: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
  }
}

/** Creates a pool (not started). */
export function createPool(opts: PoolOptions): Pool {
  return new WorkerPool(opts);
}

/** Runs `fn(pool)` with a started pool of `workers` threads, stopping it afterwards. */
export async function withPool<T>(workers: number, fn: (pool: Pool) => Promise<T>): Promise<T> {
  const pool = createPool({ workers });
  await pool.start();
  try {
    return await fn(pool);
  } finally {
    await pool.stop();
  }
}
