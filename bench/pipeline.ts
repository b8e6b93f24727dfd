/**
 * The pipeline on the embedded default (PGlite in memory, local object store with fsync,
 * pg-boss), in one process:
 *
 *  1. frames per minute through upload → ingest, for Rice-compressed 16-bit frames of
 *     1024² and 4096² rendered by science/sky: the upload (POST + PUT in 16 MiB chunks
 *     through the real routes via inject: receive, store parts, assemble, SHA-256, decode
 *     every tile, checks, content-addressed put, exposure row + ingest job) and the ingest
 *     stage (read, decode, metadata, checks, credit, enqueue) timed separately; solve and
 *     calibrate are not built yet and not included;
 *  2. wall time of the stack stage on N frames of 1024² (N = 20; 100 with BENCH_FULL=1),
 *     dithered by up to ±30″, with the per-stage breakdown (staging = download, background
 *     pass, combine pass incl. FITS encoding, store + product row) from the stage's own
 *     progress reports; beside SWarp co-adding the same frames (plain FITS files, the same
 *     output grid from a .head file, BILINEAR, CLIPPED 3σ, background 64/3, one thread).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import { openDatabase } from '../src/platform/db/index.js';
import { startJobs } from '../src/platform/jobs/index.js';
import { localStore } from '../src/platform/storage/index.js';
import { systemClock } from '../src/network/clock.js';
import { createSite } from '../src/network/nodes/sites.js';
import { registerNode } from '../src/network/nodes/registry.js';
import { createMission } from '../src/network/missions/missions.js';
import { installErrorHandlers } from '../src/server/errors.js';
import { createNodeTokenCache, installAuth } from '../src/server/auth.js';
import { uploadsRoutes } from '../src/server/routes/uploads.js';
import { runIngest } from '../src/pipeline/ingest/stage.js';
import { runStack } from '../src/pipeline/stack/stage.js';
import { enqueueStage } from '../src/pipeline/enqueue.js';
import type { StageContext } from '../src/pipeline/stages.js';
import { Header } from '../src/science/fits/header.js';
import { imageHdu, writeFits } from '../src/science/fits/writer.js';
import { writeCompressedFits } from '../src/science/fits/compression/compressed-image.js';
import { autoReferenceGrid } from '../src/science/image/reference-grid.js';
import { randomStarField, renderFrame, tanWcsForOptics, type Optics } from '../src/science/sky/index.js';
import { wcsToHeader, type Wcs } from '../src/science/wcs/index.js';
import { hasCommand, type BenchContext } from './harness.js';

const RA0 = 150;
const DEC0 = 20;
const CHUNK = 16 * 1024 * 1024;

function optics(size: number): Optics {
  return { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, widthPx: size, heightPx: size, gainEPerAdu: 1, readNoiseE: 5, biasAdu: 500 };
}

interface Frame {
  bytes: Uint8Array;
  sha256: string;
  wcs: Wcs;
  start: Date;
}

function frame(size: number, start: Date, seed: number, compressed: boolean, ditherArcsec = 0): Frame {
  const o = optics(size);
  const rnd = (k: number) => (((seed * 7919 + k * 104729) % 1000) / 1000 - 0.5) * 2;
  const ra = RA0 + (rnd(1) * ditherArcsec) / 3600 / Math.cos((DEC0 * Math.PI) / 180);
  const dec = DEC0 + (rnd(2) * ditherArcsec) / 3600;
  const wcs = tanWcsForOptics(o, ra, dec);
  const radius = (0.7756 * size * Math.SQRT2) / 2 / 3600 + 0.01;
  const stars = randomStarField({ raDeg: RA0, decDeg: DEC0, radiusDeg: radius, magFaint: 16, seed: 7 });
  const r = renderFrame({ wcs, optics: o, exposureS: 60, seeingFwhmArcsec: 2.5, stars, skyMagPerArcsec2: 19, seed });
  const header = new Header();
  header.set('DATE-OBS', start.toISOString().replace('Z', ''));
  header.set('EXPTIME', 60);
  header.set('FILTER', 'V');
  header.set('FOCALLEN', o.focalLengthMm);
  header.set('XPIXSZ', o.pixelSizeUm);
  header.set('APTDIA', o.apertureMm);
  wcsToHeader(wcs, header);
  const axes = [r.width, r.height];
  const bytes = compressed
    ? writeCompressedFits({ bitpix: 16, axes, width: r.width, height: r.height, data: r.frame, bscale: 1, bzero: 32768 }, { type: 'RICE_1', tileShape: [r.width, 16] }, header)
    : writeFits([imageHdu(r.frame, axes, { header })]);
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex'), wcs, start };
}

function fileName(missionId: string, nodeId: string, start: Date): string {
  return `ObsReq-${missionId}_TelID-${nodeId}_${start.toISOString().slice(0, 19).replace(/[-:]/g, '')}.fits`;
}

export async function run(ctx: BenchContext): Promise<void> {
  const full = process.env.BENCH_FULL === '1';
  const database = await openDatabase({ memory: true });
  const jobs = await startJobs(database, { supervise: false, pollingIntervalSeconds: 60 });
  const storage = localStore(join(ctx.tmpDir, 'objects'));
  const clock = systemClock;
  const now = clock.now();
  const site = await createSite(database.db, { name: 'bench', latitudeDeg: 45, longitudeDeg: 7 }, now);
  const { node, token } = await registerNode(
    database.db,
    { siteId: site.id, name: 'bench-node', apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, sensorWidthPx: 4096, sensorHeightPx: 4096, filters: ['V'] },
    now,
  );
  const newMission = async (frames: number) => {
    const m = await createMission(database.db, { targetName: 'bench', raDeg: RA0, decDeg: DEC0, filter: 'V', totalExposureS: 60 * frames, subExposureS: 60 }, now);
    await database.db.updateTable('tasks').set({ node_id: node.id, state: 'LEASED' }).where('id', '=', m.tasks[0].id).execute();
    return m.mission.id;
  };
  const app = Fastify({ logger: false, bodyLimit: CHUNK + 1024 });
  installErrorHandlers(app);
  installAuth(app, { operatorTokens: [], readsOpen: true, db: database.db, cache: createNodeTokenCache() });
  await uploadsRoutes(app, { database, clock, jobs, storage, heartbeatIntervalS: 30, leaseS: 600 }, { limits: { maxUploadBytes: 512 * 1024 * 1024, maxChunkBytes: CHUNK } });
  await app.ready();
  const stageCtx = (progress: StageContext['progress'] = async () => {}): StageContext => ({
    database,
    storage,
    clock,
    jobs,
    jobId: 'bench',
    ledgerId: 'bench',
    attempt: 1,
    progress,
    log: () => {},
    enqueue: (trx, s, i) => enqueueStage(jobs, trx, s, i, clock.now()),
  });
  const headers = { authorization: `Bearer ${token}` };

  async function upload(missionId: string, f: Frame): Promise<string> {
    const created = await app.inject({ method: 'POST', url: '/api/v1/uploads', headers, payload: { fileName: fileName(missionId, node.id, f.start), bytes: f.bytes.length, sha256: f.sha256 } });
    if (created.statusCode !== 201) throw new Error(`upload refused: ${created.body}`);
    const id = created.json().uploadId as string;
    let last;
    for (let o = 0; o < f.bytes.length; o += CHUNK) {
      last = await app.inject({
        method: 'PUT',
        url: `/api/v1/uploads/${id}`,
        headers: { ...headers, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(o) },
        payload: Buffer.from(f.bytes.subarray(o, Math.min(f.bytes.length, o + CHUNK))),
      });
      if (last.statusCode >= 400) throw new Error(`chunk refused: ${last.body}`);
    }
    return last?.json().exposureId as string;
  }

  try {
    // 1. upload → ingest throughput.
    let t = Date.parse('2026-03-01T20:00:00Z');
    for (const [size, count] of [
      [1024, full ? 30 : 10],
      [4096, full ? 6 : 3],
    ] as const) {
      const missionId = await newMission(count + 10);
      const frames = Array.from({ length: count }, (_, i) => frame(size, new Date((t += 120_000)), 1000 + size + i, true));
      const mb = frames.reduce((s, f) => s + f.bytes.length, 0) / count / 2 ** 20;
      let uploadS = 0;
      let ingestS = 0;
      for (const f of frames) {
        const t0 = performance.now();
        const exposureId = await upload(missionId, f);
        const t1 = performance.now();
        const r = await runIngest(exposureId, stageCtx());
        if (r.state !== 'ACCEPTED') throw new Error(`bench frame rejected: ${r.reasons.join('; ')}`);
        uploadS += (t1 - t0) / 1000;
        ingestS += (performance.now() - t1) / 1000;
      }
      const label = `${size}² RICE_1 16-bit (${mb.toFixed(1)} MB)`;
      ctx.record({ name: `upload → ingest ${label}: frames per minute`, unit: 'frames/min', ours: (60 * count) / (uploadS + ingestS), higherIsBetter: true });
      ctx.record({ name: `  upload (receive, SHA-256, decode, store, row + job) ${label}`, unit: 's/frame', ours: uploadS / count, higherIsBetter: false });
      ctx.record({ name: `  ingest stage (read, decode, metadata, checks, credit) ${label}`, unit: 's/frame', ours: ingestS / count, higherIsBetter: false });
    }

    // 2. the stack stage beside SWarp.
    const n = full ? 100 : 20;
    const size = 1024;
    const missionId = await newMission(n);
    const dir = join(ctx.tmpDir, 'swarp');
    mkdirSync(dir, { recursive: true });
    const files: string[] = [];
    const geoms: Array<{ wcs: Wcs; width: number; height: number }> = [];
    for (let i = 0; i < n; i++) {
      const f = frame(size, new Date((t += 120_000)), 5000 + i, false, 30);
      const exposureId = await upload(missionId, f);
      await runIngest(exposureId, stageCtx());
      const file = join(dir, `frame${String(i).padStart(3, '0')}.fits`);
      writeFileSync(file, f.bytes);
      files.push(file);
      geoms.push({ wcs: f.wcs, width: size, height: size });
    }
    const marks: Array<{ at: number; message: string }> = [];
    const t0 = performance.now();
    const summary = await runStack(missionId, stageCtx(async (_fraction, message) => void marks.push({ at: performance.now(), message: message ?? '' })));
    const total = (performance.now() - t0) / 1000;
    if (!summary || summary.nCombined !== n) throw new Error(`stack used ${summary?.nCombined ?? 0} of ${n} frames`);
    const first = (prefix: string) => marks.find((m) => m.message.startsWith(prefix))?.at ?? Number.NaN;
    const phases: Array<[string, number, number]> = [
      ['staging (download frames)', t0, first('co-adding')],
      ['background pass', first('background'), first('combine')],
      ['combine pass (reproject + clip + mean)', first('combine'), first('writing')],
      ['write FITS + store + product row', first('writing'), t0 + total * 1000],
    ];

    const grid = autoReferenceGrid(geoms);
    const swarp = hasCommand('SWarp') ? 'SWarp' : hasCommand('swarp') ? 'swarp' : undefined;
    let swarpS: number | undefined;
    if (swarp) {
      const gridHeader = new Header();
      wcsToHeader(grid.wcs, gridHeader);
      const out = join(dir, 'coadd.fits');
      writeFileSync(out.replace(/\.fits$/, '.head'), gridHeader.toCardImages().join('\n') + `\nNAXIS1  = ${grid.width}\nNAXIS2  = ${grid.height}\nEND\n`);
      writeFileSync(join(dir, 'frames.lst'), files.join('\n') + '\n');
      const s0 = performance.now();
      const r = spawnSync(swarp, [
        `@${join(dir, 'frames.lst')}`,
        '-IMAGEOUT_NAME', out,
        '-WEIGHTOUT_NAME', join(dir, 'coadd.weight.fits'),
        '-RESAMPLING_TYPE', 'BILINEAR',
        '-COMBINE', 'Y',
        '-COMBINE_TYPE', 'CLIPPED',
        '-CLIP_SIGMA', '3',
        '-SUBTRACT_BACK', 'Y',
        '-BACK_SIZE', '64',
        '-BACK_FILTERSIZE', '3',
        '-WEIGHT_TYPE', 'NONE',
        '-FSCALASTRO_TYPE', 'NONE',
        '-NTHREADS', '1',
        '-RESAMPLE_DIR', dir,
        '-WRITE_XML', 'N',
        '-VERBOSE_TYPE', 'QUIET',
      ], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`SWarp failed: ${r.stderr.slice(-2000)}`);
      swarpS = (performance.now() - s0) / 1000;
    }
    const label = `stack stage ${n}×${size}² → ${grid.width}×${grid.height} bilinear, clipped, 1 thread`;
    ctx.record({ name: label, unit: 's', ours: total, reference: swarpS !== undefined ? { tool: 'SWarp (1 thread, files on disk)', value: swarpS } : undefined, higherIsBetter: false });
    for (const [name, a, b] of phases) ctx.record({ name: `  ${name}`, unit: 's', ours: (b - a) / 1000, higherIsBetter: false });
  } finally {
    await app.close();
    await jobs.stop();
    await database.close();
    await storage.close();
  }
}
