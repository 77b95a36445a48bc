import { sign } from 'node:crypto';
import type { SigningKey } from './key-material.js';

/**
 * Signs JWS compact tokens with one Ed25519 key. The protected header segment is encoded
 * once per key; each token costs one JSON encoding of the payload and one signature.
 *
 * Kept on purpose: a direct `crypto.sign` with a `KeyObject` prepared once, and no JOSE
 * library, whose signing goes through WebCrypto at several times the cost per token. The
 * bench's token endpoint scenario measures it (its `ceiling` target signs the same way).
 *
 * @see RFC 9068 (JWT profile for OAuth 2.0 access tokens: `typ: at+jwt`)
 */
export class JwtSigner {
  readonly kid: string;
  private readonly headerSegment: string;
  private readonly key: SigningKey;

  constructor(key: SigningKey) {
    this.key = key;
    this.kid = key.kid;
    const header = JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid });
    this.headerSegment = `${Buffer.from(header).toString('base64url')}.`;
  }

  /** Signs `payloadJson` (an already-encoded JSON object) and returns the compact JWT. */
  sign(payloadJson: string): string {
    const signingInput = this.headerSegment + Buffer.from(payloadJson).toString('base64url');
    const signature = sign(null, Buffer.from(signingInput), this.key.privateKey);
    return `${signingInput}.${signature.toString('base64url')}`;
  }
}
