/**
 * The admin actions on API keys (`api-keys create|list|revoke`). The key exists in clear only in
 * what {@link createApiKey} returns; storage keeps its hash. A key is checked against storage on
 * every request (`http/api-key-authentication.ts`), so a revocation is in force everywhere as
 * soon as it is stored: there is no cache to wait for.
 *
 * @module
 */
import { hintOf, newApiKey } from '../domain/api-keys.js';
import { hashSecret } from '../domain/secrets.js';
import type { ApiKeyRecord, Storage } from '../storage/types.js';
import { type AdminActionOptions, auditEntry } from './audit.js';

/** A created API key, with the key itself (shown once). */
export interface CreatedApiKey {
  readonly record: ApiKeyRecord;
  readonly key: string;
}

/** Creates an API key named `name`. */
export async function createApiKey(
  storage: Storage,
  pepper: Buffer,
  name: string,
  options: AdminActionOptions = {},
): Promise<CreatedApiKey> {
  const { id, key } = newApiKey();
  const now = Date.now();
  const record: ApiKeyRecord = {
    id,
    name,
    keyHash: hashSecret(pepper, key),
    hint: hintOf(key),
    createdAt: now,
    revokedAt: null,
  };
  await storage.createApiKey(record, auditEntry(options, 'api_key.create', 'api_key', id, { name }, now));
  return { record, key };
}

/** Every API key, newest first (revoked ones too). */
export function listApiKeys(storage: Storage): Promise<ApiKeyRecord[]> {
  return storage.listApiKeys();
}

/**
 * Revokes an API key: refused from the moment this resolves, by every process. Returns the
 * record, or null when there is no such key (revoking a revoked key changes nothing).
 */
export async function revokeApiKey(
  storage: Storage,
  id: string,
  options: AdminActionOptions = {},
): Promise<ApiKeyRecord | null> {
  const now = Date.now();
  return storage.revokeApiKey(id, now, auditEntry(options, 'api_key.revoke', 'api_key', id, {}, now));
}

/** The public view of an API key: never the key, nor its hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  /** The key's last characters. */
  readonly hint: string;
  readonly created_at: string;
  readonly revoked_at: string | null;
}

export function viewApiKey(record: ApiKeyRecord): ApiKeyView {
  return {
    id: record.id,
    name: record.name,
    hint: record.hint,
    created_at: new Date(record.createdAt).toISOString(),
    revoked_at: record.revokedAt === null ? null : new Date(record.revokedAt).toISOString(),
  };
}
