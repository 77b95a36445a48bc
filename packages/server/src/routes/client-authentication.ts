import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError, Errors, invalidRequest } from '../domain/errors.js';
import { PepperedHmac } from '../domain/secret-hmac.js';
import { authenticateClient, type ClientAuthResult, challenge, setNoStore } from '../plugins/client-auth.js';
import { sendApiError } from '../plugins/error-handler.js';
import { readClientForm } from '../plugins/form-body.js';
import { setRateLimitHeaders, type TokenRateLimits, whenSettled } from '../plugins/rate-limit.js';
import type { ApplicationCache, CachedApplication } from '../storage/application-cache.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The application authenticated by {@link clientAuthentication} (token, revoke, introspect). */
    authenticatedClient: CachedApplication | null;
  }
}

/** What {@link clientAuthentication} needs. */
export interface ClientAuthenticationDeps {
  readonly applications: ApplicationCache;
  readonly pepper: Buffer;
  readonly limits: TokenRateLimits;
}

/** An application whose secret was verified: active, or disabled. */
export type VerifiedClient = Exclude<ClientAuthResult, { outcome: 'invalid' }>;

/**
 * What a route does once the secret was verified: answer (a disabled application, a spent
 * budget), or set `request.authenticatedClient` and call `done` to go on to the handler.
 */
export type VerifiedClientStep = (
  client: VerifiedClient,
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

/** 400 for a missing `token` parameter (RFC 7009 §2.1, RFC 7662 §2.1). */
export const missingToken = invalidRequest('The request is missing a required parameter (token)');

/** Adds `request.authenticatedClient`; once per server, before the routes that authenticate. */
export function registerClientAuthentication(app: FastifyInstance): void {
  app.decorateRequest('authenticatedClient', null);
}

/**
 * An `onRequest` hook authenticating the calling application with HTTP Basic, before the body
 * is read, as the token, revocation and introspection endpoints all do: `Cache-Control:
 * no-store`; an IP over its failed-authentication budget gets 429; unknown ID and wrong secret
 * are the same 401 with the challenge (and spend that budget). Then `verified` decides.
 *
 * Callback style rather than async: with the in-memory limiter the whole check runs
 * synchronously, with no promise per request. Answering without calling `done` ends the request.
 */
export function clientAuthentication(
  deps: ClientAuthenticationDeps,
  verified: VerifiedClientStep,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const { applications, limits } = deps;
  const secretHmac = new PepperedHmac(deps.pepper);
  return (request, reply, done) => {
    setNoStore(reply);
    const blocked = limits.blockedState(request.ip);
    if (blocked !== undefined) {
      setRateLimitHeaders(reply, blocked, true);
      sendApiError(reply, Errors.rateLimit);
      return;
    }
    const result = authenticateClient(request.headers.authorization, applications, secretHmac);
    if (result.outcome !== 'invalid') {
      verified(result, request, reply, done);
      return;
    }
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
  };
}

/**
 * {@link clientAuthentication} for revocation and introspection: a disabled application gets
 * 403, and the per-application token request budget is not spent.
 */
export function basicClientAuthentication(
  deps: ClientAuthenticationDeps,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return clientAuthentication(deps, (client, request, reply, done) => {
    if (client.outcome === 'disabled') {
      sendApiError(reply, Errors.accessDenied);
      return;
    }
    request.authenticatedClient = client.application;
    done();
  });
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
