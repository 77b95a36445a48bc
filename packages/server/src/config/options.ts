import { DEFAULT_SCOPES } from '../domain/scopes.js';
import {
  ConfigError,
  defaultMaxConnections,
  defaultPepperFile,
  defaultWorkers,
  type LogLevel,
  openFileLimit,
  parseConnectionTimeout,
  parseCorsOrigins,
  parseLogLevel,
  parseMaxConnections,
  parseMetricsPort,
  parsePort,
  parseRateLimit,
  parseRedisFailure,
  parseRedisTimeout,
  parseRedisUrl,
  parseScopeCatalogue,
  parseShutdownTimeout,
  parseTrustedProxies,
  parseWorkers,
  type RateLimitSetting,
} from './values.js';

/**
 * Server options, their defaults and their environment variables, all in one place.
 * A command-line flag wins over its environment variable, which wins over the default.
 *
 * | Flag | Environment variable | Default |
 * |---|---|---|
 * | `--host` | `SMSCX_HOST` | `127.0.0.1` |
 * | `--port` | `SMSCX_PORT` | `8080` |
 * | `--db` | `SMSCX_DB` | `./data/smscx-oauth.db` (folder created); a `postgres://` URL selects PostgreSQL |
 * | `--rate-limit N/S` | `SMSCX_RATE_LIMIT` | `600/60` (token requests per application) |
 * | `--auth-failure-limit N/S` | `SMSCX_AUTH_FAILURE_LIMIT` | `20/60` (failed authentications per client IP) |
 * | `--log-level` | `SMSCX_LOG_LEVEL` | `info` |
 * | `--issuer` | `SMSCX_ISSUER` | `http://<host>:<port>` |
 * | `--audience` | `SMSCX_AUDIENCE` | `https://api.sms.cx` |
 * | `--scope-catalogue` | `SMSCX_SCOPES` | `sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp` |
 * | `--pepper-file` | `SMSCX_PEPPER_FILE` | `<folder of the db>/pepper`; `./data/pepper` for PostgreSQL |
 * | `--workers N` | `SMSCX_WORKERS` | the number of CPU cores (`os.availableParallelism()`) |
 * | `--trust-proxy` | `SMSCX_TRUST_PROXY` | none: the client IP is the TCP peer's |
 * | `--redis` | `SMSCX_REDIS_URL` | none: each instance counts its own rate limits |
 * | `--redis-failure` | `SMSCX_REDIS_FAILURE` | `open` (count per instance while Redis is away; `closed`: 503) |
 * | `--redis-timeout` | `SMSCX_REDIS_TIMEOUT_MS` | `50` (longest wait for Redis in a request, ms) |
 * | `--redis-prefix` | `SMSCX_REDIS_PREFIX` | `smscx-oauth:` (prefix of every Redis key) |
 * | `--keep-alive-timeout` | `SMSCX_KEEP_ALIVE_TIMEOUT_MS` | `5000` (an idle keep-alive connection is closed after, ms) |
 * | `--headers-timeout` | `SMSCX_HEADERS_TIMEOUT_MS` | `10000` (longest wait for a request's headers, ms) |
 * | `--request-timeout` | `SMSCX_REQUEST_TIMEOUT_MS` | `15000` (longest wait for a whole request, body included, ms) |
 * | `--max-connections` | `SMSCX_MAX_CONNECTIONS` | the open-file limit less a tenth (at least 128), at most 10,000; 1,000 where unknown (per process) |
 * | `--shutdown-timeout` | `SMSCX_SHUTDOWN_TIMEOUT` | `10s` (longest drain on SIGTERM/SIGINT before busy connections are closed) |
 * | `--metrics-host` | `SMSCX_METRICS_HOST` | `127.0.0.1` (interface of the metrics listener) |
 * | `--metrics-port` | `SMSCX_METRICS_PORT` | none: no metrics listener (`GET /metrics` on this port when set) |
 *
 * @module
 */

/** Fully resolved server configuration. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** The database: a SQLite file path or a PostgreSQL URL (`--db`). */
  readonly dbPath: string;
  /** Token requests per application. */
  readonly rateLimit: RateLimitSetting;
  /** Failed client authentications per client IP. */
  readonly authFailureLimit: RateLimitSetting;
  readonly logLevel: LogLevel;
  /** `iss` claim; undefined means `http://<host>:<bound port>`. */
  readonly issuer: string | undefined;
  /** `aud` claim. */
  readonly audience: string;
  /** The scope catalogue, in canonical order. */
  readonly scopes: readonly string[];
  /** File holding the 32-byte pepper. */
  readonly pepperFile: string;
  /** Server processes sharing the port; 1 = a single process, no cluster primary. */
  readonly workers: number;
  /** Proxies (addresses, CIDR ranges) whose `X-Forwarded-For` names the client; empty: none. */
  readonly trustProxy: readonly string[];
  /** Rate limits counted in Redis, shared by every instance; undefined: per instance. */
  readonly redis: RedisLimitsConfig | undefined;
  /** Timeouts and the cap of this process's connections. */
  readonly connections: ConnectionsConfig;
  /** Longest drain on SIGTERM/SIGINT (ms) before connections still busy are closed. */
  readonly shutdownTimeoutMs: number;
  /** Browser origins allowed to call the token and applications endpoints (CORS); empty: none. */
  readonly corsOrigins: readonly string[];
  /** Where Prometheus metrics are served (`GET /metrics`); undefined: nowhere (the default). */
  readonly metrics: MetricsListenerConfig | undefined;
}

/** `--metrics-host` and `--metrics-port`: the metrics listener, apart from the public port. */
export interface MetricsListenerConfig {
  readonly host: string;
  readonly port: number;
}

/** `--keep-alive-timeout`, `--headers-timeout`, `--request-timeout`, `--max-connections`. */
export interface ConnectionsConfig {
  /** An idle keep-alive connection is closed after this long (ms). */
  readonly keepAliveTimeoutMs: number;
  /** A connection whose request headers have not all arrived after this long is closed (ms). */
  readonly headersTimeoutMs: number;
  /** A connection whose request (headers and body) has not all arrived after this long is closed (ms). */
  readonly requestTimeoutMs: number;
  /** Most open connections of one server process; at the cap the oldest idle one makes room. */
  readonly maxConnections: number;
}

/** `--redis` and the options that only apply with it. */
export interface RedisLimitsConfig {
  readonly url: string;
  /** Prefix of every key and channel, so several deployments can share one Redis. */
  readonly prefix: string;
  /** Longest wait for one Redis answer during a request (ms). */
  readonly timeoutMs: number;
  /** While Redis is unreachable: `open` counts per instance, `closed` answers 503. */
  readonly failure: 'open' | 'closed';
}

/** Environment variable of every option. */
export const ENV = {
  host: 'SMSCX_HOST',
  port: 'SMSCX_PORT',
  db: 'SMSCX_DB',
  rateLimit: 'SMSCX_RATE_LIMIT',
  authFailureLimit: 'SMSCX_AUTH_FAILURE_LIMIT',
  logLevel: 'SMSCX_LOG_LEVEL',
  issuer: 'SMSCX_ISSUER',
  audience: 'SMSCX_AUDIENCE',
  scopes: 'SMSCX_SCOPES',
  pepperFile: 'SMSCX_PEPPER_FILE',
  workers: 'SMSCX_WORKERS',
  trustProxy: 'SMSCX_TRUST_PROXY',
  redis: 'SMSCX_REDIS_URL',
  redisFailure: 'SMSCX_REDIS_FAILURE',
  redisTimeout: 'SMSCX_REDIS_TIMEOUT_MS',
  redisPrefix: 'SMSCX_REDIS_PREFIX',
  keepAliveTimeout: 'SMSCX_KEEP_ALIVE_TIMEOUT_MS',
  headersTimeout: 'SMSCX_HEADERS_TIMEOUT_MS',
  requestTimeout: 'SMSCX_REQUEST_TIMEOUT_MS',
  maxConnections: 'SMSCX_MAX_CONNECTIONS',
  shutdownTimeout: 'SMSCX_SHUTDOWN_TIMEOUT',
  corsOrigins: 'SMSCX_CORS_ORIGINS',
  metricsHost: 'SMSCX_METRICS_HOST',
  metricsPort: 'SMSCX_METRICS_PORT',
} as const;

/** Defaults of every option that has one. */
export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  db: './data/smscx-oauth.db',
  rateLimit: '600/60',
  authFailureLimit: '20/60',
  logLevel: 'info' as LogLevel,
  audience: 'https://api.sms.cx',
  redisFailure: 'open',
  redisTimeoutMs: '50',
  redisPrefix: 'smscx-oauth:',
  keepAliveTimeoutMs: '5000',
  headersTimeoutMs: '10000',
  requestTimeoutMs: '15000',
  shutdownTimeout: '10s',
  metricsHost: '127.0.0.1',
} as const;

/** Raw option values as given on the command line (undefined = not given). */
export interface ConfigInput {
  readonly host?: string | undefined;
  readonly port?: string | undefined;
  readonly db?: string | undefined;
  readonly rateLimit?: string | undefined;
  readonly authFailureLimit?: string | undefined;
  readonly logLevel?: string | undefined;
  readonly issuer?: string | undefined;
  readonly audience?: string | undefined;
  readonly scopes?: string | undefined;
  readonly pepperFile?: string | undefined;
  readonly workers?: string | undefined;
  readonly trustProxy?: string | undefined;
  readonly redis?: string | undefined;
  readonly redisFailure?: string | undefined;
  readonly redisTimeout?: string | undefined;
  readonly redisPrefix?: string | undefined;
  readonly keepAliveTimeout?: string | undefined;
  readonly headersTimeout?: string | undefined;
  readonly requestTimeout?: string | undefined;
  readonly maxConnections?: string | undefined;
  readonly shutdownTimeout?: string | undefined;
  readonly corsOrigins?: string | undefined;
  readonly metricsHost?: string | undefined;
  readonly metricsPort?: string | undefined;
}

/**
 * The one precedence rule: the flag when given, else its environment variable when set and not
 * empty, else undefined (the caller's default).
 */
export function optionValue(
  input: ConfigInput,
  key: keyof typeof ENV,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const flag = input[key];
  if (flag !== undefined) return flag;
  const fromEnv = env[ENV[key]];
  return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
}

/** What the admin commands (`apps …`, `keys …`) open: the same database and pepper as `serve`. */
export interface AdminConfig {
  readonly dbPath: string;
  readonly pepperFile: string;
  /** The scope catalogue `apps create --scopes` is checked against. */
  readonly scopes: readonly string[];
}

/**
 * Resolves the admin commands' options (`--db`, `--pepper-file`, `--scope-catalogue`) by the
 * same rule and defaults as {@link resolveConfig}.
 *
 * @throws ConfigError when a value is malformed
 */
export function resolveAdminConfig(input: ConfigInput, env: NodeJS.ProcessEnv = process.env): AdminConfig {
  const dbPath = optionValue(input, 'db', env) ?? DEFAULTS.db;
  return {
    dbPath,
    pepperFile: optionValue(input, 'pepperFile', env) ?? defaultPepperFile(dbPath),
    scopes: parseScopeCatalogue(optionValue(input, 'scopes', env) ?? DEFAULT_SCOPES.join(' ')),
  };
}

/**
 * Resolves the server configuration from flags, then environment, then defaults.
 *
 * @throws ConfigError when a value is malformed
 */
export function resolveConfig(input: ConfigInput, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (key: keyof typeof ENV): string | undefined => optionValue(input, key, env);
  const { dbPath, pepperFile, scopes } = resolveAdminConfig(input, env);
  return {
    host: pick('host') ?? DEFAULTS.host,
    port: parsePort(pick('port') ?? String(DEFAULTS.port)),
    dbPath,
    rateLimit: parseRateLimit(pick('rateLimit') ?? DEFAULTS.rateLimit, 'rate limit'),
    authFailureLimit: parseRateLimit(
      pick('authFailureLimit') ?? DEFAULTS.authFailureLimit,
      'auth failure limit',
    ),
    logLevel: parseLogLevel(pick('logLevel') ?? DEFAULTS.logLevel),
    issuer: pick('issuer'),
    audience: pick('audience') ?? DEFAULTS.audience,
    scopes,
    pepperFile,
    workers: parseWorkers(pick('workers') ?? String(defaultWorkers())),
    trustProxy: parseTrustedProxies(pick('trustProxy') ?? ''),
    redis: resolveRedis(pick),
    connections: resolveConnections(pick),
    shutdownTimeoutMs: parseShutdownTimeout(pick('shutdownTimeout') ?? DEFAULTS.shutdownTimeout),
    corsOrigins: parseCorsOrigins(pick('corsOrigins') ?? ''),
    metrics: resolveMetrics(pick),
  };
}

/**
 * `--metrics-port` (off unless set) and `--metrics-host`; the host without the port is a mistake
 * worth saying, and so is the public port's own number (both would listen on it).
 */
function resolveMetrics(
  pick: (key: keyof typeof ENV) => string | undefined,
): MetricsListenerConfig | undefined {
  const port = pick('metricsPort');
  if (port === undefined) {
    if (pick('metricsHost') !== undefined)
      throw new ConfigError(`${ENV.metricsHost} (or its flag) needs --metrics-port`);
    return undefined;
  }
  const metricsPort = parseMetricsPort(port);
  if (metricsPort !== 0 && metricsPort === parsePort(pick('port') ?? String(DEFAULTS.port))) {
    throw new ConfigError(
      'metrics port must differ from the server port (metrics are never served on the public port)',
    );
  }
  return { host: pick('metricsHost') ?? DEFAULTS.metricsHost, port: metricsPort };
}

/** The connection timeouts and cap; a headers timeout longer than the request timeout is a mistake. */
function resolveConnections(pick: (key: keyof typeof ENV) => string | undefined): ConnectionsConfig {
  const headersTimeoutMs = parseConnectionTimeout(
    pick('headersTimeout') ?? DEFAULTS.headersTimeoutMs,
    'headers timeout',
  );
  const requestTimeoutMs = parseConnectionTimeout(
    pick('requestTimeout') ?? DEFAULTS.requestTimeoutMs,
    'request timeout',
  );
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `the headers timeout (${headersTimeoutMs} ms) must not be longer than the request timeout (${requestTimeoutMs} ms)`,
    );
  }
  const maxConnections = pick('maxConnections');
  return {
    keepAliveTimeoutMs: parseConnectionTimeout(
      pick('keepAliveTimeout') ?? DEFAULTS.keepAliveTimeoutMs,
      'keep-alive timeout',
    ),
    headersTimeoutMs,
    requestTimeoutMs,
    maxConnections:
      maxConnections === undefined
        ? defaultMaxConnections(openFileLimit())
        : parseMaxConnections(maxConnections),
  };
}

/** `--redis` with its options; the options without `--redis` are a mistake worth saying. */
function resolveRedis(pick: (key: keyof typeof ENV) => string | undefined): RedisLimitsConfig | undefined {
  const url = pick('redis');
  if (url === undefined) {
    const stray = (['redisFailure', 'redisTimeout', 'redisPrefix'] as const).find(
      (key) => pick(key) !== undefined,
    );
    if (stray !== undefined) throw new ConfigError(`${ENV[stray]} (or its flag) needs --redis`);
    return undefined;
  }
  const prefix = pick('redisPrefix') ?? DEFAULTS.redisPrefix;
  if (prefix.length > 100) throw new ConfigError('redis prefix must be at most 100 characters');
  return {
    url: parseRedisUrl(url),
    prefix,
    timeoutMs: parseRedisTimeout(pick('redisTimeout') ?? DEFAULTS.redisTimeoutMs),
    failure: parseRedisFailure(pick('redisFailure') ?? DEFAULTS.redisFailure),
  };
}

export { ConfigError, type LogLevel, type RateLimitSetting };
