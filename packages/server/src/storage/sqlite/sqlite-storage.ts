import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { rotated, withoutSecret } from '../application-secrets.js';
import type {
  ApiKeyRecord,
  ApplicationPatch,
  ApplicationRecord,
  ApplicationStatus,
  AuditEntry,
  AuditQuery,
  AuditRecord,
  ChangeEntity,
  ChangeRecord,
  NewApplicationRecord,
  PreviousSecretRecord,
  RevokedTokenRecord,
  SecretRevocationResult,
  SecretRotation,
  SecretRotationResult,
  SecretUse,
  ServerProcessRecord,
  SigningKeyRecord,
  Storage,
  StorageOptions,
  TokenExpiration,
  TokenRevocation,
} from '../types.js';
import { DatabaseBusyError } from '../types.js';
import { MIGRATIONS } from './migrations.js';

/** The `server_settings` row of the pepper fingerprint (migration 5). */
const PEPPER_FINGERPRINT = 'pepper_fingerprint';

/** Change-log entries older than this are pruned on write; followers poll every ~250 ms. */
const CHANGE_LOG_RETENTION_MS = 24 * 60 * 60 * 1000;

interface ApplicationRow {
  id: string;
  name: string;
  secret_hash: string;
  scopes: string;
  token_expiration: TokenExpiration;
  status: ApplicationStatus;
  created_at: number;
  updated_at: number;
  tokens_not_before: number | null;
  secret_hint: string | null;
  number: number;
  secret_id: string;
  secret_created_at: number | null;
  secret_last_used_at: number | null;
  previous_secret_id: string | null;
  previous_secret_hash: string | null;
  previous_secret_hint: string | null;
  previous_secret_created_at: number | null;
  previous_secret_expires_at: number | null;
  previous_secret_last_used_at: number | null;
}

/** The columns of an application, in the order of {@link RawApplicationRow}. */
const APPLICATION_COLUMNS = `id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at,
  tokens_not_before, secret_hint, number, secret_id, secret_created_at, secret_last_used_at, previous_secret_id,
  previous_secret_hash, previous_secret_hint, previous_secret_created_at, previous_secret_expires_at,
  previous_secret_last_used_at`;

type RawApplicationRow = [
  string,
  string,
  string,
  string,
  TokenExpiration,
  ApplicationStatus,
  number,
  number,
  number | null,
  string | null,
  number,
  string,
  number | null,
  number | null,
  string | null,
  string | null,
  string | null,
  number | null,
  number | null,
  number | null,
];

/** How long the background write of secrets' last use waits for another process's write lock. */
const SECRET_USE_BUSY_TIMEOUT_MS = 0;

interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

interface RevokedTokenRow {
  jti: string;
  application_id: string;
  expires_at: number | null;
  revoked_at: number;
}

/**
 * How long a write waits for another process's write lock by default (the server and the admin
 * CLI share the file); a server opens its storage with a shorter bound (`StorageOptions.lockWaitMs`).
 */
const BUSY_TIMEOUT_MS = 5000;
/** The longest wait of a server process's heartbeat, which runs on the request thread: see bookkeeping. */
const HEARTBEAT_BUSY_TIMEOUT_MS = 100;

interface ProcessRow {
  id: string;
  label: string;
  applied_seq: number;
  heartbeat_at: number;
}

interface ChangeRow {
  seq: number;
  entity: ChangeEntity;
  entity_id: string;
}

function fromRawRow([
  id,
  name,
  secretHash,
  scopes,
  tokenExpiration,
  status,
  createdAt,
  updatedAt,
  tokensNotBefore,
  secretHint,
  number,
  secretId,
  secretCreatedAt,
  secretLastUsedAt,
  previousId,
  previousHash,
  previousHint,
  previousCreatedAt,
  previousExpiresAt,
  previousLastUsedAt,
]: RawApplicationRow): ApplicationRecord {
  return toApplication({
    id,
    name,
    secret_hash: secretHash,
    scopes,
    token_expiration: tokenExpiration,
    status,
    created_at: createdAt,
    updated_at: updatedAt,
    tokens_not_before: tokensNotBefore,
    secret_hint: secretHint,
    number,
    secret_id: secretId,
    secret_created_at: secretCreatedAt,
    secret_last_used_at: secretLastUsedAt,
    previous_secret_id: previousId,
    previous_secret_hash: previousHash,
    previous_secret_hint: previousHint,
    previous_secret_created_at: previousCreatedAt,
    previous_secret_expires_at: previousExpiresAt,
    previous_secret_last_used_at: previousLastUsedAt,
  });
}

function toApplication(row: ApplicationRow): ApplicationRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: Buffer.from(row.secret_hash, 'hex'),
    scopes: row.scopes === '' ? [] : row.scopes.split(' '),
    tokenExpiration: row.token_expiration,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    tokensNotBefore: row.tokens_not_before,
    secretHint: row.secret_hint,
    number: row.number,
    secretId: row.secret_id,
    secretCreatedAt: row.secret_created_at,
    secretLastUsedAt: row.secret_last_used_at,
    previousSecret: toPreviousSecret(row),
  };
}

function toPreviousSecret(row: ApplicationRow): PreviousSecretRecord | null {
  if (row.previous_secret_id === null || row.previous_secret_hash === null) return null;
  return {
    id: row.previous_secret_id,
    hash: Buffer.from(row.previous_secret_hash, 'hex'),
    hint: row.previous_secret_hint,
    createdAt: row.previous_secret_created_at,
    expiresAt: row.previous_secret_expires_at ?? 0,
    lastUsedAt: row.previous_secret_last_used_at,
  };
}

/** The secret columns of `application`, as named parameters. */
function secretColumns(application: NewApplicationRecord): Record<string, unknown> {
  const previous = application.previousSecret;
  return {
    secret_hash: application.secretHash.toString('hex'),
    secret_hint: application.secretHint,
    secret_id: application.secretId,
    secret_created_at: application.secretCreatedAt,
    secret_last_used_at: application.secretLastUsedAt,
    previous_secret_id: previous?.id ?? null,
    previous_secret_hash: previous?.hash.toString('hex') ?? null,
    previous_secret_hint: previous?.hint ?? null,
    previous_secret_created_at: previous?.createdAt ?? null,
    previous_secret_expires_at: previous?.expiresAt ?? null,
    previous_secret_last_used_at: previous?.lastUsedAt ?? null,
  };
}

interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  hint: string;
  created_at: number;
  revoked_at: number | null;
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    keyHash: Buffer.from(row.key_hash, 'hex'),
    hint: row.hint,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

interface AuditRow {
  seq: number;
  at: number;
  actor: string;
  action: string;
  target_type: AuditEntry['targetType'];
  target_id: string;
  request_id: string | null;
  details: string;
}

function toAudit(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    actor: JSON.parse(row.actor) as AuditRecord['actor'],
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    requestId: row.request_id,
    details: JSON.parse(row.details) as AuditRecord['details'],
  };
}

function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateKeyEncrypted: row.private_key_encrypted,
    createdAt: row.created_at,
    activatesAt: row.activates_at,
    retiredAt: row.retired_at,
  };
}

function toRevokedToken(row: RevokedTokenRow): RevokedTokenRecord {
  return {
    jti: row.jti,
    applicationId: row.application_id,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

/**
 * Opens (creating the file and its folder if needed) a SQLite database in WAL mode and
 * brings its schema up to date. A new database file is created with mode 0600 (owner only),
 * and SQLite gives its `-wal` and `-shm` files the same mode.
 *
 * Every data write (applications, keys, revocations, API keys, audit) is durable once it
 * returns, even on power loss: `synchronous = FULL` syncs the WAL at each commit. Only the
 * process table's heartbeats and the secrets' last use, which a crash makes stale anyway, are
 * written with `NORMAL`.
 *
 * @param path - database file, e.g. `./data/smscx-oauth.db`
 * @param options - `lockWaitMs`: how long a write waits for another process's write lock
 *   (default 5000 ms) before it fails with {@link DatabaseBusyError}
 */
export function openSqliteStorage(path: string, options: StorageOptions = {}): Storage {
  if (path !== ':memory:' && path !== '') {
    mkdirSync(dirname(path), { recursive: true });
    createOwnerOnly(path);
  }
  const lockWaitMs = options.lockWaitMs ?? BUSY_TIMEOUT_MS;
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    // The server and the admin CLI write to the same file; wait for the lock instead of failing.
    db.pragma(`busy_timeout = ${lockWaitMs}`);
    db.pragma('synchronous = FULL');
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStorage(db, lockWaitMs);
}

/**
 * Creates the empty database file with mode 0600 before SQLite would create it with the umask's
 * mode (usually 0644); SQLite then gives its `-wal` and `-shm` files the same mode. An existing
 * file is left as it is (mode included), even on a read-only mount.
 */
function createOwnerOnly(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/** A SQLITE_BUSY failure (the lock wait ran out) as a {@link DatabaseBusyError}; anything else as is. */
function busyAsError(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY')
    ? new DatabaseBusyError({ cause: error })
    : error;
}

function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
  )`);
  // Every migration not recorded yet, as PostgreSQL does (not only those above the highest one).
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  for (const migration of MIGRATIONS) {
    if (applied.has(migration.version)) continue;
    db.transaction(() => {
      // Re-check inside the write lock: another process may have migrated meanwhile.
      const done = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (done !== undefined) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }).immediate();
  }
}

class SqliteStorage implements Storage {
  private readonly db: Database.Database;
  private readonly lockWaitMs: number;
  private readonly statements;
  /** The last empty {@link changesSince} answer: the data_version it saw and its `after`. */
  private emptySince: { version: number; after: number } | undefined;

  constructor(db: Database.Database, lockWaitMs: number) {
    this.db = db;
    this.lockWaitMs = lockWaitMs;
    this.statements = {
      insertApplication: db.prepare(
        `INSERT INTO applications (${APPLICATION_COLUMNS})
         VALUES (@id, @name, @secret_hash, @scopes, @token_expiration, @status, @created_at, @updated_at,
           @tokens_not_before, @secret_hint, @number, @secret_id, @secret_created_at, @secret_last_used_at,
           @previous_secret_id, @previous_secret_hash, @previous_secret_hint, @previous_secret_created_at,
           @previous_secret_expires_at, @previous_secret_last_used_at)`,
      ),
      // Reserves `count` numbers; returns the last one.
      reserveNumbers: db
        .prepare("UPDATE sequences SET value = value + ? WHERE name = 'application' RETURNING value")
        .pluck(),
      getApplication: db.prepare('SELECT * FROM applications WHERE id = ?'),
      // Raw rows in insertion (rowid) order: no sort and no per-row column objects, which
      // matters when the server loads 100,000 applications at start.
      listApplications: db.prepare(`SELECT ${APPLICATION_COLUMNS} FROM applications ORDER BY number`).raw(),
      countApplications: db.prepare('SELECT COUNT(*) AS n FROM applications'),
      hasApplications: db.prepare('SELECT EXISTS (SELECT 1 FROM applications) AS found'),
      updateApplication: db.prepare(
        `UPDATE applications SET name = @name, scopes = @scopes,
           token_expiration = @token_expiration, status = @status, updated_at = @updated_at,
           tokens_not_before = @tokens_not_before
         WHERE id = @id`,
      ),
      // Every secret column: a rotation or a secret's revocation.
      updateSecrets: db.prepare(
        `UPDATE applications SET secret_hash = @secret_hash, secret_hint = @secret_hint, secret_id = @secret_id,
           secret_created_at = @secret_created_at, secret_last_used_at = @secret_last_used_at,
           previous_secret_id = @previous_secret_id, previous_secret_hash = @previous_secret_hash,
           previous_secret_hint = @previous_secret_hint, previous_secret_created_at = @previous_secret_created_at,
           previous_secret_expires_at = @previous_secret_expires_at,
           previous_secret_last_used_at = @previous_secret_last_used_at, updated_at = @updated_at
         WHERE id = @id`,
      ),
      // A last use only moves forward, and only for a secret the application still has.
      recordSecretUse: db.prepare(
        `UPDATE applications SET
           secret_last_used_at = CASE WHEN secret_id = @secret_id
             THEN MAX(COALESCE(secret_last_used_at, 0), @used_at) ELSE secret_last_used_at END,
           previous_secret_last_used_at = CASE WHEN previous_secret_id = @secret_id
             THEN MAX(COALESCE(previous_secret_last_used_at, 0), @used_at) ELSE previous_secret_last_used_at END
         WHERE id = @application_id AND (secret_id = @secret_id OR previous_secret_id = @secret_id)`,
      ),
      deleteApplication: db.prepare('DELETE FROM applications WHERE id = ?'),
      deleteApplicationRevocations: db.prepare('DELETE FROM revoked_tokens WHERE application_id = ?'),
      // ON CONFLICT ... DO NOTHING: revoking a token twice is not an error (the second adds nothing).
      insertRevokedToken: db.prepare(
        `INSERT INTO revoked_tokens (jti, application_id, expires_at, revoked_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (jti) DO NOTHING`,
      ),
      getRevokedToken: db.prepare(
        'SELECT jti, application_id, expires_at, revoked_at FROM revoked_tokens WHERE jti = ?',
      ),
      listRevokedTokens: db.prepare(
        `SELECT jti, application_id, expires_at, revoked_at FROM revoked_tokens
         WHERE expires_at IS NULL OR expires_at >= ? ORDER BY revoked_at, jti`,
      ),
      pruneRevokedTokens: db.prepare(
        'DELETE FROM revoked_tokens WHERE expires_at IS NOT NULL AND expires_at < ?',
      ),
      listSigningKeys: db.prepare('SELECT * FROM signing_keys ORDER BY created_at DESC, kid'),
      // A key still waiting for its activation at the rotation's instant never signs.
      retirePendingSigningKeys: db.prepare(
        `UPDATE signing_keys SET retired_at = @now
         WHERE activates_at > @now AND (retired_at IS NULL OR retired_at > @now)`,
      ),
      // The key signing at the rotation's instant signs until its successor activates.
      retireSigningKeys: db.prepare(
        `UPDATE signing_keys SET retired_at = @activatesAt
         WHERE activates_at <= @now AND (retired_at IS NULL OR retired_at > @now)`,
      ),
      insertSigningKey: db.prepare(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_encrypted, created_at, activates_at, retired_at)
         VALUES (?, ?, ?, ?, ?, ?, NULL)`,
      ),
      pruneSigningKeys: db.prepare(
        'DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < ?',
      ),
      appendChange: db.prepare('INSERT INTO change_log (entity, entity_id, changed_at) VALUES (?, ?, ?)'),
      pruneChanges: db.prepare('DELETE FROM change_log WHERE changed_at < ?'),
      latestChange: db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM change_log'),
      dataVersion: db.prepare('PRAGMA data_version').pluck(),
      changesSince: db.prepare(
        'SELECT seq, entity, entity_id FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?',
      ),
      // A re-registration (relabel) keeps registered_at: the listing order stays stable.
      registerProcess: db.prepare(
        `INSERT INTO server_processes (id, label, applied_seq, heartbeat_at, registered_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET label = excluded.label, applied_seq = excluded.applied_seq,
           heartbeat_at = excluded.heartbeat_at`,
      ),
      reportProcess: db.prepare('UPDATE server_processes SET applied_seq = ?, heartbeat_at = ? WHERE id = ?'),
      unregisterProcess: db.prepare('DELETE FROM server_processes WHERE id = ?'),
      listProcesses: db.prepare(
        `SELECT id, label, applied_seq, heartbeat_at FROM server_processes
         WHERE heartbeat_at >= ? ORDER BY registered_at, id`,
      ),
      pruneProcesses: db.prepare('DELETE FROM server_processes WHERE heartbeat_at < ?'),
      insertApiKey: db.prepare(
        `INSERT INTO api_keys (id, name, key_hash, hint, created_at, revoked_at)
         VALUES (@id, @name, @key_hash, @hint, @created_at, @revoked_at)`,
      ),
      getApiKey: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
      listApiKeys: db.prepare('SELECT * FROM api_keys ORDER BY created_at DESC, id'),
      revokeApiKey: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      insertAudit: db.prepare(
        `INSERT INTO audit_log (at, actor, action, target_type, target_id, request_id, details)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      listAudit: db.prepare('SELECT * FROM audit_log WHERE seq < ? AND at >= ? ORDER BY seq DESC LIMIT ?'),
      getSetting: db.prepare('SELECT value FROM server_settings WHERE name = ?').pluck(),
      insertSetting: db.prepare(
        'INSERT INTO server_settings (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
      ),
    };
  }

  /**
   * Runs `work` in an IMMEDIATE transaction (the write lock taken up front, waited for at most
   * the lock wait); a wait that runs out throws {@link DatabaseBusyError}.
   */
  private write<T>(work: () => T): T {
    try {
      return this.db.transaction(work).immediate();
    } catch (error) {
      throw busyAsError(error);
    }
  }

  /** Runs one write statement outside a transaction (see {@link write}). */
  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (error) {
      throw busyAsError(error);
    }
  }

  private recordAudit(entry: AuditEntry | undefined): void {
    if (entry === undefined) return;
    this.statements.insertAudit.run(
      entry.at,
      JSON.stringify(entry.actor),
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.requestId,
      JSON.stringify(entry.details),
    );
  }

  private recordChange(entity: ChangeEntity, entityId: string, now: number): void {
    this.emptySince = undefined;
    const { lastInsertRowid } = this.statements.appendChange.run(entity, entityId, now);
    // Pruning on every write would double the cost of bulk creation; every 256th is plenty.
    if (BigInt(lastInsertRowid) % 256n === 0n)
      this.statements.pruneChanges.run(now - CHANGE_LOG_RETENTION_MS);
  }

  async createApplication(application: NewApplicationRecord, audit?: AuditEntry): Promise<ApplicationRecord> {
    return this.write((): ApplicationRecord => {
      const number = this.statements.reserveNumbers.get(1) as number;
      this.insertApplication(application, number);
      this.recordAudit(audit);
      return { ...application, number };
    });
  }

  async createApplications(applications: readonly NewApplicationRecord[], audit?: AuditEntry): Promise<void> {
    this.write(() => {
      const last = this.statements.reserveNumbers.get(applications.length) as number;
      let number = last - applications.length;
      for (const application of applications) this.insertApplication(application, ++number);
      this.recordAudit(audit);
    });
  }

  private insertApplication(application: NewApplicationRecord, number: number): void {
    this.statements.insertApplication.run({
      id: application.id,
      name: application.name,
      scopes: application.scopes.join(' '),
      token_expiration: application.tokenExpiration,
      status: application.status,
      created_at: application.createdAt,
      updated_at: application.updatedAt,
      tokens_not_before: application.tokensNotBefore,
      number,
      ...secretColumns(application),
    });
    this.recordChange('application', application.id, application.updatedAt);
  }

  async getApplication(id: string): Promise<ApplicationRecord | null> {
    const row = this.statements.getApplication.get(id) as ApplicationRow | undefined;
    return row === undefined ? null : toApplication(row);
  }

  async listApplications(): Promise<ApplicationRecord[]> {
    const rows = this.statements.listApplications.all() as RawApplicationRow[];
    return rows.map(fromRawRow);
  }

  async forEachApplication(visit: (application: ApplicationRecord) => void): Promise<void> {
    for (const row of this.statements.listApplications.iterate() as IterableIterator<RawApplicationRow>) {
      visit(fromRawRow(row));
    }
  }

  async countApplications(): Promise<number> {
    return (this.statements.countApplications.get() as { n: number }).n;
  }

  async hasApplications(): Promise<boolean> {
    return (this.statements.hasApplications.get() as { found: number }).found === 1;
  }

  async updateApplication(
    id: string,
    patch: ApplicationPatch,
    now: number = Date.now(),
    audit?: AuditEntry,
  ): Promise<ApplicationRecord | null> {
    return this.write((): ApplicationRecord | null => {
      const row = this.statements.getApplication.get(id) as ApplicationRow | undefined;
      if (row === undefined) return null;
      const current = toApplication(row);
      const next: ApplicationRecord = {
        ...current,
        ...patch,
        updatedAt: now,
      };
      this.statements.updateApplication.run({
        id,
        name: next.name,
        scopes: next.scopes.join(' '),
        token_expiration: next.tokenExpiration,
        status: next.status,
        updated_at: next.updatedAt,
        tokens_not_before: next.tokensNotBefore,
      });
      this.recordChange('application', id, now);
      this.recordAudit(audit);
      return next;
    });
  }

  async rotateApplicationSecret(
    id: string,
    rotation: SecretRotation,
    audit?: AuditEntry,
  ): Promise<SecretRotationResult> {
    return this.write((): SecretRotationResult => {
      const row = this.statements.getApplication.get(id) as ApplicationRow | undefined;
      if (row === undefined) return { outcome: 'not_found' };
      const current = toApplication(row);
      const next = rotated(current, rotation);
      if (next === undefined) return { outcome: 'two_secrets', application: current };
      this.statements.updateSecrets.run({ id, updated_at: next.updatedAt, ...secretColumns(next) });
      this.recordChange('application', id, rotation.now);
      this.recordAudit(audit);
      return { outcome: 'rotated', application: next };
    });
  }

  async revokeApplicationSecret(
    id: string,
    secretId: string,
    now: number,
    audit?: AuditEntry,
  ): Promise<SecretRevocationResult> {
    return this.write((): SecretRevocationResult => {
      const row = this.statements.getApplication.get(id) as ApplicationRow | undefined;
      if (row === undefined) return { outcome: 'not_found' };
      const result = withoutSecret(toApplication(row), secretId, now);
      if (result.outcome !== 'revoked') return result;
      const next = result.application;
      this.statements.updateSecrets.run({ id, updated_at: next.updatedAt, ...secretColumns(next) });
      this.recordChange('application', id, now);
      this.recordAudit(audit);
      return result;
    });
  }

  async recordSecretUse(uses: readonly SecretUse[]): Promise<void> {
    if (uses.length === 0) return;
    this.bookkeeping(
      () =>
        this.db
          .transaction(() => {
            for (const use of uses) {
              this.statements.recordSecretUse.run({
                application_id: use.applicationId,
                secret_id: use.secretId,
                used_at: use.usedAt,
              });
            }
          })
          .immediate(),
      SECRET_USE_BUSY_TIMEOUT_MS,
    );
  }

  async deleteApplication(id: string, audit?: AuditEntry): Promise<boolean> {
    return this.write((): boolean => {
      const result = this.statements.deleteApplication.run(id);
      if (result.changes === 0) return false;
      this.statements.deleteApplicationRevocations.run(id);
      this.recordChange('application', id, Date.now());
      this.recordAudit(audit);
      return true;
    });
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (this.statements.listSigningKeys.all() as SigningKeyRow[]).map(toSigningKey);
  }

  async rotateSigningKey(key: SigningKeyRecord, audit?: AuditEntry): Promise<void> {
    this.write(() => {
      this.statements.retirePendingSigningKeys.run({ now: key.createdAt });
      this.statements.retireSigningKeys.run({ now: key.createdAt, activatesAt: key.activatesAt });
      this.statements.insertSigningKey.run(
        key.kid,
        key.alg,
        key.publicJwk,
        key.privateKeyEncrypted,
        key.createdAt,
        key.activatesAt,
      );
      this.recordChange('signing_key', key.kid, key.createdAt);
      this.recordAudit(audit);
    });
  }

  async pruneSigningKeys(cutoff: number): Promise<number> {
    return this.write((): number => {
      const { changes } = this.statements.pruneSigningKeys.run(cutoff);
      if (changes > 0) this.recordChange('signing_key', '*', Date.now());
      return changes;
    });
  }

  async revokeToken(revocation: TokenRevocation, now: number = Date.now()): Promise<boolean> {
    return this.write((): boolean => {
      const { changes } = this.statements.insertRevokedToken.run(
        revocation.jti,
        revocation.applicationId,
        revocation.expiresAt,
        now,
      );
      if (changes === 0) return false;
      this.recordChange('revoked_token', revocation.jti, now);
      return true;
    });
  }

  async getRevokedToken(jti: string): Promise<RevokedTokenRecord | null> {
    const row = this.statements.getRevokedToken.get(jti) as RevokedTokenRow | undefined;
    return row === undefined ? null : toRevokedToken(row);
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    return this.statements.getRevokedToken.get(jti) !== undefined;
  }

  async listRevokedTokens(now: number = Date.now()): Promise<RevokedTokenRecord[]> {
    return (this.statements.listRevokedTokens.all(now) as RevokedTokenRow[]).map(toRevokedToken);
  }

  async pruneRevokedTokens(before: number): Promise<number> {
    // Nothing to log: an expired token is inactive with or without its entry.
    return this.run(() => this.statements.pruneRevokedTokens.run(before).changes);
  }

  async createApiKey(key: ApiKeyRecord, audit?: AuditEntry): Promise<void> {
    this.write(() => {
      this.statements.insertApiKey.run({
        id: key.id,
        name: key.name,
        key_hash: key.keyHash.toString('hex'),
        hint: key.hint,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
      });
      this.recordAudit(audit);
    });
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = this.statements.getApiKey.get(id) as ApiKeyRow | undefined;
    return row === undefined ? null : toApiKey(row);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.statements.listApiKeys.all() as ApiKeyRow[]).map(toApiKey);
  }

  async revokeApiKey(id: string, now: number, audit?: AuditEntry): Promise<ApiKeyRecord | null> {
    return this.write((): ApiKeyRecord | null => {
      if (this.statements.revokeApiKey.run(now, id).changes > 0) this.recordAudit(audit);
      const row = this.statements.getApiKey.get(id) as ApiKeyRow | undefined;
      return row === undefined ? null : toApiKey(row);
    });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.run(() => this.recordAudit(entry));
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const rows = this.statements.listAudit.all(
      query.before ?? Number.MAX_SAFE_INTEGER,
      query.since ?? 0,
      query.limit,
    ) as AuditRow[];
    return rows.map(toAudit);
  }

  async latestChange(): Promise<number> {
    return (this.statements.latestChange.get() as { seq: number }).seq;
  }

  async changesSince(after: number, limit = 1000): Promise<ChangeRecord[]> {
    // A follower asks this 20 times a second and the answer is nearly always "nothing". SQLite's
    // data_version moves whenever another connection commits (this one's own writes reset the
    // memo in recordChange), so an unchanged version after an empty answer is still empty.
    const version = this.statements.dataVersion.get() as number;
    if (version === this.emptySince?.version && after >= this.emptySince.after) return [];
    const rows = this.statements.changesSince.all(after, limit) as ChangeRow[];
    this.emptySince = rows.length === 0 ? { version, after } : undefined;
    return rows.map((row) => ({ seq: row.seq, entity: row.entity, entityId: row.entity_id }));
  }

  async registerProcess(
    process: { id: string; label: string; appliedSeq: number },
    now: number = Date.now(),
  ): Promise<void> {
    this.bookkeeping(() =>
      this.statements.registerProcess.run(process.id, process.label, process.appliedSeq, now, now),
    );
  }

  async reportProcess(id: string, appliedSeq: number, now: number = Date.now()): Promise<void> {
    this.bookkeeping(() => this.statements.reportProcess.run(appliedSeq, now, id), HEARTBEAT_BUSY_TIMEOUT_MS);
  }

  /**
   * Runs a bookkeeping write (the process table, secrets' last use): with `synchronous = NORMAL`
   * (a heartbeat or a last use lost to a power cut is stale anyway; syncing two a second would
   * stall the request thread for nothing) and,
   * with `lockWaitMs`, a shorter lock wait than the connection's. A heartbeat runs on the request
   * thread on its own schedule: better-sqlite3 waits synchronously, so a long wait for another
   * process's write lock would stall every request of this process. Busy, it throws
   * {@link DatabaseBusyError} and the caller tries again on its next beat.
   */
  private bookkeeping(write: () => void, lockWaitMs?: number): void {
    const wait = lockWaitMs === undefined ? undefined : Math.min(lockWaitMs, this.lockWaitMs);
    if (wait !== undefined) this.db.pragma(`busy_timeout = ${wait}`);
    this.db.pragma('synchronous = NORMAL');
    try {
      write();
    } catch (error) {
      throw busyAsError(error);
    } finally {
      this.db.pragma('synchronous = FULL');
      if (wait !== undefined) this.db.pragma(`busy_timeout = ${this.lockWaitMs}`);
    }
  }

  async unregisterProcess(id: string): Promise<void> {
    this.bookkeeping(() => this.statements.unregisterProcess.run(id));
  }

  async listProcesses(since: number): Promise<ServerProcessRecord[]> {
    const rows = this.statements.listProcesses.all(since) as ProcessRow[];
    return rows.map((row) => ({
      id: row.id,
      label: row.label,
      appliedSeq: row.applied_seq,
      heartbeatAt: row.heartbeat_at,
    }));
  }

  async pruneProcesses(before: number): Promise<number> {
    let pruned = 0;
    this.bookkeeping(() => {
      pruned = this.statements.pruneProcesses.run(before).changes;
    });
    return pruned;
  }

  async subscribeChanges(_listener: () => void): Promise<undefined> {
    // SQLite has no way to wake another process: followers poll the change log.
    return undefined;
  }

  async getPepperFingerprint(): Promise<Buffer | null> {
    const value = this.statements.getSetting.get(PEPPER_FINGERPRINT) as string | undefined;
    return value === undefined ? null : Buffer.from(value, 'hex');
  }

  async recordPepperFingerprint(fingerprint: Buffer, now: number = Date.now()): Promise<Buffer> {
    return this.write((): Buffer => {
      this.statements.insertSetting.run(PEPPER_FINGERPRINT, fingerprint.toString('hex'), now);
      return Buffer.from(this.statements.getSetting.get(PEPPER_FINGERPRINT) as string, 'hex');
    });
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
