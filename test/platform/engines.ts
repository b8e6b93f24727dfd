/**
 * The database engines platform tests run against: PGlite always, PostgreSQL when
 * TEST_DATABASE_URL is set (CI sets it from scripts/ci/postgres.sh). Each PostgreSQL
 * engine works in its own throw-away schema (search_path via the URL's `options`), so test
 * files and concurrent runs do not see each other's tables.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export const PG_SKIP_REASON = 'skipped: PostgreSQL tests need TEST_DATABASE_URL (CI sets it)';

export interface TestEngine {
  name: 'pglite' | 'postgres';
  /** Suffix unique to this run, for pg-boss schema names. */
  tag: string;
  /** Options for openDatabase that point at this engine's location (memory for pglite unless dataDir given). */
  url?: string;
  /** Remove what the tests created (PostgreSQL schema). */
  cleanup(): Promise<void>;
}

export function postgresUrl(): string | undefined {
  const url = process.env.TEST_DATABASE_URL;
  if (url) return url;
  if (process.env.OPENASTRO_REQUIRE_TOOLS === '1') {
    throw new Error(`required in CI but missing — ${PG_SKIP_REASON}`);
  }
  console.warn(PG_SKIP_REASON);
  return undefined;
}

/** Engine names to run: always pglite, plus postgres when configured. */
export function engineNames(): Array<'pglite' | 'postgres'> {
  return postgresUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

/**
 * One engine, for tests whose subject talks to the service over HTTP and not to the
 * database (the node agent): PostgreSQL when configured, the production setting, else
 * PGlite. The database rules behind the API are tested on both engines elsewhere.
 */
export function primaryEngine(): 'pglite' | 'postgres' {
  return process.env.TEST_DATABASE_URL ? 'postgres' : 'pglite';
}

export async function makeEngine(name: 'pglite' | 'postgres'): Promise<TestEngine> {
  const tag = randomBytes(4).toString('hex');
  if (name === 'pglite') return { name, tag, cleanup: async () => {} };
  const base = process.env.TEST_DATABASE_URL as string;
  const schema = `t_${tag}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const u = new URL(base);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    name,
    tag,
    url: u.toString(),
    async cleanup() {
      const c = new pg.Client({ connectionString: base });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS pgboss_${tag} CASCADE`);
      await c.end();
    },
  };
}
