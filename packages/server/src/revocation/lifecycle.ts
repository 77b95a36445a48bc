import type { FastifyInstance } from 'fastify';
import type { ScopeCatalogue } from '../domain/scopes.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { TokenRateLimits } from '../plugins/rate-limit.js';
import { registerIntrospectRoute } from '../routes/introspect.js';
import { registerMetadataRoute } from '../routes/metadata.js';
import { registerRevokeRoute } from '../routes/revoke.js';
import { registerScopesRoute } from '../routes/scopes.js';
import type { ApplicationCache } from '../storage/application-cache.js';
import type { Storage } from '../storage/types.js';
import { RevokedTokens } from './revoked-tokens.js';
import { AccessTokenChecker } from './token-checker.js';

/**
 * Denylist entries are dropped this long after their token expired: a margin for clocks of
 * other processes (the server's own checks use no leeway).
 */
export const REVOKED_TOKEN_GRACE_MS = 5 * 60 * 1000;

/** What {@link TokenLifecycle} works with. */
export interface TokenLifecycleDeps {
  readonly storage: Storage;
  readonly keys: KeyRing;
  readonly applications: ApplicationCache;
  /** The server's `iss`. */
  readonly issuer: () => string;
  /** Where failures of background work (pruning) go. */
  readonly onError: (error: unknown) => void;
}

/**
 * Everything after issuance: the in-memory jti denylist (fed by the change-log follower),
 * the in-process token checker, and the routes built on them: `POST /oauth/revoke`,
 * `POST /oauth/introspect`, `GET /.well-known/oauth-authorization-server` and the protected
 * `GET /applications/scopes`.
 */
export class TokenLifecycle {
  readonly revoked = new RevokedTokens();
  readonly checker: AccessTokenChecker;
  readonly #deps: TokenLifecycleDeps;

  constructor(deps: TokenLifecycleDeps) {
    this.#deps = deps;
    this.checker = new AccessTokenChecker({ ...deps, revoked: this.revoked });
  }

  /** Loads the denylist (after `follower.markCurrent()`, like the applications). */
  async load(): Promise<void> {
    await this.revoked.loadAll(this.#deps.storage, Date.now() - REVOKED_TOKEN_GRACE_MS);
  }

  /** Change-follower handler: a token was revoked (possibly by another process). */
  revokedToken(jti: string): Promise<void> {
    return this.revoked.refresh(this.#deps.storage, jti);
  }

  /** Called on every change-log poll: prunes expired denylist entries now and then. */
  tick(now: number = Date.now()): void {
    this.revoked.prune(this.#deps.storage, now - REVOKED_TOKEN_GRACE_MS, now)?.catch(this.#deps.onError);
  }

  /** Registers the lifecycle routes. */
  register(
    app: FastifyInstance,
    deps: { readonly pepper: Buffer; readonly limits: TokenRateLimits; readonly catalogue: ScopeCatalogue },
  ): void {
    const { storage, applications, issuer } = this.#deps;
    const { pepper, limits, catalogue } = deps;
    const checker = this.checker;
    registerRevokeRoute(app, { applications, pepper, limits, storage, checker, revoked: this.revoked });
    registerIntrospectRoute(app, { applications, pepper, limits, checker });
    registerMetadataRoute(app, { issuer, catalogue });
    registerScopesRoute(app, { catalogue, verifier: checker.verifier });
  }
}
