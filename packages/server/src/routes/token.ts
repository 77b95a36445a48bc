import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, Errors } from '../domain/errors.js';
import type { ClientCredentialsGrant } from '../grants/client-credentials.js';
import { authenticateClient, challenge } from '../plugins/client-auth.js';
import { sendApiError } from '../plugins/error-handler.js';
import { isFormContentType, parseForm } from '../plugins/form-body.js';
import { setRateLimitHeaders, type TokenRateLimits } from '../plugins/rate-limit.js';
import type { ApplicationCache, CachedApplication } from '../storage/application-cache.js';

/** Path of the token endpoint. */
export const TOKEN_PATH = '/oauth/token';

/** What the token route needs. */
export interface TokenRouteDeps {
  readonly applications: ApplicationCache;
  readonly pepper: Buffer;
  readonly limits: TokenRateLimits;
  readonly grant: ClientCredentialsGrant;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated application of a token request (set before the body is read). */
    oauthClient: CachedApplication | null;
  }
}

/** `Cache-Control: no-store` and `Pragma: no-cache` on every token endpoint response (RFC 6749 §5.1). */
export function setNoStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/**
 * `POST /oauth/token`. Runs the contract's check order: failed-auth limit per IP (429) →
 * client authentication (401/403) → application's request rate (429) in an `onRequest`
 * hook, before the body is even read; then content type and body (400 invalid_request) →
 * grant type → scope in the handler.
 */
export function registerTokenRoute(app: FastifyInstance, deps: TokenRouteDeps): void {
  const { applications, pepper, limits, grant } = deps;
  app.decorateRequest('oauthClient', null);

  async function authenticate(
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    setNoStore(reply);
    const blocked = limits.blockedState(request.ip);
    if (blocked !== undefined) {
      setRateLimitHeaders(reply, blocked, true);
      return sendApiError(reply, Errors.rateLimit);
    }
    const result = authenticateClient(request.headers.authorization, applications, pepper);
    if (result.outcome === 'invalid') {
      setRateLimitHeaders(reply, await limits.recordAuthFailure(request.ip), false);
      challenge(reply);
      request.log.debug('client authentication failed');
      return sendApiError(reply, Errors.invalidClient);
    }
    if (result.outcome === 'disabled') {
      setRateLimitHeaders(reply, await limits.requestState(result.application.id), false);
      return sendApiError(reply, Errors.accessDenied);
    }
    const { state, limited } = await limits.consumeRequest(result.application.id);
    setRateLimitHeaders(reply, state, limited);
    if (limited) return sendApiError(reply, Errors.rateLimit);
    request.oauthClient = result.application;
    return undefined;
  }

  app.route({
    method: 'POST',
    url: TOKEN_PATH,
    onRequest: authenticate,
    handler: (request, reply) => {
      const application = request.oauthClient!;
      if (!isFormContentType(request.headers['content-type'])) return sendApiError(reply, Errors.contentType);
      const params = parseForm(typeof request.body === 'string' ? request.body : '');
      if (params instanceof ApiError) return sendApiError(reply, params);
      const result = grant.handle(application, params);
      if (result instanceof ApiError) return sendApiError(reply, result);
      return reply.header('content-type', 'application/json; charset=utf-8').send(result);
    },
  });
}
