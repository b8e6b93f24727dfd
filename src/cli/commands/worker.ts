/**
 * `openastro worker --queue image,stack [--config PATH] [--threads N]`: serve pipeline
 * queues until SIGINT or SIGTERM, on any machine that reaches the database and the object
 * store. Settings come from the service configuration (file, then environment:
 * DATABASE_URL, OPENASTRO_DATA_DIR, OPENASTRO_STORAGE_DIR / OPENASTRO_S3_*,
 * OPENASTRO_JOBS_SCHEMA, OPENASTRO_JOBS_POLLING_INTERVAL_S).
 *
 * Shutdown: the first signal stops fetching and waits for the running jobs (up to
 * --stop-timeout seconds; a job still running then is retried by pg-boss after its expiry
 * on some other worker), then closes the queue, the store and the database. A second
 * signal exits at once. Logs go to stderr; stdout stays empty.
 *
 * Without DATABASE_URL the worker opens the embedded database under the data dir: only
 * for draining queues of a stopped `openastro serve` — two processes cannot share PGlite.
 */
import { Command } from 'commander';
import { parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { ConfigError, loadConfig, type Config } from '../../platform/config/index.js';
import { openDatabase } from '../../platform/db/database.js';
import { redactUrl } from '../../platform/db/postgres.js';
import { startJobs } from '../../platform/jobs/boss.js';
import { isQueueName, QUEUES, type QueueName } from '../../platform/jobs/queues.js';
import { localStore } from '../../platform/storage/local.js';
import { s3Store } from '../../platform/storage/s3.js';
import type { ObjectStore } from '../../platform/storage/store.js';
import { systemClock } from '../../network/clock.js';
import { createPool, MAX_WORKERS, type Pool } from '../../science/parallel/pool.js';
import { PipelineError } from '../../pipeline/errors.js';
import { defaultStageHandlers, servableQueues } from '../../pipeline/handlers.js';
import { describeQueues, startPipeline } from '../../pipeline/runner.js';

export interface WorkerDeps {
  /** Where SIGINT/SIGTERM come from (default: the process). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Called on a second signal during shutdown (default: process.exit). */
  exit?: (code: number) => void;
  /** Environment for the configuration (default: process.env). */
  env?: Record<string, string | undefined>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function parseQueues(text: string): QueueName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw new CliError(`--queue: name at least one queue (${QUEUES.join(', ')})`, 2);
  for (const n of names) if (!isQueueName(n)) throw new CliError(`--queue: unknown queue '${n}'; queues are ${QUEUES.join(', ')}`, 2);
  return [...new Set(names)] as QueueName[];
}

function openStore(config: Config): ObjectStore {
  const s = config.storage;
  return s.kind === 'local'
    ? localStore(s.dir)
    : s3Store({
        bucket: s.bucket,
        region: s.region,
        endpoint: s.endpoint,
        accessKeyId: s.accessKeyId,
        secretAccessKey: s.secretAccessKey,
        forcePathStyle: s.forcePathStyle,
        keyPrefix: s.keyPrefix,
      });
}

export function workerCommand(io: CliIo, deps: WorkerDeps = {}): Command {
  return new Command('worker')
    .description('Serve pipeline job queues (until SIGINT/SIGTERM)')
    .requiredOption('--queue <names>', `comma-separated queues to serve: ${QUEUES.join(', ')}`)
    .option('--config <path>', 'configuration file (.json, .yaml, .yml, .toml); default $OPENASTRO_CONFIG')
    .option('--threads <n>', 'worker threads for the stack co-addition (1: main thread only)', '1')
    .option('--stop-timeout <s>', 'seconds to wait for running jobs on shutdown', '30')
    .option('--expiry-check <s>', 'seconds between checks for jobs of dead workers (pg-boss expiry → retry)', '30')
    .addHelpText('after', `\nQueues and their stages:\n${describeQueues()}\n`)
    .action(async (opts: { queue: string; config?: string; threads: string; stopTimeout: string; expiryCheck: string }) => {
      const queues = parseQueues(opts.queue);
      const threads = parseInteger(opts.threads, '--threads', 1, MAX_WORKERS);
      const stopTimeoutS = parseInteger(opts.stopTimeout, '--stop-timeout', 0, 86_400);
      const expiryCheckS = parseInteger(opts.expiryCheck, '--expiry-check', 1, 3600);
      let config: Config;
      try {
        config = await loadConfig({ file: opts.config, cwd: io.cwd, env: deps.env ?? process.env });
      } catch (err) {
        if (err instanceof ConfigError) {
          io.stderr(`${err.message}\n`);
          throw new CliError(`the configuration has ${err.problems.length} problem(s), listed above`, 2);
        }
        throw err;
      }
      // Check before opening anything: a queue without handlers here is a deployment mistake.
      const probe = defaultStageHandlers();
      const servable = servableQueues(probe, queues);
      const missing = queues.filter((q) => !servable.includes(q));
      if (missing.length > 0) {
        throw new CliError(`this build has no handler for the stages of queue(s) ${missing.join(', ')} yet; it can serve ${servableQueues(probe).join(', ')}`, 2);
      }

      const signals = deps.signals ?? process;
      let signalled: string | undefined;
      let wake: (() => void) | undefined;
      const handlers = SIGNALS.map((name) => {
        const handler = () => {
          if (signalled !== undefined) {
            io.stderr('openastro worker: second signal, exiting without waiting for running jobs\n');
            (deps.exit ?? process.exit)(130);
            return;
          }
          signalled = name;
          io.stderr(`openastro worker: ${name} received, finishing running jobs\n`);
          wake?.();
        };
        signals.on(name, handler);
        return { name, handler };
      });

      const log = (line: string) => io.stderr(`${line}\n`);
      const stops: Array<() => Promise<void>> = [];
      try {
        if (!config.database.url) log(`openastro worker: embedded database at ${config.database.dataDir} — do not run this beside 'openastro serve' on the same data dir`);
        const database = await openDatabase(config.database.url ? { url: config.database.url } : { dataDir: config.database.dataDir });
        stops.push(() => database.close());
        log(`openastro worker: database ${database.kind} ${config.database.url ? redactUrl(config.database.url) : config.database.dataDir}`);
        const storage = openStore(config);
        stops.push(() => storage.close());
        const jobs = await startJobs(database, {
          schema: config.jobs.schema,
          pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
          onError: (err) => log(`openastro worker: jobs: ${err.message}`),
        });
        stops.push(() => jobs.stop());
        let pool: Pool | undefined;
        if (threads > 1) {
          pool = createPool({ workers: threads });
          await pool.start();
          const p = pool;
          stops.push(() => p.stop());
        }
        const pipeline = await startPipeline({
          database,
          jobs,
          storage,
          clock: systemClock,
          handlers: defaultStageHandlers({ stack: { pool }, ...(config.pipeline.catalogPath !== undefined ? { image: { catalog: config.pipeline.catalogPath } } : {}) }),
          queues,
          pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
          stopTimeoutMs: stopTimeoutS * 1000,
          maintenanceIntervalS: expiryCheckS,
          log,
        });
        stops.push(() => pipeline.stop());
        log(`openastro worker: serving ${queues.join(', ')} (pid ${process.pid}${threads > 1 ? `, ${threads} threads` : ''}); Ctrl-C stops`);
        if (signalled === undefined) await new Promise<void>((resolve) => (wake = resolve));
      } catch (err) {
        if (err instanceof PipelineError) throw new CliError(err.message, 2);
        throw err;
      } finally {
        for (const stop of stops.reverse()) await stop().catch((err: unknown) => log(`openastro worker: shutdown step failed: ${(err as Error).message}`));
        for (const { name, handler } of handlers) signals.off(name, handler);
      }
      log('openastro worker: stopped');
    });
}
