/**
 * `openastro worker` in-process on the embedded database: argument errors, a queue this
 * build cannot serve, and a full lifecycle — start, take a queued ingest job, stop cleanly
 * on SIGTERM — checked by reopening the database afterwards.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerCommand } from '../../src/cli/commands/worker.js';
import type { CliIo } from '../../src/cli/io.js';
import { openDatabase } from '../../src/platform/db/index.js';
import { startJobs } from '../../src/platform/jobs/index.js';
import { localStore } from '../../src/platform/storage/index.js';
import { createUpload, appendChunk, DEFAULT_UPLOAD_LIMITS } from '../../src/pipeline/ingest/uploads.js';
import { manualClock } from '../../src/network/clock.js';
import { frameFileName, renderTestFrame, seedNetwork, sleep } from './helpers.js';

function captureIo(cwd: string): CliIo & { err: () => string } {
  let err = '';
  return { stdout: () => {}, stderr: (t) => (err += t), stderrIsTty: false, cwd, err: () => err };
}

describe('openastro worker', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-worker-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses unknown queues', async () => {
    const io = captureIo(dir);
    await expect(workerCommand(io, { env: { OPENASTRO_DATA_DIR: dir } }).exitOverride().parseAsync(['--queue', 'nope'], { from: 'user' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/unknown queue 'nope'/),
    });
  });

  it('serves its queues until SIGTERM, finishing the job in hand', async () => {
    // Seed the embedded database: a frame uploaded, its ingest job queued.
    const dataDir = path.join(dir, 'data');
    const clock = manualClock('2026-03-01T20:00:00Z');
    const database = await openDatabase({ dataDir: path.join(dataDir, 'db') });
    const jobs = await startJobs(database, { supervise: false });
    const storage = localStore(path.join(dataDir, 'objects'));
    const seed = await seedNetwork(database, clock.now(), { frames: 5 });
    const start = new Date('2026-03-01T21:00:00Z');
    const f = renderTestFrame({ startUtc: start });
    const deps = { database, storage, jobs, clock, limits: DEFAULT_UPLOAD_LIMITS };
    const up = await createUpload(deps, seed.nodes[0].id, { fileName: frameFileName(seed.missionId, seed.nodes[0].id, start), bytes: f.bytes.length, sha256: f.sha256 });
    const done = await appendChunk(deps, seed.nodes[0].id, (up as { uploadId: string }).uploadId, 0, [Buffer.from(f.bytes)]);
    const exposureId = done.finished?.exposureId as string;
    expect(exposureId).toMatch(/^[0-9a-f-]{36}$/);
    await jobs.stop();
    await database.close();

    const io = captureIo(dir);
    const signals = new EventEmitter();
    const run = workerCommand(io, { signals, env: { OPENASTRO_DATA_DIR: dataDir, OPENASTRO_JOBS_POLLING_INTERVAL_S: '0.5' } })
      .exitOverride()
      .parseAsync(['--queue', 'ingest'], { from: 'user' });
    const t0 = Date.now();
    while (!io.err().includes(`ingest `) || !io.err().includes('done in')) {
      if (Date.now() - t0 > 60_000) throw new Error(`worker did not run the job:\n${io.err()}`);
      await sleep(100);
    }
    signals.emit('SIGTERM');
    await run;
    expect(io.err()).toMatch(/SIGTERM received/);
    expect(io.err()).toMatch(/openastro worker: stopped/);
    expect(signals.listenerCount('SIGTERM')).toBe(0);

    const again = await openDatabase({ dataDir: path.join(dataDir, 'db') });
    try {
      const e = await again.db.selectFrom('exposures').select(['state', 'pipeline_state']).where('id', '=', exposureId).executeTakeFirstOrThrow();
      expect(e).toEqual({ state: 'ACCEPTED', pipeline_state: 'ingested' });
      const job = await again.db.selectFrom('pipeline_jobs').select(['state', 'worker']).where('dedupe_key', '=', `ingest:${exposureId}`).executeTakeFirstOrThrow();
      expect(job.state).toBe('completed');
      expect(job.worker).toMatch(/:\d+$/);
    } finally {
      await again.close();
    }
  }, 120_000);
});
