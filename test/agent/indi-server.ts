/**
 * An INDI server with the simulator drivers for the live tests: the one CI started
 * (INDI_PORT, from scripts/ci/indi.sh) or one of our own, spawned in its own process
 * group on a free port with a throw-away HOME, and ended with its drivers afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface IndiServer {
  port: number;
  log(): string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export async function startIndiServer(): Promise<IndiServer> {
  const external = process.env.INDI_PORT;
  if (external) return { port: Number(external), log: () => '(external server)', stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'openastro-indi-'));
  const logPath = join(dir, 'indiserver.log');
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const fd = openSync(logPath, 'a');
    const child = spawn('indiserver', ['-p', String(port), '-u', join(dir, 'sock'), 'indi_simulator_telescope', 'indi_simulator_ccd'], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, HOME: dir },
    });
    closeSync(fd);
    let exited = false;
    child.once('exit', () => (exited = true));
    const stop = async (): Promise<void> => {
      if (!exited && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        for (let i = 0; i < 50 && !exited; i++) await new Promise((r) => setTimeout(r, 100));
        try {
          if (!exited) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      rmSync(dir, { recursive: true, force: true });
    };
    for (let i = 0; i < 150 && !exited; i++) {
      if (await accepts(port)) return { port, log: () => readFileSync(logPath, 'utf8'), stop };
      await new Promise((r) => setTimeout(r, 100));
    }
    if (!exited && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }
  const log = readFileSync(logPath, 'utf8');
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`indiserver did not start: ${log.slice(-2000)}`);
}
