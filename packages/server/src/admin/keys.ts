import { type KeyRotation, rotateSigningKey } from '../keys/key-ring.js';
import type { Storage } from '../storage/types.js';
import { awaitLatestChange } from '../sync/propagation.js';
import { type AdminActionOptions, auditEntry } from './audit.js';

/**
 * `keys rotate`: a new current signing key (the old one stays published while its tokens can be
 * valid), in force on every live server process when this resolves.
 *
 * @throws PropagationError when it was stored but a live server process did not confirm it in time.
 */
export async function rotateKeys(
  storage: Storage,
  pepper: Buffer,
  now: number = Date.now(),
  options: AdminActionOptions = {},
): Promise<KeyRotation> {
  const rotation = await rotateSigningKey(storage, pepper, now, (kid) =>
    auditEntry(options, 'signing_key.rotate', 'signing_key', kid, {}, now),
  );
  await awaitLatestChange(storage, options);
  return rotation;
}
