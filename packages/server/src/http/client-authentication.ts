/**
 * Client authentication for the endpoints an application calls with its ID and secret (token,
 * revocation, introspection): HTTP Basic parsing, the secret check, the failed-authentication
 * budget per client IP, and the 401 challenge. Each route adds only its own tail (see
 * {@link VerifiedClientStep}).
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import type { ApplicationCache, CachedApplication } from '../cache/application-cache.js';
import { Errors } from '../contract/errors.js';
import { PepperedHmac } from '../domain/secret-hmac.js';
import { NO_SECRET } from '../domain/secrets.js';
import { type TokenRateLimits, whenSettled } from '../limits/index.js';
import { sendApiError } from './error-handler.js';
import { decodeFormComponent } from './form-body.js';
import { setRateLimitHeaders } from './rate-limit-headers.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The application authenticated by {@link clientAuthentication} (token, revoke, introspect). */
    authenticatedClient: CachedApplication | null;
  }
}

/** Credentials found in a Basic header. */
export interface BasicCredentials {
  readonly id: string;
  readonly secret: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads `Authorization: Basic ...` as RFC 6749 §2.3.1 says: base64 of
 * form-urlencoded id ":" form-urlencoded secret, split at the first ':'.
 * Returns undefined for anything malformed (missing header, other scheme, bad base64, bad
 * UTF-8, bad percent-encoding, no ':', empty id).
 */
export function parseBasicCredentials(header: string | undefined): BasicCredentials | undefined {
  if (header === undefined || header.length < 7 || header.length > 1024) return undefined;
  if (header.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const encoded = header.slice(6).trim();
  if (encoded.length === 0 || encoded.length % 4 !== 0 || !BASE64.test(encoded)) return undefined;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'));
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return {
      id: decodeFormComponent(decoded.slice(0, colon)),
      secret: decodeFormComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return undefined;
  }
}

/** The outcome of client authentication. */
export type ClientAuthResult =
  | { readonly outcome: 'authenticated'; readonly application: CachedApplication }
  | { readonly outcome: 'disabled'; readonly application: CachedApplication }
  | { readonly outcome: 'invalid' };

const INVALID: ClientAuthResult = { outcome: 'invalid' };

/**
 * Authenticates a client from its Authorization header against the in-memory applications, at
 * `now` (epoch ms: a previous secret is accepted until its grace period ends). Its current and
 * previous secrets are both compared, in constant time, whichever matches; an unknown ID costs
 * the same HMAC and comparisons as a wrong secret, and both give the same result; "disabled" is
 * only revealed after the secret was verified. The secret that matched is noted in memory for
 * its `last_used_at` (written later, off this path: `sync/secret-use.ts`).
 */
export function authenticateClient(
  header: string | undefined,
  applications: ApplicationCache,
  secretHmac: PepperedHmac,
  now: number,
): ClientAuthResult {
  const credentials = parseBasicCredentials(header);
  if (credentials === undefined) return INVALID;
  const application = applications.get(credentials.id);
  const matched = applications.matchSecret(application, secretHmac, credentials.secret, now);
  if (matched === NO_SECRET || application === undefined) return INVALID;
  applications.noteSecretUse(application, matched);
  return application.active
    ? { outcome: 'authenticated', application }
    : { outcome: 'disabled', application };
}

/** The realm sent in `WWW-Authenticate` on 401 responses. */
export const AUTH_REALM = 'smscx-oauth';

/** Adds `WWW-Authenticate: Basic realm="..."` (RFC 6749 §5.2). */
export function challenge(reply: FastifyReply): void {
  reply.header('www-authenticate', `Basic realm="${AUTH_REALM}", charset="UTF-8"`);
}

/** `Cache-Control: no-store` and `Pragma: no-cache` on every response of these endpoints (RFC 6749 §5.1). */
export function setNoStore(reply: FastifyReply): void {
  reply.header('cache-control', 'no-store');
  reply.header('pragma', 'no-cache');
}

/** What {@link clientAuthentication} needs. */
export interface ClientAuthenticationDeps {
  readonly applications: ApplicationCache;
  readonly pepper: Buffer;
  readonly limits: TokenRateLimits;
  /** The clock of the rate-limit headers and of the previous secrets' grace periods. */
  readonly now: () => number;
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

/** An `onRequest` hook. */
export type OnRequestHook = (
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
) => void;

/** Adds `request.authenticatedClient`; once per server, before the routes that authenticate. */
export function registerClientAuthentication(app: FastifyInstance): void {
  app.decorateRequest('authenticatedClient', null);
}

/**
 * An `onRequest` hook authenticating the calling application with HTTP Basic, before the body
 * is read, in the contract's check order: `Cache-Control: no-store`; an IP over its
 * failed-authentication budget gets 429; unknown ID and wrong secret are the same 401 with the
 * challenge (and spend that budget). Then `verified` decides.
 *
 * Callback style rather than async: with the in-memory limiter the whole check runs
 * synchronously, with no promise per request. Answering without calling `done` ends the request.
 */
export function clientAuthentication(
  deps: ClientAuthenticationDeps,
  verified: VerifiedClientStep,
): OnRequestHook {
  const { applications, limits, now } = deps;
  const secretHmac = new PepperedHmac(deps.pepper);
  return (request, reply, done) => {
    setNoStore(reply);
    const blocked = limits.blockedState(request.ip);
    if (blocked !== undefined) {
      setRateLimitHeaders(reply, blocked, true, now());
      sendApiError(reply, Errors.rateLimit);
      return;
    }
    const result = authenticateClient(request.headers.authorization, applications, secretHmac, now());
    if (result.outcome !== 'invalid') {
      verified(result, request, reply, done);
      return;
    }
    whenSettled(
      limits.recordAuthFailure(request.ip),
      ({ state, limited }) => {
        setRateLimitHeaders(reply, state, limited, now());
        if (limited) {
          sendApiError(reply, Errors.rateLimit);
          return;
        }
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
export function basicClientAuthentication(deps: ClientAuthenticationDeps): OnRequestHook {
  return clientAuthentication(deps, (client, request, reply, done) => {
    if (client.outcome === 'disabled') {
      sendApiError(reply, Errors.accessDenied);
      return;
    }
    request.authenticatedClient = client.application;
    done();
  });
}

/** The application {@link clientAuthentication} let through, for the route's handler. */
export function authenticatedClient(request: FastifyRequest): CachedApplication {
  const client = request.authenticatedClient;
  if (client === null) throw new Error('route without client authentication');
  return client;
}
