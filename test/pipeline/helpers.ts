/**
 * Shared set-up for pipeline tests: a database engine with pg-boss, a throw-away object
 * store, a seeded network (site, nodes with tokens, a mission whose task is assigned), and
 * synthetic frames rendered by science/sky and written by science/fits.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { startJobs, type Jobs } from '../../src/platform/jobs/index.js';
import { localStore, type ObjectStore } from '../../src/platform/storage/index.js';
import { manualClock, type ManualClock } from '../../src/network/clock.js';
import { createSite } from '../../src/network/nodes/sites.js';
import { registerNode } from '../../src/network/nodes/registry.js';
import { createMission } from '../../src/network/missions/missions.js';
import { Header } from '../../src/science/fits/header.js';
import { imageHdu, writeFits } from '../../src/science/fits/writer.js';
import { writeCompressedFits } from '../../src/science/fits/compression/compressed-image.js';
import { randomStarField, renderFrame, tanWcsForOptics, type Optics } from '../../src/science/sky/index.js';
import { wcsToHeader, type Wcs } from '../../src/science/wcs/index.js';
import { buildServer } from '../../src/server/app.js';
import { createLogger } from '../../src/platform/log/logger.js';
import { createRegistry } from '../../src/platform/metrics/registry.js';
import type { ServerContext } from '../../src/server/context.js';
import { uploadsRoutes, type UploadsRoutesOptions } from '../../src/server/routes/uploads.js';
import { jobsRoutes } from '../../src/server/routes/jobs.js';
import { makeEngine, type TestEngine } from '../platform/engines.js';

export interface Env {
  engine: TestEngine;
  database: Database;
  jobs: Jobs;
  storage: ObjectStore;
  storageDir: string;
  clock: ManualClock;
  close(): Promise<void>;
}

export async function openEnv(engineName: 'pglite' | 'postgres', opts: { start?: string } = {}): Promise<Env> {
  const engine = await makeEngine(engineName);
  const database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
  const schema = engineName === 'pglite' ? 'pgboss' : `pgboss_${engine.tag}`;
  const jobs = await startJobs(database, { schema, pollingIntervalSeconds: 0.5, supervise: false });
  const storageDir = await mkdtemp(path.join(tmpdir(), 'openastro-pipeline-test-'));
  const storage = localStore(storageDir, { fsync: false });
  const clock = manualClock(opts.start ?? '2026-03-01T20:00:00Z');
  return {
    engine,
    database,
    jobs,
    storage,
    storageDir,
    clock,
    async close() {
      await jobs.stop().catch(() => {});
      await database.close().catch(() => {});
      await engine.cleanup().catch(() => {});
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}

/** pg-boss schema of an engine (tests give PostgreSQL engines their own). */
export function bossSchema(env: Pick<Env, 'engine'>): string {
  return env.engine.name === 'pglite' ? 'pgboss' : `pgboss_${env.engine.tag}`;
}

export interface Seeded {
  siteId: string;
  nodes: Array<{ id: string; token: string }>;
  missionId: string;
  taskIds: string[];
}

export const TARGET = { raDeg: 150.0, decDeg: 20.0 };

/**
 * A site, `nodeCount` nodes and a mission of `frames` × `subExposureS` in `filter`; the
 * mission's first task is leased to node 0 (and, with assignAll, one task to each node).
 */
export async function seedNetwork(
  database: Database,
  now: Date,
  opts: { nodeCount?: number; frames?: number; subExposureS?: number; filter?: string; assignAll?: boolean; windowHours?: number } = {},
): Promise<Seeded> {
  const db = database.db;
  const site = await createSite(db, { name: 'Test site', latitudeDeg: 45, longitudeDeg: 7 }, now);
  const nodes: Seeded['nodes'] = [];
  for (let i = 0; i < (opts.nodeCount ?? 2); i++) {
    const r = await registerNode(
      db,
      { siteId: site.id, name: `node-${i}`, apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, sensorWidthPx: 256, sensorHeightPx: 256, filters: ['V', 'R'] },
      now,
    );
    nodes.push({ id: r.node.id, token: r.token });
  }
  const frames = opts.frames ?? 3;
  const sub = opts.subExposureS ?? 60;
  const created = await createMission(
    db,
    {
      targetName: 'test field',
      raDeg: TARGET.raDeg,
      decDeg: TARGET.decDeg,
      filter: opts.filter ?? 'V',
      totalExposureS: frames * sub,
      subExposureS: sub,
      ...(opts.windowHours !== undefined
        ? { windowStart: now, windowEnd: new Date(now.getTime() + opts.windowHours * 3600_000) }
        : {}),
    },
    now,
  );
  const taskIds = created.tasks.map((t) => t.id);
  await db
    .updateTable('tasks')
    .set({ node_id: nodes[0].id, state: 'LEASED', lease_expires_at: new Date(now.getTime() + 3600_000) })
    .where('id', '=', taskIds[0])
    .execute();
  if (opts.assignAll) {
    // The other nodes were sent the task earlier (their command is the trace of it).
    for (const n of nodes.slice(1)) {
      await db.insertInto('commands').values({ node_id: n.id, task_id: taskIds[0], kind: 'observe', state: 'DONE', created_at: now }).execute();
    }
  }
  return { siteId: site.id, nodes, missionId: created.mission.id, taskIds };
}

export const TEST_OPTICS: Optics = {
  apertureMm: 200,
  focalLengthMm: 1000,
  pixelSizeUm: 3.76,
  widthPx: 256,
  heightPx: 256,
  gainEPerAdu: 1,
  readNoiseE: 5,
  biasAdu: 500,
};

export interface FrameSpec {
  startUtc: Date;
  exposureS?: number;
  filter?: string | null;
  seed?: number;
  /** Pointing (defaults to the mission target). */
  raDeg?: number;
  decDeg?: number;
  /** Write the celestial WCS into the header (default true). */
  withWcs?: boolean;
  compressed?: boolean;
  optics?: Optics;
  /** Sky brightness, mag/arcsec² (default 19: a bright sky, noise-dominated frames). */
  skyMag?: number;
  /** Extra header cards. */
  extra?: Record<string, string | number | boolean>;
  /** Leave DATE-OBS out. */
  noDate?: boolean;
}

export interface RenderedFrame {
  bytes: Uint8Array;
  sha256: string;
  wcs: Wcs;
  /** Expected sky + read noise per pixel, ADU (gain 1). */
  noiseAdu: number;
  skyAdu: number;
}

/** A synthetic frame as FITS bytes, with the header an acquisition program would write. */
export function renderTestFrame(spec: FrameSpec): RenderedFrame {
  const optics = spec.optics ?? TEST_OPTICS;
  const ra = spec.raDeg ?? TARGET.raDeg;
  const dec = spec.decDeg ?? TARGET.decDeg;
  const wcs = tanWcsForOptics(optics, ra, dec);
  const exposureS = spec.exposureS ?? 60;
  const stars = randomStarField({ raDeg: ra, decDeg: dec, radiusDeg: 0.05, magFaint: 15, seed: 7 });
  const r = renderFrame({ wcs, optics, exposureS, seeingFwhmArcsec: 2.5, stars, skyMagPerArcsec2: spec.skyMag ?? 19, seed: spec.seed ?? 1 });
  const header = new Header();
  if (!spec.noDate) header.set('DATE-OBS', spec.startUtc.toISOString().replace('Z', ''), '[UTC] start of exposure');
  header.set('EXPTIME', exposureS, '[s]');
  if (spec.filter !== null) header.set('FILTER', spec.filter ?? 'V');
  header.set('OBJECT', 'test field');
  header.set('RA', ra, '[deg] pointing');
  header.set('DEC', dec, '[deg] pointing');
  header.set('FOCALLEN', optics.focalLengthMm);
  header.set('XPIXSZ', optics.pixelSizeUm);
  header.set('APTDIA', optics.apertureMm);
  for (const [k, v] of Object.entries(spec.extra ?? {})) header.set(k, v);
  if (spec.withWcs ?? true) wcsToHeader(wcs, header);
  const axes = [r.width, r.height];
  const bytes = spec.compressed
    ? writeCompressedFits({ bitpix: 16, axes, width: r.width, height: r.height, data: r.frame, bscale: 1, bzero: 32768 } as never, { type: 'RICE_1', tileShape: [r.width, 16] }, header)
    : writeFits([imageHdu(r.frame, axes, { header })]);
  const skyAdu = r.meta.skyEPerPx / r.meta.gainEPerAdu;
  return {
    bytes,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    wcs,
    skyAdu,
    noiseAdu: Math.sqrt(r.meta.skyEPerPx + r.meta.readNoiseE ** 2) / r.meta.gainEPerAdu,
  };
}

export function frameFileName(missionId: string, nodeId: string, startUtc: Date): string {
  return `ObsReq-${missionId}_TelID-${nodeId}_${startUtc.toISOString().slice(0, 19).replace(/[-:]/g, '')}.fits`;
}

/**
 * The service's own server (buildServer: auth, JSON errors, OpenAPI, metrics) with the
 * pipeline routes as its route plugins.
 */
export async function buildTestApp(env: Env, opts: UploadsRoutesOptions = {}): Promise<FastifyInstance> {
  const ctx: ServerContext = { database: env.database, clock: env.clock, jobs: env.jobs, storage: env.storage, heartbeatIntervalS: 30, leaseS: 600 };
  const app = buildServer(ctx, {
    config: { auth: { operatorTokens: [], readsOpen: true } },
    logger: createLogger({ level: 'silent' }),
    metrics: createRegistry(),
    nodeTokens: { ttlMs: 0 },
    routes: [
      { name: 'uploads', register: (scope, c) => uploadsRoutes(scope, c, opts) },
      { name: 'jobs', register: (scope, c) => jobsRoutes(scope, c) },
    ],
  });
  await app.ready();
  return app;
}

/** Every file under the store's folder (temporary files included), relative paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, rel: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(d, e.name), `${rel}${e.name}/`);
      else out.push(`${rel}${e.name}`);
    }
  }
  await walk(dir, '');
  return out.sort();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a value (not undefined) or `timeoutMs` passes. */
export async function waitFor<T>(check: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Upload a whole frame through the API in one chunk; resolves to the response JSON. */
export async function uploadFrame(app: FastifyInstance, token: string, fileName: string, f: { bytes: Uint8Array; sha256: string }): Promise<{ statusCode: number; body: Record<string, unknown> }> {
  const headers = { authorization: `Bearer ${token}` };
  const created = await app.inject({ method: 'POST', url: '/api/v1/uploads', headers, payload: { fileName, bytes: f.bytes.length, sha256: f.sha256 } });
  if (created.statusCode !== 201) return { statusCode: created.statusCode, body: created.json() };
  const r = await app.inject({
    method: 'PUT',
    url: `/api/v1/uploads/${created.json().uploadId}`,
    headers: { ...headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
    payload: Buffer.from(f.bytes),
  });
  return { statusCode: r.statusCode, body: r.json() };
}

/** Robust standard deviation (1.4826 × MAD) of the finite values, after 3σ clipping. */
export function robustStd(values: ArrayLike<number>): number {
  let v = Array.from(values).filter((x) => Number.isFinite(x));
  for (let iter = 0; iter < 5; iter++) {
    const sorted = [...v].sort((a, b) => a - b);
    const med = sorted[sorted.length >> 1];
    const mad = [...v].map((x) => Math.abs(x - med)).sort((a, b) => a - b)[v.length >> 1] * 1.4826;
    const kept = v.filter((x) => Math.abs(x - med) <= 3 * mad);
    if (kept.length === v.length) return mad;
    v = kept;
  }
  const sorted = [...v].sort((a, b) => a - b);
  const med = sorted[sorted.length >> 1];
  return [...v].map((x) => Math.abs(x - med)).sort((a, b) => a - b)[v.length >> 1] * 1.4826;
}
