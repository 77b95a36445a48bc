/**
 * `smscx-client/file-store`: a {@link TokenStore} on the file system, with a cross-process lock,
 * so parallel CLI runs, cluster workers or warm serverless invocations on one machine share one
 * access token. Node.js, Bun and Deno (it uses `node:fs`); not for browsers.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import process from 'node:process';
import type { OauthTokenResponse, ReleaseLock, StoredToken, TokenStore } from '../index.js';
import { sha256Hex } from '../internal/sha256.js';

/** Options of {@link FileTokenStore}. */
export interface FileTokenStoreOptions {
  /** Longest wait for the lock, in ms; past it the manager goes on without it. Default 30000. */
  lockTimeoutMs?: number | undefined;
  /**
   * A lock older than this (ms) is taken over: its holder is presumed dead. Default 60000. A
   * lock of a process that no longer runs on this machine is taken over at once.
   */
  staleLockMs?: number | undefined;
}

/** What one token file holds. */
interface TokenFile {
  key: string;
  token: OauthTokenResponse;
  expiresAt?: number;
}

/** What one lock file holds. */
interface LockFile {
  pid: number;
  host: string;
  at: number;
}

/**
 * Keeps each token in its own file (`<hash of the key>.json`, mode 0600) in `directory`
 * (created with mode 0700), written atomically (a temporary file renamed over it). Its lock is
 * a `<hash>.lock` file created exclusively: of the processes that miss the cache at once, one
 * asks for a token and the others wait for it and read it.
 *
 * @example
 * ```ts
 * import { FileTokenStore } from 'smscx-client/file-store';
 * const tokens = new TokenManager({ configuration, store: new FileTokenStore('/var/cache/myapp/smscx') });
 * ```
 */
export class FileTokenStore implements TokenStore {
  /** The folder that holds the token and lock files. */
  readonly directory: string;
  /** Longest wait for the lock, in ms. */
  readonly lockTimeoutMs: number;
  /** Age in ms past which a lock is taken over. */
  readonly staleLockMs: number;
  #ready: Promise<void> | undefined;

  /**
   * @param directory - folder for the token and lock files (created when missing, mode 0700).
   * @param options - lock timeouts; see {@link FileTokenStoreOptions}.
   * @throws TypeError when `directory` is empty or an option is not a positive number.
   */
  constructor(directory: string, options: FileTokenStoreOptions = {}) {
    if (typeof directory !== 'string' || directory === '') {
      throw new TypeError('FileTokenStore: a directory is required');
    }
    this.directory = directory;
    this.lockTimeoutMs = positive('lockTimeoutMs', options.lockTimeoutMs, 30_000);
    this.staleLockMs = positive('staleLockMs', options.staleLockMs, 60_000);
  }

  /** The token stored under `key`, or `undefined` (also for a missing or unreadable file). */
  async get(key: string): Promise<StoredToken | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path(key, 'json'), 'utf8');
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw error;
    }
    let parsed: Partial<TokenFile>;
    try {
      parsed = JSON.parse(text) as Partial<TokenFile>;
    } catch {
      return undefined; // a torn or foreign file: as if there were none
    }
    if (parsed.key !== key || typeof parsed.token !== 'object' || parsed.token === null) return undefined;
    return {
      token: parsed.token,
      expiresAt: typeof parsed.expiresAt === 'number' ? parsed.expiresAt : undefined,
    };
  }

  /** Writes the token file atomically (readers see the old or the new file, never half of one). */
  async set(key: string, token: OauthTokenResponse, expiresAt: number | undefined): Promise<void> {
    await this.#ensureDirectory();
    const file: TokenFile = { key, token, ...(expiresAt === undefined ? {} : { expiresAt }) };
    const target = this.#path(key, 'json');
    const temporary = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(temporary, JSON.stringify(file), { mode: 0o600, flag: 'wx' });
      await rename(temporary, target);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  /**
   * Takes the key's lock: creates `<hash>.lock` exclusively, waiting (polling) while another
   * process holds it, taking it over when its holder is gone or it is older than `staleLockMs`.
   *
   * @throws Error after `lockTimeoutMs` without the lock.
   */
  async lock(key: string): Promise<ReleaseLock> {
    await this.#ensureDirectory();
    const path = this.#path(key, 'lock');
    const content: LockFile = { pid: process.pid, host: hostName(), at: Date.now() };
    const started = Date.now();
    for (;;) {
      try {
        const handle = await open(path, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(content));
        } finally {
          await handle.close();
        }
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          await rm(path, { force: true });
        };
      } catch (error) {
        if (codeOf(error) !== 'EEXIST') throw error;
      }
      if (await this.#takeOverIfStale(path)) continue;
      if (Date.now() - started >= this.lockTimeoutMs) {
        throw new Error(`FileTokenStore: lock ${path} still held after ${this.lockTimeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 20));
    }
  }

  /** Removes the lock at `path` when its holder is gone; true when it did. */
  async #takeOverIfStale(path: string): Promise<boolean> {
    let holder: Partial<LockFile> | undefined;
    let age: number;
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      age = Date.now() - info.mtimeMs;
      try {
        holder = JSON.parse(text) as Partial<LockFile>;
      } catch {
        holder = undefined; // being written right now, or torn by a crash: judged by age
      }
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return true; // released meanwhile: try again at once
      throw error;
    }
    const dead =
      holder !== undefined &&
      holder.host === hostName() &&
      typeof holder.pid === 'number' &&
      holder.pid !== process.pid &&
      !isAlive(holder.pid);
    if (!dead && age < this.staleLockMs) return false;
    // Move it aside first: of several processes taking over, only one rename succeeds.
    const aside = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.stale`;
    try {
      await rename(path, aside);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return true;
      throw error;
    }
    await unlink(aside).catch(() => {});
    return true;
  }

  #path(key: string, extension: 'json' | 'lock'): string {
    return join(this.directory, `${sha256Hex(key).slice(0, 40)}.${extension}`);
  }

  #ensureDirectory(): Promise<void> {
    this.#ready ??= mkdir(this.directory, { recursive: true, mode: 0o700 }).then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready;
  }
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new TypeError(`FileTokenStore: ${name} must be a positive number`);
  }
  return value;
}

/** This machine's name ('' where the runtime may not tell, e.g. Deno without --allow-sys). */
function hostName(): string {
  try {
    return hostname();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Only "no such process" means dead: EPERM (someone else's) or a runtime that may not ask
    // (Deno without --allow-run) must not break a live lock.
    return codeOf(error) !== 'ESRCH';
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
