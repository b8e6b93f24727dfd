/**
 * The service lifecycle in a child process, on PGlite (data in a temp dir) and PostgreSQL:
 * a start that fails (port taken) closes what it opened, a start that succeeds serves
 * /healthz and a heartbeat over real HTTP, and after close() the process ends by itself —
 * no timer, socket or database handle left behind. Then `openastro serve` the same way,
 * stopped by SIGTERM.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { engineNames, makeEngine } from '../platform/engines.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const src = (p: string) => pathToFileURL(path.join(REPO, 'src', p)).href;
const OPERATOR_TOKEN = 'operator-token-for-lifecycle-tests';

const tmpRoots: string[] = [];
afterAll(() => {
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** ms from the child's 'closed' line to its exit. */
  exitAfterCloseMs?: number;
}

/**
 * Run a TypeScript file with tsx; `onLine` sees each stdout line (and may signal the
 * child). Fails the test if the child has not exited after `timeoutMs`.
 */
function runChild(file: string, env: Record<string, string>, timeoutMs: number, onLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void, stderrLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let closedAt: number | undefined;
    const kill = (s: NodeJS.Signals) => child.kill(s);
    const lines = (buf: string, fn?: (l: string, k: typeof kill) => void) => {
      const parts = buf.split('\n');
      for (const l of parts.slice(0, -1)) fn?.(l, kill);
      return parts[parts.length - 1];
    };
    let outRest = '';
    let errRest = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      outRest = lines(outRest + d, (l, k) => {
        if (l.startsWith('closed')) closedAt = performance.now();
        onLine?.(l, k);
      });
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
      errRest = lines(errRest + d, stderrLine);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}`));
    }, timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, exitAfterCloseMs: closedAt === undefined ? undefined : performance.now() - closedAt });
    });
  });
}

const lifecycleScript = `
import net from 'node:net';
import { startService } from '${src('server/service.ts')}';
import { loadConfig } from '${src('platform/config/index.ts')}';
import { createLogger } from '${src('platform/log/index.ts')}';

const logger = createLogger({ level: 'warn', destination: 2 });

// 1. A start that fails after the database and the job queue are up: the port is taken.
const blocker = net.createServer();
await new Promise((r) => blocker.listen(0, '127.0.0.1', r));
const takenPort = blocker.address().port;
const bad = await loadConfig({ overrides: [{ path: 'server.port', value: takenPort, source: 'test' }] });
const err = await startService({ config: bad, logger, shutdownGraceMs: 1000 }).then(() => null, (e) => e);
console.log('failed-start ' + JSON.stringify({ code: err?.code ?? null }));
await new Promise((r) => blocker.close(r));

// 2. A start that succeeds; one real heartbeat over HTTP.
const config = await loadConfig({ overrides: [{ path: 'server.port', value: 0, source: 'test' }] });
const service = await startService({ config, logger, shutdownGraceMs: 1000 });
const health = await fetch(service.url + '/healthz');
console.log('health ' + JSON.stringify({ status: health.status, body: await health.json() }));
const auth = { authorization: 'Bearer ${OPERATOR_TOKEN}', 'content-type': 'application/json' };
const site = await (await fetch(service.url + '/api/v1/sites', { method: 'POST', headers: auth, body: JSON.stringify({ name: 's', latitudeDeg: 10, longitudeDeg: 20 }) })).json();
const reg = await (await fetch(service.url + '/api/v1/nodes', { method: 'POST', headers: auth, body: JSON.stringify({ siteId: site.id, name: 'n', apertureMm: 100, focalLengthMm: 500, pixelSizeUm: 3.8, sensorWidthPx: 1000, sensorHeightPx: 800, filters: ['V'] }) })).json();
const hb = await fetch(service.url + '/api/v1/nodes/' + reg.node.id + '/heartbeat', { method: 'POST', headers: { authorization: 'Bearer ' + reg.token, 'content-type': 'application/json' }, body: JSON.stringify({ state: 'ONLINE' }) });
console.log('heartbeat ' + hb.status);
const metrics = await (await fetch(service.url + '/metrics')).text();
console.log('metrics ' + JSON.stringify(metrics.split('\\n').filter((l) => l.startsWith('openastro_nodes{'))));
await service.close();
await service.close(); // idempotent
console.log('closed');
// No process.exit: the process must end on its own.
`;

describe.each(engineNames())('service lifecycle on %s', (engineName) => {
  it('cleans up after a failed start, serves, and lets the process exit after close()', async () => {
    const engine = await makeEngine(engineName);
    const dir = mkdtempSync(path.join(tmpdir(), 'openastro-service-'));
    tmpRoots.push(dir);
    const script = path.join(dir, 'lifecycle.mts');
    writeFileSync(script, lifecycleScript);
    const env: Record<string, string> = {
      OPENASTRO_HOST: '127.0.0.1',
      OPENASTRO_DATA_DIR: path.join(dir, 'data'),
      OPENASTRO_OPERATOR_TOKEN: OPERATOR_TOKEN,
      OPENASTRO_JOBS_POLLING_INTERVAL_S: '0.5',
      OPENASTRO_SWEEP_INTERVAL_S: '1',
      DATABASE_URL: engine.url ?? '',
    };
    if (engineName === 'postgres') env.OPENASTRO_JOBS_SCHEMA = `pgboss_${engine.tag}`;
    try {
      const r = await runChild(script, env, 120_000);
      expect(r.stderr).not.toMatch(/Error|error/);
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      const out = r.stdout.split('\n');
      expect(out).toContain('failed-start {"code":"EADDRINUSE"}');
      expect(out).toContain(`health {"status":200,"body":{"status":"ok","db":"${engineName}"}}`);
      expect(out).toContain('heartbeat 200');
      expect(out).toContain('metrics ["openastro_nodes{state=\\"ONLINE\\"} 1","openastro_nodes{state=\\"BUSY\\"} 0","openastro_nodes{state=\\"PARKED\\"} 0","openastro_nodes{state=\\"FAULTED\\"} 0"]');
      expect(out).toContain('closed');
      // Nothing keeps the event loop alive after close().
      expect(r.exitAfterCloseMs).toBeLessThan(3000);
    } finally {
      await engine.cleanup();
    }
  }, 150_000);
});

const serveScript = `
import { serveCommand } from '${src('cli/commands/serve.ts')}';
import { processIo } from '${src('cli/io.ts')}';
const io = processIo();
await serveCommand(io).parseAsync(process.argv.slice(2), { from: 'user' });
console.log('closed');
`;

describe('openastro serve', () => {
  it('serves until SIGTERM, then shuts down and exits 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openastro-serve-'));
    tmpRoots.push(dir);
    const script = path.join(dir, 'serve.mts');
    writeFileSync(script, serveScript.replace('process.argv.slice(2)', `['--config', ${JSON.stringify(path.join(dir, 'openastro.toml'))}, '--port', '0']`));
    writeFileSync(path.join(dir, 'openastro.toml'), `dataDir = "data"\n[server]\nport = 1\n[log]\nlevel = "info"\n[jobs]\npollingIntervalSeconds = 0.5\n`);
    let url: string | undefined;
    let health: Promise<number> | undefined;
    const r = await runChild(script, { DATABASE_URL: '', OPENASTRO_CONFIG: '' }, 120_000, undefined, (line, kill) => {
      const m = /serving on (http:\/\/\S+) /.exec(line);
      if (m) {
        url = m[1];
        health = fetch(`${url}/healthz`).then((res) => {
          kill('SIGTERM');
          return res.status;
        });
      }
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(url).not.toMatch(/:1$/); // --port 0 overrode the file's port
    expect(await health).toBe(200);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('SIGTERM received, shutting down');
    expect(r.stdout).toBe('closed\n'); // logs go to stderr, stdout only carries results
    const logLines = r.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { msg: string });
    expect(logLines.map((l) => l.msg)).toEqual(expect.arrayContaining(['starting service', 'service listening', 'service stopped']));
  }, 150_000);

  it('lists every configuration problem and exits 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openastro-serve-bad-'));
    tmpRoots.push(dir);
    const cfg = path.join(dir, 'bad.yaml');
    writeFileSync(cfg, 'server:\n  port: -1\nnetwork:\n  heartbeatIntervalS: 5\n');
    const script = path.join(dir, 'serve.mts');
    writeFileSync(
      script,
      `import { serveCommand } from '${src('cli/commands/serve.ts')}';\nimport { processIo } from '${src('cli/io.ts')}';\n` +
        `const io = processIo();\nconst cmd = serveCommand(io).exitOverride();\ntry { await cmd.parseAsync(['--config', ${JSON.stringify(cfg)}], { from: 'user' }); } catch (e) { io.stderr('openastro: ' + e.message + '\\n'); process.exitCode = e.exitCode ?? 1; }\n`,
    );
    const r = await runChild(script, {}, 60_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`server.port: must be an integer from 0 to 65535 (got -1) [from ${cfg}]`);
    expect(r.stderr).toContain(`network.heartbeatIntervalS: must be a number from 15 to 30 (got 5) [from ${cfg}]`);
    expect(r.stderr).toContain('openastro: the configuration has 2 problem(s), listed above');
  }, 60_000);
});
