import { DEFAULT_SCOPES } from '../domain/scopes.js';
import {
  ConfigError,
  defaultPepperFile,
  defaultWorkers,
  type LogLevel,
  parseLogLevel,
  parsePort,
  parseRateLimit,
  parseRedisFailure,
  parseRedisTimeout,
  parseRedisUrl,
  parseScopeCatalogue,
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
