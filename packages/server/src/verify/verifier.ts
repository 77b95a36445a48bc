import { type AsymmetricAlgorithm, isSupportedAlgorithm, verifySignature } from './algorithms.js';
import { type CacheEntry, TokenCache } from './cache.js';
import { TokenVerificationError } from './errors.js';
import { createIntrospector, type IntrospectionOptions, type Introspector } from './introspection.js';
import {
  type JsonWebKeySet,
  type KeyEntry,
  type KeySource,
  RemoteKeySource,
  StaticKeySource,
} from './jwks.js';
import { type CompactParts, decodeJsonObject, splitCompact } from './jwt-parse.js';
import type { VerifiedAccessToken, VerifyOptions } from './types.js';

/**
 * Options of {@link createVerifier}. Give `jwksUrl` or `keys`; with neither, the keys are fetched
 * from `{issuer}/.well-known/jwks.json`.
 */
export interface VerifierOptions {
  /** Expected `iss`, compared exactly (e.g. `https://auth.example.com`). */
  issuer: string;
  /** Where the JWKS is fetched. Default `{issuer}/.well-known/jwks.json`. */
  jwksUrl?: string | undefined;
  /** A static JWKS instead of fetching one. */
  keys?: JsonWebKeySet | undefined;
  /** When set, `aud` must be or contain it (the SMS.CX server issues `https://api.sms.cx`). Default: not checked. */
  audience?: string | undefined;
  /** Ask the token server whether the token is still active (revocation). Default: off. */
  introspection?: IntrospectionOptions | undefined;
  /** Clock skew tolerated for `exp`, `nbf` and `iat`. Default 30. */
  leewaySeconds?: number | undefined;
  /**
   * Accepted JWS algorithms. Default {@link DEFAULT_ALGORITHMS}: `EdDSA`, `Ed25519` (RFC 9864's
   * name for EdDSA with an Ed25519 key), `ES256` and `RS256`, the algorithms the SMS.CX server
   * signs with. Whatever the list, a token's `alg` must also fit its key's type (and curve or
   * size) and equal the key's `alg` in the JWKS when it has one. Only asymmetric algorithms exist
   * here: `none` and `HS256`/`HS384`/`HS512` throw a TypeError.
   */
  algorithms?: readonly string[] | undefined;
  /** The fetch used for the JWKS and introspection. Default `globalThis.fetch`. */
  fetch?: typeof fetch | undefined;
  /** The clock, in epoch milliseconds. Default `Date.now`. */
  now?: (() => number) | undefined;
  /**
   * Verified tokens remembered by their exact string, from their second verification on (a token
   * seen once is not stored); 0 disables. Default 10,000.
   */
  cacheSize?: number | undefined;
  /** Least time between two JWKS fetches triggered by unknown `kid`s. Default 5000 ms. */
  jwksCooldownMs?: number | undefined;
  /**
   * A JWKS older than this is refreshed in the background. Default 300,000 ms (5 min): the
   * server's JWKS `max-age`, which its key rotation (`--publish-ahead`) is planned around.
   */
  jwksMaxAgeMs?: number | undefined;
  /** Abort a JWKS fetch after this long. Default 5000 ms. */
  jwksTimeoutMs?: number | undefined;
  /** Longer tokens are refused unparsed. Default 8192 characters. */
  maxTokenLength?: number | undefined;
}

/** Checks SMS.CX access tokens. Build one per process and share it. */
export interface AccessTokenVerifier {
  /**
   * Verifies a bearer token and returns its claims.
   *
   * @throws {TokenVerificationError} and nothing else: 401 `invalid_token`, 403 `insufficient_scope`,
   * 503 `temporarily_unavailable` (JWKS never loaded, or introspection unreachable).
   */
  verify(token: string, options?: VerifyOptions): Promise<VerifiedAccessToken>;
  /** Forgets every cached verification result. */
  clearCache(): void;
}

/**
 * The algorithms a verifier accepts when `algorithms` is not given: those the SMS.CX token server
 * signs with (`keys rotate --alg EdDSA|ES256|RS256`), and `Ed25519`, RFC 9864's fully-specified
 * name for EdDSA over Ed25519. A wide default lets a token choose nothing: each token is checked
 * with the key its `kid` names, and only when its `alg` fits that key's type and declared `alg`.
 */
export const DEFAULT_ALGORITHMS: readonly AsymmetricAlgorithm[] = Object.freeze([
  'EdDSA',
  'Ed25519',
  'ES256',
  'RS256',
]);

/**
 * How long a fetched JWKS is used before a background refresh: the `max-age` the server sends
 * with it (`JWKS_MAX_AGE_SECONDS`; a test holds the two equal). Kept here, not imported, so the
 * verifier stays a library of its own that resource servers load without the server.
 */
export const DEFAULT_JWKS_MAX_AGE_MS = 300_000;

const FORBIDDEN_ALGORITHMS = new Set(['none', 'HS256', 'HS384', 'HS512']);
const ACCEPTED_TYPES = new Set(['at+jwt', 'application/at+jwt']);
const HEADER_CACHE_SIZE = 64;

interface CheckedHeader {
  readonly alg: AsymmetricAlgorithm;
  readonly kid: string;
}

function nonNegative(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(value >= 0)) throw new TypeError(`${name} must be a non-negative number`);
  return value;
}

function resolveAlgorithms(list: readonly string[] | undefined): AsymmetricAlgorithm[] {
  const algorithms: AsymmetricAlgorithm[] = [];
  for (const alg of list ?? DEFAULT_ALGORITHMS) {
    if (FORBIDDEN_ALGORITHMS.has(alg) || !isSupportedAlgorithm(alg)) {
      throw new TypeError(
        `Algorithm ${JSON.stringify(alg)} is not accepted; only asymmetric JWS algorithms are`,
      );
    }
    algorithms.push(alg);
  }
  if (algorithms.length === 0) throw new TypeError('algorithms must not be empty');
  return algorithms;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isAudience(value: unknown): value is string | string[] {
  return typeof value === 'string' || (Array.isArray(value) && value.every((a) => typeof a === 'string'));
}

/**
 * Checks that `result` grants every scope in `required`.
 *
 * @throws {TokenVerificationError} `insufficient_scope` (403) naming the required scopes.
 */
export function requireScopes(result: VerifiedAccessToken, required: readonly string[]): void {
  for (const scope of required) {
    if (!result.scopes.includes(scope)) {
      throw new TokenVerificationError('insufficient_scope', { scope: required.join(' ') });
    }
  }
}

/**
 * Creates an access-token verifier (RFC 9068 profile) for tokens of the SMS.CX OAuth server.
 *
 * Checks, in order: compact JWS form and size; header JSON; `alg` in the allow-list (never `none`
 * or HMAC); `typ` is `at+jwt`; no `crit`; a `kid` found in the JWKS (refetched once on an unknown
 * `kid`, within the cooldown) whose key type fits the `alg` and whose declared `alg`, if any, is
 * the token's; the signature; `iss`; `aud` (when configured); `exp`/`nbf`/`iat` with leeway;
 * introspection (when configured); the required scopes.
 * Keys embedded in the token (`jwk`, `jku`, `x5u`, `x5c`) are ignored.
 *
 * @throws {TypeError} for invalid options.
 * @example
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://api.sms.cx' });
 * const token = await verifier.verify(bearer, { scopes: ['sms'] });
 * console.log(token.client_id, token.scopes);
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-4
 */
export function createVerifier(options: VerifierOptions): AccessTokenVerifier {
  const { issuer, audience } = options;
  if (typeof issuer !== 'string' || issuer === '') throw new TypeError('issuer is required');
  if (options.keys !== undefined && options.jwksUrl !== undefined) {
    throw new TypeError('Give either keys or jwksUrl, not both');
  }
  if (options.jwksUrl !== undefined && !URL.canParse(options.jwksUrl))
    throw new TypeError('jwksUrl is not a URL');
  const algorithms = resolveAlgorithms(options.algorithms);
  const allowed: ReadonlySet<string> = new Set(algorithms);
  const now = options.now ?? Date.now;
  const fetchFn = options.fetch ?? globalThis.fetch;
  const leeway = nonNegative('leewaySeconds', options.leewaySeconds, 30);
  const maxTokenLength = nonNegative('maxTokenLength', options.maxTokenLength, 8192);
  const keys: KeySource =
    options.keys !== undefined
      ? new StaticKeySource(options.keys, algorithms)
      : new RemoteKeySource({
          url: options.jwksUrl ?? `${issuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
          allowed: algorithms,
          fetch: fetchFn,
          now,
          cooldownMs: nonNegative('jwksCooldownMs', options.jwksCooldownMs, 5000),
          maxAgeMs: nonNegative('jwksMaxAgeMs', options.jwksMaxAgeMs, DEFAULT_JWKS_MAX_AGE_MS),
          timeoutMs: nonNegative('jwksTimeoutMs', options.jwksTimeoutMs, 5000),
        });
  const introspect: Introspector | undefined =
    options.introspection === undefined ? undefined : createIntrospector(options.introspection, fetchFn);
  // With introspection every answer is cached (it saves a round trip); without, only tokens that repeat.
  const cache = new TokenCache(
    Math.floor(nonNegative('cacheSize', options.cacheSize, 10_000)),
    introspect !== undefined,
  );
  const introspectionTtl = nonNegative('introspection.cacheTtlMs', options.introspection?.cacheTtlMs, 5000);

  // Parsed headers by their base64url text: a server signs every token with the same few headers,
  // so the header is decoded and checked once per key. Only headers that pass are kept; bounded.
  const headers = new Map<string, CheckedHeader>();

  function checkHeader(segment: string): CheckedHeader {
    const known = headers.get(segment);
    if (known !== undefined) return known;
    const header = decodeJsonObject(segment);
    const { alg, typ, kid } = header;
    if (typeof alg !== 'string' || !allowed.has(alg)) throw new TokenVerificationError('alg_not_allowed');
    if (typeof typ !== 'string' || !ACCEPTED_TYPES.has(typ.toLowerCase())) {
      throw new TokenVerificationError('unsupported_type');
    }
    if (header.crit !== undefined || typeof kid !== 'string') throw new TokenVerificationError('malformed');
    const checked: CheckedHeader = { alg: alg as AsymmetricAlgorithm, kid };
    if (headers.size >= HEADER_CACHE_SIZE) headers.clear();
    headers.set(segment, checked);
    return checked;
  }

  /**
   * Every local check; returns the cache entry (not yet introspected). Synchronous when the key is
   * already loaded, so the common path costs no extra promise.
   */
  function verifyLocally(token: string, nowMs: number): CacheEntry | Promise<CacheEntry> {
    const parts = splitCompact(token, maxTokenLength);
    const header = checkHeader(parts.header);
    const key = keys.lookup(header.kid);
    if (key !== undefined) return checkSignedToken(parts, header, key, nowMs);
    return keys.resolve(header.kid).then((resolved) => checkSignedToken(parts, header, resolved, nowMs));
  }

  function checkSignedToken(
    parts: CompactParts,
    { alg }: CheckedHeader,
    key: KeyEntry | undefined,
    nowMs: number,
  ): CacheEntry {
    if (key === undefined || !key.algorithms.has(alg)) throw new TokenVerificationError('unknown_key');
    if (!verifySignature(alg, key.key, signingInputOf(parts), Buffer.from(parts.signature, 'base64url'))) {
      throw new TokenVerificationError('bad_signature');
    }

    const claims = decodeJsonObject(parts.payload);
    const { iss, sub, client_id, scope, iat, exp, nbf, jti, aud } = claims;
    if (iss !== issuer) throw new TokenVerificationError('wrong_issuer');
    if (
      typeof sub !== 'string' ||
      typeof client_id !== 'string' ||
      typeof jti !== 'string' ||
      (scope !== undefined && typeof scope !== 'string') ||
      !isFiniteNumber(iat) ||
      (exp !== undefined && !isFiniteNumber(exp)) ||
      (nbf !== undefined && !isFiniteNumber(nbf)) ||
      !isAudience(aud)
    ) {
      throw new TokenVerificationError('malformed');
    }
    if (audience !== undefined && (typeof aud === 'string' ? aud !== audience : !aud.includes(audience))) {
      throw new TokenVerificationError('wrong_audience');
    }
    const nowSeconds = nowMs / 1000;
    if (exp !== undefined && nowSeconds >= exp + leeway) throw new TokenVerificationError('expired');
    if (nbf !== undefined && nowSeconds + leeway < nbf) throw new TokenVerificationError('not_yet_valid');
    if (iat > nowSeconds + leeway) throw new TokenVerificationError('issued_in_future');

    const scopeString = scope ?? '';
    if (Array.isArray(aud)) Object.freeze(aud);
    const result: VerifiedAccessToken = Object.freeze({
      sub,
      client_id,
      scope: scopeString,
      scopes: Object.freeze(scopeString.split(' ').filter((s) => s !== '')),
      iat,
      ...(exp === undefined ? {} : { exp }),
      jti,
      iss,
      aud,
      claims: Object.freeze(claims),
    });
    return {
      result,
      notAfter: exp === undefined ? Number.POSITIVE_INFINITY : (exp + leeway) * 1000,
      key,
      active: true,
      statusUntil: Number.POSITIVE_INFINITY,
    };
  }

  return {
    async verify(token, verifyOptions) {
      const nowMs = now();
      let entry = typeof token === 'string' ? cache.get(token) : undefined;
      if (entry !== undefined && (nowMs >= entry.notAfter || entry.key.retired)) {
        cache.delete(token);
        entry = undefined;
      }
      if (entry === undefined || nowMs >= entry.statusUntil) {
        const cached = entry !== undefined;
        try {
          if (entry === undefined) {
            const local = verifyLocally(token, nowMs);
            entry = local instanceof Promise ? await local : local;
          }
          if (introspect !== undefined) {
            entry.active = await introspect(token);
            entry.statusUntil = nowMs + introspectionTtl;
          }
        } catch (err) {
          throw err instanceof TokenVerificationError
            ? err
            : new TokenVerificationError('malformed', { cause: err });
        }
        cache.offer(token, entry, cached);
      }
      if (!entry.active) throw new TokenVerificationError('revoked');
      if (verifyOptions?.scopes !== undefined) requireScopes(entry.result, verifyOptions.scopes);
      return entry.result;
    },
    clearCache() {
      cache.clear();
      headers.clear();
    },
  };
}

/** `header.payload` as bytes (base64url is ASCII). */
function signingInputOf(parts: CompactParts): Buffer {
  return Buffer.from(parts.token.slice(0, parts.signingInputLength), 'latin1');
}
