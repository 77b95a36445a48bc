/**
 * How long a retired signing key stays in the JWKS: the longest finite token lifetime
 * (1 week) plus a day of margin for clock skew and late verifiers. When any application
 * issues never-expiring tokens, retired keys are kept forever (such tokens stay verifiable).
 */
export const RETIRED_KEY_RETENTION_MS = (7 + 1) * 24 * 60 * 60 * 1000;

/**
 * Tells whether a key retired at `retiredAt` must still be published. Retention counts from the
 * instant the key stopped signing (the activation of its successor), so a key whose `retiredAt`
 * is still ahead (it signs until its `next` successor activates) is published, as are `next` and
 * `current` keys (`retiredAt` null).
 *
 * @param anyNeverExpiring - whether some application has token expiration `never`
 */
export function isKeyPublished(retiredAt: number | null, now: number, anyNeverExpiring: boolean): boolean {
  if (retiredAt === null || anyNeverExpiring) return true;
  return now - retiredAt < RETIRED_KEY_RETENTION_MS;
}
