/**
 * Rows of the PostgreSQL tables and the records they become. BIGINT columns arrive as numbers
 * (the type parser in `connection.ts`), BYTEA as Buffers.
 *
 * @module
 */
import type {
  ApiKeyRecord,
  ApplicationRecord,
  ApplicationStatus,
  AuditRecord,
  ChangeEntity,
  ChangeRecord,
  NewApplicationRecord,
  RevokedTokenRecord,
  ServerProcessRecord,
  SigningKeyRecord,
  TokenExpiration,
} from '../types.js';

/** The application columns written by an INSERT with their types, in the order of {@link applicationValues}. */
const COLUMN_TYPES = [
  ['id', 'text'],
  ['name', 'text'],
  ['secret_hash', 'bytea'],
  ['scopes', 'text'],
  ['token_expiration', 'text'],
  ['status', 'text'],
  ['created_at', 'bigint'],
  ['updated_at', 'bigint'],
  ['tokens_not_before', 'bigint'],
  ['secret_hint', 'text'],
  ['secret_id', 'text'],
  ['secret_created_at', 'bigint'],
  ['secret_last_used_at', 'bigint'],
  ['previous_secret_id', 'text'],
  ['previous_secret_hash', 'bytea'],
  ['previous_secret_hint', 'text'],
  ['previous_secret_created_at', 'bigint'],
  ['previous_secret_expires_at', 'bigint'],
  ['previous_secret_last_used_at', 'bigint'],
] as const;

/** How many columns an INSERT writes. */
export const APPLICATION_COLUMN_COUNT = COLUMN_TYPES.length;

/** The application columns written by an INSERT, in the order of {@link applicationValues}. */
export const APPLICATION_COLUMNS = COLUMN_TYPES.map(([column]) => column).join(', ');

/** `$1::text[], $2::text[], $3::bytea[], …`: one array parameter per column (a bulk INSERT's unnest). */
export const APPLICATION_ARRAY_PARAMETERS = COLUMN_TYPES.map(([, type], i) => `$${i + 1}::${type}[]`).join(
  ', ',
);

/** `$1, $2, …`: one parameter per column. */
export const APPLICATION_PARAMETERS = COLUMN_TYPES.map((_, i) => `$${i + 1}`).join(', ');

/** The application columns read, in the order of {@link ApplicationRow}: the number is `row_order`. */
export const APPLICATION_SELECT = `${APPLICATION_COLUMNS}, row_order`;

/** Every secret column and `updated_at`, set from parameters `$2` on (the ID is `$1`): see {@link secretValues}. */
export const SET_SECRETS = `secret_hash = $2, secret_hint = $3, secret_id = $4, secret_created_at = $5,
  secret_last_used_at = $6, previous_secret_id = $7, previous_secret_hash = $8, previous_secret_hint = $9,
  previous_secret_created_at = $10, previous_secret_expires_at = $11, previous_secret_last_used_at = $12,
  updated_at = $13`;

/**
 * An application row fetched as an array (`rowMode: 'array'`): no per-row column-name object,
 * which matters when the server loads 100,000 applications at start.
 */
export type ApplicationRow = [
  string,
  string,
  Buffer,
  string,
  TokenExpiration,
  ApplicationStatus,
  number,
  number,
  number | null,
  string | null,
  string,
  number | null,
  number | null,
  string | null,
  Buffer | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number,
];

export function toApplication([
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
  secretId,
  secretCreatedAt,
  secretLastUsedAt,
  previousId,
  previousHash,
  previousHint,
  previousCreatedAt,
  previousExpiresAt,
  previousLastUsedAt,
  number,
]: ApplicationRow): ApplicationRecord {
  return {
    id,
    name,
    secretHash,
    scopes: scopes === '' ? [] : scopes.split(' '),
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
    previousSecret:
      previousId === null || previousHash === null
        ? null
        : {
            id: previousId,
            hash: previousHash,
            hint: previousHint,
            createdAt: previousCreatedAt,
            expiresAt: previousExpiresAt ?? 0,
            lastUsedAt: previousLastUsedAt,
          },
  };
}

/** The values of {@link SET_SECRETS} (`$2` on), for `application`. */
export function secretValues(application: ApplicationRecord): unknown[] {
  return [
    application.secretHash,
    application.secretHint,
    application.secretId,
    application.secretCreatedAt,
    application.secretLastUsedAt,
    ...previousSecretValues(application),
    application.updatedAt,
  ];
}

function previousSecretValues(application: NewApplicationRecord): unknown[] {
  const previous = application.previousSecret;
  return [
    previous?.id ?? null,
    previous?.hash ?? null,
    previous?.hint ?? null,
    previous?.createdAt ?? null,
    previous?.expiresAt ?? null,
    previous?.lastUsedAt ?? null,
  ];
}

/** The columns of {@link APPLICATION_COLUMNS}, as parameters of an INSERT. */
export function applicationValues(application: NewApplicationRecord): unknown[] {
  return [
    application.id,
    application.name,
    application.secretHash,
    application.scopes.join(' '),
    application.tokenExpiration,
    application.status,
    application.createdAt,
    application.updatedAt,
    application.tokensNotBefore,
    application.secretHint,
    application.secretId,
    application.secretCreatedAt,
    application.secretLastUsedAt,
    ...previousSecretValues(application),
  ];
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  activates_at: number;
  retired_at: number | null;
}

export function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
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

export interface RevokedTokenRow {
  jti: string;
  application_id: string;
  expires_at: number | null;
  revoked_at: number;
}

export function toRevokedToken(row: RevokedTokenRow): RevokedTokenRecord {
  return {
    jti: row.jti,
    applicationId: row.application_id,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}

export interface ChangeRow {
  seq: number;
  entity: ChangeEntity;
  entity_id: string;
}

export function toChange(row: ChangeRow): ChangeRecord {
  return { seq: row.seq, entity: row.entity, entityId: row.entity_id };
}

export interface ProcessRow {
  id: string;
  label: string;
  applied_seq: number;
  heartbeat_at: number;
}

export function toProcess(row: ProcessRow): ServerProcessRecord {
  return { id: row.id, label: row.label, appliedSeq: row.applied_seq, heartbeatAt: row.heartbeat_at };
}

export interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: Buffer;
  hint: string;
  created_at: number;
  revoked_at: number | null;
}

export function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    keyHash: row.key_hash,
    hint: row.hint,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
  };
}

export interface AuditRow {
  seq: number;
  at: number;
  actor: AuditRecord['actor'];
  action: string;
  target_type: AuditRecord['targetType'];
  target_id: string;
  request_id: string | null;
  details: AuditRecord['details'];
}

export function toAudit(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    actor: row.actor,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    requestId: row.request_id,
    details: row.details,
  };
}
