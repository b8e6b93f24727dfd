/**
 * `openastro demo` (= `npm start`): a simulated night of a worldwide network of amateur
 * telescopes, end to end — the service with its dashboard, a dozen simulated nodes at real
 * observatories, missions for every branch of the pipeline — then a table of injected truth
 * against what was recovered. Exit status 0 only when every row passes its tolerance.
 *
 * Progress goes to stderr (a redrawn block on a terminal, lines otherwise); the summary
 * table to stdout. After the summary the service stays up (dashboard, nodes in real time)
 * when a person is watching — stderr is a terminal — or with --serve, until Ctrl-C; it
 * exits at once otherwise or with --exit (docs/decisions/0042). A first SIGINT/SIGTERM
 * stops cleanly, a second exits at once.
 */
import { Command } from 'commander';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { DemoError } from '../../demo/errors.js';
import { runDemo } from '../../demo/runner.js';
import { defaultSettings, MAX_NIGHTS } from '../../demo/scenario.js';
import { MAX_NODES } from '../../demo/sites.js';
import { ConfigError } from '../../platform/config/index.js';

export interface DemoDeps {
  /** Where SIGINT/SIGTERM come from (default: the process). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Called on a second signal (default: process.exit). */
  exit?: (code: number) => void;
  /** Environment (default: process.env); only DATABASE_URL and OPENASTRO_JOBS_SCHEMA are read. */
  env?: Record<string, string | undefined>;
  /** Terminal width for the progress block (default: stderr's). */
  columns?: number;
  /** Real-time budget override, seconds (tests). */
  budgetS?: number;
}

interface DemoFlags {
  fast?: boolean;
  nodes?: string;
  nights?: string;
  seed?: string;
  fresh?: boolean;
  data: string;
  port: string;
  speed?: string;
  serve?: boolean;
  exit?: boolean;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function demoCommand(io: CliIo, deps: DemoDeps = {}): Command {
  return new Command('demo')
    .description('Simulate a night of a worldwide telescope network end to end, then check injected truth against recovered results (exit 1 if any check fails)')
    .option('--fast', 'a minimal run: 4 nodes, 6 simulated hours, under 2 minutes')
    .option('--nodes <n>', `simulated telescopes (default 12, --fast 4; at most ${MAX_NODES})`)
    .option('--nights <n>', `consecutive nights to simulate (default 1, at most ${MAX_NIGHTS})`)
    .option('--seed <n>', 'seed of everything random: sky, truth, weather, noise (default 1)')
    .option('--fresh', "delete the demo's data folder first (only a folder the demo created)")
    .option('--data <dir>', 'data folder: database, objects, node state, logs (re-runs continue from it)', 'data')
    .option('--port <p>', 'HTTP port of the API and dashboard (0: any free port)', '8080')
    .option('--speed <x>', 'simulated seconds per real second (default 450)')
    .option('--serve', 'keep the service, dashboard and nodes running after the summary (default on a terminal)')
    .option('--exit', 'exit after the summary (default when not on a terminal)')
    .action(async (f: DemoFlags) => {
      if (f.serve && f.exit) throw new CliError('--serve and --exit contradict each other', 2);
      const settings = defaultSettings(f.fast === true);
      if (f.nodes !== undefined) settings.nodes = parseInteger(f.nodes, '--nodes', 1, MAX_NODES);
      if (f.nights !== undefined) settings.nights = parseInteger(f.nights, '--nights', 1, MAX_NIGHTS);
      if (f.seed !== undefined) settings.seed = parseInteger(f.seed, '--seed', 0, Number.MAX_SAFE_INTEGER);
      if (f.speed !== undefined) settings.speed = parseFiniteNumber(f.speed, '--speed');
      const port = parseInteger(f.port, '--port', 0, 65535);
      const serve = f.serve === true || (f.exit !== true && io.stderrIsTty);

      const signals = deps.signals ?? process;
      const ctl = new AbortController();
      const handlers = SIGNALS.map((name) => {
        const handler = () => {
          if (ctl.signal.aborted) {
            io.stderr('openastro demo: second signal, exiting without a clean shutdown\n');
            (deps.exit ?? process.exit)(130);
            return;
          }
          io.stderr(`\nopenastro demo: ${name} received, stopping\n`);
          ctl.abort();
        };
        signals.on(name, handler);
        return { name, handler };
      });
      try {
        const outcome = await runDemo({
          dataDir: f.data,
          cwd: io.cwd,
          settings,
          fresh: f.fresh === true,
          port,
          serve,
          env: deps.env ?? process.env,
          out: (t) => io.stdout(t),
          progress: { write: (t) => io.stderr(t), tty: io.stderrIsTty, columns: deps.columns ?? process.stderr.columns ?? 100 },
          signal: ctl.signal,
          ...(deps.budgetS !== undefined ? { budgetS: deps.budgetS } : {}),
        });
        if (outcome.exitCode !== 0) {
          const failed = outcome.rows.filter((r) => !r.pass).map((r) => r.check);
          throw new CliError(`${failed.length} of ${outcome.rows.length} checks failed: ${failed.join(', ')}`, outcome.exitCode);
        }
      } catch (err) {
        if (err instanceof DemoError) throw new CliError(err.message, err.code === 'BAD_OPTION' || err.code === 'NOT_DEMO_DIR' ? 2 : err.code === 'ABORTED' ? 130 : 1);
        if (err instanceof ConfigError) throw new CliError(err.message.replace(/\n/g, '; '), 2);
        if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CliError(`port ${port} is in use: give --port another port, or --port 0 for any free one`, 2);
        throw err;
      } finally {
        for (const { name, handler } of handlers) signals.off(name, handler);
      }
    });
}
