/**
 * What the agent keeps in its state folder and reads at start: the configuration file
 * (the same settings in TOML, YAML and JSON; defaults and relative paths; secrets from the
 * environment; every problem at once with its path), node credentials (from the file, the
 * state folder, or neither), the status file (atomic, typed errors, the running check,
 * the human format) and the command log (survives a restart, damage set aside, running
 * commands never pruned).
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAgentConfig, parseAgentConfig, statePaths } from '../../src/agent/config.js';
import { readStoredCredentials, resolveCredentials, storeCredentials } from '../../src/agent/lifecycle/credentials.js';
import { ConfigError } from '../../src/platform/config/errors.js';
import { manualClock } from '../../src/network/clock.js';
import { Outbox } from '../../src/agent/outbox/index.js';
import { collectStatus, formatStatus, pushError, readStatusFile, writeStatusFile, STATUS_SCHEMA, type AgentStatus } from '../../src/agent/status.js';
import { CommandLog } from '../../src/agent/lifecycle/command-log.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'openastro-agent-state-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NODE = '0b7c3f3e-8a8e-4c59-9a55-1f6f2b9f0c11';

function problemsOf(f: () => unknown): Array<{ path: string; problem: string }> {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return [...(e as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

describe('agent configuration', () => {
  it('reads the same settings from TOML, YAML and JSON', async () => {
    const toml = [
      'server = "http://127.0.0.1:8080"',
      'stateDir = "var/state"',
      'filters = ["L", "V"]',
      '[node]',
      `id = "${NODE}"`,
      'token = "secret-node-token-1234567890"',
      '[site]',
      'latDeg = 45.5',
      'lonDeg = -73.6',
      'elevationM = 30',
      '[optics]',
      'apertureMm = 200',
      'focalLengthMm = 1000',
      'pixelSizeUm = 3.76',
      'sensorWidthPx = 4096',
      'sensorHeightPx = 2160',
      '[devices]',
      'kind = "simulator"',
      'seed = 9',
      'clouds = { kind = "passing", seed = 4, cloudyFraction = 0.2 }',
      '[limits]',
      'chunkKb = 256',
      '',
    ].join('\n');
    const yaml = [
      'server: http://127.0.0.1:8080',
      'stateDir: var/state',
      'filters: [L, V]',
      `node: { id: ${NODE}, token: secret-node-token-1234567890 }`,
      'site: { latDeg: 45.5, lonDeg: -73.6, elevationM: 30 }',
      'optics: { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, sensorWidthPx: 4096, sensorHeightPx: 2160 }',
      'devices: { kind: simulator, seed: 9, clouds: { kind: passing, seed: 4, cloudyFraction: 0.2 } }',
      'limits: { chunkKb: 256 }',
      '',
    ].join('\n');
    const json = JSON.stringify({
      server: 'http://127.0.0.1:8080',
      stateDir: 'var/state',
      filters: ['L', 'V'],
      node: { id: NODE, token: 'secret-node-token-1234567890' },
      site: { latDeg: 45.5, lonDeg: -73.6, elevationM: 30 },
      optics: { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, sensorWidthPx: 4096, sensorHeightPx: 2160 },
      devices: { kind: 'simulator', seed: 9, clouds: { kind: 'passing', seed: 4, cloudyFraction: 0.2 } },
      limits: { chunkKb: 256 },
    });
    const configs = [];
    for (const [ext, text] of [['toml', toml], ['yaml', yaml], ['json', json]] as const) {
      const f = path.join(dir, `node.${ext}`);
      await writeFile(f, text);
      const c = await loadAgentConfig(f, { env: {} });
      configs.push({ ...c, file: undefined });
    }
    expect(configs[1]).toEqual(configs[0]);
    expect(configs[2]).toEqual(configs[0]);
    const c = configs[0];
    // Relative paths are relative to the file's folder; defaults fill the rest.
    expect(c.stateDir).toBe(path.join(dir, 'var/state'));
    expect(c.log.file).toBe(path.join(dir, 'var/state/agent.log'));
    expect(c.heartbeatIntervalS).toBe(30);
    expect(c.limits).toMatchObject({ chunkKb: 256, minStars: 1, pollWaitS: 30, workRetryS: 60, weatherCheckS: 10, backoffBaseS: 5, backoffMaxS: 1800 });
    expect(c.devices).toEqual({ kind: 'simulator', seed: 9, wcs: 'none', clouds: { kind: 'passing', seed: 4, cloudyFraction: 0.2 } });
    expect(c.node).toEqual({ id: NODE, token: 'secret-node-token-1234567890' });
  });

  it('takes secrets from the environment and fills INDI defaults', () => {
    const c = parseAgentConfig(
      { server: 'https://astro.example.org', node: { id: NODE }, register: undefined, devices: { kind: 'indi', camera: 'ZWO CCD ASI294MC Pro' } },
      { cwd: dir, env: { OPENASTRO_NODE_TOKEN: 'from-the-environment-123456' } },
    );
    expect(c.node.token).toBe('from-the-environment-123456');
    expect(c.devices).toEqual({ kind: 'indi', host: '127.0.0.1', port: 7624, mount: 'Telescope Simulator', camera: 'ZWO CCD ASI294MC Pro', filterWheel: 'ZWO CCD ASI294MC Pro', slewTimeoutS: 300 });
    const noWheel = parseAgentConfig({ server: 'http://h', node: { id: NODE, token: 't' }, devices: { kind: 'indi', filterWheel: '' } }, { cwd: dir, env: {} });
    expect(noWheel.devices).toMatchObject({ filterWheel: '' });
  });

  it('lists every problem with its path', () => {
    const problems = problemsOf(() =>
      parseAgentConfig(
        {
          server: 'localhost:8080',
          heartbeatIntervalS: 60,
          node: { id: 'node-7' },
          speed: 3,
          site: { latDeg: 95, lonDeg: 5 },
          devices: { kind: 'simulator', clouds: { kind: 'foggy' }, wcs: 'exact' },
          limits: { chunkKb: 0, pollWaitS: 90, backoffBaseS: 100, backoffMaxS: 10, uploadKBps: -1 },
          clock: { speed: 10, realStart: '2026-01-01T00:00:00Z' },
          log: { level: 'chatty' },
        },
        { cwd: dir, env: {} },
      ),
    );
    const byPath = new Map(problems.map((p) => [p.path, p.problem]));
    expect(byPath.get('server')).toMatch(/http:\/\/ or https:\/\/ URL/);
    expect(byPath.get('heartbeatIntervalS')).toMatch(/from 15 to 30/);
    expect(byPath.get('node.id')).toMatch(/UUID/);
    expect(byPath.get('speed')).toMatch(/unknown setting/);
    expect(byPath.get('site.latDeg')).toMatch(/from -90 to 90/);
    expect(byPath.get('optics')).toMatch(/required for the simulator/);
    expect(byPath.get('devices.clouds.kind')).toMatch(/'clear', 'overcast' or 'passing'/);
    expect(byPath.get('devices.wcs')).toMatch(/'none' or 'rough'/);
    expect(byPath.get('limits.chunkKb')).toMatch(/integer from 1/);
    expect(byPath.get('limits.pollWaitS')).toMatch(/from 0 to 60/);
    expect(byPath.get('limits.backoffMaxS')).toMatch(/≥ limits.backoffBaseS/);
    expect(byPath.get('limits.uploadKBps')).toMatch(/> 0/);
    expect(byPath.get('clock.start')).toMatch(/required with clock.realStart/);
    expect(byPath.get('log.level')).toMatch(/one of fatal, error/);
  });

  it('wants what registration needs, and reports a file that does not parse with its line', async () => {
    const problems = problemsOf(() => parseAgentConfig({ server: 'http://h', register: { name: 'n' }, devices: { kind: 'indi' } }, { cwd: dir, env: {} }));
    expect(problems.map((p) => p.path).sort()).toEqual(['filters', 'optics', 'register.operatorToken', 'site']);

    const f = path.join(dir, 'broken.toml');
    await writeFile(f, 'server = "http://h"\n[devices\nkind = "indi"\n');
    const err = await loadAgentConfig(f, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/not valid TOML: .* at line 2/);
    expect((err as ConfigError).message).toContain(f);
  });
});

describe('node credentials', () => {
  const base = { server: 'http://127.0.0.1:1', devices: { kind: 'indi' } };

  it('come from the configuration, else from the state folder; never made up', async () => {
    const stateDir = path.join(dir, 'cred-state');
    const fromConfig = parseAgentConfig({ ...base, stateDir, node: { id: NODE, token: 'tok-1234567890' } }, { cwd: dir, env: {} });
    expect(await resolveCredentials(fromConfig, { now: new Date(0) })).toEqual({ nodeId: NODE, token: 'tok-1234567890', source: 'config' });

    const none = parseAgentConfig({ ...base, stateDir }, { cwd: dir, env: {} });
    const err = await resolveCredentials(none, { now: new Date(0) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems[0].path).toBe('node.token');

    const file = statePaths(stateDir).credentials;
    await storeCredentials(file, { nodeId: NODE, token: 'stored-token-123456', server: base.server, registeredAt: new Date(0).toISOString() });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await resolveCredentials(none, { now: new Date(0) })).toEqual({ nodeId: NODE, token: 'stored-token-123456', source: 'stored' });
    // A configuration naming another node is a mistake, not a reason to register again.
    const other = parseAgentConfig({ ...base, stateDir, node: { id: randomUUID() }, register: { operatorToken: 'op-token-1234567890', name: 'x' }, site: { latDeg: 1, lonDeg: 1 }, optics: { apertureMm: 1, focalLengthMm: 1, pixelSizeUm: 1, sensorWidthPx: 1, sensorHeightPx: 1 }, filters: ['L'] }, { cwd: dir, env: {} });
    const mismatch = await resolveCredentials(other, { now: new Date(0) }).catch((e: unknown) => e);
    expect((mismatch as ConfigError).problems[0].path).toBe('node.id');

    await writeFile(file, '{ not json');
    await expect(readStoredCredentials(file)).rejects.toMatchObject({ code: 'IO' });
  });
});

function status(over: Partial<AgentStatus> = {}): AgentStatus {
  return {
    schema: STATUS_SCHEMA,
    pid: 4242,
    nodeId: 'node-1',
    server: 'http://s',
    state: 'BUSY',
    since: '2026-01-15T23:00:00.000Z',
    updatedAt: '2026-01-15T23:01:30.000Z',
    currentTarget: 'M 67',
    task: { commandId: 'c', missionId: 'm', taskId: 't', target: 'M 67', filter: 'V', framesDone: 3, framesPlanned: 10 },
    weather: { ok: true, reasons: [], at: '2026-01-15T23:01:00.000Z' },
    lastHeartbeat: { at: '2026-01-15T23:01:00.000Z', ok: false, error: 'UNREACHABLE: no route' },
    lastHeartbeatOk: '2026-01-15T22:59:00.000Z',
    counters: { frames: 3, framesQueued: 2, framesRejected: 1, commandsDone: 4, commandsFailed: 1, uploadsSent: 5, uploadsRejected: 0 },
    outbox: { items: 0, bytes: 0, measurements: 0, frames: 0 },
    lastErrors: [],
    ...over,
  };
}

describe('agent status', () => {
  it('folds repeated errors and keeps the newest twenty', () => {
    let list = pushError([], 'heartbeat', new Error('down'), new Date('2026-01-01T00:00:00Z'));
    list = pushError(list, 'heartbeat', new Error('down'), new Date('2026-01-01T00:00:05Z'));
    expect(list).toEqual([{ at: '2026-01-01T00:00:05.000Z', where: 'heartbeat', message: 'down', count: 2 }]);
    for (let i = 0; i < 30; i++) list = pushError(list, 'poll', `e${i}`, new Date(i * 1000));
    expect(list).toHaveLength(20);
    expect(list[0].message).toBe('e29');
  });

  it('replaces the file atomically and refuses a damaged one with a typed error', async () => {
    const file = path.join(dir, 'a', 'status.json');
    expect(await readStatusFile(file)).toBeUndefined();
    await writeStatusFile(file, status());
    await writeStatusFile(file, status({ state: 'ONLINE' }));
    expect((await readStatusFile(file))?.state).toBe('ONLINE');
    expect(await readdir(path.dirname(file))).toEqual(['status.json']);
    await writeFile(file, '{"schema":"something else"}');
    await expect(readStatusFile(file)).rejects.toMatchObject({ code: 'IO' });
    await writeFile(file, 'not json');
    await expect(readStatusFile(file)).rejects.toMatchObject({ code: 'IO', message: expect.stringMatching(/not JSON/) });
  });

  it('says whether the agent runs, and shows state, task, outbox and errors', async () => {
    const stateDir = path.join(dir, 'node');
    const p = statePaths(stateDir);
    const clock = manualClock('2026-01-15T23:01:30Z');
    const ob = await Outbox.open({ dir: p.outbox, clock });
    const e = await ob.enqueue({ kind: 'frame', bytes: new Uint8Array(2048), fileName: 'f.fits' });
    await ob.markFailed(ob.next()!.id, new Error('HTTP 503'));
    await ob.close();
    await writeStatusFile(p.status, status({ lastErrors: pushError([], 'heartbeat', 'UNREACHABLE: no route', new Date('2026-01-15T23:01:00Z')) }));

    const alive = await collectStatus(stateDir, { isAlive: (pid) => pid === 4242 });
    expect(alive.running).toBe(true);
    expect(alive.outbox.depth).toMatchObject({ items: 1, frames: 1 });
    expect((await collectStatus(stateDir, { isAlive: () => false })).running).toBe(false);

    const text = formatStatus(alive, new Date('2026-01-15T23:02:00Z'));
    expect(text).toContain('state:  BUSY since 2026-01-15T23:00:00.000Z (2 min ago) — running, pid 4242');
    expect(text).toContain('task:   M 67 in V, 3/10 frames');
    expect(text).toContain('last heartbeat: 2026-01-15T23:01:00.000Z (60 s ago) failed: UNREACHABLE: no route; last answered 2026-01-15T22:59:00.000Z (3 min ago)');
    expect(text).toContain('outbox: 1 item waiting (0 measurements, 1 frame)');
    // Newest first, the agent's and the outbox's together.
    expect(text).toMatch(/last errors:\n {2}2026-01-15T23:01:30.000Z {2}upload 1-\S+ \(attempt 1\): HTTP 503\n {2}2026-01-15T23:01:00.000Z {2}heartbeat: UNREACHABLE: no route/);
    void e;

    const dead = formatStatus({ ...alive, running: false }, new Date('2026-01-15T23:02:00Z'));
    expect(dead).toContain('not running (pid 4242 is gone; last update 2026-01-15T23:01:30.000Z (30 s ago))');
    expect(formatStatus({ stateDir, running: false, outbox: { depth: { items: 0, bytes: 0, measurements: 0, frames: 0 }, lastErrors: [] } }, new Date())).toMatch(/no status file/);
  });
});

describe('command log', () => {
  it('remembers commands across a restart; running ones are never pruned', async () => {
    const file = path.join(dir, 'log', 'commands.json');
    const clock = manualClock('2026-01-15T23:00:00Z');
    const log = await CommandLog.open(file, clock, { keep: 3 });
    await log.begin({ id: 'run', kind: 'observe', taskId: 't1', payload: { count: 5 }, attempt: 1 });
    await log.update('run', (r) => ({ ...r!, framesDone: 2 }));
    for (const id of ['a', 'b', 'c']) {
      await log.begin({ id, kind: 'dance', taskId: null, payload: {}, attempt: 1 });
      clock.advance(1000);
      await log.finish(id, { ok: false, reason: 'unknown command kind' });
    }
    await log.flush();

    const again = await CommandLog.open(file, clock, { keep: 3 });
    expect(again.get('run')).toMatchObject({ state: 'running', framesDone: 2, payload: { count: 5 } });
    expect(again.running().map((r) => r.id)).toEqual(['run']);
    // Three kept: the running one and the two newest finished.
    expect(again.get('a')).toBeUndefined();
    expect(again.pending().map((r) => r.id).sort()).toEqual(['b', 'c']);

    await writeFile(file, '{"version": 1, "commands": [');
    const fresh = await CommandLog.open(file, clock);
    expect(fresh.running()).toEqual([]);
    const names = await readdir(path.dirname(file));
    expect(names.some((n) => n.startsWith('commands.json.corrupt-'))).toBe(true);
    expect(await readFile(path.join(path.dirname(file), names.find((n) => n.startsWith('commands.json.corrupt-'))!), 'utf8')).toContain('"commands"');
  });
});
