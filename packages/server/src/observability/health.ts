/**
 * Readiness: whether this process can serve what the database says, now. Three checks:
 *
 * - `database`: a cheap read (the change log's last sequence number) answers within
 *   {@link PROBE_TIMEOUT_MS};
 * - `changes`: the change follower is not failing and caught up with the log less than
 *   {@link FOLLOW_STALE_MS} ago (a poll that hangs counts, not only one that fails);
 * - `redis` (with `--redis` only): a PING answers within {@link PROBE_TIMEOUT_MS}.
 *
 * Probes are shared: at most one of each runs at a time, and a result younger than
 * {@link PROBE_INTERVAL_MS} is reused, so `/readyz` called in a loop (or by every probe of a fleet)
 * costs the database at most one read a second per process.
 *
 * @module
 */
import { PROCESS_LIVENESS_MS } from '../sync/change-follower.js';

/** Longest wait for a probe's answer; a slower one counts as failing. */
export const PROBE_TIMEOUT_MS = 1000;
/** A probe's result is reused for this long. */
export const PROBE_INTERVAL_MS = 1000;
/**
 * Following counts as failing when the last poll that caught up with the change log is older
 * than this: 40 polls missed, and as long as admin changes wait for a silent process before
 * counting it as gone.
 */
export const FOLLOW_STALE_MS = PROCESS_LIVENESS_MS;

/** One check's state, as `/readyz` reports it. */
export type CheckState = 'ok' | 'failing';

/** What `/readyz` answers. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: {
    readonly database: CheckState;
    readonly changes: CheckState;
    readonly redis?: CheckState;
  };
}

/** What the change follower tells about itself (`ChangeFollower`). */
export interface FollowerState {
  /** Failing now: from a failed poll or heartbeat until one works again. */
  readonly isFailing: boolean;
  /** When a poll last found no more change to apply (epoch ms). */
  readonly caughtUpAt: number;
  /** The last change sequence number applied. */
  readonly appliedSeq: number;
}

/** What {@link HealthChecks} probes. */
export interface HealthSources {
  /** Reads the change log's last sequence number (`Storage.latestChange`). */
  readonly latestChange: () => Promise<number>;
  readonly follower: FollowerState;
  /** PINGs Redis; absent without `--redis`. */
  readonly pingRedis?: (() => Promise<void>) | undefined;
  /** The clock (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
}

/** One probe, shared and reused (see the module comment). */
class SharedProbe<T> {
  private result: { ok: boolean; value: T | undefined; at: number } | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly probe: () => Promise<T>,
    private readonly now: () => number,
  ) {}

  /** The latest result, probing first when it is older than {@link PROBE_INTERVAL_MS}. */
  async current(): Promise<{ ok: boolean; value: T | undefined }> {
    const result = this.result;
    if (result !== undefined && this.now() - result.at < PROBE_INTERVAL_MS) return result;
    this.running ??= this.run();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), PROBE_TIMEOUT_MS);
    });
    const settled = await Promise.race([this.running.then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    // Still running after the timeout (a database or Redis that hangs): failing, and the same
    // probe is waited for by the next check rather than another one piled up behind it.
    if (settled === 'timeout') return { ok: false, value: undefined };
    return this.result ?? { ok: false, value: undefined };
  }

  private async run(): Promise<void> {
    const started = this.now();
    try {
      const value = await this.probe();
      this.result = { ok: true, value, at: started };
    } catch {
      this.result = { ok: false, value: undefined, at: started };
    } finally {
      this.running = undefined;
    }
  }
}

/** This process's readiness (`GET /readyz`, the `*_up` and lag gauges of the metrics). */
export class HealthChecks {
  private readonly database: SharedProbe<number>;
  private readonly redis: SharedProbe<void> | undefined;
  private readonly follower: FollowerState;
  private readonly now: () => number;

  constructor(sources: HealthSources) {
    this.now = sources.now ?? Date.now;
    this.follower = sources.follower;
    this.database = new SharedProbe(sources.latestChange, this.now);
    this.redis = sources.pingRedis === undefined ? undefined : new SharedProbe(sources.pingRedis, this.now);
  }

  /** Whether Redis is configured (and so checked). */
  get checksRedis(): boolean {
    return this.redis !== undefined;
  }

  /** Runs (or reuses) the checks. */
  async readiness(): Promise<Readiness> {
    const [database, redis] = await Promise.all([this.database.current(), this.redis?.current()]);
    const changes = this.followingState();
    const checks = {
      database: state(database.ok),
      changes,
      ...(redis === undefined ? {} : { redis: state(redis.ok) }),
    };
    return {
      ready: database.ok && changes === 'ok' && (redis === undefined || redis.ok),
      checks,
    };
  }

  /** Seconds since this process last knew it had applied every change of the log. */
  followLagSeconds(): number {
    return Math.max(0, this.now() - this.follower.caughtUpAt) / 1000;
  }

  /**
   * Changes in the log that this process has not applied, by the latest database probe;
   * undefined while the database cannot be read.
   */
  async changesBehind(): Promise<number | undefined> {
    const latest = await this.database.current();
    if (!latest.ok || latest.value === undefined) return undefined;
    return Math.max(0, Number(latest.value) - this.follower.appliedSeq);
  }

  private followingState(): CheckState {
    const { isFailing, caughtUpAt } = this.follower;
    return state(!isFailing && this.now() - caughtUpAt <= FOLLOW_STALE_MS);
  }
}

function state(ok: boolean): CheckState {
  return ok ? 'ok' : 'failing';
}
