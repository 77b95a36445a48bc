import type { KeyEntry } from './jwks.js';
import type { VerifiedAccessToken } from './types.js';

/** What the verifier remembers about one token string that passed every local check. */
export interface CacheEntry {
  /** The frozen result handed to every caller. */
  readonly result: VerifiedAccessToken;
  /** Epoch ms after which the token is expired (`exp` + leeway); Infinity when it never expires. */
  readonly notAfter: number;
  /** The key that verified the signature; a retired key invalidates the entry. */
  readonly key: KeyEntry;
  /** Last introspection answer (always true without introspection). */
  active: boolean;
  /** Epoch ms until which {@link CacheEntry.active} may be trusted; Infinity without introspection. */
  statusUntil: number;
}

/**
 * A bounded map from the raw token string to its verification result. Eviction is by insertion
 * order (the oldest entry goes first), so a hit costs one `Map.get` and no reordering.
 * A size of 0 disables caching.
 */
export class TokenCache {
  readonly #max: number;
  readonly #map = new Map<string, CacheEntry>();

  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  get(token: string): CacheEntry | undefined {
    return this.#map.get(token);
  }

  set(token: string, entry: CacheEntry): void {
    if (this.#max === 0) return;
    if (!this.#map.has(token) && this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(token, entry);
  }

  delete(token: string): void {
    this.#map.delete(token);
  }

  clear(): void {
    this.#map.clear();
  }

  get size(): number {
    return this.#map.size;
  }
}
