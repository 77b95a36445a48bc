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
  {
    version: 4,
    name: 'application numbers and secret hints, API keys, audit log',
    // Existing applications are numbered in creation (rowid) order; `sequences` hands out the
    // next numbers, never reusing one (a rowid would come back after deleting the newest row).
    sql: `
      ALTER TABLE applications ADD COLUMN number INTEGER;
      ALTER TABLE applications ADD COLUMN secret_hint TEXT;
      UPDATE applications SET number = rowid;
      CREATE UNIQUE INDEX applications_number ON applications (number);
      CREATE TABLE sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO sequences (name, value) VALUES ('application', (SELECT COALESCE(MAX(number), 0) FROM applications));
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL,
        hint TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
      );
      CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT NOT NULL,
        request_id TEXT,
        details TEXT NOT NULL
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
    // The current secret keeps its columns (secret_hash, secret_hint) and gains an ID, its
    // creation time and its last use; the previous secret (at most one: rotate-secret --grace)
    // works until previous_secret_expires_at. An existing secret becomes the current one with a
    // new ID; its creation time is its latest audited rotation, else the application's creation
    // when it has a hint (made since migration 4, so audited), else unknown (NULL).
    sql: `
      ALTER TABLE applications ADD COLUMN secret_id TEXT;
      ALTER TABLE applications ADD COLUMN secret_created_at BIGINT;
      ALTER TABLE applications ADD COLUMN secret_last_used_at BIGINT;
      ALTER TABLE applications ADD COLUMN previous_secret_id TEXT;
      ALTER TABLE applications ADD COLUMN previous_secret_hash TEXT;
      ALTER TABLE applications ADD COLUMN previous_secret_hint TEXT;
      ALTER TABLE applications ADD COLUMN previous_secret_created_at BIGINT;
      ALTER TABLE applications ADD COLUMN previous_secret_expires_at BIGINT;
      ALTER TABLE applications ADD COLUMN previous_secret_last_used_at BIGINT;
      UPDATE applications SET
        secret_id = 'sc_' || lower(hex(randomblob(6))),
        secret_created_at = COALESCE(
          (SELECT MAX(at) FROM audit_log
            WHERE action = 'application.rotate_secret' AND target_type = 'application' AND target_id = applications.id),
          CASE WHEN secret_hint IS NOT NULL THEN created_at END
        );
    `,
  },
  {
    version: 7,
    name: 'signing keys announced before use (activates_at)',
    // A key signs from activates_at on; until then it is only published (keys rotate
    // --publish-ahead). Existing keys signed from their creation.
    sql: `
      ALTER TABLE signing_keys ADD COLUMN activates_at BIGINT NOT NULL DEFAULT 0;
      UPDATE signing_keys SET activates_at = created_at;
    `,
  },
];
