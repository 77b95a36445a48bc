import type { ChangeRecord, Storage } from '../storage/types.js';

/** Default poll interval: admin changes reach the server well within a second. */
export const CHANGE_POLL_INTERVAL_MS = 250;

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

/**
 * Follows the storage change log from another process's writes (the admin CLI) and hands
 * each change to the handlers. Polls off the request path; a poll never overlaps the previous.
 */
export class ChangeFollower {
  private lastSeq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly storage: Storage;
  private readonly handlers: ChangeHandlers;
  private readonly onError: (error: unknown) => void;

  constructor(storage: Storage, handlers: ChangeHandlers, onError: (error: unknown) => void) {
    this.storage = storage;
    this.handlers = handlers;
    this.onError = onError;
  }

  /** Marks the current end of the log as seen (call right before a full load). */
  async markCurrent(): Promise<void> {
    this.lastSeq = await this.storage.latestChange();
  }

  /** Starts polling every `intervalMs`. */
  start(intervalMs: number = CHANGE_POLL_INTERVAL_MS): void {
    this.timer = setInterval(() => {
      if (this.running !== undefined) return;
      this.running = this.poll()
        .catch(this.onError)
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  /** Applies every change written so far, now: after a poll in progress, one more. */
  async catchUp(): Promise<void> {
    while (this.running !== undefined) await this.running;
    const poll = this.poll();
    this.running = poll
      .catch(() => {})
      .finally(() => {
        this.running = undefined;
      });
    await poll;
  }

  /** Stops polling and waits for a poll in progress. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Applies every change since the last poll. */
  async poll(): Promise<void> {
    for (;;) {
      const changes = await this.storage.changesSince(this.lastSeq, 1000);
      if (changes.length === 0) break;
      await this.apply(changes);
      this.lastSeq = changes[changes.length - 1]!.seq;
      if (changes.length < 1000) break;
    }
    this.handlers.tick?.();
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
