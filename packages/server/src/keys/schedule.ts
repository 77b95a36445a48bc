/**
 * When each signing key signs: a key is published as soon as it is stored, signs from its
 * `activatesAt` on and stops signing at its `retiredAt` (the activation of the key that replaced
 * it). Every process derives a key's state from these two instants and its own clock, so every
 * process switches to a new key at the same instant without any message between them.
 *
 * @module
 */
import type { SigningKeyRecord } from '../storage/types.js';

/**
 * The `max-age` of the JWKS (`Cache-Control: public, max-age=300`, `routes/jwks.ts`): how long a
 * resource server that honours the header may go on using a JWKS it fetched.
 */
export const JWKS_MAX_AGE_SECONDS = 300;

/**
 * How long a new key is published before it signs, when the rotation does not say: 10 minutes,
 * the JWKS `max-age` (5 minutes) and as much again as margin (a shared cache in front of the
 * resource server that does not count the time the JWKS spent in it, a late refresh, the time
 * the rotation takes to reach every server process, clock differences between the processes).
 * A resource server that honours the cache header has refetched the JWKS, and so knows the new
 * `kid`, before the first token it signs exists.
 */
export const DEFAULT_PUBLISH_AHEAD_MS = 2 * JWKS_MAX_AGE_SECONDS * 1000;

/** The longest publish-ahead a rotation accepts: 30 days. */
export const MAX_PUBLISH_AHEAD_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * A key's state at an instant: `next` is published and not signing yet, `current` signs new
 * tokens, `retired` signs nothing more and stays published while its tokens can be valid
 * (`retention.ts`).
 */
export type SigningKeyState = 'next' | 'current' | 'retired';

/** The instants that decide a key's state. */
export type KeySchedule = Pick<SigningKeyRecord, 'activatesAt' | 'retiredAt'>;

/**
 * The state of `key` at `now` (epoch ms). A key replaced while it was still `next` has a
 * `retiredAt` before its `activatesAt`: it goes from `next` to `retired` without ever signing.
 */
export function signingKeyState(key: KeySchedule, now: number): SigningKeyState {
  if (key.retiredAt !== null && key.retiredAt <= now) return 'retired';
  return key.activatesAt > now ? 'next' : 'current';
}

/**
 * The key that signs at `now`: the `current` one (the latest activated, should there be more than
 * one). When none is (this clock is behind the one that made the first key of the database), the
 * earliest key not retired: the database's first key, which was never announced ahead.
 */
export function signingKeyAt<Key extends SigningKeyRecord>(
  keys: readonly Key[],
  now: number,
): Key | undefined {
  let current: Key | undefined;
  let earliest: Key | undefined;
  for (const key of keys) {
    const state = signingKeyState(key, now);
    if (state === 'current' && (current === undefined || key.activatesAt > current.activatesAt)) {
      current = key;
    }
    if (state !== 'retired' && (earliest === undefined || key.activatesAt < earliest.activatesAt)) {
      earliest = key;
    }
  }
  return current ?? earliest;
}

/** The first instant after `now` at which some key's state changes; Infinity when none will. */
export function nextScheduleChange(keys: readonly KeySchedule[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const key of keys) {
    if (key.activatesAt > now && key.activatesAt < next) next = key.activatesAt;
    if (key.retiredAt !== null && key.retiredAt > now && key.retiredAt < next) next = key.retiredAt;
  }
  return next;
}

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a publish-ahead duration: a whole number with a unit, `90s`, `15m`, `24h`, `7d`, or a bare
 * number of seconds (`0`: sign at once), as `apps rotate-secret --grace` and `--shutdown-timeout`
 * take them. Returns milliseconds, or undefined when `text` is not such a duration or exceeds
 * {@link MAX_PUBLISH_AHEAD_MS}.
 */
export function parsePublishAhead(text: string): number | undefined {
  const match = /^(\d{1,10})([smhd]?)$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2] === '' ? 's' : match[2]!]!;
  return ms <= MAX_PUBLISH_AHEAD_MS ? ms : undefined;
}

/** What a publish-ahead may be, for error messages. */
export const PUBLISH_AHEAD_FORMS =
  'a duration such as 90s, 15m, 24h or 7d (a bare number is seconds), at most 30d; 0 signs at once';

/** `ms` as the largest whole unit that divides it: `10m`, `90s`, `7d`, `0s`. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
