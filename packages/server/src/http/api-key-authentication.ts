/**
 * API-key authentication (`X-API-KEY`) for the admin REST API and `GET /applications`: the key
 * looked up in storage on every request, its hash compared in constant time, and the same
 * failed-authentication budget per client IP as wrong application secrets.
 *
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Errors } from '../contract/errors.js';
import { apiKeyId } from '../domain/api-keys.js';
import { hashSecret } from '../domain/secrets.js';
import type { TokenRateLimits } from '../limits/index.js';
import type { ApiKeyRecord, Storage } from '../storage/types.js';
import { sendApiError } from './error-handler.js';
import { setRateLimitHeaders } from './rate-limit-headers.js';

/** The header that carries the key. */
export const API_KEY_HEADER = 'x-api-key';

/** The API key a request authenticated with: who acts, for the audit log. */
export interface ApiKeyIdentity {
  readonly id: string;
  readonly name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The API key {@link apiKeyAuthentication} let through; null on other routes. */
    apiKey: ApiKeyIdentity | null;
  }
}

/** Adds `request.apiKey`; once per server, before the routes that authenticate with a key. */
export function registerApiKeyAuthentication(app: FastifyInstance): void {
  app.decorateRequest('apiKey', null);
}

/** What {@link apiKeyAuthentication} needs. */
export interface ApiKeyAuthenticationDeps {
  readonly storage: Storage;
  readonly pepper: Buffer;
  readonly limits: TokenRateLimits;
  /** The clock of the rate-limit headers. */
  readonly now: () => number;
}

// Compared against when the key is malformed, unknown or revoked, so every refusal costs the
// same HMAC and comparison as a wrong key.
const DUMMY_HASH = randomBytes(32);

/**
 * The API key record `presented` authenticates, or undefined. Storage is read on every call, with
 * no cache in between: a key revoked by any process (the CLI, another instance) is refused by
 * every process from the moment the revocation is stored. A malformed key, an unknown ID, a
 * revoked key and a wrong key all compute the HMAC and a constant-time compare (against a dummy
 * hash when there is nothing to compare with), so the answer's timing does not tell them apart.
 *
 * @throws whatever storage throws (the database is unreachable).
 */
export async function verifyApiKey(
  storage: Storage,
  pepper: Buffer,
  presented: string | undefined,
): Promise<ApiKeyRecord | undefined> {
  const key = presented ?? '';
  const id = apiKeyId(key);
  const record = id === undefined ? null : await storage.getApiKey(id);
  const presentedHash = hashSecret(pepper, key);
  const usable =
    record !== null && record.revokedAt === null && record.keyHash.length === presentedHash.length;
  const equal = timingSafeEqual(presentedHash, usable ? record.keyHash : DUMMY_HASH);
  return equal && usable ? record : undefined;
}

/**
 * An `onRequest` hook requiring a valid `X-API-KEY`, before the body is read: an IP over its
 * failed-authentication budget gets 429 (with the rate-limit headers) before any look-up; a
 * missing, malformed, unknown, wrong or revoked key is 401 `invalid_api_key` and spends that
 * budget (429 when it was already spent); a database that cannot be read is 503. On success,
 * `request.apiKey` names the key.
 */
export function apiKeyAuthentication(
  deps: ApiKeyAuthenticationDeps,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const { storage, pepper, limits, now } = deps;
  return async (request, reply) => {
    const blocked = limits.blockedState(request.ip);
    if (blocked !== undefined) {
      setRateLimitHeaders(reply, blocked, true, now());
      return sendApiError(reply, Errors.rateLimit);
    }
    const header = request.headers[API_KEY_HEADER];
    let record: ApiKeyRecord | undefined;
    try {
      record = await verifyApiKey(storage, pepper, typeof header === 'string' ? header : undefined);
    } catch (error) {
      request.log.error({ err: error }, 'cannot read API keys from the database');
      throw Errors.databaseUnavailable; // the error handler adds Retry-After
    }
    if (record !== undefined) {
      request.apiKey = { id: record.id, name: record.name };
      return undefined;
    }
    const { state, limited } = await limits.recordAuthFailure(request.ip);
    setRateLimitHeaders(reply, state, limited, now());
    request.log.debug('API key authentication failed');
    return sendApiError(reply, limited ? Errors.rateLimit : Errors.invalidApiKey);
  };
}

/** The API key {@link apiKeyAuthentication} let through, for the route's handler. */
export function authenticatedApiKey(request: FastifyRequest): ApiKeyIdentity {
  const key = request.apiKey;
  if (key === null) throw new Error('route without API key authentication');
  return key;
}
