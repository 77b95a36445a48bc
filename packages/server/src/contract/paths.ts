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

/** `GET`: the SMS.CX applications list, for an API key. */
export const APPLICATIONS_PATH = '/applications';
/** Where the admin REST API lives: every path below starts with it. */
export const ADMIN_PREFIX = '/admin/v1';
/** `GET`: the calling API key. */
export const ADMIN_ME_PATH = `${ADMIN_PREFIX}/me`;
/** `GET`: the scope catalogue with descriptions. */
export const ADMIN_SCOPES_PATH = `${ADMIN_PREFIX}/scopes`;
/** `GET`: the OpenAPI 3.1 document of the admin API and the SMS.CX applications endpoints (no key needed). */
export const ADMIN_OPENAPI_PATH = `${ADMIN_PREFIX}/openapi.json`;
/** `GET` (list, `?search=`), `POST` (create). */
export const ADMIN_APPLICATIONS_PATH = `${ADMIN_PREFIX}/applications`;
/** `GET`, `PATCH`, `DELETE` one application. */
export const ADMIN_APPLICATION_PATH = `${ADMIN_APPLICATIONS_PATH}/:application_id`;
/** `POST`: disable an application. */
export const ADMIN_APPLICATION_DISABLE_PATH = `${ADMIN_APPLICATION_PATH}/disable`;
/** `POST`: enable an application. */
export const ADMIN_APPLICATION_ENABLE_PATH = `${ADMIN_APPLICATION_PATH}/enable`;
/** `POST`: a new secret for an application. */
export const ADMIN_APPLICATION_ROTATE_SECRET_PATH = `${ADMIN_APPLICATION_PATH}/rotate-secret`;
/** `DELETE`: end one of an application's secrets (the previous one, in its grace period) at once. */
export const ADMIN_APPLICATION_SECRET_PATH = `${ADMIN_APPLICATION_PATH}/secrets/:secret_id`;
/** `POST`: revoke every token of an application issued so far. */
export const ADMIN_APPLICATION_REVOKE_TOKENS_PATH = `${ADMIN_APPLICATION_PATH}/revoke-tokens`;
/** `GET`: the signing keys. */
export const ADMIN_KEYS_PATH = `${ADMIN_PREFIX}/keys`;
/** `POST`: a new current signing key. Registered before {@link ADMIN_KEY_PATH}'s parameter matches it. */
export const ADMIN_KEYS_ROTATE_PATH = `${ADMIN_KEYS_PATH}/rotate`;
/** `GET`: one signing key with its public JWK. */
export const ADMIN_KEY_PATH = `${ADMIN_KEYS_PATH}/:kid`;
/** `GET`: the audit log, newest first, paged. */
export const ADMIN_AUDIT_PATH = `${ADMIN_PREFIX}/audit`;

/**
 * Every path of the admin API with the methods it answers (`HEAD` wherever `GET`), in matching
 * order (a literal segment before a parameter): what the 405 answer's `Allow` lists.
 */
export const ADMIN_ROUTE_METHODS: ReadonlyArray<readonly [path: string, methods: readonly string[]]> = [
  [ADMIN_ME_PATH, ['GET', 'HEAD']],
  [ADMIN_SCOPES_PATH, ['GET', 'HEAD']],
  [ADMIN_OPENAPI_PATH, ['GET', 'HEAD']],
  [ADMIN_APPLICATIONS_PATH, ['GET', 'HEAD', 'POST']],
  [ADMIN_APPLICATION_PATH, ['GET', 'HEAD', 'PATCH', 'DELETE']],
  [ADMIN_APPLICATION_DISABLE_PATH, ['POST']],
  [ADMIN_APPLICATION_ENABLE_PATH, ['POST']],
  [ADMIN_APPLICATION_ROTATE_SECRET_PATH, ['POST']],
  [ADMIN_APPLICATION_SECRET_PATH, ['DELETE']],
  [ADMIN_APPLICATION_REVOKE_TOKENS_PATH, ['POST']],
  [ADMIN_KEYS_PATH, ['GET', 'HEAD']],
  [ADMIN_KEYS_ROTATE_PATH, ['POST']],
  [ADMIN_KEY_PATH, ['GET', 'HEAD']],
  [ADMIN_AUDIT_PATH, ['GET', 'HEAD']],
];

/** `GET`: liveness, the process answers (no authentication, no rate limit, never logged). */
export const HEALTHZ_PATH = '/healthz';
/** `GET`: readiness: the database is reachable, changes are followed, Redis answers (when configured). */
export const READYZ_PATH = '/readyz';
/** The health endpoints, GET and HEAD only. */
export const HEALTH_PATHS: ReadonlySet<string> = new Set([HEALTHZ_PATH, READYZ_PATH]);
/** `GET`: Prometheus metrics, on the metrics listener only (`--metrics-port`), never the public port. */
export const METRICS_PATH = '/metrics';
