// Databases as an older server left them, for the migration tests: migrated up to a given
// version only, then seeded with that version's data. The storages cannot stop at a version
// (they always migrate to the latest), so these apply the exported migration lists, sliced, and
// record each step in `schema_migrations` as the storages do.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../src/storage/postgres/migrations.js';
import { MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { tempDb } from './helpers.js';
import { POSTGRES_URL, type PostgresTestSchemas, withParams } from './storage-postgres.js';

const SCHEMA_MIGRATIONS =
  'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)';

/** The first migrations of `all`, up to `version`; fails unless they are exactly versions 1 to `version`. */
function upTo<M extends { readonly version: number }>(all: readonly M[], version: number): M[] {
  const migrations = all.filter((migration) => migration.version <= version);
  assert.deepEqual(
    migrations.map((migration) => migration.version),
    Array.from({ length: version }, (_, i) => i + 1),
    `migrations 1 to ${version}`,
  );
  return migrations;
}

/**
 * A SQLite database file in a fresh temp folder, migrated up to `version` only; `seed` writes
 * its data (in the schema of that version) before the connection closes. `cleanup()` removes
 * the folder.
 */
export function sqliteAtVersion(
  version: number,
  seed: (db: Database.Database) => void = () => {},
): { db: string; cleanup: () => void } {
  const tmp = tempDb();
  try {
    mkdirSync(dirname(tmp.db), { recursive: true });
    const db = new Database(tmp.db);
    try {
      db.exec(SCHEMA_MIGRATIONS);
      for (const migration of upTo(MIGRATIONS, version)) {
        db.transaction(() => {
          db.exec(migration.sql);
          db.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(migration.version, migration.name);
        })();
      }
      seed(db);
    } finally {
      db.close();
    }
  } catch (error) {
    tmp.cleanup();
    throw error;
  }
  return { db: tmp.db, cleanup: tmp.cleanup };
}

/**
 * A fresh PostgreSQL schema of `schemas` (dropped with them), migrated up to `version` only;
 * `seed` writes its data (in the schema of that version) on a connection whose search_path is
 * the schema. Returns the schema and the URL to open a storage on it.
 */
export async function postgresAtVersion(
  schemas: PostgresTestSchemas,
  version: number,
  seed: (client: pg.Client) => Promise<void> = async () => {},
): Promise<{ schema: string; url: string }> {
  const migrations = upTo(POSTGRES_MIGRATIONS, version);
  const schema = schemas.freshSchema();
  await schemas.query(`CREATE SCHEMA ${schema}`);
  const client = new pg.Client({
    connectionString: withParams(POSTGRES_URL, { options: `-c search_path=${schema}` }),
  });
  await client.connect();
  try {
    await client.query(SCHEMA_MIGRATIONS);
    for (const migration of migrations) {
      await client.query('BEGIN');
      await client.query(migration.sql);
      await client.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [
        migration.version,
        migration.name,
      ]);
      await client.query('COMMIT');
    }
    await seed(client);
  } finally {
    await client.end();
  }
  return { schema, url: withParams(POSTGRES_URL, { schema }) };
}
