/**
 * Batched heartbeats: recordHeartbeats (one statement for many nodes), the heartbeat-log
 * policy (changes + one row per window), and the heartbeat writer's group commit — batches
 * formed from concurrent requests, one heartbeat per node per batch in arrival order,
 * per-heartbeat NOT_FOUND, a failed batch failing only its own heartbeats, the in-flight
 * limit, and stop(). Statements are counted with a Kysely plugin, so "one batch" is checked
 * against what reached the database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely, type KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import type { Schema } from '../../src/platform/db/schema.js';
import { createSite, getNode, registerNode } from '../../src/network/nodes/index.js';
import { recentHeartbeats, recordHeartbeat, recordHeartbeats, startHeartbeatWriter, sweepFaultedNodes } from '../../src/network/heartbeats/index.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

// A multiple of 300 s since the epoch (a whole hour), so log windows start at T0.
const T0 = new Date('2026-03-01T20:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

/** Counts statements and concurrent statements; can be told to fail the next ones. */
function probe(db: Kysely<Schema>) {
  const state = { statements: 0, active: 0, maxActive: 0, failNext: 0, delayMs: 0 };
  const plugin: KyselyPlugin = {
    transformQuery(args) {
      state.statements++;
      state.active++;
      state.maxActive = Math.max(state.maxActive, state.active);
      if (state.failNext > 0) {
        state.failNext--;
        state.active--;
        throw new Error('injected failure');
      }
      return args.node;
    },
    async transformResult(args) {
      if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
      state.active--;
      return args.result;
    },
  };
  return { db: db.withPlugin(plugin), state };
}

/** A manual `defer`: batches start only when the test says so. */
function manualDefer() {
  const queued: Array<() => void> = [];
  return {
    defer: (fn: () => void) => void queued.push(fn),
    /** Start what was deferred; later batches follow by themselves as earlier ones finish. */
    run() {
      for (const fn of queued.splice(0)) fn();
    },
  };
}

describe.each(engineNames())('batched heartbeats on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let siteId: string;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    siteId = (await createSite(database.db, { name: 'batch-site', latitudeDeg: -24.6, longitudeDeg: -70.4 }, T0)).id;
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  let counter = 0;
  async function newNodes(n: number, intervalS = 15): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { node } = await registerNode(
        database.db,
        { siteId, name: `b${++counter}`, apertureMm: 200, focalLengthMm: 800, pixelSizeUm: 3.8, sensorWidthPx: 4144, sensorHeightPx: 2822, filters: ['V'], heartbeatIntervalS: intervalS },
        T0,
      );
      ids.push(node.id);
    }
    return ids;
  }
  const logCount = async (nodeId: string) => (await recentHeartbeats(database.db, nodeId, 10_000)).length;

  describe('recordHeartbeats', () => {
    it('writes many nodes in one statement, each with its own values, and null for an unknown node', async () => {
      const [a, b, c] = await newNodes(3);
      await recordHeartbeat(database.db, b, { state: 'BUSY' }, at(1));
      const missing = '00000000-0000-4000-8000-0000000000aa';
      const p = probe(database.db);
      const targets = ['M 31', `a,b"c\\d{e}'f`, null];
      const r = await recordHeartbeats(p.db, [
        { nodeId: a, input: { state: 'ONLINE', currentTarget: targets[0], weatherOk: true }, now: at(10) },
        { nodeId: missing, input: { state: 'ONLINE' }, now: at(10) },
        { nodeId: b.toUpperCase(), input: { state: 'PARKED', currentTarget: targets[1], weatherOk: false }, now: at(11) },
        { nodeId: c, input: { state: 'BUSY', currentTarget: targets[2] }, now: at(12) },
      ]);
      expect(p.state.statements).toBe(1);
      expect(r[1]).toBeNull();
      expect(r.map((x) => x && [x.node.id, x.previousState, x.node.state, x.node.currentTarget, x.node.weatherOk, x.node.lastHeartbeatAt?.toISOString()])).toEqual([
        [a, 'PARKED', 'ONLINE', 'M 31', true, at(10).toISOString()],
        null,
        [b, 'BUSY', 'PARKED', targets[1], false, at(11).toISOString()],
        [c, 'PARKED', 'BUSY', null, null, at(12).toISOString()],
      ]);
      // Quotes, commas, braces and backslashes survive the array parameters.
      expect((await getNode(database.db, b)).currentTarget).toBe(targets[1]);
      expect((await recentHeartbeats(database.db, b))[0]).toMatchObject({ state: 'PARKED', currentTarget: targets[1], weatherOk: false });
      expect(await recentHeartbeats(database.db, missing)).toEqual([]);
    });

    it('refuses bad input whole, naming the heartbeat and field, and writes nothing', async () => {
      const [a, b] = await newNodes(2);
      const cases: Array<[unknown[], RegExp]> = [
        [[{ nodeId: a, input: { state: 'ONLINE' }, now: at(1) }, { nodeId: b, input: { state: 'FAULTED' }, now: at(1) }], /^heartbeats\[1\]\.state: must be one of/],
        [[{ nodeId: 'nope', input: { state: 'ONLINE' }, now: at(1) }], /^heartbeats\[0\]\.nodeId: must be a UUID/],
        [[{ nodeId: a, input: { state: 'ONLINE' }, now: new Date(NaN) }], /^heartbeats\[0\]\.now: must be a valid Date/],
        [[{ nodeId: a, input: { state: 'ONLINE' }, now: at(1) }, { nodeId: a.toUpperCase(), input: { state: 'BUSY' }, now: at(2) }], /^heartbeats\[1\]\.nodeId: node .* appears twice/],
        [[null], /^heartbeats\[0\]\./],
      ];
      for (const [batch, message] of cases) {
        await expect(recordHeartbeats(database.db, batch as never)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(message) });
      }
      await expect(recordHeartbeats(database.db, 'x' as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      await expect(recordHeartbeat(database.db, a, { state: 'ONLINE' }, at(1), { logEveryS: -1 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^logEveryS/) });
      expect(await recordHeartbeats(database.db, [])).toEqual([]);
      for (const id of [a, b]) {
        expect((await getNode(database.db, id)).lastHeartbeatAt).toBeNull();
        expect(await logCount(id)).toBe(0);
      }
    });

    it('logs changes and one heartbeat per window: 41 unchanged beats over 600 s with a 300 s window → 3 rows', async () => {
      const [node] = await newNodes(1);
      const flags: boolean[] = [];
      for (let k = 0; k <= 40; k++) flags.push((await recordHeartbeat(database.db, node, { state: 'ONLINE', currentTarget: 'WASP-12', weatherOk: true }, at(15 * k))).logged);
      // The first ever, then the first in [300, 600) and in [600, 900).
      expect(flags.flatMap((f, k) => (f ? [k] : []))).toEqual([0, 20, 40]);
      expect((await recentHeartbeats(database.db, node, 100)).map((h) => h.receivedAt.toISOString())).toEqual([at(600), at(300), at(0)].map((d) => d.toISOString()));

      // Each kind of change is logged at once, inside a window.
      const changes: Array<[Parameters<typeof recordHeartbeat>[2], boolean]> = [
        [{ state: 'ONLINE', currentTarget: 'WASP-12', weatherOk: true }, false],
        [{ state: 'BUSY', currentTarget: 'WASP-12', weatherOk: true }, true],
        [{ state: 'BUSY', currentTarget: 'WASP-12', weatherOk: true }, false],
        [{ state: 'BUSY', currentTarget: 'HAT-P-7', weatherOk: true }, true],
        [{ state: 'BUSY', currentTarget: 'HAT-P-7', weatherOk: null }, true],
        [{ state: 'BUSY', currentTarget: null, weatherOk: null }, true],
        [{ state: 'BUSY' }, false],
      ];
      const got = [];
      for (const [i, [input]] of changes.entries()) got.push((await recordHeartbeat(database.db, node, input, at(615 + 15 * i))).logged);
      expect(got).toEqual(changes.map(([, logged]) => logged));
      expect(await logCount(node)).toBe(3 + 4);
    });

    it('logEveryS 0 logs every heartbeat', async () => {
      const [node] = await newNodes(1);
      for (let k = 0; k < 5; k++) expect((await recordHeartbeat(database.db, node, { state: 'ONLINE' }, at(15 * k), { logEveryS: 0 })).logged).toBe(true);
      expect(await logCount(node)).toBe(5);
    });

    it('a recovery from FAULTED is a change: logged, recovered', async () => {
      const [node] = await newNodes(1, 15);
      await recordHeartbeat(database.db, node, { state: 'ONLINE' }, at(100_000));
      expect(await sweepFaultedNodes(database.db, at(100_045))).toContain(node);
      const back = await recordHeartbeat(database.db, node, { state: 'ONLINE' }, at(100_050));
      expect(back).toMatchObject({ previousState: 'FAULTED', recovered: true, logged: true });
      expect(await logCount(node)).toBe(2);
    });

    it.runIf(engineName === 'postgres')('turns synchronous_commit off for its own transaction only', async () => {
      // One connection: whatever the heartbeat set would show on the next statement.
      const one = await openDatabase({ url: engine.url, poolMax: 1, migrate: false });
      try {
        const show = async () => (await sql<{ synchronous_commit: string }>`SHOW synchronous_commit`.execute(one.db)).rows[0].synchronous_commit;
        const before = await show();
        const [node] = await newNodes(1);
        await recordHeartbeat(one.db, node, { state: 'ONLINE' }, at(1));
        expect(await show()).toBe(before);
        // Inside a caller's transaction the caller's setting stands (its other writes stay durable).
        await one.db.transaction().execute(async (trx) => {
          await recordHeartbeat(trx, node, { state: 'BUSY' }, at(2));
          expect((await sql<{ s: string }>`SELECT current_setting('synchronous_commit') AS s`.execute(trx)).rows[0].s).toBe(before);
        });
        expect(await show()).toBe(before);
        await recordHeartbeat(one.db, node, { state: 'PARKED' }, at(3), { synchronousCommit: true });
        expect(await show()).toBe(before);
      } finally {
        await one.close();
      }
    });
  });

  describe('startHeartbeatWriter', () => {
    it('groups concurrent heartbeats into one statement and answers each', async () => {
      const ids = await newNodes(30);
      await recordHeartbeat(database.db, ids[3], { state: 'BUSY' }, at(1));
      const p = probe(database.db);
      const d = manualDefer();
      const writer = startHeartbeatWriter({ database: { db: p.db }, defer: d.defer, maxInFlight: 1 });
      const acks = ids.map((id, i) => writer.record(id, { state: 'ONLINE', currentTarget: `t${i}` }, at(100 + i)));
      expect(writer.pending).toBe(30);
      expect(p.state.statements).toBe(0);
      d.run();
      const r = await Promise.all(acks);
      expect(p.state.statements).toBe(1);
      expect(writer.pending).toBe(0);
      expect(r.map((a) => a.nodeId)).toEqual(ids);
      expect(r.map((a) => a.previousState)).toEqual(ids.map((_, i) => (i === 3 ? 'BUSY' : 'PARKED')));
      expect(r.every((a) => a.state === 'ONLINE' && a.heartbeatIntervalS === 15 && !a.recovered)).toBe(true);
      expect(r.map((a) => a.receivedAt.toISOString())).toEqual(ids.map((_, i) => at(100 + i).toISOString()));
      for (const [i, id] of ids.entries()) expect((await getNode(database.db, id)).currentTarget).toBe(`t${i}`);
      await writer.stop();
    });

    it("writes one node's heartbeats in arrival order, one per batch", async () => {
      const [a, b] = await newNodes(2);
      const p = probe(database.db);
      const d = manualDefer();
      const writer = startHeartbeatWriter({ database: { db: p.db }, defer: d.defer, maxInFlight: 4 });
      const first = writer.record(a, { state: 'BUSY' }, at(10));
      const other = writer.record(b, { state: 'BUSY' }, at(10));
      const second = writer.record(a, { state: 'ONLINE' }, at(11));
      const third = writer.record(a, { state: 'PARKED' }, at(12));
      d.run();
      const [r1, rb, r2, r3] = await Promise.all([first, other, second, third]);
      expect([r1.previousState, r2.previousState, r3.previousState]).toEqual(['PARKED', 'BUSY', 'ONLINE']);
      expect(rb.previousState).toBe('PARKED');
      expect(p.state.statements).toBe(3); // {a, b}, {a}, {a}
      const node = await getNode(database.db, a);
      expect([node.state, node.lastHeartbeatAt?.toISOString()]).toEqual(['PARKED', at(12).toISOString()]);
      await writer.stop();
    });

    it('an unknown node fails alone; bad input fails at once and is never queued', async () => {
      const [a] = await newNodes(1);
      const writer = startHeartbeatWriter({ database });
      const missing = '00000000-0000-4000-8000-0000000000bb';
      const ok = writer.record(a, { state: 'ONLINE' }, at(1));
      const gone = writer.record(missing, { state: 'ONLINE' }, at(1));
      await expect(writer.record(a, { state: 'FAULTED' }, at(1))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^state:/) });
      await expect(writer.record('x', { state: 'ONLINE' }, at(1))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^nodeId:/) });
      expect(writer.pending).toBe(2);
      await expect(gone).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(missing) });
      await expect(ok).resolves.toMatchObject({ nodeId: a, previousState: 'PARKED' });
      await writer.stop();
    });

    it('a failed batch fails its heartbeats, leaves nothing behind, and the writer carries on', async () => {
      const ids = await newNodes(3);
      const p = probe(database.db);
      const d = manualDefer();
      const writer = startHeartbeatWriter({ database: { db: p.db }, defer: d.defer, maxInFlight: 1 });
      p.state.failNext = 1;
      const failed = ids.map((id) => writer.record(id, { state: 'BUSY' }, at(5)));
      d.run();
      for (const f of failed) await expect(f).rejects.toThrow('injected failure');
      for (const id of ids) {
        expect((await getNode(database.db, id)).lastHeartbeatAt).toBeNull();
        expect(await logCount(id)).toBe(0);
      }
      const again = ids.map((id) => writer.record(id, { state: 'BUSY' }, at(6)));
      d.run();
      expect((await Promise.all(again)).map((r) => r.previousState)).toEqual(['PARKED', 'PARKED', 'PARKED']);
      await writer.stop();
    });

    it('keeps at most maxInFlight batches in flight', async () => {
      const ids = await newNodes(12);
      const p = probe(database.db);
      p.state.delayMs = 30;
      const writer = startHeartbeatWriter({ database: { db: p.db }, maxInFlight: 2, maxBatch: 3 });
      const r = await Promise.all(ids.map((id) => writer.record(id, { state: 'ONLINE' }, at(1))));
      expect(r).toHaveLength(12);
      expect(p.state.statements).toBe(4); // 12 / maxBatch
      expect(p.state.maxActive).toBe(2);
      await writer.stop();
    });

    it('stop() waits for accepted heartbeats, then refuses new ones; idempotent', async () => {
      const ids = await newNodes(5);
      const writer = startHeartbeatWriter({ database });
      const acks = ids.map((id) => writer.record(id, { state: 'PARKED', weatherOk: false }, at(9)));
      const stopping = Promise.all([writer.stop(), writer.stop()]);
      await expect(writer.record(ids[0], { state: 'ONLINE' }, at(10))).rejects.toMatchObject({ name: 'DbError', code: 'CLOSED' });
      await stopping;
      expect(writer.pending).toBe(0);
      expect((await Promise.all(acks)).map((a) => a.nodeId)).toEqual(ids);
      for (const id of ids) expect((await getNode(database.db, id)).weatherOk).toBe(false);
      await writer.stop();
    });

    it('refuses bad options', () => {
      expect(() => startHeartbeatWriter({ database, maxBatch: 0 })).toThrow(/maxBatch/);
      expect(() => startHeartbeatWriter({ database, maxInFlight: 1.5 })).toThrow(/maxInFlight/);
      expect(() => startHeartbeatWriter({ database, logEveryS: Number.NaN })).toThrow(/logEveryS/);
    });
  });
});
