/**
 * What every route of the admin REST API shares: the hooks (`Cache-Control: no-store`, the API
 * key), JSON in and out, the actor and request ID of every change, and how storage and
 * propagation failures are answered.
 *
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AdminActionOptions } from '../../admin/audit.js';
import { ApiError, Errors, invalidRequest } from '../../contract/errors.js';
import type { Clock } from '../../domain/clock.js';
import type { ScopeCatalogue } from '../../domain/scopes.js';
import { apiKeyAuthentication, authenticatedApiKey } from '../../http/api-key-authentication.js';
import type { TokenRateLimits } from '../../limits/index.js';
import { DatabaseBusyError, type Storage } from '../../storage/types.js';
import { PropagationError } from '../../sync/propagation.js';

/** What the admin routes work with. */
export interface AdminRouteDeps {
  readonly storage: Storage;
  readonly pepper: Buffer;
  readonly now: Clock;
  readonly catalogue: ScopeCatalogue;
  readonly limits: TokenRateLimits;
}

/** An `onRequest` hook. */
type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/** `Cache-Control: no-store` on every response of the admin API (errors included). */
export async function noStore(_request: FastifyRequest, reply: FastifyReply): Promise<undefined> {
  reply.header('cache-control', 'no-store');
  return undefined;
}

/** The `onRequest` hooks of an admin route that needs an API key: no-store, then the key. */
export function adminHooks(deps: AdminRouteDeps): Hook[] {
  return [noStore, apiKeyAuthentication(deps)];
}

/** Sends `{"data": data}` as JSON with `status`. */
export function sendData(reply: FastifyReply, data: unknown, status = 200): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify({ data }));
}

/**
 * The options of an admin change made by `request`: its API key as the audit actor and its
 * `X-Request-Id`, so the audit log ties the change to the request.
 */
export function actionOptions(request: FastifyRequest): AdminActionOptions {
  const key = authenticatedApiKey(request);
  return { actor: { type: 'api_key', id: key.id, name: key.name }, requestId: request.id };
}

/**
 * Runs a storage read or an admin action and answers its failures: an {@link ApiError} as it is,
 * a {@link PropagationError} as 503 "saved but not yet confirmed" (the lagging processes go to
 * the log, never to the client), anything else (the database is unreachable, a query failed) as
 * 503 `service_unavailable`, logged with its cause. Never a 500 with a stack.
 */
export async function fromStorage<T>(request: FastifyRequest, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error instanceof PropagationError) {
      request.log.warn(
        { lagging: error.lagging, seq: error.seq },
        'admin change saved but not confirmed by every server process',
      );
      throw Errors.changeNotConfirmed;
    }
    if (error instanceof DatabaseBusyError) {
      request.log.warn('the database is busy (another process holds the write lock)');
      throw Errors.databaseBusy;
    }
    request.log.error({ err: error }, 'database call of the admin API failed');
    throw Errors.databaseUnavailable;
  }
}

/** Tells whether a Content-Type header names `application/json` (parameters allowed). */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semicolon = header.indexOf(';');
  const mediaType = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === 'application/json';
}

const notAnObject = invalidRequest('body: must be a JSON object');

/**
 * The JSON object in the request's body (`Content-Type: application/json`, at most 16 KiB: the
 * server's body limit). The app keeps bodies raw (`form-body.ts`), so JSON is parsed here, after
 * the API key was checked.
 *
 * @throws ApiError 400 `invalid_request` for another content type, invalid JSON or a body that
 *   is not an object.
 */
export function readJsonObject(request: FastifyRequest): Record<string, unknown> {
  if (!isJsonContentType(request.headers['content-type'])) throw Errors.jsonContentType;
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof request.body === 'string' ? request.body : '');
  } catch {
    throw notAnObject;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw notAnObject;
  return parsed as Record<string, unknown>;
}

/** The ISO 8601 form of an epoch-ms instant. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
