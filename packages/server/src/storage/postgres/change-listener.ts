/**
 * Push notification of change-log appends over one dedicated PostgreSQL connection that
 * LISTENs on {@link CHANGES_CHANNEL} (a pooled connection cannot: LISTEN belongs to a session).
 * A lost connection is re-established with backoff, and every subscriber is called once after
 * that, because notifications sent while it was down are gone: the subscriber reads the log.
 *
 * @module
 */
import pg from 'pg';
import { CHANGES_CHANNEL } from './connection.js';

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 5000;

/** Fans the notifications of one LISTEN connection out to subscribers. */
export class ChangeListener {
  private readonly settings: pg.ClientConfig;
  // A wrapper object per subscription, so subscribing one function twice counts twice.
  private readonly listeners = new Set<{ readonly call: () => void }>();
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay = RECONNECT_MIN_MS;
  private closed = false;
  // Subscribe, unsubscribe, reconnect and close run one at a time: no two connects can race.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(settings: pg.ClientConfig) {
    this.settings = settings;
  }

  /**
   * Calls `listener` after every notification; resolves once the connection listens, so any
   * change committed after that is notified (or at once while a lost connection is being
   * re-established: the reconnect calls every subscriber).
   *
   * @returns a function that unsubscribes (and closes the connection after the last one)
   * @throws when the first connection attempt fails
   */
  async subscribe(listener: () => void): Promise<() => Promise<void>> {
    const entry = { call: listener };
    await this.serially(async () => {
      if (this.closed) throw new Error('the storage is closed');
      this.listeners.add(entry);
      if (this.client !== undefined || this.retryTimer !== undefined) return;
      try {
        await this.connect();
      } catch (error) {
        this.listeners.delete(entry);
        throw error;
      }
    });
    return () =>
      this.serially(async () => {
        if (!this.listeners.delete(entry) || this.listeners.size > 0) return;
        await this.disconnect();
      });
  }

  /** Drops every subscription and the connection. */
  async close(): Promise<void> {
    await this.serially(async () => {
      this.closed = true;
      this.listeners.clear();
      await this.disconnect();
    });
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.queue.then(operation);
    this.queue = result.catch(() => {});
    return result;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.settings);
    // Without an 'error' listener a dropped socket would be an uncaught exception: report it
    // as a lost connection instead. 'end' covers a server-side close that errors nothing.
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (message) => {
      if (message.channel === CHANGES_CHANNEL) this.notifyAll();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.client = client;
  }

  private async disconnect(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryDelay = RECONNECT_MIN_MS;
    const client = this.client;
    // Cleared first, so the 'end' event of this deliberate close is not taken for a loss.
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = undefined;
    client.end().catch(() => {});
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.listeners.size === 0 || this.retryTimer !== undefined) return;
    // Jitter, so instances that lost the database together do not reconnect in lockstep.
    const delay = this.retryDelay * (0.5 + Math.random() / 2);
    this.retryDelay = Math.min(this.retryDelay * 2, RECONNECT_MAX_MS);
    this.retryTimer = setTimeout(() => {
      void this.serially(() => this.reconnect());
    }, delay);
    // Retrying must not keep a process alive that has nothing else to do.
    this.retryTimer.unref();
  }

  private async reconnect(): Promise<void> {
    this.retryTimer = undefined;
    if (this.closed || this.listeners.size === 0 || this.client !== undefined) return;
    try {
      await this.connect();
    } catch {
      // Still unreachable: the followers keep polling (and report the outage) meanwhile.
      this.scheduleReconnect();
      return;
    }
    this.retryDelay = RECONNECT_MIN_MS;
    // Whatever was appended while the connection was down was not notified.
    this.notifyAll();
  }

  private notifyAll(): void {
    for (const listener of this.listeners) {
      try {
        listener.call();
      } catch {
        // A listener only schedules a read of the log; one that throws must not take down the
        // connection's event handling (or the process) or starve the other listeners.
      }
    }
  }
}
