/**
 * The composition root: builds the token server as a Fastify instance from a storage and a
 * pepper, without listening (tests drive it with `app.inject`; `server.ts` listens).
 *
 * @module
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { ApplicationCache } from './cache/application-cache.js';
import { RevokedTokens } from './cache/revoked-tokens.js';
import { DEFAULTS, type RateLimitSetting } from './config/options.js';
import { type Clock, systemClock } from './domain/clock.js';
import { DEFAULT_SCOPES, ScopeCatalogue } from './domain/scopes.js';
import { type ConnectionTimeouts, fastifyConnectionOptions } from './http/connections.js';
import { registerCors } from './http/cors.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandler } from './http/error-handler.js';
import { BODY_LIMIT_BYTES, registerRawBody } from './http/form-body.js';
import { registerRequestContext, requestIdFor } from './http/request-context.js';
import { ensureSigningKey, KeyRing } from './keys/key-ring.js';
import {
  FailoverStore,
  MemoryWindowStore,
  RateLimiter,
  type TokenRateLimits,
  type WindowStore,
} from './limits/index.js';
import { createLogger } from './logger.js';
import { observe } from './observability/index.js';
import { registerRoutes } from './routes/index.js';
import type { Storage } from './storage/types.js';
import { CHANGE_POLL_INTERVAL_MS, ChangeFollower } from './sync/change-follower.js';
import { listeningLabel, otherLiveInstances } from './sync/instances.js';
import { SecretUseRecorder } from './sync/secret-use.js';
import { ClientCredentialsGrant } from './tokens/client-credentials.js';
import { baseUrl, Issuer } from './tokens/issuer.js';
import { AccessTokenChecker } from './tokens/token-checker.js';

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Applies, now, every change other processes wrote to the database since the last poll
     * (the follower also does this on its own every poll interval).
     */
    applyChanges(): Promise<void>;
  }
}

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Where applications and keys live. The app does not close it. */
  readonly storage: Storage;
  /** The 32-byte pepper (see `loadOrCreatePepper`). */
  readonly pepper: Buffer;
  /** Token requests per application. Default 600/60. */
  readonly rateLimit?: RateLimitSetting;
  /** Failed authentications per client IP. Default 20/60. */
  readonly authFailureLimit?: RateLimitSetting;
  /**
   * Where the two limits are counted. Default: in this process's memory. `serve` passes the
   * cluster primary's store to a worker, and a Redis store with `--redis`. The app opens it and
   * closes it with itself.
   */
  readonly rateLimitStore?: WindowStore;
  /** The two limits, counted and decided elsewhere (replaces `rateLimitStore`; not closed by the app). */
  readonly rateLimits?: TokenRateLimits;
  /** `iss` claim. Default `http://<host>:<bound port>`, resolved when the app listens. */
  readonly issuer?: string | undefined;
  /** Host used in the default issuer. Default `127.0.0.1`. */
  readonly host?: string;
  /** `aud` claim. Default `https://api.sms.cx`. */
  readonly audience?: string;
  /** Scope catalogue. Default {@link DEFAULT_SCOPES}. */
  readonly scopes?: readonly string[];
  /** Logger. Default: pino at `info` to stdout, with credentials redacted. */
  readonly logger?: Logger;
  /** How often to look for changes made by other processes (besides push notifications). Default 50 ms. */
  readonly changePollIntervalMs?: number;
  /**
   * Proxies (IP addresses, CIDR ranges) whose `X-Forwarded-For` is believed: from them, the client
   * IP (the failed-authentication budget's key) is the nearest untrusted address in that header.
   * Default none: the TCP peer is the client, and a forwarded header changes nothing.
   */
  readonly trustProxy?: readonly string[];
  /** Browser origins allowed to call the token and applications endpoints (CORS). Default none. */
  readonly corsOrigins?: readonly string[];
  /** The clock (epoch ms) of tokens, rate limits, key retention and expiry. Default `Date.now`. */
  readonly now?: Clock;
  /** Keep-alive, headers and request timeouts of the connections. Default: `serve`'s defaults. */
  readonly connections?: ConnectionTimeouts;
}

/**
 * Builds the token server as a Fastify instance, without listening: loads applications and
 * keys into memory, creates a signing key if the database has none, and starts following
 * database changes (stopped by `app.close()`).
 *
 * @example
 * const app = await buildApp({ storage: openSqliteStorage(path), pepper });
 * await app.listen({ port: 0 });
 */
export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { storage, pepper } = options;
  const now = options.now ?? systemClock;
  const logger = options.logger ?? createLogger(DEFAULTS.logLevel);
  const catalogue = new ScopeCatalogue(options.scopes ?? DEFAULT_SCOPES);
  const host = options.host ?? DEFAULTS.host;
  const issuer = new Issuer({ issuer: options.issuer, host, port: DEFAULTS.port });
  const applications = new ApplicationCache(catalogue);
  // Secrets' last use, noted in memory by each request and written here in the background.
  const secretUses = new SecretUseRecorder(applications, storage, now(), logger);
  const keys = new KeyRing(pepper);
  const revoked = new RevokedTokens();
  const checker = new AccessTokenChecker({ storage, keys, applications, revoked, issuer, now });
  const onFollowError = (error: unknown): void =>
    logger.error(
      { err: error },
      'cannot follow database changes; serving from memory until the database is back',
    );
  let lastTick = Number.NEGATIVE_INFINITY;
  const follower = new ChangeFollower(
    storage,
    {
      application: (id) => applications.refresh(storage, id),
      signingKeys: () => keys.load(storage, applications.anyNeverExpiring, now()),
      revokedToken: (jti) => revoked.refresh(storage, jti),
      // Retention ages keys out over days: once a second is plenty (polls run 20 times as often).
      tick: () => {
        const at = now();
        if (at - lastTick < 1000) return;
        lastTick = at;
        keys.publish(applications.anyNeverExpiring, at);
        secretUses.tick(at);
        revoked.prune(storage, at)?.catch(onFollowError);
      },
    },
    {
      onError: onFollowError,
      onRecovered: () => logger.warn('following database changes again'),
    },
  );

  await ensureSigningKey(storage, pepper, now());
  // Register, then mark, then load: an admin change landing in between is either waited for
  // (this process is in the process table) or already in what is loaded; applied twice, never missed.
  await follower.register();
  await follower.markCurrent();
  await applications.loadAll(storage);
  await revoked.loadAll(storage, now());
  await keys.load(storage, applications.anyNeverExpiring, now());

  const connectionOptions = fastifyConnectionOptions(options.connections);
  const app: FastifyInstance = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines only at debug level (request-context), never Fastify's info lines.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: false,
    genReqId: requestIdFor,
    // During shutdown, requests already on open connections are still answered normally.
    return503OnClosing: false,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
    ...connectionOptions,
    // Node's own Host check answers a bare 400; request-context.ts answers it in the envelope.
    http: { ...connectionOptions.http, requireHostHeader: false },
    ...(options.trustProxy !== undefined && options.trustProxy.length > 0
      ? { trustProxy: [...options.trustProxy] }
      : {}),
  });
  const limits = options.rateLimits ?? (await openRateLimiter(options, now));
  const grant = new ClientCredentialsGrant(keys, {
    issuer,
    audience: options.audience ?? DEFAULTS.audience,
    now,
  });

  // Health checks and the token endpoint's counts (before the routes: they hook onto one).
  const { rateLimitStore } = options;
  const { health } = observe(app, {
    latestChange: () => storage.latestChange(),
    follower,
    applications: () => applications.size,
    pingRedis: rateLimitStore instanceof FailoverStore ? () => rateLimitStore.pingRedis() : undefined,
  });
  registerRequestContext(app);
  registerCors(app, options.corsOrigins ?? []);
  registerErrorHandler(app);
  registerRawBody(app);
  registerRoutes(app, {
    storage,
    pepper,
    now,
    issuer,
    catalogue,
    applications,
    keys,
    limits,
    grant,
    checker,
    revoked,
    health,
  });

  app.decorate('applyChanges', () => follower.catchUp());
  app.addHook('onListen', async () => {
    const address = app.server.address();
    issuer.resolveFrom(address);
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const url = baseUrl(host, port);
    await follower.relabel(listeningLabel(url));
    if (options.rateLimitStore?.sharedAcrossInstances !== true)
      await warnOfOtherInstances(storage, url, logger);
  });
  app.addHook('onClose', async () => {
    await secretUses.close(now());
    await follower.stop();
    if (limits instanceof RateLimiter) await limits.close();
  });
  await follower.start(options.changePollIntervalMs ?? CHANGE_POLL_INTERVAL_MS);
  return app;
}

/** The rate limiter over `options.rateLimitStore` (default: this process's memory), opened. */
async function openRateLimiter(options: BuildAppOptions, now: Clock): Promise<RateLimiter> {
  const requests = options.rateLimit ?? { points: 600, durationSeconds: 60 };
  const authFailures = options.authFailureLimit ?? { points: 20, durationSeconds: 60 };
  const store = options.rateLimitStore ?? new MemoryWindowStore(requests, authFailures);
  const limiter = new RateLimiter(store, requests, authFailures, now);
  await limiter.open();
  return limiter;
}

/**
 * Without a store shared by every instance (`--redis`), each instance counts its own rate limits:
 * say so once at start when another instance serves the same database.
 */
async function warnOfOtherInstances(storage: Storage, url: string, logger: Logger): Promise<void> {
  try {
    const others = await otherLiveInstances(storage, url);
    if (others.length === 0) return;
    logger.warn(
      { otherInstances: others },
      'another server instance uses this database: without --redis each instance counts its own rate limits',
    );
  } catch {
    // The database is away: the follower reports that; this check is only advice.
  }
}
