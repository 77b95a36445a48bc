import type { FastifyInstance } from 'fastify';
import { Errors } from '../domain/errors.js';
import { sendApiError } from '../plugins/error-handler.js';
import { setRateLimitHeaders, type TokenRateLimits } from '../plugins/rate-limit.js';
import { setNoStore, TOKEN_PATH } from './token.js';

/**
 * Unmatched requests: any method but POST on the token path is 405 with `Allow: POST`
 * (it reports the caller's failed-authentication budget, since no application is known);
 * every other path is 404. Both use the error envelope.
 */
export function registerNotFound(app: FastifyInstance, limits: TokenRateLimits): void {
  app.setNotFoundHandler(async (request, reply) => {
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    if (path === TOKEN_PATH) {
      setNoStore(reply);
      setRateLimitHeaders(reply, await limits.authFailureState(request.ip), false);
      reply.header('allow', 'POST');
      return sendApiError(reply, Errors.invalidMethod);
    }
    return sendApiError(reply, Errors.notFound);
  });
}
