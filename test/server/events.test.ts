/**
 * The live event stream (GET /api/v1/events) on PGlite and PostgreSQL: the snapshot says
 * what the network rules say (node states after a fault sweep, mission progress from
 * missionProgress, queue depths from the job ledger); a diff carries exactly what changed
 * and the dashboard's applyDiff turns the previous snapshot into the next one (property
 * test); over a loopback socket a client gets a snapshot, then diffs; a client that leaves
 * is dropped and the timers stop; the stream limit answers 503; closing the server ends
 * open streams at once; a failing snapshot is reported on the stream, which stays up.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock, type ManualClock } from '../../src/network/clock.js';
import { createSite } from '../../src/network/nodes/sites.js';
import { registerNode } from '../../src/network/nodes/registry.js';
import { recordHeartbeat } from '../../src/network/heartbeats/heartbeats.js';
import { sweepFaultedNodes } from '../../src/network/heartbeats/sweeper.js';
import { createMission, creditFrame, endTask, missionProgress } from '../../src/network/missions/index.js';
import { assignWork } from '../../src/network/scheduler/index.js';
import type { ServerContext } from '../../src/server/context.js';
import {
  computeSnapshot,
  createEventHub,
  diffSnapshots,
  eventsRoutes,
  type EventHub,
  type LiveDiff,
  type LiveJob,
  type LiveMission,
  type LiveNode,
  type LiveSnapshot,
  type Timers,
} from '../../src/server/routes/events.js';
import { applyDiff, withoutSeq } from '../../web/src/live/state.js';
import { createSseParser, type SseEvent } from '../../web/src/live/sse.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const T0 = new Date('2022-06-21T23:30:00Z'); // Vega high over OHP, Sun well down
const VEGA = { raDeg: 279.23473479166665, decDeg: 38.78368894444444 };
const at = (s: number) => new Date(T0.getTime() + s * 1000);

const optics = { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, sensorWidthPx: 4000, sensorHeightPx: 3000, filters: ['V'] };

/** An SSE client over a real socket: events as they arrive, and how the stream ended. */
interface StreamClient {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
  next(timeoutMs?: number): Promise<SseEvent>;
  ended: Promise<void>;
  close(): void;
}

function openStream(url: string): Promise<StreamClient> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      const parser = createSseParser();
      const queue: SseEvent[] = [];
      const waiters: Array<(e: SseEvent) => void> = [];
      let body = '';
      res.on('data', (chunk: string) => {
        body += chunk;
        for (const e of parser.feed(chunk)) {
          const w = waiters.shift();
          if (w) w(e);
          else queue.push(e);
        }
      });
      const ended = new Promise<void>((r) => res.on('close', () => r()));
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        get body() {
          return body;
        },
        next(timeoutMs = 5000) {
          const ready = queue.shift();
          if (ready) return Promise.resolve(ready);
          return new Promise((res2, rej) => {
            const timer = setTimeout(() => rej(new Error(`no event within ${timeoutMs} ms`)), timeoutMs);
            waiters.push((e) => {
              clearTimeout(timer);
              res2(e);
            });
          });
        },
        ended,
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const t0 = performance.now();
  while (!cond()) {
    if (performance.now() - t0 > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.each(engineNames())('live events on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let clock: ManualClock;
  let ctx: ServerContext;
  const ids: Record<string, string> = {};
  let missionId: string;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    clock = manualClock(T0);
    ctx = { database, clock, heartbeatIntervalS: 20, leaseS: 120 };
    const db = database.db;
    const site = await createSite(db, { name: 'OHP', latitudeDeg: 43.9317, longitudeDeg: 5.7122, elevationM: 650 }, T0);
    for (const name of ['Bravo', 'alpha', 'Charlie']) {
      ids[name] = (await registerNode(db, { siteId: site.id, name, ...optics, heartbeatIntervalS: 20 }, T0)).node.id;
    }
    await recordHeartbeat(db, ids.alpha, { state: 'ONLINE', currentTarget: null, weatherOk: true }, T0);
    await recordHeartbeat(db, ids.Bravo, { state: 'BUSY', currentTarget: 'Vega', weatherOk: true }, T0);
    await recordHeartbeat(db, ids.Charlie, { state: 'PARKED', currentTarget: null, weatherOk: false }, at(-120));
    // Charlie's last beat is 120 s old at T0: three 20 s intervals missed → FAULTED.
    expect(await sweepFaultedNodes(db, T0)).toEqual([ids.Charlie]);

    // A mission with a partial task: 3 × 60 s credited of 600, then the node stopped.
    const { mission } = await createMission(db, { ...VEGA, name: 'Vega V', filter: 'V', totalExposureS: 600, subExposureS: 60 }, T0);
    missionId = mission.id;
    const work = (await assignWork(db, ids.Bravo, T0, { leaseS: 120 }))!;
    for (let k = 1; k <= 3; k++) {
      await creditFrame(db, { missionId, taskId: work.task.id, nodeId: ids.Bravo, frame: { startedAt: at(60 * k) }, exposureS: 60, accepted: true }, at(60 * k));
    }
    await endTask(db, work.task.id, ids.Bravo, { reason: 'clouds' }, at(200));

    const job = (queue: string, stage: string, state: 'queued' | 'active' | 'failed', extra: object = {}) =>
      db
        .insertInto('pipeline_jobs')
        .values({ dedupe_key: `${stage}:${Math.random()}`, queue, stage, input: JSON.stringify({ missionId }), state, max_attempts: 3, created_at: T0, updated_at: T0, ...extra })
        .execute();
    await job('ingest', 'ingest', 'queued');
    await job('ingest', 'ingest', 'queued');
    await job('stack', 'stack', 'active', { progress: 0.25, message: 'co-adding frame 5 of 20', attempts: 1, started_at: T0 });
    await job('image', 'solve', 'failed', { error: 'no match for 40 stars', attempts: 3 });
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  it('the snapshot says what the rules say', async () => {
    const snap = await computeSnapshot(ctx);
    expect(snap.at).toBe(T0.toISOString());
    // Code-unit order: capitals before lower case, whatever the database collation.
    expect(snap.nodes.map((n) => n.name)).toEqual(['Bravo', 'Charlie', 'alpha']);
    expect(Object.fromEntries(snap.nodes.map((n) => [n.name, n.state]))).toEqual({ alpha: 'ONLINE', Bravo: 'BUSY', Charlie: 'FAULTED' });
    expect(snap.nodes.find((n) => n.name === 'Bravo')).toMatchObject({ currentTarget: 'Vega', weatherOk: true, lastHeartbeatAt: T0.toISOString() });
    expect(snap.nodeCounts).toEqual({ ONLINE: 1, BUSY: 1, PARKED: 0, FAULTED: 1 });

    const progress = await missionProgress(database.db, missionId);
    const m = snap.missions.find((x) => x.id === missionId)!;
    expect(m).toMatchObject({ name: 'Vega V', deliveredExposureS: 180, requiredExposureS: 600, state: 'ACTIVE' });
    expect(m.fraction).toBeCloseTo(progress.fraction, 12);
    expect(m.fraction).toBeCloseTo(0.3, 12);
    expect(m.tasks).toEqual(progress.taskCounts);
    expect(m.tasks).toMatchObject({ PARTIAL: 1, PENDING: 1 });

    expect(snap.queues.ingest.queued).toBe(2);
    expect(snap.queues.stack.active).toBe(1);
    expect(snap.queues.image.failed).toBe(1);
    expect(snap.running).toHaveLength(1);
    expect(snap.running[0]).toMatchObject({ queue: 'stack', stage: 'stack', progress: 0.25, message: 'co-adding frame 5 of 20', attempts: 1, maxAttempts: 3 });
  });

  it('a diff carries exactly what changed; nothing changed → no diff', async () => {
    const before = await computeSnapshot(ctx);
    expect(diffSnapshots(before, await computeSnapshot(ctx))).toBeNull();
    clock.advance(5000);
    await recordHeartbeat(database.db, ids.alpha, { state: 'BUSY', currentTarget: 'M 31', weatherOk: true }, clock.now());
    const after = await computeSnapshot(ctx);
    const diff = diffSnapshots(before, after)!;
    expect(diff.at).toBe(clock.now().toISOString());
    expect(diff.nodes!.remove).toEqual([]);
    expect(diff.nodes!.upsert.map((n) => [n.name, n.state, n.currentTarget])).toEqual([['alpha', 'BUSY', 'M 31']]);
    expect(diff.nodeCounts).toEqual({ ONLINE: 0, BUSY: 2, PARKED: 0, FAULTED: 1 });
    expect(diff.missions).toBeUndefined();
    expect(diff.queues).toBeUndefined();
    expect(applyDiff(before, diff)).toEqual(after);
  });

  it('over a socket: snapshot, then diffs; a leaving client is dropped and polling stops', async () => {
    const hub = createEventHub(ctx, { intervalMs: 3_600_000 });
    const app = Fastify();
    await app.register(async (scope) => eventsRoutes(scope, ctx, { hub }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/events`;
    try {
      const client = await openStream(url);
      expect(client.status).toBe(200);
      expect(client.headers['content-type']).toMatch(/^text\/event-stream/);
      expect(client.headers['cache-control']).toMatch(/no-cache/);
      const first = await client.next();
      expect(first.event).toBe('snapshot');
      const snap = JSON.parse(first.data) as LiveSnapshot & { seq: number };
      expect(first.lastEventId).toBe(String(snap.seq));
      expect(snap.nodes.map((n) => n.name)).toEqual(['Bravo', 'Charlie', 'alpha']);
      expect(hub.clients).toBe(1);
      expect(hub.running).toBe(true);

      // The FAULTED node comes back: one diff with that node only.
      clock.advance(5000);
      await recordHeartbeat(database.db, ids.Charlie, { state: 'ONLINE', currentTarget: null, weatherOk: true }, clock.now());
      await hub.poll();
      const second = await client.next();
      expect(second.event).toBe('diff');
      const diff = JSON.parse(second.data) as LiveDiff & { seq: number };
      expect(diff.seq).toBe(snap.seq + 1);
      expect(diff.nodes!.upsert.map((n) => [n.name, n.state])).toEqual([['Charlie', 'ONLINE']]);
      let state = applyDiff(withoutSeq(snap), withoutSeq(diff));
      expect(state).toEqual(await computeSnapshot(ctx));

      // A second viewer joins mid-stream: it gets the current state whole.
      const late = await openStream(url);
      const lateFirst = await late.next();
      expect(lateFirst.event).toBe('snapshot');
      expect(withoutSeq(JSON.parse(lateFirst.data) as LiveSnapshot & { seq: number })).toEqual(state);

      // Nothing changed: no event at all (the next event is the one after a real change).
      await hub.poll();
      clock.advance(1000);
      await database.db.updateTable('pipeline_jobs').set({ progress: 0.5, message: 'co-adding frame 10 of 20' }).where('state', '=', 'active').execute();
      await hub.poll();
      const third = await client.next();
      expect(third.event).toBe('diff');
      const jobsDiff = JSON.parse(third.data) as LiveDiff & { seq: number };
      expect(jobsDiff.seq).toBe(diff.seq + 2);
      expect(jobsDiff.nodes).toBeUndefined();
      expect((jobsDiff.running as LiveJob[])[0]).toMatchObject({ progress: 0.5, message: 'co-adding frame 10 of 20' });
      state = applyDiff(state, withoutSeq(jobsDiff));
      expect(state).toEqual(await computeSnapshot(ctx));
      expect((await late.next()).event).toBe('diff');

      client.close();
      late.close();
      await until(() => hub.clients === 0);
      expect(hub.running).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('refuses streams beyond the limit with 503; closing the server ends open streams', async () => {
    const app = Fastify();
    await app.register(async (scope) => eventsRoutes(scope, ctx, { intervalMs: 3_600_000, maxClients: 1 }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/api/v1/events`;
    const client = await openStream(url);
    expect((await client.next()).event).toBe('snapshot');
    const refused = await openStream(url);
    expect(refused.status).toBe(503);
    await refused.ended;
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/too many live streams.*limit 1/) });

    const t0 = performance.now();
    await app.close();
    await client.ended;
    // preClose ended the stream: close does not wait for the viewer to leave.
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('a failing snapshot is reported on the stream, which stays up', async () => {
    const broken: Pick<ServerContext, 'database' | 'clock'> = {
      clock,
      database: {
        ...database,
        db: new Proxy(database.db, {
          get(target, prop, receiver) {
            if (prop === 'selectFrom') return () => {
              throw new Error('relation "nodes" does not exist');
            };
            return Reflect.get(target, prop, receiver);
          },
        }),
      } as Database,
    };
    const errors: unknown[] = [];
    const hub = createEventHub(broken, { intervalMs: 3_600_000, onError: (e) => errors.push(e) });
    const written: string[] = [];
    const unsubscribe = hub.subscribe({ write: (t) => (written.push(t), true), bufferedBytes: 0, end: () => {} });
    await hub.poll();
    expect(errors).toHaveLength(1);
    const parsed = createSseParser().feed(written.join(''));
    expect(parsed.map((e) => e.event)).toEqual(['problem']);
    expect(JSON.parse(parsed[0].data)).toEqual({ code: 'SNAPSHOT_FAILED', message: 'live snapshot failed: relation "nodes" does not exist' });
    expect(hub.clients).toBe(1);
    unsubscribe();
    hub.close();
  });
});

describe('event hub lifecycle (fake timers, no database)', () => {
  function fakeTimers() {
    const live = new Map<number, { fn: () => void; ms: number }>();
    let next = 1;
    const timers: Timers = {
      setInterval: (fn, ms) => {
        live.set(next, { fn, ms });
        return next++;
      },
      clearInterval: (h) => void live.delete(h as number),
    };
    return { timers, live, fire: (ms: number) => [...live.values()].filter((t) => t.ms === ms).forEach((t) => t.fn()) };
  }

  const emptyDb = {
    db: {
      selectFrom: () => {
        throw new Error('unused');
      },
    },
  } as unknown as Database;

  it('timers run only while someone watches; a slow reader is cut off; close ends everything', () => {
    const { timers, live, fire } = fakeTimers();
    const hub: EventHub = createEventHub({ database: emptyDb, clock: manualClock(T0) }, { intervalMs: 3000, keepAliveMs: 15_000, timers, maxBufferedBytes: 100, onError: () => {} });
    expect(live.size).toBe(0);
    const a: string[] = [];
    let aEnded = false;
    const stopA = hub.subscribe({ write: (t) => (a.push(t), true), bufferedBytes: 0, end: () => (aEnded = true) });
    expect([...live.values()].map((t) => t.ms).sort()).toEqual([15_000, 3000]);
    fire(15_000);
    expect(a.at(-1)).toBe(': keep-alive\n\n');

    // A reader that stopped reading: its buffer passes the limit → dropped.
    let slowEnded = false;
    hub.subscribe({ write: () => false, bufferedBytes: 1000, end: () => (slowEnded = true) });
    expect(slowEnded).toBe(true);
    expect(hub.clients).toBe(1);

    stopA();
    expect(aEnded).toBe(true);
    expect(hub.clients).toBe(0);
    expect(live.size).toBe(0);

    let bEnded = false;
    hub.subscribe({ write: () => true, bufferedBytes: 0, end: () => (bEnded = true) });
    expect(live.size).toBe(2);
    hub.close();
    expect(bEnded).toBe(true);
    expect(live.size).toBe(0);
    let cEnded = false;
    hub.subscribe({ write: () => true, bufferedBytes: 0, end: () => (cEnded = true) });
    expect(cEnded).toBe(true);
    expect(() => createEventHub({ database: emptyDb, clock: manualClock(T0) }, { intervalMs: 0 })).toThrow(/intervalMs/);
  });
});

describe('applyDiff is the inverse of diffSnapshots (property)', () => {
  const nodeStates = ['ONLINE', 'BUSY', 'PARKED', 'FAULTED'] as const;
  const idArb = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`));
  const nodeArb: fc.Arbitrary<LiveNode> = fc.record({
    id: idArb,
    name: fc.constantFrom('a', 'B', 'c', 'Zed', 'node 1', 'node 10', 'node 2'),
    siteId: fc.constant('s'),
    state: fc.constantFrom(...nodeStates),
    lastHeartbeatAt: fc.option(fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:20.000Z')),
    currentTarget: fc.option(fc.constantFrom('Vega', 'M 31')),
    weatherOk: fc.option(fc.boolean()),
  });
  const missionArb: fc.Arbitrary<LiveMission> = fc.record({
    id: idArb,
    name: fc.constantFrom('m1', 'm2'),
    targetName: fc.option(fc.constant('Vega')),
    filter: fc.constant('V'),
    state: fc.constantFrom('PENDING', 'ACTIVE', 'COMPLETE', 'CANCELLED'),
    priority: fc.integer({ min: 0, max: 3 }),
    deliveredExposureS: fc.integer({ min: 0, max: 600 }),
    requiredExposureS: fc.constant(600),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
    tasks: fc.record({ PENDING: fc.nat(3), LEASED: fc.nat(3), RUNNING: fc.nat(3), DONE: fc.nat(3), PARTIAL: fc.nat(3), CANCELLED: fc.nat(3) }),
    createdAt: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'),
  });
  const uniq = <T extends { id: string }>(xs: T[]) => [...new Map(xs.map((x) => [x.id, x])).values()];
  const snapArb: fc.Arbitrary<LiveSnapshot> = fc.record({
    at: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:03.000Z'),
    nodes: fc.array(nodeArb, { maxLength: 10 }).map(uniq),
    nodeCounts: fc.record({ ONLINE: fc.nat(5), BUSY: fc.nat(5), PARKED: fc.nat(5), FAULTED: fc.nat(5) }),
    missions: fc.array(missionArb, { maxLength: 6 }).map(uniq),
    queues: fc.record({ ingest: fc.record({ queued: fc.nat(3), active: fc.nat(3), retry: fc.nat(3), completed: fc.nat(3), failed: fc.nat(3) }) }),
    running: fc.array(
      fc.record({ id: idArb, queue: fc.constant('stack'), stage: fc.constant('stack'), progress: fc.double({ min: 0, max: 1, noNaN: true }), message: fc.constant(null), attempts: fc.nat(3), maxAttempts: fc.constant(3), startedAt: fc.constant(null) }),
      { maxLength: 3 },
    ),
  });
  // Snapshots come sorted from the server; sort the generated ones the same way.
  const sorted = (s: LiveSnapshot): LiveSnapshot => applyDiff(s, { at: s.at, nodes: { upsert: [], remove: [] }, missions: { upsert: [], remove: [] } });

  it('apply(prev, diff(prev, next)) = next, and no diff iff equal', () => {
    fc.assert(
      fc.property(snapArb, snapArb, (p, n) => {
        const prev = sorted(p);
        const next = sorted(n);
        const diff = diffSnapshots(prev, next);
        if (diff === null) expect(JSON.stringify({ ...prev, at: '' })).toBe(JSON.stringify({ ...next, at: '' }));
        else expect(applyDiff(prev, diff)).toEqual(next);
      }),
      { seed: 11, numRuns: 400 },
    );
  });
});
