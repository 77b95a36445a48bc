import type { FastifyInstance } from 'fastify';
import { ApiError, Errors } from '../contract/errors.js';
import {
  ADMIN_PREFIX,
  ADMIN_ROUTE_METHODS,
  APPLICATIONS_PATH,
  CLIENT_AUTHENTICATED_PATHS,
  GET_PATHS,
  HEALTH_PATHS,
} from '../contract/paths.js';
import { setNoStore } from '../http/client-authentication.js';
import { sendApiError } from '../http/error-handler.js';
import { setRateLimitHeaders } from '../http/rate-limit-headers.js';
import type { TokenRateLimits } from '../limits/index.js';

const invalidMethodGet = new ApiError(405, 'invalid_method', 1605, 'Method not allowed (use GET)');
const invalidMethodAdmin = new ApiError(405, 'invalid_method', 1605, 'Method not allowed (see Allow)');

/** The admin paths as patterns (a `:parameter` is one non-empty segment), with their `Allow`. */
const ADMIN_PATTERNS: ReadonlyArray<readonly [RegExp, string]> = ADMIN_ROUTE_METHODS.map(
  ([path, methods]) => [
    new RegExp(`^${path.replace(/[.]/g, '\\.').replace(/:[a-z_]+/g, '[^/]+')}$`),
    methods.join(', '),
  ],
);

/** The `Allow` of an admin path, or undefined when the admin API has no such path. */
export function adminAllow(path: string): string | undefined {
  return ADMIN_PATTERNS.find(([pattern]) => pattern.test(path))?.[1];
}

/**
 * Unmatched requests: a known path with a method it does not answer is 405 with `Allow` (on the
 * POST endpoints also `Cache-Control: no-store` and the caller's failed-authentication budget,
 * since no application is known; under `/admin/v1` also `Cache-Control: no-store`); every other
 * path is 404 (no-store under `/admin/v1`). Both use the error envelope.
 */
export function registerNotFound(app: FastifyInstance, limits: TokenRateLimits, now: () => number): void {
  app.setNotFoundHandler(async (request, reply) => {
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    if (CLIENT_AUTHENTICATED_PATHS.has(path)) {
      setNoStore(reply);
      setRateLimitHeaders(reply, await limits.authFailureState(request.ip), false, now());
      reply.header('allow', 'POST');
      return sendApiError(reply, Errors.invalidMethod);
    }
    if (GET_PATHS.has(path) || path === APPLICATIONS_PATH || HEALTH_PATHS.has(path)) {
      reply.header('allow', 'GET, HEAD');
      return sendApiError(reply, invalidMethodGet);
    }
    if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
      reply.header('cache-control', 'no-store');
      const allow = adminAllow(path);
      if (allow === undefined) return sendApiError(reply, Errors.notFound);
      reply.header('allow', allow);
      return sendApiError(reply, invalidMethodAdmin);
    }
    return sendApiError(reply, Errors.notFound);
  });
}
