import type { CachedApplication } from '../cache/application-cache.js';
import { type ApiError, Errors } from '../contract/errors.js';
import type { Clock } from '../domain/clock.js';
import { newTokenId } from '../domain/ids.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { Issuer } from './issuer.js';

/** The only grant type the server supports. */
export const GRANT_TYPE = 'client_credentials';

/** Claims that do not depend on the request. */
export interface TokenClaimsConfig {
  readonly issuer: Issuer;
  readonly audience: string;
  /** The clock of `iat` and `exp`. */
  readonly now: Clock;
}

/**
 * Issues access tokens for the client credentials grant (RFC 6749 §4.4) as RFC 9068 JWTs.
 * The payload JSON is assembled by hand: every value is either a pre-encoded JSON string or a
 * token that cannot contain characters needing escapes (hex IDs, scope tokens, base64url).
 */
export class ClientCredentialsGrant {
  private readonly keys: KeyRing;
  private readonly claims: TokenClaimsConfig;
  // The issuer's JSON, re-encoded only when the issuer changes (once, when the server listens).
  private issuer = '';
  private issuerJson = '';
  private readonly audienceJson: string;

  constructor(keys: KeyRing, claims: TokenClaimsConfig) {
    this.keys = keys;
    this.claims = claims;
    this.audienceJson = JSON.stringify(claims.audience);
  }

  /**
   * Validates the form parameters (already read by `readClientForm`, so without client
   * credentials) of an authenticated application and returns the 200
   * response body, or the {@link ApiError} to answer with.
   */
  handle(application: CachedApplication, params: Map<string, string>): string | ApiError {
    const grantType = params.get('grant_type');
    if (grantType === undefined || grantType === '') return Errors.missingGrantType;
    if (grantType !== GRANT_TYPE) return Errors.unsupportedGrantType;
    const scope = application.scopes.grant(params.get('scope'));
    if (scope === undefined || scope === '') return Errors.invalidScope;
    const token = this.sign(application, scope);
    return `{"access_token":"${token}","token_type":"Bearer","expires_in":${application.expiresIn},"scope":"${scope}"}`;
  }

  private sign(application: CachedApplication, scope: string): string {
    const issuer = this.claims.issuer.url;
    if (issuer !== this.issuer) {
      this.issuer = issuer;
      this.issuerJson = JSON.stringify(issuer);
    }
    const now = this.claims.now();
    const iat = Math.floor(now / 1000);
    const exp = application.expiresIn === 0 ? '' : `,"exp":${iat + application.expiresIn}`;
    const payload = `{"iss":${this.issuerJson},"sub":"${application.id}","aud":${this.audienceJson},"client_id":"${application.id}","scope":"${scope}","iat":${iat}${exp},"jti":"${newTokenId()}"}`;
    // The key in force at the token's own instant: a `next` key signs from its activation on.
    return this.keys.signerAt(now).sign(payload);
  }
}
