import type { RateLimitSetting } from '../config/values.js';
import { type Clock, systemClock } from '../domain/clock.js';

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
 * with `serve --workers N` each worker uses `ClusterRateLimits` (cluster/), which asks
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
  /** Spends one token request of `application`. */
  consumeRequest(application: RateLimitedApplication): MaybePromise<RequestBudget>;
  /** The request budget of `application` without spending any. */
  requestState(application: RateLimitedApplication): MaybePromise<RateLimitState>;
}

/**
 * How a limiter addresses an application: by ID across processes, by slot and serial in the
 * process that holds the application cache (a `CachedApplication` is one).
 */
export interface RateLimitedApplication {
  readonly id: string;
  /** The application's row in the cache, also its row of request windows. */
  readonly slot: number;
  /** Tells this application apart from earlier holders of its slot. */
  readonly serial: number;
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

/**
 * Fixed windows held in one `Float64Array`, addressed by a small integer slot and the number of
 * the slot's current owner: a window opens with its owner's first event and lasts `durationMs`;
 * every event counts, including those over the limit (the semantics of rate-limiter-flexible's
 * `RateLimiterMemory`, which this replaced: synchronous, no promise per request). A slot whose
 * owner changed starts over, so slots can be reused.
 *
 * Why typed arrays: a window is three numbers, and objects in a map would be one more heap
 * object per application for the garbage collector and one more cache miss per request.
 */
export class WindowSlots {
  readonly points: number;
  readonly durationMs: number;
  // Per slot: [resets at (epoch ms), count, owner]; owner 0 = never used.
  private windows = new Float64Array(WINDOW_FIELDS * 64);

  constructor(setting: RateLimitSetting) {
    this.points = setting.points;
    this.durationMs = setting.durationSeconds * 1000;
  }

  /** Counts one event of `owner` in `slot`; `limited` when it is over the limit. */
  hit(slot: number, owner: number, now: number = Date.now()): RequestBudget {
    if ((slot + 1) * WINDOW_FIELDS > this.windows.length) this.grow(slot);
    const windows = this.windows;
    const at = slot * WINDOW_FIELDS;
    if (windows[at + OWNER] !== owner || windows[at + RESETS_AT]! <= now) {
      windows[at + RESETS_AT] = now + this.durationMs;
      windows[at + COUNT] = 0;
      windows[at + OWNER] = owner;
    }
    const count = windows[at + COUNT]! + 1;
    windows[at + COUNT] = count;
    return { state: this.state(count, windows[at + RESETS_AT]!, now), limited: count > this.points };
  }

  /** The state of `owner` in `slot` without counting anything. */
  peek(slot: number, owner: number, now: number = Date.now()): RateLimitState {
    const at = slot * WINDOW_FIELDS;
    if (!this.isOpen(slot, now) || this.windows[at + OWNER] !== owner) {
      return { limit: this.points, remaining: this.points, msBeforeReset: 0 };
    }
    return this.state(this.windows[at + COUNT]!, this.windows[at + RESETS_AT]!, now);
  }

  /** Whether `slot` has a window that has not ended at `now` (slot -1 never has one). */
  isOpen(slot: number, now: number): boolean {
    const at = slot * WINDOW_FIELDS;
    return at >= 0 && at < this.windows.length && this.windows[at + RESETS_AT]! > now;
  }

  private state(count: number, resetsAt: number, now: number): RateLimitState {
    return { limit: this.points, remaining: Math.max(0, this.points - count), msBeforeReset: resetsAt - now };
  }

  private grow(slot: number): void {
    let length = this.windows.length * 2;
    while (length < (slot + 1) * WINDOW_FIELDS) length *= 2;
    const windows = new Float64Array(length);
    windows.set(this.windows);
    this.windows = windows;
  }
}

const WINDOW_FIELDS = 3;
const RESETS_AT = 0;
const COUNT = 1;
const OWNER = 2;

/**
 * {@link WindowSlots} addressed by a string key (an IP; an application ID in a cluster primary).
 * Keys whose window ended give their slot back at most once per window length, when a new key
 * arrives, so memory stays bounded by the keys active within one window.
 */
export class FixedWindowCounter {
  private readonly windows: WindowSlots;
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private nextSweep = 0;

  constructor(setting: RateLimitSetting) {
    this.windows = new WindowSlots(setting);
  }

  get points(): number {
    return this.windows.points;
  }

  /** Counts one event for `key` and returns the state after it; `limited` when over the limit. */
  hit(key: string, now: number = Date.now()): RequestBudget {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      this.sweep(now);
      slot = this.freeSlots.pop() ?? this.slots.size;
      this.slots.set(key, slot);
    }
    return this.windows.hit(slot, KEYED_OWNER, now);
  }

  /** The state of `key` without counting anything. */
  peek(key: string, now: number = Date.now()): RateLimitState {
    return this.windows.peek(this.slots.get(key) ?? -1, KEYED_OWNER, now);
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windows.durationMs;
    for (const [key, slot] of this.slots) {
      if (this.windows.isOpen(slot, now)) continue;
      this.slots.delete(key);
      this.freeSlots.push(slot);
    }
  }
}

// A keyed slot is only reused after its window ended, so one owner number serves every key.
const KEYED_OWNER = 1;

/**
 * Failed client authentications per IP, and the IPs whose budget is spent (checked
 * synchronously on every request, so an attacker's requests are refused before any hashing).
 */
export class AuthFailureLimits {
  protected readonly now: Clock;
  private readonly failures: FixedWindowCounter;
  private readonly blocked = new Map<string, number>();

  constructor(setting: RateLimitSetting, now: Clock = systemClock) {
    this.failures = new FixedWindowCounter(setting);
    this.now = now;
  }

  blockedState(ip: string, now: number = this.now()): RateLimitState | undefined {
    return blockedStateIn(this.blocked, this.failures.points, ip, now);
  }

  recordAuthFailure(ip: string): RateLimitState {
    const now = this.now();
    const { state } = this.failures.hit(ip, now);
    if (state.remaining === 0) blockUntil(this.blocked, ip, now + state.msBeforeReset, now);
    return state;
  }

  authFailureState(ip: string): RateLimitState {
    return this.failures.peek(ip, this.now());
  }

  /** Every blocked IP with when its block ends (epoch ms), for a worker that just started. */
  blockedEntries(now: number = this.now()): [ip: string, until: number][] {
    const entries: [string, number][] = [];
    for (const [ip, until] of this.blocked) if (until > now) entries.push([ip, until]);
    return entries;
  }
}

/**
 * The token endpoint's limiters held in this process's memory, for a server that is one process:
 * failed authentications per IP ({@link AuthFailureLimits}), and token requests per application
 * in the windows of the applications' cache slots.
 */
export class MemoryRateLimits extends AuthFailureLimits implements TokenRateLimits {
  private readonly requests: WindowSlots;

  constructor(requests: RateLimitSetting, authFailures: RateLimitSetting, now: Clock = systemClock) {
    super(authFailures, now);
    this.requests = new WindowSlots(requests);
  }

  consumeRequest(application: RateLimitedApplication): RequestBudget {
    return this.requests.hit(application.slot, application.serial, this.now());
  }

  requestState(application: RateLimitedApplication): RateLimitState {
    return this.requests.peek(application.slot, application.serial, this.now());
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
export function blockUntil(blocked: Map<string, number>, ip: string, until: number, now: number): void {
  if (blocked.size > 100_000) {
    for (const [key, end] of blocked) if (end <= now) blocked.delete(key);
  }
  blocked.set(ip, until);
}
