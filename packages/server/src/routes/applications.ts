/**
 * The SMS.CX applications endpoints (`ApplicationsApi` of the official clients):
 * `GET /applications/scopes` (Bearer access token or API key) and `GET /applications` (API key).
 *
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { APPLICATIONS_PATH, SCOPES_PATH } from '../contract/paths.js';
import type { ScopeCatalogue } from '../domain/scopes.js';
import {
  API_KEY_HEADER,
  type ApiKeyAuthenticationDeps,
  apiKeyAuthentication,
} from '../http/api-key-authentication.js';
import type { ApplicationRecord } from '../storage/types.js';
import { fastifyBearerAuth } from '../verify/fastify.js';
import type { AccessTokenVerifier } from '../verify/verifier.js';
import { newestFirst } from './admin/applications.js';
import { fromStorage, noStore } from './admin/common.js';

/** What the applications routes need. */
export interface ApplicationsRouteDeps extends ApiKeyAuthenticationDeps {
  readonly catalogue: ScopeCatalogue;
  readonly verifier: AccessTokenVerifier;
}

/** One entry of `GET /applications`. */
export interface SmscxApplication {
  /** The application's number. */
  readonly id: number;
  readonly application_id: string;
  /** `****` and the secret's last characters (`****` alone for a secret without a hint): never the secret. */
  readonly application_secret: string;
  readonly application_name: string;
  /** Space-delimited, catalogue order. */
  readonly scopes: string;
  readonly token_expiration: ApplicationRecord['tokenExpiration'];
  /** ISO 8601. */
  readonly created_at: string;
}

/** The masked secret of `GET /applications`. */
export function maskedSecret(hint: string | null): string {
  return `****${hint ?? ''}`;
}

/** An application as `GET /applications` lists it. */
export function smscxApplication(application: ApplicationRecord): SmscxApplication {
  return {
    id: application.number,
    application_id: application.id,
    application_secret: maskedSecret(application.secretHint),
    application_name: application.name,
    scopes: application.scopes.join(' '),
    token_expiration: application.tokenExpiration,
    created_at: new Date(application.createdAt).toISOString(),
  };
}

function sendJson(reply: FastifyReply, body: string): FastifyReply {
  return reply.header('content-type', 'application/json; charset=utf-8').send(body);
}

/**
 * Registers:
 *
 * - `GET /applications/scopes`: the scope names in catalogue order (`["sms","viber",…]`). A
 *   request with `X-API-KEY` is judged by the key alone (see `api-key-authentication.ts`); any
 *   other needs a valid Bearer access token, checked in-process by `fastifyBearerAuth` with the
 *   server's own verifier (keys from the key ring; deleted or disabled applications,
 *   revoke-tokens and the jti denylist honoured): 401 `invalid_token` with
 *   `WWW-Authenticate: Bearer ...` (RFC 6750 §3) otherwise. Both checks run in `onRequest`.
 * - `GET /applications`: every application, newest first, with a masked secret; API key only (a
 *   Bearer token is not a key: 401 `invalid_api_key`).
 */
export function registerApplicationsRoutes(app: FastifyInstance, deps: ApplicationsRouteDeps): void {
  const scopes = JSON.stringify(deps.catalogue.scopes);
  const bearer = fastifyBearerAuth(deps.verifier);
  const apiKey = apiKeyAuthentication(deps);
  const apiKeyOrBearer = (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> =>
    request.headers[API_KEY_HEADER] === undefined ? bearer(request, reply) : apiKey(request, reply);

  app.route({
    method: 'GET',
    url: SCOPES_PATH,
    onRequest: [noStore, apiKeyOrBearer],
    handler: (_request, reply) => sendJson(reply, scopes),
  });

  app.route({
    method: 'GET',
    url: APPLICATIONS_PATH,
    onRequest: [noStore, apiKey],
    handler: async (request, reply) => {
      const applications = await fromStorage(request, () => deps.storage.listApplications());
      return sendJson(reply, JSON.stringify({ data: newestFirst(applications).map(smscxApplication) }));
    },
  });
}
