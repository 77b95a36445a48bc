import { constants, type KeyObject, verify } from 'node:crypto';

/**
 * The asymmetric JWS algorithms the verifier can check. `none` and the HMAC family (HS256/384/512)
 * are never accepted, whatever the options say: a verifier that holds only public keys must not
 * let a token choose a shared-secret algorithm (key confusion).
 */
export const SUPPORTED_ALGORITHMS = [
  'EdDSA',
  'Ed25519',
  'ES256',
  'ES384',
  'ES512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
] as const;

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type AsymmetricAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_ALGORITHMS);

export function isSupportedAlgorithm(alg: string): alg is AsymmetricAlgorithm {
  return SUPPORTED.has(alg);
}

const EC_CURVE: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };
const EC_SIG_LENGTH: Record<string, number> = { ES256: 64, ES384: 96, ES512: 132 };
const MIN_RSA_BITS = 2048;

/** Whether `key` is the right kind of key for `alg` (an Ed25519 key only for EdDSA/Ed25519, P-256 only for ES256, ...). */
export function keyFitsAlgorithm(key: KeyObject, alg: AsymmetricAlgorithm): boolean {
  const type = key.asymmetricKeyType;
  switch (alg) {
    case 'EdDSA':
      return type === 'ed25519' || type === 'ed448';
    case 'Ed25519':
      return type === 'ed25519';
    case 'ES256':
    case 'ES384':
    case 'ES512':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === EC_CURVE[alg];
    default:
      return (
        (type === 'rsa' || type === 'rsa-pss') &&
        (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS
      );
  }
}

/** Checks a JWS signature with node:crypto; false (never a throw) for any mismatch. */
export function verifySignature(
  alg: AsymmetricAlgorithm,
  key: KeyObject,
  signingInput: Buffer,
  signature: Buffer,
): boolean {
  try {
    switch (alg) {
      case 'EdDSA':
      case 'Ed25519':
        return verify(null, signingInput, key, signature);
      case 'ES256':
      case 'ES384':
      case 'ES512':
        if (signature.length !== EC_SIG_LENGTH[alg]) return false;
        return verify(`sha${alg.slice(2)}`, signingInput, { key, dsaEncoding: 'ieee-p1363' }, signature);
      case 'RS256':
      case 'RS384':
      case 'RS512':
        return verify(`sha${alg.slice(2)}`, signingInput, key, signature);
      default:
        return verify(
          `sha${alg.slice(2)}`,
          signingInput,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
    }
  } catch {
    return false;
  }
}
