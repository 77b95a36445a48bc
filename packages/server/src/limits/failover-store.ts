/**
 * What `serve --redis` counts in: Redis while it answers in time, and while it does not, by
 * `--redis-failure`:
 *
 * - `open` (default): the store the server uses without Redis (this process's memory, or the
 *   cluster primary's), so tokens keep flowing with limits per instance;
 * - `closed`: nothing; requests that need a count get 503 in the SMS.CX envelope.
 *
 * One warning when an outage starts (the connection dropped, or a command failed or timed out)
 * and one line when Redis answers again: never one per request. Counting goes back to Redis
 * by itself, on the first request after the connection is back.
 *
 * @module
 */
import type { Logger } from 'pino';
import { Errors } from '../contract/errors.js';
import type { RedisAvailability, RedisWindowStore } from './redis-store.js';
import type { BlockListener, MaybePromise, RateLimitedApplication, Window, WindowStore } from './store.js';

/** What `--redis-failure` selects. */
export type RedisFailureMode = 'open' | 'closed';

export class FailoverStore implements WindowStore {
  readonly sharedAcrossInstances = true;
  private readonly shared: RedisWindowStore;
  private readonly fallback: WindowStore;
  private readonly mode: RedisFailureMode;
  private readonly logger: Pick<Logger, 'warn' | 'info'>;
  /** True from the first failure of an outage until Redis answers again. */
  private inOutage = false;

  constructor(
    shared: RedisWindowStore,
    fallback: WindowStore,
    mode: RedisFailureMode,
    logger: Pick<Logger, 'warn' | 'info'>,
  ) {
    this.shared = shared;
    this.fallback = fallback;
    this.mode = mode;
    this.logger = logger;
  }

  async open(onBlock: BlockListener): Promise<void> {
    this.shared.onAvailability((availability) => this.onAvailability(availability));
    await Promise.all([this.fallback.open(onBlock), this.shared.open(onBlock)]);
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.fallback.close()]);
  }

  /** PINGs Redis (readiness): rejects while it is unreachable or slow; counts nothing, changes no mode. */
  pingRedis(): Promise<void> {
    return this.shared.ping();
  }

  hitApplication(application: RateLimitedApplication, now: number, ip?: string): MaybePromise<Window> {
    return this.count(
      () => this.shared.hitApplication(application, now, ip),
      () => this.fallback.hitApplication(application, now),
    );
  }

  peekApplication(application: RateLimitedApplication, now: number): MaybePromise<Window> {
    return this.count(
      () => this.shared.peekApplication(application),
      () => this.fallback.peekApplication(application, now),
    );
  }

  hitAddress(ip: string, now: number): MaybePromise<Window> {
    return this.count(
      () => this.shared.hitAddress(ip),
      () => this.fallback.hitAddress(ip, now),
    );
  }

  peekAddress(ip: string, now: number): MaybePromise<Window> {
    return this.count(
      () => this.shared.peekAddress(ip),
      () => this.fallback.peekAddress(ip, now),
    );
  }

  /** Counts in Redis when it is connected, else (or when it fails) as the mode says. */
  private count(inRedis: () => Promise<Window>, fallback: () => MaybePromise<Window>): MaybePromise<Window> {
    if (!this.shared.isReady()) return this.degraded(fallback);
    return inRedis().then(this.answered, (error: Error) => this.failed(error, fallback));
  }

  // An arrow function: passed to `then` on every count without a new closure.
  private readonly answered = (window: Window): Window => {
    if (this.inOutage) this.recovered();
    return window;
  };

  private failed(error: Error, fallback: () => MaybePromise<Window>): MaybePromise<Window> {
    this.outage(error.message);
    return this.degraded(fallback);
  }

  private degraded(fallback: () => MaybePromise<Window>): MaybePromise<Window> {
    return this.mode === 'closed' ? Promise.reject(Errors.rateLimitsUnavailable) : fallback();
  }

  private onAvailability(availability: RedisAvailability): void {
    if (availability.up) {
      if (this.inOutage) this.recovered();
    } else {
      this.outage(availability.reason);
    }
  }

  private outage(reason: string): void {
    if (this.inOutage) return;
    this.inOutage = true;
    this.logger.warn(
      { redis: this.shared.description, reason, redisFailure: this.mode },
      this.mode === 'open'
        ? 'Redis is unreachable: rate limits are counted per instance until it is back'
        : 'Redis is unreachable: requests that need a rate-limit count get 503 until it is back',
    );
  }

  private recovered(): void {
    this.inOutage = false;
    this.logger.info({ redis: this.shared.description }, 'Redis answers again: rate limits are shared again');
  }
}
