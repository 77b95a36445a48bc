import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
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
  RevokedTokenRecord,
  ServerProcessRecord,
  SigningKeyRecord,
  Storage,
  TokenExpiration,
  TokenRevocation,
} from '../types.js';
import { MIGRATIONS } from './migrations.js';

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
}

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
];

interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  retired_at: number | null;
}

interface RevokedTokenRow {
  jti: string;
  application_id: string;
  expires_at: number | null;
  revoked_at: number;
}

/** How long a write waits for another process's write lock (the server and the admin CLI share the file). */
const BUSY_TIMEOUT_MS = 5000;
/** The same for a server process's heartbeat, which runs on the request thread: see withShortBusyTimeout. */
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
 * brings its schema up to date.
 *
 * @param path - database file, e.g. `./data/smscx-oauth.db`
 */
export function openSqliteStorage(path: string): Storage {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // The server and the admin CLI write to the same file; wait for the lock instead of failing.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('synchronous = NORMAL');
  migrate(db);
  return new SqliteStorage(db);
}

function migrate(db: Database.Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at BIGINT NOT NULL
  )`);
  const applied = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as {
    version: number | null;
  };
  const current = applied.version ?? 0;
  for (const migration of MIGRATIONS) {
    if (migration.version <= current) continue;
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
  private readonly statements;
  /** The last empty {@link changesSince} answer: the data_version it saw and its `after`. */
  private emptySince: { version: number; after: number } | undefined;

  constructor(db: Database.Database) {
    this.db = db;
    this.statements = {
      insertApplication: db.prepare(
        `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before, secret_hint, number)
         VALUES (@id, @name, @secret_hash, @scopes, @token_expiration, @status, @created_at, @updated_at, @tokens_not_before, @secret_hint, @number)`,
      ),
      // Reserves `count` numbers; returns the last one.
      reserveNumbers: db
        .prepare("UPDATE sequences SET value = value + ? WHERE name = 'application' RETURNING value")
        .pluck(),
      getApplication: db.prepare('SELECT * FROM applications WHERE id = ?'),
      // Raw rows in insertion (rowid) order: no sort and no per-row column objects, which
      // matters when the server loads 100,000 applications at start.
      listApplications: db
        .prepare(
          `SELECT id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before, secret_hint, number
           FROM applications ORDER BY number`,
        )
        .raw(),
      countApplications: db.prepare('SELECT COUNT(*) AS n FROM applications'),
      hasApplications: db.prepare('SELECT EXISTS (SELECT 1 FROM applications) AS found'),
      updateApplication: db.prepare(
        `UPDATE applications SET name = @name, secret_hash = @secret_hash, scopes = @scopes,
           token_expiration = @token_expiration, status = @status, updated_at = @updated_at,
           tokens_not_before = @tokens_not_before, secret_hint = @secret_hint
         WHERE id = @id`,
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
      retireSigningKeys: db.prepare('UPDATE signing_keys SET retired_at = ? WHERE retired_at IS NULL'),
      insertSigningKey: db.prepare(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_encrypted, created_at, retired_at)
         VALUES (?, ?, ?, ?, ?, NULL)`,
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
    };
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
    return this.db
      .transaction((): ApplicationRecord => {
        const number = this.statements.reserveNumbers.get(1) as number;
        this.insertApplication(application, number);
        this.recordAudit(audit);
        return { ...application, number };
      })
      .immediate();
  }

  async createApplications(applications: readonly NewApplicationRecord[], audit?: AuditEntry): Promise<void> {
    this.db
      .transaction(() => {
        const last = this.statements.reserveNumbers.get(applications.length) as number;
        let number = last - applications.length;
        for (const application of applications) this.insertApplication(application, ++number);
        this.recordAudit(audit);
      })
      .immediate();
  }

  private insertApplication(application: NewApplicationRecord, number: number): void {
    this.statements.insertApplication.run({
      id: application.id,
      name: application.name,
      secret_hash: application.secretHash.toString('hex'),
      scopes: application.scopes.join(' '),
      token_expiration: application.tokenExpiration,
      status: application.status,
      created_at: application.createdAt,
      updated_at: application.updatedAt,
      tokens_not_before: application.tokensNotBefore,
      secret_hint: application.secretHint,
      number,
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
    return this.db
      .transaction((): ApplicationRecord | null => {
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
          secret_hash: next.secretHash.toString('hex'),
          scopes: next.scopes.join(' '),
          token_expiration: next.tokenExpiration,
          status: next.status,
          updated_at: next.updatedAt,
          tokens_not_before: next.tokensNotBefore,
          secret_hint: next.secretHint,
        });
        this.recordChange('application', id, now);
        this.recordAudit(audit);
        return next;
      })
      .immediate();
  }

  async deleteApplication(id: string, audit?: AuditEntry): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        const result = this.statements.deleteApplication.run(id);
        if (result.changes === 0) return false;
        this.statements.deleteApplicationRevocations.run(id);
        this.recordChange('application', id, Date.now());
        this.recordAudit(audit);
        return true;
      })
      .immediate();
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return (this.statements.listSigningKeys.all() as SigningKeyRow[]).map(toSigningKey);
  }

  async rotateSigningKey(key: SigningKeyRecord, audit?: AuditEntry): Promise<void> {
    this.db
      .transaction(() => {
        this.statements.retireSigningKeys.run(key.createdAt);
        this.statements.insertSigningKey.run(
          key.kid,
          key.alg,
          key.publicJwk,
          key.privateKeyEncrypted,
          key.createdAt,
        );
        this.recordChange('signing_key', key.kid, key.createdAt);
        this.recordAudit(audit);
      })
      .immediate();
  }

  async pruneSigningKeys(cutoff: number): Promise<number> {
    return this.db
      .transaction((): number => {
        const { changes } = this.statements.pruneSigningKeys.run(cutoff);
        if (changes > 0) this.recordChange('signing_key', '*', Date.now());
        return changes;
      })
      .immediate();
  }

  async revokeToken(revocation: TokenRevocation, now: number = Date.now()): Promise<boolean> {
    return this.db
      .transaction((): boolean => {
        const { changes } = this.statements.insertRevokedToken.run(
          revocation.jti,
          revocation.applicationId,
          revocation.expiresAt,
          now,
        );
        if (changes === 0) return false;
        this.recordChange('revoked_token', revocation.jti, now);
        return true;
      })
      .immediate();
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
    return this.statements.pruneRevokedTokens.run(before).changes;
  }

  async createApiKey(key: ApiKeyRecord, audit?: AuditEntry): Promise<void> {
    this.db
      .transaction(() => {
        this.statements.insertApiKey.run({
          id: key.id,
          name: key.name,
          key_hash: key.keyHash.toString('hex'),
          hint: key.hint,
          created_at: key.createdAt,
          revoked_at: key.revokedAt,
        });
        this.recordAudit(audit);
      })
      .immediate();
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const row = this.statements.getApiKey.get(id) as ApiKeyRow | undefined;
    return row === undefined ? null : toApiKey(row);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    return (this.statements.listApiKeys.all() as ApiKeyRow[]).map(toApiKey);
  }

  async revokeApiKey(id: string, now: number, audit?: AuditEntry): Promise<ApiKeyRecord | null> {
    return this.db
      .transaction((): ApiKeyRecord | null => {
        if (this.statements.revokeApiKey.run(now, id).changes > 0) this.recordAudit(audit);
        const row = this.statements.getApiKey.get(id) as ApiKeyRow | undefined;
        return row === undefined ? null : toApiKey(row);
      })
      .immediate();
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    this.recordAudit(entry);
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
    this.statements.registerProcess.run(process.id, process.label, process.appliedSeq, now, now);
  }

  async reportProcess(id: string, appliedSeq: number, now: number = Date.now()): Promise<void> {
    this.withShortBusyTimeout(() => this.statements.reportProcess.run(appliedSeq, now, id));
  }

  /**
   * Runs a write that a server process makes on its own schedule (its heartbeat) with a short
   * lock wait: better-sqlite3 waits synchronously, so waiting the usual 5 s for another process's
   * write lock would stall every request on this process. Busy, it throws (SQLITE_BUSY) and the
   * caller tries again on its next beat.
   */
  private withShortBusyTimeout(write: () => void): void {
    this.db.pragma(`busy_timeout = ${HEARTBEAT_BUSY_TIMEOUT_MS}`);
    try {
      write();
    } finally {
      this.db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  async unregisterProcess(id: string): Promise<void> {
    this.statements.unregisterProcess.run(id);
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
    return this.statements.pruneProcesses.run(before).changes;
  }

  async subscribeChanges(_listener: () => void): Promise<undefined> {
    // SQLite has no way to wake another process: followers poll the change log.
    return undefined;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
