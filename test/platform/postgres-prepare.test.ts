/**
 * Statements marked with PREPARE_MARKER run as named prepared statements on PostgreSQL
 * (one name per text, reused across executions); unmarked ones stay unnamed; results are
 * the same either way; `prepareMarked: false` turns it off. PostgreSQL only: PGlite has no
 * pool (the marker is only a comment there, checked at the end).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { createPostgresPool, PREPARE_MARKER } from '../../src/platform/db/postgres.js';
import { engineNames, makeEngine, type TestEngine } from './engines.js';

const hasPostgres = engineNames().includes('postgres');

describe.runIf(hasPostgres)('prepared statements on PostgreSQL', () => {
  let engine: TestEngine;
  let database: Database;

  beforeAll(async () => {
    engine = await makeEngine('postgres');
    // One connection, so pg_prepared_statements shows what this pool prepared.
    database = await openDatabase({ url: engine.url, poolMax: 1, migrate: false });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  const prepared = async () =>
    (await sql<{ name: string; statement: string; calls: number }>`SELECT name, statement, generic_plans + custom_plans AS calls FROM pg_prepared_statements ORDER BY name`.execute(database.db)).rows;

  it('prepares a marked statement once and reuses it; leaves unmarked ones alone', async () => {
    const marked = (x: number) => sql<{ y: number }>`${sql.raw(PREPARE_MARKER)} SELECT ${x}::int * 2 AS y`.execute(database.db);
    expect((await marked(3)).rows).toEqual([{ y: 6 }]);
    expect((await marked(21)).rows).toEqual([{ y: 42 }]);
    expect((await sql<{ y: number }>`SELECT ${5}::int * 2 AS y`.execute(database.db)).rows).toEqual([{ y: 10 }]);
    const other = await sql<{ y: number }>`${sql.raw(PREPARE_MARKER)} SELECT ${4}::int + 1 AS y`.execute(database.db);
    expect(other.rows).toEqual([{ y: 5 }]);
    const p = await prepared();
    expect(p).toHaveLength(2);
    expect(p.every((s) => /^oa_[0-9a-f]{20}$/.test(s.name) && s.statement.startsWith(PREPARE_MARKER))).toBe(true);
    expect(p.find((s) => s.statement.includes('* 2'))?.calls).toBe(2);
    expect(p.find((s) => s.statement.includes('+ 1'))?.calls).toBe(1);
  });

  it('an error in a prepared statement is the usual error, and the connection carries on', async () => {
    await expect(sql`${sql.raw(PREPARE_MARKER)} SELECT 1 / ${0}::int AS y`.execute(database.db)).rejects.toMatchObject({ code: '22012' });
    expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(database.db)).rows).toEqual([{ one: 1 }]);
  });

  it('prepareMarked: false sends marked statements unnamed', async () => {
    const pool = createPostgresPool(engine.url as string, { max: 1, prepareMarked: false });
    try {
      const client = await pool.connect();
      try {
        expect((await client.query(`${PREPARE_MARKER} SELECT $1::int AS y`, [7])).rows).toEqual([{ y: 7 }]);
        expect((await client.query('SELECT count(*)::int AS n FROM pg_prepared_statements')).rows).toEqual([{ n: 0 }]);
      } finally {
        client.release();
      }
    } finally {
      await pool.end();
    }
  });
});

describe('the prepare marker on PGlite', () => {
  it('is a comment: the statement runs as written', async () => {
    const database = await openDatabase({ memory: true, migrate: false });
    try {
      expect((await sql<{ y: number }>`${sql.raw(PREPARE_MARKER)} SELECT ${3}::int * 2 AS y`.execute(database.db)).rows).toEqual([{ y: 6 }]);
    } finally {
      await database.close();
    }
  });
});
