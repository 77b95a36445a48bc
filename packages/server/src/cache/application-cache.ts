import { EXPIRES_IN, TOKEN_EXPIRATIONS } from '../contract/expiration.js';
import { AllowedScopes, type ScopeCatalogue } from '../domain/scopes.js';
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

/**
 * In-memory view of every application, loaded at start and patched as changes arrive, so a
 * token request is a table look-up and no database access.
 */
export class ApplicationCache {
  private readonly table = new ApplicationTable();
  private readonly catalogue: ScopeCatalogue;
  // Most applications share a handful of scope sets: each set is prepared once, and rows hold
  // its number (this also keeps startup with 100,000 applications short: see the bench's scale scenario).
  private readonly scopeSets: AllowedScopes[] = [];
  private readonly scopeSetNumbers = new Map<string, number>();
  private neverExpiring = 0;

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

  /** Replaces the whole cache with every application in storage. */
  async loadAll(storage: Storage): Promise<void> {
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
    else if (this.isNeverExpiring(slot)) this.neverExpiring -= 1;
    this.table.write(slot, {
      active: record.status === 'active',
      // A row holds the expiration as its index in TOKEN_EXPIRATIONS.
      expirationCode: TOKEN_EXPIRATIONS.indexOf(record.tokenExpiration),
      scopeSet: this.scopeSetNumber(record.scopes),
      secretHash: record.secretHash,
      tokensNotBefore: record.tokensNotBefore,
    });
    if (record.tokenExpiration === 'never') this.neverExpiring += 1;
  }

  /** Forgets one application. */
  remove(id: string): void {
    const slot = this.table.slotOf(id);
    if (slot === -1) return;
    if (this.isNeverExpiring(slot)) this.neverExpiring -= 1;
    this.table.remove(slot);
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
