/**
 * Rate limits shared by the workers of `serve --workers N`: the primary process holds the
 * counters (the single-process limiter's counters, with applications keyed by ID since the
 * primary has no application cache) and the workers ask it over the cluster IPC channel. The
 * calls a worker makes in one event-loop turn travel as one message, and the answers come back
 * as one.
 *
 * Why not SQLite or Redis: see "Rate limits with several workers" in the server README (the
 * IPC round trip is the cheapest shared state on one machine, and needs nothing to run).
 *
 * @module
 */
import type { Worker } from 'node:cluster';
import type { RateLimitSetting } from '../config/values.js';
import {
  AuthFailureLimits,
  blockedStateIn,
  blockUntil,
  FixedWindowCounter,
  type RateLimitedApplication,
  type RateLimitState,
  type RequestBudget,
  type TokenRateLimits,
} from '../limits/rate-limits.js';
import {
  isClusterMessage,
  type LimiterAnswer,
  type LimiterCall,
  type LimiterOperation,
  type LimiterResult,
  type LimiterResultsMessage,
} from './messages.js';

/** The IPC side a worker talks through: `process` in a cluster worker. */
export interface IpcChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Settle = (result: LimiterAnswer) => void;

/**
 * The worker side: every limiter operation is a call to the primary, except the blocked-IP
 * check, which stays synchronous and local. The primary tells every worker as soon as an IP
 * is blocked, so each keeps its own copy of the blocked list.
 */
export class ClusterRateLimits implements TokenRateLimits {
  private readonly channel: IpcChannel;
  private readonly authFailureLimit: number;
  private readonly blocked = new Map<string, number>();
  private readonly pending = new Map<number, { resolve: Settle; reject: (error: Error) => void }>();
  private queue: LimiterCall[] = [];
  private nextId = 0;
  private flushScheduled = false;

  constructor(authFailures: RateLimitSetting, channel: IpcChannel) {
    this.authFailureLimit = authFailures.points;
    this.channel = channel;
    channel.on('message', (message) => {
      if (isClusterMessage(message, 'limiter-results')) this.settle(message);
      else if (isClusterMessage(message, 'ip-blocked'))
        blockUntil(this.blocked, message.ip, message.until, Date.now());
    });
  }

  blockedState(ip: string, now: number = Date.now()): RateLimitState | undefined {
    return blockedStateIn(this.blocked, this.authFailureLimit, ip, now);
  }

  async recordAuthFailure(ip: string): Promise<RateLimitState> {
    const state = (await this.call('recordAuthFailure', ip)) as RateLimitState;
    if (state.remaining === 0) {
      const now = Date.now();
      blockUntil(this.blocked, ip, now + state.msBeforeReset, now);
    }
    return state;
  }

  /**
   * Copies the primary's list of blocked IPs; a worker calls this before it listens, since
   * it was not there when those blocks were broadcast.
   */
  async loadBlocked(): Promise<void> {
    const entries = (await this.call('blockedEntries', '')) as readonly (readonly [string, number])[];
    const now = Date.now();
    for (const [ip, until] of entries) blockUntil(this.blocked, ip, until, now);
  }

  authFailureState(ip: string): Promise<RateLimitState> {
    return this.call('authFailureState', ip) as Promise<RateLimitState>;
  }

  consumeRequest(application: RateLimitedApplication): Promise<RequestBudget> {
    return this.call('consumeRequest', application.id) as Promise<RequestBudget>;
  }

  requestState(application: RateLimitedApplication): Promise<RateLimitState> {
    return this.call('requestState', application.id) as Promise<RateLimitState>;
  }

  private call(operation: LimiterOperation, key: string): Promise<LimiterAnswer> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { resolve, reject });
      this.queue.push([id, operation, key]);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // After the poll phase: every request read in this turn joins the same message.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const calls = this.queue;
    this.queue = [];
    try {
      this.channel.send({ smscx: 'limiter-calls', calls });
    } catch (error) {
      // The primary is gone (the worker exits with it); these requests get a 500.
      for (const [id] of calls) {
        this.pending.get(id)?.reject(error as Error);
        this.pending.delete(id);
      }
    }
  }

  private settle(message: LimiterResultsMessage): void {
    for (const [id, result] of message.results) {
      const waiting = this.pending.get(id);
      if (waiting === undefined) continue;
      this.pending.delete(id);
      waiting.resolve(result);
    }
  }
}

/**
 * The primary side: runs the workers' limiter calls on its counters and answers; when a failure
 * spends an IP's budget, every worker learns it before the caller's answer is sent, so the next
 * request from that IP is refused by whichever worker gets it.
 */
export class RateLimitHost {
  private readonly failures: AuthFailureLimits;
  private readonly requests: FixedWindowCounter;
  private readonly workers: () => Iterable<Worker>;

  constructor(requests: RateLimitSetting, authFailures: RateLimitSetting, workers: () => Iterable<Worker>) {
    this.failures = new AuthFailureLimits(authFailures);
    this.requests = new FixedWindowCounter(requests);
    this.workers = workers;
  }

  /** Handles one message from `worker`; returns false when it is not a limiter message. */
  handle(worker: Worker, message: unknown): boolean {
    if (!isClusterMessage(message, 'limiter-calls')) return false;
    const results: LimiterResult[] = [];
    for (const [id, operation, key] of message.calls) {
      const result = this.run(operation, key);
      if (operation === 'recordAuthFailure' && (result as RateLimitState).remaining === 0) {
        this.broadcastBlocked(key, Date.now() + (result as RateLimitState).msBeforeReset);
      }
      results.push([id, result]);
    }
    sendQuietly(worker, { smscx: 'limiter-results', results });
    return true;
  }

  private run(operation: LimiterOperation, key: string): LimiterAnswer {
    switch (operation) {
      case 'recordAuthFailure':
        return this.failures.recordAuthFailure(key);
      case 'authFailureState':
        return this.failures.authFailureState(key);
      case 'consumeRequest':
        return this.requests.hit(key);
      case 'requestState':
        return this.requests.peek(key);
      case 'blockedEntries':
        return this.failures.blockedEntries();
    }
  }

  private broadcastBlocked(ip: string, until: number): void {
    for (const worker of this.workers()) sendQuietly(worker, { smscx: 'ip-blocked', ip, until });
  }
}

// A worker that is exiting cannot be told anything any more; that is not an error.
function sendQuietly(worker: Worker, message: unknown): void {
  if (!worker.isConnected()) return;
  try {
    worker.send(message as never);
  } catch {
    // disconnected in between
  }
}
