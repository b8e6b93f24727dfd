import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { AgentError } from '../../src/agent/errors.js';
import { backoffDelayMs, inspectOutbox, Outbox, resolveBackoff } from '../../src/agent/outbox/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'oa-outbox-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const fits = (n: number, seed: number): Uint8Array => new Uint8Array(n).map((_, i) => (i * 131 + seed * 17) & 0xff);

async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof p === 'function' ? p() : p);
    return 'none';
  } catch (e) {
    expect(e).toBeInstanceOf(AgentError);
    return (e as AgentError).code;
  }
}

describe('outbox', () => {
  it('delivers measurements before frames, oldest first, leasing what it hands out', async () => {
    const clock = manualClock('2026-01-15T22:00:00Z');
    const ob = await Outbox.open({ dir: tempDir(), clock });
    const f1 = await ob.enqueue({ kind: 'frame', bytes: fits(5000, 1), fileName: 'a.fits' });
    clock.advance(1000);
    const m1 = await ob.enqueue({ kind: 'measurement', body: { flux: 1 } });
    const f2 = await ob.enqueue({ kind: 'frame', bytes: fits(3000, 2), fileName: 'b.fits' });
    clock.advance(1000);
    const m2 = await ob.enqueue({ kind: 'measurement', body: { flux: 2 } });
    expect(ob.depth()).toEqual({ items: 4, bytes: 5000 + 3000 + m1.sizeBytes + m2.sizeBytes, measurements: 2, frames: 2 });
    const order = [ob.next(), ob.next(), ob.next(), ob.next(), ob.next()].map((e) => e?.id);
    expect(order).toEqual([m1.id, m2.id, f1.id, f2.id, undefined]);
    ob.release(m2.id);
    expect(ob.next()?.id).toBe(m2.id);
    expect(new TextDecoder().decode(await ob.read(m1.id))).toBe('{"flux":1}');
    expect(Buffer.from(await ob.read(f2.id)).equals(Buffer.from(fits(3000, 2)))).toBe(true);
    await ob.markSent(m1.id);
    await ob.markSent(f1.id);
    expect(ob.depth().items).toBe(2);
    expect(await codeOf(ob.markSent(m1.id))).toBe('UNKNOWN_ITEM');
    await ob.close();
  });

  it('keeps items, attempts, offsets and errors across a restart, and never hands out a sent item again', async () => {
    const dir = tempDir();
    const clock = manualClock('2026-01-15T22:00:00Z');
    let ob = await Outbox.open({ dir, clock, random: () => 0 });
    const a = await ob.enqueue({ kind: 'frame', bytes: fits(10_000, 3), fileName: 'ObsReq-M1_TelID-N1_20260115T220000.fits', meta: { missionId: 'M1' } });
    const b = await ob.enqueue({ kind: 'measurement', body: { mag: 12.3 } });
    await ob.markSent(b.id);
    await ob.recordOffset(a.id, 4096);
    await ob.markFailed(a.id, new AgentError('CONNECTION', 'server unreachable'));
    await ob.close();
    ob = await Outbox.open({ dir, clock, random: () => 0 });
    const list = ob.list();
    expect(list.map((e) => e.id)).toEqual([a.id]);
    expect(list[0]).toMatchObject({ attempts: 1, offset: 4096, fileName: 'ObsReq-M1_TelID-N1_20260115T220000.fits', meta: { missionId: 'M1' }, sha256: a.sha256 });
    expect(list[0].lastError?.message).toBe('CONNECTION: server unreachable');
    expect(ob.lastErrors()).toEqual([{ id: a.id, at: '2026-01-15T22:00:00.000Z', message: 'CONNECTION: server unreachable', attempts: 1 }]);
    const status = await inspectOutbox(dir);
    expect(status.depth).toMatchObject({ items: 1, frames: 1, measurements: 0 });
    expect(status.lastErrors[0].message).toBe('CONNECTION: server unreachable');
    await ob.close();
  });

  it('backoff: exact exponential schedule with cap and jitter', async () => {
    const clock = manualClock('2026-01-15T22:00:00Z');
    const draws = [0, 0.5, 0.25, 0.999, 0, 0, 0, 0, 0.5];
    let k = 0;
    const ob = await Outbox.open({ dir: tempDir(), clock, backoff: { baseMs: 1000, factor: 3, maxMs: 60_000, jitter: 0.4 }, random: () => draws[k++] });
    const e = await ob.enqueue({ kind: 'measurement', body: 1 });
    const delays: number[] = [];
    for (let i = 0; i < draws.length; i++) {
      const before = clock.now().getTime();
      const f = await ob.markFailed(e.id, new Error('down'));
      delays.push(f.nextAttemptMs - before);
      expect(ob.next()).toBeUndefined(); // not due yet
      expect(ob.nextDueMs()).toBe(f.nextAttemptMs);
      clock.set(new Date(f.nextAttemptMs));
      expect(ob.next()?.id).toBe(e.id);
    }
    // d(n) = min(60 s, 1 s · 3^(n−1)) · (1 − 0.4 u)
    const expected = [1000 * 1, 3000 * 0.8, 9000 * 0.9, 27000 * (1 - 0.4 * 0.999), 60000, 60000, 60000, 60000, 60000 * 0.8];
    delays.forEach((d, i) => expect(d).toBe(Math.round(expected[i])));
    expect(backoffDelayMs(1000, resolveBackoff({ baseMs: 1, maxMs: 10 }), 0)).toBe(10);
    await ob.close();
  });

  it('stores the same content once while it is pending', async () => {
    const ob = await Outbox.open({ dir: tempDir(), clock: manualClock() });
    const a = await ob.enqueue({ kind: 'frame', bytes: fits(100, 9), fileName: 'x.fits' });
    const b = await ob.enqueue({ kind: 'frame', bytes: fits(100, 9), fileName: 'x.fits' });
    expect(b.id).toBe(a.id);
    expect(ob.depth().items).toBe(1);
    await ob.markSent(a.id);
    const c = await ob.enqueue({ kind: 'frame', bytes: fits(100, 9), fileName: 'x.fits' });
    expect(c.id).not.toBe(a.id);
    await ob.close();
  });

  it('sets a corrupted item aside and reports it', async () => {
    const dir = tempDir();
    const ob = await Outbox.open({ dir, clock: manualClock() });
    const a = await ob.enqueue({ kind: 'frame', bytes: fits(2000, 4), fileName: 'x.fits' });
    const file = join(dir, 'items', `${a.id}.item`);
    const raw = readFileSync(file);
    raw[raw.length - 10] ^= 0xff;
    writeFileSync(file, raw);
    expect(ob.next()?.id).toBe(a.id);
    expect(await codeOf(ob.read(a.id))).toBe('UNKNOWN_ITEM');
    expect(ob.depth().items).toBe(0);
    expect(readdirSync(join(dir, 'corrupt'))).toEqual([`${a.id}.item`]);
    expect(ob.lastErrors()[0].message).toMatch(/SHA-256/);
    await ob.close();
    // A truncated item is set aside when the outbox opens.
    const ob2 = await Outbox.open({ dir, clock: manualClock() });
    const b = await ob2.enqueue({ kind: 'measurement', body: { x: 1 } });
    await ob2.close();
    const bf = join(dir, 'items', `${b.id}.item`);
    writeFileSync(bf, readFileSync(bf).subarray(0, 30));
    const ob3 = await Outbox.open({ dir, clock: manualClock() });
    expect(ob3.depth().items).toBe(0);
    expect(ob3.lastErrors()[0].message).toMatch(/corrupt/);
    await ob3.close();
  });

  it('one agent per directory; a stale lock is taken over; leftovers are cleaned on open', async () => {
    const dir = tempDir();
    const ob = await Outbox.open({ dir, clock: manualClock() });
    // The lock names this (live) process: pretend it is another live one.
    writeFileSync(join(dir, 'LOCK'), `${process.ppid}\n`);
    expect(await codeOf(Outbox.open({ dir, clock: manualClock() }))).toBe('LOCKED');
    await ob.close();
    writeFileSync(join(dir, 'LOCK'), '999999999\n'); // no such process
    writeFileSync(join(dir, 'tmp', '1-0000000000000-000001-deadbeef.item'), 'half a frame');
    writeFileSync(join(dir, 'state', '0-0000000000000-000001-deadbeef.json'), '{"attempts":1}');
    const again = await Outbox.open({ dir, clock: manualClock() });
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    expect(readdirSync(join(dir, 'state'))).toEqual([]);
    await again.close();
  });

  it('refuses bad items whole', async () => {
    const ob = await Outbox.open({ dir: tempDir(), clock: manualClock() });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await codeOf(ob.enqueue({ kind: 'measurement', body: cyclic }))).toBe('BAD_ARGUMENT');
    expect(await codeOf(ob.enqueue({ kind: 'measurement', body: undefined }))).toBe('BAD_ARGUMENT');
    expect(await codeOf(ob.enqueue({ kind: 'frame', bytes: new Uint8Array(0), fileName: 'x.fits' }))).toBe('BAD_ARGUMENT');
    expect(await codeOf(ob.enqueue({ kind: 'frame', bytes: fits(10, 1), fileName: '../etc/passwd' }))).toBe('BAD_ARGUMENT');
    expect(await codeOf(ob.enqueue({ kind: 'video' } as never))).toBe('BAD_ARGUMENT');
    const e = await ob.enqueue({ kind: 'frame', bytes: fits(10, 1), fileName: 'x.fits' });
    expect(await codeOf(ob.recordOffset(e.id, 11))).toBe('BAD_ARGUMENT');
    expect(ob.depth().items).toBe(1);
    await ob.close();
    expect(await codeOf(ob.enqueue({ kind: 'measurement', body: 1 }))).toBe('BAD_ARGUMENT');
  });
});
