import { ApiException } from '../core/errors.js';
import { redactTokenBody } from '../internal/redact.js';

/**
 * The `200` body of `POST /oauth/token`. Field names are the wire names (snake_case).
 * @see RFC 6749 §5.1
 */
export interface OauthTokenResponse {
  /** The access token (a signed JWT); send it as `Authorization: Bearer <token>`. */
  access_token: string;
  /** Lifetime in seconds; `0` means the token never expires. */
  expires_in: number;
  /** The granted scope, space-delimited. */
  scope: string;
  /** Always `Bearer` (compared case-insensitively). */
  token_type: string;
}

/**
 * Validates a `200` body and returns it typed, so a broken response is an error here rather than
 * an `undefined` token later.
 *
 * @throws ApiException with a message naming the broken field. Its `body` has any
 *   `access_token` value redacted.
 */
export function parseOauthTokenResponse(status: number, headers: Headers, body: string): OauthTokenResponse {
  const fail = (why: string): never => {
    throw new ApiException(`Invalid token response: ${why}`, {
      status,
      headers,
      body: redactTokenBody(body),
    });
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return fail('body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return fail('body is not an object');
  const record = parsed as Record<string, unknown>;
  const { access_token, token_type, expires_in, scope } = record;
  if (typeof access_token !== 'string' || access_token === '') return fail('access_token missing or empty');
  if (typeof token_type !== 'string' || token_type.toLowerCase() !== 'bearer') {
    return fail('token_type is not Bearer');
  }
  if (typeof expires_in !== 'number' || !Number.isSafeInteger(expires_in) || expires_in < 0) {
    return fail('expires_in is not a non-negative integer');
  }
  if (typeof scope !== 'string') return fail('scope is not a string');
  return { access_token, expires_in, scope, token_type };
}
