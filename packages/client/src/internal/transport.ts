import type { FetchLike } from '../configuration.js';
import { ApiConnectionException, ApiException, ApiTimeoutException } from '../core/errors.js';

/** One HTTP exchange with its body already read (the timeout covers the body too). */
export interface RawResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The whole response body as text. */
  body: string;
}

/**
 * Sends one request and reads the whole body, bounded by `timeoutMs` and the caller's signal.
 *
 * The two signals are combined by hand rather than with `AbortSignal.any` (Node 20.3+ only),
 * so the same code runs on every runtime, and so we can tell "our timeout fired" apart from
 * "the caller aborted": only the former is an {@link ApiTimeoutException}.
 *
 * @throws ApiTimeoutException when `timeoutMs` elapses first.
 * @throws the caller signal's `reason` when the caller aborts (never wrapped, never retried).
 * @throws ApiConnectionException for any other failure of `fetch` (cause attached).
 */
export async function sendOnce(
  fetchImpl: FetchLike,
  url: string,
  init: RequestInit,
  timeoutMs: number,
  callerSignal: AbortSignal | undefined,
): Promise<RawResponse> {
  callerSignal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, timeoutMs)
      : undefined;
  const onCallerAbort = () => controller.abort(callerSignal?.reason);
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  try {
    const response = await fetchImpl(url, { ...init, signal: controller.signal });
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    // A fetch wrapper (TokenManager.fetch) may already throw our own typed errors.
    if (error instanceof ApiException && !timedOut) throw error;
    if (timedOut) {
      throw new ApiTimeoutException(`Request timed out after ${timeoutMs} ms`, { cause: error });
    }
    throw new ApiConnectionException(`Connection error: ${describeCause(error)}`, { cause: error });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

/** undici reports "fetch failed" with the useful part (ECONNRESET, ENOTFOUND) in `cause`. */
function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error.cause;
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code;
    return `${error.message} (${typeof code === 'string' ? code : inner.message})`;
  }
  return error.message;
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
