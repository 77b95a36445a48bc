import type { FetchInit, FetchLike, FetchResponse } from '../configuration.js';
import { ApiConnectionException, ApiException, ApiTimeoutException } from '../core/errors.js';

/** One HTTP exchange with its body already read (the timeout covers the body too). */
export interface RawResponse {
  /** HTTP status code. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The whole response body as text (empty for a streamed exchange). */
  body: string;
}

/** A {@link RawResponse} that may also carry the unread response (`stream` mode). */
export interface Exchange extends RawResponse {
  /** The response itself, body unread, when the exchange was sent with `stream: true`. */
  response?: FetchResponse | undefined;
  /** The headers the successful attempt sent (auth included), for scrubbing later errors. */
  sent?: Readonly<Record<string, string>> | undefined;
}

/** How one attempt is bounded and read. */
export interface AttemptOptions {
  /** Timeout of this attempt in ms (`0` = none). */
  timeoutMs: number;
  /** The caller's signal. */
  signal?: AbortSignal | undefined;
  /** Message of the {@link ApiTimeoutException} when `timeoutMs` elapses. */
  timeoutMessage?: string | undefined;
  /** Return once the headers are in, body unread (the timeout then covers the headers only). */
  stream?: boolean | undefined;
  /** Secrets to scrub from the message of a connection error. */
  secrets?: readonly string[] | undefined;
}

/**
 * Sends one request and (unless `stream`) reads the whole body, bounded by `timeoutMs` and the
 * caller's signal.
 *
 * The two signals are combined by hand rather than with `AbortSignal.any` (Node 20.3+ only),
 * so the same code runs on every runtime, and so we can tell "our timeout fired" apart from
 * "the caller aborted": only the former is an {@link ApiTimeoutException}. Without a timeout
 * the caller's signal (or none) goes to `fetch` as is: a signal handed to Node's `fetch` costs
 * about 4% of a loopback request.
 *
 * @param init - method, headers and body; `sendOnce` adds the signal.
 * @throws ApiTimeoutException when `timeoutMs` elapses first.
 * @throws the caller signal's `reason` when the caller aborts (never wrapped, never retried).
 * @throws ApiConnectionException for any other failure of `fetch` (cause attached).
 */
export async function sendOnce(
  fetchImpl: FetchLike,
  url: string,
  init: FetchInit,
  options: AttemptOptions,
): Promise<Exchange> {
  const { timeoutMs, signal: callerSignal } = options;
  callerSignal?.throwIfAborted();
  if (timeoutMs <= 0) {
    if (callerSignal !== undefined) init.signal = callerSignal;
    return exchange(fetchImpl, url, init, options, undefined);
  }
  const timeout = new AttemptTimeout(timeoutMs, callerSignal);
  init.signal = timeout.signal;
  try {
    return await exchange(fetchImpl, url, init, options, timeout);
  } finally {
    // A streamed body is read by the caller later: its abort must still reach it.
    timeout.clear(options.stream === true);
  }
}

/** One `fetch` and its body, with any failure turned into the documented error. */
async function exchange(
  fetchImpl: FetchLike,
  url: string,
  init: FetchInit,
  options: AttemptOptions,
  timeout: AttemptTimeout | undefined,
): Promise<Exchange> {
  const callerSignal = options.signal;
  try {
    const response = await fetchImpl(url, init);
    if (options.stream) return { status: response.status, headers: response.headers, body: '', response };
    const body = await response.text();
    return { status: response.status, headers: response.headers, body };
  } catch (error) {
    if (callerSignal?.aborted) throw callerSignal.reason;
    if (timeout?.fired) {
      throw new ApiTimeoutException(options.timeoutMessage ?? `Request timed out after ${timeout.ms} ms`, {
        cause: error,
      });
    }
    // A fetch wrapper may already throw our own typed errors.
    if (error instanceof ApiException) throw error;
    let detail = describeCause(error);
    for (const secret of options.secrets ?? []) {
      if (secret.length >= 4) detail = detail.split(secret).join('[REDACTED]');
    }
    throw new ApiConnectionException(`Connection error: ${detail}`, { cause: error });
  }
}

/** The signal of one attempt: aborted when `ms` elapse or when the caller's signal aborts. */
class AttemptTimeout {
  readonly ms: number;
  fired = false;
  readonly #controller = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort: (() => void) | undefined;

  constructor(ms: number, callerSignal: AbortSignal | undefined) {
    this.ms = ms;
    this.#timer = setTimeout(() => {
      this.fired = true;
      this.#controller.abort();
    }, ms);
    this.#callerSignal = callerSignal;
    if (callerSignal !== undefined) {
      this.#onCallerAbort = () => this.#controller.abort(callerSignal.reason);
      callerSignal.addEventListener('abort', this.#onCallerAbort, { once: true });
    }
  }

  /** What `fetch` is given. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Stops the timer and (unless `keepCallerLink`) lets go of the caller's signal. */
  clear(keepCallerLink: boolean): void {
    clearTimeout(this.#timer);
    if (this.#onCallerAbort && !keepCallerLink) {
      this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
    }
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
