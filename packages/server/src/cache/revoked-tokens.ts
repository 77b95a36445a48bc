import type { RevokedTokenRecord, Storage } from '../storage/types.js';

/**
 * Denylist entries are dropped this long after their token expired: a margin for clocks of
 * other processes (the server's own checks use no leeway).
 */
export const REVOKED_TOKEN_GRACE_MS = 5 * 60 * 1000;

/** How often expired entries are dropped from memory (and from storage). */
export const REVOKED_TOKEN_PRUNE_INTERVAL_MS = 60 * 60 * 1000;

/**
 * The in-memory view of the jti denylist: loaded at start and kept fresh by the change-log
 * follower (another process's revocation is seen within one poll), so checking a token costs
 * one `Map` look-up and no database access.
 */
export class RevokedTokens {
  /** jti → expiry in epoch ms (Infinity for never-expiring tokens). */
  private readonly byJti = new Map<string, number>();
  private lastPrune = 0;

  /** Number of entries held. */
  get size(): number {
    return this.byJti.size;
  }

  /** Whether `jti` is revoked. */
  has(jti: string): boolean {
    return this.byJti.has(jti);
  }

  /** Adds one entry (a revocation made by this process, or read from storage). */
  add(record: Pick<RevokedTokenRecord, 'jti' | 'expiresAt'>): void {
    this.byJti.set(record.jti, record.expiresAt ?? Number.POSITIVE_INFINITY);
  }

  /** Replaces the view with every entry storage still holds for tokens unexpired at `now` (less the grace). */
  async loadAll(storage: Storage, now: number): Promise<void> {
    const records = await storage.listRevokedTokens(now - REVOKED_TOKEN_GRACE_MS);
    this.byJti.clear();
    for (const record of records) this.add(record);
  }

  /** Re-reads one entry (a change-log notification). */
  async refresh(storage: Storage, jti: string): Promise<void> {
    const record = await storage.getRevokedToken(jti);
    if (record === null) this.byJti.delete(jti);
    else this.add(record);
  }

  /**
   * At most once per {@link REVOKED_TOKEN_PRUNE_INTERVAL_MS}: drops entries of tokens expired
   * more than {@link REVOKED_TOKEN_GRACE_MS} before `now` from memory and storage. Returns the
   * storage prune, if one ran.
   */
  prune(storage: Storage, now: number): Promise<number> | undefined {
    if (now - this.lastPrune < REVOKED_TOKEN_PRUNE_INTERVAL_MS) return undefined;
    this.lastPrune = now;
    const cutoff = now - REVOKED_TOKEN_GRACE_MS;
    for (const [jti, expiresAt] of this.byJti) if (expiresAt < cutoff) this.byJti.delete(jti);
    return storage.pruneRevokedTokens(cutoff);
  }
}
