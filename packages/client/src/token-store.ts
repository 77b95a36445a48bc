import { sha256Hex } from './internal/sha256.js';
import type { OauthTokenResponse } from './models/oauth-token-response.js';

/** A token as a {@link TokenStore} keeps it. */
export interface StoredToken {
  /** The token response as the server sent it. */
  token: OauthTokenResponse;
  /** When the token expires, in ms since the epoch; `undefined` when it never expires. */
  expiresAt: number | undefined;
}

/** Releases a lock taken with {@link TokenStore.lock}. */
export type ReleaseLock = () => Promise<void> | void;

/**
 * Where a {@link TokenManager} keeps tokens beyond its own memory, so that other instances,
 * processes or serverless invocations reuse a token instead of asking for a new one (the server
 * rate-limits token requests). Methods may return values or promises.
 *
 * Ready-made: {@link MemoryTokenStore} (the default) and `FileTokenStore` from
 * `smscx-client/file-store` (Node, Bun and Deno: shared by processes on one machine). For a
 * cluster, implement the three methods on Redis, a database or a KV store.
 *
 * @example
 * ```ts
 * const store: TokenStore = {
 *   get: async (key) => JSON.parse((await redis.get(key)) ?? 'null') ?? undefined,
 *   set: async (key, token, expiresAt) => {
 *     await redis.set(key, JSON.stringify({ token, expiresAt }), ...(expiresAt ? ['PXAT', expiresAt] : []));
 *   },
 * };
 * const tokens = new TokenManager({ configuration, store });
 * ```
 */
export interface TokenStore {
  /** The token stored under `key`, or `undefined`. May return an expired one: the manager checks. */
  get(key: string): Promise<StoredToken | undefined> | StoredToken | undefined;
  /** Stores `token` under `key`; `expiresAt` is in ms since the epoch, `undefined` for never. */
  set(key: string, token: OauthTokenResponse, expiresAt: number | undefined): Promise<void> | void;
  /**
   * Optional: takes an exclusive lock on `key` (waiting for it) and resolves to its release.
   * With it, only one of the instances that miss the cache at once asks for a token; the
   * others wait and then read it from the store.
   */
  lock?(key: string): Promise<ReleaseLock>;
}

/**
 * Keeps tokens in this process's memory: the default store of a {@link TokenManager} (one per
 * manager). Share one instance between managers to share their tokens; its lock makes
 * managers with the same credentials and scope ask for one token between them.
 */
export class MemoryTokenStore implements TokenStore {
  readonly #tokens = new Map<string, StoredToken>();
  readonly #locks = new Map<string, Promise<void>>();

  /** The token stored under `key`, if any. */
  get(key: string): StoredToken | undefined {
    return this.#tokens.get(key);
  }

  /** Stores a token under `key`. */
  set(key: string, token: OauthTokenResponse, expiresAt: number | undefined): void {
    this.#tokens.set(key, { token, expiresAt });
  }

  /** Waits for the previous holder of `key`'s lock, then holds it until the release is called. */
  async lock(key: string): Promise<ReleaseLock> {
    const previous = this.#locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.#locks.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    };
  }
}

/**
 * The key a {@link TokenManager} stores its token under: the host, the Application ID, a hash of
 * the secret and the scope set (sorted, duplicates removed), so a changed secret or scope never
 * reuses a token. The secret itself is never part of it.
 *
 * @param parts - what identifies the token.
 */
export function tokenCacheKey(parts: {
  host: string;
  username: string;
  password: string;
  scope?: string | undefined;
}): string {
  const scopes = [...new Set((parts.scope ?? '').split(/\s+/).filter(Boolean))].sort().join(' ');
  const secretHash = sha256Hex(`smscx-client token cache\n${parts.password}`).slice(0, 32);
  return `smscx-token:v1:${[parts.host, parts.username, secretHash, scopes].map(encodeURIComponent).join(':')}`;
}
