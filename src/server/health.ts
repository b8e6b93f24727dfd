/**
 * Service health and metrics: GET /healthz (a database round trip, bounded in time), GET
 * /metrics (Prometheus text), and the hooks that count requests.
 *
 * Request metrics are labelled by route pattern ('/api/v1/nodes/:id/heartbeat', not the
 * URL), method and status, so their number of series stays bounded however many nodes
 * there are; requests that match no route share the route label 'unmatched'. Node counts
 * by state are read from the database at scrape time, so every server process behind a
 * proxy reports the same, current figure.
 */
import { sql } from 'kysely';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../platform/db/database.js';
import type { NodeState } from '../platform/db/schema.js';
import { CONTENT_TYPE, type Registry } from '../platform/metrics/registry.js';
import { describeError } from '../platform/db/errors.js';

/** Latency buckets, seconds: fine below 50 ms, where the heartbeat target lies. */
export const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const NODE_STATES: readonly NodeState[] = ['ONLINE', 'BUSY', 'PARKED', 'FAULTED'];

/** Count requests and their latency; log each at a level set by its status. */
export function installRequestMetrics(app: FastifyInstance, metrics: Registry): void {
  const requests = metrics.counter({
    name: 'openastro_http_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status.',
    labelNames: ['route', 'method', 'status'],
  });
  const latency = metrics.histogram({
    name: 'openastro_http_request_duration_seconds',
    help: 'Time from request received to response sent, seconds.',
    labelNames: ['route', 'method', 'status'],
    buckets: LATENCY_BUCKETS_S,
  });
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    requests.inc({ route, method: request.method, status });
    latency.observe({ route, method: request.method, status }, reply.elapsedTime / 1000);
    // 2xx at debug: at thousands of heartbeats a second, info would be a flood.
    const level = status >= 500 ? 'warn' : status >= 400 ? 'info' : 'debug';
    request.log[level]({ method: request.method, url: request.url, status, ms: Math.round(reply.elapsedTime * 10) / 10, caller: request.caller?.kind }, 'request');
  });
}

/** A gauge of nodes by state, counted in the database at each scrape. */
export function registerNodeGauge(metrics: Registry, database: Database): void {
  metrics.gauge({
    name: 'openastro_nodes',
    help: 'Registered nodes by state.',
    labelNames: ['state'],
    collect: async (g) => {
      const rows = await database.db
        .selectFrom('nodes')
        .select(['state', (eb) => eb.fn.countAll<string>().as('n')])
        .groupBy('state')
        .execute();
      g.reset();
      for (const s of NODE_STATES) g.set({ state: s }, 0);
      for (const r of rows) g.set({ state: r.state }, Number(r.n));
    },
  });
}

export interface HealthOptions {
  database: Database;
  metrics: Registry;
  /** Longest wait for the database ping before answering 503, ms (default 2000). */
  timeoutMs?: number;
}

/** Ping the database: `select 1`, or a reason why not within `timeoutMs`. */
export async function pingDatabase(database: Database, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ ok: false; reason: string }>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const ping = sql<{ one: number }>`select 1 as one`
    .execute(database.db)
    .then((r): { ok: true } | { ok: false; reason: string } => (Number(r.rows[0]?.one) === 1 ? { ok: true } : { ok: false, reason: 'unexpected answer to select 1' }))
    .catch((err: unknown) => ({ ok: false as const, reason: describeError(err) }));
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function healthRoutes(app: FastifyInstance, opts: HealthOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 2000;
  const healthBody = {
    type: 'object',
    properties: {
      status: { type: 'string', enum: ['ok', 'unavailable'] },
      db: { type: 'string', enum: ['pglite', 'postgres'] },
      message: { type: 'string' },
    },
    required: ['status', 'db'],
  } as const;

  app.get(
    '/healthz',
    {
      schema: {
        tags: ['service'],
        summary: 'Liveness and database reachability',
        description: 'Runs `select 1` on the database. 200 when it answers, 503 when it does not (within a few seconds).',
        security: [],
        response: { 200: healthBody, 503: healthBody },
      },
    },
    async (request, reply) => {
      const r = await pingDatabase(opts.database, timeoutMs);
      if (r.ok) return { status: 'ok', db: opts.database.kind };
      request.log.warn({ reason: r.reason }, 'health check: database unavailable');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', db: opts.database.kind, message: `database: ${r.reason}` });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        tags: ['service'],
        summary: 'Metrics in Prometheus text format 0.0.4',
        security: [],
        response: { 200: { type: 'string', description: 'Prometheus text exposition format 0.0.4' } },
      },
    },
    async (_request, reply) => reply.type(CONTENT_TYPE).send(await opts.metrics.render()),
  );
}
