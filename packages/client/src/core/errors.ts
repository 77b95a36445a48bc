/**
 * Typed errors of the SDK. One base class, {@link ApiException}, carries everything the server
 * said (status, headers, raw body, the parsed error envelope, request id, rate-limit info); a
 * static factory, {@link ApiException.fromResponse}, maps a response to the right subclass.
 *
 * Errors never hold the request, its headers or the configuration, so neither the Application
 * Secret nor an `Authorization` value can leak through `message`, `toString()` or `util.inspect`.
 */

/** The documented error envelope's inner object: `{"error":{type,code,message,uri}}`. */
export interface ApiErrorBody {
  /** Machine-readable type, e.g. `invalid_scope`, `invalid_client`, `rate_limit`. */
  type: string;
  /** Numeric SMS.CX error code, e.g. `1600`. */
  code: number | undefined;
  /** Short human-readable message. */
  message: string | undefined;
  /** Link to the documentation of this error. */
  uri: string | undefined;
}

/** Rate-limit headers of a response (`X-Rate-Limit-*`), when present. */
export interface RateLimitInfo {
  /** `X-Rate-Limit-Limit`: requests allowed per window. */
  limit: number | undefined;
  /** `X-Rate-Limit-Remaining`: requests left in the window. */
  remaining: number | undefined;
  /** `X-Rate-Limit-Reset`: absolute Unix time (seconds) when the window resets. */
  reset: number | undefined;
}

/** Stable names of every error class (the `name` of each, equal to its class name). */
export type ApiErrorName =
  | 'ApiException'
  | 'InvalidRequestException'
  | 'UnsupportedGrantTypeException'
  | 'InvalidScopeException'
  | 'InvalidCredentialsException'
  | 'AccessDeniedException'
  | 'ApiMethodNotAllowedException'
  | 'RateLimitExceededException'
  | 'ServerErrorException'
  | 'ApiConnectionException'
  | 'ApiTimeoutException';

/** What {@link ApiException} is built from. */
export interface ApiExceptionInit {
  /** HTTP status, or `undefined` when no response arrived. */
  status?: number | undefined;
  /** Response headers. */
  headers?: Headers | undefined;
  /** Raw response body text. */
  body?: string | undefined;
  /** The underlying failure. */
  cause?: unknown;
  /** Wait hint in milliseconds (429 only), when the server gave one. */
  retryAfterMs?: number | undefined;
}

/**
 * Base class of every error the SDK throws for an API call.
 *
 * @example
 * ```ts
 * try {
 *   await api.getAccessToken({ scope: 'sms' });
 * } catch (err) {
 *   if (err instanceof InvalidScopeException) console.error(err.error?.message, err.requestId);
 *   else if (err instanceof ApiException) console.error(err.status, err.message);
 *   else throw err;
 * }
 * ```
 */
export class ApiException extends Error {
  /**
   * `'ApiException'` here, the class name in each subclass, also in minified code. To narrow on
   * it with `switch (err.name)`, check the error with {@link isApiError} first.
   */
  override readonly name: ApiErrorName = 'ApiException';
  /** HTTP status, or `undefined` for connection failures and timeouts. */
  readonly status: number | undefined;
  /** Response headers (never the request's). Empty when no response arrived. */
  readonly headers: Headers;
  /** The raw response body text (may be HTML from a proxy, or empty). */
  readonly body: string;
  /** The parsed error envelope, when the body was `{"error":{...}}`. */
  readonly error: ApiErrorBody | undefined;
  /** The `X-Request-Id` response header: quote it when contacting support. */
  readonly requestId: string | undefined;
  /** The `X-Rate-Limit-*` response headers. */
  readonly rateLimit: RateLimitInfo;

  /**
   * @param message - human-readable summary (never contains credentials).
   * @param init - response data; see {@link ApiExceptionInit}.
   */
  constructor(message: string, init: ApiExceptionInit = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.status = init.status;
    this.headers = init.headers ?? new Headers();
    this.body = init.body ?? '';
    this.error = parseErrorEnvelope(this.body);
    this.requestId = this.headers.get('x-request-id') ?? undefined;
    this.rateLimit = rateLimitOf(this.headers);
  }

  /**
   * Maps an HTTP error response to the matching subclass:
   * 400 `unsupported_grant_type` → {@link UnsupportedGrantTypeException}, 400 `invalid_scope` →
   * {@link InvalidScopeException}, other 400 → {@link InvalidRequestException}, 401 →
   * {@link InvalidCredentialsException}, 403 → {@link AccessDeniedException}, 405 →
   * {@link ApiMethodNotAllowedException}, 429 → {@link RateLimitExceededException}, 5xx →
   * {@link ServerErrorException}, anything else → {@link ApiException}.
   * A body that is not the JSON envelope (HTML, empty) still yields the right class.
   *
   * @param status - HTTP status code.
   * @param headers - response headers.
   * @param body - raw response body text.
   * @param retryAfterMs - the wait the server asked for (429), if known.
   */
  static fromResponse(status: number, headers: Headers, body: string, retryAfterMs?: number): ApiException {
    const init: ApiExceptionInit = { status, headers, body, retryAfterMs };
    const envelope = parseErrorEnvelope(body);
    const message = describe(status, envelope);
    if (status === 400) {
      if (envelope?.type === 'unsupported_grant_type')
        return new UnsupportedGrantTypeException(message, init);
      if (envelope?.type === 'invalid_scope') return new InvalidScopeException(message, init);
      return new InvalidRequestException(message, init);
    }
    if (status === 401) return new InvalidCredentialsException(message, init);
    if (status === 403) return new AccessDeniedException(message, init);
    if (status === 405) return new ApiMethodNotAllowedException(message, init);
    if (status === 429) return new RateLimitExceededException(message, init);
    if (status >= 500 && status <= 599) return new ServerErrorException(message, init);
    return new ApiException(message, init);
  }
}

/** 400: the request is malformed (`invalid_request`, or any 400 without a more specific type). */
export class InvalidRequestException extends ApiException {
  /** Always `'InvalidRequestException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'InvalidRequestException' | 'UnsupportedGrantTypeException' =
    'InvalidRequestException';
}

/** 400 `unsupported_grant_type`: only `client_credentials` is supported. */
export class UnsupportedGrantTypeException extends InvalidRequestException {
  /** Always `'UnsupportedGrantTypeException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'UnsupportedGrantTypeException' = 'UnsupportedGrantTypeException';
}

/** 400 `invalid_scope`: a scope token is unknown, not allowed for the application, or malformed. */
export class InvalidScopeException extends ApiException {
  /** Always `'InvalidScopeException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'InvalidScopeException' = 'InvalidScopeException';
}

/**
 * 401: the credentials were refused. `invalid_client` (1600): wrong Application ID or Secret, or
 * a deleted application; `invalid_token` (1601): the Bearer access token was refused;
 * `invalid_api_key` (1602): the `X-API-KEY` is missing or unknown. See `error.type`.
 */
export class InvalidCredentialsException extends ApiException {
  /** Always `'InvalidCredentialsException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'InvalidCredentialsException' = 'InvalidCredentialsException';
}

/** 403 `access_denied`: the application authenticated but is disabled. */
export class AccessDeniedException extends ApiException {
  /** Always `'AccessDeniedException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'AccessDeniedException' = 'AccessDeniedException';
}

/** 405 `invalid_method`: the endpoint does not accept this HTTP method. */
export class ApiMethodNotAllowedException extends ApiException {
  /** Always `'ApiMethodNotAllowedException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'ApiMethodNotAllowedException' = 'ApiMethodNotAllowedException';
}

/** 429 `rate_limit`: too many requests; see {@link resetAt} and {@link retryAfterMs}. */
export class RateLimitExceededException extends ApiException {
  /** Always `'RateLimitExceededException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'RateLimitExceededException' = 'RateLimitExceededException';
  /** When the rate-limit window resets (`X-Rate-Limit-Reset`), if the server said. */
  readonly resetAt: Date | undefined;
  /**
   * How long the server asked to wait, in milliseconds: from `Retry-After`, else from
   * `X-Rate-Limit-Reset` corrected for clock skew with the `Date` header.
   */
  readonly retryAfterMs: number | undefined;

  /** @inheritDoc */
  constructor(message: string, init: ApiExceptionInit = {}) {
    super(message, init);
    const reset = this.rateLimit.reset;
    this.resetAt = reset === undefined ? undefined : new Date(reset * 1000);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** 5xx: the server failed (including HTML error pages from a proxy). */
export class ServerErrorException extends ApiException {
  /** Always `'ServerErrorException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'ServerErrorException' = 'ServerErrorException';
}

/** No response: DNS failure, refused or reset connection. The cause is in `cause`. */
export class ApiConnectionException extends ApiException {
  /** Always `'ApiConnectionException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'ApiConnectionException' | 'ApiTimeoutException' = 'ApiConnectionException';
}

/** The request did not complete within `Configuration.timeoutMs`. */
export class ApiTimeoutException extends ApiConnectionException {
  /** Always `'ApiTimeoutException'`, also in minified code (see {@link isApiError}). */
  override readonly name: 'ApiTimeoutException' = 'ApiTimeoutException';
}

/**
 * Every error of the SDK as a union discriminated by `name`: after {@link isApiError},
 * `switch (err.name)` narrows `err` to the class of each `case`.
 *
 * @example
 * ```ts
 * if (isApiError(err)) {
 *   switch (err.name) {
 *     case 'RateLimitExceededException': console.log(err.retryAfterMs); break;
 *     case 'ApiTimeoutException': console.log('timed out'); break;
 *     default: console.log(err.status, err.requestId);
 *   }
 * }
 * ```
 */
export type ApiError =
  | (ApiException & { readonly name: 'ApiException' })
  | (InvalidRequestException & { readonly name: 'InvalidRequestException' })
  | UnsupportedGrantTypeException
  | InvalidScopeException
  | InvalidCredentialsException
  | AccessDeniedException
  | ApiMethodNotAllowedException
  | RateLimitExceededException
  | ServerErrorException
  | (ApiConnectionException & { readonly name: 'ApiConnectionException' })
  | ApiTimeoutException;

const ERROR_NAMES: ReadonlySet<string> = new Set<ApiErrorName>([
  'ApiException',
  'InvalidRequestException',
  'UnsupportedGrantTypeException',
  'InvalidScopeException',
  'InvalidCredentialsException',
  'AccessDeniedException',
  'ApiMethodNotAllowedException',
  'RateLimitExceededException',
  'ServerErrorException',
  'ApiConnectionException',
  'ApiTimeoutException',
]);

/**
 * True when `value` is an error thrown by this SDK, typed as {@link ApiError} so that
 * `switch (value.name)` narrows to the subclass. Checks the shape, not `instanceof`, so it also
 * recognises errors of the other build (ESM and CommonJS copies loaded side by side).
 *
 * @param value - anything caught.
 */
export function isApiError(value: unknown): value is ApiError {
  if (!(value instanceof Error)) return false;
  const candidate = value as Partial<ApiException>;
  return (
    ERROR_NAMES.has(candidate.name ?? '') &&
    typeof candidate.body === 'string' &&
    typeof candidate.rateLimit === 'object' &&
    candidate.headers !== undefined
  );
}

function describe(status: number, envelope: ApiErrorBody | undefined): string {
  if (envelope === undefined) return `HTTP ${status}`;
  const detail = envelope.message ? `: ${envelope.message}` : '';
  return `HTTP ${status} ${envelope.type}${detail}`;
}

/** Parses `{"error":{...}}`; returns undefined for anything else instead of throwing. */
function parseErrorEnvelope(body: string): ApiErrorBody | undefined {
  if (body === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed.error)) return undefined;
  const inner = parsed.error;
  if (typeof inner.type !== 'string') return undefined;
  return {
    type: inner.type,
    code: typeof inner.code === 'number' ? inner.code : undefined,
    message: typeof inner.message === 'string' ? inner.message : undefined,
    uri: typeof inner.uri === 'string' ? inner.uri : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `X-Rate-Limit-*` headers of a response. */
export function rateLimitOf(headers: Headers): RateLimitInfo {
  return {
    limit: numberHeader(headers, 'x-rate-limit-limit'),
    remaining: numberHeader(headers, 'x-rate-limit-remaining'),
    reset: numberHeader(headers, 'x-rate-limit-reset'),
  };
}

function numberHeader(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || raw.trim() === '') return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
