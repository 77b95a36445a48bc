import { VERSION } from './version.js';

/** The default API host. */
export const DEFAULT_HOST = 'https://api.sms.cx';
/** Default per-attempt timeout of an API request, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default number of retries after the first attempt (so up to 3 attempts). */
export const DEFAULT_MAX_RETRIES = 2;

/** A `fetch`-compatible function (the global one, undici's, or a test double). */
export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * Receives the SDK's debug events (requests, responses, retries, token refreshes). Messages and
 * fields never contain credentials: secrets, Basic values and access tokens are redacted.
 */
export interface Logger {
  /** One debug event: a short message and structured fields. */
  debug(message: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link Configuration}. */
export interface ConfigurationParameters {
  /** The Application ID (HTTP Basic username). Required. */
  username: string;
  /** The Application Secret (HTTP Basic password). Required; never logged or put on errors. */
  password: string;
  /** API base URL, without a trailing slash. Default `https://api.sms.cx`. */
  host?: string | undefined;
  /** The `fetch` implementation to use. Default: `globalThis.fetch`. */
  fetch?: FetchLike | undefined;
  /** Timeout of one attempt (connect, headers and body), in ms. Default 30000. `0` disables it. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt on network errors, timeouts, 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** The `User-Agent` header. Default `smscx-client-typescript/<version>`. */
  userAgent?: string | undefined;
  /**
   * Debug logger. Default: none, unless the environment variable `SMSCX_DEBUG=1` is set
   * (read only where `process.env` exists), in which case events go to `console.error`.
   */
  logger?: Logger | undefined;
}

/**
 * Settings shared by every API class: credentials, host, transport and logging.
 *
 * The secret is kept in a private field, so `console.log(configuration)`, `util.inspect` and
 * `JSON.stringify` do not show it.
 *
 * @example
 * ```ts
 * const configuration = new Configuration({ username: 'APP_ID', password: 'APP_SECRET' });
 * ```
 * @throws TypeError when username or password is missing, or a numeric option is invalid.
 */
export class Configuration {
  /** The Application ID. */
  readonly username: string;
  /** API base URL without trailing slash. */
  readonly host: string;
  /** The fetch implementation (resolved lazily to `globalThis.fetch` when not given). */
  readonly fetch: FetchLike;
  /** Per-attempt timeout in ms (`0` = none). */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  /** The `User-Agent` header value. */
  readonly userAgent: string;
  /** The configured logger, if any. */
  readonly logger: Logger | undefined;
  readonly #password: string;

  /**
   * @param parameters - credentials (required) and optional transport settings; see
   *   {@link ConfigurationParameters}.
   * @throws TypeError when username or password is missing, or a numeric option is invalid.
   */
  constructor(parameters: ConfigurationParameters) {
    if (typeof parameters?.username !== 'string' || parameters.username === '') {
      throw new TypeError('Configuration: username (the Application ID) is required');
    }
    if (typeof parameters.password !== 'string' || parameters.password === '') {
      throw new TypeError('Configuration: password (the Application Secret) is required');
    }
    this.username = parameters.username;
    this.#password = parameters.password;
    this.host = (parameters.host ?? DEFAULT_HOST).replace(/\/+$/, '');
    const injected = parameters.fetch;
    // Resolve the global lazily so a polyfill installed after construction is still used.
    this.fetch = injected ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = nonNegativeInteger('timeoutMs', parameters.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.maxRetries = nonNegativeInteger('maxRetries', parameters.maxRetries, DEFAULT_MAX_RETRIES);
    this.userAgent = parameters.userAgent ?? `smscx-client-typescript/${VERSION}`;
    this.logger = parameters.logger;
  }

  /** The Application Secret. */
  get password(): string {
    return this.#password;
  }

  /** JSON form without the secret. */
  toJSON(): Record<string, unknown> {
    return {
      username: this.username,
      password: '[REDACTED]',
      host: this.host,
      timeoutMs: this.timeoutMs,
      maxRetries: this.maxRetries,
      userAgent: this.userAgent,
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
