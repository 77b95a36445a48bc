import { randomBytes, randomFillSync } from 'node:crypto';

const APPLICATION_ID_PATTERN = /^[0-9a-f]{40}$/;

/**
 * Makes a new Application ID: 40 lowercase hex characters (20 random bytes).
 * The ID is public; only the secret authenticates.
 */
export function newApplicationId(): string {
  return randomBytes(20).toString('hex');
}

/** Tells whether `value` has the shape of an Application ID (40 lowercase hex characters). */
export function isApplicationId(value: string): boolean {
  return APPLICATION_ID_PATTERN.test(value);
}

const SECRET_ID_PATTERN = /^sc_[0-9a-f]{12}$/;

/**
 * Makes a new secret ID: `sc_` and 12 lowercase hex characters (6 random bytes). Public: it
 * names one of an application's secrets (`apps show`, `apps revoke-secret`) and says nothing of
 * the secret. Unique within an application, which is all it needs to be.
 */
export function newSecretId(): string {
  return `sc_${randomBytes(SECRET_ID_BYTES).toString('hex')}`;
}

/** Tells whether `value` has the shape of a secret ID (`sc_` and 12 lowercase hex characters). */
export function isSecretId(value: string): boolean {
  return SECRET_ID_PATTERN.test(value);
}

/** The random bytes of a secret ID (its 12 hex characters). */
export const SECRET_ID_BYTES = 6;

// One pooled buffer of random bytes, refilled when used up: a JWT ID per token is on the hot
// path and a single 4 KiB fill is far cheaper than 256 separate 16-byte calls.
const JTI_BYTES = 16;
const POOL_SIZE = JTI_BYTES * 256;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let poolOffset = POOL_SIZE;

/** Makes a new JWT ID (`jti`): base64url of 16 random bytes from the CSPRNG. */
export function newTokenId(): string {
  if (poolOffset >= POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const id = pool.toString('base64url', poolOffset, poolOffset + JTI_BYTES);
  poolOffset += JTI_BYTES;
  return id;
}
