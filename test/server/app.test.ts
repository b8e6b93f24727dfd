/**
 * The server shell through Fastify's inject, on PGlite and PostgreSQL: who the caller is
 * (operator, node, anonymous, bad token), the JSON error shapes, /healthz, /metrics after
 * known requests, and the OpenAPI document. Nodes are registered through the real nodes
 * routes, so node tokens are the service's own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { NetworkError } from '../../src/network/errors.js';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { DbError } from '../../src/platform/db/errors.js';
import { createLogger } from '../../src/platform/log/index.js';
import { createRegistry } from '../../src/platform/metrics/index.js';
import { StorageError } from '../../src/platform/storage/index.js';
import { buildServer } from '../../src/server/app.js';
import { createNodeTokenCache } from '../../src/server/auth.js';
import type { ServerContext } from '../../src/server/context.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const OPERATOR_TOKEN = 'operator-token-for-tests-0123456789';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const operatorTokens = [{ name: 'ops', sha256: sha256(OPERATOR_TOKEN) }];
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function logSink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(c, _e, cb) {
        chunks.push(String(c));
        cb();
      },
    }),
    text: () => chunks.join(''),
  };
}

/** Value of the sample `name{labels}` in exposition text (labels in the order written), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const nodeBody = (siteId: string, name: string) => ({
  siteId,
  name,
  apertureMm: 200,
  focalLengthMm: 1000,
  pixelSizeUm: 3.76,
  sensorWidthPx: 6248,
  sensorHeightPx: 4176,
  filters: ['V', 'B'],
});

/** Routes that throw each kind of error, for the error handler. */
function addTestRoutes(app: FastifyInstance): void {
  app.get('/test/whoami', async (request) => request.caller);
  app.get('/test/boom', async () => {
    throw new Error('SELECT secret FROM internals failed');
  });
  app.get('/test/db-down', async () => {
    throw new DbError('CONNECT_FAILED', 'cannot reach postgres://u:pw@db/x');
  });
  app.get('/test/pg-shutdown', async () => {
    throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
  });
  app.get('/test/storage-missing', async () => {
    throw new StorageError('NOT_FOUND', 'no object "a/b"');
  });
  app.get('/test/conflict', async () => {
    throw new NetworkError('CONFLICT', 'mission is COMPLETE');
  });
  app.post(
    '/test/validate',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['n', 'state'],
          properties: { n: { type: 'integer', minimum: 1 }, state: { type: 'string', enum: ['ONLINE', 'BUSY'] } },
        },
      },
    },
    async (request) => request.body,
  );
}

describe.each(engineNames())('server shell on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let app: FastifyInstance;
  const logs = logSink();
  const metrics = createRegistry();
  const clock = manualClock('2026-03-01T20:00:00Z');
  let siteId: string;
  const nodes: Array<{ id: string; token: string }> = [];

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    const ctx: ServerContext = { database, clock, heartbeatIntervalS: 30, leaseS: 120 };
    app = buildServer(ctx, {
      config: { auth: { operatorTokens, readsOpen: true } },
      logger: createLogger({ level: 'debug', destination: logs.stream }),
      metrics,
    });
    addTestRoutes(app);
    await app.ready();

    const site = await app.inject({
      method: 'POST',
      url: '/api/v1/sites',
      headers: bearer(OPERATOR_TOKEN),
      payload: { name: 'Test site', latitudeDeg: 52.2, longitudeDeg: 0.1 },
    });
    expect(site.statusCode).toBe(201);
    siteId = site.json().id;
    for (const name of ['scope-a', 'scope-b']) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/nodes', headers: bearer(OPERATOR_TOKEN), payload: nodeBody(siteId, name) });
      expect(r.statusCode).toBe(201);
      nodes.push({ id: r.json().node.id, token: r.json().token });
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await engine?.cleanup();
  });

  describe('auth', () => {
    it('tells operator, node and anonymous callers apart', async () => {
      const who = async (headers: Record<string, string>) => (await app.inject({ url: '/test/whoami', headers })).json();
      expect(await who(bearer(OPERATOR_TOKEN))).toEqual({ kind: 'operator', name: 'ops' });
      expect(await who(bearer(nodes[0].token))).toEqual({ kind: 'node', nodeId: nodes[0].id });
      expect(await who({ authorization: `bearer   ${nodes[1].token}` })).toEqual({ kind: 'node', nodeId: nodes[1].id });
      expect(await who({})).toEqual({ kind: 'anonymous' });
    });

    it('refuses unknown tokens and malformed headers with 401 and a JSON body', async () => {
      for (const authorization of ['Bearer not-a-known-token', `Bearer ${nodes[0].token}x`, 'Basic dXNlcjpwYXNz', 'Bearer', `Bearer ${'x'.repeat(600)}`]) {
        const r = await app.inject({ url: '/test/whoami', headers: { authorization } });
        expect(r.statusCode, authorization).toBe(401);
        expect(r.headers['www-authenticate']).toBe('Bearer');
        expect(r.json().code).toBe('UNAUTHORIZED');
        expect(typeof r.json().message).toBe('string');
      }
    });

    it('lets a node heartbeat only as itself', async () => {
      const hb = (id: string, headers: Record<string, string>) =>
        app.inject({ method: 'POST', url: `/api/v1/nodes/${id}/heartbeat`, headers, payload: { state: 'ONLINE', weatherOk: true } });
      const own = await hb(nodes[0].id, bearer(nodes[0].token));
      expect(own.statusCode).toBe(200);
      expect(own.json()).toMatchObject({ nodeId: nodes[0].id, state: 'ONLINE', receivedAt: '2026-03-01T20:00:00.000Z' });
      expect((await hb(nodes[0].id, bearer(nodes[1].token))).json()).toMatchObject({ code: 'FORBIDDEN' });
      expect((await hb(nodes[0].id, bearer(OPERATOR_TOKEN))).statusCode).toBe(403);
      const anon = await hb(nodes[0].id, {});
      expect(anon.statusCode).toBe(401);
      expect(anon.json().code).toBe('UNAUTHORIZED');
    });

    it('closes reads to anonymous callers when readsOpen is false', async () => {
      const closed = buildServer(
        { database, clock, heartbeatIntervalS: 30, leaseS: 120 },
        { config: { auth: { operatorTokens, readsOpen: false } }, logger: createLogger({ level: 'silent' }), metrics: createRegistry() },
      );
      try {
        const anon = await closed.inject({ url: '/api/v1/nodes' });
        expect(anon.statusCode).toBe(401);
        expect(anon.json()).toEqual({ code: 'UNAUTHORIZED', message: 'reading the API needs a token on this service (auth.readsOpen is false)' });
        expect((await closed.inject({ url: '/api/v1/nodes', headers: bearer(nodes[1].token) })).statusCode).toBe(200);
        expect((await closed.inject({ url: '/api/v1/nodes', headers: bearer(OPERATOR_TOKEN) })).json().nodes).toHaveLength(2);
        expect((await closed.inject({ url: '/healthz' })).statusCode).toBe(200);
      } finally {
        await closed.close();
      }
    });
  });

  describe('node token cache', () => {
    it('serves a hit for its TTL, then asks the database again; invalidateNode forgets at once', async () => {
      let now = 0;
      const cache = createNodeTokenCache({ ttlMs: 1000, nowMs: () => now });
      const token = randomUUID();
      const r = await app.inject({ method: 'POST', url: '/api/v1/nodes', headers: bearer(OPERATOR_TOKEN), payload: nodeBody(siteId, 'scope-cache') });
      const { id } = r.json().node;
      const realHash = sha256(r.json().token);
      expect(await cache.lookup(database.db, realHash)).toBe(id);
      expect(cache.size).toBe(1);
      // Revoke in the database behind the cache's back: a hit stays valid until the TTL.
      await database.db.updateTable('nodes').set({ token_hash: sha256(token) }).where('id', '=', id).execute();
      now = 999;
      expect(await cache.lookup(database.db, realHash)).toBe(id);
      now = 1000;
      expect(await cache.lookup(database.db, realHash)).toBeNull();
      expect(await cache.lookup(database.db, sha256(token))).toBe(id);
      cache.invalidateNode(id.toUpperCase());
      expect(cache.size).toBe(0);
      expect(await cache.lookup(database.db, sha256('never-issued'))).toBeNull();
      expect(cache.size).toBe(0); // misses are not cached
      await database.db.deleteFrom('nodes').where('id', '=', id).execute();
    });
  });

  describe('errors', () => {
    it('turns schema violations into 400 BAD_REQUEST naming the field', async () => {
      const post = (payload: unknown) => app.inject({ method: 'POST', url: '/test/validate', payload: payload as object });
      const cases: Array<[unknown, string]> = [
        [{ state: 'ONLINE' }, 'body.n: is required'],
        [{ n: 0, state: 'ONLINE' }, 'body.n: must be >= 1'],
        [{ n: 'many', state: 'ONLINE' }, 'body.n: must be integer'],
        [{ n: 1, state: 'ASLEEP' }, 'body.state: must be one of ONLINE, BUSY'],
        [{ n: 1, state: 'BUSY', extra: true }, 'body.extra: is not a known field'],
      ];
      for (const [payload, message] of cases) {
        const r = await post(payload);
        expect(r.statusCode, message).toBe(400);
        expect(r.json()).toEqual({ code: 'BAD_REQUEST', message });
      }
      expect((await post({ n: 2, state: 'BUSY' })).json()).toEqual({ n: 2, state: 'BUSY' });
    });

    it('names the field of a real route too (heartbeat state)', async () => {
      const r = await app.inject({ method: 'POST', url: `/api/v1/nodes/${nodes[1].id}/heartbeat`, headers: bearer(nodes[1].token), payload: { state: 'FAULTED' } });
      expect(r.statusCode).toBe(400);
      expect(r.json()).toEqual({ code: 'BAD_REQUEST', message: 'body.state: must be one of ONLINE, BUSY, PARKED' });
      const params = await app.inject({ url: '/api/v1/nodes/not-a-uuid' });
      expect(params.json()).toEqual({ code: 'BAD_REQUEST', message: 'params.id: must match format "uuid"' });
    });

    it('reports malformed JSON, wrong media type and oversize bodies as 4xx JSON', async () => {
      const bad = await app.inject({ method: 'POST', url: '/test/validate', headers: { 'content-type': 'application/json' }, payload: '{"n": 1,' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().code).toBe('BAD_REQUEST');
      const media = await app.inject({ method: 'POST', url: '/test/validate', headers: { 'content-type': 'application/x-thing' }, payload: 'x' });
      expect(media.statusCode).toBe(415);
      expect(media.json().code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const big = await app.inject({ method: 'POST', url: '/test/validate', headers: { 'content-type': 'application/json' }, payload: `{"n":"${'x'.repeat(1024 * 1024 + 10)}"}` });
      expect(big.statusCode).toBe(413);
      expect(big.json().code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('passes NetworkError codes and statuses through', async () => {
      const missing = await app.inject({ url: `/api/v1/nodes/${randomUUID()}` });
      expect(missing.statusCode).toBe(404);
      expect(missing.json().code).toBe('NOT_FOUND');
      const conflict = await app.inject({ url: '/test/conflict' });
      expect(conflict.statusCode).toBe(409);
      expect(conflict.json()).toEqual({ code: 'CONFLICT', message: 'mission is COMPLETE' });
      const storage = await app.inject({ url: '/test/storage-missing' });
      expect(storage.statusCode).toBe(404);
      expect(storage.json()).toEqual({ code: 'NOT_FOUND', message: 'no object "a/b"' });
    });

    it('answers unknown routes with a JSON 404', async () => {
      const r = await app.inject({ method: 'DELETE', url: '/nope/here?x=1' });
      expect(r.statusCode).toBe(404);
      expect(r.json()).toEqual({ code: 'NOT_FOUND', message: 'no route for DELETE /nope/here' });
    });

    it('hides the cause of a 500 and logs it with the request id', async () => {
      const r = await app.inject({ url: '/test/boom' });
      expect(r.statusCode).toBe(500);
      const body = r.json();
      expect(body).toEqual({ code: 'INTERNAL', message: 'internal error', requestId: expect.any(String) });
      expect(r.body).not.toContain('secret');
      const line = logs
        .text()
        .split('\n')
        .filter((l) => l.includes('SELECT secret'))
        .map((l) => JSON.parse(l) as { level: string; reqId: string; err: { message: string } })[0];
      expect(line).toMatchObject({ level: 'error', reqId: body.requestId, err: { message: 'SELECT secret FROM internals failed' } });
    });

    it('maps an unreachable database to 503 UNAVAILABLE with Retry-After', async () => {
      for (const url of ['/test/db-down', '/test/pg-shutdown']) {
        const r = await app.inject({ url });
        expect(r.statusCode).toBe(503);
        expect(r.headers['retry-after']).toBe('5');
        expect(r.json()).toMatchObject({ code: 'UNAVAILABLE', message: 'the database is unavailable; retry later' });
        expect(r.body).not.toContain('pw@');
      }
    });

    it('never logs an Authorization header', () => {
      expect(logs.text()).not.toContain(OPERATOR_TOKEN);
      for (const n of nodes) expect(logs.text()).not.toContain(n.token);
    });
  });

  describe('/healthz', () => {
    it(`answers ok with the engine name`, async () => {
      const r = await app.inject({ url: '/healthz' });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ status: 'ok', db: engineName });
    });

    it('answers 503 when the database is closed', async () => {
      const other = await openDatabase(engine.url ? { url: engine.url, migrate: false } : { memory: true, migrate: false });
      const down = buildServer({ database: other, clock, heartbeatIntervalS: 30, leaseS: 120 }, { config: { auth: { operatorTokens, readsOpen: true } }, logger: createLogger({ level: 'silent' }), metrics: createRegistry() });
      try {
        expect((await down.inject({ url: '/healthz' })).statusCode).toBe(200);
        // (Kysely's destroy is a no-op on a driver that never ran a query, hence the ping first.)
        await other.close();
        const r = await down.inject({ url: '/healthz' });
        expect(r.statusCode).toBe(503);
        expect(r.json()).toMatchObject({ status: 'unavailable', db: engineName, message: expect.stringMatching(/^database: /) });
      } finally {
        await down.close();
      }
    });

    it.runIf(engineName === 'pglite')('answers 503 within its timeout when the embedded session is held', async () => {
      const busy = buildServer({ database, clock, heartbeatIntervalS: 30, leaseS: 120 }, { config: { auth: { operatorTokens, readsOpen: true } }, logger: createLogger({ level: 'silent' }), metrics: createRegistry(), healthTimeoutMs: 200 });
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      let entered!: () => void;
      const inside = new Promise<void>((r) => (entered = r));
      const held = database.db.transaction().execute(async (trx) => {
        await trx.selectFrom('nodes').select('id').execute();
        entered();
        await gate;
      });
      try {
        await inside;
        const t0 = performance.now();
        const r = await busy.inject({ url: '/healthz' });
        const ms = performance.now() - t0;
        expect(r.statusCode).toBe(503);
        expect(r.json().message).toBe('database: no answer within 200 ms');
        expect(ms).toBeLessThan(2000);
      } finally {
        release();
        await held;
        await busy.close();
      }
    });
  });

  describe('/metrics', () => {
    it('counts requests by route pattern and status, and nodes by state', async () => {
      const scrape = async () => {
        const r = await app.inject({ url: '/metrics' });
        expect(r.statusCode).toBe(200);
        expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
        return r.body;
      };
      const route = '/api/v1/nodes/:id/heartbeat';
      const ok = `openastro_http_requests_total{route="${route}",method="POST",status="200"}`;
      const forbidden = `openastro_http_requests_total{route="${route}",method="POST",status="403"}`;
      const count = `openastro_http_request_duration_seconds_count{route="${route}",method="POST",status="200"}`;
      const count403 = `openastro_http_request_duration_seconds_count{route="${route}",method="POST",status="403"}`;
      const before = await scrape();
      const okBefore = sample(before, ok) ?? 0;
      const forbiddenBefore = sample(before, forbidden) ?? 0;
      const countBefore = sample(before, count) ?? 0;
      const count403Before = sample(before, count403) ?? 0;

      for (let i = 0; i < 3; i++) {
        clock.advance(30_000);
        const r = await app.inject({ method: 'POST', url: `/api/v1/nodes/${nodes[1].id}/heartbeat`, headers: bearer(nodes[1].token), payload: { state: 'BUSY' } });
        expect(r.statusCode).toBe(200);
      }
      await app.inject({ method: 'POST', url: `/api/v1/nodes/${nodes[1].id}/heartbeat`, headers: bearer(nodes[0].token), payload: { state: 'BUSY' } });
      await app.inject({ url: `/api/does/not/exist/${randomUUID()}` });

      const after = await scrape();
      expect(sample(after, ok)).toBe(okBefore + 3);
      expect(sample(after, forbidden)).toBe(forbiddenBefore + 1);
      expect(sample(after, count)).toBe(countBefore + 3);
      expect(sample(after, count403)).toBe(count403Before + 1);
      expect(sample(after, `openastro_http_request_duration_seconds_bucket{route="${route}",method="POST",status="200",le="+Inf"}`)).toBe(countBefore + 3);
      expect(sample(after, 'openastro_http_requests_total{route="unmatched",method="GET",status="404"}')).toBeGreaterThanOrEqual(1);
      expect(after).not.toMatch(/route="\/api\/does\/not/);
      // scope-a said ONLINE, scope-b BUSY; the cache test's node was deleted.
      expect(sample(after, 'openastro_nodes{state="ONLINE"}')).toBe(1);
      expect(sample(after, 'openastro_nodes{state="BUSY"}')).toBe(1);
      expect(sample(after, 'openastro_nodes{state="PARKED"}')).toBe(0);
      expect(sample(after, 'openastro_nodes{state="FAULTED"}')).toBe(0);
      expect(after).toContain('# TYPE openastro_http_request_duration_seconds histogram\n');
    });
  });

  describe('OpenAPI', () => {
    it('serves a consistent OpenAPI 3.1 document listing the registered routes', async () => {
      const r = await app.inject({ url: '/docs/json' });
      expect(r.statusCode).toBe(200);
      const doc = r.json();
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: 'OpenAstro API', version: expect.any(String) });
      expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer', description: 'Operator or node token' });
      for (const [p, method] of [
        ['/api/v1/nodes/{id}/heartbeat', 'post'],
        ['/api/v1/nodes', 'post'],
        ['/api/v1/nodes', 'get'],
        ['/api/v1/sites', 'post'],
        ['/api/v1/nodes/{id}/commands', 'get'],
        ['/api/v1/missions', 'post'],
        ['/api/v1/missions/{id}', 'get'],
        ['/api/v1/nodes/{id}/plan', 'get'],
        ['/api/v1/nodes/{id}/work', 'post'],
        ['/healthz', 'get'],
        ['/metrics', 'get'],
      ]) {
        expect(doc.paths[p]?.[method], `${method.toUpperCase()} ${p}`).toBeDefined();
      }
      expect(Object.keys(doc.paths).some((p) => p.startsWith('/docs'))).toBe(false);
      expect(checkOpenApi(doc)).toEqual([]);
      const hb = doc.paths['/api/v1/nodes/{id}/heartbeat'].post;
      expect(hb.requestBody.content['application/json'].schema.properties.state.enum).toEqual(['ONLINE', 'BUSY', 'PARKED']);
    });

    it('serves Swagger UI at /docs', async () => {
      const r = await app.inject({ url: '/docs' });
      expect([200, 302]).toContain(r.statusCode);
      const page = r.statusCode === 302 ? await app.inject({ url: new URL(r.headers.location as string, 'http://x/docs/').pathname }) : r;
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('swagger');
    });
  });
});

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * Structural rules of OpenAPI 3.1 that a generator can get wrong: every path is
 * '/'-rooted, each template variable has a required path parameter (and vice versa), each
 * operation has responses keyed by status code or 'default', operationIds are unique, and
 * every local $ref resolves. Returns the violations.
 */
function checkOpenApi(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const operationIds = new Set<string>();
  const paths = doc.paths as Record<string, Record<string, { parameters?: Array<{ in: string; name: string; required?: boolean }>; responses?: Record<string, unknown>; operationId?: string }>>;
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) problems.push(`openapi version ${String(doc.openapi)}`);
  const info = doc.info as { title?: unknown; version?: unknown } | undefined;
  if (typeof info?.title !== 'string' || typeof info?.version !== 'string') problems.push('info.title and info.version are required strings');
  for (const [p, item] of Object.entries(paths)) {
    if (!p.startsWith('/')) problems.push(`path ${p} does not start with /`);
    const vars = [...p.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries(item)) {
      if (!METHODS.includes(method)) continue;
      const where = `${method.toUpperCase()} ${p}`;
      const pathParams = (op.parameters ?? []).filter((x) => x.in === 'path');
      for (const v of vars) {
        const param = pathParams.find((x) => x.name === v);
        if (!param) problems.push(`${where}: no path parameter for {${v}}`);
        else if (param.required !== true) problems.push(`${where}: path parameter ${v} must be required`);
      }
      for (const x of pathParams) if (!vars.includes(x.name)) problems.push(`${where}: path parameter ${x.name} not in the path`);
      if (!op.responses || Object.keys(op.responses).length === 0) problems.push(`${where}: no responses`);
      for (const code of Object.keys(op.responses ?? {})) if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(code)) problems.push(`${where}: response key ${code}`);
      if (op.operationId) {
        if (operationIds.has(op.operationId)) problems.push(`${where}: duplicate operationId ${op.operationId}`);
        operationIds.add(op.operationId);
      }
    }
  }
  const refs: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === '$ref' && typeof x === 'string') refs.push(x);
        else walk(x);
      }
    }
  };
  walk(doc);
  for (const ref of refs) {
    if (!ref.startsWith('#/')) {
      problems.push(`non-local $ref ${ref}`);
      continue;
    }
    let at: unknown = doc;
    for (const part of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (at === undefined) problems.push(`unresolved $ref ${ref}`);
  }
  return problems;
}
