/**
 * When each application secret was last used, written off the token request's path: a request
 * only sets a bit in the application cache's row (`ApplicationCache.noteSecretUse`); this takes
 * the noted uses from the follower's tick, at most once a minute, and writes them in one batch
 * (`Storage.recordSecretUse`), to the minute. No request ever waits for it: a write that fails
 * (the database busy or away) keeps its uses for the next try, and SQLite's write gives up at
 * once rather than wait for another process's write lock on the request thread.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { ApplicationCache } from '../cache/application-cache.js';
import { DatabaseBusyError, type SecretUse, type Storage } from '../storage/types.js';

/** How often noted uses are written: at most once a minute (and `last_used_at` is to the minute). */
export const SECRET_USE_FLUSH_INTERVAL_MS = 60_000;
/** After a failed write, the next try. */
const RETRY_MS = 10_000;
/** Uses per write: a SQLite write holds the thread, so a large batch goes in parts with a pause between. */
const CHUNK = 1000;

/** Epoch ms, down to the minute. */
export function toMinute(epochMs: number): number {
  return Math.floor(epochMs / 60_000) * 60_000;
}

/** Writes the secret uses an {@link ApplicationCache} notes (see the module). */
export class SecretUseRecorder {
  private readonly applications: ApplicationCache;
  private readonly storage: Storage;
  private readonly logger: Logger | undefined;
  /** Uses taken but not written yet, by application and secret. */
  private pending = new Map<string, SecretUse>();
  private nextAt: number;
  private writing: Promise<void> | undefined;
  private failing = false;

  constructor(applications: ApplicationCache, storage: Storage, now: number, logger?: Logger) {
    this.applications = applications;
    this.storage = storage;
    this.logger = logger;
    this.nextAt = now + SECRET_USE_FLUSH_INTERVAL_MS;
  }

  /** Called often (the change follower's tick, with the app's clock): starts a write when one is due. */
  tick(now: number): void {
    if (now < this.nextAt || this.writing !== undefined) return;
    this.writing = this.flush(now).finally(() => {
      this.writing = undefined;
    });
  }

  /**
   * Takes the uses noted so far (stamped `now`, to the minute) and writes them with any a failed
   * write left; resolves when done, and never rejects (a failure keeps them for the next try).
   */
  async flush(now: number): Promise<void> {
    const usedAt = toMinute(now);
    for (const { applicationId, secretId } of this.applications.takeSecretUses()) {
      this.keep({ applicationId, secretId, usedAt });
    }
    this.nextAt = now + SECRET_USE_FLUSH_INTERVAL_MS;
    if (this.pending.size === 0) return;
    const uses = [...this.pending.values()];
    this.pending = new Map();
    for (let start = 0; start < uses.length; start += CHUNK) {
      const chunk = uses.slice(start, start + CHUNK);
      try {
        if (start > 0) await new Promise((resolve) => setImmediate(resolve));
        await this.storage.recordSecretUse(chunk);
      } catch (error) {
        for (const use of uses.slice(start)) this.keep(use);
        this.nextAt = now + RETRY_MS;
        if (!this.failing) {
          this.failing = true;
          this.logger?.warn(
            error instanceof DatabaseBusyError ? {} : { err: error },
            'cannot record when secrets were last used yet; trying again shortly',
          );
        }
        return;
      }
    }
    this.failing = false;
  }

  /**
   * At close: waits for a write in progress, then writes what is left; for `boundMs` at most, so
   * a database that does not answer cannot hold up a shutdown (the uses are then lost: they are
   * bookkeeping, not data).
   */
  async close(now: number, boundMs = 1000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, boundMs);
    });
    const last = (async () => {
      await this.writing;
      await this.flush(now);
    })();
    await Promise.race([last, bound]);
    clearTimeout(timer);
  }

  private keep(use: SecretUse): void {
    const key = `${use.applicationId} ${use.secretId}`;
    const seen = this.pending.get(key);
    if (seen === undefined || seen.usedAt < use.usedAt) this.pending.set(key, use);
  }
}
