// The JWT access token every peer target issues, signed with node:crypto and a KeyObject prepared
// once: the same work our server has to do per token, with nothing else around it. EdDSA unless a
// target asks for another of the algorithms our server signs with (the algorithms scenario).
import {
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  type SignKeyObjectInput,
  sign,
  verify,
} from 'node:crypto';

export const ISSUER = 'http://127.0.0.1';
export const AUDIENCE = 'urn:smscx:api';
export const SCOPES =
  'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp';
export const TOKEN_TTL_S = 86_400;

/** The JWS algorithms our server signs with (`keys rotate --alg`), in the order reports list them. */
export const ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export function isAlgorithm(value: string): value is Algorithm {
  return (ALGORITHMS as readonly string[]).includes(value);
}

export interface SigningKey {
  kid: string;
  alg: Algorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The encoded JOSE header and its dot, computed once. */
  headerSegment: string;
  /** `crypto.sign`/`verify`'s digest: null for EdDSA (the curve fixes it), else SHA-256. */
  digest: string | null;
  /** The key arguments of `crypto.sign`/`verify`: ES256 signatures are JOSE's raw r‖s, not DER. */
  signWith: KeyObject | SignKeyObjectInput;
  verifyWith: KeyObject | SignKeyObjectInput;
}

/** The key pairs our server generates for each algorithm (P-256, RSA 2048 with e = 65537). */
function generatePair(alg: Algorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 0x10001 });
  }
}

export function generateSigningKey(alg: Algorithm = 'EdDSA'): SigningKey {
  const { privateKey, publicKey } = generatePair(alg);
  const kid = randomUUID();
  const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url');
  const p1363 = (key: KeyObject) => (alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key);
  return {
    kid,
    alg,
    privateKey,
    publicKey,
    headerSegment: `${header}.`,
    digest: alg === 'EdDSA' ? null : 'sha256',
    signWith: p1363(privateKey),
    verifyWith: p1363(publicKey),
  };
}

/** The public half as a JWKS member (`kty`, `crv` or `n`/`e`, plus `kid`, `alg`, `use`). */
export function publicJwk(key: SigningKey): Record<string, unknown> {
  return { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, alg: key.alg, use: 'sig' };
}

/** Signs an RFC 9068 style access token (`typ: at+jwt`) with the key's algorithm. */
export function signAccessToken(
  key: SigningKey,
  clientId: string,
  scope: string,
  nowS = Math.floor(Date.now() / 1000),
): string {
  const payload = Buffer.from(
    JSON.stringify({
      iss: ISSUER,
      sub: clientId,
      client_id: clientId,
      aud: AUDIENCE,
      scope,
      iat: nowS,
      exp: nowS + TOKEN_TTL_S,
      jti: randomUUID(),
    }),
  ).toString('base64url');
  const input = key.headerSegment + payload;
  return `${input}.${sign(key.digest, Buffer.from(input), key.signWith).toString('base64url')}`;
}

/** The bare signature check a verifier cannot do without: `crypto.verify` on the signing input. */
export function verifySignature(key: SigningKey, signingInput: Buffer, signature: Buffer): boolean {
  return verify(key.digest, signingInput, key.verifyWith, signature);
}

/** Random peer credentials shaped like ours: a 40-hex Application ID and a high-entropy secret. */
export function randomCredential(): { id: string; secret: string } {
  const bytes = new Uint8Array(52);
  crypto.getRandomValues(bytes);
  const buf = Buffer.from(bytes);
  return { id: buf.subarray(0, 20).toString('hex'), secret: buf.subarray(20).toString('base64url') };
}
