/**
 * Commands: at-least-once delivery with leases (attempts count deliveries), ack and report
 * rules, idempotent reports, node isolation, concurrent polls, long poll and notifier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock } from '../../src/network/clock.js';
import { createSite, registerNode } from '../../src/network/nodes/index.js';
import {
  ackCommand,
  cancelCommand,
  createCommand,
  createCommandNotifier,
  getCommand,
  pollCommands,
  reportCommand,
  requeueNodeCommands,
  waitForCommands,
} from '../../src/network/commands/index.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const T0 = new Date('2026-03-01T20:00:00Z');
const LEASE_S = 60;
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CommandNotifier', () => {
  it('wakes the waiters of one node only, and an abort withdraws a wait', async () => {
    const n = createCommandNotifier();
    let aWoken = false;
    let bWoken = false;
    const a = n.wait('a').then(() => (aWoken = true));
    void n.wait('b').then(() => (bWoken = true));
    expect(n.waiting()).toBe(2);
    n.notify('a');
    await a;
    await sleep(0);
    expect(aWoken).toBe(true);
    expect(bWoken).toBe(false);
    expect(n.waiting('b')).toBe(1);

    const ac = new AbortController();
    const c = n.wait('c', ac.signal);
    expect(n.waiting('c')).toBe(1);
    ac.abort();
    await c; // resolves, does not reject
    expect(n.waiting('c')).toBe(0);
    await n.wait('d', ac.signal); // already aborted: returns at once
    expect(n.waiting('d')).toBe(0);
  });
});

describe.each(engineNames())('commands on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let siteId: string;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    siteId = (await createSite(database.db, { name: 'cmd-site', latitudeDeg: -30.2, longitudeDeg: -70.7 }, T0)).id;
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  let counter = 0;
  async function newNode(): Promise<string> {
    const { node } = await registerNode(
      database.db,
      { siteId, name: `n${++counter}`, apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 4.63, sensorWidthPx: 4144, sensorHeightPx: 2822, filters: ['V'] },
      T0,
    );
    return node.id;
  }

  it('delivers PENDING commands oldest first with a lease; within the lease a re-poll delivers nothing', async () => {
    const node = await newNode();
    const c1 = await createCommand(database.db, { nodeId: node, kind: 'observe', payload: { raDeg: 10.5, decDeg: -5 } }, T0);
    const c2 = await createCommand(database.db, { nodeId: node, kind: 'park' }, at(1));
    const c3 = await createCommand(database.db, { nodeId: node, kind: 'observe', payload: { n: 3 } }, at(2));
    expect(c1).toMatchObject({ state: 'PENDING', attempts: 0, leaseExpiresAt: null, payload: { raDeg: 10.5, decDeg: -5 }, taskId: null });
    expect(c2.payload).toEqual({});

    const first = await pollCommands(database.db, node, at(10), { leaseS: LEASE_S, limit: 2 });
    expect(first.map((c) => c.id)).toEqual([c1.id, c2.id]);
    for (const c of first) {
      expect(c.state).toBe('DELIVERED');
      expect(c.attempts).toBe(1);
      expect(c.leaseExpiresAt?.toISOString()).toBe(at(10 + LEASE_S).toISOString());
    }
    expect((await pollCommands(database.db, node, at(11), { leaseS: LEASE_S, limit: 10 })).map((c) => c.id)).toEqual([c3.id]);
    expect(await pollCommands(database.db, node, at(12), { leaseS: LEASE_S, limit: 10 })).toEqual([]);
  });

  it('an unreported command is delivered again when its lease runs out, attempts counting', async () => {
    const node = await newNode();
    const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, T0);
    const poll = (s: number) => pollCommands(database.db, node, at(s), { leaseS: LEASE_S, limit: 10 });
    expect((await poll(0))[0].attempts).toBe(1);
    expect(await poll(LEASE_S - 0.001)).toEqual([]); // 1 ms before the lease ends
    const again = await poll(LEASE_S); // the lease ends at exactly leaseS
    expect(again.map((x) => [x.id, x.attempts])).toEqual([[c.id, 2]]);
    expect(again[0].leaseExpiresAt?.toISOString()).toBe(at(2 * LEASE_S).toISOString());
    // An ACKED command whose (renewed) lease runs out is delivered again too.
    const acked = await ackCommand(database.db, node, c.id, at(LEASE_S + 30), LEASE_S);
    expect(acked.state).toBe('ACKED');
    expect(acked.leaseExpiresAt?.toISOString()).toBe(at(2 * LEASE_S + 30).toISOString());
    expect(await poll(2 * LEASE_S + 29)).toEqual([]);
    const third = await poll(2 * LEASE_S + 30);
    expect(third.map((x) => [x.id, x.state, x.attempts, x.ackedAt])).toEqual([[c.id, 'DELIVERED', 3, null]]);
  });

  it('ack rules: within the lease, late but not superseded, stale attempt, withdrawn, never delivered', async () => {
    const node = await newNode();
    const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, T0);
    await expect(ackCommand(database.db, node, c.id, at(1), LEASE_S)).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/not been delivered/) });

    await pollCommands(database.db, node, at(2), { leaseS: LEASE_S, limit: 1 });
    const acked = await ackCommand(database.db, node, c.id, at(3), LEASE_S, { attempt: 1 });
    expect(acked).toMatchObject({ state: 'ACKED', attempts: 1 });
    expect(acked.ackedAt?.toISOString()).toBe(at(3).toISOString());

    // Late (lease over) but nobody polled since: still the only holder, accepted.
    const late = await ackCommand(database.db, node, c.id, at(3 + LEASE_S + 100), LEASE_S, { attempt: 1 });
    expect(late.leaseExpiresAt?.toISOString()).toBe(at(3 + 2 * LEASE_S + 100).toISOString());

    // Superseded: delivery 2 exists, an ack for delivery 1 is refused.
    await pollCommands(database.db, node, at(4 + 2 * LEASE_S + 100), { leaseS: LEASE_S, limit: 1 });
    await expect(ackCommand(database.db, node, c.id, at(5 + 2 * LEASE_S + 100), LEASE_S, { attempt: 1 })).rejects.toMatchObject({
      code: 'LEASE_EXPIRED',
      message: expect.stringMatching(/delivery 1 was superseded by delivery 2/),
    });
    expect((await ackCommand(database.db, node, c.id, at(6 + 2 * LEASE_S + 100), LEASE_S, { attempt: 2 })).attempts).toBe(2);

    // Withdrawn (node FAULTED): PENDING again, ack refused until the next delivery.
    expect(await requeueNodeCommands(database.db, node)).toBe(1);
    expect(await getCommand(database.db, c.id)).toMatchObject({ state: 'PENDING', leaseExpiresAt: null, ackedAt: null, attempts: 2 });
    await expect(ackCommand(database.db, node, c.id, at(500), LEASE_S)).rejects.toMatchObject({ code: 'LEASE_EXPIRED' });

    await expect(ackCommand(database.db, node, c.id, at(500), 0)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^leaseS/) });
  });

  it('reports: DONE and FAILED, repeats are idempotent, a different report conflicts', async () => {
    const node = await newNode();
    const ok = await createCommand(database.db, { nodeId: node, kind: 'observe' }, T0);
    const bad = await createCommand(database.db, { nodeId: node, kind: 'observe' }, at(1));
    await expect(reportCommand(database.db, node, ok.id, { ok: true }, at(2))).rejects.toMatchObject({ code: 'CONFLICT' }); // not delivered
    await pollCommands(database.db, node, at(2), { leaseS: LEASE_S, limit: 10 });
    await ackCommand(database.db, node, ok.id, at(3), LEASE_S);

    const result = { frames: 12, files: ['a.fits', 'b.fits'], stats: { fwhmPx: 2.5, zp: 21.3 } };
    const done = await reportCommand(database.db, node, ok.id, { ok: true, result }, at(4));
    expect(done).toMatchObject({ state: 'DONE', result, reason: null, leaseExpiresAt: null });
    expect(done.finishedAt?.toISOString()).toBe(at(4).toISOString());
    // The same report again, later, with keys in another order: unchanged.
    const again = await reportCommand(database.db, node, ok.id, { ok: true, result: { stats: { zp: 21.3, fwhmPx: 2.5 }, files: ['a.fits', 'b.fits'], frames: 12 } }, at(50));
    expect(again).toEqual(done);
    await expect(reportCommand(database.db, node, ok.id, { ok: true, result: { frames: 11 } }, at(51))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(reportCommand(database.db, node, ok.id, { ok: false, reason: 'clouds' }, at(51))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(ackCommand(database.db, node, ok.id, at(52), LEASE_S)).rejects.toMatchObject({ code: 'CONFLICT' });
    // No further delivery of a finished command, even long after (the other one, still open, is).
    expect((await pollCommands(database.db, node, at(200), { leaseS: LEASE_S, limit: 10 })).map((c) => c.id)).toEqual([bad.id]);

    await expect(reportCommand(database.db, node, bad.id, { ok: false }, at(5))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^reason:/) });
    await expect(reportCommand(database.db, node, bad.id, { ok: true, reason: 'x' }, at(5))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^reason:/) });
    await expect(reportCommand(database.db, node, bad.id, { ok: true, result: [1, 2] as never }, at(5))).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^result:/),
    });
    // Reported without an ack, after the lease ran out: accepted (the work was done).
    const failed = await reportCommand(database.db, node, bad.id, { ok: false, reason: 'dome closed', result: { humidity: 0.97 } }, at(200 + LEASE_S + 1));
    expect(failed).toMatchObject({ state: 'FAILED', reason: 'dome closed', result: { humidity: 0.97 } });
    expect(await reportCommand(database.db, node, bad.id, { ok: false, reason: 'dome closed', result: { humidity: 0.97 } }, at(99))).toEqual(failed);
    await expect(reportCommand(database.db, node, bad.id, { ok: false, reason: 'rain' }, at(99))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('a report after the node lost the command (FAULTED) is kept', async () => {
    const node = await newNode();
    const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, T0);
    await pollCommands(database.db, node, at(1), { leaseS: LEASE_S, limit: 1 });
    await requeueNodeCommands(database.db, node);
    const done = await reportCommand(database.db, node, c.id, { ok: true }, at(2));
    expect(done).toMatchObject({ state: 'DONE', attempts: 1 });
    expect(await pollCommands(database.db, node, at(3), { leaseS: LEASE_S, limit: 1 })).toEqual([]);
  });

  it("a node cannot touch another node's command; unknown ids are NOT_FOUND", async () => {
    const a = await newNode();
    const b = await newNode();
    const c = await createCommand(database.db, { nodeId: a, kind: 'observe' }, T0);
    expect(await pollCommands(database.db, b, at(1), { leaseS: LEASE_S, limit: 10 })).toEqual([]);
    await pollCommands(database.db, a, at(1), { leaseS: LEASE_S, limit: 10 });
    await expect(ackCommand(database.db, b, c.id, at(2), LEASE_S)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(reportCommand(database.db, b, c.id, { ok: true }, at(2))).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect((await getCommand(database.db, c.id)).state).toBe('DELIVERED');
    const missing = '00000000-0000-4000-8000-0000000000ff';
    await expect(ackCommand(database.db, a, missing, at(2), LEASE_S)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reportCommand(database.db, a, 'garbage', { ok: true }, at(2))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(pollCommands(database.db, missing, at(2), { leaseS: LEASE_S, limit: 1 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('createCommand checks its input and references', async () => {
    const node = await newNode();
    const missing = '00000000-0000-4000-8000-0000000000aa';
    await expect(createCommand(database.db, { nodeId: missing, kind: 'observe' }, T0)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^nodeId/) });
    await expect(createCommand(database.db, { nodeId: node, kind: '' }, T0)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^kind/) });
    await expect(createCommand(database.db, { nodeId: node, kind: 'x', payload: [] as never }, T0)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^payload/) });
    await expect(createCommand(database.db, { nodeId: node, kind: 'x', payload: { big: 'x'.repeat(70_000) } }, T0)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^payload: is \d+ bytes/),
    });
    await expect(createCommand(database.db, { nodeId: node, kind: 'x', taskId: missing }, T0)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringMatching(/^taskId/) });
    await expect(createCommand(database.db, { nodeId: node, kind: 'x' }, new Date(NaN))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^now/) });
    expect(await pollCommands(database.db, node, at(1), { leaseS: LEASE_S, limit: 10 })).toEqual([]); // nothing was written

    const mission = await database.db
      .insertInto('missions')
      .values({ name: 'm', filter: 'V', total_exposure_s: 600, sub_exposure_s: 60, ra_deg: 1, dec_deg: 2 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const task = await database.db.insertInto('tasks').values({ mission_id: mission.id, exposure_s: 600 }).returning('id').executeTakeFirstOrThrow();
    const c = await createCommand(database.db, { nodeId: node, kind: 'observe', taskId: task.id }, T0);
    expect(c.taskId).toBe(task.id);
  });

  it('cancel withdraws an open command (idempotent) and not a finished one', async () => {
    const node = await newNode();
    const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, T0);
    await pollCommands(database.db, node, at(1), { leaseS: LEASE_S, limit: 1 });
    const cancelled = await cancelCommand(database.db, c.id, at(2));
    expect(cancelled).toMatchObject({ state: 'CANCELLED', leaseExpiresAt: null });
    expect(await cancelCommand(database.db, c.id, at(3))).toEqual(cancelled);
    await expect(reportCommand(database.db, node, c.id, { ok: true }, at(4))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await pollCommands(database.db, node, at(10_000), { leaseS: LEASE_S, limit: 1 })).toEqual([]);
    const d = await createCommand(database.db, { nodeId: node, kind: 'observe' }, T0);
    await pollCommands(database.db, node, at(1), { leaseS: LEASE_S, limit: 1 });
    await reportCommand(database.db, node, d.id, { ok: true }, at(2));
    await expect(cancelCommand(database.db, d.id, at(3))).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('concurrent polls by one node deliver each command exactly once', async () => {
    const node = await newNode();
    const N = 40;
    for (let i = 0; i < N; i++) await createCommand(database.db, { nodeId: node, kind: 'observe', payload: { i } }, at(i));
    const now = at(100);
    const rounds = await Promise.all(Array.from({ length: 8 }, () => pollCommands(database.db, node, now, { leaseS: LEASE_S, limit: 4 })));
    const seen = rounds.flat().map((c) => c.id);
    expect(new Set(seen).size).toBe(seen.length); // no command twice
    expect(seen.length).toBeGreaterThan(0);
    // Drain the rest; everything delivered once in total.
    let rest: string[] = [];
    for (let k = 0; k < 20; k++) {
      const more = await pollCommands(database.db, node, now, { leaseS: LEASE_S, limit: 100 });
      if (more.length === 0) break;
      rest = rest.concat(more.map((c) => c.id));
    }
    const all = seen.concat(rest);
    expect(all).toHaveLength(N);
    expect(new Set(all).size).toBe(N);
    const attempts = await database.db.selectFrom('commands').select('attempts').where('node_id', '=', node).execute();
    expect(attempts.map((r) => r.attempts)).toEqual(Array(N).fill(1));
  });

  describe('long poll', () => {
    it('a single poll when timeoutMs is 0', async () => {
      const node = await newNode();
      const clock = manualClock(T0);
      const t = performance.now();
      expect(await waitForCommands({ database, clock }, node, { timeoutMs: 0, leaseS: LEASE_S })).toEqual([]);
      expect(performance.now() - t).toBeLessThan(2000);
    });

    it('returns as soon as the notifier reports a new command (no re-poll needed)', async () => {
      const node = await newNode();
      const clock = manualClock(T0);
      const notifier = createCommandNotifier();
      const t = performance.now();
      // The re-poll period is longer than the wait: only a notification can end it early.
      const waiting = waitForCommands({ database, clock, notifier }, node, { timeoutMs: 20_000, pollIntervalMs: 60_000, leaseS: LEASE_S });
      await sleep(100);
      const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, clock.now(), { notifier });
      const got = await waiting;
      expect(got.map((x) => x.id)).toEqual([c.id]);
      expect(got[0].state).toBe('DELIVERED');
      expect(performance.now() - t).toBeLessThan(10_000);
      expect(notifier.waiting()).toBe(0);
    });

    it('without a notifier, re-polls and finds a command written elsewhere', async () => {
      const node = await newNode();
      const clock = manualClock(T0);
      const waiting = waitForCommands({ database, clock }, node, { timeoutMs: 20_000, pollIntervalMs: 20, leaseS: LEASE_S });
      await sleep(60);
      const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, clock.now());
      expect((await waiting).map((x) => x.id)).toEqual([c.id]);
    });

    it('picks up a command whose lease runs out while waiting', async () => {
      const node = await newNode();
      const clock = manualClock(T0);
      const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, clock.now());
      await pollCommands(database.db, node, clock.now(), { leaseS: LEASE_S, limit: 1 });
      const waiting = waitForCommands({ database, clock }, node, { timeoutMs: 20_000, pollIntervalMs: 20, leaseS: LEASE_S });
      await sleep(60);
      clock.advance(LEASE_S * 1000);
      const got = await waiting;
      expect(got.map((x) => [x.id, x.attempts])).toEqual([[c.id, 2]]);
    });

    it('times out with an empty list', async () => {
      const node = await newNode();
      const t = performance.now();
      expect(await waitForCommands({ database, clock: manualClock(T0) }, node, { timeoutMs: 150, pollIntervalMs: 40, leaseS: LEASE_S })).toEqual([]);
      expect(performance.now() - t).toBeGreaterThanOrEqual(140);
    });

    it('ends promptly when the client goes away, without delivering', async () => {
      const node = await newNode();
      const clock = manualClock(T0);
      const notifier = createCommandNotifier();
      const ac = new AbortController();
      const t = performance.now();
      const waiting = waitForCommands({ database, clock, notifier }, node, { timeoutMs: 20_000, pollIntervalMs: 60_000, leaseS: LEASE_S, signal: ac.signal });
      await sleep(50);
      ac.abort();
      expect(await waiting).toEqual([]);
      expect(performance.now() - t).toBeLessThan(10_000);
      expect(notifier.waiting()).toBe(0);
      // Aborted before it starts: no poll, so a pending command stays PENDING.
      const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, clock.now());
      expect(await waitForCommands({ database, clock }, node, { timeoutMs: 1000, leaseS: LEASE_S, signal: ac.signal })).toEqual([]);
      expect((await getCommand(database.db, c.id)).state).toBe('PENDING');
    });
  });
});
