import { TokenVerificationError } from './errors.js';

/**
 * Token introspection (RFC 7662), to honour revocation before a token expires.
 * Defaults: `cacheTtlMs` 5000, `timeoutMs` 5000.
 */
export interface IntrospectionOptions {
  /** The introspection endpoint, e.g. `https://auth.example.com/oauth/introspect`. */
  url: string;
  /** Credentials of the resource server, sent with HTTP Basic (RFC 6749 §2.3.1). */
  clientId: string;
  clientSecret: string;
  /** How long one answer (active or not) is reused for the same token. Default 5000 ms. */
  cacheTtlMs?: number | undefined;
  /** Abort the request after this long. Default 5000 ms. */
  timeoutMs?: number | undefined;
}

/** Asks whether a token is active; rejects only with `introspection_unavailable`. */
export type Introspector = (token: string) => Promise<boolean>;

function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * Builds the introspection call. Concurrent questions about the same token share one request.
 * Anything but `200` with a JSON object holding a boolean `active` is a failure: the verifier
 * fails closed with 503 `temporarily_unavailable` rather than accept a token it cannot check.
 */
export function createIntrospector(options: IntrospectionOptions, fetchFn: typeof fetch): Introspector {
  const authorization = `Basic ${Buffer.from(`${formEncode(options.clientId)}:${formEncode(options.clientSecret)}`).toString('base64')}`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const inflight = new Map<string, Promise<boolean>>();

  async function ask(token: string): Promise<boolean> {
    let body: unknown;
    try {
      const response = await fetchFn(options.url, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: `token=${formEncode(token)}&token_type_hint=access_token`,
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        throw new Error(`Introspection endpoint answered HTTP ${response.status}`);
      }
      body = await response.json();
    } catch (err) {
      throw new TokenVerificationError('introspection_unavailable', { cause: err });
    }
    const active = (body as { active?: unknown } | null)?.active;
    if (typeof active !== 'boolean') {
      throw new TokenVerificationError('introspection_unavailable', {
        cause: new Error('Introspection answer has no boolean "active"'),
      });
    }
    return active;
  }

  return (token) => {
    let pending = inflight.get(token);
    if (pending === undefined) {
      pending = ask(token).finally(() => inflight.delete(token));
      inflight.set(token, pending);
    }
    return pending;
  };
}
