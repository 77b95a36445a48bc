import type { FastifyInstance } from 'fastify';
import { ApiError, Errors } from '../domain/errors.js';
import { setNoStore } from '../plugins/client-auth.js';
import { sendApiError } from '../plugins/error-handler.js';
import { setRateLimitHeaders, type TokenRateLimits } from '../plugins/rate-limit.js';
import { INTROSPECT_PATH } from './introspect.js';
import { JWKS_PATH } from './jwks.js';
import { METADATA_PATH } from './metadata.js';
import { REVOKE_PATH } from './revoke.js';
import { SCOPES_PATH } from './scopes.js';
import { TOKEN_PATH } from './token.js';

/** The POST endpoints with client authentication. */
const POST_PATHS: ReadonlySet<string> = new Set([TOKEN_PATH, REVOKE_PATH, INTROSPECT_PATH]);
/** The GET endpoints (Fastify answers HEAD for each). */
const GET_PATHS: ReadonlySet<string> = new Set([JWKS_PATH, METADATA_PATH, SCOPES_PATH]);

const invalidMethodGet = new ApiError(405, 'invalid_method', 1605, 'Method not allowed (use GET)');

/**
 * Unmatched requests: a known path with a method it does not answer is 405 with `Allow` (on the
 * POST endpoints also `Cache-Control: no-store` and the caller's failed-authentication budget,
 * since no application is known); every other path is 404. Both use the error envelope.
 */
export function registerNotFound(app: FastifyInstance, limits: TokenRateLimits): void {
  app.setNotFoundHandler(async (request, reply) => {
    const query = request.url.indexOf('?');
    const path = query === -1 ? request.url : request.url.slice(0, query);
    if (POST_PATHS.has(path)) {
      setNoStore(reply);
      setRateLimitHeaders(reply, await limits.authFailureState(request.ip), false);
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
