import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { DEFAULTS, type RateLimitSetting } from './config.js';
import { DEFAULT_SCOPES, ScopeCatalogue } from './domain/scopes.js';
import { ClientCredentialsGrant } from './grants/client-credentials.js';
import { ensureSigningKey, KeyRing } from './keys/key-ring.js';
import { createLogger } from './logger.js';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandler } from './plugins/error-handler.js';
import { BODY_LIMIT_BYTES, registerRawBody } from './plugins/form-body.js';
import { MemoryRateLimits, type TokenRateLimits } from './plugins/rate-limit.js';
import { registerRequestContext, requestIdFor } from './plugins/request-context.js';
import { TokenLifecycle } from './revocation/lifecycle.js';
import { registerClientAuthentication } from './routes/client-authentication.js';
import { registerJwksRoute } from './routes/jwks.js';
import { registerNotFound } from './routes/not-found.js';
import { registerTokenRoute } from './routes/token.js';
import { ApplicationCache } from './storage/application-cache.js';
import { CHANGE_POLL_INTERVAL_MS, ChangeFollower } from './storage/change-follower.js';
import type { Storage } from './storage/types.js';

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
   * Where the two limits are counted. Default: in this process's memory, from `rateLimit`
   * and `authFailureLimit`. `serve --workers N` passes limiters shared by all workers.
   */
  readonly rateLimits?: TokenRateLimits;
  /** `iss` claim. Default `http://<host>:<bound port>`. */
  readonly issuer?: string;
  /** Host used in the default issuer. Default `127.0.0.1`. */
  readonly host?: string;
  /** `aud` claim. Default `https://api.sms.cx`. */
  readonly audience?: string;
  /** Scope catalogue. Default {@link DEFAULT_SCOPES}. */
  readonly scopes?: readonly string[];
  /** Logger. Default: pino at `info` to stdout, with credentials redacted. */
  readonly logger?: Logger;
  /** How often to look for changes made by other processes. Default 250 ms. */
  readonly changePollIntervalMs?: number;
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
  const logger = options.logger ?? createLogger(DEFAULTS.logLevel);
  const catalogue = new ScopeCatalogue(options.scopes ?? DEFAULT_SCOPES);
  const applications = new ApplicationCache(catalogue);
  const keys = new KeyRing(pepper);
  const host = options.host ?? DEFAULTS.host;
  const issuer = (): string => options.issuer ?? defaultIssuer(app, host);
  const onFollowError = (error: unknown): void =>
    logger.error({ err: error }, 'cannot follow database changes');
  const lifecycle = new TokenLifecycle({ storage, keys, applications, issuer, onError: onFollowError });
  const follower = new ChangeFollower(
    storage,
    {
      application: (id) => applications.refresh(storage, id),
      signingKeys: () => keys.load(storage, applications.anyNeverExpiring),
      revokedToken: (jti) => lifecycle.revokedToken(jti),
      tick: () => {
        keys.publish(applications.anyNeverExpiring);
        lifecycle.tick();
      },
    },
    onFollowError,
  );

  await ensureSigningKey(storage, pepper);
  // Mark first, then load: a change landing in between is applied twice, never missed.
  await follower.markCurrent();
  await applications.loadAll(storage);
  await lifecycle.load();
  await keys.load(storage, applications.anyNeverExpiring);

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
  });
  const limits =
    options.rateLimits ??
    new MemoryRateLimits(
      options.rateLimit ?? { points: 600, durationSeconds: 60 },
      options.authFailureLimit ?? { points: 20, durationSeconds: 60 },
    );
  const grant = new ClientCredentialsGrant(keys, {
    issuer,
    audience: options.audience ?? DEFAULTS.audience,
  });

  registerRequestContext(app);
  registerErrorHandler(app);
  registerRawBody(app);
  registerClientAuthentication(app);
  registerTokenRoute(app, { applications, pepper, limits, grant });
  registerJwksRoute(app, keys);
  lifecycle.register(app, { pepper, limits, catalogue });
  registerNotFound(app, limits);

  follower.start(options.changePollIntervalMs ?? CHANGE_POLL_INTERVAL_MS);
  app.addHook('onClose', async () => {
    await follower.stop();
  });
  return app;
}

function defaultIssuer(app: FastifyInstance, host: string): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : DEFAULTS.port;
  const hostPart = host.includes(':') ? `[${host}]` : host;
  return `http://${hostPart}:${port}`;
}
