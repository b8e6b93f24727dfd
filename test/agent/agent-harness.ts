/**
 * A real service on loopback for the node-agent tests: startService (PGlite in a temp
 * folder, or PostgreSQL) with the ingest stage worked in-process so uploaded frames are
 * credited, all on one clock shared with the agent (accelerated, so a task takes seconds).
 * restart() stops the service and starts it again on the same port and data.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { acceleratedClock, type Clock } from '../../src/network/clock.js';
import { createApiClient, type ApiClient } from '../../src/platform/api/client.js';
import { loadConfig, type Config } from '../../src/platform/config/index.js';
import { createLogger } from '../../src/platform/log/index.js';
import { startPipeline, type Pipeline } from '../../src/pipeline/runner.js';
import { ingestStage } from '../../src/pipeline/ingest/stage.js';
import { startService, type Service } from '../../src/server/service.js';
import { parseAgentConfig, type AgentConfig } from '../../src/agent/config.js';
import { createProgram } from '../../src/cli/program.js';
import { makeEngine, type TestEngine } from '../platform/engines.js';

export const OPERATOR = 'agent-test-operator-token-0123456789';
/** Local midnight at the site: the Sun far below the horizon, the Moon near new. */
export const NIGHT = '2026-01-15T23:00:00Z';
export const SITE = { name: 'Agent test site', latDeg: 45, lonDeg: 5, elevationM: 300 };
export const OPTICS = { apertureMm: 100, focalLengthMm: 500, pixelSizeUm: 5, sensorWidthPx: 256, sensorHeightPx: 256, gainEPerAdu: 1, readNoiseE: 5 };
export const FILTERS = ['L', 'V', 'R'];

export interface Harness {
  engine: TestEngine;
  dir: string;
  clock: Clock;
  speed: number;
  service: Service;
  url: string;
  operator: ApiClient;
  /** Stop the service (and its ingest worker); the data stays. */
  down(): Promise<void>;
  /** Start it again on the same port with the same data. */
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startHarness(engineName: 'pglite' | 'postgres', opts: { speed: number; start?: string; clock?: Clock }): Promise<Harness> {
  const engine = await makeEngine(engineName);
  const dir = await mkdtemp(path.join(tmpdir(), 'openastro-agent-'));
  const clock = opts.clock ?? acceleratedClock(new Date(opts.start ?? NIGHT), opts.speed);
  let port = 0;
  let service: Service | undefined;
  let pipeline: Pipeline | undefined;
  const logger = createLogger({ level: 'silent' });

  async function config(): Promise<Config> {
    return loadConfig({
      env: { OPENASTRO_DATA_DIR: path.join(dir, 'service'), OPENASTRO_OPERATOR_TOKEN: OPERATOR, ...(engine.url ? { DATABASE_URL: engine.url } : {}) },
      cwd: dir,
      overrides: [
        { path: 'server.host', value: '127.0.0.1', source: 'test' },
        { path: 'server.port', value: port, source: 'test' },
        { path: 'jobs.pollingIntervalSeconds', value: 0.5, source: 'test' },
        { path: 'jobs.schema', value: engine.name === 'pglite' ? 'pgboss' : `pgboss_${engine.tag}`, source: 'test' },
        { path: 'network.sweepIntervalS', value: 1, source: 'test' },
      ],
    });
  }

  const h: Harness = {
    engine,
    dir,
    clock,
    speed: opts.speed,
    service: undefined as unknown as Service,
    url: '',
    operator: undefined as unknown as ApiClient,
    async up() {
      service = await startService({ config: await config(), clock, logger, shutdownGraceMs: 300 });
      const ctx = service.context;
      pipeline = await startPipeline({
        database: ctx.database,
        jobs: ctx.jobs!,
        storage: ctx.storage!,
        clock,
        handlers: { ingest: ingestStage() },
        queues: ['ingest'],
        pollingIntervalSeconds: 0.5,
        maintenanceIntervalS: 0,
        stopTimeoutMs: 5000,
      });
      port = Number(new URL(service.url).port);
      h.service = service;
      h.url = service.url;
      h.operator = createApiClient({ baseUrl: service.url, token: OPERATOR });
    },
    async down() {
      await pipeline?.stop();
      await service?.close();
      pipeline = undefined;
      service = undefined;
    },
    async close() {
      await h.down().catch(() => undefined);
      await engine.cleanup().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await h.up();
  return h;
}

export interface MissionJson {
  id: string;
  state: string;
  deliveredExposureS: number;
  totalExposureS: number;
}

export async function createMission(h: Harness, m: { name: string; raDeg: number; decDeg: number; filter: string; totalExposureS: number; subExposureS: number; priority?: number }): Promise<MissionJson> {
  return h.operator.post<MissionJson>('/api/v1/missions', {
    ...m,
    targetName: m.name,
    priority: m.priority ?? 10,
    constraints: { minAltitudeDeg: 20, minMoonSeparationDeg: 0 },
  });
}

/** Polls `check` every 100 ms (real) until it gives a value. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const end = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An agent configuration for the simulator against the harness, as a document would give it. */
export function simulatorConfig(h: Harness, stateDir: string, extra: Record<string, unknown> = {}): AgentConfig {
  return parseAgentConfig(
    {
      server: h.url,
      stateDir,
      heartbeatIntervalS: 15,
      site: SITE,
      optics: OPTICS,
      filters: FILTERS,
      devices: { kind: 'simulator', seed: 7, slewRateDegPerS: 30, settleS: 1, readoutS: 0.5 },
      limits: { pollWaitS: 2, workRetryS: 5, weatherCheckS: 5, retryMaxS: 10, backoffBaseS: 2, backoffMaxS: 10, chunkKb: 64, requestTimeoutS: 10 },
      log: { level: 'silent' },
      ...extra,
    },
    { cwd: stateDir, env: {} },
  );
}

const ROOT = new URL('../../', import.meta.url).pathname;

/** The real CLI once `agent` is registered in program.ts; until then the same command in a minimal tree. */
function agentArgv(configFile: string): string[] {
  const registered = createProgram({ stdout: () => undefined, stderr: () => undefined, stderrIsTty: false, cwd: ROOT }).commands.some((c) => c.name() === 'agent');
  if (registered) return ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'agent', '--config', configFile];
  const script = [
    "import { Command } from 'commander';",
    `import { agentCommand } from ${JSON.stringify(path.join(ROOT, 'src/cli/commands/agent.ts'))};`,
    `import { processIo } from ${JSON.stringify(path.join(ROOT, 'src/cli/io.ts'))};`,
    "const root = new Command('openastro').exitOverride();",
    'root.addCommand(agentCommand(processIo()));',
    "try { await root.parseAsync(process.argv.slice(1), { from: 'user' }); } catch (e) { process.stderr.write(`openastro: ${e.message}\\n`); process.exitCode = 1; }",
  ].join('\n');
  return ['--import', 'tsx', '--input-type=module', '-e', script, 'agent', '--config', configFile];
}

export interface AgentChild {
  proc: ChildProcess;
  /** JSON log lines (the configuration sends the log to stderr). */
  lines: Array<Record<string, unknown>>;
  text: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `openastro agent --config FILE` as a child process; `onLine` sees each JSON log line as it comes. */
export function runAgentProcess(configFile: string, onLine?: (l: Record<string, unknown>, c: AgentChild) => void): AgentChild {
  const proc = spawn(process.execPath, agentArgv(configFile), { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let buf = '';
  let all = '';
  const c: AgentChild = {
    proc,
    lines: [],
    text: () => all,
    exit: new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal }))),
  };
  proc.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
    all += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        const l = JSON.parse(line) as Record<string, unknown>;
        c.lines.push(l);
        onLine?.(l, c);
      } catch {
        /* not a log line */
      }
    }
  });
  return c;
}
