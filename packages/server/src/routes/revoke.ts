import type { FastifyInstance } from 'fastify';
import type { RevokedTokens } from '../cache/revoked-tokens.js';
import { ApiError } from '../contract/errors.js';
import { REVOKE_PATH } from '../contract/paths.js';
import {
  authenticatedClient,
  basicClientAuthentication,
  type ClientAuthenticationDeps,
} from '../http/client-authentication.js';
import { sendApiError } from '../http/error-handler.js';
import { readTokenParameter } from '../http/form-body.js';
import type { Storage } from '../storage/types.js';
import type { AccessTokenChecker } from '../tokens/token-checker.js';
import type { VerifiedAccessToken } from '../verify/types.js';

/** What the revocation route needs. */
export interface RevokeRouteDeps extends ClientAuthenticationDeps {
  readonly storage: Storage;
  readonly checker: AccessTokenChecker;
  readonly revoked: RevokedTokens;
}

/**
 * `POST /oauth/revoke` (RFC 7009). The application authenticates with HTTP Basic and sends
 * `token` (and optionally `token_type_hint`, ignored). A token this server issued to that
 * application, still unexpired, goes on the jti denylist (kept until it would expire; forever
 * for never-expiring tokens). The answer is `200` with an empty body whatever the token was:
 * unknown, malformed, expired, already revoked, or issued to another application (which is
 * left untouched), so the endpoint reveals nothing about tokens (RFC 7009 §2.2).
 */
export function registerRevokeRoute(app: FastifyInstance, deps: RevokeRouteDeps): void {
  const { storage, checker, revoked } = deps;
  app.route({
    method: 'POST',
    url: REVOKE_PATH,
    onRequest: basicClientAuthentication(deps),
    handler: async (request, reply) => {
      const client = authenticatedClient(request);
      const token = readTokenParameter(request);
      if (token instanceof ApiError) return sendApiError(reply, token);
      let verified: VerifiedAccessToken | undefined;
      try {
        verified = await checker.verifySigned(token);
      } catch {
        verified = undefined; // not a token of ours (or expired): nothing to revoke
      }
      if (verified === undefined) {
        request.log.debug('revocation of an invalid token: nothing to do');
      } else if (verified.client_id !== client.id) {
        request.log.debug('revocation of another application’s token refused silently');
      } else if (!(await checker.isRevoked(verified))) {
        const record = {
          jti: verified.jti,
          applicationId: client.id,
          expiresAt: verified.exp === undefined ? null : verified.exp * 1000,
        };
        await storage.revokeToken(record);
        revoked.add(record);
      }
      return reply.code(200).send();
    },
  });
}
