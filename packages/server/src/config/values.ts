import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isPostgresUrl } from '../storage/database-url.js';

/**
 * Parsers of option values: each takes the text of a flag or environment variable and returns
 * the value, or throws {@link ConfigError} with a message fit for the command line.
 *
 * @module
 */

/** A rate limit: `points` events per `durationSeconds`. */
export interface RateLimitSetting {
  readonly points: number;
  readonly durationSeconds: number;
}

/** pino log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
/** A pino log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A configuration value that cannot be used; the CLI prints the message and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Parses `N/S` (N events per S seconds). @throws ConfigError */
export function parseRateLimit(value: string, name: string): RateLimitSetting {
  const match = /^(\d{1,9})\/(\d{1,9})$/.exec(value.trim());
  const points = Number(match?.[1]);
  const durationSeconds = Number(match?.[2]);
  if (match === null || points < 1 || durationSeconds < 1) {
    throw new ConfigError(`${name} must look like N/S with N and S positive integers, e.g. 600/60`);
  }
  return { points, durationSeconds };
}

/** Parses a TCP port (0 = any free port). @throws ConfigError */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535) throw new ConfigError('port must be an integer 0-65535');
  return port;
}

/** Most worker processes `--workers` accepts. */
export const MAX_WORKERS = 256;

/** The default number of workers: one per CPU core the process may use. */
export function defaultWorkers(): number {
  return Math.min(availableParallelism(), MAX_WORKERS);
}

/** Parses a worker count (1 to {@link MAX_WORKERS}). @throws ConfigError */
export function parseWorkers(value: string): number {
  const workers = Number(value);
  if (!/^\d{1,3}$/.test(value) || workers < 1 || workers > MAX_WORKERS) {
    throw new ConfigError(`workers must be an integer 1-${MAX_WORKERS}`);
  }
  return workers;
}

/** Parses a log level. @throws ConfigError */
export function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new ConfigError(`log level must be one of ${LOG_LEVELS.join(', ')}`);
  }
  return value as LogLevel;
}

/** Parses a space-delimited scope catalogue. @throws ConfigError */
export function parseScopeCatalogue(value: string): string[] {
  const scopes = value.split(/\s+/).filter((scope) => scope.length > 0);
  if (scopes.length === 0) throw new ConfigError('the scope catalogue must not be empty');
  return scopes;
}

/**
 * The default pepper file for a database: `<db folder>/pepper` for a SQLite file, and
 * `./data/pepper` for a PostgreSQL URL (instances on several machines must each be given the
 * same pepper, with `--pepper-file`).
 */
export function defaultPepperFile(db: string): string {
  if (isPostgresUrl(db)) return resolve('data', 'pepper');
  return join(dirname(resolve(db)), 'pepper');
}

/**
 * Parses `--trust-proxy`: comma-separated IP addresses and CIDR ranges (`127.0.0.1`,
 * `10.0.0.0/8`, `::1`, `fd00::/8`) of the proxies whose `X-Forwarded-For` is believed. Empty:
 * none. @throws ConfigError
 */
export function parseTrustedProxies(value: string): string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const [address = '', bits, extra] = entry.split('/');
    const family = isIP(address);
    const maxBits = family === 4 ? 32 : 128;
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !validBits || extra !== undefined) {
      throw new ConfigError(
        `trust proxy must list IP addresses or CIDR ranges, e.g. 127.0.0.1,10.0.0.0/8 (got ${JSON.stringify(entry.slice(0, 64))})`,
      );
    }
  }
  return entries;
}

/**
 * Parses `--redis`: a `redis://` or `rediss://` URL, `[user:password@]host:port[/db]`. The
 * message never repeats the value (it may hold a password). @throws ConfigError
 */
export function parseRedisUrl(value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const db = url?.pathname.replace(/^\//, '') ?? '';
  if (url === undefined || !/^rediss?:$/.test(url.protocol) || url.hostname === '' || !/^\d{0,2}$/.test(db)) {
    throw new ConfigError('redis must be a URL like redis://[user:password@]host:6379[/db]');
  }
  return value;
}

/** What `--redis-failure` accepts: keep serving with local limits, or refuse with 503. */
export const REDIS_FAILURE_MODES = ['open', 'closed'] as const;

/** Parses `--redis-failure`. @throws ConfigError */
export function parseRedisFailure(value: string): (typeof REDIS_FAILURE_MODES)[number] {
  if (!(REDIS_FAILURE_MODES as readonly string[]).includes(value)) {
    throw new ConfigError(`redis failure must be one of ${REDIS_FAILURE_MODES.join(', ')}`);
  }
  return value as (typeof REDIS_FAILURE_MODES)[number];
}

/** Parses `--redis-timeout`: milliseconds, 1 to 10000. @throws ConfigError */
export function parseRedisTimeout(value: string): number {
  const ms = Number(value);
  if (!/^\d{1,5}$/.test(value) || ms < 1 || ms > 10_000) {
    throw new ConfigError('redis timeout must be an integer number of milliseconds, 1-10000');
  }
  return ms;
}
