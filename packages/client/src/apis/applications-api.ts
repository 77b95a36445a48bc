import type { ApiClient } from '../api-client.js';
import { ApiException } from '../core/errors.js';
import { sendOnce } from '../internal/transport.js';
import { TokenManager } from '../token-manager.js';

/** One scope the application may request. */
export interface ApplicationScope {
  /** The scope token, e.g. `sms`. */
  scope: string;
  /** What the scope grants, when the server describes it. */
  description?: string;
}

/** The scope catalogue of the API (`GET /applications/scopes`), normalised to `{ data: [...] }`. */
export interface ApplicationScopes {
  /** One entry per scope. */
  data: ApplicationScope[];
}

/** Options of {@link ApplicationsApi.getScopes}. */
export interface GetScopesParams {
  /** Aborts the request. */
  signal?: AbortSignal | undefined;
}

/**
 * `/applications/*` endpoints, authenticated with a Bearer access token from a
 * {@link TokenManager}.
 *
 * @example
 * ```ts
 * const apps = new ApplicationsApi(new ApiClient(configuration));
 * const { data } = await apps.getScopes();
 * console.log(data.map((s) => s.scope).join(' '));
 * ```
 */
export class ApplicationsApi {
  /** The client whose configuration (host, fetch, timeout) is used. */
  readonly apiClient: ApiClient;
  /** The token source; created from the client's configuration when not given. */
  readonly tokenManager: TokenManager;

  /**
   * @param apiClient - the client whose configuration (host, fetch, timeout) is used.
   * @param tokenManager - where Bearer tokens come from; share one with the rest of your code so
   *   every caller reuses the same cached token. Default: a new one on `apiClient`, no scope.
   */
  constructor(apiClient: ApiClient, tokenManager?: TokenManager) {
    this.apiClient = apiClient;
    this.tokenManager = tokenManager ?? new TokenManager({ apiClient });
  }

  /**
   * `GET /applications/scopes`: the API's scope catalogue. Accepts either
   * `{"data":[...]}` or a bare array from the server, and string entries as well as objects.
   * A 401 triggers one token refresh and retry (see {@link TokenManager.fetch}); this call is not
   * otherwise retried.
   *
   * @throws ApiException (matching subclass) for a non-2xx answer or an unexpected body.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived.
   */
  async getScopes(params: GetScopesParams = {}): Promise<ApplicationScopes> {
    const { configuration } = this.apiClient;
    const url = `${configuration.host}/applications/scopes`;
    const tokens = this.tokenManager;
    // Reuse the transport (timeout, error classes) with TokenManager.fetch as the fetch.
    const response = await sendOnce(
      (input, init) => tokens.fetch(input, init),
      url,
      { method: 'GET', headers: { Accept: 'application/json' } },
      configuration.timeoutMs,
      params.signal,
    );
    this.apiClient.logger.debug('response', {
      url,
      status: response.status,
      requestId: response.headers.get('x-request-id') ?? undefined,
    });
    if (response.status < 200 || response.status > 299) {
      throw ApiException.fromResponse(response.status, response.headers, response.body);
    }
    const scopes = normaliseScopes(response.body);
    if (scopes === undefined) {
      throw new ApiException('Unexpected body for GET /applications/scopes', {
        status: response.status,
        headers: response.headers,
        body: response.body,
      });
    }
    return scopes;
  }
}

function normaliseScopes(body: string): ApplicationScopes | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const list = Array.isArray(parsed)
    ? parsed
    : typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { data?: unknown }).data)
      ? (parsed as { data: unknown[] }).data
      : undefined;
  if (list === undefined) return undefined;
  const data: ApplicationScope[] = [];
  for (const item of list) {
    if (typeof item === 'string') data.push({ scope: item });
    else if (
      typeof item === 'object' &&
      item !== null &&
      typeof (item as { scope?: unknown }).scope === 'string'
    ) {
      const { scope, description } = item as { scope: string; description?: unknown };
      data.push(typeof description === 'string' ? { scope, description } : { scope });
    } else return undefined;
  }
  return { data };
}
