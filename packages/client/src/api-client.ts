import type { Configuration, Logger } from './configuration.js';
import { ApiConnectionException, ApiException, ApiTimeoutException } from './core/errors.js';
import { basicAuthorization, formUrlEncode } from './internal/basic-auth.js';
import { LEVEL, resolveLogger } from './internal/logger.js';
import { redactHeaders, redactHeaderValues, redactSecrets } from './internal/redact.js';
import { backoffDelayMs, isIdempotent, serverRequestedWaitMs } from './internal/retry.js';
import { abortableSleep, type Exchange, sendOnce } from './internal/transport.js';

/** One request as the API classes describe it to {@link ApiClient.request}. */
export interface ApiRequest {
  /** HTTP method, upper case. */
  method: string;
  /** Path below the host, starting with "/", or an absolute `http(s)://` URL. */
  path: string;
  /**
   * Request headers (credentials included; they are redacted in logs and errors). A plain
   * object of lower-case names is cheaper for `fetch` to take than a `Headers` instance.
   */
  headers: Headers | Readonly<Record<string, string>>;
  /** Request body, if any. */
  body?: string | ArrayBuffer | undefined;
  /** Overrides `Configuration.maxRetries` for this call. */
  maxRetries?: number | undefined;
  /** Overrides `Configuration.maxRetryDelayMs` for this call. */
  maxRetryDelayMs?: number | undefined;
  /** Overrides `Configuration.deadlineMs` for this call: its total time, every attempt and wait included. */
  deadlineMs?: number | undefined;
  /** Aborts the call (including a backoff wait). */
  signal?: AbortSignal | undefined;
}

/**
 * Credentials added to each attempt of a request, and what to do when they are refused.
 * @internal
 */
export interface RequestAuth {
  /** Headers to add to an attempt (e.g. a Bearer token); may wait for a token. */
  headers(signal: AbortSignal | undefined): Promise<Record<string, string>>;
  /** Called once on a `401` with the headers that were refused; the request is then sent again. */
  unauthorized(sent: Readonly<Record<string, string>>): void;
}

/**
 * How {@link ApiClient.request} treats one request beyond the {@link ApiRequest}.
 * @internal
 */
export interface RequestBehaviour {
  /** Return once the headers are in, with the unread response in `response`. */
  stream?: boolean | undefined;
  /** Return a non-2xx response instead of throwing it as an `ApiException`. Default false. */
  returnHttpErrors?: boolean | undefined;
  /**
   * Retry a 5xx or a lost connection even though the method is not idempotent (the token
   * request: asking twice for a token is harmless). 429 is always retried.
   */
  retryUnsafe?: boolean | undefined;
  /** Credentials per attempt (Bearer tokens), with one refresh-and-resend on a 401. */
  auth?: RequestAuth | undefined;
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

const ABSOLUTE_URL = /^https?:\/\//i;

/**
 * The shared HTTP engine behind every API class: builds the URL, applies the timeout, the
 * deadline and the caller's signal, classifies the outcome into typed errors and retries
 * transient failures, logging each retry.
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
  /** The redacting logger (the configured one, or the console), filtered by `Configuration.logLevel`. */
  readonly logger: Logger;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #tokens: string[] = [];
  // Log fields are only built when someone reads them: no per-request cost when debug is off.
  readonly #debugging: boolean;
  #credentials: readonly string[] | undefined;

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
    const level = configuration.logLevel ?? 'warn';
    this.logger = resolveLogger(configuration.logger, level, () => this.#secrets());
    this.#debugging = LEVEL[level] >= LEVEL.debug;
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
    // Only the debug log can carry a token (the token response's body is never logged), and a
    // silent logger writes nothing to redact. (Comparing a new token with 16 remembered ones
    // scans hundreds of equal leading characters each.)
    if (!this.#debugging) return;
    if (this.#tokens.includes(token)) return;
    this.#tokens.push(token);
    if (this.#tokens.length > REMEMBERED_TOKENS) this.#tokens.shift();
  }

  /**
   * Sends a request, retrying network errors, timeouts, 429 and (for idempotent methods) 5xx
   * with backoff, within `maxRetries`, `maxRetryDelayMs` and `deadlineMs`. Every retry is logged
   * at `warn` with its reason and delay.
   *
   * @param request - what to send; see {@link ApiRequest}.
   * @param behaviour - internal options (streaming, auth, error mode).
   * @returns the 2xx response with its body read.
   * @throws ApiException (the matching subclass) for a non-2xx answer after retries; its body
   *   and headers are scrubbed of every credential the request carried.
   * @throws ApiConnectionException / ApiTimeoutException when no answer arrived, or the deadline passed.
   * @throws the signal's reason when the caller aborts.
   */
  async request(request: ApiRequest, behaviour: RequestBehaviour = {}): Promise<Exchange> {
    const { configuration } = this;
    const { method, signal } = request;
    const url = ABSOLUTE_URL.test(request.path) ? request.path : `${configuration.host}${request.path}`;
    // Logged without its query: a caller's URL may carry a credential there.
    const shownUrl = url.replace(/[?#].*$/s, '');
    const maxRetries = request.maxRetries ?? configuration.maxRetries;
    const maxRetryDelayMs = request.maxRetryDelayMs ?? configuration.maxRetryDelayMs;
    const deadlineMs = request.deadlineMs ?? configuration.deadlineMs;
    const deadline = deadlineMs > 0 ? this.#now() + deadlineMs : Number.POSITIVE_INFINITY;
    const baseHeaders =
      request.headers instanceof Headers ? Object.fromEntries(request.headers) : request.headers;
    const retryAll = behaviour.retryUnsafe === true || isIdempotent(method);
    const { auth } = behaviour;
    let reauthorized = false;
    for (let attempt = 0; ; attempt++) {
      let headers: Record<string, string> = baseHeaders as Record<string, string>;
      if (auth) {
        const added = await this.#beforeDeadline(auth.headers(signal), deadline, deadlineMs);
        headers = { ...baseHeaders, ...added };
      }
      let timeoutMs = configuration.timeoutMs;
      let timeoutMessage: string | undefined;
      if (deadline !== Number.POSITIVE_INFINITY) {
        const remaining = Math.ceil(deadline - this.#now());
        if (remaining <= 0) throw deadlineExceeded(deadlineMs);
        if (timeoutMs === 0 || remaining < timeoutMs) {
          timeoutMs = remaining;
          timeoutMessage = `Deadline of ${deadlineMs} ms exceeded`;
        }
      }
      if (this.#debugging) {
        this.logger.debug('request', {
          method,
          url: shownUrl,
          attempt: attempt + 1,
          headers: redactHeaders(headers),
        });
      }
      const started = this.#debugging ? this.#now() : 0;
      let exchange: Exchange | undefined;
      let failure: ApiException | undefined;
      let waitMs: number;
      try {
        exchange = await sendOnce(
          configuration.fetch,
          url,
          { method, headers, body: request.body ?? null },
          {
            timeoutMs,
            signal,
            timeoutMessage,
            stream: behaviour.stream,
            secrets: this.#requestSecrets(headers),
          },
        );
      } catch (error) {
        if (!(error instanceof ApiConnectionException)) throw error;
        // The deadline fired during the attempt: nothing is left to retry in.
        if (timeoutMessage !== undefined && error instanceof ApiTimeoutException) throw error;
        if (!retryAll || attempt >= maxRetries) throw error;
        failure = error;
      }
      let hint: number | undefined;
      if (exchange !== undefined) {
        const { status } = exchange;
        if (this.#debugging) {
          this.logger.debug('response', {
            status,
            requestId: exchange.headers.get('x-request-id') ?? undefined,
            attempt: attempt + 1,
            durationMs: this.#now() - started,
          });
        }
        if (status >= 200 && status <= 299) {
          exchange.sent = headers;
          return exchange;
        }
        if (status === 401 && auth !== undefined && !reauthorized) {
          reauthorized = true;
          this.logger.info('401 from the server: getting a new access token and sending again', {
            method,
            url: shownUrl,
            requestId: exchange.headers.get('x-request-id') ?? undefined,
          });
          auth.unauthorized(headers);
          await discard(exchange);
          attempt--;
          continue;
        }
        hint = serverRequestedWaitMs(exchange.headers, this.#now());
        const retryable = status === 429 || (retryAll && status >= 500 && status <= 599);
        if (!retryable || attempt >= maxRetries) return this.#finish(exchange, hint, behaviour, headers);
        if (hint !== undefined && hint > maxRetryDelayMs) {
          this.logger.warn('not retrying: the server asked to wait longer than maxRetryDelayMs', {
            method,
            url: shownUrl,
            status,
            requestId: exchange.headers.get('x-request-id') ?? undefined,
            retryAfterMs: hint,
            maxRetryDelayMs,
          });
          return this.#finish(exchange, hint, behaviour, headers);
        }
        waitMs = hint ?? backoffDelayMs(attempt, this.#random, maxRetryDelayMs);
      } else {
        waitMs = backoffDelayMs(attempt, this.#random, maxRetryDelayMs);
      }
      const reason = exchange === undefined ? describeFailure(failure) : describeStatus(exchange);
      if (this.#now() + waitMs >= deadline) {
        this.logger.warn('not retrying: the wait would pass the deadline', {
          method,
          url: shownUrl,
          reason,
          delayMs: waitMs,
          deadlineMs,
        });
        if (exchange !== undefined) return this.#finish(exchange, hint, behaviour, headers);
        throw failure;
      }
      this.logger.warn('retry', {
        method,
        url: shownUrl,
        reason,
        delayMs: waitMs,
        attempt: attempt + 2,
        maxAttempts: maxRetries + 1,
        requestId: exchange?.headers.get('x-request-id') ?? failure?.requestId,
      });
      if (exchange !== undefined) await discard(exchange);
      await this.#sleep(waitMs, signal);
    }
  }

  /**
   * An error thrown while reading a 2xx response (an invalid body), rebuilt with every
   * credential of the request scrubbed from its body, headers and message.
   * @internal
   */
  redactError(error: unknown, sentHeaders: Readonly<Record<string, string>>): unknown {
    if (!(error instanceof ApiException) || error.constructor !== ApiException) return error;
    const secrets = this.#requestSecrets(sentHeaders);
    return new ApiException(redactSecrets(error.message, secrets), {
      status: error.status,
      headers: redactHeaderValues(error.headers, secrets),
      body: redactSecrets(error.body, secrets),
    });
  }

  /** The final answer of a request that did not succeed: thrown (scrubbed) or returned. */
  #finish(
    exchange: Exchange,
    hint: number | undefined,
    behaviour: RequestBehaviour,
    sentHeaders: Readonly<Record<string, string>>,
  ): Exchange {
    if (behaviour.returnHttpErrors) return exchange;
    // A proxy may echo the request (its Authorization or X-API-KEY) in the body or headers.
    const secrets = this.#requestSecrets(sentHeaders);
    throw ApiException.fromResponse(
      exchange.status,
      redactHeaderValues(exchange.headers, secrets),
      redactSecrets(exchange.body, secrets),
      hint,
    );
  }

  /** `promise`, or an ApiTimeoutException when the deadline passes first. */
  #beforeDeadline<T>(promise: Promise<T>, deadline: number, deadlineMs: number): Promise<T> {
    if (deadline === Number.POSITIVE_INFINITY) return promise;
    const remaining = deadline - this.#now();
    if (remaining <= 0) return Promise.reject(deadlineExceeded(deadlineMs));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(deadlineExceeded(deadlineMs)), remaining);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  /** The credentials of the configuration, in every form they may take on the wire. */
  #credentialSecrets(): readonly string[] {
    if (this.#credentials === undefined) {
      const { username, password, apiKey } = this.configuration;
      const list: string[] = [];
      if (apiKey !== undefined) list.push(apiKey);
      if (username !== undefined && password !== undefined) {
        const basic = basicAuthorization(username, password).slice('Basic '.length);
        list.push(password, formUrlEncode(password), encodeURIComponent(password), basic);
      }
      this.#credentials = list;
    }
    return this.#credentials;
  }

  /** The credentials plus the credential headers this request carried (e.g. its Bearer token). */
  #requestSecrets(headers: Readonly<Record<string, string>>): readonly string[] {
    const base = this.#credentialSecrets();
    const authorization = headers.authorization;
    const apiKey = headers['x-api-key'];
    if (authorization === undefined && apiKey === undefined) return base;
    const list = [...base];
    if (authorization !== undefined) list.push(authorization.replace(/^\w+\s+/, ''));
    if (apiKey !== undefined) list.push(apiKey);
    return list;
  }

  /** Everything the logger must never print. */
  #secrets(): string[] {
    return [...this.#tokens, ...this.#credentialSecrets()];
  }
}

function deadlineExceeded(deadlineMs: number): ApiTimeoutException {
  return new ApiTimeoutException(`Deadline of ${deadlineMs} ms exceeded`);
}

/** `HTTP 503 server_error` (the envelope's type when the body was read and is one). */
function describeStatus(exchange: Exchange): string {
  const type = /"type"\s*:\s*"([a-z_]{1,40})"/.exec(exchange.body)?.[1];
  return type === undefined ? `HTTP ${exchange.status}` : `HTTP ${exchange.status} ${type}`;
}

function describeFailure(failure: ApiException | undefined): string {
  return failure === undefined ? 'unknown' : `${failure.name}: ${failure.message}`;
}

/** Lets go of an unread response body before the request is sent again. */
async function discard(exchange: Exchange): Promise<void> {
  const body = (exchange.response as { body?: { cancel?: () => Promise<void> } | null } | undefined)?.body;
  await body?.cancel?.().catch(() => {});
}
