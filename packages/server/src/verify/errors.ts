import { ERROR_DOCS_BASE, type ErrorEnvelope, errorEnvelope } from '../contract/envelope.js';

/**
 * Errors thrown by the access-token verifier, shaped as the SMS.CX error envelope.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3 (WWW-Authenticate for bearer tokens)
 */

/** The `error.type` values a verifier failure can carry. */
export type TokenErrorType = 'invalid_token' | 'insufficient_scope' | 'temporarily_unavailable';

/**
 * Why a token was refused; stable, for logs and `switch`. Never sent to the client as such.
 * - `missing`: no bearer token in the request.
 * - `malformed`: not a compact JWS, bad base64url, not JSON, too large, a claim of the wrong type.
 * - `unsupported_type`: header `typ` is not `at+jwt`.
 * - `alg_not_allowed`: `none`, HMAC, or an algorithm outside the allow-list.
 * - `unknown_key`: no key in the JWKS with the token's `kid` (after one refetch) or a key unfit for the alg.
 * - `bad_signature`, `wrong_issuer`, `wrong_audience`, `expired`, `not_yet_valid`, `issued_in_future`.
 * - `revoked`: introspection answered `active: false`.
 * - `insufficient_scope`: a required scope is missing (403).
 * - `keys_unavailable` / `introspection_unavailable`: the JWKS or introspection endpoint could not be reached (503).
 */
export type TokenErrorReason =
  | 'missing'
  | 'malformed'
  | 'unsupported_type'
  | 'alg_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'revoked'
  | 'insufficient_scope'
  | 'keys_unavailable'
  | 'introspection_unavailable';

/** Envelope `code` for `invalid_token` (401). */
export const INVALID_TOKEN_CODE = 1601;
/** Envelope `code` for `insufficient_scope` (403). */
export const INSUFFICIENT_SCOPE_CODE = 1603;
/** Envelope `code` for `temporarily_unavailable` (503: JWKS or introspection unreachable). */
export const TEMPORARILY_UNAVAILABLE_CODE = 1653;

/** The envelope `code` values of the verifier. */
export type TokenErrorCode =
  | typeof INVALID_TOKEN_CODE
  | typeof INSUFFICIENT_SCOPE_CODE
  | typeof TEMPORARILY_UNAVAILABLE_CODE;

/** Base of the envelope's `uri`, as the token server writes it: the docs section is the error type. */
export const TOKEN_ERROR_DOCS_BASE = ERROR_DOCS_BASE;

/** The SMS.CX error envelope as written by the adapters. */
export type TokenErrorEnvelope = ErrorEnvelope<TokenErrorType, TokenErrorCode>;

const MESSAGES: Record<TokenErrorReason, string> = {
  missing: 'Missing bearer token',
  malformed: 'The access token is malformed',
  unsupported_type: 'The access token type is not supported',
  alg_not_allowed: 'The access token algorithm is not allowed',
  unknown_key: 'The access token was signed with an unknown key',
  bad_signature: 'The access token signature is invalid',
  wrong_issuer: 'The access token was issued by an untrusted issuer',
  wrong_audience: 'The access token is not meant for this audience',
  expired: 'The access token expired',
  not_yet_valid: 'The access token is not yet valid',
  issued_in_future: 'The access token was issued in the future',
  revoked: 'The access token was revoked or is inactive',
  insufficient_scope: 'The access token lacks the required scope',
  keys_unavailable: 'The token signing keys are temporarily unavailable',
  introspection_unavailable: 'The token status is temporarily unavailable',
};

/**
 * Thrown by `verifier.verify()` for every refusal, and only this class is thrown.
 * The message is fixed per {@link TokenVerificationError.reason} and never echoes the token.
 *
 * @example
 * try { await verifier.verify(token) } catch (err) {
 *   if (err instanceof TokenVerificationError) res.writeHead(err.status, err.headers()).end(JSON.stringify(err.toEnvelope()));
 * }
 */
export class TokenVerificationError extends Error {
  override readonly name = 'TokenVerificationError';
  /** 401 (`invalid_token`), 403 (`insufficient_scope`) or 503 (`temporarily_unavailable`). */
  readonly status: 401 | 403 | 503;
  readonly type: TokenErrorType;
  /** 1601 `invalid_token`, 1603 `insufficient_scope`, 1653 `temporarily_unavailable`. */
  readonly code: TokenErrorCode;
  readonly reason: TokenErrorReason;
  /** Link to the docs section of {@link TokenVerificationError.type}, e.g. `https://docs.sms.cx/#invalid_token`. */
  readonly uri: string;
  /** For `insufficient_scope`: the space-delimited scopes the resource requires. */
  readonly scope: string | undefined;

  constructor(reason: TokenErrorReason, options: { scope?: string; cause?: unknown } = {}) {
    super(MESSAGES[reason], options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
    this.scope = options.scope;
    if (reason === 'insufficient_scope') {
      this.status = 403;
      this.type = 'insufficient_scope';
      this.code = INSUFFICIENT_SCOPE_CODE;
    } else if (reason === 'keys_unavailable' || reason === 'introspection_unavailable') {
      this.status = 503;
      this.type = 'temporarily_unavailable';
      this.code = TEMPORARILY_UNAVAILABLE_CODE;
    } else {
      this.status = 401;
      this.type = 'invalid_token';
      this.code = INVALID_TOKEN_CODE;
    }
    this.uri = TOKEN_ERROR_DOCS_BASE + this.type;
  }

  /** The body to send: `{"error":{type,code,message,uri}}`. */
  toEnvelope(): TokenErrorEnvelope {
    return errorEnvelope(this.type, this.code, this.message);
  }

  /**
   * The `WWW-Authenticate` value (RFC 6750 §3). No `error` parameter when the request carried no
   * token; `scope` for `insufficient_scope`. A 503 gets the bare challenge.
   */
  get wwwAuthenticate(): string {
    if (this.reason === 'missing' || this.status === 503) return 'Bearer realm="smscx"';
    let value = `Bearer realm="smscx", error="${this.type}", error_description="${this.message}"`;
    if (this.scope !== undefined) value += `, scope="${this.scope}"`;
    return value;
  }

  /** Response headers for this failure: `WWW-Authenticate`, `Cache-Control: no-store`, and `Retry-After` on 503. */
  headers(): Record<string, string> {
    const headers: Record<string, string> = {
      'www-authenticate': this.wwwAuthenticate,
      'cache-control': 'no-store',
    };
    if (this.status === 503) headers['retry-after'] = '1';
    return headers;
  }
}
