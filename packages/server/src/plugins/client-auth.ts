import type { FastifyReply } from 'fastify';
import type { PepperedHmac } from '../domain/secret-hmac.js';
import { verifySecret } from '../domain/secrets.js';
import type { ApplicationCache, CachedApplication } from '../storage/application-cache.js';

/** Credentials found in a Basic header. */
export interface BasicCredentials {
  readonly id: string;
  readonly secret: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function formDecode(value: string): string {
  if (value.indexOf('%') === -1 && value.indexOf('+') === -1) return value;
  return decodeURIComponent(value.replaceAll('+', ' '));
}

/**
 * Reads `Authorization: Basic ...` as RFC 6749 §2.3.1 says: base64 of
 * form-urlencoded id ":" form-urlencoded secret, split at the first ':'.
 * Returns undefined for anything malformed (missing header, other scheme, bad base64, bad
 * UTF-8, bad percent-encoding, no ':', empty id).
 */
export function parseBasicCredentials(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined || header.length < 7 || header.length > 1024) return undefined;
  if (header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6).trim();
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}

/** The outcome of client authentication. */
export type ClientAuthResult =
  | { readonly outcome: 'authenticated'; readonly application: CachedApplication }
  | { readonly outcome: 'disabled'; readonly application: CachedApplication }
  | { readonly outcome: 'invalid' };

const INVALID: ClientAuthResult = { outcome: 'invalid' };

/**
 * Authenticates a client from its Authorization header against the in-memory applications.
 * An unknown ID costs the same HMAC and constant-time compare as a wrong secret, and both
 * give the same result; "disabled" is only revealed after the secret was verified.
 */
export function authenticateClient(
  header: string | undefined,
  applications: ApplicationCache,
  secretHmac: PepperedHmac,
): ClientAuthResult {
  const credentials = parseBasicCredentials(header);
  if (credentials === undefined) return INVALID;
  const application = applications.get(credentials.id);
  const storedHash = application === undefined ? undefined : applications.secretHash(application);
  if (!verifySecret(secretHmac, credentials.secret, storedHash) || application === undefined) return INVALID;
  return application.active
    ? { outcome: 'authenticated', application }
    : { outcome: 'disabled', application };
}

/** The realm sent in `WWW-Authenticate` on 401 responses. */
export const AUTH_REALM = 'smscx-oauth';

/** Adds `WWW-Authenticate: Basic realm="..."` (RFC 6749 §5.2). */
export function challenge(reply: FastifyReply): void {
  reply.header('www-authenticate', `Basic realm="${AUTH_REALM}", charset="UTF-8"`);
}

/** `Cache-Control: no-store` and `Pragma: no-cache` on every token endpoint response (RFC 6749 §5.1). */
export function setNoStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}
