import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, Errors } from '../domain/errors.js';

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
  return Errors.serverError;
}

/** Installs the one error handler: every error response of the server uses the envelope. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) {
      request.log.error({ err: error }, 'unexpected error');
    } else {
      request.log.debug(
        { code: (error as Partial<FastifyError>).code, status: apiError.status },
        'client error',
      );
    }
    return sendApiError(reply, apiError);
  });
}
