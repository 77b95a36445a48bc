/**
 * The claims of an access token that passed verification (RFC 9068 §2.2). The object and its
 * arrays are frozen; a cached token yields the same object on every call.
 */
export interface VerifiedAccessToken {
  /** Subject: the Application ID. */
  readonly sub: string;
  /** The Application ID the token was issued to. */
  readonly client_id: string;
  /** Granted scope, space-delimited, as in the token (`''` when the token has none). */
  readonly scope: string;
  /** {@link VerifiedAccessToken.scope} split into tokens. */
  readonly scopes: readonly string[];
  /** Issued at, seconds since the epoch. */
  readonly iat: number;
  /** Expiry, seconds since the epoch; absent for a never-expiring token. */
  readonly exp?: number;
  /** Unique token id. */
  readonly jti: string;
  readonly iss: string;
  /** Audience(s), as in the token. */
  readonly aud: string | readonly string[];
  /** The whole claims set, including claims not listed above. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** Per-call options of `verifier.verify()`. */
export interface VerifyOptions {
  /** Every one of these scope tokens must be in the token's `scope`, else 403 `insufficient_scope`. */
  scopes?: readonly string[] | undefined;
}
