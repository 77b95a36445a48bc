import { ApiClient } from './api-client.js';
import { OauthApi } from './apis/oauth-api.js';
import type { Configuration } from './configuration.js';
import type { OauthTokenResponse } from './models/oauth-token-response.js';

/** Default seconds before expiry at which a cached token is refreshed. */
export const DEFAULT_REFRESH_SKEW_SECONDS = 60;

/** Options of {@link TokenManager}. */
export interface TokenManagerOptions {
  /** Credentials and transport. Required unless `apiClient` is given. */
  configuration?: Configuration | undefined;
  /** An existing client to share (its configuration is used). Takes precedence over `configuration`. */
  apiClient?: ApiClient | undefined;
  /** Scope to request, space-delimited. Default: none (all scopes the application may have). */
  scope?: string | undefined;
  /**
   * Refresh this many seconds before expiry. Default 60. For tokens that live shorter than
   * twice this, half the lifetime is used instead, so a short-lived token is still reused.
   */
  refreshSkewSeconds?: number | undefined;
  /** Clock in ms since the epoch, for tests. Default `Date.now`. */
  now?: (() => number) | undefined;
}

/** Options of {@link TokenManager.getToken} and {@link TokenManager.getTokenResponse}. */
export interface GetTokenOptions {
  /**
   * Stops *this caller's* wait: the call rejects with the signal's `reason` as soon as it
   * aborts. A token request already in flight is shared with other callers and is not
   * cancelled; when it lands its token is still cached.
   */
  signal?: AbortSignal | undefined;
}

interface CachedToken {
  response: OauthTokenResponse;
  /** When to refresh, in ms since the epoch; `Infinity` for tokens that never expire. */
  refreshAtMs: number;
}

/**
 * Caches an access token and refreshes it before it expires.
 *
 * - {@link getToken} returns the cached token until `refreshSkewSeconds` before expiry, then
 *   fetches a new one; `expires_in: 0` means the token never expires and is kept forever.
 * - Concurrent calls share one in-flight request (a thousand parallel calls on a cold cache make
 *   one HTTP request).
 * - Failures are never cached: the next call tries again.
 * - {@link invalidate} drops the token; a request already in flight at that moment is not cached.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager({ configuration, scope: 'sms groups', refreshSkewSeconds: 60 });
 * const accessToken = await tokens.getToken();
 * const response = await tokens.fetch('https://api.sms.cx/applications/scopes');
 * ```
 */
export class TokenManager {
  /** The client used for token requests. */
  readonly apiClient: ApiClient;
  /** The scope requested, if any. */
  readonly scope: string | undefined;
  /** Seconds before expiry at which the token is refreshed. */
  readonly refreshSkewSeconds: number;
  readonly #oauth: OauthApi;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #inFlight: Promise<OauthTokenResponse> | undefined;
  /** Bumped by invalidate(): a refresh started under an older generation is not cached. */
  #generation = 0;

  /** @throws TypeError when neither `configuration` nor `apiClient` is given, or the skew is invalid. */
  constructor(options: TokenManagerOptions) {
    if (options.apiClient) this.apiClient = options.apiClient;
    else if (options.configuration) this.apiClient = new ApiClient(options.configuration);
    else throw new TypeError('TokenManager: configuration or apiClient is required');
    const skew = options.refreshSkewSeconds ?? DEFAULT_REFRESH_SKEW_SECONDS;
    if (!Number.isFinite(skew) || skew < 0) {
      throw new TypeError('TokenManager: refreshSkewSeconds must be a non-negative number');
    }
    this.refreshSkewSeconds = skew;
    this.scope = options.scope;
    this.#now = options.now ?? (() => this.apiClient.now());
    this.#oauth = new OauthApi(this.apiClient);
  }

  /**
   * The current access token, fetching or refreshing it when needed.
   *
   * @param options - `signal` aborts this caller's wait only (see {@link GetTokenOptions}).
   * @throws the signal's `reason` when `options.signal` aborts (or was already aborted).
   * @throws whatever {@link OauthApi.getAccessToken} throws (nothing is cached then).
   */
  async getToken(options: GetTokenOptions = {}): Promise<string> {
    return (await this.getTokenResponse(options)).access_token;
  }

  /**
   * Like {@link getToken} but returns the whole token response (scope, expires_in).
   *
   * @param options - `signal` aborts this caller's wait only (see {@link GetTokenOptions}).
   * @throws the signal's `reason` when `options.signal` aborts (or was already aborted).
   * @throws whatever {@link OauthApi.getAccessToken} throws.
   */
  async getTokenResponse(options: GetTokenOptions = {}): Promise<OauthTokenResponse> {
    const { signal } = options;
    signal?.throwIfAborted();
    const cached = this.#cached;
    if (cached && this.#now() < cached.refreshAtMs) return cached.response;
    const shared = this.#refresh();
    return signal ? untilAborted(shared, signal) : shared;
  }

  /** Drops the cached token (e.g. after the resource server rejected it). */
  invalidate(): void {
    this.#generation++;
    this.#cached = undefined;
    this.#inFlight = undefined;
  }

  /**
   * `fetch` with `Authorization: Bearer <token>` attached. On a 401 from the resource server
   * the token is invalidated, a fresh one fetched, and the request retried once (unless its
   * body is a one-shot stream).
   *
   * @param input - URL or Request, as for `fetch`.
   * @param init - as for `fetch`; an `Authorization` header in it is replaced.
   * @throws whatever {@link getToken} throws, or what the underlying fetch throws.
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const spare = input instanceof Request ? input.clone() : input;
    const { response: first, token } = await this.#send(input, init);
    if (first.status !== 401 || !isReplayable(init.body)) return first;
    this.apiClient.logger.debug('resource server answered 401: refreshing the token and retrying once', {
      requestId: first.headers.get('x-request-id') ?? undefined,
    });
    // Release the first response's connection before retrying.
    await first.body?.cancel().catch(() => {});
    // Only drop the token we used: a concurrent caller may already have refreshed it.
    if (this.#cached === undefined || this.#cached.response.access_token === token) this.invalidate();
    return (await this.#send(spare, init)).response;
  }

  async #send(
    input: string | URL | Request,
    init: RequestInit,
  ): Promise<{ response: Response; token: string }> {
    const signal = init.signal ?? (input instanceof Request ? input.signal : undefined);
    const token = await this.getToken({ signal });
    const headers = new Headers(init.headers ?? (input instanceof Request ? input.headers : undefined));
    headers.set('Authorization', `Bearer ${token}`);
    if (!headers.has('User-Agent')) headers.set('User-Agent', this.apiClient.configuration.userAgent);
    return { response: await this.apiClient.configuration.fetch(input, { ...init, headers }), token };
  }

  #refresh(): Promise<OauthTokenResponse> {
    if (this.#inFlight) return this.#inFlight;
    const generation = this.#generation;
    const logger = this.apiClient.logger;
    logger.debug('token refresh', { scope: this.scope });
    const promise = this.#oauth.getAccessToken({ scope: this.scope }).then(
      (response) => {
        if (generation === this.#generation) {
          this.#cached = { response, refreshAtMs: this.#refreshAt(response.expires_in) };
          this.#inFlight = undefined;
        }
        logger.debug('token refreshed', { scope: response.scope, expiresIn: response.expires_in });
        return response;
      },
      (error: unknown) => {
        // Never cache a failure: clearing the in-flight promise lets the next call try again.
        if (generation === this.#generation) this.#inFlight = undefined;
        throw error;
      },
    );
    this.#inFlight = promise;
    return promise;
  }

  #refreshAt(expiresIn: number): number {
    if (expiresIn === 0) return Number.POSITIVE_INFINITY;
    const skew = Math.min(this.refreshSkewSeconds, expiresIn / 2);
    return this.#now() + (expiresIn - skew) * 1000;
  }
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts, whichever
 * comes first. `promise` itself is left running (other callers may be waiting on it) and its
 * outcome is always observed here, so a late failure is never an unhandled rejection.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A body we can send twice: absent, a string, or a buffer-like (not a one-shot stream). */
function isReplayable(body: RequestInit['body']): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof URLSearchParams ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData
  );
}
