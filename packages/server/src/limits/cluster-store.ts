/**
 * The store of `serve --workers N`: the primary process holds the counts (applications keyed by
 * ID, since the primary has no application cache) and the workers ask it over the cluster IPC
 * channel. The calls a worker makes in one event-loop turn travel as one message, and the
 * answers come back as one.
 *
 * Why not SQLite or Redis: see "Rate limits" in the server README (the IPC round trip is the
 * cheapest shared state on one machine, and needs nothing to run). With `--redis` this store is
 * the fallback while Redis is unreachable, so an outage still counts per instance.
 *
 * @module
 */
import type { RateLimitSetting } from '../config/values.js';
import type { BlockListener, RateLimitedApplication, Window, WindowStore } from './store.js';
import { BlockedAddresses, FixedWindowCounter } from './windows.js';

/** A count a worker asks the primary for. */
export type WindowOperation =
  | 'hitApplication'
  | 'peekApplication'
  | 'hitAddress'
  | 'peekAddress'
  /** The blocks in force (key unused): a starting worker missed their broadcasts. */
  | 'blocks';

/** What a call answers: a window, or the blocks as `[ip, ms left]`. */
export type WindowAnswer = Window | readonly (readonly [ip: string, msLeft: number])[];

/** Worker → primary: the calls of one event-loop turn, each `[call id, operation, key]`. */
export interface WindowCallsMessage {
  readonly smscx: 'limiter-calls';
  readonly calls: readonly (readonly [id: number, operation: WindowOperation, key: string])[];
}

/** Primary → worker: the answers to one {@link WindowCallsMessage}, each `[call id, answer]`. */
export interface WindowResultsMessage {
  readonly smscx: 'limiter-results';
  readonly results: readonly (readonly [id: number, answer: WindowAnswer])[];
}

/** Primary → every worker: `ip` spent its failure budget for `msLeft` more milliseconds. */
export interface IpBlockedMessage {
  readonly smscx: 'ip-blocked';
  readonly ip: string;
  readonly msLeft: number;
}

/** The limiter's messages on the cluster IPC channel. */
export type LimiterMessage = WindowCallsMessage | WindowResultsMessage | IpBlockedMessage;

/** Tells whether an IPC message is the limiter message `kind`. */
export function isLimiterMessage<K extends LimiterMessage['smscx']>(
  message: unknown,
  kind: K,
): message is Extract<LimiterMessage, { smscx: K }> {
  return typeof message === 'object' && message !== null && (message as { smscx?: unknown }).smscx === kind;
}

/** The IPC side a worker talks through: `process` in a cluster worker. */
export interface IpcChannel {
  send(message: unknown): unknown;
  on(event: 'message', listener: (message: unknown) => void): unknown;
}

type Pending = { resolve: (answer: WindowAnswer) => void; reject: (error: Error) => void };

/** The worker side: every count is a call to the primary. */
export class ClusterWindowStore implements WindowStore {
  readonly sharedAcrossInstances = false;
  private readonly channel: IpcChannel;
  private readonly pending = new Map<number, Pending>();
  private queue: [number, WindowOperation, string][] = [];
  private nextId = 0;
  private flushScheduled = false;

  constructor(channel: IpcChannel) {
    this.channel = channel;
  }

  async open(onBlock: BlockListener): Promise<void> {
    this.channel.on('message', (message) => {
      if (isLimiterMessage(message, 'limiter-results')) this.settle(message);
      else if (isLimiterMessage(message, 'ip-blocked')) onBlock(message.ip, message.msLeft);
    });
    const blocks = (await this.call('blocks', '')) as readonly (readonly [string, number])[];
    for (const [ip, msLeft] of blocks) onBlock(ip, msLeft);
  }

  async close(): Promise<void> {}

  hitApplication(application: RateLimitedApplication): Promise<Window> {
    return this.call('hitApplication', application.id) as Promise<Window>;
  }

  peekApplication(application: RateLimitedApplication): Promise<Window> {
    return this.call('peekApplication', application.id) as Promise<Window>;
  }

  hitAddress(ip: string): Promise<Window> {
    return this.call('hitAddress', ip) as Promise<Window>;
  }

  peekAddress(ip: string): Promise<Window> {
    return this.call('peekAddress', ip) as Promise<Window>;
  }

  private call(operation: WindowOperation, key: string): Promise<WindowAnswer> {
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
      this.channel.send({ smscx: 'limiter-calls', calls } satisfies WindowCallsMessage);
    } catch (error) {
      // The primary is gone (the worker exits with it); these requests get a 500.
      for (const [id] of calls) {
        this.pending.get(id)?.reject(error as Error);
        this.pending.delete(id);
      }
    }
  }

  private settle(message: WindowResultsMessage): void {
    for (const [id, answer] of message.results) {
      const waiting = this.pending.get(id);
      if (waiting === undefined) continue;
      this.pending.delete(id);
      waiting.resolve(answer);
    }
  }
}

/** A worker as the primary sees it (node:cluster's `Worker`). */
export interface WorkerChannel {
  send(message: unknown): unknown;
  isConnected(): boolean;
}

/**
 * The primary side: counts the workers' calls in its memory and answers. When a failure spends
 * an IP's budget (the limiter's rule: the count reaches the limit), every worker learns it
 * before the caller's answer is sent, and a worker that starts later asks for the blocks.
 */
export class ClusterStoreHost {
  private readonly requests: FixedWindowCounter;
  private readonly failures: FixedWindowCounter;
  private readonly failurePoints: number;
  private readonly blocked = new BlockedAddresses();
  private readonly workers: () => Iterable<WorkerChannel>;

  constructor(
    requests: RateLimitSetting,
    authFailures: RateLimitSetting,
    workers: () => Iterable<WorkerChannel>,
  ) {
    this.requests = new FixedWindowCounter(requests);
    this.failures = new FixedWindowCounter(authFailures);
    this.failurePoints = authFailures.points;
    this.workers = workers;
  }

  /** Handles one message from `worker`; returns false when it is not a limiter message. */
  handle(worker: WorkerChannel, message: unknown): boolean {
    if (!isLimiterMessage(message, 'limiter-calls')) return false;
    const now = Date.now();
    const results = message.calls.map(([id, operation, key]) => [id, this.run(operation, key, now)] as const);
    sendQuietly(worker, { smscx: 'limiter-results', results } satisfies WindowResultsMessage);
    return true;
  }

  private run(operation: WindowOperation, key: string, now: number): WindowAnswer {
    switch (operation) {
      case 'hitApplication':
        return this.requests.hit(key, now);
      case 'peekApplication':
        return this.requests.peek(key, now);
      case 'hitAddress': {
        const window = this.failures.hit(key, now);
        if (window.count >= this.failurePoints) this.broadcastBlock(key, window.msBeforeReset, now);
        return window;
      }
      case 'peekAddress':
        return this.failures.peek(key, now);
      case 'blocks':
        return this.blocked.entries(now);
    }
  }

  private broadcastBlock(ip: string, msLeft: number, now: number): void {
    this.blocked.block(ip, now + msLeft, now);
    const message: IpBlockedMessage = { smscx: 'ip-blocked', ip, msLeft };
    for (const worker of this.workers()) sendQuietly(worker, message);
  }
}

// A worker that is exiting cannot be told anything any more; that is not an error.
function sendQuietly(worker: WorkerChannel, message: unknown): void {
  if (!worker.isConnected()) return;
  try {
    worker.send(message);
  } catch {
    // disconnected in between
  }
}
