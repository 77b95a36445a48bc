import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { Errors } from '../contract/errors.js';
import { HEALTH_PATHS } from '../contract/paths.js';
import { setNoStore } from './client-authentication.js';
import { sendApiError } from './error-handler.js';

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
 * Adds `X-Request-Id` and `X-Response-Time` to every response (404, 405 and errors included),
 * answers an HTTP/1.1 request without `Host` ({@link requireHost}) and, at debug level only,
 * logs one line per request (never for the health endpoints, which probes call every few seconds).
 */
export function registerRequestContext(app: FastifyInstance): void {
  app.addHook('onRequest', requireHost);
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
    if (HEALTH_PATHS.has(request.routeOptions.url ?? '')) {
      done();
      return;
    }
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

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without `Host` gets 400. Node's own check (its
 * `requireHostHeader`, turned off in `buildApp`) answers a bare 400 with no body; this one
 * answers in the envelope, with the usual headers (`X-Request-Id`, `X-Response-Time`, and
 * `Cache-Control: no-store`: an error is never to be cached), and closes the connection, as
 * Node's does. HTTP/1.0 predates `Host` and is served without it: nothing here depends on it
 * (the issuer is configured or the bound address, never the request's Host).
 */
function requireHost(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  if (request.headers.host !== undefined) {
    done();
    return;
  }
  const raw = request.raw;
  if (raw.httpVersionMajor !== 1 || raw.httpVersionMinor !== 1) {
    done();
    return;
  }
  request.log.debug('HTTP/1.1 request without Host');
  setNoStore(reply);
  reply.header('connection', 'close');
  sendApiError(reply, Errors.missingHost);
}
