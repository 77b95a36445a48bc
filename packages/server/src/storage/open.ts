/**
 * Choosing the storage backend from a `--db` value: a `postgres://` or `postgresql://` URL is a
 * PostgreSQL database (several server instances can share it), anything else a SQLite file.
 *
 * @module
 */
import { isPostgresUrl, redactDatabaseUrl } from './database-url.js';
import { openSqliteStorage } from './sqlite/sqlite-storage.js';
import type { Storage, StorageOptions } from './types.js';

/**
 * Opens the storage `db` names and brings its schema up to date.
 *
 * @param db - `postgres://user:password@host:5432/db[?schema=name]`, or a SQLite file path
 * @param options - see {@link StorageOptions} (`lockWaitMs`)
 * @throws Error whose message is one line naming the database as {@link describeDatabase} does
 *   (never its password), e.g. `cannot connect to PostgreSQL at postgres://u:***@host:5432/db: ECONNREFUSED`
 */
export async function openStorage(db: string, options: StorageOptions = {}): Promise<Storage> {
  // Loaded on demand: a SQLite setup never loads the PostgreSQL driver.
  if (isPostgresUrl(db))
    return (await import('./postgres/postgres-storage.js')).openPostgresStorage(db, options);
  return openSqliteStorage(db, options);
}

/**
 * How to show `db` in logs and errors: a PostgreSQL URL with any password replaced by `***`,
 * or the SQLite file path as given.
 */
export function describeDatabase(db: string): string {
  return isPostgresUrl(db) ? redactDatabaseUrl(db) : db;
}
