import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import type { SigningKeyRecord } from '../storage/types.js';

/** The public half of a signing key as published in the JWKS. */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

/** A signing key ready to use: the private KeyObject is prepared once. */
export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicJwk: PublicJwk;
}

const ENCRYPTION_INFO = 'smscx-oauth-server signing key encryption v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

// The at-rest key is derived from the pepper, which lives outside the database: a copy of
// the database alone reveals neither secrets nor signing keys.
function encryptionKey(pepper: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', pepper, Buffer.alloc(0), ENCRYPTION_INFO, 32));
}

/** Encrypts a PKCS#8 DER private key with AES-256-GCM: base64url(iv || tag || ciphertext). */
function encryptPrivateKey(pepper: Buffer, der: Buffer, kid: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', encryptionKey(pepper), iv);
  cipher.setAAD(Buffer.from(kid));
  const ciphertext = Buffer.concat([cipher.update(der), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
}

function decryptPrivateKey(pepper: Buffer, encrypted: string, kid: string): Buffer {
  const blob = Buffer.from(encrypted, 'base64url');
  const iv = blob.subarray(0, IV_BYTES);
  const tag = blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', encryptionKey(pepper), iv);
  decipher.setAAD(Buffer.from(kid));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

/**
 * Generates a new Ed25519 signing key and returns it as a record ready to store (private key
 * encrypted under the pepper). The key ID is the RFC 7638 JWK thumbprint.
 */
export function generateSigningKeyRecord(pepper: Buffer, now: number = Date.now()): SigningKeyRecord {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const { x } = publicKey.export({ format: 'jwk' });
  if (x === undefined) throw new Error('an Ed25519 public key exported without "x"');
  const kid = ed25519Thumbprint(x);
  const publicJwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: JSON.stringify(publicJwk),
    privateKeyEncrypted: encryptPrivateKey(pepper, der, kid),
    createdAt: now,
    retiredAt: null,
  };
}

/**
 * The RFC 7638 SHA-256 thumbprint of an Ed25519 public JWK: the required members (RFC 8037 §2:
 * crv, kty, x) in lexicographic order, no whitespace. Computed synchronously with node:crypto, so
 * key generation needs no WebCrypto job on the thread pool.
 */
export function ed25519Thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** Parses the public JWK of a stored key. */
export function publicJwkOf(record: SigningKeyRecord): PublicJwk {
  return JSON.parse(record.publicJwk) as PublicJwk;
}

/**
 * Decrypts a stored key into a usable signing key.
 *
 * @throws Error when the pepper is not the one the key was encrypted with.
 */
export function loadSigningKey(pepper: Buffer, record: SigningKeyRecord): SigningKey {
  let der: Buffer;
  try {
    der = decryptPrivateKey(pepper, record.privateKeyEncrypted, record.kid);
  } catch (error) {
    throw new Error(`cannot decrypt signing key ${record.kid}: wrong pepper file?`, { cause: error });
  }
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return { kid: record.kid, privateKey, publicJwk: publicJwkOf(record) };
}

/** Returns the public KeyObject of a JWK (for verifying tokens in tests and tools). */
export function publicKeyFromJwk(jwk: PublicJwk): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' });
}
