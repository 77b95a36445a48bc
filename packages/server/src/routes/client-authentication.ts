import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, Errors, invalidRequest } from '../domain/errors.js';
import { authenticateClient, challenge } from '../plugins/client-auth.js';
import { sendApiError } from '../plugins/error-handler.js';
import { readClientForm } from '../plugins/form-body.js';
import { setRateLimitHeaders, type TokenRateLimits } from '../plugins/rate-limit.js';
import type { ApplicationCache, CachedApplication } from '../storage/application-cache.js';
import { setNoStore } from './token.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The application authenticated by {@link basicClientAuthentication} (revoke, introspect). */
    authenticatedClient: CachedApplication | null;
  }
}

/** What {@link basicClientAuthentication} needs. */
export interface ClientAuthenticationDeps {
  readonly applications: ApplicationCache;
  readonly pepper: Buffer;
  readonly limits: TokenRateLimits;
}

/** 400 for a missing `token` parameter (RFC 7009 §2.1, RFC 7662 §2.1). */
export const missingToken = invalidRequest('The request is missing a required parameter (token)');

/**
 * An `onRequest` hook authenticating the calling application with HTTP Basic exactly as the token
 * endpoint does, before the body is read: `Cache-Control: no-store`; an IP over its
 * failed-authentication budget gets 429; unknown ID and wrong secret are the same 401 (and
 * spend that budget); a disabled application gets 403. The per-application token request
 * budget is not spent.
 */
export function basicClientAuthentication(
  deps: ClientAuthenticationDeps,
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const { applications, pepper, limits } = deps;
  return async (request, reply) => {
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
    if (result.outcome === 'disabled') return sendApiError(reply, Errors.accessDenied);
    request.authenticatedClient = result.application;
    return undefined;
  };
}

/**
 * Reads the `token` parameter of a revocation or introspection request: the body must be
 * `application/x-www-form-urlencoded`, well formed, without repeated parameters or a
 * `client_secret`, and hold a non-empty `token`. `token_type_hint` is accepted and ignored
 * (access tokens are the only kind this server issues).
 */
export function readTokenParameter(request: FastifyRequest): string | ApiError {
  const params = readClientForm(request);
  if (params instanceof ApiError) return params;
  const token = params.get('token');
  if (token === undefined || token === '') return missingToken;
  return token;
}
