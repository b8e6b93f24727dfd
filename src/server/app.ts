/**
 * The HTTP server: Fastify with our logger, the auth hook, JSON errors, the OpenAPI
 * document, health and metrics, and the route plugins of routes/index.ts. buildServer
 * only assembles; the caller owns the lifecycle (`ready`/`listen`/`close`), and every
 * dependency arrives in `ctx` or `opts`, so a test builds a server over an in-memory
 * database and a manual clock and drives it with `inject`.
 *
 * Request validation rejects unknown fields (`additionalProperties: false` is an error,
 * not a silent strip), the API's counterpart of unknown keys in the configuration: a
 * misspelt `weatherOk` should fail loudly, not be dropped.
 */
import { readFileSync } from 'node:fs';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../platform/config/config.js';
import type { Registry } from '../platform/metrics/registry.js';
import { createCommandNotifier, type CommandNotifier } from '../network/commands/notifier.js';
import type { ServerContext } from './context.js';
import { createNodeTokenCache, installAuth, type NodeTokenCache, type NodeTokenCacheOptions } from './auth.js';
import { errorBodySchema, installErrorHandlers } from './errors.js';
import { registerOpenApi } from './openapi.js';
import { healthRoutes, installRequestMetrics, registerNodeGauge } from './health.js';
import { ROUTES, type RoutePlugin } from './routes/index.js';

export interface BuildServerOptions {
  /** Only `auth` is read here; the rest belongs to startService. */
  config: Pick<Config, 'auth'>;
  logger: Logger;
  metrics: Registry;
  /** Route plugins (default: all of routes/index.ts). */
  routes?: readonly RoutePlugin[];
  /** Long-poll wake-ups shared by the plugins (default: a new one). */
  notifier?: CommandNotifier;
  /** Node token cache, or options for a new one. */
  nodeTokens?: NodeTokenCache | NodeTokenCacheOptions;
  /** Longest /healthz database ping, ms. */
  healthTimeoutMs?: number;
  /** Largest request body, bytes (default 1 MiB). */
  bodyLimitBytes?: number;
}

export function buildServer(ctx: ServerContext, opts: BuildServerOptions): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger,
    // One line per request from our onResponse hook instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: opts.bodyLimitBytes ?? 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
  }) as unknown as FastifyInstance;

  // Spread expiries so a network that came up together does not all miss together.
  const cache = opts.nodeTokens && 'lookup' in opts.nodeTokens ? opts.nodeTokens : createNodeTokenCache({ ttlSpread: 0.25, ...opts.nodeTokens });
  installErrorHandlers(app);
  installAuth(app, { operatorTokens: opts.config.auth.operatorTokens, readsOpen: opts.config.auth.readsOpen, db: ctx.database.db, cache });
  installRequestMetrics(app, opts.metrics);
  registerNodeGauge(opts.metrics, ctx.database);
  app.addSchema(errorBodySchema);
  registerOpenApi(app, { version: packageVersion() });

  void app.register(async (scope) => healthRoutes(scope, { database: ctx.database, metrics: opts.metrics, timeoutMs: opts.healthTimeoutMs }));
  const shared = { notifier: opts.notifier ?? createCommandNotifier() };
  for (const plugin of opts.routes ?? ROUTES) {
    void app.register(async (scope) => plugin.register(scope, ctx, shared));
  }
  return app;
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}
