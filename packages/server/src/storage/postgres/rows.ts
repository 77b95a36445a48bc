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

/** The application columns written by an INSERT, in the order of {@link applicationValues}. */
export const APPLICATION_COLUMNS =
  'id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before, secret_hint';

/** The application columns read, in the order of {@link ApplicationRow}: the number is `row_order`. */
export const APPLICATION_SELECT = `${APPLICATION_COLUMNS}, row_order`;

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
  };
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
  ];
}

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: string;
  private_key_encrypted: string;
  created_at: number;
  retired_at: number | null;
}

export function toSigningKey(row: SigningKeyRow): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg,
    publicJwk: row.public_jwk,
    privateKeyEncrypted: row.private_key_encrypted,
    createdAt: row.created_at,
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
