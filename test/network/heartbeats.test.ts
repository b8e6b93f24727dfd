/**
 * Heartbeats and the fault sweeper, with a manual clock: three missed intervals make a node
 * FAULTED (not 2.9), its held commands and tasks go back, a later heartbeat brings it back;
 * the sweep is all-or-nothing; the sweeper's lifecycle.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Transaction } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import type { Schema } from '../../src/platform/db/schema.js';
import { manualClock } from '../../src/network/clock.js';
import { createSite, getNode, registerNode } from '../../src/network/nodes/index.js';
import { recentHeartbeats, recordHeartbeat, pruneHeartbeats, startSweeper, sweepFaultedNodes } from '../../src/network/heartbeats/index.js';
import { ackCommand, createCommand, getCommand, pollCommands, reportCommand } from '../../src/network/commands/index.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const T0 = new Date('2026-03-01T20:00:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const LEASE_S = 600;

describe.each(engineNames())('heartbeats and faults on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let siteId: string;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    siteId = (await createSite(database.db, { name: 'hb-site', latitudeDeg: 28.76, longitudeDeg: -17.88 }, T0)).id;
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  let counter = 0;
  async function newNode(intervalS = 20, registeredAt = T0): Promise<string> {
    const { node } = await registerNode(
      database.db,
      { siteId, name: `hb${++counter}`, apertureMm: 280, focalLengthMm: 2800, pixelSizeUm: 3.76, sensorWidthPx: 3008, sensorHeightPx: 3008, filters: ['V', 'B'], heartbeatIntervalS: intervalS },
      registeredAt,
    );
    return node.id;
  }

  it('a heartbeat updates the node and is logged', async () => {
    const node = await newNode();
    const r = await recordHeartbeat(database.db, node, { state: 'BUSY', currentTarget: 'WASP-12', weatherOk: true }, at(5));
    expect(r.previousState).toBe('PARKED');
    expect(r.recovered).toBe(false);
    expect(r.node).toMatchObject({ id: node, state: 'BUSY', currentTarget: 'WASP-12', weatherOk: true });
    expect(r.node.lastHeartbeatAt?.toISOString()).toBe(at(5).toISOString());
    expect(r.node.updatedAt.toISOString()).toBe(at(5).toISOString());
    // Absent fields mean "nothing to report", not "keep the last value".
    const r2 = await recordHeartbeat(database.db, node, { state: 'ONLINE' }, at(25));
    expect(r2.previousState).toBe('BUSY');
    expect(r2.node).toMatchObject({ state: 'ONLINE', currentTarget: null, weatherOk: null });
    expect(await getNode(database.db, node)).toEqual(r2.node);
    const log = await recentHeartbeats(database.db, node);
    expect(log.map((h) => [h.receivedAt.toISOString(), h.state, h.currentTarget, h.weatherOk])).toEqual([
      [at(25).toISOString(), 'ONLINE', null, null],
      [at(5).toISOString(), 'BUSY', 'WASP-12', true],
    ]);
    expect(await pruneHeartbeats(database.db, at(10))).toBeGreaterThanOrEqual(1);
    expect((await recentHeartbeats(database.db, node)).map((h) => h.state)).toEqual(['ONLINE']);
  });

  it('bad heartbeats are refused, naming the field, and write nothing', async () => {
    const node = await newNode();
    const cases: Array<[unknown, RegExp]> = [
      [{ state: 'FAULTED' }, /^state: must be one of ONLINE, BUSY, PARKED, got 'FAULTED'/],
      [{ state: 'online' }, /^state:/],
      [{ state: 'ONLINE', weatherOk: 'yes' }, /^weatherOk: must be true or false/],
      [{ state: 'ONLINE', currentTarget: '' }, /^currentTarget: must not be empty/],
      [{ state: 'ONLINE', currentTarget: 'x'.repeat(201) }, /^currentTarget: must be at most 200/],
    ];
    for (const [input, message] of cases) {
      await expect(recordHeartbeat(database.db, node, input as never, at(1))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(message) });
    }
    await expect(recordHeartbeat(database.db, 'abc', { state: 'ONLINE' }, at(1))).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^nodeId/) });
    const missing = '00000000-0000-4000-8000-00000000cafe';
    await expect(recordHeartbeat(database.db, missing, { state: 'ONLINE' }, at(1))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await recentHeartbeats(database.db, node)).toEqual([]);
    expect(await recentHeartbeats(database.db, missing)).toEqual([]);
    expect((await getNode(database.db, node)).lastHeartbeatAt).toBeNull();
  });

  it('silent for 2.9 intervals: still fine; for 3 intervals: FAULTED', async () => {
    const intervalS = 20;
    const node = await newNode(intervalS);
    const base = 10_000; // well after every other test's nodes, which this sweep also faults
    await recordHeartbeat(database.db, node, { state: 'ONLINE' }, at(base));
    expect(await sweepFaultedNodes(database.db, at(base + 2.9 * intervalS))).not.toContain(node);
    expect(await sweepFaultedNodes(database.db, at(base + 3 * intervalS - 0.001))).not.toContain(node);
    expect((await getNode(database.db, node)).state).toBe('ONLINE');
    expect(await sweepFaultedNodes(database.db, at(base + 3 * intervalS))).toContain(node);
    const faulted = await getNode(database.db, node);
    expect(faulted.state).toBe('FAULTED');
    expect(faulted.updatedAt.toISOString()).toBe(at(base + 3 * intervalS).toISOString());
    // Faulted once: later sweeps leave it alone.
    expect(await sweepFaultedNodes(database.db, at(base + 100 * intervalS))).not.toContain(node);
  });

  it("each node's own interval counts, and silence since registration counts too", async () => {
    const base = 20_000;
    const fast = await newNode(15, at(base));
    const slow = await newNode(30, at(base));
    expect(await sweepFaultedNodes(database.db, at(base + 44.999))).not.toContain(fast);
    const at45 = await sweepFaultedNodes(database.db, at(base + 45));
    expect(at45).toContain(fast);
    expect(at45).not.toContain(slow);
    expect(await sweepFaultedNodes(database.db, at(base + 90))).toContain(slow);
  });

  it('a FAULTED node gives back its commands; they go to its next poll; a heartbeat brings it back', async () => {
    const intervalS = 15;
    const base = 30_000;
    const node = await newNode(intervalS, at(base));
    const bystander = await newNode(intervalS, at(base));
    const delivered = await createCommand(database.db, { nodeId: node, kind: 'observe', payload: { k: 1 } }, at(base));
    const acked = await createCommand(database.db, { nodeId: node, kind: 'observe', payload: { k: 2 } }, at(base + 1));
    const done = await createCommand(database.db, { nodeId: node, kind: 'observe', payload: { k: 3 } }, at(base + 2));
    await recordHeartbeat(database.db, node, { state: 'ONLINE' }, at(base + 3));
    await pollCommands(database.db, node, at(base + 4), { leaseS: LEASE_S, limit: 10 });
    await ackCommand(database.db, node, acked.id, at(base + 5), LEASE_S);
    await reportCommand(database.db, node, done.id, { ok: true }, at(base + 6));
    const pending = await createCommand(database.db, { nodeId: node, kind: 'park' }, at(base + 7));
    const other = await createCommand(database.db, { nodeId: bystander, kind: 'observe' }, at(base + 7));
    await recordHeartbeat(database.db, bystander, { state: 'ONLINE' }, at(base + 30));
    await pollCommands(database.db, bystander, at(base + 30), { leaseS: LEASE_S, limit: 10 });

    const faulted = await sweepFaultedNodes(database.db, at(base + 3 + 3 * intervalS));
    expect(faulted).toContain(node);
    expect(faulted).not.toContain(bystander);
    expect(await getCommand(database.db, delivered.id)).toMatchObject({ state: 'PENDING', leaseExpiresAt: null, attempts: 1 });
    expect(await getCommand(database.db, acked.id)).toMatchObject({ state: 'PENDING', leaseExpiresAt: null, ackedAt: null, attempts: 1 });
    expect((await getCommand(database.db, done.id)).state).toBe('DONE');
    expect((await getCommand(database.db, pending.id)).state).toBe('PENDING');
    expect((await getCommand(database.db, other.id)).state).toBe('DELIVERED'); // not its node

    // Well within the old leases, the next poll delivers them again.
    const next = await pollCommands(database.db, node, at(base + 60), { leaseS: LEASE_S, limit: 10 });
    expect(next.map((c) => [c.id, c.attempts])).toEqual([
      [delivered.id, 2],
      [acked.id, 2],
      [pending.id, 1],
    ]);

    const back = await recordHeartbeat(database.db, node, { state: 'PARKED', weatherOk: false }, at(base + 61));
    expect(back).toMatchObject({ previousState: 'FAULTED', recovered: true });
    expect(back.node.state).toBe('PARKED');
    expect(await sweepFaultedNodes(database.db, at(base + 61 + 2 * intervalS))).not.toContain(node);
    expect(await sweepFaultedNodes(database.db, at(base + 61 + 3 * intervalS))).toContain(node);
  });

  it('the sweep is one transaction: tasks are released inside it, and a failure leaves everything as it was', async () => {
    const base = 40_000;
    const node = await newNode(20, at(base));
    const c = await createCommand(database.db, { nodeId: node, kind: 'observe' }, at(base));
    await pollCommands(database.db, node, at(base), { leaseS: LEASE_S, limit: 1 });

    const calls: Array<[string, string, boolean]> = [];
    const failing = async (trx: Transaction<Schema>, nodeId: string, now: Date) => {
      calls.push([nodeId, now.toISOString(), trx.isTransaction]);
      // The node is already FAULTED inside the transaction when tasks are released.
      const row = await trx.selectFrom('nodes').select('state').where('id', '=', nodeId).executeTakeFirstOrThrow();
      expect(row.state).toBe('FAULTED');
      throw new Error('release failed');
    };
    await expect(sweepFaultedNodes(database.db, at(base + 60), { releaseTasks: failing })).rejects.toThrow('release failed');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    expect(calls[0][1]).toBe(at(base + 60).toISOString());
    expect(calls.every((call) => call[2])).toBe(true);
    // Rolled back: node not FAULTED, command still DELIVERED.
    expect((await getNode(database.db, node)).state).toBe('PARKED');
    expect((await getCommand(database.db, c.id)).state).toBe('DELIVERED');

    const released: string[] = [];
    const ok = async (_trx: Transaction<Schema>, nodeId: string) => {
      released.push(nodeId);
      return 0;
    };
    const ids = await sweepFaultedNodes(database.db, at(base + 60), { releaseTasks: ok });
    expect(ids).toContain(node);
    expect(released).toEqual(ids);
    expect((await getCommand(database.db, c.id)).state).toBe('PENDING');
  });

  it("with the missions' releaseNodeTasks: the node's leased task returns to the pool", async () => {
    const base = 50_000;
    const node = await newNode(20, at(base));
    const mission = await database.db
      .insertInto('missions')
      .values({ name: 'wasp', filter: 'V', total_exposure_s: 1200, sub_exposure_s: 60, ra_deg: 97.6, dec_deg: 29.7, state: 'ACTIVE', created_at: at(base), updated_at: at(base) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const task = await database.db
      .insertInto('tasks')
      .values({ mission_id: mission.id, exposure_s: 1200, state: 'LEASED', node_id: node, lease_expires_at: at(base + 3600), created_at: at(base), updated_at: at(base) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const observe = await createCommand(database.db, { nodeId: node, taskId: task.id, kind: 'observe' }, at(base));
    const park = await createCommand(database.db, { nodeId: node, kind: 'park' }, at(base));
    await pollCommands(database.db, node, at(base + 1), { leaseS: LEASE_S, limit: 10 });

    expect(await sweepFaultedNodes(database.db, at(base + 60))).toContain(node);
    const t = await database.db.selectFrom('tasks').select(['state', 'node_id', 'lease_expires_at']).where('id', '=', task.id).executeTakeFirstOrThrow();
    expect(t).toEqual({ state: 'PENDING', node_id: null, lease_expires_at: null });
    // The task's command was withdrawn with the task; the node's other command waits for it.
    expect((await getCommand(database.db, observe.id)).state).toBe('CANCELLED');
    expect((await getCommand(database.db, park.id)).state).toBe('PENDING');
  });

  it('concurrent sweeps fault a node once', async () => {
    const base = 60_000;
    const nodes = await Promise.all([newNode(20, at(base)), newNode(20, at(base)), newNode(20, at(base))]);
    const results = await Promise.all(Array.from({ length: 4 }, () => sweepFaultedNodes(database.db, at(base + 60))));
    const mine = results.flat().filter((id) => nodes.includes(id));
    expect(mine.sort()).toEqual([...nodes].sort());
  });

  describe('startSweeper', () => {
    function fakeTimers() {
      const pending: Array<{ fn: () => void; ms: number; id: number }> = [];
      let next = 1;
      return {
        pending,
        timers: {
          setTimeout: (fn: () => void, ms: number) => {
            const t = { fn, ms, id: next++ };
            pending.push(t);
            return t.id;
          },
          clearTimeout: (id: unknown) => {
            const i = pending.findIndex((t) => t.id === id);
            if (i >= 0) pending.splice(i, 1);
          },
        },
        /** Fire the one pending timer and wait for its sweep to be done and the next timer set. */
        async fire() {
          expect(pending).toHaveLength(1);
          const t = pending.shift()!;
          t.fn();
          for (let k = 0; k < 200 && pending.length === 0; k++) await new Promise((r) => setTimeout(r, 5));
        },
      };
    }

    it('sweeps on its timer with the injected clock, reports faults, and stops', async () => {
      const base = 70_000;
      const clock = manualClock(at(base));
      const node = await newNode(20, at(base));
      const faultedSeen: string[][] = [];
      const ft = fakeTimers();
      const sweeper = startSweeper({ database, clock, intervalMs: 5000, onFaulted: (ids) => void faultedSeen.push(ids), timers: ft.timers });
      expect(ft.pending.map((t) => t.ms)).toEqual([5000]);

      clock.advance(59_000);
      await ft.fire();
      expect((await getNode(database.db, node)).state).toBe('PARKED');
      expect(ft.pending).toHaveLength(1); // rescheduled

      clock.advance(1000);
      await ft.fire();
      expect((await getNode(database.db, node)).state).toBe('FAULTED');
      expect(faultedSeen.flat()).toContain(node);

      const other = await newNode(20, clock.now());
      clock.advance(60_000);
      expect(await sweeper.tick()).toContain(other);

      await sweeper.stop();
      expect(ft.pending).toHaveLength(0);
      await sweeper.stop(); // idempotent
      await expect(sweeper.tick()).rejects.toThrow(/stopped/);
    });

    it('a failing sweep is reported and the sweeper carries on', async () => {
      const base = 80_000;
      const clock = manualClock(at(base));
      const node = await newNode(20, at(base));
      const errors: unknown[] = [];
      let fail = true;
      const ft = fakeTimers();
      const sweeper = startSweeper({
        database,
        clock,
        intervalMs: 1000,
        timers: ft.timers,
        onError: (err) => errors.push(err),
        releaseTasks: async () => {
          if (fail) throw new Error('boom');
          return 0;
        },
      });
      clock.advance(60_000);
      await ft.fire();
      expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
      expect((await getNode(database.db, node)).state).toBe('PARKED');
      fail = false;
      await ft.fire();
      expect((await getNode(database.db, node)).state).toBe('FAULTED');
      await sweeper.stop();
    });

    it('refuses a bad interval', () => {
      expect(() => startSweeper({ database, clock: manualClock(T0), intervalMs: 0 })).toThrow(/intervalMs/);
    });
  });
});
