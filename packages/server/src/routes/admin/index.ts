/**
 * The admin REST API under `/admin/v1`: JSON in and out, an `X-API-KEY` on every route but the
 * OpenAPI document, `Cache-Control: no-store` on every response. Unknown paths and wrong
 * methods under the prefix are answered by `not-found.ts` (404, 405 with `Allow`).
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { registerAdminApplicationRoutes } from './applications.js';
import { registerAdminAuditRoutes } from './audit.js';
import type { AdminRouteDeps } from './common.js';
import { registerAdminKeyRoutes } from './keys.js';
import { registerAdminMetaRoutes } from './meta.js';

export type { AdminRouteDeps } from './common.js';

/** Registers every route of the admin API. */
export function registerAdminRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  registerAdminMetaRoutes(app, deps);
  registerAdminApplicationRoutes(app, deps);
  registerAdminKeyRoutes(app, deps);
  registerAdminAuditRoutes(app, deps);
}
