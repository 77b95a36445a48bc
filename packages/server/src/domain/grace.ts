/**
 * The grace period of a rotated secret (`apps rotate-secret --grace`, the admin API's `grace`):
 * how long the replaced secret keeps working next to the new one.
 *
 * @module
 */

/** The longest grace period: 30 days. A longer overlap is a second credential, not a rotation. */
export const MAX_GRACE_SECONDS = 30 * 86_400;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3_600, d: 86_400 };
const GRACE = /^(\d{1,10})([smhd]?)$/;

/** What {@link parseGrace} accepts, for error messages. */
export const GRACE_FORMAT = `a duration such as 0, 90s, 15m, 24h or 7d (a bare number is seconds), at most ${MAX_GRACE_SECONDS / 86_400}d`;

/**
 * Parses a grace period: `0`, `90s`, `15m`, `24h`, `7d`; a bare number is seconds. Returns whole
 * seconds, or undefined when it is malformed or longer than {@link MAX_GRACE_SECONDS}.
 */
export function parseGrace(value: string): number | undefined {
  const match = GRACE.exec(value.trim());
  if (match === null) return undefined;
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] === '' ? 's' : match[2]!]!;
  return isGraceSeconds(seconds) ? seconds : undefined;
}

/** Whether `value` is a grace period in whole seconds: an integer from 0 to {@link MAX_GRACE_SECONDS}. */
export function isGraceSeconds(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= MAX_GRACE_SECONDS;
}
