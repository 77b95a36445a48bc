import { TokenVerificationError } from './errors.js';

/** The three base64url segments of a compact JWS, located but not yet decoded. */
export interface CompactParts {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** The whole token: its first `signingInputLength` characters are what the signature covers. */
  readonly token: string;
  readonly signingInputLength: number;
}

// Three non-empty base64url segments, no padding, nothing else.
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

const B64_VALUE = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) {
  B64_VALUE[c.charCodeAt(0)] = i;
}

/**
 * Canonical unpadded base64url: the length is possible and the unused low bits of the last character
 * are zero, so one byte string has exactly one encoding (no signature malleability via spare bits).
 * The alphabet itself is checked by {@link COMPACT}.
 */
function isCanonicalLength(segment: string): boolean {
  const rem = segment.length & 3;
  if (rem === 0) return true;
  if (rem === 1) return false;
  const last = B64_VALUE[segment.charCodeAt(segment.length - 1)] ?? -1;
  return (last & (rem === 2 ? 0x0f : 0x03)) === 0;
}

function malformed(cause?: unknown): TokenVerificationError {
  return new TokenVerificationError('malformed', cause === undefined ? {} : { cause });
}

/**
 * Splits a compact JWS (RFC 7515 §7.1) into its segments.
 *
 * @throws {TokenVerificationError} `malformed` when it is not a string, longer than `maxLength`,
 * not exactly three canonical base64url segments.
 */
export function splitCompact(token: unknown, maxLength: number): CompactParts {
  if (typeof token !== 'string' || token.length > maxLength || !COMPACT.test(token)) throw malformed();
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (!isCanonicalLength(header) || !isCanonicalLength(payload) || !isCanonicalLength(signature)) {
    throw malformed();
  }
  return { header, payload, signature, token, signingInputLength: second };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a base64url segment holding a JSON object (a JOSE header or a JWT claims set).
 *
 * @throws {TokenVerificationError} `malformed` for invalid UTF-8, invalid JSON, or a non-object.
 */
export function decodeJsonObject(segment: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(Buffer.from(segment, 'base64url')));
  } catch (err) {
    throw malformed(err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed();
  return value as Record<string, unknown>;
}
