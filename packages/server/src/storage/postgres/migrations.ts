/**
 * Versioned schema migrations for the PostgreSQL storage: the same versions, in the same order
 * and with the same meaning as SQLite's (`../sqlite/migrations.ts`), in PostgreSQL's own types.
 * Each is applied in its own transaction and recorded in `schema_migrations`. Append new
 * entries; never edit one that has shipped.
 *
 * @module
 */
import type pg from 'pg';

/** One schema step. */
export interface PostgresMigration {
  /** Strictly increasing, starting at 1; the same number as the SQLite migration it mirrors. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'applications, signing keys, change log',
    // row_order: creation order for listing, which SQLite gets from its rowid.
    sql: `
      CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        row_order BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        name TEXT NOT NULL,
        secret_hash BYTEA NOT NULL,
        scopes TEXT NOT NULL,
        token_expiration TEXT NOT NULL CHECK (token_expiration IN ('1d', '1w', 'never')),
        status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        tokens_not_before BIGINT
      );
      CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        alg TEXT NOT NULL,
        public_jwk TEXT NOT NULL,
        private_key_encrypted TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        retired_at BIGINT
      );
      CREATE TABLE change_log (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        entity TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        changed_at BIGINT NOT NULL
      );
      CREATE INDEX change_log_changed_at ON change_log (changed_at);
    `,
  },
  {
    version: 2,
    name: 'revoked tokens (jti denylist)',
    // expires_at NULL: a never-expiring token, kept on the list forever.
    sql: `
      CREATE TABLE revoked_tokens (
        jti TEXT PRIMARY KEY,
        application_id TEXT NOT NULL,
        expires_at BIGINT NULL,
        revoked_at BIGINT NOT NULL
      );
      CREATE INDEX revoked_tokens_expires_at ON revoked_tokens (expires_at);
      CREATE INDEX revoked_tokens_application_id ON revoked_tokens (application_id);
    `,
  },
  {
    version: 3,
    name: 'server processes (change propagation bookkeeping)',
    sql: `
      CREATE TABLE server_processes (
        id TEXT PRIMARY KEY,
        label TEXT NOT NULL,
        applied_seq BIGINT NOT NULL,
        heartbeat_at BIGINT NOT NULL,
        registered_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'application numbers and secret hints, API keys, audit log',
    // The number is row_order (an identity column: never reused), read under that name. JSON,
    // not JSONB: the entries read back with their keys in the order they were written.
    sql: `
      ALTER TABLE applications ADD COLUMN secret_hint TEXT;
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash BYTEA NOT NULL,
        hint TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE TABLE audit_log (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at BIGINT NOT NULL,
        actor JSON NOT NULL,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT NOT NULL,
        request_id TEXT,
        details JSON NOT NULL
      );
      CREATE INDEX audit_log_at ON audit_log (at);
    `,
  },
  {
    version: 5,
    name: 'server settings (the pepper fingerprint)',
    // One row per setting. `pepper_fingerprint`: hex of HMAC-SHA-256(pepper, a fixed label), so
    // every process can tell whether its pepper file is the one this database was set up with.
    sql: `
      CREATE TABLE server_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'overlapping application secrets (a previous secret in its grace period, last use)',
    // As in SQLite: the current secret gains an ID, its creation time and its last use; the
    // previous secret works until previous_secret_expires_at. An existing secret becomes the
    // current one with a new ID (sc_ and 12 hex characters).
    sql: `
      ALTER TABLE applications
        ADD COLUMN secret_id TEXT,
        ADD COLUMN secret_created_at BIGINT,
        ADD COLUMN secret_last_used_at BIGINT,
        ADD COLUMN previous_secret_id TEXT,
        ADD COLUMN previous_secret_hash BYTEA,
        ADD COLUMN previous_secret_hint TEXT,
        ADD COLUMN previous_secret_created_at BIGINT,
        ADD COLUMN previous_secret_expires_at BIGINT,
        ADD COLUMN previous_secret_last_used_at BIGINT;
      UPDATE applications SET
        secret_id = 'sc_' || substr(md5(random()::text || clock_timestamp()::text || id), 1, 12),
        secret_created_at = COALESCE(
          (SELECT MAX(at) FROM audit_log
            WHERE action = 'application.rotate_secret' AND target_type = 'application'
              AND target_id = applications.id),
          CASE WHEN secret_hint IS NOT NULL THEN created_at END
        );
      ALTER TABLE applications ALTER COLUMN secret_id SET NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'signing keys announced before use (activates_at)',
    // A key signs from activates_at on; until then it is only published (keys rotate
    // --publish-ahead). Existing keys signed from their creation.
    sql: `
      ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT;
      UPDATE signing_keys SET activates_at = created_at;
      ALTER TABLE signing_keys ALTER COLUMN activates_at SET NOT NULL;
    `,
  },
];

/**
 * The advisory-lock key of this schema under `namespace`: advisory locks are per database, so
 * the schema's name goes into the key, and instances on different schemas never wait on
 * each other. Before the schema exists (first start) its name is the `search_path` setting.
 */
export function schemaLockSql(namespace: number): string {
  return `SELECT pg_advisory_xact_lock(${namespace}, hashtext(COALESCE(current_schema(), current_setting('search_path'))))`;
}

// Advisory lock namespace of migrations ('SMS' 1); the change log uses another (see postgres-storage.ts).
const MIGRATION_LOCK = 0x534d5301;

/**
 * Brings the schema up to date. Safe when several processes start at once: each migration runs
 * in a transaction holding an advisory lock, and the applied versions are re-read inside it, so
 * every version is applied exactly once and a latecomer waits, then finds nothing to do.
 *
 * @param schema - created first when given and missing (`?schema=` in the URL)
 */
export async function migrate(client: pg.ClientBase, schema: string | undefined): Promise<void> {
  for (;;) {
    await client.query('BEGIN');
    try {
      await client.query(schemaLockSql(MIGRATION_LOCK));
      // Under the lock: concurrent CREATE ... IF NOT EXISTS can still collide in the catalog.
      if (schema !== undefined) await createSchema(client, schema);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at BIGINT NOT NULL
      )`);
      const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
      const applied = new Set(rows.map((row) => row.version));
      const next = POSTGRES_MIGRATIONS.find((migration) => !applied.has(migration.version));
      if (next === undefined) {
        await client.query('COMMIT');
        return;
      }
      await client.query(next.sql);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        next.version,
        next.name,
        Date.now(),
      ]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }
}

async function createSchema(client: pg.ClientBase, schema: string): Promise<void> {
  // Looked up first: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege on the database even
  // when the schema exists, which a user given an existing schema need not have.
  const { rowCount } = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  // The name was checked to be a plain lowercase identifier (connection.ts): no quoting needed.
  if (rowCount === 0) await client.query(`CREATE SCHEMA ${schema}`);
}
