/**
 * pg-boss over our database, and the single-session discipline on PGlite: a statement
 * issued while someone else's transaction is open must not be swept into that
 * transaction (on PGlite it waits for the session lock; on PostgreSQL it runs on another
 * connection).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { startJobs, QUEUES, type Jobs } from '../../src/platform/jobs/index.js';
import { engineNames, makeEngine, type TestEngine } from './engines.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(engineNames())('jobs on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let jobs: Jobs;
  const bossSchema = () => (engineName === 'pglite' ? 'pgboss' : `pgboss_${engine.tag}`);

  /** Jobs in `queue` whose data.marker is `marker`, straight from pg-boss's table. */
  async function jobsWithMarker(queue: string, marker: string): Promise<number> {
    const r = await database.executeSql(
      `SELECT count(*)::int AS n FROM ${bossSchema()}.job WHERE name = $1 AND data->>'marker' = $2`,
      [queue, marker],
    );
    return r.rows[0].n as number;
  }

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    jobs = await startJobs(database, { schema: bossSchema(), pollingIntervalSeconds: 0.5, supervise: false });
  }, 60_000);
  afterAll(async () => {
    await jobs?.stop();
    await database?.close();
    await engine?.cleanup();
  }, 30_000);

  it('creates every queue', async () => {
    for (const q of QUEUES) expect(await jobs.boss.getQueue(q)).toMatchObject({ name: q });
    await expect(jobs.send('nope' as never, {})).rejects.toMatchObject({ code: 'JOBS_FAILED' });
  });

  it('statements issued while a transaction is open are not rolled back with it', async () => {
    let insideA!: () => void;
    const aStarted = new Promise<void>((r) => (insideA = r));
    let releaseA!: () => void;
    const aGate = new Promise<void>((r) => (releaseA = r));

    const a = database.db.transaction().execute(async (trx) => {
      await trx.insertInto('sites').values({ name: 'il-A', latitude_deg: 0, longitude_deg: 0 }).execute();
      insideA();
      await aGate; // A stays open, like a request awaiting I/O
      throw new Error('A rolls back');
    });
    await aStarted;

    // B: a plain insert and a job sent outside A, both issued while A is open.
    const b = database.db.insertInto('sites').values({ name: 'il-B', latitude_deg: 0, longitude_deg: 0 }).execute();
    const c = jobs.send('ingest', { marker: `il-C-${engine.tag}` });
    await sleep(100); // give B and C every chance to run inside A if nothing stops them
    releaseA();

    await expect(a).rejects.toThrow('A rolls back');
    await b;
    const jobId = await c;
    expect(jobId).toEqual(expect.any(String));

    const names = (await database.db.selectFrom('sites').select('name').where('name', 'like', 'il-%').execute()).map((r) => r.name);
    expect(names).toEqual(['il-B']);
    expect(await jobsWithMarker('ingest', `il-C-${engine.tag}`)).toBe(1);
  });

  it('a job sent in a transaction exists only if the transaction commits, and a worker gets it once', async () => {
    const rolledBack = `rb-${engine.tag}`;
    await database.db
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('sites').values({ name: rolledBack, latitude_deg: 0, longitude_deg: 0 }).execute();
        await jobs.send('stack', { marker: rolledBack }, { db: trx });
        throw new Error('abort');
      })
      .catch(() => {});
    expect(await database.db.selectFrom('sites').select('name').where('name', '=', rolledBack).execute()).toEqual([]);
    expect(await jobsWithMarker('stack', rolledBack)).toBe(0);

    const committed = `ok-${engine.tag}`;
    const received: Array<{ id: string; marker: string }> = [];
    let gotIt!: () => void;
    const delivered = new Promise<void>((r) => (gotIt = r));
    await jobs.work<{ marker: string }>('stack', async (job) => {
      received.push({ id: job.id, marker: job.data.marker });
      gotIt();
    });

    const sentId = await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('sites').values({ name: committed, latitude_deg: 0, longitude_deg: 0 }).execute();
      return jobs.send('stack', { marker: committed }, { db: trx });
    });
    expect(await jobsWithMarker('stack', committed)).toBe(1);

    await Promise.race([delivered, sleep(15_000).then(() => Promise.reject(new Error('job not delivered in 15 s')))]);
    await sleep(1200); // a couple more polling rounds: no second delivery
    expect(received).toEqual([{ id: sentId, marker: committed }]);
    const state = await database.executeSql(`SELECT state FROM ${bossSchema()}.job WHERE id = $1`, [sentId]);
    expect(state.rows[0].state).toBe('completed');
  });

  it('pg-boss shares the session: its schema lives in the same database', async () => {
    const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = ${bossSchema()}`.execute(database.db);
    expect(r.rows[0].n).toBe(1);
  });
});
