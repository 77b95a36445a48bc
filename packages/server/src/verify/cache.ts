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

const slotOf = (print: number): number => print & (DOORKEEPER_SLOTS - 1);

/**
 * A 32-bit fingerprint of a token from the last characters of its signature segment, which are
 * uniformly random. No allocation, no pass over the whole string. Never 0 (the empty slot).
 */
function fingerprint(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - 12); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash === 0 ? 1 : hash | 0;
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
 * still keyed by the whole token string, so it can never return another token's result. With
 * `admitAll` (introspection: every answer saves a round trip) every token is cached at once.
 */
export class TokenCache {
  readonly #max: number;
  readonly #admitAll: boolean;
  readonly #map = new Map<string, CacheEntry>();
  readonly #seen = new Int32Array(DOORKEEPER_SLOTS);

  constructor(maxEntries: number, admitAll = false) {
    this.#max = maxEntries;
    this.#admitAll = admitAll;
  }

  /**
   * The cached entry of `token`. A token the admission filter has not seen cannot be cached, so
   * it is answered without the look-up (which hashes the whole token); a filter slot taken over
   * by another token only costs one re-verification.
   */
  get(token: string): CacheEntry | undefined {
    if (!this.#admitAll) {
      const print = fingerprint(token);
      if (this.#seen[slotOf(print)] !== print) return undefined;
    }
    return this.#map.get(token);
  }

  /**
   * Caches the entry of a token just verified or re-checked: at once when it was cached before
   * (`wasCached`) or with `admitAll`, else from its second sighting on.
   */
  offer(token: string, entry: CacheEntry, wasCached: boolean): void {
    if (wasCached || this.#admitAll || this.#admit(token)) this.set(token, entry);
  }

  // True when `token` was seen recently (it repeats), else remembers it and returns false.
  #admit(token: string): boolean {
    const print = fingerprint(token);
    const slot = slotOf(print);
    if (this.#seen[slot] === print) return true;
    this.#seen[slot] = print;
    return false;
  }

  private set(token: string, entry: CacheEntry): void {
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
