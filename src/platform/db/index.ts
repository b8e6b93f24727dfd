export { openDatabase, type Database, type OpenDatabaseOptions, type SqlExecutor, type SqlResult } from './database.js';
export { runMigrations, appliedVersions, migrations, type Migration, type MigrationResult } from './migrations.js';
export { DbError, type DbErrorCode } from './errors.js';
export { PGliteDialect, PGliteDriver, type PGliteDialectConfig } from './pglite-dialect.js';
export { parsePostgresUrl, redactUrl } from './postgres.js';
export type * from './schema.js';
