/**
 * The nodes route plugin through a minimal Fastify instance (its own auth hook resolving
 * Bearer tokens the way the server shell does, and an error handler mapping NetworkError):
 * access rules, validation, camelCase JSON, token flow, commands and long poll, faults.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock, type ManualClock } from '../../src/network/clock.js';
import { NetworkError } from '../../src/network/errors.js';
import { nodeIdForToken } from '../../src/network/nodes/index.js';
import { createCommand, createCommandNotifier, getCommand } from '../../src/network/commands/index.js';
import { sweepFaultedNodes } from '../../src/network/heartbeats/index.js';
import { nodesRoutes } from '../../src/server/routes/nodes.js';
import type { ServerContext } from '../../src/server/context.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const OPERATOR_TOKEN = 'operator-secret';
const op = { authorization: `Bearer ${OPERATOR_TOKEN}` };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

const nodeBody = (siteId: string, name: string) => ({
  siteId,
  name,
  apertureMm: 203,
  focalLengthMm: 1000,
  pixelSizeUm: 3.76,
  sensorWidthPx: 3096,
  sensorHeightPx: 2080,
  filters: ['B', 'V', 'R'],
});

describe.each(engineNames())('nodes routes on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let clock: ManualClock;
  let app: FastifyInstance;
  const notifier = createCommandNotifier();

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    clock = manualClock('2026-04-10T21:00:00Z');
    const ctx: ServerContext = { database, clock, heartbeatIntervalS: 20, leaseS: 120 };
    app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 'test', version: '0' } } });
    app.decorateRequest('caller', null as never);
    app.addHook('onRequest', async (request) => {
      const m = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
      if (!m) request.caller = { kind: 'anonymous' };
      else if (m[1] === OPERATOR_TOKEN) request.caller = { kind: 'operator', name: 'ops' };
      else {
        const nodeId = await nodeIdForToken(database.db, m[1]);
        if (!nodeId) throw new NetworkError('UNAUTHORIZED', 'unknown token');
        request.caller = { kind: 'node', nodeId };
      }
    });
    app.setErrorHandler((err: FastifyError, _request, reply) => {
      if (err instanceof NetworkError) return reply.status(err.status).send({ code: err.code, message: err.message });
      if (err.validation) return reply.status(400).send({ code: 'BAD_REQUEST', message: err.message });
      return reply.status(500).send({ code: 'INTERNAL', message: err.message });
    });
    await app.register(async (instance) => nodesRoutes(instance, ctx, { notifier, pollIntervalMs: 60_000 }));
    await app.ready();
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await database?.close();
    await engine?.cleanup();
  });

  async function newSite(name = 'Sierra') {
    const r = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: op, payload: { name, latitudeDeg: 37.07, longitudeDeg: -2.55, elevationM: 2168 } });
    expect(r.statusCode).toBe(201);
    return r.json() as { id: string };
  }

  async function newNode(siteId: string, name: string) {
    const r = await app.inject({ method: 'POST', url: '/api/v1/nodes', headers: op, payload: nodeBody(siteId, name) });
    expect(r.statusCode).toBe(201);
    return r.json() as { node: { id: string }; token: string };
  }

  it('sites: operator creates (camelCase, ISO times); nodes may not; anyone may list', async () => {
    const payload = { name: 'Calar Alto', latitudeDeg: 37.2236, longitudeDeg: -2.5463, horizonProfile: [[180, 25], [0, 15]] };
    expect((await app.inject({ method: 'POST', url: '/api/v1/sites', payload })).json()).toMatchObject({ code: 'UNAUTHORIZED' });
    const created = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: op, payload });
    expect(created.statusCode).toBe(201);
    const site = created.json();
    expect(site).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Calar Alto',
      latitudeDeg: 37.2236,
      longitudeDeg: -2.5463,
      elevationM: 0,
      minAltitudeDeg: 20,
      horizonProfile: [[0, 15], [180, 25]],
      createdAt: '2026-04-10T21:00:00.000Z',
      updatedAt: '2026-04-10T21:00:00.000Z',
    });
    const { token } = await newNode(site.id, 'n-site');
    const asNode = await app.inject({ method: 'POST', url: '/api/v1/sites', headers: bearer(token), payload });
    expect(asNode.statusCode).toBe(403);
    expect(asNode.json().code).toBe('FORBIDDEN');
    const list = await app.inject({ method: 'GET', url: '/api/v1/sites' });
    expect(list.statusCode).toBe(200);
    expect(list.json().sites.map((s: { id: string }) => s.id)).toContain(site.id);
  });

  it('validation errors are 400 with a code and name the field', async () => {
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      ['/api/v1/sites', { name: 'x', latitudeDeg: 91, longitudeDeg: 0 }, /latitudeDeg/],
      ['/api/v1/sites', { name: 'x', latitudeDeg: 10 }, /longitudeDeg/],
      ['/api/v1/sites', { name: 'x', latitudeDeg: 10, longitudeDeg: 0, horizonProfile: [[10, 5], [10, 6]] }, /horizonProfile: azimuth 10 appears twice/],
    ];
    const site = await newSite();
    cases.push(
      ['/api/v1/nodes', { ...nodeBody(site.id, 'x'), apertureMm: 0 }, /apertureMm/],
      ['/api/v1/nodes', { ...nodeBody(site.id, 'x'), filters: ['V', 'V'] }, /filters\[1\]: 'V' is listed twice/],
      ['/api/v1/nodes', { ...nodeBody(site.id, 'x'), heartbeatIntervalS: 5 }, /heartbeatIntervalS/],
      ['/api/v1/nodes', { ...nodeBody('00000000-0000-4000-8000-000000000000', 'x') }, /siteId: no site/],
    );
    for (const [url, payload, message] of cases) {
      const r = await app.inject({ method: 'POST', url, headers: op, payload });
      expect(r.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(400);
      expect(r.json().code).toBe('BAD_REQUEST');
      expect(r.json().message).toMatch(message);
    }
  });

  it('registration returns the token once; it authenticates only its own node', async () => {
    const site = await newSite();
    const a = await newNode(site.id, 'alpha');
    const b = await newNode(site.id, 'beta');
    expect(a.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.node).toMatchObject({ name: 'alpha', state: 'PARKED', heartbeatIntervalS: 20, lastHeartbeatAt: null, filters: ['B', 'V', 'R'] });
    expect((a.node as unknown as { pixelScaleArcsec: number }).pixelScaleArcsec).toBeCloseTo((206264.80624709636 * 3.76e-3) / 1000, 9);

    const shown = await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual(a.node);
    expect(JSON.stringify(shown.json())).not.toContain(a.token);
    expect(shown.json()).not.toHaveProperty('tokenHash');

    const hb = (nodeId: string, headers: Record<string, string>, payload: unknown = { state: 'ONLINE', weatherOk: true }) =>
      app.inject({ method: 'POST', url: `/api/v1/nodes/${nodeId}/heartbeat`, headers, payload: payload as object });
    const ok = await hb(a.node.id, bearer(a.token));
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ nodeId: a.node.id, state: 'ONLINE', previousState: 'PARKED', recovered: false, heartbeatIntervalS: 20, receivedAt: '2026-04-10T21:00:00.000Z' });
    expect((await hb(a.node.id, bearer(b.token))).statusCode).toBe(403);
    expect((await hb(a.node.id, op)).json().code).toBe('FORBIDDEN');
    expect((await hb(a.node.id, {})).statusCode).toBe(401);
    expect((await hb(a.node.id, bearer('made-up'))).statusCode).toBe(401);
    const bad = await hb(a.node.id, bearer(a.token), { state: 'FAULTED' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/state/);

    const listed = await app.inject({ method: 'GET', url: `/api/v1/nodes?siteId=${site.id}&state=ONLINE` });
    expect(listed.json().nodes.map((n: { name: string }) => n.name)).toEqual(['alpha']);
    expect((await app.inject({ method: 'GET', url: `/api/v1/nodes?siteId=${site.id}` })).json().nodes).toHaveLength(2);
    expect((await app.inject({ method: 'GET', url: '/api/v1/nodes/not-a-uuid' })).statusCode).toBe(400);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/nodes/00000000-0000-4000-8000-000000000000' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('NOT_FOUND');
  });

  it('commands: poll, ack, report (repeat harmless), other nodes refused', async () => {
    const site = await newSite();
    const a = await newNode(site.id, 'cmd-a');
    const b = await newNode(site.id, 'cmd-b');
    const c = await createCommand(database.db, { nodeId: a.node.id, kind: 'observe', payload: { raDeg: 120.5, decDeg: 22.1, exposureS: 60 } }, clock.now());

    expect((await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands`, headers: bearer(b.token) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands` })).statusCode).toBe(401);

    const polled = await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands`, headers: bearer(a.token) });
    expect(polled.statusCode).toBe(200);
    expect(polled.json().commands).toEqual([
      {
        id: c.id,
        nodeId: a.node.id,
        taskId: null,
        kind: 'observe',
        payload: { raDeg: 120.5, decDeg: 22.1, exposureS: 60 },
        state: 'DELIVERED',
        attempts: 1,
        leaseExpiresAt: '2026-04-10T21:02:00.000Z',
        result: null,
        reason: null,
        createdAt: '2026-04-10T21:00:00.000Z',
        ackedAt: null,
        finishedAt: null,
      },
    ]);
    expect((await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands`, headers: bearer(a.token) })).json().commands).toEqual([]);

    const base = `/api/v1/nodes/${a.node.id}/commands/${c.id}`;
    // Node b, through its own path, on a's command: the rule refuses it.
    const foreign = await app.inject({ method: 'POST', url: `/api/v1/nodes/${b.node.id}/commands/${c.id}/ack`, headers: bearer(b.token) });
    expect(foreign.statusCode).toBe(403);

    clock.advance(10_000);
    const acked = await app.inject({ method: 'POST', url: `${base}/ack`, headers: bearer(a.token) }); // no body at all
    expect(acked.statusCode).toBe(200);
    expect(acked.json()).toMatchObject({ state: 'ACKED', ackedAt: '2026-04-10T21:00:10.000Z', leaseExpiresAt: '2026-04-10T21:02:10.000Z' });
    const stale = await app.inject({ method: 'POST', url: `${base}/ack`, headers: bearer(a.token), payload: { attempt: 7 } });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().code).toBe('LEASE_EXPIRED');

    clock.advance(50_000);
    const report = { ok: true, result: { frames: 1 } };
    const done = await app.inject({ method: 'POST', url: `${base}/report`, headers: bearer(a.token), payload: report });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ state: 'DONE', result: { frames: 1 }, finishedAt: '2026-04-10T21:01:00.000Z' });
    clock.advance(5000);
    const again = await app.inject({ method: 'POST', url: `${base}/report`, headers: bearer(a.token), payload: report });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(done.json());
    const different = await app.inject({ method: 'POST', url: `${base}/report`, headers: bearer(a.token), payload: { ok: false, reason: 'clouds' } });
    expect(different.statusCode).toBe(409);
    expect(different.json().code).toBe('CONFLICT');
    const noOk = await app.inject({ method: 'POST', url: `${base}/report`, headers: bearer(a.token), payload: { result: {} } });
    expect(noOk.statusCode).toBe(400);
    expect(noOk.json().message).toMatch(/ok/);
  });

  it('long poll: held until a command is written, then answered at once', async () => {
    const site = await newSite();
    const a = await newNode(site.id, 'lp');
    const t = performance.now();
    const pending = app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands?wait=30`, headers: bearer(a.token) });
    await new Promise((r) => setTimeout(r, 150));
    const c = await createCommand(database.db, { nodeId: a.node.id, kind: 'park' }, clock.now(), { notifier });
    const r = await pending;
    expect(r.statusCode).toBe(200);
    expect(r.json().commands.map((x: { id: string }) => x.id)).toEqual([c.id]);
    expect(performance.now() - t).toBeLessThan(15_000); // far below wait=30 s with re-polls every 60 s
    const tooLong = await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands?wait=600`, headers: bearer(a.token) });
    expect(tooLong.statusCode).toBe(400);
  });

  it('long poll over a real connection: a client that hangs up ends the wait and receives nothing', async () => {
    const site = await newSite();
    const a = await newNode(site.id, 'hangup');
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const ac = new AbortController();
    const request = fetch(`${address}/api/v1/nodes/${a.node.id}/commands?wait=30`, { headers: bearer(a.token), signal: ac.signal });
    for (let k = 0; k < 200 && notifier.waiting(a.node.id) === 0; k++) await new Promise((r) => setTimeout(r, 10));
    expect(notifier.waiting(a.node.id)).toBe(1); // the server holds the request
    ac.abort();
    await expect(request).rejects.toThrow();
    for (let k = 0; k < 200 && notifier.waiting(a.node.id) > 0; k++) await new Promise((r) => setTimeout(r, 10));
    expect(notifier.waiting(a.node.id)).toBe(0); // and let go of it
    // Nobody is waiting, so a new command is not delivered to a gone client.
    const c = await createCommand(database.db, { nodeId: a.node.id, kind: 'park' }, clock.now(), { notifier });
    await new Promise((r) => setTimeout(r, 50));
    expect((await getCommand(database.db, c.id)).state).toBe('PENDING');
  });

  it('a silent node is FAULTED, its commands wait for it, and a heartbeat brings it back', async () => {
    const site = await newSite();
    const a = await newNode(site.id, 'flaky');
    await app.inject({ method: 'POST', url: `/api/v1/nodes/${a.node.id}/heartbeat`, headers: bearer(a.token), payload: { state: 'BUSY', currentTarget: 'HAT-P-7' } });
    const c = await createCommand(database.db, { nodeId: a.node.id, kind: 'observe' }, clock.now());
    await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands`, headers: bearer(a.token) });

    clock.advance(3 * 20 * 1000);
    expect(await sweepFaultedNodes(database.db, clock.now())).toContain(a.node.id);
    expect((await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}` })).json()).toMatchObject({ state: 'FAULTED', currentTarget: 'HAT-P-7' });
    expect((await getCommand(database.db, c.id)).state).toBe('PENDING');

    const back = await app.inject({ method: 'POST', url: `/api/v1/nodes/${a.node.id}/heartbeat`, headers: bearer(a.token), payload: { state: 'ONLINE' } });
    expect(back.json()).toMatchObject({ state: 'ONLINE', previousState: 'FAULTED', recovered: true });
    const redelivered = await app.inject({ method: 'GET', url: `/api/v1/nodes/${a.node.id}/commands`, headers: bearer(a.token) });
    expect(redelivered.json().commands.map((x: { id: string; attempts: number }) => [x.id, x.attempts])).toEqual([[c.id, 2]]);
  });

  it('every route is in the OpenAPI document with a summary', () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, { summary?: string }>> };
    const expected: Array<[string, string]> = [
      ['/api/v1/sites', 'post'],
      ['/api/v1/sites', 'get'],
      ['/api/v1/nodes', 'post'],
      ['/api/v1/nodes', 'get'],
      ['/api/v1/nodes/{id}', 'get'],
      ['/api/v1/nodes/{id}/heartbeat', 'post'],
      ['/api/v1/nodes/{id}/commands', 'get'],
      ['/api/v1/nodes/{id}/commands/{commandId}/ack', 'post'],
      ['/api/v1/nodes/{id}/commands/{commandId}/report', 'post'],
    ];
    for (const [path, method] of expected) expect(doc.paths[path]?.[method]?.summary, `${method} ${path}`).toBeTruthy();
  });
});
