/**
 * Jobs on pg-boss 10 over the application's own database. pg-boss never opens a
 * connection of its own: every statement goes through `Database.executeSql`, so on PGlite
 * it shares the one mutex-guarded session with Kysely, and `send(..., { db: trx })` runs
 * the insert inside the caller's Kysely transaction — the job exists iff the transaction
 * commits.
 */
import PgBoss from 'pg-boss';
import type { Transaction } from 'kysely';
import type { Database } from '../db/database.js';
import type { Schema } from '../db/schema.js';
import { DbError, describeError } from '../db/errors.js';
import { QUEUES, isQueueName, type QueueName } from './queues.js';

export interface JobsOptions {
  /** Postgres schema holding pg-boss tables (default 'pgboss'). */
  schema?: string;
  /** Worker polling interval in seconds (default 2, minimum 0.5); sets job latency. */
  pollingIntervalSeconds?: number;
  /** Run pg-boss maintenance (expiry, archiving) in this process (default true). */
  supervise?: boolean;
  /** Run pg-boss's cron scheduler in this process (default false: we schedule nothing by cron yet). */
  schedule?: boolean;
  /** Called for background errors (failed polls, maintenance); default prints one line to stderr. */
  onError?: (err: Error) => void;
}

export interface SendOptions {
  /** Enqueue inside this transaction: the job commits or rolls back with it. */
  db?: Transaction<Schema>;
  /** pg-boss: at most one queued job with this key per queue policy. */
  singletonKey?: string;
  /** Delay: seconds from now, or an absolute time. */
  startAfter?: number | Date;
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Double the retry delay after each failure (with jitter). */
  retryBackoff?: boolean;
  priority?: number;
  /** Seconds a worker may hold the job before it expires and is retried. */
  expireInSeconds?: number;
}

export interface Job<T> {
  id: string;
  queue: QueueName;
  data: T;
}

export interface WorkOptions {
  /** Overrides JobsOptions.pollingIntervalSeconds for this worker. */
  pollingIntervalSeconds?: number;
}

export interface Jobs {
  /** Enqueue; resolves to the job id (null when a singletonKey suppressed it). */
  send<T extends object>(queue: QueueName, data: T, opts?: SendOptions): Promise<string | null>;
  /**
   * Serve a queue: `handler` is called once per job; resolving completes it, throwing
   * fails it (pg-boss retries per retryLimit). Resolves to a worker id.
   */
  work<T extends object>(queue: QueueName, handler: (job: Job<T>) => Promise<void>, opts?: WorkOptions): Promise<string>;
  /** Stop workers (waiting for running handlers) and maintenance. Does not close the database. */
  stop(): Promise<void>;
  /** The underlying pg-boss instance, for what this wrapper does not cover (reading job state). */
  readonly boss: PgBoss;
}

/** Start pg-boss on `database` (creating its schema on first use) and create our queues. */
export async function startJobs(database: Database, opts: JobsOptions = {}): Promise<Jobs> {
  const pollingIntervalSeconds = opts.pollingIntervalSeconds ?? 2;
  const onError = opts.onError ?? ((err: Error) => process.stderr.write(`jobs: ${err.message}\n`));
  const boss = new PgBoss({
    db: database.sqlExecutor() as PgBoss.Db,
    schema: opts.schema ?? 'pgboss',
    supervise: opts.supervise ?? true,
    schedule: opts.schedule ?? false,
  });
  boss.on('error', onError);
  try {
    await boss.start();
    for (const name of QUEUES) {
      if (!(await boss.getQueue(name))) await boss.createQueue(name);
    }
  } catch (err) {
    await boss.stop({ graceful: false, wait: true }).catch(() => {});
    throw new DbError('JOBS_FAILED', `cannot start the job queue (pg-boss): ${describeError(err)}`, { cause: err });
  }

  let stopped = false;
  const check = (queue: string) => {
    if (!isQueueName(queue)) throw new DbError('JOBS_FAILED', `unknown queue '${queue}'; queues are ${QUEUES.join(', ')}`);
    if (stopped) throw new DbError('JOBS_FAILED', 'the job queue has been stopped');
  };

  return {
    boss,
    async send(queue, data, sendOpts = {}) {
      check(queue);
      const { db: trx, ...rest } = sendOpts;
      const options: PgBoss.SendOptions = { ...rest };
      if (trx) options.db = database.sqlExecutor(trx) as PgBoss.Db;
      return boss.send(queue, data, options);
    },
    async work<T extends object>(queue: QueueName, handler: (job: Job<T>) => Promise<void>, workOpts: WorkOptions = {}) {
      check(queue);
      return boss.work<T>(
        queue,
        { batchSize: 1, pollingIntervalSeconds: workOpts.pollingIntervalSeconds ?? pollingIntervalSeconds },
        async (jobs) => {
          for (const job of jobs) await handler({ id: job.id, queue, data: job.data });
        },
      );
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      // close:false — the database belongs to the caller.
      await boss.stop({ graceful: true, wait: true, close: false, timeout: 10_000 });
    },
  };
}
