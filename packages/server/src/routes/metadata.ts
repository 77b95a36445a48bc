import type { FastifyInstance } from 'fastify';
import { INTROSPECT_PATH, JWKS_PATH, METADATA_PATH, REVOKE_PATH, TOKEN_PATH } from '../contract/paths.js';
import type { ScopeCatalogue } from '../domain/scopes.js';
import { GRANT_TYPE } from '../tokens/client-credentials.js';
import type { Issuer } from '../tokens/issuer.js';

const CLIENT_AUTH_METHODS = ['client_secret_basic'];

/**
 * The RFC 8414 metadata for `issuer`. Endpoint URLs are the issuer plus the server's paths (so
 * an issuer behind a path prefix yields prefixed URLs). `response_types_supported`, REQUIRED by
 * RFC 8414, is `[]`: there is no authorization endpoint, only the client credentials grant.
 */
export function authorizationServerMetadata(
  issuer: string,
  catalogue: ScopeCatalogue,
): Record<string, unknown> {
  const base = issuer.replace(/\/+$/, '');
  return {
    issuer,
    token_endpoint: base + TOKEN_PATH,
    jwks_uri: base + JWKS_PATH,
    revocation_endpoint: base + REVOKE_PATH,
    introspection_endpoint: base + INTROSPECT_PATH,
    scopes_supported: catalogue.scopes,
    response_types_supported: [],
    grant_types_supported: [GRANT_TYPE],
    token_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
  };
}

/** `GET /.well-known/oauth-authorization-server` (RFC 8414 §3), cacheable for 5 minutes. */
export function registerMetadataRoute(
  app: FastifyInstance,
  deps: { readonly issuer: Issuer; readonly catalogue: ScopeCatalogue },
): void {
  let cached: { issuer: string; body: string } | undefined;
  app.get(METADATA_PATH, (_request, reply) => {
    const issuer = deps.issuer.url;
    if (cached?.issuer !== issuer) {
      cached = { issuer, body: JSON.stringify(authorizationServerMetadata(issuer, deps.catalogue)) };
    }
    reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(cached.body);
  });
}
