import type { ApplicationCache } from '../cache/application-cache.js';
import type { RevokedTokens } from '../cache/revoked-tokens.js';
import type { Clock } from '../domain/clock.js';
import { isRevokedByNotBefore } from '../domain/not-before.js';
import { SIGNING_ALGORITHMS } from '../keys/key-material.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { Storage } from '../storage/types.js';
import { TokenVerificationError } from '../verify/errors.js';
import type { JsonWebKeySet } from '../verify/jwks.js';
import type { VerifiedAccessToken, VerifyOptions } from '../verify/types.js';
import { type AccessTokenVerifier, createVerifier, requireScopes } from '../verify/verifier.js';
import type { Issuer } from './issuer.js';

/**
 * Why a correctly signed, unexpired token is nevertheless inactive:
 * - `application_unknown`: the application was deleted (or is not known to this process yet);
 * - `application_disabled`: the application is disabled;
 * - `not_before`: issued before the application's `apps revoke-tokens` instant;
 * - `revoked`: its `jti` is on the denylist (`POST /oauth/revoke`).
 */
export type InactiveReason = 'application_unknown' | 'application_disabled' | 'not_before' | 'revoked';

/** The outcome of {@link AccessTokenChecker.check}. */
export type TokenCheck =
  | { readonly active: true; readonly token: VerifiedAccessToken }
  | { readonly active: false; readonly reason: InactiveReason | TokenVerificationError['reason'] };

/** What {@link AccessTokenChecker} reads. */
export interface AccessTokenCheckerDeps {
  /**
   * Asked whether a token's `jti` is revoked when the in-memory denylist does not already know
   * it is, and re-read for the keys when a token names a `kid` this process does not know.
   */
  readonly storage: Storage;
  readonly keys: KeyRing;
  readonly applications: ApplicationCache;
  readonly revoked: RevokedTokens;
  /** The `iss` the server issues. */
  readonly issuer: Issuer;
  /** The clock of expiry checks and key reloads. */
  readonly now: Clock;
  /** Verified tokens remembered by the signature check. Default 10,000. */
  readonly cacheSize?: number;
}

/** Least time between two key reloads triggered by an unknown `kid`. */
const KEY_RELOAD_COOLDOWN_MS = 1000;

/**
 * Checks access tokens inside the token server, against its own key ring (no HTTP).
 *
 * Signature and claims are checked by the `verify` library (`createVerifier` with the key
 * ring's public JWKS, the algorithms this server signs with, zero leeway: this server's clock is
 * the one that issued the tokens), whose cache makes a repeated token cost one map look-up. The status checks run on every call after
 * that, so a cached verification never outlives a revocation:
 * - application deleted or disabled, and the not-before of `apps revoke-tokens`: from the
 *   in-memory applications the change-log follower keeps fresh (another process's change is
 *   seen within one poll, like every admin change);
 * - the jti denylist: the in-memory set (revocations seen so far) and, when it does not have
 *   the token, one primary-key read of storage; so a revocation answered by any process on the
 *   same database is in effect here as soon as it was answered.
 */
export class AccessTokenChecker {
  readonly #deps: AccessTokenCheckerDeps;
  #inner: AccessTokenVerifier | undefined;
  #innerJwks = '';
  #innerIssuer = '';
  #lastKeyReload = Number.NEGATIVE_INFINITY;

  constructor(deps: AccessTokenCheckerDeps) {
    this.#deps = deps;
  }

  /**
   * An {@link AccessTokenVerifier} (for `fastifyBearerAuth`): signature and claims, then the
   * status checks (any failure: 401 `invalid_token`, reason `revoked`), then the required scopes
   * (403 `insufficient_scope`).
   */
  readonly verifier: AccessTokenVerifier = {
    verify: async (token: string, options?: VerifyOptions): Promise<VerifiedAccessToken> => {
      const verified = await this.verifySigned(token);
      if ((await this.inactiveReason(verified)) !== undefined) throw new TokenVerificationError('revoked');
      if (options?.scopes !== undefined) requireScopes(verified, options.scopes);
      return verified;
    },
    clearCache: () => this.#inner?.clearCache(),
  };

  /**
   * Checks signature and claims only (issued by this server, with a key it still publishes,
   * not expired), not revocation.
   *
   * @throws {TokenVerificationError} for any failure.
   */
  async verifySigned(token: string): Promise<VerifiedAccessToken> {
    try {
      return await this.#current().verify(token);
    } catch (err) {
      if (!(err instanceof TokenVerificationError) || err.reason !== 'unknown_key') throw err;
      // Another process may have rotated the keys and signed with the new one before this
      // process's follower noticed: re-read the keys (at most once a second) and try again.
      if (!(await this.#reloadKeys())) throw err;
      return this.#current().verify(token);
    }
  }

  /** Why a verified token is inactive, or undefined when it is active. */
  async inactiveReason(token: VerifiedAccessToken): Promise<InactiveReason | undefined> {
    const application = this.#deps.applications.get(token.client_id);
    if (application === undefined) return 'application_unknown';
    if (!application.active) return 'application_disabled';
    if (isRevokedByNotBefore(token.iat, application.tokensNotBefore)) return 'not_before';
    if (await this.isRevoked(token)) return 'revoked';
    return undefined;
  }

  /** Whether the token's `jti` is on the denylist: memory first, then storage. */
  async isRevoked(token: VerifiedAccessToken): Promise<boolean> {
    const { revoked, storage } = this.#deps;
    if (revoked.has(token.jti)) return true;
    if (!(await storage.isTokenRevoked(token.jti))) return false;
    // Revoked by another process, not yet seen through the change log: remember it now.
    revoked.add({ jti: token.jti, expiresAt: token.exp === undefined ? null : token.exp * 1000 });
    return true;
  }

  /** Full check, for introspection: never throws for a bad token. */
  async check(token: string): Promise<TokenCheck> {
    let verified: VerifiedAccessToken;
    try {
      verified = await this.verifySigned(token);
    } catch (err) {
      if (err instanceof TokenVerificationError) return { active: false, reason: err.reason };
      throw err;
    }
    const reason = await this.inactiveReason(verified);
    return reason === undefined ? { active: true, token: verified } : { active: false, reason };
  }

  /** The verifier for the current keys and issuer, rebuilt (cache included) when either changes. */
  #current(): AccessTokenVerifier {
    const jwks = this.#deps.keys.jwks;
    const issuer = this.#deps.issuer.url;
    if (this.#inner === undefined || jwks !== this.#innerJwks || issuer !== this.#innerIssuer) {
      this.#inner = createVerifier({
        issuer,
        keys: JSON.parse(jwks) as JsonWebKeySet,
        // Every algorithm this server signs with (its keys' `alg` decides which one a token has).
        algorithms: SIGNING_ALGORITHMS,
        leewaySeconds: 0,
        cacheSize: this.#deps.cacheSize,
        now: this.#deps.now,
      });
      this.#innerJwks = jwks;
      this.#innerIssuer = issuer;
    }
    return this.#inner;
  }

  /** Reloads the key ring from storage; true when the published keys changed. */
  async #reloadKeys(): Promise<boolean> {
    const now = this.#deps.now();
    if (now - this.#lastKeyReload < KEY_RELOAD_COOLDOWN_MS) return false;
    this.#lastKeyReload = now;
    const before = this.#deps.keys.jwks;
    try {
      await this.#deps.keys.load(this.#deps.storage, this.#deps.applications.anyNeverExpiring, now);
    } catch {
      return false;
    }
    return this.#deps.keys.jwks !== before;
  }
}
