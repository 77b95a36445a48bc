import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError, Errors } from '../domain/errors.js';
import type { ClientCredentialsGrant } from '../grants/client-credentials.js';
import { authenticateClient, challenge } from '../plugins/client-auth.js';
import { sendApiError } from '../plugins/error-handler.js';
import { readClientForm } from '../plugins/form-body.js';
import { setRateLimitHeaders, type TokenRateLimits, whenSettled } from '../plugins/rate-limit.js';
import type { ApplicationCache, CachedApplication } from '../storage/application-cache.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

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

  // A callback-style hook rather than an async one: with the in-memory limiter the whole
  // check runs synchronously, with no promise per request. Answering here (without calling
  // `done`) ends the request before its body is read.
  function authenticate(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    setNoStore(reply);
    const blocked = limits.blockedState(request.ip);
    if (blocked !== undefined) {
      setRateLimitHeaders(reply, blocked, true);
      sendApiError(reply, Errors.rateLimit);
      return;
    }
    const result = authenticateClient(request.headers.authorization, applications, pepper);
    if (result.outcome === 'invalid') {
      whenSettled(
        limits.recordAuthFailure(request.ip),
        (state) => {
          setRateLimitHeaders(reply, state, false);
          challenge(reply);
          request.log.debug('client authentication failed');
          sendApiError(reply, Errors.invalidClient);
        },
        done,
      );
      return;
    }
    if (result.outcome === 'disabled') {
      whenSettled(
        limits.requestState(result.application),
        (state) => {
          setRateLimitHeaders(reply, state, false);
          sendApiError(reply, Errors.accessDenied);
        },
        done,
      );
      return;
    }
    const application = result.application;
    whenSettled(
      limits.consumeRequest(application),
      ({ state, limited }) => {
        setRateLimitHeaders(reply, state, limited);
        if (limited) {
          sendApiError(reply, Errors.rateLimit);
          return;
        }
        request.oauthClient = application;
        done();
      },
      done,
    );
  }

  app.route({
    method: 'POST',
    url: TOKEN_PATH,
    onRequest: authenticate,
    handler: (request, reply) => {
      const application = request.oauthClient!;
      const params = readClientForm(request);
      if (params instanceof ApiError) return sendApiError(reply, params);
      const result = grant.handle(application, params);
      if (result instanceof ApiError) return sendApiError(reply, result);
      return reply.header('content-type', JSON_CONTENT_TYPE).send(result);
    },
  });
}
