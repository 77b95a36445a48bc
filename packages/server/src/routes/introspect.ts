import type { FastifyInstance } from 'fastify';
import { ApiError } from '../contract/errors.js';
import { INTROSPECT_PATH } from '../contract/paths.js';
import { basicClientAuthentication, type ClientAuthenticationDeps } from '../http/client-authentication.js';
import { sendApiError } from '../http/error-handler.js';
import { readTokenParameter } from '../http/form-body.js';
import type { AccessTokenChecker } from '../tokens/token-checker.js';
import type { VerifiedAccessToken } from '../verify/types.js';

/** What the introspection route needs. */
export interface IntrospectRouteDeps extends ClientAuthenticationDeps {
  readonly checker: AccessTokenChecker;
}

/** The body for every token that is not active. */
const INACTIVE = '{"active":false}';

/**
 * The RFC 7662 §2.2 answer for an active token: `active`, `scope`, `client_id`, `sub`, `aud`,
 * `iss`, `iat`, `exp` (absent for a never-expiring token), `jti` and `token_type` ("Bearer",
 * the RFC 6749 §7.1 type of the access token).
 */
export function activeIntrospection(token: VerifiedAccessToken): Record<string, unknown> {
  return {
    active: true,
    scope: token.scope,
    client_id: token.client_id,
    sub: token.sub,
    aud: token.aud,
    iss: token.iss,
    iat: token.iat,
    ...(token.exp === undefined ? {} : { exp: token.exp }),
    jti: token.jti,
    token_type: 'Bearer',
  };
}

/**
 * `POST /oauth/introspect` (RFC 7662). Any active application may ask (HTTP Basic); the form
 * body holds `token` (`token_type_hint` is ignored). The answer is `200` with
 * `{"active":false}` for anything but a token of this server that is correctly signed with a
 * published key, unexpired, of an existing and enabled application, not issued before the
 * application's revoke-tokens instant and not on the jti denylist; otherwise the claims (see
 * {@link activeIntrospection}).
 */
export function registerIntrospectRoute(app: FastifyInstance, deps: IntrospectRouteDeps): void {
  const { checker } = deps;
  app.route({
    method: 'POST',
    url: INTROSPECT_PATH,
    onRequest: basicClientAuthentication(deps),
    handler: async (request, reply) => {
      const token = readTokenParameter(request);
      if (token instanceof ApiError) return sendApiError(reply, token);
      const result = await checker.check(token);
      reply.header('content-type', 'application/json; charset=utf-8');
      if (!result.active) {
        request.log.debug({ reason: result.reason }, 'introspection: inactive');
        return reply.send(INACTIVE);
      }
      return reply.send(JSON.stringify(activeIntrospection(result.token)));
    },
  });
}
