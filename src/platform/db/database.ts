/**
 * Opening the database: PGlite under a data directory (default), in memory (tests), or
 * PostgreSQL when a URL is given. Both engines run the same migrations and are used
 * through the same Kysely<Schema>. `executeSql` is the adapter pg-boss uses, routed
 * through the same connection discipline as Kysely (on PGlite: the one mutex-guarded
 * session) and, given a transaction handle, through that transaction.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { CompiledQuery, Kysely, type Transaction } from 'kysely';
import type pg from 'pg';
import { PGliteDialect, type PGliteDriver } from './pglite-dialect.js';
import { checkPostgresConnection, createPostgresDialect, createPostgresPool, parsePostgresUrl } from './postgres.js';
import { runMigrations } from './migrations.js';
import { DbError, describeError } from './errors.js';
import type { Schema } from './schema.js';

export interface OpenDatabaseOptions {
  /** postgres:// URL (DATABASE_URL). When set, PostgreSQL is used and dataDir/memory are ignored. */
  url?: string;
  /** PGlite data directory (default ./data/db). */
  dataDir?: string;
  /** PGlite in memory, nothing on disk (tests). */
  memory?: boolean;
  /** Run migrations while opening (default true). */
  migrate?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolMax?: number;
  /** PGlite: longest wait for the single session before LOCK_TIMEOUT (default 60 s). */
  lockTimeoutMs?: number;
}

export interface SqlResult {
  rows: Array<Record<string, unknown>>;
  rowCount?: number;
}

/** What pg-boss calls a `db`: anything with executeSql(text, values). */
export interface SqlExecutor {
  executeSql(text: string, values?: unknown[]): Promise<SqlResult>;
}

export interface Database extends SqlExecutor {
  readonly db: Kysely<Schema>;
  readonly kind: 'pglite' | 'postgres';
  /**
   * Run raw SQL. Outside a transaction (no `trx`): on PGlite a parameterless text goes to
   * `exec` (may hold several statements), otherwise to `query`, holding the session lock.
   * With `trx`: one statement inside that Kysely transaction.
   */
  executeSql(text: string, values?: unknown[], trx?: Transaction<Schema>): Promise<SqlResult>;
  /** A pg-boss `db` bound to `trx` (or to the database when omitted). */
  sqlExecutor(trx?: Transaction<Schema>): SqlExecutor;
  /** Close connections; waits for the statement or transaction in flight. Idempotent. */
  close(): Promise<void>;
}

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  const database = opts.url !== undefined && opts.url !== '' ? await openPostgres(opts.url, opts) : await openPGlite(opts);
  if (opts.migrate ?? true) {
    try {
      await runMigrations(database.db);
    } catch (err) {
      await database.close().catch(() => {});
      throw err;
    }
  }
  return database;
}

async function openPostgres(url: string, opts: OpenDatabaseOptions): Promise<Database> {
  parsePostgresUrl(url);
  const pool = createPostgresPool(url, { max: opts.poolMax });
  try {
    await checkPostgresConnection(pool, url);
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const db = new Kysely<Schema>({ dialect: createPostgresDialect(pool) });
  return makeDatabase(db, 'postgres', (text, values) => poolQuery(pool, text, values));
}

async function poolQuery(pool: pg.Pool, text: string, values?: unknown[]): Promise<SqlResult> {
  const r = (await pool.query(text, values as unknown[] | undefined)) as pg.QueryResult | pg.QueryResult[];
  // A multi-statement text returns one result per statement; report the last, as PGlite does.
  const last = Array.isArray(r) ? r[r.length - 1] : r;
  return { rows: last?.rows ?? [], rowCount: last?.rowCount ?? 0 };
}

async function openPGlite(opts: OpenDatabaseOptions): Promise<Database> {
  let pglite: PGlite;
  const dataDir = opts.memory ? undefined : path.resolve(opts.dataDir ?? path.join('data', 'db'));
  try {
    if (dataDir) await mkdir(dataDir, { recursive: true });
    pglite = dataDir ? new PGlite(dataDir) : new PGlite();
    await pglite.waitReady;
  } catch (err) {
    throw new DbError('OPEN_FAILED', `cannot open embedded database ${dataDir ?? '(memory)'}: ${describeError(err)}`, {
      cause: err,
    });
  }
  const dialect = new PGliteDialect({ pglite, lockTimeoutMs: opts.lockTimeoutMs });
  const driver: PGliteDriver = dialect.driver;
  const db = new Kysely<Schema>({ dialect });
  return makeDatabase(db, 'pglite', (text, values) =>
    driver.runExclusive(async (pgl) => {
      if (values === undefined || values.length === 0) {
        // pg-boss's own migrations are parameterless multi-statement scripts.
        const results = await pgl.exec(text);
        const last = results[results.length - 1];
        return { rows: last?.rows ?? [], rowCount: last?.affectedRows ?? 0 };
      }
      const r = await pgl.query(text, values, { rowMode: 'object' });
      return { rows: r.rows as Array<Record<string, unknown>>, rowCount: r.affectedRows ?? 0 };
    }),
  );
}

function makeDatabase(
  db: Kysely<Schema>,
  kind: 'pglite' | 'postgres',
  outside: (text: string, values?: unknown[]) => Promise<SqlResult>,
): Database {
  let closed = false;
  const executeSql = async (text: string, values?: unknown[], trx?: Transaction<Schema>): Promise<SqlResult> => {
    if (closed) throw new DbError('CLOSED', 'the database has been closed');
    if (trx === undefined) return outside(text, values);
    const r = await trx.executeQuery(CompiledQuery.raw(text, values ?? []));
    return { rows: r.rows as Array<Record<string, unknown>>, rowCount: r.numAffectedRows === undefined ? undefined : Number(r.numAffectedRows) };
  };
  return {
    db,
    kind,
    executeSql,
    sqlExecutor: (trx) => ({ executeSql: (text, values) => executeSql(text, values, trx) }),
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}
