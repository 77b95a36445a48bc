import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DEFAULT_SCOPES } from './domain/scopes.js';

/**
 * Server options, their defaults and their environment variables, all in one place.
 * A command-line flag wins over its environment variable, which wins over the default.
 *
 * | Flag | Environment variable | Default |
 * |---|---|---|
 * | `--host` | `SMSCX_HOST` | `127.0.0.1` |
 * | `--port` | `SMSCX_PORT` | `8080` |
 * | `--db` | `SMSCX_DB` | `./data/smscx-oauth.db` (folder created) |
 * | `--rate-limit N/S` | `SMSCX_RATE_LIMIT` | `600/60` (token requests per application) |
 * | `--auth-failure-limit N/S` | `SMSCX_AUTH_FAILURE_LIMIT` | `20/60` (failed authentications per client IP) |
 * | `--log-level` | `SMSCX_LOG_LEVEL` | `info` |
 * | `--issuer` | `SMSCX_ISSUER` | `http://<host>:<port>` |
 * | `--audience` | `SMSCX_AUDIENCE` | `https://api.sms.cx` |
 * | `--scope-catalogue` | `SMSCX_SCOPES` | `sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp` |
 * | `--pepper-file` | `SMSCX_PEPPER_FILE` | `<folder of the db>/pepper` |
 * | `--workers N` | `SMSCX_WORKERS` | the number of CPU cores (`os.availableParallelism()`) |
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

/** Fully resolved server configuration. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** SQLite database file. */
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
} as const;

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

/** Returns the pepper file for a database: `SMSCX_PEPPER_FILE`-style override or `<db folder>/pepper`. */
export function defaultPepperFile(dbPath: string): string {
  return join(dirname(resolve(dbPath)), 'pepper');
}

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
}

/**
 * Resolves the configuration from flags, then environment, then defaults.
 *
 * @throws ConfigError when a value is malformed
 */
export function resolveConfig(input: ConfigInput, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const pick = (flag: string | undefined, key: keyof typeof ENV): string | undefined => {
    if (flag !== undefined) return flag;
    const fromEnv = env[ENV[key]];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const dbPath = pick(input.db, 'db') ?? DEFAULTS.db;
  return {
    host: pick(input.host, 'host') ?? DEFAULTS.host,
    port: parsePort(pick(input.port, 'port') ?? String(DEFAULTS.port)),
    dbPath,
    rateLimit: parseRateLimit(pick(input.rateLimit, 'rateLimit') ?? DEFAULTS.rateLimit, 'rate limit'),
    authFailureLimit: parseRateLimit(
      pick(input.authFailureLimit, 'authFailureLimit') ?? DEFAULTS.authFailureLimit,
      'auth failure limit',
    ),
    logLevel: parseLogLevel(pick(input.logLevel, 'logLevel') ?? DEFAULTS.logLevel),
    issuer: pick(input.issuer, 'issuer'),
    audience: pick(input.audience, 'audience') ?? DEFAULTS.audience,
    scopes: parseScopeCatalogue(pick(input.scopes, 'scopes') ?? DEFAULT_SCOPES.join(' ')),
    pepperFile: pick(input.pepperFile, 'pepperFile') ?? defaultPepperFile(dbPath),
    workers: parseWorkers(pick(input.workers, 'workers') ?? String(defaultWorkers())),
  };
}
