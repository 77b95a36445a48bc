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
      },
      io.env,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
  if (cluster.isWorker) {
    await (await import('../cluster/worker.js')).runWorker(config);
  } else if (config.workers > 1) {
    await (await import('../cluster/primary.js')).runPrimary(config);
  } else {
    await startServer(config, { handleSignals: true });
  }
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
  help: { type: 'boolean', short: 'h' },
} as const;
