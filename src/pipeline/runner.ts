/**
 * The pipeline runner: serves the chosen queues with the given stage handlers.
 *
 * Each pg-boss job carries {stage, input, ledgerId}. For every attempt the runner marks
 * the ledger row active (attempt = pg-boss retryCount + 1), gives the handler a context
 * with a throttled `progress(fraction, message)`, and records the outcome: completed, or
 * the error with state 'retry' (pg-boss retries with exponential backoff, per the stage's
 * policy) or 'failed' after the last retry (the dead letter). A worker that dies mid-job
 * leaves the job active in pg-boss until its expireIn passes; pg-boss maintenance then
 * fails it by timeout and retries it — this runner runs that maintenance every
 * `maintenanceIntervalS` so recovery does not wait for pg-boss's 2-minute default.
 *
 * Lifecycle: `startPipeline` → `stop()` (stops fetching, waits for running handlers up to
 * `stopTimeoutMs`; a handler still running then is left to pg-boss's expiry).
 */
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type { Database } from '../platform/db/database.js';
import type { Jobs, QueueName } from '../platform/jobs/index.js';
import { isQueueName, QUEUES } from '../platform/jobs/index.js';
import type { Clock } from '../network/clock.js';
import type { ObjectStoreLike } from '../server/context.js';
import { PipelineError } from './errors.js';
import { enqueueStage } from './enqueue.js';
import { markCompleted, markFailed, markProgress, markStarted } from './ledger.js';
import {
  isStageName,
  stagesOnQueue,
  STAGES,
  type StageContext,
  type StageHandler,
  type StageHandlers,
  type StageJobData,
  type StageName,
  type StagePolicy,
} from './stages.js';

export interface PipelineOptions {
  database: Database;
  jobs: Jobs;
  storage: ObjectStoreLike;
  clock: Clock;
  handlers: StageHandlers;
  /** Queues this runner serves; every stage on them needs a handler. */
  queues: readonly QueueName[];
  /**
   * Retry policies for the jobs that stages of this runner enqueue, over STAGES' defaults
   * (e.g. a longer stack expiry on slow machines).
   */
  policies?: Partial<Record<StageName, Partial<StagePolicy>>>;
  /** Jobs of one queue run at once in this process (default 1 per queue). */
  concurrency?: Partial<Record<QueueName, number>>;
  /** How often an idle worker polls its queue, seconds (default 2). */
  pollingIntervalSeconds?: number;
  /** Run pg-boss maintenance (expiry of jobs of dead workers) this often, seconds; 0 = never (default 30). */
  maintenanceIntervalS?: number;
  /** Minimum milliseconds between two stored progress updates of one job (default 500). */
  progressIntervalMs?: number;
  /** Longest wait for running handlers in stop(), ms (default 30 000). */
  stopTimeoutMs?: number;
  /** Name recorded with each attempt (default hostname:pid). */
  workerName?: string;
  /** Log lines (default: none). */
  log?: (line: string) => void;
}

export interface Pipeline {
  readonly queues: readonly QueueName[];
  /** Jobs running right now. */
  readonly running: number;
  stop(): Promise<void>;
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = err.name && err.name !== 'Error' ? `${err.name}${typeof code === 'string' ? ` ${code}` : ''}: ` : '';
    return (prefix + err.message).slice(0, 4000);
  }
  return String(err).slice(0, 4000);
}

export async function startPipeline(opts: PipelineOptions): Promise<Pipeline> {
  const { database, jobs, storage, clock, handlers } = opts;
  const log = opts.log ?? (() => {});
  const worker = opts.workerName ?? `${hostname()}:${process.pid}`;
  const queues = [...new Set(opts.queues)];
  if (queues.length === 0) throw new PipelineError('BAD_REQUEST', `no queue to serve; queues are ${QUEUES.join(', ')}`);
  for (const q of queues) {
    if (!isQueueName(q)) throw new PipelineError('BAD_REQUEST', `unknown queue '${String(q)}'; queues are ${QUEUES.join(', ')}`);
    const missing = stagesOnQueue(q).filter((s) => handlers[s] === undefined);
    if (missing.length > 0) {
      throw new PipelineError('NO_HANDLER', `queue '${q}' runs stage(s) ${missing.join(', ')}, which have no handler in this build`);
    }
  }
  const progressIntervalMs = opts.progressIntervalMs ?? 500;
  const inFlight = new Set<Promise<void>>();
  const workerIds: string[] = [];
  let stopped = false;

  async function runJob(job: PgBoss.JobWithMetadata<StageJobData>): Promise<void> {
    const data = job.data;
    const attempt = job.retryCount + 1;
    const final = job.retryCount >= job.retryLimit;
    if (!data || !isStageName(data.stage) || typeof data.ledgerId !== 'string') {
      // Not ours (sent without enqueueStage): fail it for good rather than retry garbage.
      throw new PipelineError('BAD_REQUEST', `job ${job.id} on '${job.name}' is not a pipeline job (no stage/ledgerId)`);
    }
    const stage: StageName = data.stage;
    const handler = handlers[stage] as StageHandler<StageName> | undefined;
    const ledgerId = data.ledgerId;
    await markStarted(database.db, ledgerId, attempt, worker, clock.now());
    let lastProgressAt = -Infinity;
    const ctx: StageContext = {
      database,
      storage,
      clock,
      jobs,
      jobId: job.id,
      ledgerId,
      attempt,
      async progress(fraction, message) {
        const t = clock.now().getTime();
        if (fraction < 1 && t - lastProgressAt < progressIntervalMs) return;
        lastProgressAt = t;
        await markProgress(database.db, ledgerId, fraction, message, clock.now());
      },
      log: (m) => log(`${stage} ${job.id}: ${m}`),
      enqueue: (trx, next, input, eo) =>
        enqueueStage(jobs, trx, next, input, clock.now(), { ...eo, policy: { ...opts.policies?.[next], ...eo?.policy } }),
    };
    const t0 = performance.now();
    try {
      if (!handler) throw new PipelineError('NO_HANDLER', `stage '${stage}' has no handler in this worker`);
      await handler(data.input as never, ctx);
    } catch (err) {
      const text = errorText(err);
      log(`${stage} ${job.id}: attempt ${attempt}/${job.retryLimit + 1} failed${final ? ' (dead letter)' : ''}: ${text}`);
      await markFailed(database.db, ledgerId, text, final, clock.now()).catch(() => {});
      throw err;
    }
    await markCompleted(database.db, ledgerId, clock.now());
    log(`${stage} ${job.id}: done in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }

  for (const queue of queues) {
    const n = opts.concurrency?.[queue] ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new PipelineError('BAD_REQUEST', `concurrency of '${queue}' must be an integer in 1..64, got ${n}`);
    for (let k = 0; k < n; k++) workerIds.push(await serve(queue));
  }

  async function serve(queue: QueueName): Promise<string> {
    return jobs.boss.work<StageJobData>(
      queue,
      { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: opts.pollingIntervalSeconds ?? 2 },
      async (batch) => {
        for (const job of batch) {
          const p = runJob(job);
          const tracked = p.catch(() => {});
          inFlight.add(tracked);
          try {
            await p;
          } finally {
            inFlight.delete(tracked);
          }
        }
      },
    );
  }
  log(`pipeline: serving ${queues.join(', ')} (${queues.flatMap(stagesOnQueue).join(', ')}) as ${worker}`);

  const maintenanceS = opts.maintenanceIntervalS ?? 30;
  let maintaining = false;
  const timer =
    maintenanceS > 0
      ? setInterval(() => {
          if (maintaining || stopped) return;
          maintaining = true;
          jobs.boss
            .maintain()
            .catch((err: unknown) => log(`pipeline: maintenance failed: ${errorText(err)}`))
            .finally(() => (maintaining = false));
        }, maintenanceS * 1000)
      : undefined;
  timer?.unref();

  return {
    queues,
    get running() {
      return inFlight.size;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (timer) clearInterval(timer);
      for (const id of workerIds) await jobs.boss.offWork({ id }).catch(() => {});
      const timeout = opts.stopTimeoutMs ?? 30_000;
      let timedOut = false;
      await Promise.race([
        Promise.all([...inFlight]),
        new Promise<void>((r) => setTimeout(() => ((timedOut = true), r()), timeout).unref()),
      ]);
      if (timedOut) log(`pipeline: stopped with ${inFlight.size} job(s) still running; pg-boss will retry them after their expiry`);
    },
  };
}

/** The stages each queue runs, for help texts. */
export function describeQueues(): string {
  return QUEUES.map((q) => `${q}: ${stagesOnQueue(q).map((s) => `${s} (${STAGES[s].description})`).join('; ')}`).join('\n');
}
