import { DEFAULT_SIGNING_ALGORITHM, type SigningAlgorithm } from '../keys/key-material.js';
import { type KeyRotation, rotateSigningKey } from '../keys/key-ring.js';
import type { Storage } from '../storage/types.js';
import { awaitLatestChange } from '../sync/propagation.js';
import { type AdminActionOptions, auditEntry } from './audit.js';

/** Options of {@link rotateKeys}. */
export interface RotateKeysOptions extends AdminActionOptions {
  /** The new key's algorithm, which decides the `alg` of the tokens it signs. Default `EdDSA`. */
  readonly alg?: SigningAlgorithm | undefined;
}

/**
 * `keys rotate`: a new current signing key (the old one stays published while its tokens can be
 * valid), in force on every live server process when this resolves. The CLI and
 * `POST /admin/v1/keys/rotate` both call it.
 *
 * @throws PropagationError when it was stored but a live server process did not confirm it in time.
 */
export async function rotateKeys(
  storage: Storage,
  pepper: Buffer,
  now: number = Date.now(),
  options: RotateKeysOptions = {},
): Promise<KeyRotation> {
  const rotation = await rotateSigningKey(
    storage,
    pepper,
    now,
    (kid) =>
      auditEntry(
        options,
        'signing_key.rotate',
        'signing_key',
        kid,
        { alg: options.alg ?? DEFAULT_SIGNING_ALGORITHM },
        now,
      ),
    options.alg ?? DEFAULT_SIGNING_ALGORITHM,
  );
  await awaitLatestChange(storage, options);
  return rotation;
}
