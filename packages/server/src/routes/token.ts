import type { FastifyInstance } from 'fastify';
import { ApiError, Errors } from '../domain/errors.js';
import type { ClientCredentialsGrant } from '../grants/client-credentials.js';
import { sendApiError } from '../plugins/error-handler.js';
import { readClientForm } from '../plugins/form-body.js';
import { setRateLimitHeaders, whenSettled } from '../plugins/rate-limit.js';
import { type ClientAuthenticationDeps, clientAuthentication } from './client-authentication.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Path of the token endpoint. */
export const TOKEN_PATH = '/oauth/token';

/** What the token route needs. */
export interface TokenRouteDeps extends ClientAuthenticationDeps {
  readonly grant: ClientCredentialsGrant;
}

/**
 * `POST /oauth/token`. Runs the contract's check order: failed-auth limit per IP (429) →
 * client authentication (401/403) → application's request rate (429) in an `onRequest`
 * hook, before the body is even read; then content type and body (400 invalid_request) →
 * grant type → scope in the handler.
 */
export function registerTokenRoute(app: FastifyInstance, deps: TokenRouteDeps): void {
  const { limits, grant } = deps;
  const authenticate = clientAuthentication(deps, (client, request, reply, done) => {
    const { application } = client;
    if (client.outcome === 'disabled') {
      whenSettled(
        limits.requestState(application),
        (state) => {
          setRateLimitHeaders(reply, state, false);
          sendApiError(reply, Errors.accessDenied);
        },
        done,
      );
      return;
    }
    whenSettled(
      limits.consumeRequest(application),
      ({ state, limited }) => {
        setRateLimitHeaders(reply, state, limited);
        if (limited) {
          sendApiError(reply, Errors.rateLimit);
          return;
        }
        request.authenticatedClient = application;
        done();
      },
      done,
    );
  });

  app.route({
    method: 'POST',
    url: TOKEN_PATH,
    onRequest: authenticate,
    handler: (request, reply) => {
      const application = request.authenticatedClient!;
      const params = readClientForm(request);
      if (params instanceof ApiError) return sendApiError(reply, params);
      const result = grant.handle(application, params);
      if (result instanceof ApiError) return sendApiError(reply, result);
      return reply.header('content-type', JSON_CONTENT_TYPE).send(result);
    },
  });
}
