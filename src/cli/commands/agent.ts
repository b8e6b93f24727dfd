/**
 * `openastro agent --config node.toml`: run the telescope node agent until SIGINT or
 * SIGTERM, then park and exit 0 (a second signal exits at once with 130).
 * `openastro agent status --config node.toml [--json]`: what the agent is doing — state,
 * current task, weather, last heartbeat, outbox depth and last errors — read from its
 * state folder (status file + outbox), so it works whether the agent runs, hangs or died.
 *
 * The agent's own log goes to the file the configuration names (default
 * <stateDir>/agent.log); stderr gets a line when it starts and stops.
 */
import { Command } from 'commander';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { ConfigError } from '../../platform/config/errors.js';
import { systemClock, type Clock } from '../../network/clock.js';
import { loadAgentConfig, type AgentConfig } from '../../agent/config.js';
import { clockFromConfig, openAgent, type OpenAgentDeps } from '../../agent/lifecycle/open.js';
import type { Agent } from '../../agent/lifecycle/agent.js';
import { collectStatus, formatStatus } from '../../agent/status.js';

export const AGENT_CONFIG_ENV = 'OPENASTRO_AGENT_CONFIG';

export interface AgentCommandDeps {
  /** Where SIGINT/SIGTERM come from (default: the process). */
  signals?: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
  /** Called on a second signal during shutdown (default: process.exit). */
  exit?: (code: number) => void;
  env?: Record<string, string | undefined>;
  /** Opens the agent (tests inject clocks and devices through it). */
  open?: (config: AgentConfig, deps: OpenAgentDeps) => Promise<Agent>;
  /** Called once the agent runs (tests stop it through the signals). */
  onStarted?: (agent: Agent) => void;
  /** For the status command's "ago" figures (default: the system clock). */
  clock?: Clock;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

async function readConfig(io: CliIo, file: string | undefined, env: Record<string, string | undefined>): Promise<AgentConfig> {
  const path = file ?? env[AGENT_CONFIG_ENV];
  if (path === undefined || path === '') throw new CliError(`--config is required (the node's configuration file, or set ${AGENT_CONFIG_ENV})`, 2);
  try {
    return await loadAgentConfig(path, { cwd: io.cwd, env });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`${err.message}\n`);
      throw new CliError(`the configuration has ${err.problems.length} problem(s), listed above`, 2);
    }
    throw err;
  }
}

export function agentCommand(io: CliIo, deps: AgentCommandDeps = {}): Command {
  const env = () => deps.env ?? process.env;
  const cmd = new Command('agent')
    .description('Run the telescope node agent (until SIGINT/SIGTERM, then it parks); `agent status` shows what it is doing')
    .option('--config <path>', `node configuration (.toml, .yaml, .yml, .json); default $${AGENT_CONFIG_ENV}`)
    .action(async (opts: { config?: string }) => {
      const config = await readConfig(io, opts.config, env());
      const signals = deps.signals ?? process;
      // Handled from before start-up: a signal while registering or connecting stops as soon as possible.
      const startup = new AbortController();
      let signalled: string | undefined;
      let wake: (() => void) | undefined;
      const handlers = SIGNALS.map((name) => {
        const handler = () => {
          if (signalled !== undefined) {
            io.stderr('openastro agent: second signal, exiting without parking\n');
            (deps.exit ?? process.exit)(130);
            return;
          }
          signalled = name;
          io.stderr(`openastro agent: ${name} received, parking and stopping\n`);
          startup.abort();
          wake?.();
        };
        signals.on(name, handler);
        return { name, handler };
      });
      try {
        const agent = await (deps.open ?? openAgent)(config, { signal: startup.signal });
        try {
          io.stderr(`openastro agent: node ${agent.nodeId} running against ${config.server} (state in ${config.stateDir}); Ctrl-C parks and stops\n`);
          deps.onStarted?.(agent);
          if (signalled === undefined) await new Promise<void>((resolve) => (wake = resolve));
        } finally {
          await agent.stop();
        }
        io.stderr('openastro agent: stopped\n');
      } finally {
        for (const { name, handler } of handlers) signals.off(name, handler);
      }
    });

  cmd
    .command('status')
    .description("Show the node agent's state, current task, outbox depth and last errors (from its state folder)")
    .option('--json', 'print {status, running, outbox} as JSON')
    .action(async function (this: Command) {
      const opts = this.optsWithGlobals<{ config?: string; json?: boolean }>();
      const config = await readConfig(io, opts.config, env());
      const report = await collectStatus(config.stateDir);
      // A simulation anchored in real time shows its own clock's "ago"; anything else the system's.
      const clock = deps.clock ?? (config.clock?.realStart !== undefined ? clockFromConfig(config).clock : systemClock);
      emit(io, Boolean(opts.json), report, () => formatStatus(report, clock.now()));
    });
  return cmd;
}
