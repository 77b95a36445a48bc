import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type CreatedApplication, createApplication } from './admin/applications.js';
import { buildApp } from './app.js';
import type { ServerConfig } from './config/options.js';
import { ConnectionGuard, listenError } from './http/connections.js';
import { ensureSigningKey } from './keys/key-ring.js';
import { openPepper } from './keys/pepper-guard.js';
import { createWindowStore, type WindowStore } from './limits/index.js';
import { createLogger } from './logger.js';
import type { MetricsListener } from './observability/listener.js';
import { isPostgresUrl } from './storage/database-url.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/types.js';
import { baseUrl } from './tokens/issuer.js';

/**
 * How long a write of the running server (a revocation, an admin API change, housekeeping)
 * waits for another process's SQLite write lock before it fails: better-sqlite3 waits
 * synchronously, so every request of this process waits with it. A request whose write cannot
 * get the lock answers 503 `Retry-After: 1` instead (`DatabaseBusyError`).
 */
export const REQUEST_LOCK_WAIT_MS = 200;

/** The name of the file a first start writes the `default` application's credentials to. */
export const CREDENTIALS_FILE_NAME = 'default-application.json';

/** The `default` application of a first start, and where its credentials file goes. */
export interface DefaultApplication extends CreatedApplication {
  /**
   * Where {@link banner} writes the credentials when stdout is not a terminal (absolute): next
   * to the SQLite database; for PostgreSQL, next to the pepper file (`./data/` by default).
   */
  readonly credentialsFile: string;
}

/** A running server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /**
   * Stops accepting connections and drains the open ones (requests in flight are answered with
   * `Connection: close`, idle connections are closed; after `config.shutdownTimeoutMs` the rest
   * are closed too), then closes the app and the database.
   */
  close(): Promise<void>;
  /** Stops accepting connections, leaving the open ones be (the first step of {@link close}). */
  stopAccepting(): void;
  /**
   * This process's Prometheus registry, with `config.metrics` only. A single process serves it
   * on the metrics listener; a cluster worker answers its primary's scrapes from it.
   */
  readonly metrics: Registry | undefined;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Where the banner and the "listening on" line go. Default `process.stdout`. */
  readonly out?: NodeJS.WritableStream;
  /** Install SIGTERM/SIGINT handlers that close (see `RunningServer.close`) and exit 0. Default false. */
  readonly handleSignals?: boolean;
  /**
   * `standalone` (default): create the `default` application on a first start and print the
   * banner and `listening on <url>`. `worker`: one of several processes of `serve --workers N`,
   * whose primary did the first-start work and prints those lines once; a worker prints nothing.
   */
  readonly role?: 'standalone' | 'worker';
  /**
   * Where this process counts rate limits without Redis (a cluster worker: the primary's store).
   * Default: this process's memory. With `config.redis`, the fallback while Redis is away.
   */
  readonly localRateLimitStore?: WindowStore;
}

/**
 * The first-start work, done once per start whatever the number of processes: opens the
 * database (running migrations), checks the pepper against it (`openPepper`: a missing or wrong
 * pepper file fails here, before anything is written; a pepper is made only with a new, empty
 * database), makes sure a signing key exists and, when there is no application at all, creates
 * the `default` one (returned, with its secret, so its banner can be printed).
 */
export async function initializeDatabase(config: ServerConfig): Promise<DefaultApplication | undefined> {
  const storage = await openStorage(config.dbPath);
  try {
    const pepper = await openPepper(storage, config.pepperFile, config.dbPath);
    await ensureSigningKey(storage, pepper);
    const created = await createDefaultApplication(storage, pepper, config);
    return created === undefined ? undefined : { ...created, credentialsFile: credentialsFileOf(config) };
  } finally {
    await storage.close();
  }
}

/**
 * Opens the database, makes sure a signing key exists, creates the `default` application on
 * a first start (printing its credentials once), builds the app and listens.
 */
export async function startServer(
  config: ServerConfig,
  options: StartServerOptions = {},
): Promise<RunningServer> {
  const out = options.out ?? process.stdout;
  const standalone = options.role !== 'worker';
  // The first-start work waits for the write lock as long as an admin command does; the
  // connection that serves then waits at most REQUEST_LOCK_WAIT_MS.
  const created = standalone ? await initializeDatabase(config) : undefined;
  const storage = await openStorage(config.dbPath, { lockWaitMs: REQUEST_LOCK_WAIT_MS });
  let built: FastifyInstance | undefined;
  let stopMetrics: (() => Promise<void>) | undefined;
  try {
    const pepper = await openPepper(storage, config.pepperFile, config.dbPath);
    const logger = createLogger(config.logLevel);
    const app = await buildApp({
      storage,
      pepper,
      rateLimit: config.rateLimit,
      authFailureLimit: config.authFailureLimit,
      rateLimitStore: createWindowStore({
        requests: config.rateLimit,
        authFailures: config.authFailureLimit,
        redis: config.redis,
        local: options.localRateLimitStore,
        logger,
      }),
      host: config.host,
      audience: config.audience,
      trustProxy: config.trustProxy,
      corsOrigins: config.corsOrigins,
      scopes: config.scopes,
      logger,
      connections: config.connections,
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    });
    built = app;
    const metrics = config.metrics === undefined ? undefined : await startMetrics(app, config, standalone);
    stopMetrics = metrics?.listener?.close;
    const connections = new ConnectionGuard(app.server, {
      maxConnections: config.connections.maxConnections,
      logger,
    });
    try {
      await app.listen({ host: config.host, port: config.port });
    } catch (error) {
      throw listenError(error, config.host, config.port);
    }
    const address = app.server.address();
    const url = baseUrl(
      config.host,
      typeof address === 'object' && address !== null ? address.port : config.port,
    );

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        const forced = await connections.drain(config.shutdownTimeoutMs);
        if (forced > 0) {
          app.log.warn(
            { forced, shutdownTimeoutMs: config.shutdownTimeoutMs },
            `shutdown timeout: closed ${forced} connection(s) with a request in flight`,
          );
        }
        await app.close();
        await metrics?.listener?.close();
        await storage.close();
      })();
      return closing;
    };
    if (options.handleSignals === true) {
      const onSignal = (signal: NodeJS.Signals): void => {
        app.log.info({ signal, shutdownTimeoutMs: config.shutdownTimeoutMs }, 'shutting down');
        // Exit 0 also after a drain cut short by --shutdown-timeout (a warning says so).
        close().then(
          () => process.exit(0),
          (error: unknown) => {
            app.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    }
    // Only now announce readiness: whoever waits for this line may signal us right away.
    if (standalone) {
      if (created !== undefined) out.write(banner(created, url, out));
      if (metrics?.listener !== undefined) out.write(`metrics on ${metrics.listener.url}\n`);
      out.write(`listening on ${url}\n`);
    }
    return {
      app,
      url,
      close,
      stopAccepting: () => connections.stopAccepting(),
      metrics: metrics?.registry,
    };
  } catch (error) {
    // Nothing of a failed start may linger (its timers would keep the process running).
    await stopMetrics?.().catch(() => undefined);
    await built?.close().catch(() => undefined);
    await storage.close();
    throw error;
  }
}

/**
 * This process's metrics registry and, for a single process, its listener (a worker's primary
 * listens instead). prom-client is loaded here, so only with `--metrics-port`.
 */
async function startMetrics(
  app: FastifyInstance,
  config: ServerConfig,
  standalone: boolean,
): Promise<{ registry: Registry; listener: MetricsListener | undefined }> {
  const { createProcessRegistry, render } = await import('./observability/registry.js');
  const registry = createProcessRegistry(app.observability);
  if (!standalone || config.metrics === undefined) return { registry, listener: undefined };
  const { listenForMetrics } = await import('./observability/listener.js');
  const listener = await listenForMetrics(
    config.metrics.host,
    config.metrics.port,
    () => render(registry),
    app.log,
  );
  return { registry, listener };
}

async function createDefaultApplication(
  storage: Storage,
  pepper: Buffer,
  config: ServerConfig,
): Promise<CreatedApplication | undefined> {
  if (await storage.hasApplications()) return undefined;
  return createApplication(storage, pepper, {
    name: 'default',
    scopes: config.scopes,
    tokenExpiration: '1d',
  });
}

/**
 * The lines printed when the `default` application was just created, once, straight to `out`
 * (default stdout) and never through the logger: this is the only time its secret exists in
 * clear. On a terminal they hold the secret. Otherwise (a container's log, a pipe, a file: the
 * secret would stay there) the credentials are written to `created.credentialsFile` instead,
 * mode 0600 (replacing an older one), and the lines name that file.
 */
export function banner(
  created: DefaultApplication,
  url: string,
  out: NodeJS.WritableStream = process.stdout,
): string {
  const { application, secret } = created;
  if ((out as { isTTY?: boolean }).isTTY === true) {
    return [
      'Created the application "default" with every scope (this secret is shown only once):',
      `  Application ID:     ${application.id}`,
      `  Application Secret: ${secret}`,
      'Get a token with:',
      `SMSCX_APPLICATION_ID=${application.id} SMSCX_APPLICATION_SECRET=${secret} npx smscx token --host ${url}`,
      '',
    ].join('\n');
  }
  const file = created.credentialsFile;
  try {
    writeCredentialsFile(file, created, url);
  } catch (error) {
    return [
      `Created the application "default" with every scope, but could not write its credentials to ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      `  Application ID:     ${application.id}`,
      'Its secret is not printed: this output is not a terminal. Give it a new secret with:',
      `npx smscx-oauth-server apps rotate-secret ${application.id}`,
      '',
    ].join('\n');
  }
  return [
    'Created the application "default" with every scope. This output is not a terminal, so its secret',
    'is not printed here: it was written, once, to a file only this user can read (keep it, then delete the file):',
    `  Application ID:     ${application.id}`,
    `  Credentials file:   ${file}`,
    'Get a token with:',
    `SMSCX_APPLICATION_ID=${application.id} SMSCX_APPLICATION_SECRET=<application_secret from that file> npx smscx token --host ${url}`,
    '',
  ].join('\n');
}

/** Where a first start of `config` writes the credentials file (see {@link DefaultApplication}). */
function credentialsFileOf(config: ServerConfig): string {
  // PostgreSQL: the pepper file's folder, `./data` by default (the database has no folder).
  const local = !isPostgresUrl(config.dbPath) && config.dbPath !== ':memory:' && config.dbPath !== '';
  return resolve(join(dirname(local ? config.dbPath : config.pepperFile), CREDENTIALS_FILE_NAME));
}

/** Writes the credentials as JSON to a new file of mode 0600 (an older file is removed first). */
function writeCredentialsFile(file: string, { application, secret }: CreatedApplication, url: string): void {
  const credentials = {
    application_id: application.id,
    application_secret: secret,
    name: application.name,
    scopes: application.scopes.join(' '),
    token_expiration: application.tokenExpiration,
    token_url: `${url}/oauth/token`,
  };
  mkdirSync(dirname(file), { recursive: true });
  // Never reuse an existing file: it may have a wider mode, or be a link planted elsewhere.
  rmSync(file, { force: true });
  writeFileSync(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
}
