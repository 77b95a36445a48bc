import { VERSION } from './version.js';

/** The default API host. */
export const DEFAULT_HOST = 'https://api.sms.cx';
/** Default per-attempt timeout of an API request, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default number of retries after the first attempt (so up to 3 attempts). */
export const DEFAULT_MAX_RETRIES = 2;
/**
 * Default longest wait before a retry, in milliseconds: a server asking for a longer wait (a
 * `429` with `Retry-After: 60`) gets its error thrown at once instead of a call that seems to hang.
 */
export const DEFAULT_MAX_RETRY_DELAY_MS = 10_000;
/** Default log level: errors and warnings (every retry is a warning). */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/**
 * What an `X-API-KEY` value may hold: printable ASCII, no spaces. Checked up front because
 * `fetch` rejects a bad header value with a message that quotes it.
 */
const API_KEY_SHAPE = /^[\x21-\x7e]+$/;

/** The request the SDK hands to a {@link FetchLike} function. */
export interface FetchInit {
  /** HTTP method, upper case. */
  method: string;
  /** Request headers, lower-case names. */
  headers: Record<string, string>;
  /** Request body: a string for the SDK's own calls, an `ArrayBuffer` for `TokenManager.fetch`. */
  body?: string | ArrayBuffer | null;
  /** Aborts the request (the SDK's timeout, deadline and the caller's signal). */
  signal?: AbortSignal;
}

/** What the SDK reads from the response of a {@link FetchLike} function (a `Response` has it). */
export interface FetchResponse {
  /** HTTP status code. */
  readonly status: number;
  /** Response headers. */
  readonly headers: Headers;
  /** Reads the whole body as text. */
  text(): Promise<string>;
}

/**
 * A `fetch`-compatible function: the global `fetch`, `window.fetch`, undici's `fetch` (also
 * wrapped to add a `dispatcher`, the usual way to go through a proxy), or a test double. The SDK
 * always calls it with an absolute URL string and a {@link FetchInit}, as a plain function (never
 * as a method of the configuration, which browsers refuse with "Illegal invocation").
 *
 * @example
 * ```ts
 * import { fetch, ProxyAgent } from 'undici';
 * const dispatcher = new ProxyAgent('http://proxy.internal:3128');
 * new Configuration({ username, password, fetch: (url, init) => fetch(url, { ...init, dispatcher }) });
 * ```
 */
export type FetchLike = (input: string, init: FetchInit) => Promise<FetchResponse>;

/**
 * How much the SDK logs, least to most: `off`, `error`, `warn` (the default: includes every
 * retry, with its reason and delay), `info`, `debug` (every request and response).
 */
export type LogLevel = 'off' | 'error' | 'warn' | 'info' | 'debug';

/** The log levels in increasing verbosity. */
export const LOG_LEVELS: readonly LogLevel[] = ['off', 'error', 'warn', 'info', 'debug'];

/**
 * Receives the SDK's log events (retries, requests, responses, token refreshes). Messages and
 * fields never contain credentials: secrets, Basic values, API keys and access tokens are
 * redacted before the logger sees them. `console` is a valid `Logger`.
 */
export interface Logger {
  /** An error the SDK could not recover from on its own (e.g. a token store that fails). */
  error(message: string, fields?: Record<string, unknown>): void;
  /** Something worth attention: a retry (with its reason and delay), a wait not taken. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** A notable event: a token refreshed after a `401`. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Every request, response and token refresh. */
  debug(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Options of {@link Configuration}. Give the Application ID and Secret (`username` and
 * `password`), an `apiKey`, or both.
 */
export interface ConfigurationParameters {
  /** The Application ID (HTTP Basic username). Required with `password`, unless `apiKey` is given. */
  username?: string | undefined;
  /**
   * The Application Secret (HTTP Basic password). Required with `username`, unless `apiKey` is
   * given. Never logged or put on errors. Refused in a browser unless `dangerouslyAllowBrowser`.
   */
  password?: string | undefined;
  /**
   * An SMS.CX API key, sent as the `X-API-KEY` header by `ApplicationsApi` (instead of a
   * Bearer access token) and never to `/oauth/token`. Optional; never logged or put on errors.
   * Not read from the environment. Refused in a browser unless `dangerouslyAllowBrowser`.
   */
  apiKey?: string | undefined;
  /**
   * API base URL: an absolute `http://` or `https://` URL, optionally with a path prefix; a
   * trailing `/` is removed. Default `https://api.sms.cx`.
   */
  host?: string | undefined;
  /** The `fetch` implementation to use. Default: `globalThis.fetch`. See {@link FetchLike}. */
  fetch?: FetchLike | undefined;
  /** Timeout of one attempt (connect, headers and body), in ms. Default 30000. `0` disables it. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt on network errors, timeouts, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /**
   * Longest wait before a retry, in ms. Default 10000. When the server asks for a longer wait
   * (`Retry-After`, `X-Rate-Limit-Reset`) the error is thrown at once, with `retryAfterMs` set.
   */
  maxRetryDelayMs?: number | undefined;
  /**
   * Total time of one call, in ms, covering every attempt and every wait between them.
   * Default: none (`0`). Can also be set per call.
   */
  deadlineMs?: number | undefined;
  /** The `User-Agent` header. Default `smscx-client-typescript/<version>`. */
  userAgent?: string | undefined;
  /** Where log events go. Default: the console (`console.error` for errors, else `console.warn`). */
  logger?: Logger | undefined;
  /**
   * How much is logged. Default `warn` (every retry), or `debug` when the environment variable
   * `SMSCX_DEBUG=1` is set (read only where it may be: never an error without permission).
   */
  logLevel?: LogLevel | undefined;
  /**
   * Allows the Application Secret or an API key in a browser, where anyone who can open the page
   * can read them. Default `false`: the constructor throws. Only for internal tools and tests.
   */
  dangerouslyAllowBrowser?: boolean | undefined;
}

/**
 * Settings shared by every API class: credentials, host, transport and logging.
 *
 * The secret and the API key are kept in private fields, so `console.log(configuration)`,
 * `util.inspect` and `JSON.stringify` do not show them.
 *
 * @example
 * ```ts
 * const configuration = new Configuration({ username: 'APP_ID', password: 'APP_SECRET' });
 * const withKey = new Configuration({ apiKey: 'YOUR_API_KEY' }); // ApplicationsApi only
 * ```
 * @throws TypeError when neither the Application ID and Secret nor an API key is given, when
 *   only one of username and password is, when an option is invalid (e.g. a host without
 *   `https://`), or when a credential is given in a browser without `dangerouslyAllowBrowser`.
 */
export class Configuration {
  /** The Application ID, or `undefined` when only an API key was given. */
  readonly username: string | undefined;
  /** API base URL without trailing slash. */
  readonly host: string;
  /**
   * The fetch implementation, always called as a plain function (resolved lazily to
   * `globalThis.fetch` when not given).
   */
  readonly fetch: FetchLike;
  /** Per-attempt timeout in ms (`0` = none). */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** Longest wait before a retry, in ms. */
  readonly maxRetryDelayMs: number;
  /** Total time of one call in ms, every attempt and wait included (`0` = none). */
  readonly deadlineMs: number;
  /** The `User-Agent` header value. */
  readonly userAgent: string;
  /** The configured logger, if any (else the console). */
  readonly logger: Logger | undefined;
  /** How much is logged. */
  readonly logLevel: LogLevel;
  readonly #password: string | undefined;
  readonly #apiKey: string | undefined;

  /**
   * @param parameters - credentials (the Application ID and Secret, an API key, or both) and
   *   optional transport settings; see {@link ConfigurationParameters}.
   * @throws TypeError when neither the Application ID and Secret nor an API key is given, when
   *   only one of username and password is, when an option is invalid, or when a credential is
   *   given in a browser without `dangerouslyAllowBrowser: true`.
   */
  constructor(parameters: ConfigurationParameters) {
    const { username, password, apiKey } = parameters ?? {};
    if (apiKey !== undefined && (typeof apiKey !== 'string' || !API_KEY_SHAPE.test(apiKey))) {
      // The value is not echoed: it is a credential.
      throw new TypeError('Configuration: apiKey must be a non-empty string of printable ASCII characters');
    }
    if (username !== undefined || password !== undefined || apiKey === undefined) {
      if (typeof username !== 'string' || username === '') {
        throw new TypeError(
          'Configuration: username (the Application ID) is required, unless only apiKey is given',
        );
      }
      if (typeof password !== 'string' || password === '') {
        throw new TypeError('Configuration: password (the Application Secret) is required with username');
      }
    }
    if (parameters.dangerouslyAllowBrowser !== true && isBrowser()) {
      const what = password !== undefined ? 'the Application Secret (password)' : 'an API key (apiKey)';
      throw new TypeError(
        `Configuration: this looks like a browser, where ${what} can be read by anyone who can open the page. ` +
          'Get access tokens on your server and give the browser only what it needs; ' +
          'if you understand the risk (an internal tool, a test), pass dangerouslyAllowBrowser: true.',
      );
    }
    this.username = username;
    this.#password = password;
    this.#apiKey = apiKey;
    this.host = validHost(parameters.host ?? DEFAULT_HOST);
    const injected = parameters.fetch;
    if (injected !== undefined && typeof injected !== 'function') {
      throw new TypeError('Configuration: fetch must be a function');
    }
    // Always called as a plain function: `window.fetch` called as a method of this object throws
    // "Illegal invocation" in browsers. The global is resolved lazily so a polyfill installed
    // after construction is still used.
    this.fetch = injected
      ? (input, init) => injected(input, init)
      : (input, init) => globalThis.fetch(input, init);
    this.timeoutMs = nonNegativeInteger('timeoutMs', parameters.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.maxRetries = nonNegativeInteger('maxRetries', parameters.maxRetries, DEFAULT_MAX_RETRIES);
    this.maxRetryDelayMs = nonNegativeInteger(
      'maxRetryDelayMs',
      parameters.maxRetryDelayMs,
      DEFAULT_MAX_RETRY_DELAY_MS,
    );
    this.deadlineMs = nonNegativeInteger('deadlineMs', parameters.deadlineMs, 0);
    this.userAgent = parameters.userAgent ?? `smscx-client-typescript/${VERSION}`;
    const { logger, logLevel } = parameters;
    if (logger !== undefined && !isLogger(logger)) {
      throw new TypeError('Configuration: logger must have error, warn, info and debug methods');
    }
    if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel)) {
      throw new TypeError(`Configuration: logLevel must be one of ${LOG_LEVELS.join(', ')}`);
    }
    this.logger = logger;
    this.logLevel = logLevel ?? (debugFromEnv() ? 'debug' : DEFAULT_LOG_LEVEL);
  }

  /** The Application Secret, or `undefined` when only an API key was given. */
  get password(): string | undefined {
    return this.#password;
  }

  /** The API key sent as `X-API-KEY` by `ApplicationsApi`, if one was given. */
  get apiKey(): string | undefined {
    return this.#apiKey;
  }

  /** JSON form without the secret or the API key (each shown as `[REDACTED]` when set). */
  toJSON(): Record<string, unknown> {
    return {
      ...(this.username === undefined ? {} : { username: this.username, password: '[REDACTED]' }),
      ...(this.#apiKey === undefined ? {} : { apiKey: '[REDACTED]' }),
      host: this.host,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      maxRetryDelayMs: this.maxRetryDelayMs,
      deadlineMs: this.deadlineMs,
      userAgent: this.userAgent,
      logLevel: this.logLevel,
    };
  }
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) {
    throw new TypeError(`Configuration: ${name} must be a non-negative integer, got ${String(value)}`);
  }
  return value;
}

/**
 * The host as an absolute http(s) base URL without trailing slash. Checked here, once, so a
 * host without a scheme (`api.sms.cx`) is a configuration error at construction rather than
 * a "connection error" after three attempts.
 */
function validHost(raw: unknown): string {
  const host = typeof raw === 'string' ? raw.trim().replace(/\/+$/, '') : '';
  let url: URL | undefined;
  try {
    url = new URL(host);
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    !/^https?:\/\/[^/?#\s]/i.test(host) ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== ''
  ) {
    // Echo the value unless it may hold credentials (user:password@host).
    const shown = typeof raw === 'string' && !raw.includes('@') ? ` (got ${JSON.stringify(raw)})` : '';
    throw new TypeError(
      `Configuration: host must be an absolute http:// or https:// URL such as "${DEFAULT_HOST}", without query, fragment or credentials${shown}`,
    );
  }
  return host;
}

function isLogger(value: unknown): value is Logger {
  const candidate = value as Partial<Record<keyof Logger, unknown>> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.error === 'function' &&
    typeof candidate.warn === 'function' &&
    typeof candidate.info === 'function' &&
    typeof candidate.debug === 'function'
  );
}

/**
 * The `User-Agent` header to add to a request: none in a browser, where Chromium drops it and
 * Firefox sends it, which makes it a non-safelisted header that a CORS preflight must allow.
 */
export function userAgentHeader(configuration: Configuration): Record<string, string> {
  return isBrowser() ? {} : { 'user-agent': configuration.userAgent };
}

/**
 * True in a browser page (a `window` with a `document`, and a `navigator`), as openai-node
 * detects it. Deno, Bun, Node and edge runtimes have no `window.document`.
 */
export function isBrowser(): boolean {
  const g = globalThis as { window?: { document?: unknown }; navigator?: unknown };
  return (
    typeof g.window === 'object' &&
    g.window !== null &&
    typeof g.window.document !== 'undefined' &&
    typeof g.navigator !== 'undefined'
  );
}

/**
 * True when `SMSCX_DEBUG` is set to something other than "" / "0" / "false". Only touches
 * `process.env` where it exists, and never fails: Deno without `--allow-env` throws
 * `NotCapable` on the read, which must not make `new Configuration()` fail.
 */
function debugFromEnv(): boolean {
  let value: string | undefined;
  try {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    value = env?.SMSCX_DEBUG;
  } catch {
    return false;
  }
  return typeof value === 'string' && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}
