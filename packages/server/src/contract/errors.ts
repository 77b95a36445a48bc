import { errorEnvelope } from './envelope.js';

/** Every `error.type` the server can answer with. */
export type ApiErrorType =
  | 'invalid_request'
  | 'invalid_scope'
  | 'unsupported_grant_type'
  | 'invalid_client'
  | 'access_denied'
  | 'not_found'
  | 'invalid_method'
  | 'rate_limit'
  | 'server_error'
  | 'service_unavailable'
  | 'invalid_api_key'
  | 'conflict';

/** Base of the `uri` member: the docs section is the error type, e.g. `https://docs.sms.cx/#invalid_scope`. */
export const ERROR_DOCS_BASE = 'https://docs.sms.cx/#';

/**
 * An error the server answers with: HTTP status plus the SMS.CX envelope
 * `{"error":{"type","code","message","uri"}}`. The body is encoded once, at construction,
 * because the common errors are module-level constants reused on every request.
 * Messages are fixed texts and never contain request input.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly code: number;
  /** The JSON envelope, ready to send. */
  readonly body: string;

  constructor(status: number, type: ApiErrorType, code: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.code = code;
    this.body = JSON.stringify(errorEnvelope(type, code, message));
  }
}

/** 400 invalid_request with a specific message. */
export function invalidRequest(message: string): ApiError {
  return new ApiError(400, 'invalid_request', 1600, message);
}

/** The errors of the contract, one instance each. */
export const Errors = {
  missingGrantType: invalidRequest('The request is missing a required parameter (grant_type)'),
  contentType: invalidRequest('Content-Type must be application/x-www-form-urlencoded'),
  unparseableBody: invalidRequest('The request body is not valid application/x-www-form-urlencoded'),
  repeatedParameter: invalidRequest('A parameter was sent more than once'),
  bodyCredentials: invalidRequest(
    'Client credentials are accepted only in the Authorization header (HTTP Basic)',
  ),
  badRequest: invalidRequest('The request is malformed'),
  bodyTooLarge: new ApiError(413, 'invalid_request', 1613, 'Request body too large'),
  invalidScope: new ApiError(
    400,
    'invalid_scope',
    1600,
    'The requested scope is invalid, unknown, or malformed',
  ),
  unsupportedGrantType: new ApiError(
    400,
    'unsupported_grant_type',
    1600,
    'The grant type is not supported (only client_credentials)',
  ),
  invalidClient: new ApiError(401, 'invalid_client', 1600, 'Invalid client'),
  accessDenied: new ApiError(403, 'access_denied', 1603, 'The application is disabled'),
  notFound: new ApiError(404, 'not_found', 1604, 'Not found'),
  invalidMethod: new ApiError(405, 'invalid_method', 1605, 'Method not allowed (use POST)'),
  rateLimit: new ApiError(429, 'rate_limit', 1629, 'Too many requests'),
  serverError: new ApiError(500, 'server_error', 1650, 'Internal server error'),
  /** `--redis-failure closed` while Redis is unreachable: nothing may be counted, so nothing is served. */
  rateLimitsUnavailable: new ApiError(
    503,
    'service_unavailable',
    1653,
    'Rate limiting is temporarily unavailable; try again shortly',
  ),
  /** No, a malformed, an unknown or a revoked `X-API-KEY` (the admin API, `GET /applications`). */
  invalidApiKey: new ApiError(401, 'invalid_api_key', 1602, 'Missing or invalid API key'),
  /** A database call of the admin API (or an API key look-up) failed: nothing was answered from it. */
  databaseUnavailable: new ApiError(
    503,
    'service_unavailable',
    1654,
    'The database is temporarily unavailable; try again shortly',
  ),
  /**
   * An admin change was saved, but not every live server process confirmed it within the bound
   * (`PropagationError`; the lagging processes are logged, never sent).
   */
  changeNotConfirmed: new ApiError(
    503,
    'service_unavailable',
    1655,
    'The change was saved but not yet confirmed by every server process; it applies as soon as they catch up',
  ),
  /** 404 of the admin API for an application ID that names no application. */
  applicationNotFound: new ApiError(404, 'not_found', 1604, 'No application with this ID'),
  /** 404 of the admin API for a key ID that names no signing key. */
  signingKeyNotFound: new ApiError(404, 'not_found', 1604, 'No signing key with this ID'),
  /** The admin API's bodies are JSON. */
  jsonContentType: invalidRequest('Content-Type must be application/json'),
  /** 404 of the admin API for a secret ID that names no working secret of the application. */
  secretNotFound: new ApiError(404, 'not_found', 1604, 'The application has no working secret with this ID'),
  /** 409: a rotation while the previous secret is in its grace period (at most two secrets). */
  twoSecrets: new ApiError(
    409,
    'conflict',
    1609,
    'The application already has two secrets: revoke the previous one first (DELETE .../secrets/{secret_id}) or rotate once its grace period is over',
  ),
  /** 409: revoking the current secret, which only a rotation replaces. */
  currentSecret: new ApiError(
    409,
    'conflict',
    1609,
    'This is the current secret: rotate the secret to replace it (with no grace period the old one stops at once)',
  ),
  /**
   * A write on the request path (a revocation, an admin API change) could not get the database's
   * write lock within the server's short bound (another process holds it): nothing was written.
   */
  databaseBusy: new ApiError(503, 'service_unavailable', 1656, 'The database is busy; try again shortly'),
  /** An HTTP/1.1 request without `Host` (RFC 9112 §3.2); HTTP/1.0 needs none. */
  missingHost: invalidRequest('The Host header is required (HTTP/1.1)'),
  /**
   * A body with a `Content-Encoding` other than `identity` (gzip, deflate, br, ...): bodies are
   * read as sent, never decompressed (RFC 9110 §15.5.16), so it would be misread.
   */
  contentEncoding: new ApiError(
    415,
    'invalid_request',
    1615,
    'Content-Encoding is not supported (send the body unencoded)',
  ),
} as const;
