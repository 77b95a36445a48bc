/**
 * Access-token verification for resource servers that accept SMS.CX OAuth tokens
 * (`smscx-oauth-server/verify`).
 *
 * @example
 * import { createVerifier, fastifyBearerAuth } from 'smscx-oauth-server/verify';
 * const verifier = createVerifier({ issuer: 'https://auth.example.com', audience: 'https://api.sms.cx' });
 * app.get('/v1/sms', { preHandler: fastifyBearerAuth(verifier, { scopes: ['sms'] }) }, handler);
 */
export { type AsymmetricAlgorithm, SUPPORTED_ALGORITHMS } from './algorithms.js';
export { readBearerToken } from './bearer.js';
export {
  INSUFFICIENT_SCOPE_CODE,
  INVALID_TOKEN_CODE,
  TEMPORARILY_UNAVAILABLE_CODE,
  TOKEN_ERROR_DOCS_BASE,
  type TokenErrorCode,
  type TokenErrorEnvelope,
  type TokenErrorReason,
  type TokenErrorType,
  TokenVerificationError,
} from './errors.js';
export { fastifyBearerAuth } from './fastify.js';
export type { IntrospectionOptions } from './introspection.js';
export type { JsonWebKeySet } from './jwks.js';
export { type BearerRequest, type BearerResponse, expressBearerAuth } from './middleware.js';
export type { VerifiedAccessToken, VerifyOptions } from './types.js';
export {
  type AccessTokenVerifier,
  createVerifier,
  DEFAULT_ALGORITHMS,
  DEFAULT_JWKS_MAX_AGE_MS,
  type VerifierOptions,
} from './verifier.js';
