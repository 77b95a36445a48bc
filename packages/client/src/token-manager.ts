import { ApiClient, type RequestAuth } from './api-client.js';
import { OauthApi } from './apis/oauth-api.js';
import { type Configuration, userAgentHeader } from './configuration.js';
import type { OauthTokenResponse } from './models/oauth-token-response.js';
import { MemoryTokenStore, type ReleaseLock, type TokenStore, tokenCacheKey } from './token-store.js';

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
  /**
   * Where tokens are kept beyond this instance, so other instances, processes or serverless
   * invocations reuse them. Default: a new {@link MemoryTokenStore} (this instance only). See
   * {@link TokenStore}; `FileTokenStore` from `smscx-client/file-store` shares a token between
   * the processes of one machine.
   */
  store?: TokenStore | undefined;
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

/** Per-call options of {@link TokenManager.fetch}, overriding the configuration's. */
export interface TokenFetchOptions {
  /** Retries after the first attempt (see {@link TokenManager.fetch} for which failures). */
  maxRetries?: number | undefined;
  /** Longest wait before a retry, in ms. */
  maxRetryDelayMs?: number | undefined;
  /** Total time of the call until the response headers, in ms, the token wait included. */
  deadlineMs?: number | undefined;
}

interface CachedToken {
  response: OauthTokenResponse;
  /** When to refresh, in ms since the epoch; `Infinity` for tokens that never expire. */
  refreshAtMs: number;
}

/** How many dropped tokens are remembered so that a store does not hand them back. */
const REMEMBERED_REVOKED = 8;

/**
 * Caches an access token and refreshes it before it expires.
 *
 * - {@link getToken} returns the cached token until `refreshSkewSeconds` before expiry, then
 *   fetches a new one; `expires_in: 0` means the token never expires and is kept forever.
 * - Concurrent calls share one in-flight request (a thousand parallel calls on a cold cache make
 *   one HTTP request); with a shared {@link TokenStore} that has a lock, so do other processes.
 * - Failures are never cached: the next call tries again.
 * - {@link invalidate} drops the token; a request already in flight at that moment is not cached.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager({ configuration, scope: 'sms groups', refreshSkewSeconds: 60 });
 * const accessToken = await tokens.getToken();
 * const response = await tokens.fetch('/applications/scopes'); // resolved against the host
 * ```
 */
export class TokenManager {
  /** The client used for token requests. */
  readonly apiClient: ApiClient;
  /** The scope requested, if any. */
  readonly scope: string | undefined;
  /** Seconds before expiry at which the token is refreshed. */
  readonly refreshSkewSeconds: number;
  /** Where tokens are kept beyond this instance. */
  readonly store: TokenStore;
  /**
   * The key of this manager's token in {@link store}: host, Application ID, a hash of the
   * secret and the scope set (see {@link tokenCacheKey}). Empty without an Application ID.
   */
  readonly cacheKey: string;
  /**
   * Bearer authentication of API requests, with one refresh on a 401.
   * @internal
   */
  readonly bearerAuth: RequestAuth;
  readonly #oauth: OauthApi;
  readonly #now: () => number;
  #cached: CachedToken | undefined;
  #inFlight: Promise<OauthTokenResponse> | undefined;
  /** Bumped by invalidate(): a refresh started under an older generation is not cached. */
  #generation = 0;
  /** Tokens dropped by invalidate(): a store may still hold them, they are not taken back. */
  readonly #revoked: string[] = [];
  /**
   * Whether to take the store's lock: not for the private default store, which only this
   * instance uses (its in-flight promise already makes concurrent callers share one request).
   */
  readonly #locking: boolean;

  /**
   * @param options - credentials (a configuration or a client), scope, skew and store; see
   *   {@link TokenManagerOptions}.
   * @throws TypeError when neither `configuration` nor `apiClient` is given, or an option is invalid.
   */
  constructor(options: TokenManagerOptions) {
    if (options.apiClient) this.apiClient = options.apiClient;
    else if (options.configuration) this.apiClient = new ApiClient(options.configuration);
    else throw new TypeError('TokenManager: configuration or apiClient is required');
    const skew = options.refreshSkewSeconds ?? DEFAULT_REFRESH_SKEW_SECONDS;
    if (!Number.isFinite(skew) || skew < 0) {
      throw new TypeError('TokenManager: refreshSkewSeconds must be a non-negative number');
    }
    const store = options.store ?? new MemoryTokenStore();
    if (typeof store?.get !== 'function' || typeof store.set !== 'function') {
      throw new TypeError('TokenManager: store must have get(key) and set(key, token, expiresAt) methods');
    }
    this.refreshSkewSeconds = skew;
    this.scope = options.scope;
    this.store = store;
    this.#locking = options.store !== undefined && typeof store.lock === 'function';
    const { host, username, password } = this.apiClient.configuration;
    this.cacheKey =
      username === undefined || password === undefined
        ? ''
        : tokenCacheKey({ host, username, password, scope: options.scope });
    this.#now = options.now ?? (() => this.apiClient.now());
    this.#oauth = new OauthApi(this.apiClient);
    this.bearerAuth = {
      headers: async (signal) => ({ authorization: `Bearer ${await this.getToken({ signal })}` }),
      unauthorized: (sent) => {
        const used = (sent.authorization ?? '').replace(/^Bearer\s+/i, '');
        // Only drop the token we used: a concurrent caller may already have refreshed it.
        if (this.#cached?.response.access_token === used) this.invalidate();
        this.#markRevoked(used);
      },
    };
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

  /**
   * Drops the cached token (e.g. after the resource server rejected it). The store is not
   * asked to forget it, but this manager will not take it back from the store.
   */
  invalidate(): void {
    this.#generation++;
    const dropped = this.#cached?.response.access_token;
    this.#cached = undefined;
    this.#inFlight = undefined;
    if (dropped !== undefined) this.#markRevoked(dropped);
  }

  /**
   * `fetch` with `Authorization: Bearer <token>` attached, through the configuration's fetch,
   * timeout, retries, deadline and logging. A relative URL (`'/applications/scopes'`) is
   * resolved against `Configuration.host`.
   *
   * - On a 401 the token is invalidated, a fresh one fetched and the request sent once more; a
   *   second 401 is returned as is.
   * - A 429 is retried (when the server's wait is within `maxRetryDelayMs`); a 5xx, a timeout
   *   or a lost connection only for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE), so a
   *   POST is never sent twice after the server may have acted on it.
   * - The response is returned untouched (body unread) whatever its status; the timeout and
   *   the deadline cover the wait for its headers.
   *
   * The request body is read once up front (so it can be sent again).
   *
   * @param input - an absolute URL, a path below the host, a `URL` or a `Request`.
   * @param init - as for `fetch`; an `Authorization` header in it is replaced.
   * @param options - per-call retries and deadline.
   * @throws whatever {@link getToken} throws.
   * @throws ApiConnectionException / ApiTimeoutException when no response arrived.
   * @throws the signal's `reason` when `init.signal` (or the Request's signal) aborts.
   */
  async fetch(
    input: string | URL | Request,
    init: RequestInit = {},
    options: TokenFetchOptions = {},
  ): Promise<Response> {
    const { configuration } = this.apiClient;
    const original = typeof Request !== 'undefined' && input instanceof Request ? input : undefined;
    const url = original ? original.url : resolveUrl(configuration.host, input as string | URL);
    // A Request normalizes every kind of headers and body the caller may pass.
    const request = new Request(original ?? url, init);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    delete headers.authorization;
    if (headers['user-agent'] === undefined) Object.assign(headers, userAgentHeader(configuration));
    const method = request.method;
    const body = method === 'GET' || method === 'HEAD' ? undefined : await request.arrayBuffer();
    const signal = init.signal ?? original?.signal ?? undefined;
    const exchange = await this.apiClient.request(
      {
        method,
        path: url,
        headers,
        body: body !== undefined && body.byteLength > 0 ? body : undefined,
        signal,
        ...options,
      },
      { stream: true, returnHttpErrors: true, auth: this.bearerAuth },
    );
    // The caller's own fetch returned it: a Response (or, e.g., undici's equivalent).
    return exchange.response as unknown as Response;
  }

  #refresh(): Promise<OauthTokenResponse> {
    if (this.#inFlight) return this.#inFlight;
    const generation = this.#generation;
    const promise = this.#load(generation).then(
      (response) => {
        if (generation === this.#generation) this.#inFlight = undefined;
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

  /** A usable token from the store, else (under the store's lock, if any) a new one. */
  async #load(generation: number): Promise<OauthTokenResponse> {
    const stored = await this.#read();
    if (stored) return this.#adopt(stored, generation);
    const logger = this.apiClient.logger;
    let release: ReleaseLock | undefined;
    if (this.#locking && this.cacheKey !== '') {
      try {
        release = await this.store.lock?.(this.cacheKey);
      } catch (error) {
        logger.warn('token store: could not take the lock; asking for a token without it', {
          error: describe(error),
        });
      }
    }
    try {
      if (release !== undefined) {
        // Another holder of the lock may have stored a token meanwhile.
        const again = await this.#read();
        if (again) return this.#adopt(again, generation);
      }
      logger.debug('token refresh', { scope: this.scope });
      const response = await this.#oauth.getAccessToken({ scope: this.scope });
      const expiresAt = response.expires_in === 0 ? undefined : this.#now() + response.expires_in * 1000;
      logger.debug('token refreshed', { scope: response.scope, expiresIn: response.expires_in });
      if (generation === this.#generation) {
        this.#cached = { response, refreshAtMs: this.#refreshAt(response, expiresAt) };
        if (this.cacheKey !== '') {
          try {
            await this.store.set(this.cacheKey, response, expiresAt);
          } catch (error) {
            logger.error('token store: could not store the token', { error: describe(error) });
          }
        }
      }
      return response;
    } finally {
      if (release !== undefined) {
        try {
          await release();
        } catch (error) {
          logger.error('token store: could not release the lock', { error: describe(error) });
        }
      }
    }
  }

  /** The store's token when it is usable: well-formed, not dropped, not due for refresh. */
  async #read(): Promise<CachedToken | undefined> {
    if (this.cacheKey === '') return undefined;
    let stored: Awaited<ReturnType<TokenStore['get']>>;
    try {
      stored = await this.store.get(this.cacheKey);
    } catch (error) {
      this.apiClient.logger.error('token store: could not read', { error: describe(error) });
      return undefined;
    }
    const token = stored?.token;
    if (token === undefined || typeof token?.access_token !== 'string' || token.access_token === '') {
      return undefined;
    }
    if (this.#revoked.includes(token.access_token)) return undefined;
    const expiresAt = typeof stored?.expiresAt === 'number' ? stored.expiresAt : undefined;
    const refreshAtMs = this.#refreshAt(token, expiresAt);
    if (this.#now() >= refreshAtMs) return undefined;
    return { response: token, refreshAtMs };
  }

  #adopt(entry: CachedToken, generation: number): OauthTokenResponse {
    this.apiClient.rememberToken(entry.response.access_token);
    if (generation === this.#generation) this.#cached = entry;
    return entry.response;
  }

  /** When to refresh a token expiring at `expiresAt` (ms), lifetime `expires_in` (s). */
  #refreshAt(token: OauthTokenResponse, expiresAt: number | undefined): number {
    if (expiresAt === undefined) return Number.POSITIVE_INFINITY;
    const lifetime = token.expires_in > 0 ? token.expires_in : (expiresAt - this.#now()) / 1000;
    const skew = Math.min(this.refreshSkewSeconds, lifetime / 2);
    return expiresAt - skew * 1000;
  }

  #markRevoked(token: string): void {
    if (token === '' || this.#revoked.includes(token)) return;
    this.#revoked.push(token);
    if (this.#revoked.length > REMEMBERED_REVOKED) this.#revoked.shift();
  }
}

/** `input` as an absolute URL: a path (or a relative URL) is resolved against `host`. */
function resolveUrl(host: string, input: string | URL): string {
  if (typeof input !== 'string') return input.href;
  if (/^[a-z][a-z\d+.-]*:/i.test(input)) return input;
  return input.startsWith('/') ? `${host}${input}` : `${host}/${input}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
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
