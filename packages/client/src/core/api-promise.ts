import { type RateLimitInfo, rateLimitOf } from './errors.js';

/** What a successful call's HTTP response said, besides its body. */
export interface ApiResponse {
  /** HTTP status (2xx). */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** The `X-Request-Id` response header: quote it when contacting support. */
  requestId: string | undefined;
  /** The `X-Rate-Limit-*` response headers (how many token requests are left, and until when). */
  rateLimit: RateLimitInfo;
}

/** A call's result together with its {@link ApiResponse}. */
export interface WithResponse<T> {
  /** The parsed result, as the call itself resolves to. */
  data: T;
  /** The response's status, headers, request id and rate-limit headers. */
  response: ApiResponse;
}

/**
 * What an API call resolves to internally: the result, status and headers (the
 * {@link ApiResponse} is only built when `withResponse()` asks for it).
 * @internal
 */
export interface ApiResponseSource<T> {
  /** The parsed result. */
  data: T;
  /** HTTP status. */
  status: number;
  /** Response headers. */
  headers: Headers;
}

/**
 * The promise an API call returns: awaiting it gives the parsed result, and
 * {@link ApiPromise.withResponse} gives the result together with the response's request id and
 * rate-limit headers.
 *
 * @example
 * ```ts
 * const { data, response } = await api.getAccessToken({ scope: 'sms' }).withResponse();
 * console.log(data.expires_in, response.requestId, response.rateLimit.remaining);
 * ```
 */
export class ApiPromise<T> extends Promise<T> {
  readonly #source: Promise<ApiResponseSource<T>>;
  #data: Promise<T> | undefined;

  /**
   * Built by the SDK; not meant to be called by applications.
   * @param source - resolves to the result, status and headers.
   */
  constructor(source: Promise<ApiResponseSource<T>>) {
    // The base promise is never used: then/catch/finally are delegated to #source.
    super((resolve) => resolve(undefined as T));
    this.#source = source;
  }

  /** Promises made from this one (`then`, `catch`) are plain promises. */
  static override get [Symbol.species](): PromiseConstructor {
    return Promise;
  }

  /** Resolves to `{ data, response }`: the result and its status, headers, request id and rate limit. */
  withResponse(): Promise<WithResponse<T>> {
    return this.#source.then(({ data, status, headers }) => ({
      data,
      response: responseInfo(status, headers),
    }));
  }

  /** As `Promise.prototype.then`, on the parsed result. */
  // biome-ignore lint/suspicious/noThenProperty: a Promise subclass delegating to the parsed result
  override then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#parsed().then(onfulfilled, onrejected);
  }

  /** As `Promise.prototype.catch`, on the parsed result. */
  override catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#parsed().catch(onrejected);
  }

  /** As `Promise.prototype.finally`, on the parsed result. */
  override finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#parsed().finally(onfinally);
  }

  #parsed(): Promise<T> {
    this.#data ??= this.#source.then((result) => result.data);
    return this.#data;
  }
}

/** The {@link ApiResponse} of a response's status and headers. */
export function responseInfo(status: number, headers: Headers): ApiResponse {
  return {
    status,
    headers,
    requestId: headers.get('x-request-id') ?? undefined,
    rateLimit: rateLimitOf(headers),
  };
}
