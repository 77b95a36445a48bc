/**
 * Follows the storage change log so this process serves what other processes wrote (the admin
 * CLI, other workers, other instances), and reports what it has applied so an admin change can
 * wait until every live process serves it (see `propagation.ts`).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ChangeRecord, Storage } from '../storage/types.js';

/** Default poll interval: a change is applied within this, even without push notifications. */
export const CHANGE_POLL_INTERVAL_MS = 50;
/** How often a process refreshes its row in the process table. */
export const HEARTBEAT_INTERVAL_MS = 500;
/**
 * A process whose last heartbeat is older than this counts as gone (crashed or stopped without
 * unregistering): admin changes stop waiting for it.
 */
export const PROCESS_LIVENESS_MS = 2000;

/** A process table row this much older than its last heartbeat is deleted at the next start. */
const STALE_PROCESS_ROW_MS = 24 * 60 * 60 * 1000;

/** Callbacks for what changed. */
export interface ChangeHandlers {
  /** An application was created, changed or deleted. */
  application(id: string): Promise<void>;
  /** The signing keys changed (rotation or pruning). */
  signingKeys(): Promise<void>;
  /** A token was put on the denylist (`jti`). Without this handler such changes are skipped. */
  revokedToken?(jti: string): Promise<void>;
  /** Called every poll (changes or not), e.g. to let key retention age out. */
  tick?(): void;
}

/** Options of {@link ChangeFollower}. */
export interface ChangeFollowerOptions {
  /**
   * Where failures of background work go (the follower keeps going): called once when following
   * starts failing (database unreachable), not on every poll of the outage.
   */
  readonly onError: (error: unknown) => void;
  /** Called once when following works again after {@link onError}. */
  readonly onRecovered?: () => void;
  /** How the process appears in an admin command's "lagging" message. Default `<host> pid <pid>`. */
  readonly label?: string;
}

/**
 * Applies changes from the change log and reports, in the storage's process table, the last
 * change this process serves. Changes arrive by push when the storage has it (PostgreSQL
 * LISTEN/NOTIFY) and by polling always, so a lost notification only delays a change by one poll.
 * Polls never overlap.
 *
 * Order of use: {@link register} → {@link markCurrent} → load the caches → {@link start}.
 * Registering first means an admin change made while this process loads either finds it in the
 * process table (and waits for it) or was written before {@link markCurrent} read the log (and
 * is in what this process loads).
 */
export class ChangeFollower {
  /** This process start's row in the process table. */
  readonly processId = randomUUID();
  private label: string;
  private lastSeq = 0;
  private reportedSeq = -1;
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  private running: Promise<void> | undefined;
  private pushed = false;
  private failing = false;
  private caughtUp = 0;
  private readonly storage: Storage;
  private readonly handlers: ChangeHandlers;
  private readonly options: ChangeFollowerOptions;

  constructor(storage: Storage, handlers: ChangeHandlers, options: ChangeFollowerOptions) {
    this.storage = storage;
    this.handlers = handlers;
    this.options = options;
    this.label = options.label ?? `${hostname()} pid ${process.pid}`;
  }

  /** The last change sequence number this process has applied. */
  get appliedSeq(): number {
    return this.lastSeq;
  }

  /** Whether following fails now: from a failed poll or heartbeat until one works again (readiness). */
  get isFailing(): boolean {
    return this.failing;
  }

  /**
   * When this process last knew it had applied every change of the log (epoch ms): the start of
   * the read that found no more, or of the full load. How current it is (readiness, the lag metric).
   */
  get caughtUpAt(): number {
    return this.caughtUp;
  }

  /**
   * Adds this process to the process table (as having applied nothing yet), and drops the rows
   * of processes gone for a day: a crashed process never unregisters, and rows of those only
   * appear at starts, so clearing them at each start keeps the table small.
   */
  async register(): Promise<void> {
    await this.storage.pruneProcesses(Date.now() - STALE_PROCESS_ROW_MS);
    await this.storage.registerProcess({ id: this.processId, label: this.label, appliedSeq: 0 });
  }

  /** Renames this process in the process table (e.g. with its URL once it listens). */
  async relabel(label: string): Promise<void> {
    this.label = label;
    await this.storage.registerProcess({ id: this.processId, label, appliedSeq: this.lastSeq });
  }

  /** Marks the current end of the log as seen (call right before a full load). */
  async markCurrent(): Promise<void> {
    const at = Date.now();
    this.lastSeq = await this.storage.latestChange();
    this.caughtUp = at;
  }

  /** Reports what was loaded, then follows: push when available, a poll every `intervalMs`, heartbeats. */
  async start(intervalMs: number = CHANGE_POLL_INTERVAL_MS): Promise<void> {
    await this.report();
    this.unsubscribe = await this.storage.subscribeChanges(() => this.onPush());
    this.timer = setInterval(() => this.pollInBackground(), intervalMs);
    this.timer.unref();
    this.heartbeat = setInterval(() => {
      this.storage.reportProcess(this.processId, this.lastSeq).then(this.succeeded, this.failed);
    }, HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
  }

  /** Stops following, waits for a poll in progress and leaves the process table. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
    await this.unsubscribe?.().catch(this.failed);
    this.unsubscribe = undefined;
    while (this.running !== undefined) await this.running;
    await this.storage.unregisterProcess(this.processId).catch(this.failed);
  }

  /** Applies every change written so far, now: after a poll in progress, one more. */
  async catchUp(): Promise<void> {
    while (this.running !== undefined) await this.running;
    const poll = this.poll();
    this.running = poll.then(
      () => this.finishPoll(),
      () => this.finishPoll(),
    );
    await poll;
  }

  /** Applies every change since the last poll and reports the new position. */
  async poll(): Promise<void> {
    let askedAt: number;
    for (;;) {
      askedAt = Date.now();
      const changes = await this.storage.changesSince(this.lastSeq, 1000);
      if (changes.length === 0) break;
      await this.apply(changes);
      this.lastSeq = changes[changes.length - 1]!.seq;
      if (changes.length < 1000) break;
    }
    this.caughtUp = askedAt;
    this.handlers.tick?.();
    await this.report();
  }

  private onPush(): void {
    // A notification during a poll may be about a change that poll did not read: poll again after it.
    if (this.running !== undefined) this.pushed = true;
    else this.pollInBackground();
  }

  private pollInBackground(): void {
    if (this.running !== undefined) return;
    this.running = this.poll()
      .then(this.succeeded, this.failed)
      .finally(() => this.finishPoll());
  }

  // One log line per outage, not one per poll (20 a second).
  private readonly failed = (error: unknown): void => {
    // After an outage longer than PROCESS_LIVENESS_MS this process counts as gone, and admin
    // changes do not wait for it, until it reports again: the first poll that works reports at
    // once (not at the next heartbeat, up to 500 ms later, while changes go unconfirmed).
    this.reportedSeq = -1;
    if (this.failing) return;
    this.failing = true;
    this.options.onError(error);
  };

  private readonly succeeded = (): void => {
    if (!this.failing) return;
    this.failing = false;
    this.options.onRecovered?.();
  };

  private finishPoll(): void {
    this.running = undefined;
    if (this.pushed) {
      this.pushed = false;
      this.pollInBackground();
    }
  }

  private async report(): Promise<void> {
    if (this.lastSeq === this.reportedSeq) return;
    await this.storage.reportProcess(this.processId, this.lastSeq);
    this.reportedSeq = this.lastSeq;
  }

  private async apply(changes: ChangeRecord[]): Promise<void> {
    const applications = new Set<string>();
    const revoked: string[] = [];
    let keys = false;
    for (const change of changes) {
      if (change.entity === 'application') applications.add(change.entityId);
      else if (change.entity === 'revoked_token') revoked.push(change.entityId);
      else keys = true;
    }
    for (const id of applications) await this.handlers.application(id);
    if (keys) await this.handlers.signingKeys();
    if (this.handlers.revokedToken !== undefined) {
      for (const jti of revoked) await this.handlers.revokedToken(jti);
    }
  }
}
