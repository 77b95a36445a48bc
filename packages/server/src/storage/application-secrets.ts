/**
 * The rules of an application's two secrets, as both storages apply them inside their write
 * transactions: a rotation keeps the replaced secret as the previous one for its grace period,
 * or drops it, and is refused while a previous secret still works (at most two secrets); only
 * the previous secret can be revoked.
 *
 * @module
 */
import type { ApplicationRecord, SecretRevocationResult, SecretRotation } from './types.js';

/**
 * `application` with the new current secret of `rotation`; undefined when its previous secret
 * still works at `rotation.now` (at most two secrets).
 */
export function rotated(
  application: ApplicationRecord,
  rotation: SecretRotation,
): ApplicationRecord | undefined {
  const previous = application.previousSecret;
  if (previous !== null && rotation.now < previous.expiresAt) return undefined;
  const keep = rotation.previousExpiresAt !== null && rotation.previousExpiresAt > rotation.now;
  return {
    ...application,
    secretHash: rotation.secret.hash,
    secretHint: rotation.secret.hint,
    secretId: rotation.secret.id,
    secretCreatedAt: rotation.secret.createdAt,
    secretLastUsedAt: null,
    previousSecret: keep
      ? {
          id: application.secretId,
          hash: application.secretHash,
          hint: application.secretHint,
          createdAt: application.secretCreatedAt,
          expiresAt: rotation.previousExpiresAt!,
          lastUsedAt: application.secretLastUsedAt,
        }
      : null,
    updatedAt: rotation.now,
  };
}

/** The outcome of revoking secret `secretId` of `application` at `now`. */
export function withoutSecret(
  application: ApplicationRecord,
  secretId: string,
  now: number,
): SecretRevocationResult {
  if (secretId === application.secretId) return { outcome: 'current_secret', application };
  const previous = application.previousSecret;
  if (previous === null || previous.id !== secretId || now >= previous.expiresAt)
    return { outcome: 'no_such_secret', application };
  return { outcome: 'revoked', application: { ...application, previousSecret: null, updatedAt: now } };
}
