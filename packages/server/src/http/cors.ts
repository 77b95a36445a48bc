/**
 * CORS for browser clients (`serve --cors-origin`): only for the listed origins, and only on the
 * endpoints a browser application may call with the SDK — the token endpoint, the SMS.CX
 * applications endpoints and the public key documents. Never on the admin API (the admin page is
 * served from the server's own origin) nor on revocation and introspection (resource servers, not
 * browsers, call those).
 *
 * No `Access-Control-Allow-Credentials`: the SDK sends its `Authorization` or `X-API-KEY` header
 * itself, with no cookie, so credentialed requests are never needed.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APPLICATIONS_PATH, JWKS_PATH, METADATA_PATH, SCOPES_PATH, TOKEN_PATH } from '../contract/paths.js';

/** The paths that answer cross-origin requests, with the method each allows. */
const CORS_PATHS: ReadonlyMap<string, string> = new Map([
  [TOKEN_PATH, 'POST'],
  [SCOPES_PATH, 'GET, HEAD'],
  [APPLICATIONS_PATH, 'GET, HEAD'],
  [JWKS_PATH, 'GET, HEAD'],
  [METADATA_PATH, 'GET, HEAD'],
]);

/** What a browser may read of a response besides the safelisted headers. */
const EXPOSED_HEADERS =
  'X-Request-Id, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset, Retry-After';
/** What a browser may send (the SDK's headers). */
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-API-KEY, X-Request-Id';
/** How long a browser may cache a preflight answer, in seconds. */
const PREFLIGHT_MAX_AGE_S = 600;

/**
 * Answers preflights and marks responses for `origins` (exact `scheme://host[:port]` values).
 * Registered first, so a preflight is answered before any authentication or rate limit.
 */
export function registerCors(app: FastifyInstance, origins: readonly string[]): void {
  if (origins.length === 0) return;
  const allowed = new Set(origins);
  app.addHook('onRequest', (request, reply, done) => {
    const origin = request.headers.origin;
    const methods = CORS_PATHS.get(pathOf(request));
    if (origin === undefined || methods === undefined) {
      done();
      return;
    }
    reply.header('vary', 'Origin');
    if (!allowed.has(origin)) {
      done();
      return;
    }
    reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined) {
      answerPreflight(reply, methods);
      return;
    }
    reply.header('access-control-expose-headers', EXPOSED_HEADERS);
    done();
  });
}

function answerPreflight(reply: FastifyReply, methods: string): void {
  reply
    .code(204)
    .header('access-control-allow-methods', methods)
    .header('access-control-allow-headers', ALLOWED_HEADERS)
    .header('access-control-max-age', PREFLIGHT_MAX_AGE_S)
    .send();
}

function pathOf(request: FastifyRequest): string {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
}
