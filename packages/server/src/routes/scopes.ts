import type { FastifyInstance } from 'fastify';
import { SCOPES_PATH } from '../contract/paths.js';
import { SCOPE_DESCRIPTIONS } from '../domain/scope-descriptions.js';
import type { ScopeCatalogue } from '../domain/scopes.js';
import { fastifyBearerAuth } from '../verify/fastify.js';
import type { AccessTokenVerifier } from '../verify/verifier.js';

/** One entry of `GET /applications/scopes`. */
export interface ScopeEntry {
  readonly scope: string;
  readonly description?: string;
}

/** The body of `GET /applications/scopes`: `{"data":[{"scope","description"?}, ...]}`, catalogue order. */
export function scopesBody(catalogue: ScopeCatalogue): string {
  const data: ScopeEntry[] = catalogue.scopes.map((scope) => {
    const description = SCOPE_DESCRIPTIONS[scope];
    return description === undefined ? { scope } : { scope, description };
  });
  return JSON.stringify({ data });
}

/**
 * `GET /applications/scopes`: the scope catalogue, for any valid bearer token (no particular
 * scope needed). The token is checked in-process by `fastifyBearerAuth` with the server's own
 * verifier (keys from the key ring; deleted or disabled applications, revoke-tokens and the jti
 * denylist honoured), in an `onRequest` hook so nothing is read before it passes. Failures are
 * 401 `invalid_token` with `WWW-Authenticate: Bearer ...` (RFC 6750 §3) and the error envelope.
 */
export function registerScopesRoute(
  app: FastifyInstance,
  deps: { readonly catalogue: ScopeCatalogue; readonly verifier: AccessTokenVerifier },
): void {
  const body = scopesBody(deps.catalogue);
  app.route({
    method: 'GET',
    url: SCOPES_PATH,
    onRequest: fastifyBearerAuth(deps.verifier),
    handler: (_request, reply) => {
      reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(body);
    },
  });
}
