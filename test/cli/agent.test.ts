/**
 * `openastro agent` in-process: a configuration with mistakes is refused with every
 * problem named; a running agent (simulator, service unreachable) is reported by
 * `agent status` — state, outbox depth, last errors — and SIGINT parks and stops it with
 * exit status 0, after which status says STOPPED.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentCommand, type AgentCommandDeps } from '../../src/cli/commands/agent.js';
import { CliError, oneLineReason } from '../../src/cli/errors.js';
import type { CliIo } from '../../src/cli/io.js';
import { systemClock } from '../../src/network/clock.js';
import { Outbox } from '../../src/agent/outbox/index.js';
import { statePaths } from '../../src/agent/config.js';
import { collectStatus } from '../../src/agent/status.js';
import type { Agent } from '../../src/agent/lifecycle/index.js';

interface Run {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
}

/** The agent command in a tree of its own (with injected signals), run like `run()` does. */
function runAgentCli(argv: string[], cwd: string, deps: AgentCommandDeps = {}): Run {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTty: false, cwd };
  const root = new Command('openastro').exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  const agent = agentCommand(io, { env: {}, ...deps });
  root.addCommand(agent);
  for (const c of [agent, ...agent.commands]) c.exitOverride();
  const code = root.parseAsync(argv, { from: 'user' }).then(
    () => 0,
    (err: unknown) => {
      if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
      io.stderr(`openastro: ${oneLineReason(err)}\n`);
      return err instanceof CliError ? err.exitCode : 1;
    },
  );
  return { code, stdout: () => stdout, stderr: () => stderr };
}

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('openastro agent', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-agent-cli-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses a configuration with mistakes, naming each', async () => {
    const file = path.join(dir, 'bad.toml');
    await writeFile(
      file,
      ['server = "ftp://example.org"', 'heartbeatIntervalS = 5', 'colour = "blue"', '[node]', `id = "${randomUUID()}"`, '[devices]', 'kind = "telepathy"', ''].join('\n'),
    );
    const r = runAgentCli(['agent', '--config', file], dir);
    expect(await r.code).toBe(2);
    const err = r.stderr();
    expect(err).toMatch(/server: must be an http:\/\/ or https:\/\/ URL \(got "ftp:\/\/example.org"\)/);
    expect(err).toMatch(/heartbeatIntervalS: must be a number from 15 to 30 \(got 5\)/);
    expect(err).toMatch(/colour: unknown setting/);
    expect(err).toMatch(/node.token: is required with node.id/);
    expect(err).toMatch(/devices.kind: must be 'simulator' or 'indi'/);
    expect(err).toContain(file);
    expect(r.stdout()).toBe('');
  });

  it('says why when there is no configuration at all', async () => {
    const r = runAgentCli(['agent', 'status'], dir);
    expect(await r.code).toBe(2);
    expect(r.stderr()).toMatch(/--config is required/);
  });

  it('status shows a running agent’s state, outbox depth and last errors; SIGINT parks it and exits 0', async () => {
    const stateDir = path.join(dir, 'state');
    // Two items left from an earlier run, waiting for the service.
    const outbox = await Outbox.open({ dir: statePaths(stateDir).outbox, clock: systemClock });
    await outbox.enqueue({ kind: 'measurement', body: { id: 'm1', note: 'left over' } });
    await outbox.enqueue({ kind: 'frame', bytes: new Uint8Array(5000).fill(7), fileName: `ObsReq-${randomUUID()}_TelID-${randomUUID()}_20260115T230000.fits` });
    await outbox.close();

    const file = path.join(dir, 'node.yaml');
    await writeFile(
      file,
      [
        `server: http://127.0.0.1:${await deadPort()}`,
        'stateDir: state',
        'node:',
        `  id: ${randomUUID()}`,
        '  token: not-a-real-token-but-long-enough',
        'site: { latDeg: 45, lonDeg: 5, elevationM: 300 }',
        'optics: { apertureMm: 100, focalLengthMm: 500, pixelSizeUm: 5, sensorWidthPx: 64, sensorHeightPx: 64 }',
        'filters: [L, V]',
        'devices: { kind: simulator, seed: 3, slewRateDegPerS: 30 }',
        'limits: { pollWaitS: 1, retryMaxS: 2, requestTimeoutS: 2, backoffBaseS: 1, backoffMaxS: 2 }',
        'log: { level: silent }',
        '',
      ].join('\n'),
    );

    const signals = new EventEmitter();
    let started!: (a: Agent) => void;
    const up = new Promise<Agent>((r) => (started = r));
    const run = runAgentCli(['agent', '--config', file], dir, { signals, onStarted: (a) => started(a) });
    const agent = await up;

    // Wait until the failures have been written down.
    await expect
      .poll(async () => {
        const s = await collectStatus(stateDir);
        return Boolean(s.status?.lastHeartbeat && !s.status.lastHeartbeat.ok && s.outbox.lastErrors.length > 0);
      }, { timeout: 20_000, interval: 100 })
      .toBe(true);

    const human = runAgentCli(['agent', 'status', '--config', file], dir);
    expect(await human.code).toBe(0);
    const text = human.stdout();
    expect(text).toContain(`node:   ${agent.nodeId}`);
    expect(text).toMatch(/state: {2}ONLINE since .* — running, pid \d+/);
    expect(text).toContain('outbox: 2 items waiting (1 measurement, 1 frame)');
    expect(text).toMatch(/last heartbeat: .* failed: UNREACHABLE/);
    expect(text).toMatch(/last errors:\n(.*\n)*\s+\S+\s+heartbeat: UNREACHABLE/);
    expect(text).toMatch(/upload 0-\d+-\d+-[0-9a-f]+ \(attempt 1\): UNREACHABLE/);

    const json = runAgentCli(['agent', 'status', '--json', '--config', file], dir);
    expect(await json.code).toBe(0);
    const doc = JSON.parse(json.stdout()) as { running: boolean; status: { state: string; nodeId: string }; outbox: { depth: { items: number; frames: number } } };
    expect(doc.running).toBe(true);
    expect(doc.status.nodeId).toBe(agent.nodeId);
    expect(doc.outbox.depth).toMatchObject({ items: 2, frames: 1 });

    signals.emit('SIGINT');
    expect(await run.code).toBe(0);
    expect(run.stderr()).toMatch(/SIGINT received, parking and stopping/);
    expect(run.stderr()).toMatch(/openastro agent: stopped/);

    const after = runAgentCli(['agent', 'status', '--config', file], dir);
    expect(await after.code).toBe(0);
    expect(after.stdout()).toMatch(/state: {2}STOPPED since .* — stopped/);
    // Nothing was lost: the two items still wait.
    expect(after.stdout()).toContain('outbox: 2 items waiting');
  }, 60_000);
});
