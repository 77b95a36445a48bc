import type { FastifyInstance } from 'fastify';
import { ApiError, Errors } from '../contract/errors.js';
import { TOKEN_PATH } from '../contract/paths.js';
import {
  authenticatedClient,
  type ClientAuthenticationDeps,
  clientAuthentication,
} from '../http/client-authentication.js';
import { sendApiError } from '../http/error-handler.js';
import { readClientForm } from '../http/form-body.js';
import { setRateLimitHeaders } from '../http/rate-limit-headers.js';
import { whenSettled } from '../limits/index.js';
import type { ClientCredentialsGrant } from '../tokens/client-credentials.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** What the token route needs. */
export interface TokenRouteDeps extends ClientAuthenticationDeps {
  readonly grant: ClientCredentialsGrant;
}

/**
 * `POST /oauth/token`. Runs the contract's check order: failed-auth limit per IP (429) →
 * client authentication (401/403) → application's request rate (429) in an `onRequest`
 * hook, before the body is even read; then content type and body (400 invalid_request) →
 * grant type → scope in the handler. The first two are the shared client authentication;
 * the disabled-application answer and the request budget are this route's own.
 */
export function registerTokenRoute(app: FastifyInstance, deps: TokenRouteDeps): void {
  const { limits, grant, now } = deps;
  const authenticate = clientAuthentication(deps, (client, request, reply, done) => {
    const { application } = client;
    if (client.outcome === 'disabled') {
      whenSettled(
        limits.requestState(application),
        (state) => {
          setRateLimitHeaders(reply, state, false, now());
          sendApiError(reply, Errors.accessDenied);
        },
        done,
      );
      return;
    }
    whenSettled(
      limits.consumeRequest(application, request.ip),
      ({ state, limited }) => {
        setRateLimitHeaders(reply, state, limited, now());
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
      const application = authenticatedClient(request);
      const params = readClientForm(request);
      if (params instanceof ApiError) return sendApiError(reply, params);
      const result = grant.handle(application, params);
      if (result instanceof ApiError) return sendApiError(reply, result);
      return reply.header('content-type', JSON_CONTENT_TYPE).send(result);
    },
  });
}
