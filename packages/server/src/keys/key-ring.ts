import type { AuditEntry, SigningKeyRecord, Storage } from '../storage/types.js';
import { JwtSigner } from './jwt-signer.js';
import { generateSigningKeyRecord, loadSigningKey, publicJwkOf } from './key-material.js';
import { isKeyPublished, RETIRED_KEY_RETENTION_MS } from './retention.js';

/**
 * Makes sure the database holds a current signing key, generating one on first start.
 * Returns true when a key was created.
 */
export async function ensureSigningKey(
  storage: Storage,
  pepper: Buffer,
  now: number = Date.now(),
): Promise<boolean> {
  const keys = await storage.listSigningKeys();
  if (keys.some((key) => key.retiredAt === null)) return false;
  await storage.rotateSigningKey(generateSigningKeyRecord(pepper, now));
  return true;
}

/** What {@link rotateSigningKey} did. */
export interface KeyRotation {
  /** The new current key. */
  readonly kid: string;
  /** The keys it replaced (still published while their tokens can be valid). */
  readonly retired: string[];
  /** How many retired keys past retention were deleted. */
  readonly pruned: number;
}

/**
 * Makes a new current signing key, retiring the previous one (it stays in the JWKS for the
 * retention period), and drops retired keys past retention unless some application issues
 * never-expiring tokens (those may still need them).
 */
export async function rotateSigningKey(
  storage: Storage,
  pepper: Buffer,
  now: number = Date.now(),
  audit?: (kid: string) => AuditEntry,
): Promise<KeyRotation> {
  const before = await storage.listSigningKeys();
  const record = generateSigningKeyRecord(pepper, now);
  await storage.rotateSigningKey(record, audit?.(record.kid));
  const applications = await storage.listApplications();
  const pruned = applications.some((application) => application.tokenExpiration === 'never')
    ? 0
    : await storage.pruneSigningKeys(now - RETIRED_KEY_RETENTION_MS);
  return {
    kid: record.kid,
    retired: before.filter((key) => key.retiredAt === null).map((key) => key.kid),
    pruned,
  };
}

/**
 * The keys the running server uses: the current signer and the JWKS document, both rebuilt
 * only when the keys change (or retention may have dropped one).
 */
export class KeyRing {
  private signerValue: JwtSigner | undefined;
  private jwksBody = '{"keys":[]}';
  private records: SigningKeyRecord[] = [];
  private readonly pepper: Buffer;

  constructor(pepper: Buffer) {
    this.pepper = pepper;
  }

  /** The signer of the current key. @throws Error before the first {@link KeyRing.load}. */
  get signer(): JwtSigner {
    if (this.signerValue === undefined) throw new Error('no signing key loaded');
    return this.signerValue;
  }

  /** The JWKS document (`{"keys":[...]}`) as a JSON string. */
  get jwks(): string {
    return this.jwksBody;
  }

  /** Reloads keys from storage. */
  async load(storage: Storage, anyNeverExpiring: boolean, now: number = Date.now()): Promise<void> {
    this.records = await storage.listSigningKeys();
    const current = this.records.find((key) => key.retiredAt === null);
    if (current === undefined) throw new Error('the database holds no current signing key');
    if (this.signerValue?.kid !== current.kid) {
      this.signerValue = new JwtSigner(loadSigningKey(this.pepper, current));
    }
    this.publish(anyNeverExpiring, now);
  }

  /** Recomputes the JWKS from the loaded keys (retention depends on time and applications). */
  publish(anyNeverExpiring: boolean, now: number = Date.now()): void {
    const keys = this.records
      .filter((key) => isKeyPublished(key.retiredAt, now, anyNeverExpiring))
      .map(publicJwkOf);
    this.jwksBody = JSON.stringify({ keys });
  }
}
