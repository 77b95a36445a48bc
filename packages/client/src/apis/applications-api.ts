import type { ApiClient } from '../api-client.js';
import { ApiException } from '../core/errors.js';
import { type RawResponse, sendOnce } from '../internal/transport.js';
import {
  type ApplicationsListResponse,
  parseApplicationsListResponse,
} from '../models/applications-list-response.js';
import { TokenManager } from '../token-manager.js';

/** Options of {@link ApplicationsApi.getScopes}. */
export interface GetScopesParams {
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link ApplicationsApi.getApplicationsList}. */
export type GetApplicationsListParams = GetScopesParams;

/**
 * `/applications/*` endpoints. Authenticated with the configuration's API key (`X-API-KEY`)
 * when it has one, else with a Bearer access token from a {@link TokenManager}.
 *
 * @example
 * ```ts
 * const apps = new ApplicationsApi(new ApiClient(new Configuration({ apiKey: 'YOUR_API_KEY' })));
 * const scopes = await apps.getScopes(); // ['sms', 'viber', ...]
 * const { data } = await apps.getApplicationsList();
 * console.log(data.map((a) => `${a.application_id} ${a.application_name}`).join('\n'));
 * ```
 */
export class ApplicationsApi {
  /** The client whose configuration (host, fetch, timeout, API key) is used. */
  readonly apiClient: ApiClient;
  /**
   * The token source when the configuration has no API key; created from the client's
   * configuration when not given (creating it sends nothing).
   */
  readonly tokenManager: TokenManager;

  /**
   * @param apiClient - the client whose configuration (host, fetch, timeout, API key) is used.
   * @param tokenManager - where Bearer tokens come from when the configuration has no API key;
   *   share one with the rest of your code so every caller reuses the same cached token.
   *   Default: a new one on `apiClient`, no scope.
   */
  constructor(apiClient: ApiClient, tokenManager?: TokenManager) {
    this.apiClient = apiClient;
    this.tokenManager = tokenManager ?? new TokenManager({ apiClient });
  }

  /**
   * `GET /applications/scopes`: the names of the API's scopes, e.g. `['sms', 'viber', ...]`.
   *
   * @throws ApiException (matching subclass) for a non-2xx answer, or an `ApiException` for a
   *   body that is not a JSON array of strings.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived.
   */
  async getScopes(params: GetScopesParams = {}): Promise<string[]> {
    const response = await this.#get('/applications/scopes', params.signal);
    const scopes = parseScopes(response.body);
    if (scopes === undefined) {
      throw new ApiException('Unexpected body for GET /applications/scopes: not an array of strings', {
        status: response.status,
        headers: response.headers,
        body: response.body,
      });
    }
    return scopes;
  }

  /**
   * `GET /applications`: the account's applications, newest first (`data` is empty when there
   * are none). Each entry's `application_secret` is a masked hint, never the secret.
   *
   * @throws InvalidCredentialsException on 401 (e.g. `invalid_api_key`: missing or unknown key).
   * @throws ApiException (matching subclass) for any other non-2xx answer, or an `ApiException`
   *   naming the broken field when the body is not the documented shape.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived.
   */
  async getApplicationsList(params: GetApplicationsListParams = {}): Promise<ApplicationsListResponse> {
    const response = await this.#get('/applications', params.signal);
    return parseApplicationsListResponse(response.status, response.headers, response.body);
  }

  /**
   * One GET, bounded by `timeoutMs` and not otherwise retried. With an API key it is sent as
   * `X-API-KEY` and no token is involved; without one, `TokenManager.fetch` attaches the Bearer
   * token (and refreshes it and retries once on a 401).
   *
   * @returns the 2xx response with its body read.
   */
  async #get(path: string, signal: AbortSignal | undefined): Promise<RawResponse> {
    const { configuration, logger } = this.apiClient;
    const url = `${configuration.host}${path}`;
    const { apiKey } = configuration;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': configuration.userAgent,
    };
    if (apiKey !== undefined) headers['x-api-key'] = apiKey;
    const tokens = this.tokenManager;
    // Reuse the transport (timeout, error classes) with TokenManager.fetch as the fetch.
    const response = await sendOnce(
      apiKey === undefined ? (input, init) => tokens.fetch(input, init) : configuration.fetch,
      url,
      { method: 'GET', headers },
      configuration.timeoutMs,
      signal,
    );
    logger.debug('response', {
      url,
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
    });
    if (response.status < 200 || response.status > 299) {
      throw ApiException.fromResponse(response.status, response.headers, response.body);
    }
    return response;
  }
}

/** A JSON array of strings, or undefined for anything else. */
function parseScopes(body: string): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) return undefined;
  return parsed;
}
