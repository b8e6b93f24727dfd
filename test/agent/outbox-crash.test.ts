/**
 * Crash safety of the outbox: a child process enqueuing or uploading is killed with
 * SIGKILL at random moments; after each restart every acknowledged item is present and
 * intact, nothing half-written is visible, and no item marked sent is delivered again.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { Rng } from '../../src/science/inference/random.js';
import { Outbox } from '../../src/agent/outbox/index.js';
import { payloadFor } from '../fixtures/agent/outbox-payloads.js';

const CHILD = new URL('../fixtures/agent/outbox-child.ts', import.meta.url).pathname;
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'oa-crash-'));
  dirs.push(d);
  return d;
}

interface Run {
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(): void;
  stderr(): string;
}

function runChild(args: string[], onLine: (line: string, run: Run) => void): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let buf = '';
  const run: Run = {
    lines: [],
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    kill: () => child.kill('SIGKILL'),
    stderr: () => err,
  };
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      run.lines.push(line);
      onLine(line, run);
    }
  });
  return run;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const shaCache = new Map<number, string>();
function expectedSha(i: number): string {
  let h = shaCache.get(i);
  if (h === undefined) {
    const p = payloadFor(i);
    h = sha(p.kind === 'measurement' ? new TextEncoder().encode(JSON.stringify(p.body)) : p.bytes);
    shaCache.set(i, h);
  }
  return h;
}

describe('outbox under kill -9', () => {
  it('enqueue: every acknowledged item survives intact, nothing half-written appears', async () => {
    const rng = new Rng(2024);
    const dir = tempDir();
    const acked = new Map<number, string>();
    let next = 0;
    for (let round = 0; round < 8; round++) {
      const killAfter = 1 + rng.int(4);
      const delayMs = rng.int(40);
      let seen = 0;
      const run = runChild(['enqueue', dir, String(next), '40'], (line, r) => {
        const m = /^ACK (\d+) (\S+)$/.exec(line);
        if (!m) return;
        acked.set(Number(m[1]), m[2]);
        if (++seen === killAfter) setTimeout(() => r.kill(), delayMs);
      });
      const { signal } = await run.exit;
      expect(signal, run.stderr()).toBe('SIGKILL');
      const first = next;
      next = Math.max(...acked.keys()) + 2; // leave a gap for the one that may have been in flight

      // Restart: the outbox must hold every acknowledged item, intact.
      const ob = await Outbox.open({ dir, clock: manualClock() });
      expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
      // Nothing torn reached items/ (recovery would have had to set it aside).
      expect(readdirSync(join(dir, 'corrupt'))).toEqual([]);
      expect(ob.lastErrors(), JSON.stringify([ob.lastErrors(), readdirSync(join(dir, 'corrupt'))])).toEqual([]);
      const present = new Map(ob.list().map((e) => [e.meta.i as number, e]));
      for (const [i, id] of acked) {
        expect(present.get(i)?.id, `acknowledged item ${i} lost`).toBe(id);
      }
      for (const [i, e] of present) {
        expect(e.sha256).toBe(expectedSha(i));
        // Bytes re-read and hashed for the items of this round (earlier ones were checked before).
        if (i >= first) expect(sha(await ob.read(e.id))).toBe(expectedSha(i));
      }
      // At most the one item being written when the process died, beyond those acknowledged.
      const extra = [...present.keys()].filter((i) => !acked.has(i));
      expect(extra.length).toBeLessThanOrEqual(1);
      for (const i of extra) expect(i).toBeGreaterThanOrEqual(first);
      for (const i of extra) acked.set(i, present.get(i)!.id);
      expect(new Set(ob.list().map((e) => e.sha256)).size).toBe(ob.list().length);
      await ob.close();
    }
    expect(acked.size).toBeGreaterThan(4);
  }, 120_000);

  it('upload: after kills mid-delivery every item arrives, and only the in-flight one may arrive twice', async () => {
    const dir = tempDir();
    const log = join(tempDir(), 'delivered.log');
    const ob = await Outbox.open({ dir, clock: manualClock() });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const p = payloadFor(i);
      ids.push((await ob.enqueue(p.kind === 'measurement' ? { kind: 'measurement', body: p.body, meta: { i } } : { kind: 'frame', bytes: p.bytes, fileName: `f${i}.fits`, meta: { i } })).id);
    }
    await ob.close();
    const delivered = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
    const rng = new Rng(7);
    const inFlightAtKill: string[] = [];
    let done = false;
    for (let round = 0; round < 6 && !done; round++) {
      const before = delivered().length;
      const target = before + 1 + rng.int(6);
      const run = runChild(['upload', dir, log], (line) => {
        if (line === 'DONE') done = true;
      });
      const watcher = setInterval(() => {
        if (delivered().length >= target) run.kill();
      }, 1);
      const { signal, code } = await run.exit;
      clearInterval(watcher);
      if (signal === 'SIGKILL') {
        const d = delivered();
        if (d.length > 0) inFlightAtKill.push(d[d.length - 1]);
      } else {
        expect(code, run.stderr()).toBe(0);
      }
    }
    if (!done) {
      const run = runChild(['upload', dir, log], () => undefined);
      expect((await run.exit).code).toBe(0);
    }
    const d = delivered();
    const counts = new Map<string, number>();
    for (const id of d) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(new Set(d)).toEqual(new Set(ids));
    for (const [id, n] of counts) {
      // Resent only as often as it was caught between delivery and markSent by a kill.
      const caught = inFlightAtKill.filter((x) => x === id).length;
      expect(n, `item ${id} delivered ${n} times, in flight at ${caught} kills`).toBeLessThanOrEqual(1 + caught);
    }
    const reopened = await Outbox.open({ dir, clock: manualClock() });
    expect(reopened.depth().items).toBe(0);
    await reopened.close();
  }, 120_000);
});
