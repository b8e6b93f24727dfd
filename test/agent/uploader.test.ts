import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { AgentError } from '../../src/agent/errors.js';
import { manualSleep } from '../../src/agent/devices/time.js';
import { backoffDelayMs, Outbox, resolveBackoff, runUploader, type Delivery, type UploadEvent } from '../../src/agent/outbox/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'oa-upload-'));
  dirs.push(d);
  return d;
}
const bytes = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 7 + seed * 13 + (i >> 9)) & 0xff);
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Runs the uploader until `done()` holds, then stops it. */
async function runUntil(opts: Omit<Parameters<typeof runUploader>[0], 'signal'>, done: () => boolean, realLimitMs = 20_000): Promise<void> {
  const ctl = new AbortController();
  const loop = runUploader({ ...opts, signal: ctl.signal });
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > realLimitMs) {
      ctl.abort();
      await loop;
      throw new Error('uploader did not finish');
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  ctl.abort();
  await loop;
}

describe('uploader', () => {
  it('server down for 20 minutes while frames queue: every item arrives once it is back, measurements first', async () => {
    const clock = manualClock('2026-01-15T22:00:00Z');
    const ob = await Outbox.open({ dir: tempDir(), clock, backoff: { baseMs: 5000, maxMs: 120_000 } });
    const items = [];
    for (let i = 0; i < 6; i++) items.push(await ob.enqueue({ kind: 'frame', bytes: bytes(20_000 + i, i), fileName: `f${i}.fits` }));
    for (let i = 0; i < 6; i++) items.push(await ob.enqueue({ kind: 'measurement', body: { i, mag: 10 + i / 10 } }));
    const upAt = clock.now().getTime() + 20 * 60_000;
    const received = new Map<string, string>();
    const order: string[] = [];
    let refused = 0;
    let lastAt = 0;
    const send = async (d: Delivery): Promise<void> => {
      if (clock.now().getTime() < upAt) {
        refused++;
        throw new AgentError('CONNECTION', 'ECONNREFUSED');
      }
      if (received.has(d.id)) throw new Error(`duplicate ${d.id}`);
      received.set(d.id, sha(d.payload));
      order.push(d.kind);
      lastAt = clock.now().getTime();
    };
    await runUntil({ outbox: ob, send, clock, sleep: manualSleep(clock), idleMs: 1000 }, () => received.size === items.length);
    expect(refused).toBeGreaterThan(items.length);
    for (const it of items) expect(received.get(it.id)).toBe(it.sha256);
    // The first item through is whichever was due; then priority order: measurements, then frames.
    const rest = order.slice(1);
    expect(rest).toEqual([...rest].sort((a, b) => (a === b ? 0 : a === 'measurement' ? -1 : 1)));
    expect(order.filter((k) => k === 'measurement').length).toBe(6);
    expect(ob.depth().items).toBe(0);
    // Everything arrived within one maximal backoff of the server coming back (then all at once).
    expect(lastAt - upAt).toBeLessThanOrEqual(120_000);
    await ob.close();
  });

  it('retries on the exact backoff schedule', async () => {
    const clock = manualClock('2026-01-15T22:00:00Z');
    const random = (): number => 0.3;
    const policy = { baseMs: 2000, factor: 2, maxMs: 30_000, jitter: 0.5 };
    const ob = await Outbox.open({ dir: tempDir(), clock, backoff: policy, random });
    await ob.enqueue({ kind: 'measurement', body: { x: 1 } });
    const attempts: number[] = [];
    const send = async (): Promise<void> => {
      attempts.push(clock.now().getTime());
      if (attempts.length < 8) throw new Error('HTTP 503');
    };
    await runUntil({ outbox: ob, send, clock, sleep: manualSleep(clock) }, () => ob.depth().items === 0);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]);
    const p = resolveBackoff(policy);
    expect(gaps).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelayMs(n, p, 0.3)));
    // min(30 s, 2 s · 2^(n−1)) · (1 − 0.5 · 0.3)
    expect(gaps).toEqual([1700, 3400, 6800, 13600, 25500, 25500, 25500]);
  });

  it('survives a send that hangs, one that throws synchronously, and bad results', async () => {
    const clock = manualClock('2026-01-15T22:00:00Z');
    const ob = await Outbox.open({ dir: tempDir(), clock, backoff: { baseMs: 1000, jitter: 0 } });
    const a = await ob.enqueue({ kind: 'measurement', body: 'a' });
    const events: UploadEvent[] = [];
    let calls = 0;
    const send = (d: Delivery): Promise<void> => {
      calls++;
      if (calls === 1) return new Promise(() => undefined); // never settles
      if (calls === 2) throw new TypeError('boom'); // not even a promise
      if (calls === 3) return Promise.resolve({ complete: false, offset: -5 } as never);
      expect(d.body).toBe('a');
      return Promise.resolve();
    };
    await runUntil({ outbox: ob, send, clock, sleep: manualSleep(clock), sendTimeoutMs: 50, onEvent: (e) => events.push(e) }, () => ob.depth().items === 0);
    expect(events.map((e) => e.type)).toEqual(['failed', 'failed', 'failed', 'sent']);
    const failed = events.filter((e): e is Extract<UploadEvent, { type: 'failed' }> => e.type === 'failed');
    expect(failed[0].error).toMatch(/TIMEOUT/);
    expect(failed[1].error).toMatch(/boom/);
    expect(failed[2].error).toMatch(/offset -5/);
    expect(events[3]).toEqual({ type: 'sent', id: a.id, attempts: 4 });
  });

  it('resumes a large upload from the recorded offset, also after a restart', async () => {
    const dir = tempDir();
    const clock = manualClock('2026-01-15T22:00:00Z');
    const frame = bytes(100_000, 5);
    let ob = await Outbox.open({ dir, clock });
    const e = await ob.enqueue({ kind: 'frame', bytes: frame, fileName: 'big.fits' });
    // The server keeps what it was sent at the offsets it was sent to (a resent range overwrites).
    const server = new Uint8Array(frame.length);
    let have = 0;
    const CHUNK = 16_384;
    const offsetsAsked: number[] = [];
    let crashAt = 3 * CHUNK; // first run: the agent "dies" once the server has 3 chunks
    // Takes two chunks per attempt, confirming each; the connection drops after that.
    const send = async (d: Delivery, ctx: { offset: number; reportOffset(n: number): Promise<void> }): Promise<{ complete: false; offset: number } | void> => {
      offsetsAsked.push(ctx.offset);
      expect(ctx.offset).toBeLessThanOrEqual(have);
      let off = ctx.offset;
      for (let k = 0; k < 2 && off < d.payload.length && off < crashAt; k++) {
        const end = Math.min(d.payload.length, off + CHUNK);
        server.set(d.payload.subarray(off, end), off);
        off = end;
        have = Math.max(have, off);
        await ctx.reportOffset(off);
      }
      if (off < d.payload.length) throw new AgentError('CONNECTION', 'reset by peer');
    };
    await runUntil({ outbox: ob, send, clock, sleep: manualSleep(clock) }, () => (ob.list()[0]?.offset ?? 0) >= 3 * CHUNK);
    await ob.close();
    ob = await Outbox.open({ dir, clock });
    expect(ob.list()[0].offset).toBe(3 * CHUNK);
    crashAt = Infinity;
    await runUntil({ outbox: ob, send, clock, sleep: manualSleep(clock) }, () => ob.depth().items === 0);
    const distinct = offsetsAsked.filter((o, i) => i === 0 || o !== offsetsAsked[i - 1]);
    expect(distinct).toEqual([0, 2 * CHUNK, 3 * CHUNK, 5 * CHUNK]);
    expect(have).toBe(frame.length);
    expect(sha(server)).toBe(e.sha256);
    await ob.close();
  });

  it('wakes up for a new item instead of sleeping out the idle period', async () => {
    const clock = manualClock('2026-01-15T22:00:00Z');
    const ob = await Outbox.open({ dir: tempDir(), clock });
    const got: string[] = [];
    const ctl = new AbortController();
    // Real sleep with a 1-hour idle period: only the wake-up can deliver in time.
    const loop = runUploader({ outbox: ob, clock, signal: ctl.signal, idleMs: 3_600_000, send: async (d) => void got.push(d.id) });
    await new Promise((r) => setTimeout(r, 50));
    const e = await ob.enqueue({ kind: 'measurement', body: 1 });
    for (let i = 0; i < 200 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(got).toEqual([e.id]);
    ctl.abort();
    await loop;
    await ob.close();
  });
});
