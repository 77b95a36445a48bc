import { randomBytes } from 'node:crypto';

/**
 * API keys of the admin API: `<id>.<secret>`, where the id (`ak_` and 12 hex characters) is
 * public and names the stored row, and the secret is 32 random bytes in base64url. Only
 * HMAC-SHA-256(pepper, key) is stored, like application secrets (see secrets.ts for why a fast
 * hash with a pepper suits a random 256-bit value).
 *
 * @module
 */

const API_KEY_PATTERN = /^(ak_[0-9a-f]{12})\.[A-Za-z0-9_-]{43}$/;

/** A new API key and its ID. */
export function newApiKey(): { readonly id: string; readonly key: string } {
  const id = `ak_${randomBytes(6).toString('hex')}`;
  return { id, key: `${id}.${randomBytes(32).toString('base64url')}` };
}

/** The ID inside a presented key, or undefined when it does not have an API key's shape. */
export function apiKeyId(presented: string): string | undefined {
  return API_KEY_PATTERN.exec(presented)?.[1];
}

/** How many trailing characters of a secret or key are kept to tell them apart. */
export const HINT_LENGTH = 4;

/** The last characters of a secret or key: enough to tell two apart, useless to guess one. */
export function hintOf(secret: string): string {
  return secret.slice(-HINT_LENGTH);
}
