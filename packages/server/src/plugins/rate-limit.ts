import type { FastifyReply } from 'fastify';
import type { RateLimitSetting } from '../config.js';

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

/** A value, or a promise of it: in-memory limiters answer synchronously, shared ones later. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The two limiters of the token endpoint: failed authentications per client IP (checked
 * before authentication) and token requests per application (checked after it).
 *
 * {@link MemoryRateLimits} keeps the counters in this process and answers synchronously;
 * with `serve --workers N` each worker uses `ClusterRateLimits` (src/cluster), which asks
 * the primary process that holds one {@link MemoryRateLimits} for all workers.
 */
export interface TokenRateLimits {
  /**
   * Returns the failure-budget state when `ip` has spent its budget, else undefined. Always
   * synchronous and local, so a blocked IP is refused before any hashing.
   */
  blockedState(ip: string, now?: number): RateLimitState | undefined;
  /** Counts one failed authentication from `ip` (blocking it when its budget is spent). */
  recordAuthFailure(ip: string): MaybePromise<RateLimitState>;
  /** The failure budget of `ip` without spending any. */
  authFailureState(ip: string): MaybePromise<RateLimitState>;
  /** Spends one token request of `applicationId`. */
  consumeRequest(applicationId: string): MaybePromise<RequestBudget>;
  /** The request budget of `applicationId` without spending any. */
  requestState(applicationId: string): MaybePromise<RateLimitState>;
}

/** Calls `then` with the value, at once when it is not a promise; a rejection goes to `fail`. */
export function whenSettled<T>(
  value: MaybePromise<T>,
  then: (result: T) => void,
  fail: (error: Error) => void,
): void {
  if (value instanceof Promise) {
    value.then(then, (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))));
  } else then(value);
}

/** Writes `X-Rate-Limit-Limit`/`-Remaining`, and on 429 `X-Rate-Limit-Reset` and `Retry-After`. */
export function setRateLimitHeaders(reply: FastifyReply, state: RateLimitState, limited: boolean): void {
  reply.header('x-rate-limit-limit', state.limit);
  reply.header('x-rate-limit-remaining', state.remaining);
  if (limited) {
    const seconds = Math.max(1, Math.ceil(state.msBeforeReset / 1000));
    reply.header('x-rate-limit-reset', Math.ceil((Date.now() + state.msBeforeReset) / 1000));
    reply.header('retry-after', seconds);
  }
}

/** One key's window: how many events so far and when the window ends (epoch ms). */
interface Window {
  count: number;
  resetAt: number;
}

/**
 * A fixed-window counter per key: the window opens with the key's first event and lasts
 * `durationMs`; every event counts, including those over the limit. These are the semantics
 * of rate-limiter-flexible's `RateLimiterMemory`, which this replaces on the hot path: it is
 * synchronous (no promise per request) and allocates only when a window opens.
 */
export class FixedWindowCounter {
  readonly points: number;
  private readonly durationMs: number;
  private readonly windows = new Map<string, Window>();
  private nextSweep = 0;

  constructor(setting: RateLimitSetting) {
    this.points = setting.points;
    this.durationMs = setting.durationSeconds * 1000;
  }

  /** Counts one event for `key` and returns the state after it; `limited` when over the limit. */
  hit(key: string, now: number = Date.now()): RequestBudget {
    let window = this.windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      this.sweep(now);
      window = { count: 0, resetAt: now + this.durationMs };
      this.windows.set(key, window);
    }
    window.count += 1;
    return { state: this.stateOf(window, now), limited: window.count > this.points };
  }

  /** The state of `key` without counting anything. */
  peek(key: string, now: number = Date.now()): RateLimitState {
    const window = this.windows.get(key);
    if (window === undefined || window.resetAt <= now) {
      return { limit: this.points, remaining: this.points, msBeforeReset: 0 };
    }
    return this.stateOf(window, now);
  }

  private stateOf(window: Window, now: number): RateLimitState {
    return {
      limit: this.points,
      remaining: Math.max(0, this.points - window.count),
      msBeforeReset: window.resetAt - now,
    };
  }

  // Expired windows are dropped at most once per window length, when a new window opens,
  // so memory stays bounded by the keys active within one window.
  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.durationMs;
    for (const [key, window] of this.windows) if (window.resetAt <= now) this.windows.delete(key);
  }
}

/** The token endpoint's limiters held in this process's memory (one process, or a cluster primary). */
export class MemoryRateLimits implements TokenRateLimits {
  private readonly authFailures: FixedWindowCounter;
  private readonly requests: FixedWindowCounter;
  // IPs whose failure budget is spent, with when it resets: checked synchronously on every
  // request so an attacker's requests are refused before any hashing.
  private readonly blocked = new Map<string, number>();

  constructor(requests: RateLimitSetting, authFailures: RateLimitSetting) {
    this.requests = new FixedWindowCounter(requests);
    this.authFailures = new FixedWindowCounter(authFailures);
  }

  blockedState(ip: string, now: number = Date.now()): RateLimitState | undefined {
    return blockedStateIn(this.blocked, this.authFailures.points, ip, now);
  }

  recordAuthFailure(ip: string): RateLimitState {
    const { state } = this.authFailures.hit(ip);
    if (state.remaining === 0) blockUntil(this.blocked, ip, Date.now() + state.msBeforeReset);
    return state;
  }

  authFailureState(ip: string): RateLimitState {
    return this.authFailures.peek(ip);
  }

  consumeRequest(applicationId: string): RequestBudget {
    return this.requests.hit(applicationId);
  }

  requestState(applicationId: string): RateLimitState {
    return this.requests.peek(applicationId);
  }

  /** Every blocked IP with when its block ends (epoch ms), for a worker that just started. */
  blockedEntries(now: number = Date.now()): [ip: string, until: number][] {
    const entries: [string, number][] = [];
    for (const [ip, until] of this.blocked) if (until > now) entries.push([ip, until]);
    return entries;
  }
}

/** Looks `ip` up in a map of blocked IPs (forgetting it once its block ended). */
export function blockedStateIn(
  blocked: Map<string, number>,
  limit: number,
  ip: string,
  now: number,
): RateLimitState | undefined {
  const until = blocked.get(ip);
  if (until === undefined) return undefined;
  if (until <= now) {
    blocked.delete(ip);
    return undefined;
  }
  return { limit, remaining: 0, msBeforeReset: until - now };
}

/** Records that `ip` is blocked until `until` (epoch ms), keeping the map bounded. */
export function blockUntil(blocked: Map<string, number>, ip: string, until: number): void {
  if (blocked.size > 100_000) {
    const now = Date.now();
    for (const [key, end] of blocked) if (end <= now) blocked.delete(key);
  }
  blocked.set(ip, until);
}
