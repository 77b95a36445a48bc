/**
 * `GET /admin/v1/audit`: the audit log, newest first, a page at a time.
 *
 * @module
 */
import type { FastifyInstance } from 'fastify';
import { MAX_AUDIT_PAGE, readAudit, viewAudit } from '../../admin/audit.js';
import { ADMIN_AUDIT_PATH } from '../../contract/paths.js';
import { type AdminRouteDeps, adminHooks, fromStorage } from './common.js';
import { parseInstant, parseInteger, queryValue } from './validation.js';

/** Entries per page when `limit` is not given. */
export const DEFAULT_AUDIT_PAGE = 100;

/**
 * Registers `GET /admin/v1/audit?since=&before=&limit=`: entries at or after `since` (ISO 8601
 * or epoch ms), older than the cursor `before` (a previous page's `next`), at most `limit`
 * (1-500, default 100); `{"data":[...],"next":<cursor or null>}`.
 */
export function registerAdminAuditRoutes(app: FastifyInstance, deps: AdminRouteDeps): void {
  const { storage } = deps;
  app.route({
    method: 'GET',
    url: ADMIN_AUDIT_PATH,
    onRequest: adminHooks(deps),
    handler: async (request, reply) => {
      const since = queryValue(request.query, 'since');
      const before = queryValue(request.query, 'before');
      const limit = queryValue(request.query, 'limit');
      const query = {
        ...(since === undefined ? {} : { since: parseInstant('since', since) }),
        ...(before === undefined
          ? {}
          : {
              before: parseInteger(
                'before',
                before,
                1,
                Number.MAX_SAFE_INTEGER,
                'must be the cursor of a previous page (its next)',
              ),
            }),
        limit:
          limit === undefined
            ? DEFAULT_AUDIT_PAGE
            : parseInteger(
                'limit',
                limit,
                1,
                MAX_AUDIT_PAGE,
                `must be an integer from 1 to ${MAX_AUDIT_PAGE}`,
              ),
      };
      const page = await fromStorage(request, () => readAudit(storage, query));
      return reply
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ data: page.entries.map(viewAudit), next: page.next }));
    },
  });
}
