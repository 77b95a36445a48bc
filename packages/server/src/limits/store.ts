/**
 * Where the rate limiter keeps its counts. The limiter (`RateLimiter`) is the policy:
 * fixed windows, the contract's limit/remaining/reset, blocking an IP whose failure budget is
 * spent. A store only counts, keyed by application and by client IP:
 *
 * - `MemoryWindowStore`: this process's memory; synchronous (a server that is one process).
 * - `ClusterWindowStore`: the cluster primary's memory over IPC (`serve --workers N`).
 * - `RedisWindowStore`: Redis, one atomic script per count (`serve --redis`, several instances),
 *   wrapped in a `FailoverStore` that falls back to one of the others while Redis is away.
 *
 * @module
 */
/** A value, or a promise of it: in-memory stores answer synchronously, shared ones later. */
export type MaybePromise<T> = T | Promise<T>;

/** One key's fixed window as a store sees it. */
export interface Window {
  /** Events counted in the window, including those over the limit. */
  readonly count: number;
  /** Milliseconds until the window ends (0 when none is open). */
  readonly msBeforeReset: number;
  /**
   * Set instead of a count when the request's client IP turned out to be blocked (a shared store
   * that checks its blocks as it counts): milliseconds the block has left; nothing was counted.
   */
  readonly blockedMs?: number;
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

/** Called with each block on a client IP: `msLeft` milliseconds from now. */
export type BlockListener = (ip: string, msLeft: number) => void;

/** The counters of the token endpoint's two limits. `now` is the limiter's clock (epoch ms). */
export interface WindowStore {
  /** Whether every instance on the deployment counts here (else each instance counts its own). */
  readonly sharedAcrossInstances: boolean;
  /**
   * Counts one token request of `application` from `ip`; the window after it. A store shared by
   * several processes also checks there whether `ip` is blocked (see {@link Window.blockedMs}).
   */
  hitApplication(application: RateLimitedApplication, now: number, ip?: string): MaybePromise<Window>;
  /** The window of `application`'s token requests, counting nothing. */
  peekApplication(application: RateLimitedApplication, now: number): MaybePromise<Window>;
  /**
   * Counts one failed client authentication from `ip`; the window after it. A store shared by
   * several processes tells all of them (their `onBlock`) when this hit spends the IP's budget,
   * before it answers, so the IP's next request is refused whichever process gets it.
   */
  hitAddress(ip: string, now: number): MaybePromise<Window>;
  /** The window of `ip`'s failed authentications, counting nothing. */
  peekAddress(ip: string, now: number): MaybePromise<Window>;
  /**
   * Starts the store. `onBlock` hears every block in force now and every one decided later by
   * another process (the blocked-IP check is local and synchronous, so blocks must be pushed). Resolves once the store can count (a store that can also count elsewhere
   * while unreachable resolves at once).
   */
  open(onBlock: BlockListener): Promise<void>;
  close(): Promise<void>;
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

/** `map(value)`, at once when it is not a promise (no promise per request on the in-memory path). */
export function mapSettled<T, R>(value: MaybePromise<T>, map: (result: T) => R): MaybePromise<R> {
  return value instanceof Promise ? value.then(map) : map(value);
}
