/**
 * `openastro serve [--config PATH] [--port N]`: run the coordination service until SIGINT
 * or SIGTERM, then stop it cleanly (requests in flight finish, the job queue and the
 * database close). A second signal during shutdown exits at once. Logs are JSON lines on
 * stderr; stdout stays empty, as for every command that has no result to print.
 */
import { Command } from 'commander';
import { parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { ConfigError, loadConfig } from '../../platform/config/index.js';
import { createLogger } from '../../platform/log/logger.js';
import { startService } from '../../server/service.js';

export interface ServeDeps {
  /** Where SIGINT/SIGTERM come from (default: the process). */
  signals?: Pick<NodeJS.EventEmitter, 'once' | 'on' | 'off'>;
  /** Called on a second signal during shutdown (default: process.exit). */
  exit?: (code: number) => void;
  /** Environment for the configuration (default: process.env). */
  env?: Record<string, string | undefined>;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function serveCommand(io: CliIo, deps: ServeDeps = {}): Command {
  return new Command('serve')
    .description('Run the coordination service: HTTP API, job queue, fault sweeper (until SIGINT/SIGTERM)')
    .option('--config <path>', 'configuration file (.json, .yaml, .yml, .toml); default $OPENASTRO_CONFIG')
    .option('--port <n>', 'port to listen on (overrides the file and OPENASTRO_PORT; 0 = any free port)')
    .action(async (opts: { config?: string; port?: string }) => {
      const overrides = opts.port === undefined ? [] : [{ path: 'server.port', value: parseInteger(opts.port, '--port', 0, 65535), source: '--port' }];
      let config;
      try {
        config = await loadConfig({ file: opts.config, cwd: io.cwd, env: deps.env ?? process.env, overrides });
      } catch (err) {
        if (err instanceof ConfigError) {
          io.stderr(`${err.message}\n`);
          throw new CliError(`the configuration has ${err.problems.length} problem(s), listed above`, 2);
        }
        throw err;
      }
      const signals = deps.signals ?? process;
      // Signals are handled from before start-up: a first one stops the service as soon as
      // it is up (or at once if it is up), a second one exits without waiting.
      let signalled: string | undefined;
      let wake: (() => void) | undefined;
      const handlers = SIGNALS.map((name) => {
        const handler = () => {
          if (signalled !== undefined) {
            io.stderr('openastro: second signal, exiting without a clean shutdown\n');
            (deps.exit ?? process.exit)(130);
            return;
          }
          signalled = name;
          io.stderr(`openastro: ${name} received, shutting down\n`);
          wake?.();
        };
        signals.on(name, handler);
        return { name, handler };
      });
      try {
        const logger = createLogger({ level: config.log.level, destination: 2 });
        const service = await startService({ config, logger });
        try {
          io.stderr(`openastro: serving on ${service.url} (API docs at ${service.url}/docs); Ctrl-C stops\n`);
          if (signalled === undefined) await new Promise<void>((resolve) => (wake = resolve));
        } finally {
          await service.close();
        }
      } finally {
        for (const { name, handler } of handlers) signals.off(name, handler);
      }
    });
}
