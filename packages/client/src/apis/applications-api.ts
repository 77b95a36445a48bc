import type { ApiClient } from '../api-client.js';
import { userAgentHeader } from '../configuration.js';
import { ApiPromise, type ApiResponseSource } from '../core/api-promise.js';
import { ApiException } from '../core/errors.js';
import type { Exchange } from '../internal/transport.js';
import {
  type ApplicationsListResponse,
  parseApplicationsListResponse,
} from '../models/applications-list-response.js';
import { TokenManager } from '../token-manager.js';

/** Options of {@link ApplicationsApi.getScopes}. */
export interface GetScopesParams {
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
  /** Overrides `Configuration.maxRetries` for this call. */
  maxRetries?: number | undefined;
  /** Total time of this call in ms, every attempt and wait included (overrides `Configuration.deadlineMs`). */
  deadlineMs?: number | undefined;
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
   * @returns the names; `.withResponse()` on the returned promise also gives the request id.
   * @throws ApiException (matching subclass) for a non-2xx answer, or an `ApiException` for a
   *   body that is not a JSON array of strings.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived.
   */
  getScopes(params: GetScopesParams = {}): ApiPromise<string[]> {
    return new ApiPromise(
      this.#get('/applications/scopes', params).then(({ exchange, sent }) => {
        const scopes = parseScopes(exchange.body);
        if (scopes === undefined) {
          const error = new ApiException(
            'Unexpected body for GET /applications/scopes: not an array of strings',
            { status: exchange.status, headers: exchange.headers, body: exchange.body },
          );
          throw this.apiClient.redactError(error, sent);
        }
        return source(scopes, exchange);
      }),
    );
  }

  /**
   * `GET /applications`: the account's applications, newest first (`data` is empty when there
   * are none). Each entry's `application_secret` is a masked hint, never the secret.
   *
   * @returns the list; `.withResponse()` on the returned promise also gives the request id.
   * @throws InvalidCredentialsException on 401 (e.g. `invalid_api_key`: missing or unknown key).
   * @throws ApiException (matching subclass) for any other non-2xx answer, or an `ApiException`
   *   naming the broken field when the body is not the documented shape.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived.
   */
  getApplicationsList(params: GetApplicationsListParams = {}): ApiPromise<ApplicationsListResponse> {
    return new ApiPromise(
      this.#get('/applications', params).then(({ exchange, sent }) => {
        try {
          return source(
            parseApplicationsListResponse(exchange.status, exchange.headers, exchange.body),
            exchange,
          );
        } catch (error) {
          throw this.apiClient.redactError(error, sent);
        }
      }),
    );
  }

  /**
   * One GET, with the client's timeout, retries and deadline. With an API key it is sent as
   * `X-API-KEY` and no token is involved; without one, the TokenManager's Bearer token is
   * attached (refreshed and the request sent again once on a 401).
   */
  async #get(
    path: string,
    params: GetScopesParams,
  ): Promise<{ exchange: Exchange; sent: Record<string, string> }> {
    const { configuration } = this.apiClient;
    const { apiKey } = configuration;
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...userAgentHeader(configuration),
    };
    if (apiKey !== undefined) headers['x-api-key'] = apiKey;
    const exchange = await this.apiClient.request(
      { method: 'GET', path, headers, ...params },
      apiKey === undefined ? { auth: this.tokenManager.bearerAuth } : {},
    );
    return { exchange, sent: exchange.sent ?? headers };
  }
}

function source<T>(data: T, exchange: Exchange): ApiResponseSource<T> {
  return { data, status: exchange.status, headers: exchange.headers };
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
