import { readFileSync } from 'node:fs';
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

const SINCE_UNITS_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// `YYYY-MM-DD`, optionally `Thh:mm[:ss[.fraction]]` and a zone (`Z` or `±hh:mm`).
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?$/i;

/**
 * Parses a point in time such as `audit --since` takes: ISO 8601 (`2026-12-01T10:00:00Z`: a
 * time of day needs its zone, `Z` or an offset, since the local zone of whoever runs the
 * command is a guess; a date alone, `2026-12-01`, is midnight UTC) or a duration back from
 * `now` (`90s`, `15m`, `24h`, `7d`). Returns epoch milliseconds.
 *
 * @throws ConfigError naming `name` when the value is neither
 */
export function parseSince(value: string, name: string, now: number = Date.now()): number {
  const text = value.trim();
  const relative = /^(\d{1,6})([smhd])$/.exec(text);
  if (relative !== null) return now - Number(relative[1]) * SINCE_UNITS_MS[relative[2]!]!;
  const match = ISO_INSTANT.exec(text);
  const problem = `${name} must be an ISO 8601 time (2026-12-01T10:00:00Z, 2026-12-01) or a duration back from now (90s, 15m, 24h, 7d)`;
  if (match === null) throw new ConfigError(problem);
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0));
  const [, sign, offsetHours, offsetMins] = /^([+-])(\d{2}):(\d{2})$/.exec(match[8] ?? '') ?? [];
  if (match[4] !== undefined && match[8] === undefined) {
    throw new ConfigError(`${name}: a time of day needs its zone, e.g. 2026-12-01T10:00:00Z or +02:00`);
  }
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day);
  if (
    year! < 1970 ||
    date.getUTCMonth() !== month! - 1 ||
    date.getUTCDate() !== day ||
    hour! > 23 ||
    minute! > 59 ||
    second! > 59 ||
    Number(offsetHours ?? 0) > 23 ||
    Number(offsetMins ?? 0) > 59
  ) {
    throw new ConfigError(problem);
  }
  const offset =
    sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMins));
  const millis = Math.floor(Number(`0.${match[7] ?? '0'}`) * 1000);
  return date.getTime() + ((hour! * 60 + minute! - offset) * 60 + second!) * 1000 + millis;
}

/** Longest keep-alive, headers or request timeout the flags accept (ms): ten minutes. */
export const MAX_CONNECTION_TIMEOUT_MS = 600_000;

/**
 * Parses `--keep-alive-timeout`, `--headers-timeout` or `--request-timeout`: whole
 * milliseconds, 1 to {@link MAX_CONNECTION_TIMEOUT_MS} (0, "never", is not offered: a
 * connection that is never timed out is what a slow client holds forever). @throws ConfigError
 */
export function parseConnectionTimeout(value: string, name: string): number {
  const ms = Number(value);
  if (!/^\d{1,6}$/.test(value) || ms < 1 || ms > MAX_CONNECTION_TIMEOUT_MS) {
    throw new ConfigError(
      `${name} must be an integer number of milliseconds, 1-${MAX_CONNECTION_TIMEOUT_MS}`,
    );
  }
  return ms;
}

/** Most connections `--max-connections` accepts, per process. */
export const MAX_MAX_CONNECTIONS = 1_000_000;

/** Parses `--max-connections`: open connections per server process, 1 to 1,000,000. @throws ConfigError */
export function parseMaxConnections(value: string): number {
  const count = Number(value);
  if (!/^\d{1,7}$/.test(value) || count < 1 || count > MAX_MAX_CONNECTIONS) {
    throw new ConfigError(`max connections must be an integer 1-${MAX_MAX_CONNECTIONS}`);
  }
  return count;
}

/** The default `--max-connections` where the open-file limit cannot be read (not Linux). */
export const FALLBACK_MAX_CONNECTIONS = 1000;
/** The default `--max-connections` never goes above this, however high the open-file limit. */
export const DEFAULT_MAX_CONNECTIONS_CAP = 10_000;
/**
 * Files kept out of the connections' share of the open-file limit, at least: the database
 * (SQLite's file, WAL and shared memory, or PostgreSQL's pool of 10), stdout and stderr, Redis,
 * the cluster channel, Node's own (epoll, signals, worker threads), and connections accepted
 * in one burst before the idle ones they push out are closed.
 */
export const MIN_FILE_HEADROOM = 128;

/**
 * This process's open-file limit (the soft limit, which Node raises to the hard one at start),
 * read from `/proc/self/limits`; `Infinity` when unlimited, undefined when it cannot be read.
 */
export function openFileLimit(
  read: () => string = () => readFileSync('/proc/self/limits', 'utf8'),
): number | undefined {
  let text: string;
  try {
    text = read();
  } catch {
    return undefined;
  }
  const soft = /^Max open files\s+(\S+)/m.exec(text)?.[1];
  if (soft === undefined) return undefined;
  if (soft === 'unlimited') return Number.POSITIVE_INFINITY;
  const limit = Number(soft);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

/**
 * The default `--max-connections` of a server process given its open-file limit
 * ({@link openFileLimit}): the limit less a headroom of
 * a tenth (at least {@link MIN_FILE_HEADROOM}), at most {@link DEFAULT_MAX_CONNECTIONS_CAP};
 * {@link FALLBACK_MAX_CONNECTIONS} when the limit is unknown. 1,024 files give 896 connections.
 */
export function defaultMaxConnections(limit: number | undefined): number {
  if (limit === undefined) return FALLBACK_MAX_CONNECTIONS;
  if (!Number.isFinite(limit)) return DEFAULT_MAX_CONNECTIONS_CAP;
  const headroom = Math.max(MIN_FILE_HEADROOM, Math.ceil(limit / 10));
  return Math.min(Math.max(limit - headroom, 16), DEFAULT_MAX_CONNECTIONS_CAP);
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** Longest `--shutdown-timeout`: ten minutes. */
export const MAX_SHUTDOWN_TIMEOUT_MS = 600_000;

/**
 * Parses `--shutdown-timeout`: a duration such as `10s`, `1500ms` or `2m`; a bare number is
 * seconds. 0 to ten minutes (0: connections still busy when the server stops are closed at once).
 * Returns milliseconds. @throws ConfigError
 */
export function parseShutdownTimeout(value: string): number {
  const match = /^(\d{1,7})(ms|s|m)?$/.exec(value.trim());
  const ms = match === null ? Number.NaN : Number(match[1]) * DURATION_UNITS_MS[match[2] ?? 's']!;
  if (!(ms >= 0 && ms <= MAX_SHUTDOWN_TIMEOUT_MS)) {
    throw new ConfigError(
      'shutdown timeout must be a duration of at most 10m, e.g. 10s, 1500ms, 2m (a bare number is seconds)',
    );
  }
  return ms;
}

/**
 * Parses `--cors-origin`: comma-separated browser origins (`https://app.example.com`,
 * `http://localhost:5173`), each a scheme, a host and an optional port, nothing else. `*` is
 * refused: a token endpoint should name the applications allowed to call it. @throws ConfigError
 */
export function parseCorsOrigins(value: string): string[] {
  const origins = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `cors origin must list origins like https://app.example.com or http://localhost:5173 (got ${JSON.stringify(origin.slice(0, 64))})`,
      );
    }
  }
  return origins;
}

/** Parses `--metrics-port`: a TCP port, 0 for any free one (printed at start). @throws ConfigError */
export function parseMetricsPort(value: string): number {
  const port = Number(value);
  if (!/^\d{1,5}$/.test(value) || port > 65535)
    throw new ConfigError('metrics port must be an integer 0-65535');
  return port;
}
