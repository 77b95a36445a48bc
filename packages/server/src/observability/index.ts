/**
 * What an operator watches the server by: `GET /healthz` and `GET /readyz` (routes/health.ts,
 * over {@link HealthChecks}), and Prometheus metrics on a listener of their own
 * (`--metrics-port`; registry.ts and listener.ts, loaded only then), aggregated over the workers
 * by the cluster primary (cluster.ts).
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { type FollowerState, HealthChecks } from './health.js';
import { registerTokenStats, TokenRequestStats } from './token-stats.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** This process's health checks and counts, for the metrics registry (`startServer`). */
    readonly observability: Observability;
  }
}

/** One process's sources of health and metrics. */
export interface Observability {
  readonly tokens: TokenRequestStats;
  readonly health: HealthChecks;
  /** Applications in this process's cache (active and disabled). */
  applications(): number;
}

/** What {@link observe} watches. */
export interface ObservedParts {
  /** Reads the change log's last sequence number (`Storage.latestChange`): the database probe. */
  readonly latestChange: () => Promise<number>;
  readonly follower: FollowerState;
  /** The application cache's size. */
  readonly applications: () => number;
  /** PINGs Redis (`FailoverStore.pingRedis`), with `--redis` only. */
  readonly pingRedis?: (() => Promise<void>) | undefined;
}

/**
 * Sets up the health checks and the token endpoint's counts of an app (before its routes are
 * registered: the counts hook onto the token route as it is), and decorates the app with them
 * as `app.observability`.
 */
export function observe(app: FastifyInstance, parts: ObservedParts): Observability {
  const tokens = new TokenRequestStats();
  registerTokenStats(app, tokens);
  const health = new HealthChecks({
    latestChange: parts.latestChange,
    follower: parts.follower,
    pingRedis: parts.pingRedis,
  });
  const observability: Observability = { tokens, health, applications: parts.applications };
  app.decorate('observability', observability);
  return observability;
}

export { type CheckState, HealthChecks, type Readiness } from './health.js';
export { TOKEN_LATENCY_BUCKETS, TOKEN_OUTCOMES, TokenRequestStats } from './token-stats.js';
