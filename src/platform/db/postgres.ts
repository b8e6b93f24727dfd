/**
 * PostgreSQL through node-postgres: URL validation with clear errors, a pool, and the
 * Kysely PostgresDialect over it.
 */
import pg from 'pg';
import { PostgresDialect } from 'kysely';
import { DbError, describeError } from './errors.js';

const INT8_OID = 20;

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
