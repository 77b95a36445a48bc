import type { FastifyReply, FastifyRequest } from 'fastify';
import { readBearerToken } from './bearer.js';
import { TokenVerificationError } from './errors.js';
import type { VerifiedAccessToken, VerifyOptions } from './types.js';
import type { AccessTokenVerifier } from './verifier.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `fastifyBearerAuth` once the request's bearer token is verified. */
    accessToken?: VerifiedAccessToken;
  }
}

/**
 * A Fastify `preHandler` hook that requires a valid bearer token (and `options.scopes`, if given).
 * On success it sets `request.accessToken`; on failure it replies with the error's status
 * (401/403/503), `WWW-Authenticate`, `Cache-Control: no-store` and the SMS.CX error envelope.
 *
 * @example
 * app.get('/v1/sms', { preHandler: fastifyBearerAuth(verifier, { scopes: ['sms'] }) }, (req) => req.accessToken?.sub);
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function fastifyBearerAuth(
  verifier: AccessTokenVerifier,
  options: VerifyOptions = {},
): (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined> {
  const verifyOptions: VerifyOptions = { scopes: options.scopes };
  return async (request, reply) => {
    try {
      const token = readBearerToken(request.headers.authorization);
      if (token === undefined) throw new TokenVerificationError('missing');
      request.accessToken = await verifier.verify(token, verifyOptions);
      return undefined;
    } catch (err) {
      if (!(err instanceof TokenVerificationError)) throw err;
      return reply.code(err.status).headers(err.headers()).send(err.toEnvelope());
    }
  };
}
