import { EXPIRES_IN, TOKEN_EXPIRATIONS } from '../contract/expiration.js';
import { AllowedScopes, type ScopeCatalogue } from '../domain/scopes.js';
import type { PepperedHmac } from '../domain/secret-hmac.js';
import { CURRENT_SECRET, NO_SECRET, PREVIOUS_SECRET, type SecretMatch } from '../domain/secrets.js';
import type { ApplicationRecord, Storage } from '../storage/types.js';
import { ApplicationTable } from './application-table.js';

/**
 * What the token endpoint needs to know about an application. A fresh value per look-up, read
 * from the application's row: keep it for one request, not longer.
 */
export interface CachedApplication {
  readonly id: string;
  /** The application's row in the cache; another application may get it once this one is deleted. */
  readonly slot: number;
  /** Tells this application apart from earlier holders of its slot (see {@link ApplicationTable.serial}). */
  readonly serial: number;
  readonly active: boolean;
  readonly scopes: AllowedScopes;
  /** `expires_in` of issued tokens; 0 = never expires (no `exp` claim). */
  readonly expiresIn: number;
  /** Unix epoch ms, or null. Kept for revocation checks (another component enforces them). */
  readonly tokensNotBefore: number | null;
}

/** A secret that authenticated a request since the last {@link ApplicationCache.takeSecretUses}. */
export interface NotedSecretUse {
  readonly applicationId: string;
  readonly secretId: string;
}

/**
 * In-memory view of every application, loaded at start and patched as changes arrive, so a
 * token request is a table look-up and no database access. It also notes which secrets
 * authenticated requests, for their `last_used_at` (`sync/secret-use.ts` writes them out).
 */
export class ApplicationCache {
  private readonly table = new ApplicationTable();
  private readonly catalogue: ScopeCatalogue;
  // Most applications share a handful of scope sets: each set is prepared once, and rows hold
  // its number (this also keeps startup with 100,000 applications short: see the bench's scale scenario).
  private readonly scopeSets: AllowedScopes[] = [];
  private readonly scopeSetNumbers = new Map<string, number>();
  private neverExpiring = 0;
  // Uses taken from rows before their secrets changed or the application went.
  private setAside: NotedSecretUse[] = [];

  constructor(catalogue: ScopeCatalogue) {
    this.catalogue = catalogue;
  }

  /** Number of cached applications. */
  get size(): number {
    return this.table.size;
  }

  /** Whether any application issues never-expiring tokens (keeps retired keys published). */
  get anyNeverExpiring(): boolean {
    return this.neverExpiring > 0;
  }

  /** Returns the application, or undefined when unknown or deleted. */
  get(id: string): CachedApplication | undefined {
    const slot = this.table.slotOf(id);
    if (slot === -1) return undefined;
    const table = this.table;
    return {
      id,
      slot,
      serial: table.serial(slot),
      active: table.active(slot),
      scopes: this.scopeSets[table.scopeSet(slot)]!,
      expiresIn: EXPIRES_IN[TOKEN_EXPIRATIONS[table.expirationCode(slot)]!],
      tokensNotBefore: table.tokensNotBefore(slot),
    };
  }

  /**
   * A view of the stored secret hash of `application` (the HMAC-SHA-256 of its secret): for one
   * comparison, right away.
   */
  secretHash(application: CachedApplication): Uint8Array {
    return this.table.secretHash(application.slot);
  }

  /**
   * Which secret of `application` (undefined: an unknown ID) `presented` is, at `now` (epoch ms,
   * the app's clock: a previous secret counts before its grace period ends). One HMAC and two
   * constant-time comparisons, with the current and the previous hash (zeros when there is none;
   * a dummy row for an unknown ID), both always made in full: the work does not depend on which
   * matches, or whether any does (`ApplicationTable.compareSecretHashes`).
   */
  matchSecret(
    application: CachedApplication | undefined,
    hmac: PepperedHmac,
    presented: string,
    now: number,
  ): SecretMatch {
    const slot = application === undefined ? -1 : application.slot;
    const equal = this.table.compareSecretHashes(slot, hmac.digestWords(presented));
    if (slot === -1) return NO_SECRET;
    const previousValid = now < this.table.previousSecretExpiresAt(slot);
    if ((equal & CURRENT_SECRET) !== 0) return CURRENT_SECRET;
    return (equal & PREVIOUS_SECRET) !== 0 && previousValid ? PREVIOUS_SECRET : NO_SECRET;
  }

  /** Notes that `which` secret of `application` authenticated a request (memory only: a bit). */
  noteSecretUse(application: CachedApplication, which: SecretMatch): void {
    if (which !== NO_SECRET) this.table.noteSecretUse(application.slot, which);
  }

  /** Every secret use noted since the last call, once each (no order). */
  takeSecretUses(): NotedSecretUse[] {
    const uses = this.setAside;
    this.setAside = [];
    for (const slot of this.table.takeUsedSlots()) this.takeUses(slot, uses);
    return uses;
  }

  /** Moves the uses noted in `slot` (under the IDs of the secrets it holds now) to `into`. */
  private takeUses(slot: number, into: NotedSecretUse[]): void {
    const used = this.table.takeSecretUses(slot);
    if (used === 0) return;
    const applicationId = this.table.id(slot);
    for (const which of [1, 2] as const) {
      if ((used & which) === 0) continue;
      const secretId = this.table.secretId(slot, which);
      if (secretId !== undefined) into.push({ applicationId, secretId });
    }
  }

  /** Replaces the whole cache with every application in storage. */
  async loadAll(storage: Storage): Promise<void> {
    this.setAsideAll();
    this.table.clear();
    this.neverExpiring = 0;
    await storage.forEachApplication((record) => this.put(record));
  }

  /** Re-reads one application from storage (it may have been created, changed or deleted). */
  async refresh(storage: Storage, id: string): Promise<void> {
    const record = await storage.getApplication(id);
    if (record === null) this.remove(id);
    else this.put(record);
  }

  /** Caches (or replaces) one application. */
  put(record: ApplicationRecord): void {
    let slot = this.table.slotOf(record.id);
    if (slot === -1) slot = this.table.add(record.id);
    else {
      if (this.isNeverExpiring(slot)) this.neverExpiring -= 1;
      // Its secrets may change: uses noted so far are of the secrets it holds now.
      this.takeUses(slot, this.setAside);
    }
    const previous = record.previousSecret;
    this.table.write(slot, {
      active: record.status === 'active',
      // A row holds the expiration as its index in TOKEN_EXPIRATIONS.
      expirationCode: TOKEN_EXPIRATIONS.indexOf(record.tokenExpiration),
      scopeSet: this.scopeSetNumber(record.scopes),
      secretHash: record.secretHash,
      tokensNotBefore: record.tokensNotBefore,
      secretId: record.secretId,
      previousSecret:
        previous === null ? null : { id: previous.id, hash: previous.hash, expiresAt: previous.expiresAt },
    });
    if (record.tokenExpiration === 'never') this.neverExpiring += 1;
  }

  /** Forgets one application. */
  remove(id: string): void {
    const slot = this.table.slotOf(id);
    if (slot === -1) return;
    if (this.isNeverExpiring(slot)) this.neverExpiring -= 1;
    this.takeUses(slot, this.setAside);
    this.table.remove(slot);
  }

  private setAsideAll(): void {
    for (const slot of this.table.takeUsedSlots()) this.takeUses(slot, this.setAside);
  }

  private isNeverExpiring(slot: number): boolean {
    return TOKEN_EXPIRATIONS[this.table.expirationCode(slot)] === 'never';
  }

  private scopeSetNumber(scopes: readonly string[]): number {
    const key = scopes.join(' ');
    let number = this.scopeSetNumbers.get(key);
    if (number === undefined) {
      number = this.scopeSets.push(new AllowedScopes(this.catalogue, scopes)) - 1;
      this.scopeSetNumbers.set(key, number);
    }
    return number;
  }
}
