/**
 * PostgreSQL through node-postgres: URL validation with clear errors, a pool, and the
 * Kysely PostgresDialect over it.
 *
 * Prepared statements on request: a statement whose text starts with PREPARE_MARKER runs
 * as a named prepared statement, parsed once per connection, and after a few executions
 * planned once too (PostgreSQL's plan cache), instead of being parsed and planned at every
 * execution as Kysely's unnamed statements are. For a large statement run thousands of
 * times a second (the batched heartbeat) planning costs more than executing. Opt-in per
 * statement, because a prepared `SELECT *` would fail with "cached plan must not change
 * result type" after a migration adds a column; mark only statements with a fixed column
 * list. PGlite ignores the marker (it is an SQL comment).
 */
import { createHash } from 'node:crypto';
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { DbError, describeError } from './errors.js';

const INT8_OID = 20;

/** Start a statement's text with this to have it prepared (see the module comment). */
export const PREPARE_MARKER = '/* prepare */';

/** Most distinct prepared statements named per pool (a guard against marking dynamic SQL). */
const MAX_PREPARED_NAMES = 256;

/** The URL with its password replaced, safe to print. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** Check a DATABASE_URL's shape; throws DbError('BAD_URL') saying what is wrong. */
export function parsePostgresUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new DbError('BAD_URL', 'DATABASE_URL is not a URL; expected postgres://user:password@host:5432/database');
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') {
    throw new DbError(
      'BAD_URL',
      `DATABASE_URL has scheme '${u.protocol.replace(/:$/, '')}'; expected postgres:// or postgresql:// (${redactUrl(url)})`,
    );
  }
  if (u.hostname === '' && !u.searchParams.has('host')) {
    throw new DbError('BAD_URL', `DATABASE_URL names no host (${redactUrl(url)})`);
  }
  if (u.port !== '' && !(Number(u.port) > 0 && Number(u.port) < 65536)) {
    throw new DbError('BAD_URL', `DATABASE_URL port '${u.port}' is not a valid port (${redactUrl(url)})`);
  }
  if (u.pathname.replace(/^\//, '') === '') {
    throw new DbError('BAD_URL', `DATABASE_URL names no database; add /<database> after the host (${redactUrl(url)})`);
  }
  return u;
}

export interface PostgresPoolOptions {
  /** Maximum pool connections (default 10). */
  max?: number;
  /** Connect timeout in ms (default 10 s). */
  connectTimeoutMs?: number;
  /** Run statements starting with PREPARE_MARKER as named prepared statements (default true). */
  prepareMarked?: boolean;
}

/**
 * A pg Pool for `url`. int8 (bigint, count(*)) is parsed to a JS number, as PGlite does,
 * so both engines return the same types; our ids are uuids and counters stay < 2^53.
 */
export function createPostgresPool(url: string, opts: PostgresPoolOptions = {}): pg.Pool {
  parsePostgresUrl(url);
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID && format !== 'binary'
        ? (v: string) => Number(v)
        : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool = new pg.Pool({
    Client: opts.prepareMarked === false ? pg.Client : preparingClient(),
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    types,
    application_name: 'openastro',
  });
  // An idle client dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/**
 * A pg Client class that sends statements starting with PREPARE_MARKER as named prepared
 * statements. The name is a hash of the text, so two different texts never share a name
 * (node-postgres refuses that) and every connection of the pool uses the same name.
 */
function preparingClient(): typeof pg.Client {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined) {
      if (names.size >= MAX_PREPARED_NAMES) return undefined;
      name = `oa_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
      names.set(text, name);
    }
    return name;
  };
  // node-postgres' query() is heavily overloaded; only the (text, values) form Kysely uses is rewritten.
  /* eslint-disable @typescript-eslint/no-explicit-any */
  return class PreparingClient extends pg.Client {
    override query(config: any, values?: any, callback?: any): any {
      if (typeof config === 'string' && config.startsWith(PREPARE_MARKER)) {
        const name = nameOf(config);
        if (name !== undefined) return super.query({ name, text: config } as any, values, callback);
      }
      return super.query(config, values, callback);
    }
  } as typeof pg.Client;
  /* eslint-enable @typescript-eslint/no-explicit-any */
}

/** Run a trivial query; turn the usual failures into a DbError naming the problem. */
export async function checkPostgresConnection(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    throw new DbError('CONNECT_FAILED', connectFailureMessage(err, url), { cause: err });
  }
}

function connectFailureMessage(err: unknown, url: string): string {
  const u = new URL(url);
  const where = `${u.hostname || u.searchParams.get('host')}:${u.port || '5432'}`;
  const code = (err as { code?: string }).code;
  const user = decodeURIComponent(u.username) || '(default user)';
  const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to PostgreSQL at ${where}: connection refused (is the server running?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to PostgreSQL: host '${u.hostname}' not found`;
    case 'ETIMEDOUT':
      return `cannot connect to PostgreSQL at ${where}: timed out`;
    case '28P01':
    case '28000':
      return `PostgreSQL at ${where} rejected user '${user}': ${describeError(err)}`;
    case '3D000':
      return `PostgreSQL at ${where} has no database '${database}'`;
    default:
      return `cannot connect to PostgreSQL at ${where}: ${describeError(err)}`;
  }
}

export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  return new PostgresDialect({ pool });
}
