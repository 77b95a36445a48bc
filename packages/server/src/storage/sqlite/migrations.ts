/**
 * Versioned schema migrations for the SQLite storage, applied in order, each in its own
 * transaction, and recorded in `schema_migrations`. Append new entries; never edit one that
 * has shipped. The SQL sticks to plain, portable types and syntax (TEXT, BIGINT, CHECK); the
 * PostgreSQL storage (`../postgres/migrations.ts`) keeps its own list with the same versions.
 */

/** One schema step. */
export interface Migration {
  /** Strictly increasing, starting at 1. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every migration, in order. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'applications, signing keys, change log',
    sql: `
      CREATE TABLE applications (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        secret_hash TEXT NOT NULL,
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
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
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
    // Not part of the change log: a process row is about the process, not about the data it serves.
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
];
