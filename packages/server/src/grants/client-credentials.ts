import { type ApiError, Errors } from '../domain/errors.js';
import { newTokenId } from '../domain/ids.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { CachedApplication } from '../storage/application-cache.js';

/** The only grant type the server supports. */
export const GRANT_TYPE = 'client_credentials';

/** Claims that do not depend on the request. */
export interface TokenClaimsConfig {
  /** `iss`; a function so the default can use the port the server actually bound. */
  readonly issuer: () => string;
  readonly audience: string;
}

/**
 * Issues access tokens for the client credentials grant (RFC 6749 §4.4) as RFC 9068 JWTs.
 * The payload JSON is assembled by hand: every value is either a pre-encoded JSON string or a
 * token that cannot contain characters needing escapes (hex IDs, scope tokens, base64url).
 */
export class ClientCredentialsGrant {
  private readonly keys: KeyRing;
  private readonly claims: TokenClaimsConfig;
  private issuerJson: string | undefined;
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
    this.issuerJson ??= JSON.stringify(this.claims.issuer());
    const iat = Math.floor(Date.now() / 1000);
    const exp = application.expiresIn === 0 ? '' : `,"exp":${iat + application.expiresIn}`;
    const payload = `{"iss":${this.issuerJson},"sub":"${application.id}","aud":${this.audienceJson},"client_id":"${application.id}","scope":"${scope}","iat":${iat}${exp},"jti":"${newTokenId()}"}`;
    return this.keys.signer.sign(payload);
  }
}
