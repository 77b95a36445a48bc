import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, Errors } from '../contract/errors.js';
import { DatabaseBusyError } from '../storage/types.js';

/** Sends an {@link ApiError} as the SMS.CX envelope. */
export function sendApiError(reply: FastifyReply, error: ApiError): FastifyReply {
  return reply.code(error.status).header('content-type', 'application/json; charset=utf-8').send(error.body);
}

/** Maps whatever was thrown to the error the client sees. Unexpected failures become 500. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const status = (error as Partial<FastifyError>).statusCode;
  if (status === 413) return Errors.bodyTooLarge;
  // Fastify's own 4xx (bad Content-Length, aborted body, ...) are client mistakes.
  if (typeof status === 'number' && status >= 400 && status < 500) return Errors.badRequest;
  // A write that could not get another process's SQLite write lock in time: nothing was written.
  if (error instanceof DatabaseBusyError) return Errors.databaseBusy;
  return Errors.serverError;
}

/** Installs the one error handler: every error response of the server uses the envelope. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError === Errors.serverError) {
      request.log.error({ err: error }, 'unexpected error');
    } else {
      request.log.debug(
        { code: (error as Partial<FastifyError>).code, status: apiError.status },
        'client error',
      );
    }
    // Another process held the write lock too long: worth a warning, with no stack.
    if (apiError === Errors.databaseBusy)
      request.log.warn('database busy: the write lock was not free in time');
    // A 503 is a known, passing state (logged once by whoever knows why); say when to come back.
    if (apiError.status === 503) reply.header('retry-after', 1);
    // RFC 9110 §12.5.3: a 415 for a content coding says which codings are accepted.
    if (apiError === Errors.contentEncoding) reply.header('accept-encoding', 'identity');
    return sendApiError(reply, apiError);
  });
}

/**
 * Fastify `frameworkErrors`: errors raised before routing (a URL that cannot be decoded, e.g.
 * `/%ff`) bypass hooks and the error handler, so the request headers are set here.
 */
export function frameworkErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  request.log.debug({ code: error.code }, 'framework error');
  reply.header('x-request-id', request.id);
  reply.header('x-response-time', `${reply.elapsedTime.toFixed(2)}ms`);
  sendApiError(reply, toApiError(error));
}

/**
 * Fastify `clientErrorHandler`: the HTTP parser rejected the bytes on a connection (bad
 * request line, header overflow, a body sent without a length). No request object exists,
 * so a complete raw response with the envelope is written and the connection closed.
 */
export function clientErrorHandler(error: NodeJS.ErrnoException, socket: Socket): void {
  // A response already started on this connection cannot be followed by another one:
  // just close (as Node's own default handler does).
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || pending?.headersSent === true) {
    socket.destroy();
    return;
  }
  const { body } = Errors.badRequest;
  socket.write(
    'HTTP/1.1 400 Bad Request\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${randomUUID()}\r\n` +
      'X-Response-Time: 0.00ms\r\n' +
      'Connection: close\r\n\r\n' +
      body,
  );
  socket.destroySoon();
}
