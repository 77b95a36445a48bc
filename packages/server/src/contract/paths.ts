/**
 * The server's HTTP paths, in one place: the routes register them, the metadata document
 * advertises them and the not-found handler answers 405 for the wrong method on them.
 *
 * @module
 */

/** `POST`: the token endpoint (CONTRACT.md). */
export const TOKEN_PATH = '/oauth/token';
/** `POST`: token revocation (RFC 7009). */
export const REVOKE_PATH = '/oauth/revoke';
/** `POST`: token introspection (RFC 7662). */
export const INTROSPECT_PATH = '/oauth/introspect';
/** `GET`: the public signing keys. */
export const JWKS_PATH = '/.well-known/jwks.json';
/** `GET`: authorization server metadata (RFC 8414). */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';
/** `GET`: the scope catalogue, for a bearer token. */
export const SCOPES_PATH = '/applications/scopes';

/** The POST endpoints, all authenticated with HTTP Basic. */
export const CLIENT_AUTHENTICATED_PATHS: ReadonlySet<string> = new Set([
  TOKEN_PATH,
  REVOKE_PATH,
  INTROSPECT_PATH,
]);
/** The GET endpoints (Fastify answers HEAD for each). */
export const GET_PATHS: ReadonlySet<string> = new Set([JWKS_PATH, METADATA_PATH, SCOPES_PATH]);
