/**
 * The heartbeat route through the real server shell (buildServer: auth with the token
 * cache, error handler, metrics hook): a burst of concurrent heartbeats is written in a
 * few statements, not one per request, and each answer is that node's own; two heartbeats
 * of one node in a burst chain (the second sees the first's state); after close() the
 * writer has nothing left. Statements are counted with a Kysely plugin on the context's
 * database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { KyselyPlugin } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock } from '../../src/network/clock.js';
import { getNode } from '../../src/network/nodes/index.js';
import { recentHeartbeats } from '../../src/network/heartbeats/index.js';
import { buildServer } from '../../src/server/app.js';
import type { ServerContext } from '../../src/server/context.js';
import { createLogger } from '../../src/platform/log/logger.js';
import { createRegistry } from '../../src/platform/metrics/registry.js';
import { hashToken } from '../../src/network/nodes/tokens.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const OPERATOR_TOKEN = 'operator-token-for-batching-test';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const N = 40;

describe.each(engineNames())('heartbeat route batching on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let app: FastifyInstance;
  const clock = manualClock('2026-05-01T22:00:00Z');
  const counter = { heartbeatStatements: 0 };
  const nodes: Array<{ id: string; token: string }> = [];

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    const counting: KyselyPlugin = {
      transformQuery(args) {
        // The heartbeat statement is the only one that writes the heartbeat log.
        if (JSON.stringify(args.node).includes('INSERT INTO heartbeats')) counter.heartbeatStatements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const ctx: ServerContext = { database: { ...database, db: database.db.withPlugin(counting) }, clock, heartbeatIntervalS: 15, leaseS: 120 };
    app = buildServer(ctx, {
      config: { auth: { operatorTokens: [{ name: 'ops', sha256: hashToken(OPERATOR_TOKEN) }], readsOpen: true } },
      logger: createLogger({ level: 'silent' }),
      metrics: createRegistry(),
    });
    await app.ready();
    const site = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: bearer(OPERATOR_TOKEN), payload: { name: 'burst', latitudeDeg: 19.8, longitudeDeg: -155.5 } });
    expect(site.statusCode).toBe(201);
    for (let i = 0; i < N; i++) {
      const r = await app.inject({
        method: 'POST',
        url: '/api/v1/nodes',
        headers: bearer(OPERATOR_TOKEN),
        payload: { siteId: site.json().id, name: `burst-${i}`, apertureMm: 150, focalLengthMm: 750, pixelSizeUm: 2.9, sensorWidthPx: 1936, sensorHeightPx: 1096, filters: ['L'] },
      });
      expect(r.statusCode).toBe(201);
      nodes.push({ id: r.json().node.id, token: r.json().token });
    }
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await engine?.cleanup();
  });

  const beat = (n: { id: string; token: string }, payload: object) =>
    app.inject({ method: 'POST', url: `/api/v1/nodes/${n.id}/heartbeat`, headers: { ...bearer(n.token), 'content-type': 'application/json' }, payload });

  it('one at a time: one statement each, answered with the node state', async () => {
    counter.heartbeatStatements = 0;
    for (const [i, n] of nodes.entries()) {
      const r = await beat(n, { state: 'ONLINE', currentTarget: `T${i}`, weatherOk: true });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ nodeId: n.id, state: 'ONLINE', previousState: 'PARKED', recovered: false, heartbeatIntervalS: 15, receivedAt: '2026-05-01T22:00:00.000Z' });
    }
    expect(counter.heartbeatStatements).toBe(N);
  });

  it(`a burst of ${N} concurrent heartbeats takes a few statements, each answer its own`, async () => {
    clock.advance(15_000);
    counter.heartbeatStatements = 0;
    const rs = await Promise.all(nodes.map((n, i) => beat(n, { state: i % 2 === 0 ? 'BUSY' : 'PARKED', currentTarget: null })));
    expect(rs.map((r) => r.statusCode)).toEqual(nodes.map(() => 200));
    expect(rs.map((r) => [r.json().nodeId, r.json().previousState, r.json().state])).toEqual(nodes.map((n, i) => [n.id, 'ONLINE', i % 2 === 0 ? 'BUSY' : 'PARKED']));
    expect(counter.heartbeatStatements).toBeGreaterThanOrEqual(1);
    expect(counter.heartbeatStatements).toBeLessThanOrEqual(4);
    for (const [i, n] of nodes.entries()) {
      const node = await getNode(database.db, n.id);
      expect([node.state, node.currentTarget, node.lastHeartbeatAt?.toISOString()]).toEqual([i % 2 === 0 ? 'BUSY' : 'PARKED', null, '2026-05-01T22:00:15.000Z']);
      // State changed: logged, beside the first heartbeat.
      expect((await recentHeartbeats(database.db, n.id)).map((h) => h.state)).toEqual([i % 2 === 0 ? 'BUSY' : 'PARKED', 'ONLINE']);
    }
  });

  it('two heartbeats of one node in a burst chain: the later sees the earlier', async () => {
    clock.advance(15_000);
    const n = nodes[0];
    const before = (await getNode(database.db, n.id)).state;
    const [a, b] = await Promise.all([beat(n, { state: 'ONLINE' }), beat(n, { state: 'PARKED' })]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const pairs = [a.json(), b.json()].map((j) => [j.previousState, j.state]);
    const first = pairs.find((p) => p[0] === before);
    expect(first).toBeDefined();
    const second = pairs.find((p) => p !== first);
    expect(second?.[0]).toBe(first?.[1]);
    expect((await getNode(database.db, n.id)).state).toBe(second?.[1]);
  });

  it('bad heartbeats are refused before they reach the writer', async () => {
    counter.heartbeatStatements = 0;
    const r = await beat(nodes[1], { state: 'FAULTED' });
    expect(r.statusCode).toBe(400);
    expect(r.json().code).toBe('BAD_REQUEST');
    // Node 1's token for node 2's heartbeat.
    const other = await beat({ id: nodes[2].id, token: nodes[1].token }, { state: 'ONLINE' });
    expect(other.statusCode).toBe(403);
    expect(counter.heartbeatStatements).toBe(0);
  });
});
