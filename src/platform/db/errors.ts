/**
 * Typed errors for the database and job adapters. A DbError says what failed in words an
 * operator can act on (which URL part is wrong, which migration failed) and never carries
 * a password.
 */

export type DbErrorCode =
  | 'BAD_URL' // DATABASE_URL is not a postgres:// URL or lacks host/database
  | 'CONNECT_FAILED' // server unreachable, authentication failed, database missing
  | 'OPEN_FAILED' // embedded PGlite could not open its data directory
  | 'MIGRATION_FAILED' // a migration's SQL failed; nothing of it was applied
  | 'SCHEMA_TOO_NEW' // the database has migrations this build does not know
  | 'LOCK_TIMEOUT' // the embedded single connection stayed busy too long (likely a nested use of `db` inside a transaction)
  | 'CLOSED' // used after close()
  | 'JOBS_FAILED'; // pg-boss could not start, or a queue name is unknown

export class DbError extends Error {
  override readonly name = 'DbError';
  readonly code: DbErrorCode;

  constructor(code: DbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Short text of an unknown thrown value, for wrapping driver errors into a DbError message. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code.length > 0 ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
