import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Fastify `genReqId`: echoes an incoming `X-Request-Id` only when it is a short safe token
 * (so it cannot inject anything into headers or logs), otherwise makes a UUID.
 */
export function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/**
 * Adds `X-Request-Id` and `X-Response-Time` to every response (404, 405 and errors included)
 * and, at debug level only, one log line per request.
 */
export function registerRequestContext(app: FastifyInstance): void {
  // One onSend hook for both headers: every response that Fastify sends passes through it
  // (early answers of onRequest hooks, 404, errors), and each hook costs per request.
  // Errors raised before routing skip hooks; frameworkErrorHandler sets both itself.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-response-time', `${reply.elapsedTime.toFixed(2)}ms`);
    done(null, payload);
  });
  const level = app.log.level;
  if (level !== 'debug' && level !== 'trace') return;
  app.addHook('onResponse', (request, reply, done) => {
    // Method, matched route and status only: never headers (Authorization), bodies or the
    // raw URL (a client may paste a secret into a path or query string).
    request.log.debug(
      {
        method: request.method,
        route: request.routeOptions.url ?? '(no route)',
        statusCode: reply.statusCode,
        ms: reply.elapsedTime,
      },
      'request',
    );
    done();
  });
}
