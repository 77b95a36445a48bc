/**
 * The storage contract on PostgreSQL, for several server instances on one database: a pool of
 * connections for queries, one more connection for LISTEN (`change-listener.ts`), and the same
 * behaviour as the SQLite storage, write for write.
 *
 * @module
 */
import pg from 'pg';
import { rotated, withoutSecret } from '../application-secrets.js';
import type {
  ApiKeyRecord,
  ApplicationPatch,
  ApplicationRecord,
  AuditEntry,
  AuditQuery,
  AuditRecord,
  ChangeEntity,
  ChangeRecord,
  NewApplicationRecord,
  RevokedTokenRecord,
  SecretRevocationResult,
  SecretRotation,
  SecretRotationResult,
  SecretUse,
  ServerProcessRecord,
  SigningKeyRecord,
  Storage,
  StorageOptions,
  TokenRevocation,
} from '../types.js';
import { DatabaseBusyError } from '../types.js';
import { ChangeListener } from './change-listener.js';
import { CHANGES_CHANNEL, openFailure, postgresSettings } from './connection.js';
import { migrate, schemaLockSql } from './migrations.js';
import {
  APPLICATION_ARRAY_PARAMETERS,
  APPLICATION_COLUMN_COUNT,
  APPLICATION_COLUMNS,
  APPLICATION_PARAMETERS,
  APPLICATION_SELECT,
  type ApiKeyRow,
  type ApplicationRow,
  type AuditRow,
  applicationValues,
  type ChangeRow,
  type ProcessRow,
  type RevokedTokenRow,
  SET_SECRETS,
  type SigningKeyRow,
  secretValues,
  toApiKey,
  toApplication,
  toAudit,
  toChange,
  toProcess,
  toRevokedToken,
  toSigningKey,
} from './rows.js';

/** Change-log entries older than this are pruned on write; followers poll every ~50 ms. */
const CHANGE_LOG_RETENTION_MS = 24 * 60 * 60 * 1000;
/** Rows per FETCH when visiting every application: bounded memory, few round trips. */
const FETCH_BATCH = 5000;
/** Rows per INSERT when creating applications in bulk. */
const INSERT_BATCH = 5000;

// Every transaction that appends to the change log takes this advisory lock (namespace 'SMS' 2)
// first and holds it to commit. Without it, sequence numbers could commit out of order (seq 11
// visible before seq 10), and a follower that has read up to 11 would never see 10.
const WRITE_LOCK = 0x534d5302;

/** The `server_settings` row of the pepper fingerprint (migration 5). */
const PEPPER_FINGERPRINT = 'pepper_fingerprint';

/** SQLSTATE `lock_not_available`: `lock_timeout` ran out. */
const LOCK_NOT_AVAILABLE = '55P03';

const ignore = (): void => {};

/**
 * Connects to the PostgreSQL database at `url` and brings its schema up to date.
 *
 * @param url - `postgres://user:password@host:5432/db`, optionally `?schema=name` (created
 *   when missing) to keep the tables in a schema of their own
 * @param options - `lockWaitMs`: when given, the `lock_timeout` of every write transaction (a
 *   write that cannot get its locks in time fails with {@link DatabaseBusyError}); by default a
 *   write waits for its locks as long as it takes
 * @throws Error with a one-line message naming the URL without its password when the URL is
 *   malformed, the database unreachable or a migration fails
 */
export async function openPostgresStorage(url: string, options: StorageOptions = {}): Promise<Storage> {
  const settings = postgresSettings(url);
  const pool = new pg.Pool(settings.client);
  // An idle pooled connection that breaks (database restart) must not crash the process: the
  // pool drops it, and the next query opens a new one or reports the failure.
  pool.on('error', ignore);
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    await pool.end().catch(ignore);
    throw openFailure('cannot connect to', url, error);
  }
  client.on('error', ignore);
  try {
    await migrate(client, settings.schema);
  } catch (error) {
    client.release(true);
    await pool.end().catch(ignore);
    throw openFailure('cannot migrate', url, error);
  }
  client.removeListener('error', ignore);
  client.release();
  return new PostgresStorage(pool, new ChangeListener(settings.client), options.lockWaitMs);
}

class PostgresStorage implements Storage {
  private readonly pool: pg.Pool;
  private readonly listener: ChangeListener;
  private closing: Promise<void> | undefined;
  /** `BEGIN` of a write transaction (with its `lock_timeout`, when one is set). */
  private readonly begin: string;
  /** `BEGIN` of a write that appends to the change log: {@link begin}, then {@link WRITE_LOCK}. */
  private readonly beginWrite: string;

  constructor(pool: pg.Pool, listener: ChangeListener, lockWaitMs: number | undefined) {
    this.pool = pool;
    this.listener = listener;
    // SET LOCAL: for this transaction only; the pooled connection keeps no setting.
    this.begin =
      lockWaitMs === undefined
        ? 'BEGIN'
        : `BEGIN; SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockWaitMs))}`;
    this.beginWrite = `${this.begin}; ${schemaLockSql(WRITE_LOCK)}`;
  }

  /** Runs `work` in a transaction opened with `begin` on one pooled connection. */
  private async transaction<T>(begin: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // A checked-out connection has no 'error' listener of the pool's: one that breaks between
    // two queries would otherwise be an uncaught exception. The failing query reports it.
    client.on('error', ignore);
    let broken = false;
    try {
      await client.query(begin);
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      if ((error as { code?: unknown }).code === LOCK_NOT_AVAILABLE)
        throw new DatabaseBusyError({ cause: error });
      throw error;
    } finally {
      client.removeListener('error', ignore);
      // A connection that could not even roll back is discarded, not handed out again.
      client.release(broken);
    }
  }

  /** A write that appends to the change log: serialized by {@link WRITE_LOCK}. */
  private write<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.transaction(this.beginWrite, work);
  }

  /** Appends one change-log entry (see {@link recordChanges}). */
  private recordChange(client: pg.ClientBase, entity: ChangeEntity, id: string, now: number): Promise<void> {
    return this.recordChanges(client, entity, [id], [now]);
  }

  /**
   * Appends one change-log entry per ID (changed at the matching `times` entry), in order, in one
   * statement, and notifies listeners once (delivered on commit): followers read the log
   * themselves, so one wake-up per write is enough, where one per entry would be 100,000 for a
   * bulk import.
   */
  private async recordChanges(
    client: pg.ClientBase,
    entity: ChangeEntity,
    ids: readonly string[],
    times: readonly number[],
  ): Promise<void> {
    const { rows } = await client.query<{ first: number; last: number; newest: number }>(
      `WITH appended AS (
         INSERT INTO change_log (entity, entity_id, changed_at)
         SELECT $1, entity_id, changed_at FROM unnest($2::text[], $3::bigint[]) WITH ORDINALITY
           AS t (entity_id, changed_at, ord)
         ORDER BY ord
         RETURNING seq, changed_at
       )
       SELECT MIN(seq) AS first, MAX(seq) AS last, MAX(changed_at) AS newest,
         pg_notify('${CHANGES_CHANNEL}', MAX(seq)::text)
       FROM appended`,
      [entity, ids, times],
    );
    const { first, last, newest } = rows[0]!;
    // Pruning on every write would double the cost of bulk creation: when the sequence passes a
    // multiple of 256 is plenty (as in SQLite).
    if (Math.floor(last / 256) > Math.floor((first - 1) / 256)) {
      await client.query('DELETE FROM change_log WHERE changed_at < $1', [newest - CHANGE_LOG_RETENTION_MS]);
    }
  }

  async createApplication(application: NewApplicationRecord, audit?: AuditEntry): Promise<ApplicationRecord> {
    return this.write(async (client) => {
      const { rows } = await client.query<{ row_order: number }>(
        `INSERT INTO applications (${APPLICATION_COLUMNS})
         VALUES (${APPLICATION_PARAMETERS}) RETURNING row_order`,
        applicationValues(application),
      );
      await this.recordChange(client, 'application', application.id, application.updatedAt);
      await recordAudit(client, audit);
      return { ...application, number: rows[0]!.row_order };
    });
  }

  async createApplications(applications: readonly NewApplicationRecord[], audit?: AuditEntry): Promise<void> {
    if (applications.length === 0) return;
    await this.write(async (client) => {
      for (let start = 0; start < applications.length; start += INSERT_BATCH) {
        await this.insertApplications(client, applications.slice(start, start + INSERT_BATCH));
      }
      await recordAudit(client, audit);
    });
  }

  private async insertApplications(
    client: pg.ClientBase,
    batch: readonly NewApplicationRecord[],
  ): Promise<void> {
    // One statement per batch, a column array per parameter (unnest), in the given order: the
    // identity column row_order records creation order.
    const columns: unknown[][] = Array.from({ length: APPLICATION_COLUMN_COUNT }, () => []);
    for (const application of batch) {
      const values = applicationValues(application);
      for (let column = 0; column < values.length; column++) columns[column]!.push(values[column]);
    }
    await client.query(
      `INSERT INTO applications (${APPLICATION_COLUMNS})
       SELECT ${APPLICATION_COLUMNS} FROM unnest(${APPLICATION_ARRAY_PARAMETERS})
         WITH ORDINALITY AS t (${APPLICATION_COLUMNS}, ord)
       ORDER BY ord`,
      columns,
    );
    // Each application's change is stamped with its own updatedAt, as in SQLite.
    await this.recordChanges(
      client,
      'application',
      batch.map((application) => application.id),
      batch.map((application) => application.updatedAt),
    );
  }

  async getApplication(id: string): Promise<ApplicationRecord | null> {
    const { rows } = await this.pool.query<ApplicationRow>({
      name: 'get-application',
      text: `SELECT ${APPLICATION_SELECT} FROM applications WHERE id = $1`,
      values: [id],
      rowMode: 'array',
    });
    return rows[0] === undefined ? null : toApplication(rows[0]);
  }

  async listApplications(): Promise<ApplicationRecord[]> {
    const { rows } = await this.pool.query<ApplicationRow>({
      text: `SELECT ${APPLICATION_SELECT} FROM applications ORDER BY row_order`,
      rowMode: 'array',
    });
    return rows.map(toApplication);
  }

  async forEachApplication(visit: (application: ApplicationRecord) => void): Promise<void> {
    // A cursor, fetched in batches, in one read-only transaction: one consistent snapshot, and
    // only one batch of rows in memory at a time.
    await this.transaction('BEGIN READ ONLY', async (client) => {
      await client.query(
        `DECLARE applications_cursor NO SCROLL CURSOR FOR
         SELECT ${APPLICATION_SELECT} FROM applications ORDER BY row_order`,
      );
      for (;;) {
        const { rows } = await client.query<ApplicationRow>({
          text: `FETCH ${FETCH_BATCH} FROM applications_cursor`,
          rowMode: 'array',
        });
        for (const row of rows) visit(toApplication(row));
        if (rows.length < FETCH_BATCH) break;
      }
    });
  }

  async countApplications(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT COUNT(*) AS n FROM applications');
    return rows[0]!.n;
  }

  async hasApplications(): Promise<boolean> {
    const { rows } = await this.pool.query<{ found: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM applications) AS found',
    );
    return rows[0]!.found;
  }

  async updateApplication(
    id: string,
    patch: ApplicationPatch,
    now: number = Date.now(),
    audit?: AuditEntry,
  ): Promise<ApplicationRecord | null> {
    return this.write(async (client) => {
      const { rows } = await client.query<ApplicationRow>({
        text: `SELECT ${APPLICATION_SELECT} FROM applications WHERE id = $1 FOR UPDATE`,
        values: [id],
        rowMode: 'array',
      });
      if (rows[0] === undefined) return null;
      const next: ApplicationRecord = { ...toApplication(rows[0]), ...patch, updatedAt: now };
      await client.query(
        `UPDATE applications SET name = $2, scopes = $3, token_expiration = $4,
           status = $5, updated_at = $6, tokens_not_before = $7
         WHERE id = $1`,
        [
          id,
          next.name,
          next.scopes.join(' '),
          next.tokenExpiration,
          next.status,
          next.updatedAt,
          next.tokensNotBefore,
        ],
      );
      await this.recordChange(client, 'application', id, now);
      await recordAudit(client, audit);
      return next;
    });
  }

  /** The application's row, locked for this transaction; undefined when there is none. */
  private async lockedApplication(client: pg.PoolClient, id: string): Promise<ApplicationRecord | undefined> {
    const { rows } = await client.query<ApplicationRow>({
      text: `SELECT ${APPLICATION_SELECT} FROM applications WHERE id = $1 FOR UPDATE`,
      values: [id],
      rowMode: 'array',
    });
    return rows[0] === undefined ? undefined : toApplication(rows[0]);
  }

  async rotateApplicationSecret(
    id: string,
    rotation: SecretRotation,
    audit?: AuditEntry,
  ): Promise<SecretRotationResult> {
    return this.write(async (client): Promise<SecretRotationResult> => {
      const current = await this.lockedApplication(client, id);
      if (current === undefined) return { outcome: 'not_found' };
      const next = rotated(current, rotation);
      if (next === undefined) return { outcome: 'two_secrets', application: current };
      await client.query(`UPDATE applications SET ${SET_SECRETS} WHERE id = $1`, [id, ...secretValues(next)]);
      await this.recordChange(client, 'application', id, rotation.now);
      await recordAudit(client, audit);
      return { outcome: 'rotated', application: next };
    });
  }

  async revokeApplicationSecret(
    id: string,
    secretId: string,
    now: number,
    audit?: AuditEntry,
  ): Promise<SecretRevocationResult> {
    return this.write(async (client): Promise<SecretRevocationResult> => {
      const current = await this.lockedApplication(client, id);
      if (current === undefined) return { outcome: 'not_found' };
      const result = withoutSecret(current, secretId, now);
      if (result.outcome !== 'revoked') return result;
      await client.query(`UPDATE applications SET ${SET_SECRETS} WHERE id = $1`, [
        id,
        ...secretValues(result.application),
      ]);
      await this.recordChange(client, 'application', id, now);
      await recordAudit(client, audit);
      return result;
    });
  }

  async recordSecretUse(uses: readonly SecretUse[]): Promise<void> {
    if (uses.length === 0) return;
    // One statement per round, in one transaction; no change-log entry, so not the change log's
    // write lock. A last use only moves forward, and only for a secret the application still has.
    await this.transaction(this.begin, async (client) => {
      for (const round of secretUseRounds(uses)) {
        await client.query(
          `UPDATE applications AS a SET
             secret_last_used_at = CASE WHEN a.secret_id = u.secret_id
               THEN GREATEST(a.secret_last_used_at, u.used_at) ELSE a.secret_last_used_at END,
             previous_secret_last_used_at = CASE WHEN a.previous_secret_id = u.secret_id
               THEN GREATEST(a.previous_secret_last_used_at, u.used_at) ELSE a.previous_secret_last_used_at END
           FROM unnest($1::text[], $2::text[], $3::bigint[]) AS u (application_id, secret_id, used_at)
           WHERE a.id = u.application_id AND (a.secret_id = u.secret_id OR a.previous_secret_id = u.secret_id)`,
          [
            round.map((use) => use.applicationId),
            round.map((use) => use.secretId),
            round.map((use) => use.usedAt),
          ],
        );
      }
    });
  }

  async deleteApplication(id: string, audit?: AuditEntry): Promise<boolean> {
    return this.write(async (client) => {
      const { rowCount } = await client.query('DELETE FROM applications WHERE id = $1', [id]);
      if (rowCount === 0) return false;
      await client.query('DELETE FROM revoked_tokens WHERE application_id = $1', [id]);
      await this.recordChange(client, 'application', id, Date.now());
      await recordAudit(client, audit);
      return true;
    });
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    const { rows } = await this.pool.query<SigningKeyRow>(
      // COLLATE "C": byte order for ties, as in SQLite, whatever the database's collation.
      'SELECT * FROM signing_keys ORDER BY created_at DESC, kid COLLATE "C"',
    );
    return rows.map(toSigningKey);
  }

  async rotateSigningKey(key: SigningKeyRecord, audit?: AuditEntry): Promise<void> {
    await this.write(async (client) => {
      // A key still waiting for its activation at the rotation's instant never signs; the key
      // signing then signs until its successor activates.
      await client.query(
        `UPDATE signing_keys SET retired_at = $1
         WHERE activates_at > $1 AND (retired_at IS NULL OR retired_at > $1)`,
        [key.createdAt],
      );
      await client.query(
        `UPDATE signing_keys SET retired_at = $2
         WHERE activates_at <= $1 AND (retired_at IS NULL OR retired_at > $1)`,
        [key.createdAt, key.activatesAt],
      );
      await client.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_encrypted, created_at, activates_at, retired_at)
         VALUES ($1, $2, $3, $4, $5, $6, NULL)`,
        [key.kid, key.alg, key.publicJwk, key.privateKeyEncrypted, key.createdAt, key.activatesAt],
      );
      await this.recordChange(client, 'signing_key', key.kid, key.createdAt);
      await recordAudit(client, audit);
    });
  }

  async pruneSigningKeys(cutoff: number): Promise<number> {
    return this.write(async (client) => {
      const { rowCount } = await client.query(
        'DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1',
        [cutoff],
      );
      const pruned = rowCount ?? 0;
      if (pruned > 0) await this.recordChange(client, 'signing_key', '*', Date.now());
      return pruned;
    });
  }

  async revokeToken(revocation: TokenRevocation, now: number = Date.now()): Promise<boolean> {
    return this.write(async (client) => {
      // ON CONFLICT DO NOTHING: revoking a token twice is not an error, and changes nothing.
      const { rowCount } = await client.query(
        `INSERT INTO revoked_tokens (jti, application_id, expires_at, revoked_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (jti) DO NOTHING`,
        [revocation.jti, revocation.applicationId, revocation.expiresAt, now],
      );
      if (rowCount === 0) return false;
      await this.recordChange(client, 'revoked_token', revocation.jti, now);
      return true;
    });
  }

  async getRevokedToken(jti: string): Promise<RevokedTokenRecord | null> {
    const { rows } = await this.pool.query<RevokedTokenRow>({
      name: 'get-revoked-token',
      text: 'SELECT jti, application_id, expires_at, revoked_at FROM revoked_tokens WHERE jti = $1',
      values: [jti],
    });
    return rows[0] === undefined ? null : toRevokedToken(rows[0]);
  }

  async isTokenRevoked(jti: string): Promise<boolean> {
    const { rowCount } = await this.pool.query({
      name: 'is-token-revoked',
      text: 'SELECT 1 FROM revoked_tokens WHERE jti = $1',
      values: [jti],
    });
    return rowCount !== null && rowCount > 0;
  }

  async listRevokedTokens(now: number = Date.now()): Promise<RevokedTokenRecord[]> {
    const { rows } = await this.pool.query<RevokedTokenRow>(
      `SELECT jti, application_id, expires_at, revoked_at FROM revoked_tokens
       WHERE expires_at IS NULL OR expires_at >= $1 ORDER BY revoked_at, jti COLLATE "C"`,
      [now],
    );
    return rows.map(toRevokedToken);
  }

  async pruneRevokedTokens(before: number): Promise<number> {
    // Nothing to log: an expired token is inactive with or without its entry.
    const { rowCount } = await this.pool.query(
      'DELETE FROM revoked_tokens WHERE expires_at IS NOT NULL AND expires_at < $1',
      [before],
    );
    return rowCount ?? 0;
  }

  async createApiKey(key: ApiKeyRecord, audit?: AuditEntry): Promise<void> {
    await this.transaction(this.begin, async (client) => {
      await client.query(
        `INSERT INTO api_keys (id, name, key_hash, hint, created_at, revoked_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [key.id, key.name, key.keyHash, key.hint, key.createdAt, key.revokedAt],
      );
      await recordAudit(client, audit);
    });
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    const { rows } = await this.pool.query<ApiKeyRow>({
      name: 'get-api-key',
      text: 'SELECT * FROM api_keys WHERE id = $1',
      values: [id],
    });
    return rows[0] === undefined ? null : toApiKey(rows[0]);
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    const { rows } = await this.pool.query<ApiKeyRow>(
      'SELECT * FROM api_keys ORDER BY created_at DESC, id COLLATE "C"',
    );
    return rows.map(toApiKey);
  }

  async revokeApiKey(id: string, now: number, audit?: AuditEntry): Promise<ApiKeyRecord | null> {
    return this.transaction(this.begin, async (client) => {
      const { rowCount } = await client.query(
        'UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL',
        [now, id],
      );
      if ((rowCount ?? 0) > 0) await recordAudit(client, audit);
      const { rows } = await client.query<ApiKeyRow>('SELECT * FROM api_keys WHERE id = $1', [id]);
      return rows[0] === undefined ? null : toApiKey(rows[0]);
    });
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await recordAudit(this.pool, entry);
  }

  async listAudit(query: AuditQuery): Promise<AuditRecord[]> {
    const { rows } = await this.pool.query<AuditRow>(
      'SELECT * FROM audit_log WHERE seq < $1 AND at >= $2 ORDER BY seq DESC LIMIT $3',
      [query.before ?? Number.MAX_SAFE_INTEGER, query.since ?? 0, query.limit],
    );
    return rows.map(toAudit);
  }

  async latestChange(): Promise<number> {
    const { rows } = await this.pool.query<{ seq: number }>({
      name: 'latest-change',
      text: 'SELECT COALESCE(MAX(seq), 0) AS seq FROM change_log',
    });
    return rows[0]!.seq;
  }

  async changesSince(after: number, limit = 1000): Promise<ChangeRecord[]> {
    const { rows } = await this.pool.query<ChangeRow>({
      name: 'changes-since',
      text: 'SELECT seq, entity, entity_id FROM change_log WHERE seq > $1 ORDER BY seq LIMIT $2',
      values: [after, limit],
    });
    return rows.map(toChange);
  }

  async registerProcess(
    process: { id: string; label: string; appliedSeq: number },
    now: number = Date.now(),
  ): Promise<void> {
    // A re-registration (relabel) keeps registered_at: the listing order stays stable.
    await this.pool.query(
      `INSERT INTO server_processes (id, label, applied_seq, heartbeat_at, registered_at) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (id) DO UPDATE SET label = excluded.label, applied_seq = excluded.applied_seq,
         heartbeat_at = excluded.heartbeat_at`,
      [process.id, process.label, process.appliedSeq, now],
    );
  }

  async reportProcess(id: string, appliedSeq: number, now: number = Date.now()): Promise<void> {
    await this.pool.query({
      name: 'report-process',
      text: 'UPDATE server_processes SET applied_seq = $2, heartbeat_at = $3 WHERE id = $1',
      values: [id, appliedSeq, now],
    });
  }

  async unregisterProcess(id: string): Promise<void> {
    await this.pool.query('DELETE FROM server_processes WHERE id = $1', [id]);
  }

  async listProcesses(since: number): Promise<ServerProcessRecord[]> {
    const { rows } = await this.pool.query<ProcessRow>({
      name: 'list-processes',
      text: `SELECT id, label, applied_seq, heartbeat_at FROM server_processes
             WHERE heartbeat_at >= $1 ORDER BY registered_at, id COLLATE "C"`,
      values: [since],
    });
    return rows.map(toProcess);
  }

  async pruneProcesses(before: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM server_processes WHERE heartbeat_at < $1', [
      before,
    ]);
    return rowCount ?? 0;
  }

  async getPepperFingerprint(): Promise<Buffer | null> {
    const { rows } = await this.pool.query<{ value: string }>(
      'SELECT value FROM server_settings WHERE name = $1',
      [PEPPER_FINGERPRINT],
    );
    return rows[0] === undefined ? null : Buffer.from(rows[0].value, 'hex');
  }

  async recordPepperFingerprint(fingerprint: Buffer, now: number = Date.now()): Promise<Buffer> {
    return this.transaction(this.begin, async (client) => {
      // A concurrent insert makes this one wait for its commit, then do nothing; the SELECT (a
      // new snapshot under READ COMMITTED) then reads the row that won.
      await client.query(
        'INSERT INTO server_settings (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING',
        [PEPPER_FINGERPRINT, fingerprint.toString('hex'), now],
      );
      const { rows } = await client.query<{ value: string }>(
        'SELECT value FROM server_settings WHERE name = $1',
        [PEPPER_FINGERPRINT],
      );
      return Buffer.from(rows[0]!.value, 'hex');
    });
  }

  subscribeChanges(listener: () => void): Promise<() => Promise<void>> {
    return this.listener.subscribe(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener.close();
      await this.pool.end();
    })();
    return this.closing;
  }
}

/**
 * `uses` (the latest of each secret) in rounds that name each application at most once: an
 * UPDATE … FROM applies only one of several source rows that match the same target row, and an
 * application often has two secrets in use during a grace period.
 */
function secretUseRounds(uses: readonly SecretUse[]): SecretUse[][] {
  const latest = new Map<string, SecretUse>();
  for (const use of uses) {
    const key = `${use.applicationId} ${use.secretId}`;
    const seen = latest.get(key);
    if (seen === undefined || use.usedAt > seen.usedAt) latest.set(key, use);
  }
  const rounds: SecretUse[][] = [];
  const roundOf = new Map<string, number>();
  for (const use of latest.values()) {
    const round = roundOf.get(use.applicationId) ?? 0;
    roundOf.set(use.applicationId, round + 1);
    if (round === rounds.length) rounds.push([]);
    rounds[round]!.push(use);
  }
  return rounds;
}

/** Appends `entry` to the audit log (inside the caller's transaction when `client` is in one). */
async function recordAudit(client: pg.ClientBase | pg.Pool, entry: AuditEntry | undefined): Promise<void> {
  if (entry === undefined) return;
  await client.query(
    `INSERT INTO audit_log (at, actor, action, target_type, target_id, request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      entry.at,
      JSON.stringify(entry.actor),
      entry.action,
      entry.targetType,
      entry.targetId,
      entry.requestId,
      JSON.stringify(entry.details),
    ],
  );
}
