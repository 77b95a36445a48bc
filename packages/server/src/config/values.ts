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
