import cluster from 'node:cluster';
import { ConfigError, resolveConfig } from '../config/options.js';
import { startServer } from '../server.js';
import { parseCommandArgs } from './args.js';
import { UsageError } from './errors.js';
import type { CliIo } from './run.js';
import { USAGE } from './usage.js';

/**
 * `smscx-oauth-server serve [options]`: runs until SIGTERM/SIGINT. With `--workers 1` the
 * server is this one process; with more, this process becomes the cluster primary and each
 * worker (a fork running this same command) lands here again as `cluster.isWorker`.
 *
 * Options are read from `io.env`; `--help` is printed on `io.stdout`. The running server
 * writes its banner and `listening on` line to `process.stdout` (it is the process's server).
 *
 * @throws UsageError for a bad command line or option value
 */
export async function runServe(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, SERVE_OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return;
  }
  let config: ReturnType<typeof resolveConfig>;
  try {
    config = resolveConfig(
      {
        host: values.host,
        port: values.port,
        db: values.db,
        rateLimit: values['rate-limit'],
        authFailureLimit: values['auth-failure-limit'],
        logLevel: values['log-level'],
        issuer: values.issuer,
        audience: values.audience,
        scopes: values['scope-catalogue'],
        pepperFile: values['pepper-file'],
        workers: values.workers,
        trustProxy: values['trust-proxy'],
        redis: values.redis,
        redisFailure: values['redis-failure'],
        redisTimeout: values['redis-timeout'],
        redisPrefix: values['redis-prefix'],
        keepAliveTimeout: values['keep-alive-timeout'],
        headersTimeout: values['headers-timeout'],
        requestTimeout: values['request-timeout'],
        maxConnections: values['max-connections'],
        shutdownTimeout: values['shutdown-timeout'],
        corsOrigins: values['cors-origin'],
        metricsHost: values['metrics-host'],
        metricsPort: values['metrics-port'],
      },
      io.env,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  // A start that fails (port taken, database or pepper refused) ends in one `error:` line and
  // exit 1, whatever the number of workers: the primary prints the reason a worker sent.
  try {
    if (cluster.isWorker) {
      await (await import('../cluster/worker.js')).runWorker(config);
    } else if (config.workers > 1) {
      await (await import('../cluster/primary.js')).runPrimary(config);
    } else {
      await startServer(config, { handleSignals: true });
    }
  } catch (error) {
    throw startupError(error, config.dbPath);
  }
}

/**
 * The error a failed start reports: SQLite's own errors (`file is not a database`, a migration's
 * `table ... already exists`) are given the database they are about; others are clear already.
 */
export function startupError(error: unknown, dbPath: string): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (error instanceof Error && typeof code === 'string' && code.startsWith('SQLITE_')) {
    return new Error(`cannot use the database ${dbPath}: ${error.message} (${code})`, { cause: error });
  }
  return error;
}

const SERVE_OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  db: { type: 'string' },
  'rate-limit': { type: 'string' },
  'auth-failure-limit': { type: 'string' },
  'log-level': { type: 'string' },
  issuer: { type: 'string' },
  audience: { type: 'string' },
  'scope-catalogue': { type: 'string' },
  'pepper-file': { type: 'string' },
  workers: { type: 'string' },
  'trust-proxy': { type: 'string' },
  redis: { type: 'string' },
  'redis-failure': { type: 'string' },
  'redis-timeout': { type: 'string' },
  'redis-prefix': { type: 'string' },
  'keep-alive-timeout': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'request-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'shutdown-timeout': { type: 'string' },
  'cors-origin': { type: 'string' },
  'metrics-host': { type: 'string' },
  'metrics-port': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
