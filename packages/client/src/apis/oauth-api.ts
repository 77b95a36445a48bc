import type { ApiClient } from '../api-client.js';
import { userAgentHeader } from '../configuration.js';
import { ApiPromise, type ApiResponseSource } from '../core/api-promise.js';
import { basicAuthorization, formUrlEncode } from '../internal/basic-auth.js';
import { type OauthTokenResponse, parseOauthTokenResponse } from '../models/oauth-token-response.js';

const CLIENT_CREDENTIALS = 'client_credentials';
const DEFAULT_FORM = `grant_type=${CLIENT_CREDENTIALS}`;

/** Parameters of {@link OauthApi.getAccessToken}. */
export interface GetAccessTokenParams {
  /**
   * Space-delimited, case-sensitive scope tokens, e.g. `"sms groups"`. Empty or omitted: the
   * token gets every scope the application is allowed (full privileges).
   */
  scope?: string | undefined;
  /** The OAuth grant type. Default `client_credentials` (the only one the server accepts). */
  grantType?: string | undefined;
  /** Aborts the request, including any backoff wait. */
  signal?: AbortSignal | undefined;
  /** Overrides `Configuration.maxRetries` for this call. */
  maxRetries?: number | undefined;
  /** Overrides `Configuration.maxRetryDelayMs` for this call. */
  maxRetryDelayMs?: number | undefined;
  /** Total time of this call in ms, every attempt and wait included (overrides `Configuration.deadlineMs`). */
  deadlineMs?: number | undefined;
}

/**
 * `POST /oauth/token`: exchanges the Application ID and Secret for an access token.
 *
 * @example
 * ```ts
 * const api = new OauthApi(new ApiClient(new Configuration({ username: 'APP_ID', password: 'APP_SECRET' })));
 * const { access_token, expires_in } = await api.getAccessToken({ scope: 'sms groups' });
 * const { data, response } = await api.getAccessToken().withResponse(); // response.requestId, .rateLimit
 * ```
 * @see RFC 6749 §4.4 (client credentials grant)
 */
export class OauthApi {
  /** The client that sends the requests. */
  readonly apiClient: ApiClient;
  // The headers depend only on the configuration, which cannot change: they are built once (the
  // Basic value alone, form-urlencoding twice, UTF-8 and base64, costs several µs per request).
  #headers: Record<string, string> | undefined;

  /** @param apiClient - the client that sends the requests (credentials, host, retries). */
  constructor(apiClient: ApiClient) {
    this.apiClient = apiClient;
  }

  /**
   * Gets an access token with the client credentials grant.
   *
   * Sends `Authorization: Basic` with the form-urlencoded id and secret (RFC 6749 §2.3.1) and a
   * form body `grant_type=client_credentials[&scope=...]`. Retries network errors, timeouts,
   * 429 and 5xx (see `Configuration.maxRetries`).
   *
   * @returns the token response with its wire field names; `.withResponse()` on the returned
   *   promise also gives the response's request id and rate-limit headers.
   * @throws InvalidScopeException on 400 `invalid_scope`.
   * @throws UnsupportedGrantTypeException on 400 `unsupported_grant_type`.
   * @throws InvalidRequestException on other 400s.
   * @throws InvalidCredentialsException on 401 (wrong id or secret).
   * @throws AccessDeniedException on 403 (application disabled).
   * @throws RateLimitExceededException on 429 after retries.
   * @throws ServerErrorException on 5xx after retries.
   * @throws ApiConnectionException / ApiTimeoutException when no response arrived.
   * @throws ApiException for any other status, or a 200 that is not a valid token response.
   * @throws TypeError when the configuration has no Application ID and Secret (only an API key).
   * @see RFC 6749 §4.4.2, §5.1, §5.2
   */
  getAccessToken(params: GetAccessTokenParams = {}): ApiPromise<OauthTokenResponse> {
    return new ApiPromise(this.#getAccessToken(params));
  }

  async #getAccessToken(params: GetAccessTokenParams): Promise<ApiResponseSource<OauthTokenResponse>> {
    const { configuration } = this.apiClient;
    const grantType = params.grantType ?? CLIENT_CREDENTIALS;
    let body = grantType === CLIENT_CREDENTIALS ? DEFAULT_FORM : `grant_type=${formUrlEncode(grantType)}`;
    if (params.scope !== undefined && params.scope !== '') body += `&scope=${formUrlEncode(params.scope)}`;
    const { username, password } = configuration;
    if (username === undefined || password === undefined) {
      // An API key is never sent here: it cannot be exchanged for an access token.
      throw new TypeError(
        'OauthApi: getting an access token needs the Application ID and Secret (Configuration username and password); an API key is not sent to /oauth/token',
      );
    }
    // A plain object, not `new Headers(...)`: undici copies and re-validates a Headers instance
    // on every request (about 13 µs of a 300 µs loopback request, measured against raw fetch).
    this.#headers ??= {
      authorization: basicAuthorization(username, password),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
      ...userAgentHeader(configuration),
    };
    const headers = this.#headers;
    const response = await this.apiClient.request(
      {
        method: 'POST',
        path: '/oauth/token',
        headers,
        body,
        maxRetries: params.maxRetries,
        maxRetryDelayMs: params.maxRetryDelayMs,
        deadlineMs: params.deadlineMs,
        signal: params.signal,
      },
      // Asking twice for a token is harmless: a 5xx or a lost connection is retried too.
      { retryUnsafe: true },
    );
    let token: OauthTokenResponse;
    try {
      token = parseOauthTokenResponse(response.status, response.headers, response.body);
    } catch (error) {
      throw this.apiClient.redactError(error, headers);
    }
    this.apiClient.rememberToken(token.access_token);
    return { data: token, status: response.status, headers: response.headers };
  }
}
