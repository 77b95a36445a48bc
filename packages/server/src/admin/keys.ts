import { DEFAULT_SIGNING_ALGORITHM, type SigningAlgorithm } from '../keys/key-material.js';
import { type KeyRotation, rotateSigningKey } from '../keys/key-ring.js';
import { type SigningKeyState, signingKeyState } from '../keys/schedule.js';
import type { SigningKeyRecord, Storage } from '../storage/types.js';
import { awaitLatestChange } from '../sync/propagation.js';
import { type AdminActionOptions, auditEntry } from './audit.js';

/** Options of {@link rotateKeys}. */
export interface RotateKeysOptions extends AdminActionOptions {
  /** The new key's algorithm, which decides the `alg` of the tokens it signs. Default `EdDSA`. */
  readonly alg?: SigningAlgorithm | undefined;
  /**
   * How long the new key is in the JWKS before it signs, in ms; 0 signs at once (the emergency
   * path). Default `DEFAULT_PUBLISH_AHEAD_MS` (10 minutes: the JWKS max-age and a margin).
   */
  readonly publishAheadMs?: number | undefined;
}

/**
 * `keys rotate`: a new signing key, in the JWKS of every live server process when this resolves,
 * signing from `activatesAt` on (the key signing until then retires at that instant and stays
 * published while its tokens can be valid). A `next` key still waiting for its activation is
 * replaced: it never signs. The CLI and `POST /admin/v1/keys/rotate` both call it.
 *
 * @throws PropagationError when it was stored but a live server process did not confirm it in time.
 * @throws RangeError for a publish-ahead out of range
 */
export async function rotateKeys(
  storage: Storage,
  pepper: Buffer,
  now: number = Date.now(),
  options: RotateKeysOptions = {},
): Promise<KeyRotation> {
  const rotation = await rotateSigningKey(storage, pepper, now, {
    alg: options.alg ?? DEFAULT_SIGNING_ALGORITHM,
    publishAheadMs: options.publishAheadMs,
    audit: ({ kid, alg, activatesAt, replaced }) =>
      auditEntry(
        options,
        'signing_key.rotate',
        'signing_key',
        kid,
        {
          alg,
          activates_at: new Date(activatesAt).toISOString(),
          ...(replaced.length > 0 ? { replaced } : {}),
        },
        now,
      ),
  });
  await awaitLatestChange(storage, options);
  return rotation;
}

/** The public view of a signing key (never its private half), as `keys list` and the admin API show it. */
export interface SigningKeyView {
  readonly kid: string;
  readonly alg: string;
  /**
   * At the instant of the view: `next` is published and signs from `activates_at` on, `current`
   * signs new tokens, `retired` stays published while its tokens can be valid.
   */
  readonly state: SigningKeyState;
  /** ISO 8601: when it was made and published. */
  readonly created_at: string;
  /** ISO 8601: when it signs (or signed) from. */
  readonly activates_at: string;
  /** ISO 8601: when it stops (or stopped) signing; null while no newer key is planned. */
  readonly retired_at: string | null;
}

/** The view of `key` at `now` (epoch ms). */
export function viewSigningKey(key: SigningKeyRecord, now: number = Date.now()): SigningKeyView {
  return {
    kid: key.kid,
    alg: key.alg,
    state: signingKeyState(key, now),
    created_at: new Date(key.createdAt).toISOString(),
    activates_at: new Date(key.activatesAt).toISOString(),
    retired_at: key.retiredAt === null ? null : new Date(key.retiredAt).toISOString(),
  };
}

/** `keys list`: every signing key, newest first, with its state at `now`. */
export async function listKeys(storage: Storage, now: number = Date.now()): Promise<SigningKeyView[]> {
  const keys = await storage.listSigningKeys();
  return keys.sort((a, b) => b.createdAt - a.createdAt).map((key) => viewSigningKey(key, now));
}
