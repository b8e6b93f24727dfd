import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, appliedVersions, migrations, runMigrations, DbError, type Database } from '../../src/platform/db/index.js';
import { engineNames, makeEngine, type TestEngine } from './engines.js';

const NETWORK_TABLES = ['commands', 'exposures', 'heartbeats', 'missions', 'nodes', 'sites', 'tasks'];

async function tableNames(database: Database): Promise<string[]> {
  const r = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables
    WHERE table_schema = current_schema() ORDER BY table_name`.execute(database.db);
  return r.rows.map((row) => row.table_name);
}

async function addSite(database: Database, name: string) {
  return database.db
    .insertInto('sites')
    .values({ name, latitude_deg: 47.5, longitude_deg: 8.25 })
    .returning(['id'])
    .executeTakeFirstOrThrow();
}

describe('openDatabase on PGlite files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-db-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('applies migrations once; reopening keeps data and applies nothing', async () => {
    const dataDir = path.join(dir, 'db');
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe('pglite');
    expect(await appliedVersions(first.db)).toEqual(migrations.map((m) => m.version));
    const { id } = await addSite(first, 'persisted');
    await first.close();
    await first.close(); // idempotent
    await expect(first.executeSql('SELECT 1')).rejects.toMatchObject({ name: 'DbError', code: 'CLOSED' });

    const second = await openDatabase({ dataDir, lockTimeoutMs: 500 });
    try {
      const again = await runMigrations(second.db);
      expect(again.applied).toEqual([]);
      expect(again.current).toBe(migrations[migrations.length - 1].version);
      const rows = await second.db.selectFrom('schema_migrations').selectAll().execute();
      expect(rows.map((r) => r.version)).toEqual(migrations.map((m) => m.version));
      const site = await second.db.selectFrom('sites').select(['id', 'name']).where('id', '=', id).executeTakeFirst();
      expect(site).toEqual({ id, name: 'persisted' });

      // Using the outer db inside a transaction cannot get the single session: a typed
      // error after lockTimeoutMs instead of a hang, and the transaction rolls back.
      const nested = second.db.transaction().execute(async (trx) => {
        await trx.insertInto('sites').values({ name: 'nested', latitude_deg: 0, longitude_deg: 0 }).execute();
        await second.db.selectFrom('sites').selectAll().execute();
      });
      await expect(nested).rejects.toMatchObject({ name: 'DbError', code: 'LOCK_TIMEOUT' });
      expect(await second.db.selectFrom('sites').select('name').where('name', '=', 'nested').execute()).toEqual([]);
    } finally {
      await second.close();
    }
  });
});

describe('bad DATABASE_URL', () => {
  it.each([
    ['not a url', /not a URL/],
    ['mysql://u:p@localhost/db', /scheme 'mysql'/],
    ['postgres://u:secret@localhost:5432', /names no database/],
    ['postgres://u:secret@localhost:99999/db', /port|not a URL/],
  ])('%s → BAD_URL', async (url, message) => {
    const err = await openDatabase({ url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('BAD_URL');
    expect((err as DbError).message).toMatch(message);
    expect((err as DbError).message).not.toContain('secret');
  });

  it('an unreachable server → CONNECT_FAILED naming host and port, without the password', async () => {
    // Port 1 on loopback: nothing listens there.
    const err = await openDatabase({ url: 'postgres://u:secret@127.0.0.1:1/db' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('CONNECT_FAILED');
    expect((err as DbError).message).toContain('127.0.0.1:1');
    expect((err as DbError).message).toMatch(/refused/);
    expect((err as DbError).message).not.toContain('secret');
  });
});

describe.each(engineNames())('database on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  }, 30_000);

  it('creates the network tables and records the migration', async () => {
    expect(database.kind).toBe(engineName);
    const tables = await tableNames(database);
    for (const t of NETWORK_TABLES) expect(tables).toContain(t);
    expect(tables).toContain('schema_migrations');
    expect((await runMigrations(database.db)).applied).toEqual([]);
  });

  it('round-trips rows through Kysely with the same types on both engines', async () => {
    const { id: siteId } = await addSite(database, 'crud');
    const node = await database.db
      .insertInto('nodes')
      .values({
        site_id: siteId,
        name: 'scope-1',
        token_hash: `hash-${engine.tag}`,
        aperture_mm: 200,
        focal_length_mm: 1000,
        pixel_size_um: 3.76,
        sensor_width_px: 6248,
        sensor_height_px: 4176,
        filters: JSON.stringify(['L', 'V', 'B']),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    expect(node.state).toBe('PARKED');
    expect(node.filters).toEqual(['L', 'V', 'B']);
    expect(node.registered_at).toBeInstanceOf(Date);
    expect(node.heartbeat_interval_s).toBe(30);

    const at = new Date('2025-03-01T22:15:30.250Z');
    await database.db
      .insertInto('heartbeats')
      .values({ node_id: node.id, state: 'ONLINE', received_at: at, weather_ok: true })
      .execute();
    const hb = await database.db.selectFrom('heartbeats').selectAll().where('node_id', '=', node.id).executeTakeFirstOrThrow();
    expect(typeof hb.id).toBe('number');
    expect(hb.received_at.toISOString()).toBe(at.toISOString());
    expect(hb.weather_ok).toBe(true);

    const upd = await database.db.updateTable('nodes').set({ state: 'ONLINE', last_heartbeat_at: at }).where('id', '=', node.id).executeTakeFirst();
    expect(upd.numUpdatedRows).toBe(1n);
    const count = await database.db.selectFrom('heartbeats').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);

    const del = await database.db.deleteFrom('nodes').where('id', '=', node.id).executeTakeFirst();
    expect(del.numDeletedRows).toBe(1n);
    // ON DELETE CASCADE removed the heartbeat.
    expect(await database.db.selectFrom('heartbeats').selectAll().where('node_id', '=', node.id).execute()).toEqual([]);
  });

  it('commits and rolls back transactions', async () => {
    await database.db.transaction().execute(async (trx) => {
      await trx.insertInto('sites').values({ name: 'tx-commit', latitude_deg: 0, longitude_deg: 0 }).execute();
    });
    await expect(
      database.db.transaction().execute(async (trx) => {
        await trx.insertInto('sites').values({ name: 'tx-rollback', latitude_deg: 0, longitude_deg: 0 }).execute();
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    const names = (await database.db.selectFrom('sites').select('name').where('name', 'like', 'tx-%').execute()).map((r) => r.name);
    expect(names).toEqual(['tx-commit']);
  });

  it('executeSql runs outside and inside a transaction', async () => {
    const r = await database.executeSql('SELECT $1::int + 1 AS n', [41]);
    expect(r.rows).toEqual([{ n: 42 }]);
    const multi = await database.executeSql('CREATE TEMP TABLE IF NOT EXISTS scratch (x int); SELECT 7 AS seven');
    expect(multi.rows).toEqual([{ seven: 7 }]);
    await database.db
      .transaction()
      .execute(async (trx) => {
        await database.executeSql("INSERT INTO sites (name, latitude_deg, longitude_deg) VALUES ('raw-in-tx', 0, 0)", [], trx);
        throw new Error('abort');
      })
      .catch(() => {});
    const found = await database.db.selectFrom('sites').select('name').where('name', '=', 'raw-in-tx').execute();
    expect(found).toEqual([]);
  });

  it('refuses a database migrated by a newer build', async () => {
    await database.db.insertInto('schema_migrations').values({ version: 9999, name: 'future' }).execute();
    try {
      await expect(runMigrations(database.db)).rejects.toMatchObject({ name: 'DbError', code: 'SCHEMA_TOO_NEW' });
    } finally {
      await database.db.deleteFrom('schema_migrations').where('version', '=', 9999).execute();
    }
  });

  it('a failing migration leaves nothing behind', async () => {
    const bad = [
      ...migrations,
      { version: 1000, name: 'broken', statements: ['CREATE TABLE half_done (x int)', 'CREATE TABLE oops ('] },
    ];
    const err = await runMigrations(database.db, bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DbError);
    expect((err as DbError).code).toBe('MIGRATION_FAILED');
    expect((err as DbError).message).toMatch(/migration 1000 'broken' statement 2/);
    expect(await tableNames(database)).not.toContain('half_done');
    expect(await appliedVersions(database.db)).toEqual(migrations.map((m) => m.version));
  });
});
