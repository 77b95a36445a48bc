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

/** Slots of the admission filter; a power of two. */
const DOORKEEPER_SLOTS = 1 << 14;

/**
 * A 32-bit fingerprint of a token from the last characters of its signature segment, which are
 * uniformly random. No allocation, no pass over the whole string. Never 0 (the empty slot).
 */
function fingerprint(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 12); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash === 0 ? 1 : hash;
}

/**
 * A bounded map from the raw token string to its verification result. Eviction is by insertion
 * order (the oldest entry goes first), so a hit costs one `Map.get` and no reordering.
 * A size of 0 disables caching.
 *
 * Admission (TinyLFU's "doorkeeper"): a token is cached the second time it is verified, not the
 * first. Tokens seen once (many short-lived clients, a scan of old tokens) would otherwise fill
 * the cache, evict the tokens that do repeat, and keep thousands of dead results alive into the
 * old generation of the heap. A fingerprint collision only admits a token early; the cache is
 * still keyed by the whole token string, so it can never return another token's result.
 */
export class TokenCache {
  readonly #max: number;
  readonly #map = new Map<string, CacheEntry>();
  readonly #seen = new Int32Array(DOORKEEPER_SLOTS);

  constructor(maxEntries: number) {
    this.#max = maxEntries;
  }

  /**
   * Whether a freshly verified `token` should be cached: true when it was seen recently (it
   * repeats), else remembers it and returns false.
   */
  admit(token: string): boolean {
    const print = fingerprint(token) | 0;
    const slot = print & (DOORKEEPER_SLOTS - 1);
    if (this.#seen[slot] === print) return true;
    this.#seen[slot] = print;
    return false;
  }

  /**
   * False when `token` cannot be in the cache because the admission filter has not seen it, so a
   * caller can skip the look-up (which hashes the whole token). Only meaningful when every entry
   * went through {@link admit}; a slot taken over by another token only costs one re-verification.
   */
  mayHold(token: string): boolean {
    const print = fingerprint(token) | 0;
    return this.#seen[print & (DOORKEEPER_SLOTS - 1)] === print;
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
    this.#seen.fill(0);
  }

  get size(): number {
    return this.#map.size;
  }
}
