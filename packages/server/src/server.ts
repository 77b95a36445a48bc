import type { FastifyInstance } from 'fastify';
import { type CreatedApplication, createApplication } from './admin/applications.js';
import { buildApp } from './app.js';
import type { ServerConfig } from './config/options.js';
import { loadOrCreatePepper } from './domain/secrets.js';
import { ensureSigningKey } from './keys/key-ring.js';
import { createWindowStore, type WindowStore } from './limits/index.js';
import { createLogger } from './logger.js';
import { openStorage } from './storage/open.js';
import type { Storage } from './storage/types.js';
import { baseUrl } from './tokens/issuer.js';

/** A running server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops accepting connections, finishes in-flight requests, closes the database. */
  close(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface StartServerOptions {
  /** Where the banner and the "listening on" line go. Default `process.stdout`. */
  readonly out?: NodeJS.WritableStream;
  /** Install SIGTERM/SIGINT handlers that close and exit 0. Default false. */
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
 * database (running migrations), reads or creates the pepper, makes sure a signing key exists
 * and, when there is no application at all, creates the `default` one (returned, with its
 * secret, so its banner can be printed).
 */
export async function initializeDatabase(config: ServerConfig): Promise<CreatedApplication | undefined> {
  const storage = await openStorage(config.dbPath);
  try {
    const pepper = loadOrCreatePepper(config.pepperFile);
    await ensureSigningKey(storage, pepper);
    return await createDefaultApplication(storage, pepper, config);
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
  const storage = await openStorage(config.dbPath);
  try {
    const pepper = loadOrCreatePepper(config.pepperFile);
    const standalone = options.role !== 'worker';
    let created: CreatedApplication | undefined;
    if (standalone) {
      await ensureSigningKey(storage, pepper);
      created = await createDefaultApplication(storage, pepper, config);
    }
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
      scopes: config.scopes,
      logger,
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
    });
    await app.listen({ host: config.host, port: config.port });
    const address = app.server.address();
    const url = baseUrl(
      config.host,
      typeof address === 'object' && address !== null ? address.port : config.port,
    );

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing ??= (async () => {
        await app.close();
        await storage.close();
      })();
      return closing;
    };
    if (options.handleSignals === true) {
      const onSignal = (signal: NodeJS.Signals): void => {
        app.log.info({ signal }, 'shutting down');
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
      if (created !== undefined) out.write(banner(created, url));
      out.write(`listening on ${url}\n`);
    }
    return { app, url, close };
  } catch (error) {
    await storage.close();
    throw error;
  }
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
 * The lines printed when the `default` application was just created. Printed once, straight
 * to stdout and never through the logger: this is the only time its secret exists in clear.
 */
export function banner({ application, secret }: CreatedApplication, url: string): string {
  return [
    'Created the application "default" with every scope (this secret is shown only once):',
    `  Application ID:     ${application.id}`,
    `  Application Secret: ${secret}`,
    'Get a token with:',
    `SMSCX_APPLICATION_ID=${application.id} SMSCX_APPLICATION_SECRET=${secret} npx smscx token --host ${url}`,
    '',
  ].join('\n');
}
