import type { AuditEntry, SigningKeyRecord, Storage } from '../storage/types.js';
import { JwtSigner } from './jwt-signer.js';
import {
  DEFAULT_SIGNING_ALGORITHM,
  generateSigningKeyRecord,
  generateSigningKeyRecordOffThread,
  loadSigningKey,
  publicJwkOf,
  type SigningAlgorithm,
} from './key-material.js';
import { isKeyPublished, RETIRED_KEY_RETENTION_MS } from './retention.js';
import {
  DEFAULT_PUBLISH_AHEAD_MS,
  MAX_PUBLISH_AHEAD_MS,
  nextScheduleChange,
  signingKeyAt,
  signingKeyState,
} from './schedule.js';

/**
 * Makes sure the database holds a signing key, generating one on first start (it signs at once).
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
  /** The new key. */
  readonly kid: string;
  /** Its JWS algorithm: the `alg` of the tokens it signs. */
  readonly alg: SigningAlgorithm;
  /** When it was made and published (epoch ms). */
  readonly createdAt: number;
  /** When it starts signing (epoch ms): `createdAt` plus the publish-ahead actually applied. */
  readonly activatesAt: number;
  /**
   * The key that signed when the rotation was made: it goes on signing until {@link activatesAt},
   * then retires (and stays published while its tokens can be valid).
   */
  readonly retired: string[];
  /** `next` keys this rotation replaced: retired at once, they never sign. */
  readonly replaced: string[];
  /** How many retired keys past retention were deleted. */
  readonly pruned: number;
}

/** What the audit entry of a rotation is made from. */
export interface PlannedRotation {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly activatesAt: number;
  readonly replaced: readonly string[];
}

/** Options of {@link rotateSigningKey}. */
export interface RotateSigningKeyOptions {
  /** The new key's algorithm. Default EdDSA. */
  readonly alg?: SigningAlgorithm | undefined;
  /**
   * How long the new key is published before it signs, in ms (0 to sign at once; at most
   * {@link MAX_PUBLISH_AHEAD_MS}). Default {@link DEFAULT_PUBLISH_AHEAD_MS}. A database whose
   * keys sign nothing yet (none, or none activated) gets a key that signs at once.
   */
  readonly publishAheadMs?: number | undefined;
  /** The audit entry to record with the new key, in the same transaction. */
  readonly audit?: ((rotation: PlannedRotation) => AuditEntry) | undefined;
}

/**
 * Makes a new signing key of algorithm `alg` (default EdDSA), published at once and signing
 * `publishAheadMs` later (default {@link DEFAULT_PUBLISH_AHEAD_MS}), when the key signing now
 * retires (it stays in the JWKS for the retention period from then on, whatever its algorithm). A
 * `next` key not activated yet is replaced: retired at once, it never signs. Then drops retired
 * keys past retention unless some application issues never-expiring tokens (those may still need
 * them).
 *
 * @throws RangeError for a publish-ahead that is negative, not whole or above the maximum
 */
export async function rotateSigningKey(
  storage: Storage,
  pepper: Buffer,
  now: number = Date.now(),
  options: RotateSigningKeyOptions = {},
): Promise<KeyRotation> {
  const alg = options.alg ?? DEFAULT_SIGNING_ALGORITHM;
  const ahead = options.publishAheadMs ?? DEFAULT_PUBLISH_AHEAD_MS;
  if (!Number.isSafeInteger(ahead) || ahead < 0 || ahead > MAX_PUBLISH_AHEAD_MS) {
    throw new RangeError(`publish-ahead must be a whole number of ms from 0 to ${MAX_PUBLISH_AHEAD_MS}`);
  }
  const before = await storage.listSigningKeys();
  const signing = before.filter((key) => signingKeyState(key, now) === 'current').map((key) => key.kid);
  const replaced = before.filter((key) => signingKeyState(key, now) === 'next').map((key) => key.kid);
  const made = await generateSigningKeyRecordOffThread(pepper, now, alg);
  // Announcing ahead protects the resource servers from a key they do not know yet; with no
  // key signing, there are no tokens and nothing to protect: the first key signs at once.
  const record = { ...made, activatesAt: signing.length === 0 ? now : now + ahead };
  await storage.rotateSigningKey(
    record,
    options.audit?.({ kid: record.kid, alg, activatesAt: record.activatesAt, replaced }),
  );
  const applications = await storage.listApplications();
  const pruned = applications.some((application) => application.tokenExpiration === 'never')
    ? 0
    : await storage.pruneSigningKeys(now - RETIRED_KEY_RETENTION_MS);
  return {
    kid: record.kid,
    alg,
    createdAt: now,
    activatesAt: record.activatesAt,
    retired: signing,
    replaced,
    pruned,
  };
}

/**
 * The keys the running server uses: the signer of the key in force and the JWKS document (every
 * `next` and `current` key, and the retired ones within retention). The JWKS is rebuilt when the
 * keys change or time passes ({@link KeyRing.publish}, once a second); the signer switches at the
 * exact instant the schedule says ({@link KeyRing.signerAt}), by this process's clock.
 */
export class KeyRing {
  private signerValue: JwtSigner | undefined;
  /** When the signer must be chosen again: the next activation or retirement (epoch ms). */
  private signerUntil = Number.POSITIVE_INFINITY;
  /** Prepared signers of the keys not retired at the last load (`current` and `next`). */
  private signers = new Map<string, JwtSigner>();
  private jwksBody = '{"keys":[]}';
  private records: SigningKeyRecord[] = [];
  private readonly pepper: Buffer;

  constructor(pepper: Buffer) {
    this.pepper = pepper;
  }

  /**
   * The signer chosen at the last {@link KeyRing.load}, {@link KeyRing.publish} or
   * {@link KeyRing.signerAt}. @throws Error before the first {@link KeyRing.load}.
   */
  get signer(): JwtSigner {
    if (this.signerValue === undefined) throw new Error('no signing key loaded');
    return this.signerValue;
  }

  /**
   * The signer of the key in force at `now` (epoch ms): a `next` key signs nothing before its
   * activation, and from that instant on it signs everything. One comparison unless the schedule
   * changes at or before `now`. @throws Error before the first {@link KeyRing.load}.
   */
  signerAt(now: number): JwtSigner {
    if (now >= this.signerUntil) this.select(now);
    return this.signer;
  }

  /** The JWKS document (`{"keys":[...]}`) as a JSON string. */
  get jwks(): string {
    return this.jwksBody;
  }

  /**
   * Reloads keys from storage. The keys that sign now or later are decrypted here, so a key this
   * process cannot use fails the load, not its activation.
   */
  async load(storage: Storage, anyNeverExpiring: boolean, now: number = Date.now()): Promise<void> {
    const records = await storage.listSigningKeys();
    if (signingKeyAt(records, now) === undefined)
      throw new Error('the database holds no current signing key');
    const signers = new Map<string, JwtSigner>();
    for (const record of records) {
      if (signingKeyState(record, now) === 'retired') continue;
      signers.set(
        record.kid,
        this.signers.get(record.kid) ?? new JwtSigner(loadSigningKey(this.pepper, record)),
      );
    }
    this.records = records;
    this.signers = signers;
    this.select(now);
    this.publish(anyNeverExpiring, now);
  }

  /**
   * Recomputes the JWKS from the loaded keys (retention depends on time and applications), and
   * switches the signer when a key activated since.
   */
  publish(anyNeverExpiring: boolean, now: number = Date.now()): void {
    if (now >= this.signerUntil) this.select(now);
    const keys = this.records
      .filter((key) => isKeyPublished(key.retiredAt, now, anyNeverExpiring))
      .map(publicJwkOf);
    this.jwksBody = JSON.stringify({ keys });
  }

  /** Chooses the signer of the key in force at `now`, and when to choose again. */
  private select(now: number): void {
    const key = signingKeyAt(this.records, now);
    if (key === undefined) return;
    let signer = this.signers.get(key.kid);
    if (signer === undefined) {
      signer = new JwtSigner(loadSigningKey(this.pepper, key));
      this.signers.set(key.kid, signer);
    }
    this.signerValue = signer;
    this.signerUntil = nextScheduleChange(this.records, now);
  }
}
