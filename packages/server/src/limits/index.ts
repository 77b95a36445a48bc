/**
 * The rate limits of the endpoints that authenticate a client: one policy ({@link RateLimiter})
 * over one of three stores (see store.ts), chosen here from the configuration.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { RedisLimitsConfig } from '../config/options.js';
import type { RateLimitSetting } from '../config/values.js';
import { FailoverStore } from './failover-store.js';
import { MemoryWindowStore } from './memory-store.js';
import { RedisWindowStore } from './redis-store.js';
import type { WindowStore } from './store.js';

/** What {@link createWindowStore} builds from. */
export interface WindowStoreOptions {
  readonly requests: RateLimitSetting;
  readonly authFailures: RateLimitSetting;
  /** Count in Redis, shared by every instance; absent: count in this instance only. */
  readonly redis?: RedisLimitsConfig | undefined;
  /** Where this instance counts without Redis. Default: this process's memory. */
  readonly local?: WindowStore | undefined;
  /** Hears the outage warnings of the Redis store. */
  readonly logger: Pick<Logger, 'warn' | 'info'>;
}

/**
 * The store a server process counts in: `local` (this process's memory by default, the cluster
 * primary's for a worker), or Redis falling back to `local` as `--redis-failure` says.
 */
export function createWindowStore(options: WindowStoreOptions): WindowStore {
  const local = options.local ?? new MemoryWindowStore(options.requests, options.authFailures);
  if (options.redis === undefined) return local;
  const redis = new RedisWindowStore({
    url: options.redis.url,
    prefix: options.redis.prefix,
    timeoutMs: options.redis.timeoutMs,
    requests: options.requests,
    authFailures: options.authFailures,
  });
  return new FailoverStore(redis, local, options.redis.failure, options.logger);
}

export {
  ClusterStoreHost,
  ClusterWindowStore,
  type IpcChannel,
  isLimiterMessage,
  type LimiterMessage,
} from './cluster-store.js';
export { FailoverStore, type RedisFailureMode } from './failover-store.js';
export { MemoryWindowStore } from './memory-store.js';
export {
  RateLimiter,
  type RateLimitState,
  type RequestBudget,
  type TokenRateLimits,
} from './rate-limiter.js';
export { RedisWindowStore } from './redis-store.js';
export {
  type MaybePromise,
  mapSettled,
  type RateLimitedApplication,
  type Window,
  type WindowStore,
  whenSettled,
} from './store.js';
