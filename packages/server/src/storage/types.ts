/**
 * The storage contract: what the server and the admin commands need of a database, method by
 * method. SQLite implements it (`sqlite/`); every method is async, so a networked database can
 * implement it too, and every timestamp is a plain number (Unix epoch milliseconds).
 *
 * @module
 */

import type { TokenExpiration } from '../contract/expiration.js';

export type { TokenExpiration };

/** Whether an application may obtain tokens. Deleted applications have no record at all. */
export type ApplicationStatus = 'active' | 'disabled';

/** An application as stored. The secret is present only as its HMAC-SHA-256 hash. */
export interface ApplicationRecord {
  /** Application ID: 40 lowercase hex characters. */
  readonly id: string;
  readonly name: string;
  /** HMAC-SHA-256(pepper, secret), 32 bytes. */
  readonly secretHash: Buffer;
  /** Allowed scope tokens, in catalogue order. */
  readonly scopes: readonly string[];
  readonly tokenExpiration: TokenExpiration;
  readonly status: ApplicationStatus;
  /** Unix epoch milliseconds. */
  readonly createdAt: number;
  /** Unix epoch milliseconds of the last change. */
  readonly updatedAt: number;
  /**
   * Tokens of this application issued before this instant (Unix epoch milliseconds) are
   * revoked (`apps revoke-tokens`); null when never set. Tokens carry `iat` in seconds, so the
   * check is `iat < ceil(tokensNotBefore / 1000)` (see `revocation/not-before.ts`).
   */
  readonly tokensNotBefore: number | null;
  /** The last characters of the secret, so people can tell secrets apart; null for secrets made before hints. */
  readonly secretHint: string | null;
  /**
   * The application's number: a positive integer given by the storage at creation, never reused
   * (the `id` of the SMS.CX applications list).
   */
  readonly number: number;
  /**
   * The current secret's ID (`sc_` and 12 hex characters, see `domain/ids.ts`): public, it names
   * the secret in `apps show` and `apps revoke-secret`. `secretHash` and `secretHint` are its
   * hash and hint.
   */
  readonly secretId: string;
  /**
   * When the current secret was made (epoch ms); null when unknown (a secret from before
   * migration 6 that was neither made nor rotated since migration 4).
   */
  readonly secretCreatedAt: number | null;
  /**
   * When the current secret last authenticated a request, to the minute (epoch ms); null when
   * it has not since migration 6. Written in the background (see {@link Storage.recordSecretUse}).
   */
  readonly secretLastUsedAt: number | null;
  /**
   * The secret before the current one, still accepted until its `expiresAt` (`apps rotate-secret
   * --grace`); null when there is none. One past its `expiresAt` is refused and may stay here
   * until the next rotation: compare `expiresAt` with the clock.
   */
  readonly previousSecret: PreviousSecretRecord | null;
}

/** The previous secret of an application (see {@link ApplicationRecord.previousSecret}). */
export interface PreviousSecretRecord {
  /** `sc_` and 12 hex characters. */
  readonly id: string;
  /** HMAC-SHA-256(pepper, secret), 32 bytes. */
  readonly hash: Buffer;
  readonly hint: string | null;
  /** Epoch ms; null when unknown (as {@link ApplicationRecord.secretCreatedAt}). */
  readonly createdAt: number | null;
  /** The end of its grace period (epoch ms): it is accepted while the clock is before this. */
  readonly expiresAt: number;
  /** Epoch ms, to the minute; null when never used since migration 6. */
  readonly lastUsedAt: number | null;
}

/** An application to store: everything but its number, which the storage gives. */
export type NewApplicationRecord = Omit<ApplicationRecord, 'number'>;

/** The fields an update may change; absent fields stay as they are (secrets: see {@link Storage.rotateApplicationSecret}). */
export interface ApplicationPatch {
  readonly name?: string;
  readonly scopes?: readonly string[];
  readonly tokenExpiration?: TokenExpiration;
  readonly status?: ApplicationStatus;
  readonly tokensNotBefore?: number | null;
}

/** A new current secret (see {@link Storage.rotateApplicationSecret}). */
export interface NewSecretRecord {
  /** `sc_` and 12 hex characters. */
  readonly id: string;
  /** HMAC-SHA-256(pepper, secret), 32 bytes. */
  readonly hash: Buffer;
  readonly hint: string;
  /** Epoch ms. */
  readonly createdAt: number;
}

/** What {@link Storage.rotateApplicationSecret} does. */
export interface SecretRotation {
  readonly secret: NewSecretRecord;
  /**
   * Until when the replaced secret keeps working (epoch ms), as the previous secret; null (or an
   * instant not after `now`) ends it at once.
   */
  readonly previousExpiresAt: number | null;
  /** Epoch ms: the `updatedAt`, and the instant the previous secret's grace is judged at. */
  readonly now: number;
}

/** The outcome of {@link Storage.rotateApplicationSecret}. */
export type SecretRotationResult =
  | { readonly outcome: 'rotated'; readonly application: ApplicationRecord }
  /** No application with this ID. */
  | { readonly outcome: 'not_found' }
  /**
   * Refused, nothing written: the previous secret still works at `now` (at most two secrets).
   * `application` is as stored.
   */
  | { readonly outcome: 'two_secrets'; readonly application: ApplicationRecord };

/** The outcome of {@link Storage.revokeApplicationSecret}. */
export type SecretRevocationResult =
  | { readonly outcome: 'revoked'; readonly application: ApplicationRecord }
  /** No application with this ID. */
  | { readonly outcome: 'not_found' }
  /** The application has no working secret with this ID (an expired previous secret is gone). */
  | { readonly outcome: 'no_such_secret'; readonly application: ApplicationRecord }
  /** Refused: it names the current secret, which only a rotation replaces. */
  | { readonly outcome: 'current_secret'; readonly application: ApplicationRecord };

/** One secret that authenticated a request (see {@link Storage.recordSecretUse}). */
export interface SecretUse {
  readonly applicationId: string;
  readonly secretId: string;
  /** Epoch ms, to the minute. */
  readonly usedAt: number;
}

/** A token signing key. The private half is stored encrypted (see `keys/key-material.ts`). */
export interface SigningKeyRecord {
  /** Key ID: the RFC 7638 JWK thumbprint of the public key. */
  readonly kid: string;
  /** JWS algorithm: `EdDSA` (Ed25519), `ES256` (P-256) or `RS256` (RSA 2048). */
  readonly alg: string;
  /** Public key as a JSON JWK string. */
  readonly publicJwk: string;
  /** Encrypted PKCS#8 private key (base64url; format owned by `keys/key-material.ts`). */
  readonly privateKeyEncrypted: string;
  /** Unix epoch milliseconds. The key is published (in the JWKS) from then on. */
  readonly createdAt: number;
  /**
   * When it starts signing (Unix epoch milliseconds): `createdAt` plus the rotation's
   * publish-ahead, so resource servers can fetch it first (`keys/schedule.ts`). Keys from before
   * migration 7 have their `createdAt`.
   */
  readonly activatesAt: number;
  /**
   * When it stops signing (Unix epoch milliseconds): the activation of the key that replaces it,
   * which is in the future while that key is `next`; null while no newer key is planned. Retired
   * keys stay published for the retention period counted from this instant (`keys/retention.ts`).
   */
  readonly retiredAt: number | null;
}

/**
 * A revoked access token on the denylist (RFC 7009). An entry is kept until the token would
 * have expired anyway, and forever for never-expiring tokens.
 */
export interface RevokedTokenRecord {
  /** The token's `jti` claim. */
  readonly jti: string;
  /** The application the token was issued to (its `client_id`). */
  readonly applicationId: string;
  /** When the token expires (its `exp`, in epoch milliseconds); null when it never expires. */
  readonly expiresAt: number | null;
  /** When it was revoked (Unix epoch milliseconds). */
  readonly revokedAt: number;
}

/** What {@link Storage.revokeToken} needs. */
export interface TokenRevocation {
  readonly jti: string;
  readonly applicationId: string;
  /** Epoch milliseconds, or null for a never-expiring token. */
  readonly expiresAt: number | null;
}

/** An API key of the admin API, as stored: the key itself only as its hash. */
export interface ApiKeyRecord {
  /** Public ID, also the key's prefix (how a presented key finds its row). */
  readonly id: string;
  readonly name: string;
  /** HMAC-SHA-256(pepper, key), 32 bytes. */
  readonly keyHash: Buffer;
  /** The key's last characters. */
  readonly hint: string;
  readonly createdAt: number;
  /** When it was revoked (epoch ms); null while it is valid. */
  readonly revokedAt: number | null;
}

/** Who made an admin change. */
export type AuditActor =
  | { readonly type: 'api_key'; readonly id: string; readonly name: string }
  | { readonly type: 'cli'; readonly user: string }
  /** The server itself (the `default` application of a first start) or a library call. */
  | { readonly type: 'server' };

/** One admin change, as the audit log records it. Never holds a secret, a key or a token. */
export interface AuditEntry {
  /** Epoch milliseconds. */
  readonly at: number;
  readonly actor: AuditActor;
  /** What was done, e.g. `application.create`, `signing_key.rotate`, `api_key.revoke`. */
  readonly action: string;
  readonly targetType: 'application' | 'signing_key' | 'api_key';
  /** The application ID, key ID or API key ID. */
  readonly targetId: string;
  /** The HTTP request's `X-Request-Id`; null from the CLI. */
  readonly requestId: string | null;
  /** What changed (e.g. the new name and scopes); plain JSON, never a secret. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** An audit entry with its place in the log. */
export interface AuditRecord extends AuditEntry {
  /** Strictly increasing; newer entries have higher numbers. */
  readonly seq: number;
}

/** Which audit entries to read: newest first. */
export interface AuditQuery {
  /** Only entries with `seq` below this (the next page's cursor). */
  readonly before?: number;
  /** Only entries at or after this instant (epoch ms). */
  readonly since?: number;
  readonly limit: number;
}

/** What a change-log entry is about. */
export type ChangeEntity = 'application' | 'signing_key' | 'revoked_token';

/**
 * One entry of the change log. Every write appends one, so a running server can follow
 * admin changes made by other processes and refresh only what changed.
 */
export interface ChangeRecord {
  /** Strictly increasing sequence number. */
  readonly seq: number;
  readonly entity: ChangeEntity;
  /** Application ID, key ID, or the `jti` of a revoked token. */
  readonly entityId: string;
}

/**
 * A live server process that serves tokens from memory and follows the change log: the
 * bookkeeping behind "an admin change is in force everywhere when it returns". Each process
 * registers before it loads its caches and reports the change sequence it has applied.
 */
export interface ServerProcessRecord {
  /** Unique per process start (random). */
  readonly id: string;
  /** Human-readable name of the process, e.g. `host:port pid 1234`, for error messages. */
  readonly label: string;
  /** Highest change sequence number whose effect this process serves. */
  readonly appliedSeq: number;
  /** When the process last reported (Unix epoch milliseconds). */
  readonly heartbeatAt: number;
}

/**
 * Persistent state of the token server. Implementations must be safe to use from several
 * processes on the same database (the server and the admin CLI run side by side).
 */
export interface Storage {
  /**
   * Stores a new application (and `audit`, in the same transaction); returns it with its number.
   * @throws Error when the ID already exists.
   */
  createApplication(application: NewApplicationRecord, audit?: AuditEntry): Promise<ApplicationRecord>;
  /**
   * Stores many new applications in one transaction (seeding, imports), with `audit`: all or
   * none. @throws Error when an ID already exists.
   */
  createApplications(applications: readonly NewApplicationRecord[], audit?: AuditEntry): Promise<void>;
  /** Returns the application, or null when it does not exist (or was deleted). */
  getApplication(id: string): Promise<ApplicationRecord | null>;
  /** Returns every application in creation order, oldest first. */
  listApplications(): Promise<ApplicationRecord[]>;
  /**
   * Calls `visit` with every application in creation order, one at a time, and resolves when
   * done. For loading a cache: each record can be garbage as soon as `visit` returns, where
   * {@link listApplications} keeps all of them alive at once. `visit` must not use this storage.
   */
  forEachApplication(visit: (application: ApplicationRecord) => void): Promise<void>;
  /** Returns how many applications exist. */
  countApplications(): Promise<number>;
  /** Whether any application exists (cheaper than counting them: the first-start check). */
  hasApplications(): Promise<boolean>;
  /**
   * Applies `patch` (recording `audit` in the same transaction) and returns the updated record,
   * or null when the application does not exist (nothing is recorded then).
   */
  updateApplication(
    id: string,
    patch: ApplicationPatch,
    now?: number,
    audit?: AuditEntry,
  ): Promise<ApplicationRecord | null>;
  /**
   * Deletes the application (and its denylist entries: its tokens are inactive anyway once
   * the application is gone), recording `audit`; returns false when it did not exist.
   */
  deleteApplication(id: string, audit?: AuditEntry): Promise<boolean>;
  /**
   * Gives the application a new current secret, recording `audit` in the same transaction: the
   * replaced one becomes the previous secret until `rotation.previousExpiresAt`, or stops at once
   * (an expired previous secret is dropped). Refused (`two_secrets`, nothing written) while the
   * previous secret still works at `rotation.now`: an application has at most two secrets.
   */
  rotateApplicationSecret(
    id: string,
    rotation: SecretRotation,
    audit?: AuditEntry,
  ): Promise<SecretRotationResult>;
  /**
   * Ends the application's previous secret `secretId` at once, recording `audit` in the same
   * transaction. Refused for the current secret (`current_secret`); `no_such_secret` when no
   * secret with this ID works at `now`. Nothing is written unless `revoked`.
   */
  revokeApplicationSecret(
    id: string,
    secretId: string,
    now: number,
    audit?: AuditEntry,
  ): Promise<SecretRevocationResult>;
  /**
   * Records when secrets were last used, in one transaction: each `usedAt` only moves its secret's
   * last use forward, and a secret that is gone is skipped. Bookkeeping, not a change: no
   * change-log entry, no audit, `updatedAt` unchanged. SQLite waits for another process's write
   * lock only briefly (better-sqlite3 waits on the calling thread) and then throws
   * {@link DatabaseBusyError}, so the caller keeps the uses and tries again later.
   */
  recordSecretUse(uses: readonly SecretUse[]): Promise<void>;

  /**
   * Returns every signing key, newest (latest `createdAt`) first. The newest planned key has
   * `retiredAt` null; which key signs at an instant is `keys/schedule.ts`'s `signingKeyAt`.
   */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Stores `key` as the successor of the key in force, in one transaction with `audit`, taking
   * `key.createdAt` as the present: the key signing then (activated, not retired) is retired at
   * `key.activatesAt`; a key still waiting for its activation (a `next` key this one replaces) is
   * retired at `key.createdAt`, so it never signs; then `key` is inserted (its `retiredAt` is
   * ignored: stored null).
   */
  rotateSigningKey(key: SigningKeyRecord, audit?: AuditEntry): Promise<void>;
  /** Deletes retired keys whose `retiredAt` is before `cutoff`; returns how many went. */
  pruneSigningKeys(cutoff: number): Promise<number>;

  /**
   * Puts one token on the denylist. Idempotent: revoking a token already on it changes nothing
   * and returns false; returns true when the entry was added (and logged as a change).
   */
  revokeToken(revocation: TokenRevocation, now?: number): Promise<boolean>;
  /** Returns the denylist entry of `jti`, or null. */
  getRevokedToken(jti: string): Promise<RevokedTokenRecord | null>;
  /**
   * Whether `jti` is on the denylist. An entry past its expiry counts until it is pruned
   * (the token is expired then anyway).
   */
  isTokenRevoked(jti: string): Promise<boolean>;
  /**
   * Returns the denylist entries still needed at `now`: never-expiring ones and those with
   * `expiresAt >= now`, oldest revocation first (to load an in-memory denylist).
   */
  listRevokedTokens(now?: number): Promise<RevokedTokenRecord[]>;
  /**
   * Deletes the denylist entries of tokens that expired before `before` (never-expiring
   * tokens are kept); returns how many went.
   */
  pruneRevokedTokens(before: number): Promise<number>;

  /** Stores a new API key, recording `audit`. @throws Error when the ID already exists. */
  createApiKey(key: ApiKeyRecord, audit?: AuditEntry): Promise<void>;
  /** Returns the API key (revoked ones too), or null. */
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  /** Every API key, revoked ones too, newest first. */
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /**
   * Revokes the key at `now`, recording `audit`; returns the record, or null when there is no
   * such key. Revoking a revoked key changes nothing (and records nothing).
   */
  revokeApiKey(id: string, now: number, audit?: AuditEntry): Promise<ApiKeyRecord | null>;

  /** Appends an audit entry on its own (an action whose change is not stored here). */
  appendAudit(entry: AuditEntry): Promise<void>;
  /** Reads the audit log, newest first. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;

  /** Returns the highest change sequence number (0 when the log is empty). */
  latestChange(): Promise<number>;
  /** Returns change-log entries with `seq > after`, oldest first, at most `limit`. */
  changesSince(after: number, limit?: number): Promise<ChangeRecord[]>;

  /**
   * Registers a server process (or refreshes its row) with `appliedSeq` and `heartbeatAt = now`.
   * Writes no change-log entry.
   */
  registerProcess(process: { id: string; label: string; appliedSeq: number }, now?: number): Promise<void>;
  /** Reports that process `id` has applied every change up to `appliedSeq`; also its heartbeat. */
  reportProcess(id: string, appliedSeq: number, now?: number): Promise<void>;
  /** Removes a process's row (clean shutdown). */
  unregisterProcess(id: string): Promise<void>;
  /** Every registered process whose heartbeat is at or after `since`, oldest registration first. */
  listProcesses(since: number): Promise<ServerProcessRecord[]>;
  /** Deletes process rows whose heartbeat is before `before` (crashed processes); returns how many. */
  pruneProcesses(before: number): Promise<number>;

  /**
   * Calls `listener` soon after any process appends to the change log (push, e.g. PostgreSQL
   * LISTEN/NOTIFY), with no guarantee of one call per change: the listener reads the log
   * itself. Resolves with a function that unsubscribes. Storages without push resolve with
   * undefined; followers then rely on polling alone.
   */
  subscribeChanges(listener: () => void): Promise<(() => Promise<void>) | undefined>;

  /**
   * The fingerprint of the pepper this database was set up with (see `keys/pepper-guard.ts`),
   * or null when none is recorded yet (a new database, or one from before migration 5).
   */
  getPepperFingerprint(): Promise<Buffer | null>;
  /**
   * Records `fingerprint` as the database's pepper fingerprint unless one is recorded already,
   * atomically, and returns the one recorded now: `fingerprint`, or the earlier one (another
   * process may have raced this one). Writes no change-log entry.
   */
  recordPepperFingerprint(fingerprint: Buffer, now?: number): Promise<Buffer>;

  /** Closes the connection; further calls fail. */
  close(): Promise<void>;
}

/** How a storage is opened (`openStorage`). */
export interface StorageOptions {
  /**
   * How long a write waits for the write lock another process holds before failing with
   * {@link DatabaseBusyError}. SQLite: default 5000 ms (the admin CLI). A server process opens
   * its storage with a short bound: its writes are made on the request path (revocations, the
   * admin API), and SQLite (better-sqlite3) waits synchronously, holding up every request of the
   * process meanwhile. PostgreSQL applies it, when given, as the `lock_timeout` of its write
   * transactions (by default a write waits as long as it takes, without blocking other requests).
   */
  readonly lockWaitMs?: number;
}

/**
 * A write could not get the database's write lock within {@link StorageOptions.lockWaitMs}:
 * another process holds it. Nothing was written; trying again shortly is safe.
 */
export class DatabaseBusyError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('the database is busy: another process holds its write lock; try again shortly', options);
    this.name = 'DatabaseBusyError';
  }
}
