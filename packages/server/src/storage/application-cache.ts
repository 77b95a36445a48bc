import { AllowedScopes, type ScopeCatalogue } from '../domain/scopes.js';
import type { ApplicationRecord, Storage, TokenExpiration } from './types.js';

/** Token lifetime in seconds per expiration setting; 0 means the token does not expire. */
export const EXPIRES_IN: Readonly<Record<TokenExpiration, number>> = { '1d': 86400, '1w': 604800, never: 0 };

/**
 * What the token endpoint needs to know about an application, prepared once per change so
 * a token request is a map look-up and no database access.
 */
export interface CachedApplication {
  readonly id: string;
  readonly secretHash: Buffer;
  readonly active: boolean;
  readonly scopes: AllowedScopes;
  /** `expires_in` of issued tokens; 0 = never expires (no `exp` claim). */
  readonly expiresIn: number;
  /** Unix epoch ms, or null. Kept for revocation checks (another component enforces them). */
  readonly tokensNotBefore: number | null;
}

/** In-memory view of every application, loaded at start and patched as changes arrive. */
export class ApplicationCache {
  private readonly byId = new Map<string, CachedApplication>();
  private readonly neverExpiring = new Set<string>();
  private readonly catalogue: ScopeCatalogue;
  // Most applications share a handful of scope sets: prepare each set once (this keeps
  // loading 100,000 applications well under the 2-second budget).
  private readonly scopeSets = new Map<string, AllowedScopes>();

  constructor(catalogue: ScopeCatalogue) {
    this.catalogue = catalogue;
  }

  /** Number of cached applications. */
  get size(): number {
    return this.byId.size;
  }

  /** Whether any application issues never-expiring tokens (keeps retired keys published). */
  get anyNeverExpiring(): boolean {
    return this.neverExpiring.size > 0;
  }

  /** Returns the application, or undefined when unknown or deleted. */
  get(id: string): CachedApplication | undefined {
    return this.byId.get(id);
  }

  /** Replaces the whole cache with every application in storage. */
  async loadAll(storage: Storage): Promise<void> {
    const records = await storage.listApplications();
    this.byId.clear();
    this.neverExpiring.clear();
    for (const record of records) this.put(record);
  }

  /** Re-reads one application from storage (it may have been created, changed or deleted). */
  async refresh(storage: Storage, id: string): Promise<void> {
    const record = await storage.getApplication(id);
    if (record === null) this.remove(id);
    else this.put(record);
  }

  /** Caches (or replaces) one application. */
  put(record: ApplicationRecord): void {
    this.byId.set(record.id, {
      id: record.id,
      secretHash: record.secretHash,
      active: record.status === 'active',
      scopes: this.allowedScopes(record.scopes),
      expiresIn: EXPIRES_IN[record.tokenExpiration],
      tokensNotBefore: record.tokensNotBefore,
    });
    if (record.tokenExpiration === 'never') this.neverExpiring.add(record.id);
    else this.neverExpiring.delete(record.id);
  }

  private allowedScopes(scopes: readonly string[]): AllowedScopes {
    const key = scopes.join(' ');
    let allowed = this.scopeSets.get(key);
    if (allowed === undefined) {
      allowed = new AllowedScopes(this.catalogue, scopes);
      this.scopeSets.set(key, allowed);
    }
    return allowed;
  }

  /** Forgets one application. */
  remove(id: string): void {
    this.byId.delete(id);
    this.neverExpiring.delete(id);
  }
}
