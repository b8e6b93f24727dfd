/**
 * An agent from its configuration alone (what `openastro agent --config node.toml` does):
 * clock (the system's, or the simulation's accelerated one), logger, credentials (stored,
 * configured, or registered once), devices, masters — then startAgent. Any of them can be
 * injected instead, which is how tests run a node against a service sharing their clock.
 */
import type { Logger } from 'pino';
import { acceleratedClock, systemClock, type Clock } from '../../network/clock.js';
import { ApiError, type ApiClient } from '../../platform/api/client.js';
import { createLogger } from '../../platform/log/logger.js';
import type { AgentConfig } from '../config.js';
import { realSleep, type Sleep } from '../devices/time.js';
import type { Observatory } from '../devices/types.js';
import { AgentError, describeError } from '../errors.js';
import { startAgent, type Agent, type AgentEvent } from './agent.js';
import { resolveCredentials, type NodeCredentials } from './credentials.js';
import { loadMasters, openDevices } from './devices.js';

export interface OpenAgentDeps {
  clock?: Clock;
  sleep?: Sleep;
  logger?: Logger;
  credentials?: NodeCredentials;
  observatory?: Observatory;
  api?: ApiClient;
  operatorClient?: (token: string) => ApiClient;
  onEvent?: (e: AgentEvent) => void;
  /** Stops a registration that waits for the server (SIGINT before the agent is up). */
  signal?: AbortSignal;
}

/** The simulation clock: `start` at `realStart` (default: now), running `speed` times real time. */
export function clockFromConfig(config: AgentConfig, real: Clock = systemClock): { clock: Clock; sleep: Sleep } {
  const c = config.clock;
  if (!c) return { clock: real, sleep: realSleep() };
  const realNow = real.now().getTime();
  const anchorReal = c.realStart !== undefined ? Date.parse(c.realStart) : realNow;
  const start = c.start !== undefined ? Date.parse(c.start) : realNow;
  // Where the simulated clock is now, given where it was at realStart.
  const nowSim = start + (realNow - anchorReal) * c.speed;
  return { clock: acceleratedClock(new Date(nowSim), c.speed, real), sleep: realSleep(c.speed) };
}

export async function openAgent(config: AgentConfig, deps: OpenAgentDeps = {}): Promise<Agent> {
  const fromConfig = clockFromConfig(config);
  const clock = deps.clock ?? fromConfig.clock;
  const sleep = deps.sleep ?? (deps.clock ? realSleep() : fromConfig.sleep);
  const logger = deps.logger ?? createLogger({ level: config.log.level, destination: config.log.file === '-' ? 2 : config.log.file, base: { component: 'agent' } });

  let credentials: NodeCredentials | undefined = deps.credentials;
  // Registration waits for the service (it may start after the node): retry what can change.
  for (let failures = 0; credentials === undefined; failures++) {
    try {
      const resolved = await resolveCredentials(config, { now: clock.now(), ...(deps.operatorClient ? { operatorClient: deps.operatorClient } : {}) });
      if (resolved.source === 'registered') logger.info({ nodeId: resolved.nodeId }, 'node registered; credentials stored in the state folder');
      credentials = resolved;
    } catch (e) {
      if (!(e instanceof ApiError) || !e.retryable) throw e;
      logger.warn({ err: describeError(e) }, 'cannot reach the service to register; retrying');
      if (deps.signal?.aborted) throw new AgentError('ABORTED', 'stopped before the node could register');
      await sleep(Math.min(config.limits.retryMaxS * 1000, 1000 * 2 ** Math.min(failures, 20)), deps.signal).catch(() => undefined);
    }
  }

  const masters = await loadMasters(config.mastersDir);
  let observatory = deps.observatory;
  let close: (() => Promise<void>) | undefined;
  if (!observatory) {
    const opened = await openDevices(config, { clock, sleep, signal: deps.signal });
    observatory = opened.observatory;
    close = opened.close;
  }
  try {
    return await startAgent({
      config,
      credentials,
      observatory,
      clock,
      sleep,
      logger,
      masters,
      ...(deps.api ? { api: deps.api } : {}),
      ...(deps.onEvent ? { onEvent: deps.onEvent } : {}),
      ...(close ? { onStopped: close } : {}),
    });
  } catch (e) {
    await close?.().catch(() => undefined);
    throw e;
  }
}
