import type { FastifyInstance } from 'fastify';
import { ApiError, Errors } from '../contract/errors.js';
import { CLIENT_AUTHENTICATED_PATHS, GET_PATHS } from '../contract/paths.js';
import { setNoStore } from '../http/client-authentication.js';
import { sendApiError } from '../http/error-handler.js';
import { setRateLimitHeaders } from '../http/rate-limit-headers.js';
import type { TokenRateLimits } from '../limits/index.js';

const invalidMethodGet = new ApiError(405, 'invalid_method', 1605, 'Method not allowed (use GET)');

/**
 * Unmatched requests: a known path with a method it does not answer is 405 with `Allow` (on the
 * POST endpoints also `Cache-Control: no-store` and the caller's failed-authentication budget,
 * since no application is known); every other path is 404. Both use the error envelope.
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
    if (GET_PATHS.has(path)) {
      reply.header('allow', 'GET, HEAD');
      return sendApiError(reply, invalidMethodGet);
    }
    return sendApiError(reply, Errors.notFound);
  });
}
