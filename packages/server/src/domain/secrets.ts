import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PepperedHmac } from './secret-hmac.js';

/** Size of a pepper in bytes. */
const PEPPER_BYTES = 32;

/**
 * Makes a new Application Secret: base64url of 32 bytes (256 bits) from the CSPRNG.
 * Shown once (at creation or rotation) and stored only as {@link hashSecret}.
 */
export function newApplicationSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Hashes an Application Secret for storage: HMAC-SHA-256 keyed with the server-side pepper.
 *
 * Secrets are 256-bit random values, so a slow password hash (bcrypt, argon2) adds no
 * protection against guessing and would cost milliseconds per token request; the pepper
 * (kept outside the database) makes a stolen database alone useless.
 */
export function hashSecret(pepper: Buffer, secret: string): Buffer {
  return createHmac('sha256', pepper).update(secret).digest();
}

// Compared against when the Application ID is unknown, so an unknown ID costs the same
// HMAC and comparison as a wrong secret.
const DUMMY_HASH = randomBytes(32);

/**
 * Checks a presented secret against a stored hash in constant time. With `storedHash`
 * undefined (unknown application) the same work is done against a dummy hash and the result
 * is always false. `hmac` is the pepper's {@link PepperedHmac}: the same hash as
 * {@link hashSecret}, made faster for the token endpoint.
 */
export function verifySecret(
  hmac: PepperedHmac,
  presented: string,
  storedHash: Uint8Array | undefined,
): boolean {
  const presentedHash = hmac.digest(presented);
  const expected =
    storedHash !== undefined && storedHash.length === presentedHash.length ? storedHash : DUMMY_HASH;
  const equal = timingSafeEqual(presentedHash, expected);
  return equal && expected !== DUMMY_HASH;
}

/**
 * Which stored secret a presented one matched: an application has a current secret and, after a
 * rotation with a grace period, a previous one (the token endpoint's check is
 * `ApplicationCache.matchSecret`).
 */
export type SecretMatch = typeof NO_SECRET | typeof CURRENT_SECRET | typeof PREVIOUS_SECRET;
/** It matched no secret of the application (or the application is unknown). */
export const NO_SECRET = 0;
/** It matched the application's current secret. */
export const CURRENT_SECRET = 1;
/** It matched the application's previous secret, within its grace period. */
export const PREVIOUS_SECRET = 2;

/**
 * Reads the pepper from `path`, creating it (32 random bytes, mode 0600, parent folder
 * included) when it does not exist. The server and the admin CLI must read the same file.
 *
 * This does not know which database the pepper belongs to: the server and the admin commands
 * use `openPepper` (`keys/pepper-guard.ts`), which makes a pepper only for a new, empty
 * database and refuses one that does not match the database's.
 *
 * @throws Error when the file exists but does not hold exactly 32 bytes.
 */
export function loadOrCreatePepper(path: string): Buffer {
  return readPepper(path) ?? createPepper(path);
}

/**
 * Reads the pepper file at `path`; undefined when there is no such file.
 *
 * @throws Error (one line, naming the path, never the content) when the file cannot be read or
 *   does not hold exactly 32 bytes.
 */
export function readPepper(path: string): Buffer | undefined {
  let pepper: Buffer;
  try {
    pepper = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new Error(`cannot read the pepper file ${path}: ${code ?? (error as Error).message}`);
  }
  if (pepper.length !== PEPPER_BYTES) {
    throw new Error(
      `pepper file ${path} must hold exactly ${PEPPER_BYTES} bytes (it holds ${pepper.length})`,
    );
  }
  return pepper;
}

/**
 * Creates the pepper file at `path`: 32 random bytes, mode 0600 (parent folder included). When
 * another process created it first, returns theirs.
 */
export function createPepper(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      writeFileSync(path, randomBytes(PEPPER_BYTES), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process (server or admin CLI) created it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    chmodSafe(path);
  }
  const pepper = readPepper(path);
  if (pepper === undefined) throw new Error(`cannot create the pepper file ${path}`);
  return pepper;
}

/** What a pepper's fingerprint is the HMAC of. */
const FINGERPRINT_LABEL = 'smscx-oauth pepper fingerprint';

/**
 * The fingerprint a database records of its pepper: HMAC-SHA-256(pepper, a fixed label). It
 * tells whether a pepper file is the database's own, and reveals nothing of the pepper (finding
 * a pepper that matches it means guessing 256 random bits).
 */
export function pepperFingerprint(pepper: Buffer): Buffer {
  return createHmac('sha256', pepper).update(FINGERPRINT_LABEL).digest();
}

function chmodSafe(path: string): void {
  try {
    chmodSync(path, 0o600);
  } catch {
    // Not fatal (e.g. a read-only mount with an existing pepper); the file was created 0600.
  }
}
