import { VERSION } from './version.js';

/** The default API host. */
export const DEFAULT_HOST = 'https://api.sms.cx';
/** Default per-attempt timeout of an API request, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default number of retries after the first attempt (so up to 3 attempts). */
export const DEFAULT_MAX_RETRIES = 2;

/**
 * What an `X-API-KEY` value may hold: printable ASCII, no spaces. Checked up front because
 * `fetch` rejects a bad header value with a message that quotes it.
 */
const API_KEY_SHAPE = /^[\x21-\x7e]+$/;

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

/**
 * Options of {@link Configuration}. Give the Application ID and Secret (`username` and
 * `password`), an `apiKey`, or both.
 */
export interface ConfigurationParameters {
  /** The Application ID (HTTP Basic username). Required with `password`, unless `apiKey` is given. */
  username?: string | undefined;
  /**
   * The Application Secret (HTTP Basic password). Required with `username`, unless `apiKey` is
   * given. Never logged or put on errors.
   */
  password?: string | undefined;
  /**
   * An SMS.CX API key, sent as the `X-API-KEY` header by `ApplicationsApi` (instead of a
   * Bearer access token) and never to `/oauth/token`. Optional; never logged or put on errors.
   * Not read from the environment.
   */
  apiKey?: string | undefined;
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
 * The secret and the API key are kept in private fields, so `console.log(configuration)`,
 * `util.inspect` and `JSON.stringify` do not show them.
 *
 * @example
 * ```ts
 * const configuration = new Configuration({ username: 'APP_ID', password: 'APP_SECRET' });
 * const withKey = new Configuration({ apiKey: 'YOUR_API_KEY' }); // ApplicationsApi only
 * ```
 * @throws TypeError when neither the Application ID and Secret nor an API key is given, when
 *   only one of username and password is, or when an option is invalid.
 */
export class Configuration {
  /** The Application ID, or `undefined` when only an API key was given. */
  readonly username: string | undefined;
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
  readonly #password: string | undefined;
  readonly #apiKey: string | undefined;

  /**
   * @param parameters - credentials (the Application ID and Secret, an API key, or both) and
   *   optional transport settings; see {@link ConfigurationParameters}.
   * @throws TypeError when neither the Application ID and Secret nor an API key is given, when
   *   only one of username and password is, or when an option is invalid.
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
    this.username = username;
    this.#password = password;
    this.#apiKey = apiKey;
    this.host = (parameters.host ?? DEFAULT_HOST).replace(/\/+$/, '');
    const injected = parameters.fetch;
    // Resolve the global lazily so a polyfill installed after construction is still used.
    this.fetch = injected ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = nonNegativeInteger('timeoutMs', parameters.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.maxRetries = nonNegativeInteger('maxRetries', parameters.maxRetries, DEFAULT_MAX_RETRIES);
    this.userAgent = parameters.userAgent ?? `smscx-client-typescript/${VERSION}`;
    this.logger = parameters.logger;
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
