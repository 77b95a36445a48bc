/**
 * `GET /admin/v1/me` (the calling API key), `GET /admin/v1/scopes` (the catalogue with
 * descriptions) and `GET /admin/v1/openapi.json` (the API's description, without a key).
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { ADMIN_ME_PATH, ADMIN_OPENAPI_PATH, ADMIN_SCOPES_PATH } from '../../contract/paths.js';
import { SCOPE_DESCRIPTIONS } from '../../domain/scope-descriptions.js';
import type { ScopeCatalogue } from '../../domain/scopes.js';
import { authenticatedApiKey } from '../../http/api-key-authentication.js';
import { type AdminRouteDeps, adminHooks, noStore, sendData } from './common.js';
import { openApiDocument } from './openapi.js';

/** One entry of `GET /admin/v1/scopes`. */
export interface ScopeEntry {
  readonly scope: string;
  /** Absent for a scope of a custom catalogue that is not an SMS.CX scope. */
  readonly description?: string;
}

/** The scope catalogue with descriptions, in catalogue order. */
export function scopeEntries(catalogue: ScopeCatalogue): ScopeEntry[] {
  return catalogue.scopes.map((scope) => {
    const description = SCOPE_DESCRIPTIONS[scope];
    return description === undefined ? { scope } : { scope, description };
  });
}

/** Registers the admin API's `me`, `scopes` and `openapi.json`. */
export function registerAdminMetaRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const onRequest = adminHooks(deps);
  app.route({
    method: 'GET',
    url: ADMIN_ME_PATH,
    onRequest,
    handler: (request, reply) => {
      const { id, name } = authenticatedApiKey(request);
      return sendData(reply, { id, name });
    },
  });

  const scopes = scopeEntries(deps.catalogue);
  app.route({
    method: 'GET',
    url: ADMIN_SCOPES_PATH,
    onRequest,
    handler: (_request, reply) => sendData(reply, scopes),
  });

  const document = JSON.stringify(openApiDocument(deps.catalogue));
  app.route({
    method: 'GET',
    url: ADMIN_OPENAPI_PATH,
    onRequest: noStore,
    handler: (_request, reply) =>
      reply.header('content-type', 'application/json; charset=utf-8').send(document),
  });
}
