import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { type AsymmetricAlgorithm, keyFitsAlgorithm } from './algorithms.js';
import { TokenVerificationError } from './errors.js';

/** A JSON Web Key Set as published at `{issuer}/.well-known/jwks.json` (RFC 7517 §5). */
export interface JsonWebKeySet {
  keys: readonly JsonWebKey[];
}

/** One imported verification key. */
export interface KeyEntry {
  readonly kid: string;
  readonly key: KeyObject;
  /** The allowed algorithms this key may verify (its type matches, and its `alg` if it names one). */
  readonly algorithms: ReadonlySet<string>;
  /** The public members the entry was built from; equal fingerprints reuse the KeyObject. */
  readonly fingerprint: string;
  /** Set when a refetched JWKS no longer holds this key: cached tokens it signed stop verifying. */
  retired: boolean;
}

/** Where the verifier finds keys: a static set or a remote JWKS. */
export interface KeySource {
  /** Synchronous lookup in what is loaded; undefined when unknown or nothing is loaded yet. */
  lookup(kid: string): KeyEntry | undefined;
  /**
   * Lookup that may (re)fetch.
   * @throws {TokenVerificationError} `keys_unavailable` when no key set could ever be loaded.
   */
  resolve(kid: string): Promise<KeyEntry | undefined>;
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'alg'] as const;

function fingerprintOf(jwk: JsonWebKey): string {
  return JSON.stringify(PUBLIC_MEMBERS.map((m) => jwk[m] ?? null));
}

/**
 * Imports the usable signature keys of a JWKS. Keys without a `kid`, with `use` other than `sig`,
 * `key_ops` without `verify`, unfit for every allowed algorithm, or that fail to import are skipped;
 * for a repeated `kid` the first usable key wins. Entries of `previous` whose key is unchanged are reused.
 *
 * @throws {TypeError} when `jwks` is not an object with a `keys` array.
 */
export function importKeySet(
  jwks: unknown,
  allowed: readonly AsymmetricAlgorithm[],
  previous?: ReadonlyMap<string, KeyEntry>,
): Map<string, KeyEntry> {
  const list = (jwks as { keys?: unknown } | null)?.keys;
  if (typeof jwks !== 'object' || !Array.isArray(list))
    throw new TypeError('A JWKS must be an object with a keys array');
  const entries = new Map<string, KeyEntry>();
  for (const item of list as unknown[]) {
    if (typeof item !== 'object' || item === null) continue;
    const jwk = item as JsonWebKey;
    const kid = jwk.kid;
    if (typeof kid !== 'string' || kid === '' || entries.has(kid)) continue;
    if (jwk.use !== undefined && jwk.use !== 'sig') continue;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify')))
      continue;
    const fingerprint = fingerprintOf(jwk);
    const old = previous?.get(kid);
    if (old !== undefined && old.fingerprint === fingerprint) {
      entries.set(kid, old);
      continue;
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      continue;
    }
    const algorithms = new Set<string>();
    for (const alg of allowed) {
      if ((jwk.alg === undefined || jwk.alg === alg) && keyFitsAlgorithm(key, alg)) algorithms.add(alg);
    }
    if (algorithms.size === 0) continue;
    entries.set(kid, { kid, key, algorithms, fingerprint, retired: false });
  }
  if (previous !== undefined) {
    for (const [kid, entry] of previous) if (entries.get(kid) !== entry) entry.retired = true;
  }
  return entries;
}

/** A fixed key set given in the options. */
export class StaticKeySource implements KeySource {
  readonly #keys: Map<string, KeyEntry>;

  /** @throws {TypeError} when the set holds no key usable with the allowed algorithms. */
  constructor(jwks: JsonWebKeySet, allowed: readonly AsymmetricAlgorithm[]) {
    this.#keys = importKeySet(jwks, allowed);
    if (this.#keys.size === 0) {
      throw new TypeError(
        `keys holds no verification key usable with ${allowed.join(', ')} (each needs a kid)`,
      );
    }
  }

  lookup(kid: string): KeyEntry | undefined {
    return this.#keys.get(kid);
  }

  resolve(kid: string): Promise<KeyEntry | undefined> {
    return Promise.resolve(this.#keys.get(kid));
  }
}

/** Options of {@link RemoteKeySource}; see `VerifierOptions` for the meaning and defaults. */
export interface RemoteKeySourceOptions {
  url: string;
  allowed: readonly AsymmetricAlgorithm[];
  fetch: typeof fetch;
  now: () => number;
  cooldownMs: number;
  maxAgeMs: number;
  timeoutMs: number;
}

/**
 * A JWKS fetched from a URL and cached. An unknown `kid` triggers a refetch, at most one per
 * `cooldownMs` (measured from the start of the previous fetch, successful or not); concurrent
 * callers share one in-flight request. A set older than `maxAgeMs` is refreshed in the background
 * while the loaded keys keep serving. A failed fetch keeps the previous keys.
 */
export class RemoteKeySource implements KeySource {
  readonly #options: RemoteKeySourceOptions;
  #keys = new Map<string, KeyEntry>();
  #loaded = false;
  #loadedAt = 0;
  #lastAttempt = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | undefined;
  #lastError: unknown;

  constructor(options: RemoteKeySourceOptions) {
    this.#options = options;
  }

  lookup(kid: string): KeyEntry | undefined {
    if (!this.#loaded) return undefined;
    const entry = this.#keys.get(kid);
    if (entry !== undefined && this.#options.now() - this.#loadedAt > this.#options.maxAgeMs)
      this.#backgroundRefresh();
    return entry;
  }

  async resolve(kid: string): Promise<KeyEntry | undefined> {
    const known = this.lookup(kid);
    if (known !== undefined) return known;
    if (this.#inflight !== undefined) {
      await this.#inflight;
    } else if (this.#options.now() - this.#lastAttempt >= this.#options.cooldownMs) {
      await this.#refresh();
    }
    if (!this.#loaded) throw new TokenVerificationError('keys_unavailable', { cause: this.#lastError });
    return this.#keys.get(kid);
  }

  #backgroundRefresh(): void {
    if (this.#inflight === undefined && this.#options.now() - this.#lastAttempt >= this.#options.cooldownMs) {
      void this.#refresh();
    }
  }

  /** Starts (or joins) a fetch; never rejects. */
  #refresh(): Promise<void> {
    this.#inflight ??= this.#load().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #load(): Promise<void> {
    const { url, fetch: fetchFn, timeoutMs, allowed, now } = this.#options;
    this.#lastAttempt = now();
    try {
      const response = await fetchFn(url, {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`JWKS endpoint answered HTTP ${response.status}`);
      }
      this.#keys = importKeySet(await response.json(), allowed, this.#keys);
      this.#loaded = true;
      this.#loadedAt = now();
      this.#lastError = undefined;
    } catch (err) {
      this.#lastError = err;
    }
  }
}
