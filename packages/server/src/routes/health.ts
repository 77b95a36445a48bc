import type { FastifyInstance } from 'fastify';
import { HEALTHZ_PATH, READYZ_PATH } from '../contract/paths.js';
import type { HealthChecks } from '../observability/index.js';

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const ALIVE = '{"status":"ok"}';

/**
 * `GET /healthz` (liveness: this process answers, always 200 `{"status":"ok"}`) and
 * `GET /readyz` (readiness: 200 `{"status":"ok","checks":{...}}` when the database answers,
 * changes are followed and, with `--redis`, Redis answers; otherwise 503
 * `{"status":"unavailable","checks":{"database":"ok","changes":"failing",...}}`). Both
 * `Cache-Control: no-store`, with no authentication and no rate limit, and never logged per
 * request. Each answers for the process that takes the request (with `--workers`, one worker).
 */
export function registerHealthRoutes(app: FastifyInstance, health: HealthChecks): void {
  app.get(HEALTHZ_PATH, (_request, reply) => {
    reply.header('cache-control', 'no-store').header('content-type', JSON_CONTENT_TYPE).send(ALIVE);
  });
  app.get(READYZ_PATH, async (_request, reply) => {
    const { ready, checks } = await health.readiness();
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .header('content-type', JSON_CONTENT_TYPE)
      .send(JSON.stringify({ status: ready ? 'ok' : 'unavailable', checks }));
  });
}
