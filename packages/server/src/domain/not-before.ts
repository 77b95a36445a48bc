/**
 * The per-application not-before rule (`apps revoke-tokens`).
 *
 * Storage keeps `tokensNotBefore` in epoch milliseconds, but a token only carries `iat` in whole
 * seconds, so "issued before the instant" cannot be decided inside the second that holds the
 * instant. The rule therefore works on whole seconds:
 *
 * - a token is revoked when `iat < ceil(tokensNotBefore / 1000)`, i.e. when it was issued in a
 *   second that began before the not-before instant rounded up to a whole second;
 * - `apps revoke-tokens` records that rounded-up instant ({@link notBeforeInstant}) and returns
 *   only once it has passed, so every token issued before the command started is revoked and
 *   every token issued after it returned is active. Tokens issued while it runs (under a
 *   second) are revoked.
 *
 * A value that is not a whole second (written through the storage API directly) is rounded up
 * the same way: tokens issued later in that second are revoked too.
 *
 * @module
 */

/** The not-before instant `apps revoke-tokens` records at `now`: `now` rounded up to a whole second (epoch ms). */
export function notBeforeInstant(now: number = Date.now()): number {
  return Math.ceil(now / 1000) * 1000;
}

/**
 * Whether a token issued at `iat` (seconds) is revoked by the application's `tokensNotBefore`
 * (epoch ms, or null when never set).
 */
export function isRevokedByNotBefore(iat: number, tokensNotBefore: number | null): boolean {
  return tokensNotBefore !== null && iat < Math.ceil(tokensNotBefore / 1000);
}
