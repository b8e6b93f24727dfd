/**
 * Kysely dialect over PGlite (embedded PostgreSQL in WebAssembly).
 *
 * PGlite is one database session. If two callers interleave statements on it, the second
 * one's statements run inside the first one's open transaction and share its fate. So this
 * driver behaves like a pool of size one: acquiring "the connection" takes a mutex, which a
 * single query holds for its duration and a transaction holds from BEGIN to
 * COMMIT/ROLLBACK. Everything else that talks to the same PGlite (pg-boss, migrations)
 * must go through `runExclusive` or through a Kysely transaction handle.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import { Mutex } from './mutex.js';
import { DbError } from './errors.js';

export interface PGliteDialectConfig {
  /** An opened PGlite instance; the driver closes it on destroy. */
  pglite: PGlite;
  /** Longest wait for the single connection before failing with LOCK_TIMEOUT (default 60 s). */
  lockTimeoutMs?: number;
}

const MUTATING_KINDS = new Set(['InsertQueryNode', 'UpdateQueryNode', 'DeleteQueryNode', 'MergeQueryNode']);

class PGliteConnection implements DatabaseConnection {
  readonly #pg: PGlite;

  constructor(pg: PGlite) {
    this.#pg = pg;
  }

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.#pg.query<R>(compiledQuery.sql, [...compiledQuery.parameters], { rowMode: 'object' });
    const mutating = MUTATING_KINDS.has(compiledQuery.query.kind);
    return {
      rows: result.rows ?? [],
      numAffectedRows: mutating ? BigInt(result.affectedRows ?? 0) : undefined,
    };
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported by the PGlite dialect');
  }
}

export class PGliteDriver implements Driver {
  readonly #pg: PGlite;
  readonly #mutex = new Mutex();
  readonly #connection: PGliteConnection;
  readonly #lockTimeoutMs: number;
  #destroyed = false;

  constructor(config: PGliteDialectConfig) {
    this.#pg = config.pglite;
    this.#connection = new PGliteConnection(config.pglite);
    this.#lockTimeoutMs = config.lockTimeoutMs ?? 60_000;
  }

  async init(): Promise<void> {
    await this.#pg.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    this.#assertOpen();
    await this.#mutex.acquire(this.#lockTimeoutMs);
    if (this.#destroyed) {
      this.#mutex.release();
      this.#assertOpen();
    }
    return this.#connection;
  }

  async releaseConnection(): Promise<void> {
    this.#mutex.release();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let text = 'begin';
    if (settings.isolationLevel || settings.accessMode) {
      text = 'start transaction';
      if (settings.isolationLevel) text += ` isolation level ${settings.isolationLevel}`;
      if (settings.accessMode) text += ` ${settings.accessMode}`;
    }
    await connection.executeQuery(CompiledQuery.raw(text));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointQuery('savepoint', name));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointQuery('rollback to', name));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(savepointQuery('release', name));
  }

  /**
   * Run `fn` with exclusive use of the session (outside any Kysely transaction). Used for
   * pg-boss statements and multi-statement scripts that must not interleave with others.
   */
  runExclusive<T>(fn: (pg: PGlite) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#mutex.runExclusive(this.#lockTimeoutMs, () => {
      this.#assertOpen();
      return fn(this.#pg);
    });
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) return;
    // Wait for the statement or transaction in flight, then close for good.
    await this.#mutex.acquire(this.#lockTimeoutMs);
    try {
      this.#destroyed = true;
      if (!this.#pg.closed) await this.#pg.close();
    } finally {
      this.#mutex.release();
    }
  }

  #assertOpen(): void {
    if (this.#destroyed) throw new DbError('CLOSED', 'the embedded database has been closed');
  }
}

function savepointQuery(command: string, name: string): CompiledQuery {
  return CompiledQuery.raw(`${command} "${name.replace(/"/g, '""')}"`);
}

export class PGliteDialect implements Dialect {
  readonly #config: PGliteDialectConfig;
  #driver: PGliteDriver | undefined;

  constructor(config: PGliteDialectConfig) {
    this.#config = config;
  }

  /** The driver Kysely uses; exposed so other clients of the session can share its mutex. */
  get driver(): PGliteDriver {
    this.#driver ??= new PGliteDriver(this.#config);
    return this.#driver;
  }

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return this.driver;
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}
