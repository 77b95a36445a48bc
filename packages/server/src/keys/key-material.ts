import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  hkdfSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import type { SigningKeyRecord } from '../storage/types.js';

/**
 * The JWS algorithms the server signs with; the signing key's algorithm decides the token's
 * `alg`. `EdDSA` (Ed25519) is the default; `ES256` (ECDSA P-256, SHA-256) and `RS256`
 * (RSASSA-PKCS1-v1_5, 2048-bit, SHA-256) are for verifiers that do not accept EdDSA (RFC 9068
 * requires RS256 support).
 */
export const SIGNING_ALGORITHMS = ['EdDSA', 'ES256', 'RS256'] as const;

/** One of {@link SIGNING_ALGORITHMS}. */
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The algorithm of a new key when none is asked for. */
export const DEFAULT_SIGNING_ALGORITHM: SigningAlgorithm = 'EdDSA';

/** Whether `value` names one of {@link SIGNING_ALGORITHMS} (exact spelling). */
export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** The public half of a signing key as published in the JWKS. */
export type PublicJwk =
  | {
      readonly kty: 'OKP';
      readonly crv: 'Ed25519';
      readonly x: string;
      readonly kid: string;
      readonly alg: 'EdDSA';
      readonly use: 'sig';
    }
  | {
      readonly kty: 'EC';
      readonly crv: 'P-256';
      readonly x: string;
      readonly y: string;
      readonly kid: string;
      readonly alg: 'ES256';
      readonly use: 'sig';
    }
  | {
      readonly kty: 'RSA';
      readonly n: string;
      readonly e: string;
      readonly kid: string;
      readonly alg: 'RS256';
      readonly use: 'sig';
    };

/** A signing key ready to use: the private KeyObject is prepared once. */
export interface SigningKey {
  readonly kid: string;
  /** The JWS `alg` of every token this key signs. */
  readonly alg: SigningAlgorithm;
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

/** The RSA modulus of a new RS256 key, in bits. */
const RSA_MODULUS_BITS = 2048;

interface KeyPair {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/** A new key pair for `alg`, made on this thread (EdDSA and ES256 take well under a millisecond). */
function generateKeyPairNow(alg: SigningAlgorithm): KeyPair {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001 });
  }
}

/**
 * A new key pair for `alg`, made on the thread pool: an RSA key takes a few hundred milliseconds,
 * which would stall every request of a server process rotating through the admin API.
 */
function generateKeyPairOffThread(alg: SigningAlgorithm): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: KeyObject, privateKey: KeyObject): void => {
      if (error === null) resolve({ publicKey, privateKey });
      else reject(error);
    };
    switch (alg) {
      case 'EdDSA':
        generateKeyPair('ed25519', undefined, done);
        break;
      case 'ES256':
        generateKeyPair('ec', { namedCurve: 'P-256' }, done);
        break;
      case 'RS256':
        generateKeyPair('rsa', { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001 }, done);
        break;
    }
  });
}

/** A JWK member that must be a non-empty string. */
function member(jwk: JsonWebKey, name: string): string {
  const value = jwk[name];
  if (typeof value !== 'string' || value === '') throw new Error(`a public key exported without "${name}"`);
  return value;
}

/**
 * The published JWK of a public key: its required members (RFC 7638 §3.2), `kid` (their
 * thumbprint), `alg` and `use`.
 */
function publicJwkFor(alg: SigningAlgorithm, publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  switch (alg) {
    case 'EdDSA': {
      const x = member(jwk, 'x');
      return { kty: 'OKP', crv: 'Ed25519', x, kid: ed25519Thumbprint(x), alg, use: 'sig' };
    }
    case 'ES256': {
      const x = member(jwk, 'x');
      const y = member(jwk, 'y');
      const kid = jwkThumbprint({ crv: 'P-256', kty: 'EC', x, y });
      return { kty: 'EC', crv: 'P-256', x, y, kid, alg, use: 'sig' };
    }
    case 'RS256': {
      const n = member(jwk, 'n');
      const e = member(jwk, 'e');
      return { kty: 'RSA', n, e, kid: jwkThumbprint({ e, kty: 'RSA', n }), alg, use: 'sig' };
    }
  }
}

function checkAlgorithm(alg: SigningAlgorithm): void {
  if (!isSigningAlgorithm(alg)) throw new TypeError(`unsupported signing algorithm ${String(alg)}`);
}

/**
 * Generates a new signing key for `alg` (default EdDSA: Ed25519; ES256: P-256; RS256: 2048-bit
 * RSA) and returns it as a record ready to store (private key encrypted under the pepper). The
 * key ID is the RFC 7638 JWK thumbprint. Synchronous: for RS256 in a serving process, use
 * {@link generateSigningKeyRecordOffThread}.
 */
export function generateSigningKeyRecord(
  pepper: Buffer,
  now: number = Date.now(),
  alg: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM,
): SigningKeyRecord {
  checkAlgorithm(alg);
  return signingKeyRecord(pepper, now, alg, generateKeyPairNow(alg));
}

/** {@link generateSigningKeyRecord} with the key pair made on the thread pool. */
export async function generateSigningKeyRecordOffThread(
  pepper: Buffer,
  now: number = Date.now(),
  alg: SigningAlgorithm = DEFAULT_SIGNING_ALGORITHM,
): Promise<SigningKeyRecord> {
  checkAlgorithm(alg);
  return signingKeyRecord(pepper, now, alg, await generateKeyPairOffThread(alg));
}

function signingKeyRecord(
  pepper: Buffer,
  now: number,
  alg: SigningAlgorithm,
  { publicKey, privateKey }: KeyPair,
): SigningKeyRecord {
  const publicJwk = publicJwkFor(alg, publicKey);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return {
    kid: publicJwk.kid,
    alg,
    publicJwk: JSON.stringify(publicJwk),
    privateKeyEncrypted: encryptPrivateKey(pepper, der, publicJwk.kid),
    createdAt: now,
    activatesAt: now,
    retiredAt: null,
  };
}

/**
 * The RFC 7638 SHA-256 thumbprint (base64url) of a public JWK given as its required members, in
 * lexicographic order (EC: crv, kty, x, y; RSA: e, kty, n; OKP: crv, kty, x). The values are
 * base64url or fixed names, so `JSON.stringify` adds no whitespace or escapes. Computed
 * synchronously with node:crypto, so key generation needs no WebCrypto job on the thread pool.
 */
export function jwkThumbprint(requiredMembers: Readonly<Record<string, string>>): string {
  return createHash('sha256').update(JSON.stringify(requiredMembers)).digest('base64url');
}

/**
 * The RFC 7638 SHA-256 thumbprint of an Ed25519 public JWK: the required members (RFC 8037 §2:
 * crv, kty, x) in lexicographic order, no whitespace.
 */
export function ed25519Thumbprint(x: string): string {
  return jwkThumbprint({ crv: 'Ed25519', kty: 'OKP', x });
}

/** Parses the public JWK of a stored key. */
export function publicJwkOf(record: SigningKeyRecord): PublicJwk {
  return JSON.parse(record.publicJwk) as PublicJwk;
}

/** The private key type (and curve) each algorithm signs with. */
function keyFits(alg: SigningAlgorithm, key: KeyObject): boolean {
  switch (alg) {
    case 'EdDSA':
      return key.asymmetricKeyType === 'ed25519';
    case 'ES256':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
    case 'RS256':
      return key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  }
}

/**
 * Decrypts a stored key into a usable signing key. Its algorithm is the record's `alg`, which
 * must agree with the key's type and with the `alg` of its published JWK.
 *
 * @throws Error when the pepper is not the one the key was encrypted with, or the record's
 *   algorithm is unknown or does not fit the key.
 */
export function loadSigningKey(pepper: Buffer, record: SigningKeyRecord): SigningKey {
  let der: Buffer;
  try {
    der = decryptPrivateKey(pepper, record.privateKeyEncrypted, record.kid);
  } catch (error) {
    throw new Error(`cannot decrypt signing key ${record.kid}: wrong pepper file?`, { cause: error });
  }
  const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  const publicJwk = publicJwkOf(record);
  const { alg } = record;
  if (!isSigningAlgorithm(alg) || publicJwk.alg !== alg || !keyFits(alg, privateKey)) {
    throw new Error(
      `signing key ${record.kid} is stored with alg ${JSON.stringify(alg)}, which does not fit its key`,
    );
  }
  return { kid: record.kid, alg, privateKey, publicJwk };
}

/** Returns the public KeyObject of a published JWK (for verifying tokens in tests and tools). */
export function publicKeyFromJwk(jwk: PublicJwk): KeyObject {
  const { kid: _kid, alg: _alg, use: _use, ...members } = jwk;
  return createPublicKey({ key: members, format: 'jwk' });
}
