/**
 * The service process: everything `openastro serve` runs, with an explicit lifecycle.
 *
 *   start: database (migrations) → object store → job queue → pipeline workers → fault
 *          sweeper, lease expirer, upload sweeper → HTTP
 *   close: the same in reverse
 *
 * If a step fails, what was already started is closed before the error is rethrown, so a
 * failed start leaves no timer, socket or database handle behind. close() lets requests in
 * flight finish for `shutdownGraceMs`, then cuts their connections (long polls would
 * otherwise hold shutdown for up to a minute). Signal handling belongs to the CLI command.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../network/clock.js';
import { startSweeper, type Sweeper } from '../network/heartbeats/sweeper.js';
import { createCommandNotifier } from '../network/commands/notifier.js';
import { startLeaseExpirer } from '../network/missions/leases.js';
import { defaultStageHandlers, servableQueues } from '../pipeline/handlers.js';
import { startPipeline } from '../pipeline/runner.js';
import { startUploadSweeper } from '../pipeline/ingest/uploads.js';
import { describeConfig, type Config } from '../platform/config/config.js';
import { openDatabase, type Database } from '../platform/db/database.js';
import { redactUrl } from '../platform/db/postgres.js';
import { startJobs, type Job, type Jobs } from '../platform/jobs/boss.js';
import type { QueueName } from '../platform/jobs/queues.js';
import { createLogger } from '../platform/log/logger.js';
import { createRegistry, type Registry } from '../platform/metrics/registry.js';
import { localStore } from '../platform/storage/local.js';
import { s3Store } from '../platform/storage/s3.js';
import type { ObjectStore } from '../platform/storage/store.js';
import type { ServerContext } from './context.js';
import { buildServer } from './app.js';

export type JobHandler = (job: Job<object>) => Promise<void>;

export interface StartServiceOptions {
  config: Config;
  /** Default: the system clock. */
  clock?: Clock;
  /** Default: a logger at config.log.level on stdout. */
  logger?: Logger;
  /** Default: a new registry. */
  metrics?: Registry;
  /** Handlers by queue instead of the pipeline (tests): each queue in config.jobs.queues that has one is worked here. */
  workers?: Partial<Record<QueueName, JobHandler>>;
  /** Run the pipeline's stage workers in this process (default true; ignored when `workers` is given). */
  pipeline?: boolean;
  /** How long close() waits for requests in flight before cutting connections, ms (default 10 000). */
  shutdownGraceMs?: number;
}

export interface Service {
  /** Base URL of the listener, e.g. http://127.0.0.1:8080 (a wildcard host shows as loopback). */
  url: string;
  app: FastifyInstance;
  context: ServerContext;
  /** Stop everything, in reverse order of start. Idempotent; rejects with the first failure after trying every step. */
  close(): Promise<void>;
}

export async function startService(opts: StartServiceOptions): Promise<Service> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: config.log.level });
  const metrics = opts.metrics ?? createRegistry({ onCollectError: (metric, err) => logger.warn({ err, metric }, 'metrics: collect failed') });
  const graceMs = opts.shutdownGraceMs ?? 10_000;

  // Each started part pushes its stop; close runs them last-in first-out.
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      let first: unknown;
      for (const { name, stop } of stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          logger.error({ err }, `stopping ${name} failed`);
          first ??= err;
        }
      }
      logger.info('service stopped');
      if (first !== undefined) throw first;
    })();
    return closing;
  };

  try {
    logger.info({ config: describeConfig(config) }, 'starting service');

    const database: Database = await openDatabase(config.database.url ? { url: config.database.url } : { dataDir: config.database.dataDir });
    stops.push({ name: 'database', stop: () => database.close() });
    logger.info({ db: database.kind, where: config.database.url ? redactUrl(config.database.url) : config.database.dataDir }, 'database open');

    const storage: ObjectStore =
      config.storage.kind === 'local'
        ? localStore(config.storage.dir)
        : s3Store({
            bucket: config.storage.bucket,
            region: config.storage.region,
            endpoint: config.storage.endpoint,
            accessKeyId: config.storage.accessKeyId,
            secretAccessKey: config.storage.secretAccessKey,
            forcePathStyle: config.storage.forcePathStyle,
            keyPrefix: config.storage.keyPrefix,
          });
    stops.push({ name: 'object store', stop: () => storage.close() });

    const jobs: Jobs = await startJobs(database, {
      schema: config.jobs.schema,
      pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
      onError: (err) => logger.error({ err }, 'jobs: background error'),
    });
    stops.push({ name: 'jobs', stop: () => jobs.stop() });
    if (opts.workers) {
      // Tests: plain handlers by queue instead of the pipeline.
      for (const queue of config.jobs.queues) {
        const handler = opts.workers[queue];
        if (handler) await jobs.work(queue, handler);
      }
    } else if (opts.pipeline !== false) {
      // The embedded default: this process works every configured queue it has stages for.
      const handlers = defaultStageHandlers(config.pipeline.catalogPath !== undefined ? { image: { catalog: config.pipeline.catalogPath } } : {});
      const queues = servableQueues(handlers, config.jobs.queues);
      if (queues.length > 0) {
        const pipeline = await startPipeline({
          database,
          jobs,
          storage,
          clock,
          handlers,
          queues,
          log: (line) => logger.info(line),
        });
        stops.push({ name: 'pipeline', stop: () => pipeline.stop() });
        logger.info({ queues }, 'pipeline workers started');
      }
    }

    const sweeper: Sweeper = startSweeper({
      database,
      clock,
      intervalMs: config.network.sweepIntervalS * 1000,
      onFaulted: (ids) => logger.warn({ nodeIds: ids }, `${ids.length} node(s) FAULTED after missed heartbeats`),
      onError: (err) => logger.error({ err }, 'fault sweeper failed'),
    });
    stops.push({ name: 'fault sweeper', stop: () => sweeper.stop() });
    const expirer = startLeaseExpirer({
      database,
      clock,
      intervalMs: config.network.sweepIntervalS * 1000,
      onError: (err) => logger.error({ err }, 'task lease expirer failed'),
    });
    stops.push({ name: 'lease expirer', stop: () => expirer.stop() });
    const uploadSweeper = startUploadSweeper({ database, storage, clock }, { onError: (err) => logger.error({ err }, 'upload sweeper failed') });
    stops.push({ name: 'upload sweeper', stop: () => uploadSweeper.stop() });

    const context: ServerContext = {
      database,
      clock,
      jobs,
      storage,
      heartbeatIntervalS: config.network.heartbeatIntervalS,
      leaseS: config.network.leaseS,
    };
    const app = buildServer(context, { config, logger, metrics, notifier: createCommandNotifier() });
    stops.push({ name: 'http', stop: () => closeHttp(app, graceMs) });
    await app.listen({ host: config.server.host, port: config.server.port });
    const url = baseUrl(app.server.address() as AddressInfo);
    logger.info({ url }, 'service listening');
    return { url, app, context, close };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}

/** Close the listener; after `graceMs`, cut connections still busy (long polls). */
async function closeHttp(app: FastifyInstance, graceMs: number): Promise<void> {
  const timer = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
  }
}

function baseUrl(addr: AddressInfo): string {
  const host = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
}
