/**
 * Retry decisions for API requests: which failures are worth another attempt, and how long to
 * wait before it (exponential backoff with full jitter, or the server's own hint).
 */

/** First backoff step in ms (the wait before retry #1 is uniform in [0, 500)). */
export const BASE_DELAY_MS = 500;
/** Upper bound of one backoff step in ms. */
export const MAX_DELAY_MS = 8_000;
/** 429 and every 5xx are transient; other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599);
}

/** Methods that may be sent twice (RFC 9110 §9.2.2): only these are retried after a 5xx or a lost connection. */
export function isIdempotent(method: string): boolean {
  return /^(GET|HEAD|OPTIONS|PUT|DELETE|TRACE)$/i.test(method);
}

/**
 * Full-jitter backoff (AWS Architecture Blog, "Exponential Backoff And Jitter"): a uniform
 * random wait in [0, min(cap, base * 2^retryIndex)), so clients that failed together do not
 * retry together.
 *
 * @param retryIndex - 0 for the first retry.
 * @param random - a function returning [0, 1), injectable for tests.
 * @param cap - upper bound of the wait (`maxRetryDelayMs`); default 8 s.
 */
export function backoffDelayMs(retryIndex: number, random: () => number, cap = MAX_DELAY_MS): number {
  const ceiling = Math.min(MAX_DELAY_MS, cap, BASE_DELAY_MS * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/**
 * The wait the server asked for, in ms, or undefined when it gave no usable hint.
 *
 * `Retry-After` wins (delta-seconds or an HTTP date, RFC 9110 §10.2.3). Otherwise
 * `X-Rate-Limit-Reset`, an absolute Unix time in seconds, is measured against the response's
 * own `Date` header rather than the local clock, so a skewed local clock neither makes us
 * hammer the server nor sleep for hours. Only without a `Date` header is the local clock used.
 *
 * @param headers - response headers.
 * @param localNowMs - the local clock, used only when the response has no `Date`.
 */
export function serverRequestedWaitMs(headers: Headers, localNowMs: number): number | undefined {
  const serverDate = Date.parse(headers.get('date') ?? '');
  const referenceMs = Number.isFinite(serverDate) ? serverDate : localNowMs;

  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+$/.test(retryAfter)) return Number(retryAfter) * 1000;
    const at = Date.parse(retryAfter);
    if (Number.isFinite(at)) return Math.max(0, at - referenceMs);
  }

  const reset = headers.get('x-rate-limit-reset')?.trim();
  if (reset && /^\d+(\.\d+)?$/.test(reset)) {
    return Math.max(0, Math.ceil(Number(reset) * 1000 - referenceMs));
  }
  return undefined;
}
