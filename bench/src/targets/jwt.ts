// The Ed25519 JWT access token every peer target issues, signed with node:crypto and a KeyObject
// prepared once: the same work our server has to do per token, with nothing else around it.
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';

export const ISSUER = 'http://127.0.0.1';
export const AUDIENCE = 'urn:smscx:api';
export const SCOPES =
  'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp';
export const TOKEN_TTL_S = 86_400;

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The encoded JOSE header and its dot, computed once. */
  headerSegment: string;
}

export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const kid = randomUUID();
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid })).toString('base64url');
  return { kid, privateKey, publicKey, headerSegment: `${header}.` };
}

/** Signs an RFC 9068 style access token (`typ: at+jwt`, EdDSA). */
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
  return `${input}.${sign(null, Buffer.from(input), key.privateKey).toString('base64url')}`;
}

/** Random peer credentials shaped like ours: a 40-hex Application ID and a high-entropy secret. */
export function randomCredential(): { id: string; secret: string } {
  const bytes = new Uint8Array(52);
  crypto.getRandomValues(bytes);
  const buf = Buffer.from(bytes);
  return { id: buf.subarray(0, 20).toString('hex'), secret: buf.subarray(20).toString('base64url') };
}
