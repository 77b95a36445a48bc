import type { RateLimitSetting } from '../config/values.js';
import { type Clock, systemClock } from '../domain/clock.js';
import {
  type MaybePromise,
  mapSettled,
  type RateLimitedApplication,
  type Window,
  type WindowStore,
} from './store.js';
import { BlockedAddresses } from './windows.js';

/** What the rate-limit headers report. */
export interface RateLimitState {
  readonly limit: number;
  readonly remaining: number;
  /** Milliseconds until the window resets. */
  readonly msBeforeReset: number;
}

/** The outcome of spending one token request of an application. */
export interface RequestBudget {
  readonly state: RateLimitState;
  /** True when the request is over the limit (answer 429). */
  readonly limited: boolean;
}

/**
 * The two limits of the endpoints that authenticate a client, as the routes use them: failed
 * authentications per client IP (checked before authentication) and token requests per
 * application (checked after it).
 */
export interface TokenRateLimits {
  /**
   * The failure-budget state when `ip` has spent its budget, else undefined. Always synchronous
   * and local, so a blocked IP is refused before any hashing or round trip.
   */
  blockedState(ip: string, now?: number): RateLimitState | undefined;
  /**
   * Counts one failed authentication from `ip`, blocking it when this spends its budget.
   * `limited` when the budget was already spent (another process counted the failure that spent
   * it, and its block had not reached this one yet): answer 429, as a blocked IP gets.
   */
  recordAuthFailure(ip: string): MaybePromise<RequestBudget>;
  /** The failure budget of `ip` without spending any. */
  authFailureState(ip: string): MaybePromise<RateLimitState>;
  /**
   * Spends one token request of `application` from `ip`. `limited` also when a shared store
   * finds `ip` blocked by another process whose block had not reached this one yet: then the
   * state is the failure budget's, as {@link blockedState} gives, and nothing was spent.
   */
  consumeRequest(application: RateLimitedApplication, ip?: string): MaybePromise<RequestBudget>;
  /** The request budget of `application` without spending any. */
  requestState(application: RateLimitedApplication): MaybePromise<RateLimitState>;
}

/**
 * The rate-limit policy over a {@link WindowStore}: fixed windows of `points` events, reported
 * as the contract's limit and remaining; a request over the limit is limited; an IP that spends
 * its failure budget is blocked until its window ends (in every process that shares the store:
 * a shared store pushes the block to the others).
 */
export class RateLimiter implements TokenRateLimits {
  private readonly store: WindowStore;
  private readonly requestPoints: number;
  private readonly failurePoints: number;
  private readonly now: Clock;
  private readonly blocked = new BlockedAddresses();

  constructor(
    store: WindowStore,
    requests: RateLimitSetting,
    authFailures: RateLimitSetting,
    now: Clock = systemClock,
  ) {
    this.store = store;
    this.requestPoints = requests.points;
    this.failurePoints = authFailures.points;
    this.now = now;
  }

  /** Opens the store; from then on, blocks shared by other processes apply here too. */
  open(): Promise<void> {
    return this.store.open((ip, msLeft) => {
      const now = this.now();
      this.blocked.block(ip, now + msLeft, now);
    });
  }

  close(): Promise<void> {
    return this.store.close();
  }

  blockedState(ip: string, now: number = this.now()): RateLimitState | undefined {
    const msLeft = this.blocked.msLeft(ip, now);
    return msLeft === 0 ? undefined : { limit: this.failurePoints, remaining: 0, msBeforeReset: msLeft };
  }

  recordAuthFailure(ip: string): MaybePromise<RequestBudget> {
    return mapSettled(this.store.hitAddress(ip, this.now()), (window) => {
      const state = stateOf(window, this.failurePoints);
      if (state.remaining === 0) {
        const now = this.now();
        this.blocked.block(ip, now + state.msBeforeReset, now);
      }
      return { state, limited: window.count > this.failurePoints };
    });
  }

  authFailureState(ip: string): MaybePromise<RateLimitState> {
    return mapSettled(this.store.peekAddress(ip, this.now()), (window) =>
      stateOf(window, this.failurePoints),
    );
  }

  consumeRequest(application: RateLimitedApplication, ip?: string): MaybePromise<RequestBudget> {
    return mapSettled(this.store.hitApplication(application, this.now(), ip), (window) => {
      if (window.blockedMs !== undefined && ip !== undefined) {
        const now = this.now();
        this.blocked.block(ip, now + window.blockedMs, now);
        return {
          state: { limit: this.failurePoints, remaining: 0, msBeforeReset: window.blockedMs },
          limited: true,
        };
      }
      return { state: stateOf(window, this.requestPoints), limited: window.count > this.requestPoints };
    });
  }

  requestState(application: RateLimitedApplication): MaybePromise<RateLimitState> {
    return mapSettled(this.store.peekApplication(application, this.now()), (window) =>
      stateOf(window, this.requestPoints),
    );
  }
}

function stateOf(window: Window, points: number): RateLimitState {
  return {
    limit: points,
    remaining: Math.max(0, points - window.count),
    msBeforeReset: window.msBeforeReset,
  };
}
