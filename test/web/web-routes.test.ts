/**
 * Serving the dashboard through the real server shell (buildServer: auth hook, JSON 404
 * handler): files with the right caching, index.html for page paths (SPA fallback), the
 * JSON 404 kept for unknown API paths, a real 404 for a missing asset, no escape from the
 * root, and a 503 that says how to build when the dashboard is not built.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock } from '../../src/network/clock.js';
import { createRegistry } from '../../src/platform/metrics/registry.js';
import { buildServer } from '../../src/server/app.js';
import { ROUTES } from '../../src/server/routes/index.js';
import { defaultWebRoot, fileUnderRoot, webRoutes } from '../../src/server/routes/web.js';
import type { ServerContext } from '../../src/server/context.js';

describe('web routes', () => {
  let database: Database;
  let ctx: ServerContext;
  let root: string;
  let app: FastifyInstance;
  let bare: FastifyInstance;

  const make = (webRoot: string) =>
    buildServer(ctx, {
      config: { auth: { operatorTokens: [], readsOpen: true } },
      logger: pino({ level: 'silent' }),
      metrics: createRegistry(),
      routes: [...ROUTES.filter((r) => r.name === 'nodes'), { name: 'web', register: (a, c) => webRoutes(a, c, { root: webRoot }) }],
    });

  beforeAll(async () => {
    database = await openDatabase({ memory: true });
    ctx = { database, clock: manualClock('2026-01-01T00:00:00Z'), heartbeatIntervalS: 20, leaseS: 120 };
    root = mkdtempSync(path.join(tmpdir(), 'oa-web-'));
    mkdirSync(path.join(root, 'assets'));
    writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>OpenAstro</title><div id="app"></div>');
    writeFileSync(path.join(root, 'assets', 'index-abc123.js'), 'console.log("hi")');
    writeFileSync(path.join(root, 'robots.txt'), 'User-agent: *');
    writeFileSync(path.join(root, '..', `${path.basename(root)}-secret.txt`), 'TOP-SECRET-CONTENT');
    app = make(root);
    await app.ready();
    bare = make(path.join(root, 'not-built'));
    await bare.ready();
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await bare?.close();
    await database?.close();
    rmSync(root, { recursive: true, force: true });
    rmSync(path.join(root, '..', `${path.basename(root)}-secret.txt`), { force: true });
  });

  it('serves index.html at / and at every page path, revalidated on each load', async () => {
    for (const url of ['/', '/network', '/missions/3f1c', '/science/abc?x=1', '/jobs/']) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.statusCode, url).toBe(200);
      expect(r.headers['content-type']).toMatch(/^text\/html/);
      expect(r.body).toContain('<div id="app">');
      expect(r.headers['cache-control']).toBe('no-cache');
    }
    expect((await app.inject({ method: 'HEAD', url: '/missions' })).statusCode).toBe(200);
  });

  it('serves files; hashed assets are cached for a year', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const txt = await app.inject({ method: 'GET', url: '/robots.txt' });
    expect(txt.body).toBe('User-agent: *');
    expect(txt.headers['cache-control']).toBe('no-cache');
  });

  it('keeps the API JSON 404 and real 404s for missing files; nothing outside the root', async () => {
    const api = await app.inject({ method: 'GET', url: '/api/v1/no-such-thing' });
    expect(api.statusCode).toBe(404);
    expect(api.json()).toEqual({ code: 'NOT_FOUND', message: 'no route for GET /api/v1/no-such-thing' });
    expect((await app.inject({ method: 'GET', url: '/api' })).statusCode).toBe(404);
    // The API itself still answers.
    expect((await app.inject({ method: 'GET', url: '/api/v1/nodes' })).json()).toEqual({ nodes: [] });
    const missing = await app.inject({ method: 'GET', url: '/assets/index-gone.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/json/);
    for (const url of [`/../${path.basename(root)}-secret.txt`, `/%2e%2e/${path.basename(root)}-secret.txt`, `/assets/%2e%2e/%2e%2e/${path.basename(root)}-secret.txt`]) {
      const r = await app.inject({ method: 'GET', url });
      expect(r.body, url).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await app.inject({ method: 'POST', url: '/missions' })).statusCode).toBe(404);
    expect(fileUnderRoot(root, '/%E0%A4%A')).toBeNull();
    expect(fileUnderRoot(root, '/assets/index-abc123.js')).toBe('assets/index-abc123.js');
    expect(fileUnderRoot(root, '/assets')).toBeNull();
  });

  it('without a build: pages answer 503 with how to build; the API is unaffected', async () => {
    const r = await bare.inject({ method: 'GET', url: '/network' });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringMatching(/npm run build:web/) });
    expect((await bare.inject({ method: 'GET', url: '/api/v1/nodes' })).statusCode).toBe(200);
    expect((await bare.inject({ method: 'GET', url: '/api/v1/nope' })).statusCode).toBe(404);
  });

  it('the default root is <package>/dist/web', () => {
    expect(defaultWebRoot()).toBe(path.resolve(import.meta.dirname, '../../dist/web'));
  });
});
