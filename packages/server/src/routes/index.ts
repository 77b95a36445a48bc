/**
 * Every route of the server, registered in one place: what the server answers is this list.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import type { ApplicationCache } from '../cache/application-cache.js';
import type { RevokedTokens } from '../cache/revoked-tokens.js';
import type { Clock } from '../domain/clock.js';
import type { ScopeCatalogue } from '../domain/scopes.js';
import { registerApiKeyAuthentication } from '../http/api-key-authentication.js';
import { registerClientAuthentication } from '../http/client-authentication.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { TokenRateLimits } from '../limits/index.js';
import type { HealthChecks } from '../observability/index.js';
import type { Storage } from '../storage/types.js';
import type { ClientCredentialsGrant } from '../tokens/client-credentials.js';
import type { Issuer } from '../tokens/issuer.js';
import type { AccessTokenChecker } from '../tokens/token-checker.js';
import { registerAdminRoutes } from './admin/index.js';
import { registerAdminPage } from './admin-page.js';
import { registerApplicationsRoutes } from './applications.js';
import { registerHealthRoutes } from './health.js';
import { registerIntrospectRoute } from './introspect.js';
import { registerJwksRoute } from './jwks.js';
import { registerMetadataRoute } from './metadata.js';
import { registerNotFound } from './not-found.js';
import { registerRevokeRoute } from './revoke.js';
import { registerTokenRoute } from './token.js';

/** What the routes work with, built once by `buildApp`. */
export interface RouteDeps {
  readonly storage: Storage;
  readonly pepper: Buffer;
  readonly now: Clock;
  readonly issuer: Issuer;
  readonly catalogue: ScopeCatalogue;
  readonly applications: ApplicationCache;
  readonly keys: KeyRing;
  readonly limits: TokenRateLimits;
  readonly grant: ClientCredentialsGrant;
  readonly checker: AccessTokenChecker;
  readonly revoked: RevokedTokens;
  readonly health: HealthChecks;
}

/**
 * Registers every endpoint: `POST /oauth/token`, `/oauth/revoke` and `/oauth/introspect` (HTTP
 * Basic), the JWKS, the RFC 8414 metadata, the SMS.CX `GET /applications/scopes` (Bearer token or
 * API key) and `GET /applications` (API key), the admin REST API under `/admin/v1` (API key), and
 * the admin web page at `/admin`, `GET /healthz` and `/readyz`, and the 404/405 answer for
 * everything else.
 */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  registerClientAuthentication(app);
  registerApiKeyAuthentication(app);
  registerTokenRoute(app, deps);
  registerRevokeRoute(app, deps);
  registerIntrospectRoute(app, deps);
  registerJwksRoute(app, deps.keys);
  registerMetadataRoute(app, deps);
  registerApplicationsRoutes(app, { ...deps, verifier: deps.checker.verifier });
  registerAdminRoutes(app, deps);
  registerAdminPage(app);
  registerHealthRoutes(app, deps.health);
  registerNotFound(app, deps.limits, deps.now);
}
