import { type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import type { SigningKey } from './key-material.js';

/**
 * Signs JWS compact tokens with one key; the key's algorithm (`EdDSA`, `ES256` or `RS256`) is the
 * header's `alg`. The protected header segment is encoded once per key; each token costs one JSON
 * encoding of the payload and one signature.
 *
 * Kept on purpose: a direct `crypto.sign` with a `KeyObject` prepared once, and no JOSE
 * library, whose signing goes through WebCrypto at several times the cost per token. The
 * bench's token endpoint scenario measures it (its `ceiling` target signs the same way).
 * The digest and key argument of `crypto.sign` are also fixed once per key, so the EdDSA path is
 * the same call as before other algorithms existed: `sign(null, input, keyObject)`. ES256
 * signatures are JOSE's raw `r || s` (`ieee-p1363`, RFC 7518 §3.4), not DER.
 *
 * @see RFC 9068 (JWT profile for OAuth 2.0 access tokens: `typ: at+jwt`)
 */
export class JwtSigner {
  readonly kid: string;
  /** The JWS `alg` of the tokens it signs. */
  readonly alg: SigningKey['alg'];
  private readonly headerSegment: string;
  /** `null` for EdDSA (the curve fixes the hash), else the digest of `crypto.sign`. */
  private readonly digest: string | null;
  /** The key argument of `crypto.sign`: the KeyObject itself, or it with its signature encoding. */
  private readonly signingKey: KeyObject | SignKeyObjectInput;

  constructor(key: SigningKey) {
    this.kid = key.kid;
    this.alg = key.alg;
    this.digest = key.alg === 'EdDSA' ? null : 'sha256';
    this.signingKey =
      key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey;
    const header = JSON.stringify({ alg: key.alg, typ: 'at+jwt', kid: key.kid });
    this.headerSegment = `${Buffer.from(header).toString('base64url')}.`;
  }

  /** Signs `payloadJson` (an already-encoded JSON object) and returns the compact JWT. */
  sign(payloadJson: string): string {
    const signingInput = this.headerSegment + Buffer.from(payloadJson).toString('base64url');
    const signature = sign(this.digest, Buffer.from(signingInput), this.signingKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}
