import type { Configuration, Logger } from './configuration.js';
import { ApiConnectionException, ApiException } from './core/errors.js';
import { basicAuthorization, formUrlEncode } from './internal/basic-auth.js';
import { isSilent, resolveLogger } from './internal/logger.js';
import { redactHeaders } from './internal/redact.js';
import {
  backoffDelayMs,
  isRetryableStatus,
  MAX_SERVER_WAIT_MS,
  serverRequestedWaitMs,
} from './internal/retry.js';
import { abortableSleep, type RawResponse, sendOnce } from './internal/transport.js';

/** One request as the API classes describe it to {@link ApiClient.request}. */
export interface ApiRequest {
  /** HTTP method. */
  method: 'GET' | 'POST';
  /** Path below the host, starting with "/". */
  path: string;
  /**
   * Request headers (credentials included; they are redacted in logs). A plain object of
   * lower-case names is cheaper for `fetch` to take than a `Headers` instance.
   */
  headers: Headers | Readonly<Record<string, string>>;
  /** Request body, if any. */
  body?: string | undefined;
  /** Overrides `Configuration.maxRetries` for this call. */
  maxRetries?: number | undefined;
  /** Aborts the call (including a backoff wait). */
  signal?: AbortSignal | undefined;
}

/**
 * Clock, sleep and randomness seams. Not part of the public API: tests pass them so backoff
 * decisions can be asserted without waiting.
 * @internal
 */
export interface ApiClientInternals {
  /** Wall clock in ms. Default `Date.now`. */
  now?: () => number;
  /** Sleep used between attempts. Default: an abortable `setTimeout`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** How many access tokens the log redactor remembers (recent ones are all that can appear). */
const REMEMBERED_TOKENS = 16;

/**
 * The shared HTTP engine behind every API class: builds the URL, applies the timeout and the
 * caller's signal, classifies the outcome into typed errors and retries transient failures.
 *
 * @example
 * ```ts
 * const apiClient = new ApiClient(new Configuration({ username: 'APP_ID', password: 'APP_SECRET' }));
 * const api = new OauthApi(apiClient);
 * ```
 */
export class ApiClient {
  /** The configuration this client was built with. */
  readonly configuration: Configuration;
  /** The redacting logger (silent unless configured or `SMSCX_DEBUG` is set). */
  readonly logger: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #tokens: string[] = [];
  // Log fields are only built when someone reads them: no per-request cost when logging is off.
  readonly #debugging: boolean;

  /**
   * @param configuration - credentials and transport settings.
   * @param internals - test seams (clock, sleep, jitter); not part of the public API.
   * @throws TypeError when `configuration` is not a {@link Configuration}.
   */
  constructor(configuration: Configuration, internals: ApiClientInternals = {}) {
    // Duck-typed, not instanceof: the ESM and CJS builds of this package have distinct classes.
    if (typeof configuration?.host !== 'string' || typeof configuration.fetch !== 'function') {
      throw new TypeError('ApiClient: a Configuration instance is required');
    }
    this.configuration = configuration;
    this.#now = internals.now ?? Date.now;
    this.#sleep = internals.sleep ?? abortableSleep;
    this.#random = internals.random ?? Math.random;
    this.logger = resolveLogger(configuration.logger, () => this.#secrets());
    this.#debugging = !isSilent(this.logger);
  }

  /** The wall clock (injectable for tests), in ms since the epoch. */
  now(): number {
    return this.#now();
  }

  /**
   * Registers an access token so the logger redacts it wherever it might appear.
   * @internal
   */
  rememberToken(token: string): void {
    // Only the logger reads the list, and a silent logger writes nothing to redact. (Comparing a
    // new token with 16 remembered ones scans hundreds of equal leading characters each.)
    if (!this.#debugging) return;
    if (this.#tokens.includes(token)) return;
    this.#tokens.push(token);
    if (this.#tokens.length > REMEMBERED_TOKENS) this.#tokens.shift();
  }

  /**
   * Sends a request, retrying network errors, timeouts, 429 and 5xx with backoff.
   *
   * @returns the 2xx response with its body read.
   * @throws ApiException (the matching subclass) for a non-2xx answer after retries.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived.
   * @throws the signal's reason when the caller aborts.
   */
  async request(request: ApiRequest): Promise<RawResponse> {
    const { configuration } = this;
    const url = `${configuration.host}${request.path}`;
    const maxRetries = request.maxRetries ?? configuration.maxRetries;
    for (let attempt = 0; ; attempt++) {
      const retriesLeft = attempt < maxRetries;
      if (this.#debugging) {
        this.logger.debug('request', {
          method: request.method,
          url,
          attempt: attempt + 1,
          headers: redactHeaders(request.headers),
        });
      }
      const started = this.#debugging ? this.#now() : 0;
      let failure: ApiException;
      let waitMs: number;
      try {
        const response = await sendOnce(
          configuration.fetch,
          url,
          { method: request.method, headers: request.headers, body: request.body ?? null },
          configuration.timeoutMs,
          request.signal,
        );
        if (this.#debugging) {
          this.logger.debug('response', {
            status: response.status,
            requestId: requestIdOf(response),
            attempt: attempt + 1,
            durationMs: this.#now() - started,
          });
        }
        if (response.status >= 200 && response.status <= 299) return response;
        const hint = serverRequestedWaitMs(response.headers, this.#now());
        failure = ApiException.fromResponse(response.status, response.headers, response.body, hint);
        if (!isRetryableStatus(response.status) || !retriesLeft) throw failure;
        if (hint !== undefined && hint > MAX_SERVER_WAIT_MS) {
          // Waiting this long inside a library call would look like a hang: surface it instead.
          this.logger.debug('retry skipped: server asked to wait too long', {
            requestId: requestIdOf(response),
            waitMs: hint,
          });
          throw failure;
        }
        waitMs = hint ?? backoffDelayMs(attempt, this.#random);
      } catch (error) {
        if (!(error instanceof ApiConnectionException) || !retriesLeft) throw error;
        failure = error;
        waitMs = backoffDelayMs(attempt, this.#random);
      }
      this.logger.debug('retry', {
        attempt: attempt + 1,
        reason: failure.name,
        status: failure.status,
        requestId: failure.requestId,
        delayMs: waitMs,
      });
      await this.#sleep(waitMs, request.signal);
    }
  }

  /** Everything the logger must never print. */
  #secrets(): string[] {
    const { username, password, apiKey } = this.configuration;
    const secrets = [...this.#tokens];
    if (apiKey !== undefined) secrets.push(apiKey);
    if (username !== undefined && password !== undefined) {
      const basic = basicAuthorization(username, password).slice('Basic '.length);
      secrets.push(password, formUrlEncode(password), basic);
    }
    return secrets;
  }
}

/** `X-Request-Id` of a response, for log lines only (a header look-up is not free). */
function requestIdOf(response: RawResponse): string | undefined {
  return response.headers.get('x-request-id') ?? undefined;
}
