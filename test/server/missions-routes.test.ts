/**
 * The missions and planner route plugins through a minimal Fastify instance (an onRequest
 * hook setting request.caller from a Bearer token, the service's error handlers):
 * access rules, validation, camelCase JSON, the node work/end flow, the plan, OpenAPI.
 */
import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock, type ManualClock } from '../../src/network/clock.js';
import { NetworkError } from '../../src/network/errors.js';
import { creditFrame } from '../../src/network/missions/index.js';
import { missionsRoutes } from '../../src/server/routes/missions.js';
import { plannerRoutes } from '../../src/server/routes/planner.js';
import { installErrorHandlers } from '../../src/server/errors.js';
import type { ServerContext } from '../../src/server/context.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const OPERATOR = { authorization: 'Bearer operator-secret' };
const asNode = (id: string) => ({ authorization: `Bearer node:${id}` });
const VEGA = { raDeg: 279.23473479166665, decDeg: 38.78368894444444 };

describe.each(engineNames())('missions routes on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let clock: ManualClock;
  let app: FastifyInstance;
  let siteId: string;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    clock = manualClock('2022-06-21T11:40:00Z'); // noon at OHP; the night's plan starts at civil dusk
    const ctx: ServerContext = { database, clock, heartbeatIntervalS: 20, leaseS: 120 };
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true } } });
    await app.register(swagger, { openapi: { info: { title: 'test', version: '0' } } });
    app.decorateRequest('caller', null as never);
    app.addHook('onRequest', async (request) => {
      const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (token === undefined) request.caller = { kind: 'anonymous' };
      else if (token === 'operator-secret') request.caller = { kind: 'operator', name: 'ops' };
      else if (token.startsWith('node:')) request.caller = { kind: 'node', nodeId: token.slice(5) };
      else throw new NetworkError('UNAUTHORIZED', 'unknown token');
    });
    installErrorHandlers(app); // the service's own mapping: NetworkError → its status, schema errors name the field
    await app.register(async (instance) => missionsRoutes(instance, ctx));
    await app.register(async (instance) => plannerRoutes(instance, ctx));
    await app.ready();
    const site = await database.db
      .insertInto('sites')
      .values({ name: 'OHP', latitude_deg: 43.9317, longitude_deg: 5.7122, elevation_m: 650, min_altitude_deg: 20 })
      .returning('id')
      .executeTakeFirstOrThrow();
    siteId = site.id;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.close();
    await engine?.cleanup();
  });

  async function addNode(filters: string[]): Promise<string> {
    const row = await database.db
      .insertInto('nodes')
      .values({
        site_id: siteId,
        name: `n-${randomBytes(2).toString('hex')}`,
        token_hash: randomBytes(32).toString('hex'),
        state: 'ONLINE',
        aperture_mm: 200,
        focal_length_mm: 1000,
        pixel_size_um: 3.76,
        sensor_width_px: 4000,
        sensor_height_px: 3000,
        filters: JSON.stringify(filters),
        weather_ok: true,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }
  const uniqueFilter = () => `F${randomBytes(3).toString('hex')}`;

  it('POST /api/v1/missions: operators only, validated, camelCase back', async () => {
    const filter = uniqueFilter();
    const body = { name: 'Vega monitor', ...VEGA, filter, totalExposureS: 4000, subExposureS: 300, priority: 4, constraints: { twilight: 'astronomical', minMoonSeparationDeg: 20 } };
    expect((await app.inject({ method: 'POST', url: '/api/v1/missions', payload: body })).statusCode).toBe(401);
    const node = await addNode([filter]);
    const forbidden = await app.inject({ method: 'POST', url: '/api/v1/missions', headers: asNode(node), payload: body });
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 'FORBIDDEN' });

    const r = await app.inject({ method: 'POST', url: '/api/v1/missions', headers: OPERATOR, payload: body });
    expect(r.statusCode).toBe(201);
    const m = r.json();
    expect(m).toMatchObject({
      name: 'Vega monitor',
      filter,
      raDeg: VEGA.raDeg,
      totalExposureS: 4000,
      subExposureS: 300,
      priority: 4,
      state: 'PENDING',
      deliveredExposureS: 0,
      constraints: { twilight: 'astronomical', minMoonSeparationDeg: 20 },
      windowStart: null,
      completedAt: null,
      taskCount: 2,
    });
    expect(m.createdAt).toBe('2022-06-21T11:40:00.000Z');

    const named = await app.inject({ method: 'POST', url: '/api/v1/missions', headers: OPERATOR, payload: { targetName: 'M31', filter, totalExposureS: 600, subExposureS: 60 } });
    expect(named.statusCode).toBe(201);
    expect(named.json()).toMatchObject({ targetName: 'M31', raDeg: expect.closeTo(10.684708, 5), decDeg: expect.closeTo(41.26875, 5) });

    for (const [payload, message] of [
      [{ ...body, raDeg: 400 }, /raDeg/],
      [{ ...body, colour: 'red' }, /body\.colour: is not a known field/],
      [{ filter, totalExposureS: 600, subExposureS: 60, targetName: 'Tabby' }, /targetName 'Tabby' is not in the built-in table/],
      [{ ...body, subExposureS: 5000 }, /subExposureS \(5000 s\) must not exceed totalExposureS/],
      [{ ...body, windowStart: '2022-06-21T20:00:00Z', windowEnd: '2022-06-21T19:00:00Z' }, /must be before windowEnd/],
      [{ ...body, constraints: { twilight: 'dark' } }, /twilight/],
    ] as const) {
      const bad = await app.inject({ method: 'POST', url: '/api/v1/missions', headers: OPERATOR, payload });
      expect(bad.statusCode, JSON.stringify(payload)).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(message) });
    }
  });

  it('GET list and progress; POST cancel', async () => {
    const filter = uniqueFilter();
    const created = (await app.inject({ method: 'POST', url: '/api/v1/missions', headers: OPERATOR, payload: { ...VEGA, filter, totalExposureS: 600, subExposureS: 60 } })).json();
    const list = await app.inject({ method: 'GET', url: '/api/v1/missions?state=PENDING&limit=500' });
    expect(list.statusCode).toBe(200);
    expect(list.json().missions.map((m: { id: string }) => m.id)).toContain(created.id);
    expect((await app.inject({ method: 'GET', url: '/api/v1/missions?state=DONE' })).statusCode).toBe(400);

    const node = await addNode([filter]);
    await creditFrame(database.db, { missionId: created.id, nodeId: node, frame: { startedAt: clock.now() }, exposureS: 60, accepted: true }, clock.now());
    const progress = await app.inject({ method: 'GET', url: `/api/v1/missions/${created.id}` });
    expect(progress.statusCode).toBe(200);
    expect(progress.json()).toMatchObject({
      mission: { id: created.id, state: 'ACTIVE', deliveredExposureS: 60 },
      deliveredExposureS: 60,
      requiredExposureS: 600,
      remainingExposureS: 540,
      fraction: 0.1,
      taskCounts: { PENDING: 1 },
      nodes: [{ nodeId: node, acceptedExposureS: 60, acceptedFrames: 1 }],
      partialTasks: [],
      reassignments: 0,
    });
    expect(progress.json().tasks[0]).toMatchObject({ missionId: created.id, state: 'PENDING', exposureS: 600, notBefore: null });
    expect((await app.inject({ method: 'GET', url: '/api/v1/missions/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1/missions/nope' })).statusCode).toBe(400);

    expect((await app.inject({ method: 'POST', url: `/api/v1/missions/${created.id}/cancel`, headers: asNode(node) })).statusCode).toBe(403);
    const cancelled = await app.inject({ method: 'POST', url: `/api/v1/missions/${created.id}/cancel`, headers: OPERATOR });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ id: created.id, state: 'CANCELLED', deliveredExposureS: 60 });
    expect((await app.inject({ method: 'POST', url: `/api/v1/missions/${created.id}/cancel`, headers: OPERATOR })).statusCode).toBe(200);
  });

  it("a node asks for work, ends a task cut short, and reads tonight's plan", async () => {
    const filter = uniqueFilter();
    const node = await addNode([filter]);
    const other = await addNode([filter]);
    const created = (await app.inject({ method: 'POST', url: '/api/v1/missions', headers: OPERATOR, payload: { ...VEGA, filter, totalExposureS: 600, subExposureS: 60 } })).json();

    const plan = await app.inject({ method: 'GET', url: `/api/v1/nodes/${node}/plan` });
    expect(plan.statusCode).toBe(200);
    const p = plan.json();
    expect(p.night.startUtc).toMatch(/^2022-06-21T19:59/); // civil dusk at OHP (astropy: 19:59:39)
    expect(p.entries.find((e: { missionId: string }) => e.missionId === created.id)).toMatchObject({ filter, exposureS: 600, frameCount: 10, held: false });
    expect((await app.inject({ method: 'GET', url: '/api/v1/nodes/00000000-0000-4000-8000-000000000000/plan' })).statusCode).toBe(404);

    // Daytime: nothing, with the reason.
    const day = await app.inject({ method: 'POST', url: `/api/v1/nodes/${node}/work`, headers: asNode(node) });
    expect(day.statusCode).toBe(200);
    expect(day.json().assignment).toBeNull();
    expect(day.json().rejected.find((r: { missionId: string }) => r.missionId === created.id)).toMatchObject({ reason: 'DAYTIME' });

    clock.set(new Date('2022-06-21T23:30:00Z'));
    expect((await app.inject({ method: 'POST', url: `/api/v1/nodes/${node}/work`, headers: asNode(other) })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: `/api/v1/nodes/${node}/work` })).statusCode).toBe(401);
    const work = await app.inject({ method: 'POST', url: `/api/v1/nodes/${node}/work`, headers: asNode(node) });
    expect(work.statusCode).toBe(200);
    const a = work.json().assignment;
    expect(a.task).toMatchObject({ missionId: created.id, state: 'LEASED', nodeId: node, leaseExpiresAt: '2022-06-21T23:32:00.000Z' });
    expect(a.command).toMatchObject({ kind: 'observe', nodeId: node, taskId: a.task.id, state: 'PENDING' });
    expect(a.command.payload).toMatchObject({ missionId: created.id, taskId: a.task.id, raDeg: VEGA.raDeg, decDeg: VEGA.decDeg, filter, subExposureS: 60, count: 10, notAfter: null });
    expect(a.reused).toBe(false);

    await creditFrame(database.db, { missionId: created.id, taskId: a.task.id, nodeId: node, frame: { startedAt: clock.now() }, exposureS: 60, accepted: true }, clock.now());
    expect((await app.inject({ method: 'POST', url: `/api/v1/nodes/${other}/tasks/${a.task.id}/end`, headers: asNode(other), payload: {} })).statusCode).toBe(409);
    const end = await app.inject({ method: 'POST', url: `/api/v1/nodes/${node}/tasks/${a.task.id}/end`, headers: asNode(node), payload: { reason: 'clouds' } });
    expect(end.statusCode).toBe(200);
    expect(end.json()).toMatchObject({
      task: { id: a.task.id, state: 'PARTIAL', deliveredExposureS: 60 },
      remainder: { state: 'PENDING', exposureS: 540, parentTaskId: a.task.id },
      reason: 'clouds',
    });
    const again = await app.inject({ method: 'POST', url: `/api/v1/nodes/${other}/work`, headers: asNode(other) });
    expect(again.json().assignment.task.id).toBe(end.json().remainder.id);
  });

  it('the schemas feed the OpenAPI document', async () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, { summary?: string; requestBody?: unknown }>> };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/api/v1/missions', '/api/v1/missions/{id}', '/api/v1/missions/{id}/cancel', '/api/v1/nodes/{id}/plan', '/api/v1/nodes/{id}/work', '/api/v1/nodes/{id}/tasks/{taskId}/end']),
    );
    expect(doc.paths['/api/v1/missions'].post.summary).toMatch(/operator/);
    expect(JSON.stringify(doc.paths['/api/v1/missions'].post.requestBody)).toContain('ICRS (J2000) right ascension');
  });
});
