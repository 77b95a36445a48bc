/**
 * Counts in Redis, shared by every worker of every instance (`serve --redis`). One script run
 * per count (see redis-scripts.ts); ioredis's auto-pipelining sends the counts of one
 * event-loop turn in one write. Blocks on IPs travel by publish/subscribe on a second
 * connection, and are reloaded whenever the connection comes back.
 *
 * This store never waits for Redis: a command is refused at once while the connection is down
 * (no offline queue) and fails after `timeoutMs` when Redis is slow. `FailoverStore` decides
 * what happens then.
 *
 * @module
 */
import { Redis } from 'ioredis';
import type { RateLimitSetting } from '../config/values.js';
import { redactDatabaseUrl } from '../storage/database-url.js';
import { BLOCKS, HIT, HIT_ADDRESS, HIT_UNLESS_BLOCKED, PEEK } from './redis-scripts.js';
import type { BlockListener, RateLimitedApplication, Window, WindowStore } from './store.js';

/** How to reach Redis and how long to wait for it. */
export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). */
  readonly url: string;
  /** Prefix of every key and of the channel, so deployments can share one Redis. */
  readonly prefix: string;
  /** Longest wait for one answer; a slower answer counts as a failure. */
  readonly timeoutMs: number;
  readonly requests: RateLimitSetting;
  readonly authFailures: RateLimitSetting;
}

/** Whether Redis can be used, and why not. */
export type RedisAvailability = { readonly up: true } | { readonly up: false; readonly reason: string };

type Counts = [count: number, msLeft: number];

/** The scripts, as ioredis defines them on the connection (`defineCommand`). */
interface ScriptCommands {
  smscxHit(key: string, durationMs: number): Promise<Counts>;
  smscxHitUnlessBlocked(key: string, blockedKey: string, durationMs: number, ip: string): Promise<Counts>;
  smscxHitAddress(
    key: string,
    blockedKey: string,
    durationMs: number,
    points: number,
    ip: string,
    channel: string,
  ): Promise<Counts>;
  smscxPeek(key: string): Promise<Counts>;
  smscxBlocks(blockedKey: string): Promise<(string | number)[]>;
}

export class RedisWindowStore implements WindowStore {
  readonly sharedAcrossInstances = true;
  /** A shareable description of where Redis is, with any password shown as `***`. */
  readonly description: string;
  private readonly commands: Redis;
  private readonly scripts: ScriptCommands;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly blockedKey: string;
  private readonly requestWindowMs: number;
  private readonly failureWindowMs: number;
  private readonly failurePoints: number;
  private readonly timeoutMs: number;
  private availabilityListener: (availability: RedisAvailability) => void = () => {};

  constructor(options: RedisStoreOptions) {
    this.description = redactDatabaseUrl(options.url);
    this.prefix = options.prefix;
    this.channel = `${options.prefix}blocked`;
    this.blockedKey = `${options.prefix}blocked`;
    this.requestWindowMs = options.requests.durationSeconds * 1000;
    this.failureWindowMs = options.authFailures.durationSeconds * 1000;
    this.failurePoints = options.authFailures.points;
    this.commands = new Redis(options.url, {
      lazyConnect: true,
      // Refuse at once while disconnected, and never replay a count after a reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      enableAutoPipelining: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: reconnectDelay,
    });
    for (const [name, lua, numberOfKeys] of [
      ['smscxHit', HIT, 1],
      ['smscxHitUnlessBlocked', HIT_UNLESS_BLOCKED, 2],
      ['smscxHitAddress', HIT_ADDRESS, 2],
      ['smscxPeek', PEEK, 1],
      ['smscxBlocks', BLOCKS, 1],
    ] as const) {
      this.commands.defineCommand(name, { lua, numberOfKeys });
    }
    this.scripts = this.commands as unknown as ScriptCommands;
    this.timeoutMs = options.timeoutMs;
    this.subscriber = new Redis(options.url, {
      lazyConnect: true,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: reconnectDelay,
    });
  }

  /** Whether the command connection is up (a count now would be sent). */
  isReady(): boolean {
    return this.commands.status === 'ready';
  }

  /**
   * One PING on the command connection, bounded like a count: rejects at once while the
   * connection is down, and after `timeoutMs` when Redis does not answer (readiness).
   */
  async ping(): Promise<void> {
    await this.bounded(this.commands.ping());
  }

  /** Hears every change of availability of the command connection (one call per change). */
  onAvailability(listener: (availability: RedisAvailability) => void): void {
    this.availabilityListener = listener;
  }

  async open(onBlock: BlockListener): Promise<void> {
    // Reported on each change only; undefined until the first connection attempt ends.
    let up: boolean | undefined;
    const becomeUp = (): void => {
      if (up === true) return;
      up = true;
      this.availabilityListener({ up: true });
    };
    const becomeDown = (reason: string): void => {
      if (up === false) return;
      up = false;
      this.availabilityListener({ up: false, reason });
    };
    let lastError = 'connection closed';
    // ioredis reports each failed (re)connection as an error event; without a listener it
    // would print them. The reason is kept for the one outage line.
    this.commands.on('error', (error: Error) => {
      lastError = error.message;
    });
    this.subscriber.on('error', () => {});
    this.commands.on('ready', () => {
      becomeUp();
      // Blocks decided while this connection was away were published to nobody here.
      this.scripts.smscxBlocks(this.blockedKey).then(
        (flat) => {
          for (let i = 0; i + 1 < flat.length; i += 2) onBlock(String(flat[i]), Number(flat[i + 1]));
        },
        () => {},
      );
    });
    this.commands.on('close', () => becomeDown(lastError));
    this.subscriber.on('message', (_channel: string, message: string) => {
      const space = message.lastIndexOf(' ');
      const msLeft = Number(message.slice(space + 1));
      if (space > 0 && msLeft > 0) onBlock(message.slice(0, space), msLeft);
    });
    await Promise.all([
      this.commands.connect().catch(() => becomeDown(lastError)),
      this.subscriber.connect().then(
        () => this.subscriber.subscribe(this.channel),
        () => {},
      ),
    ]);
    // A subscriber that connects later subscribes then (ioredis resubscribes on reconnect too).
    this.subscriber.once('ready', () => {
      void this.subscriber.subscribe(this.channel).catch(() => {});
    });
  }

  async close(): Promise<void> {
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  /** Counts one token request; with `ip`, only when that IP is not blocked (one script run either way). */
  async hitApplication(application: RateLimitedApplication, _now?: number, ip?: string): Promise<Window> {
    const key = `${this.prefix}app:${application.id}`;
    if (ip === undefined)
      return windowOf(await this.bounded(this.scripts.smscxHit(key, this.requestWindowMs)));
    const [count, msLeft] = await this.bounded(
      this.scripts.smscxHitUnlessBlocked(key, this.blockedKey, this.requestWindowMs, ip),
    );
    return count < 0 ? { count: 0, msBeforeReset: 0, blockedMs: msLeft } : { count, msBeforeReset: msLeft };
  }

  async peekApplication(application: RateLimitedApplication): Promise<Window> {
    return windowOf(await this.bounded(this.scripts.smscxPeek(`${this.prefix}app:${application.id}`)));
  }

  async hitAddress(ip: string): Promise<Window> {
    return windowOf(
      await this.bounded(
        this.scripts.smscxHitAddress(
          `${this.prefix}ip:${ip}`,
          this.blockedKey,
          this.failureWindowMs,
          this.failurePoints,
          ip,
          this.channel,
        ),
      ),
    );
  }

  async peekAddress(ip: string): Promise<Window> {
    return windowOf(await this.bounded(this.scripts.smscxPeek(`${this.prefix}ip:${ip}`)));
  }

  /**
   * `answer`, or a rejection once `timeoutMs` has passed without it. The deadline is checked one
   * event-loop turn late on purpose (setImmediate runs after the poll phase): when this process
   * was busy past the deadline, an answer that arrived meanwhile is read first and wins, so a
   * stall of our own event loop is not taken for a slow Redis (ioredis's `commandTimeout`, a
   * plain timer, fires before the waiting answer is read).
   */
  private bounded<T>(answer: Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      let done = false;
      const timer = setTimeout(
        () =>
          setImmediate(() => {
            if (done) return;
            done = true;
            reject(new Error(`Redis did not answer within ${this.timeoutMs} ms`));
          }),
        this.timeoutMs,
      );
      answer.then(
        (value) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

function windowOf([count, msLeft]: Counts): Window {
  return { count, msBeforeReset: msLeft };
}

/** Longest wait for a connection to Redis to open. */
const CONNECT_TIMEOUT_MS = 2000;

/** Reconnect forever: soon at first, then every second. */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 100, 1000);
}
