import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, Errors, invalidRequest } from '../contract/errors.js';

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** Largest request body accepted (larger: 413). */
export const BODY_LIMIT_BYTES = 16 * 1024;

/**
 * Replaces Fastify's body parsers with one that accepts every content type and keeps the raw
 * text: the form is parsed by the route after client authentication, because body errors
 * rank below authentication errors in the contract's check order.
 */
export function registerRawBody(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  const keepRaw = (
    request: FastifyRequest,
    body: string | Buffer,
    done: (error: ApiError | null, body?: string) => void,
  ) => {
    // A compressed body read as text would be misread (a gzip body that happens to be plain
    // text would even work): refused, after authentication like every body error.
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && !isIdentityEncoding(encoding)) {
      done(Errors.contentEncoding);
      return;
    }
    done(null, body as string);
  };
  // The same raw parser under the form type too: Fastify caches the parser of an exact
  // content type, while the catch-all '*' makes it parse the Content-Type header on every
  // request to find none.
  app.addContentTypeParser(FORM_CONTENT_TYPE, { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, keepRaw);
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, keepRaw);
}

/**
 * Tells whether a `Content-Encoding` header leaves the body as sent: empty, or only `identity`
 * codings (`identity`, `Identity, identity`). Anything else (gzip, deflate, br, x-gzip, an
 * unknown coding) is an encoding this server does not undo.
 */
export function isIdentityEncoding(header: string): boolean {
  for (const coding of header.split(',')) {
    const name = coding.trim();
    if (name !== '' && name.toLowerCase() !== 'identity') return false;
  }
  return true;
}

/** Tells whether a Content-Type header names `application/x-www-form-urlencoded` (parameters allowed). */
export function isFormContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const semicolon = header.indexOf(';');
  const mediaType = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return mediaType === FORM_CONTENT_TYPE;
}

/**
 * Decodes one form-urlencoded component ('+' is a space): the body's parameters, and the ID and
 * secret inside a Basic header (RFC 6749 §2.3.1). Throws URIError when malformed.
 */
export function decodeFormComponent(value: string): string {
  if (value.indexOf('%') === -1 && value.indexOf('+') === -1) return value;
  return decodeURIComponent(value.replaceAll('+', ' '));
}

/**
 * Parses an `application/x-www-form-urlencoded` body. A parameter sent twice, malformed
 * percent-encoding or an unpaired surrogate make it an {@link ApiError} (invalid_request).
 */
export function parseForm(body: string): Map<string, string> | ApiError {
  const params = new Map<string, string>();
  if (body.length === 0) return params;
  for (const pair of body.split('&')) {
    if (pair.length === 0) continue;
    const equals = pair.indexOf('=');
    let name: string;
    let value: string;
    try {
      name = decodeFormComponent(equals === -1 ? pair : pair.slice(0, equals));
      value = equals === -1 ? '' : decodeFormComponent(pair.slice(equals + 1));
    } catch {
      return Errors.unparseableBody;
    }
    if (params.has(name)) return Errors.repeatedParameter;
    params.set(name, value);
  }
  return params;
}

/**
 * The form of a request authenticated with HTTP Basic (token, revoke, introspect): a
 * form-urlencoded body that parses, without client credentials in it (RFC 6749 §2.3: one
 * authentication method per request, and ours is Basic).
 */
export function readClientForm(request: FastifyRequest): Map<string, string> | ApiError {
  if (!isFormContentType(request.headers['content-type'])) return Errors.contentType;
  const params = parseForm(typeof request.body === 'string' ? request.body : '');
  if (params instanceof ApiError) return params;
  if (params.has('client_secret')) return Errors.bodyCredentials;
  return params;
}

/** 400 for a missing `token` parameter (RFC 7009 §2.1, RFC 7662 §2.1). */
export const missingToken = invalidRequest('The request is missing a required parameter (token)');

/**
 * Reads the `token` parameter of a revocation or introspection request: the body must be
 * `application/x-www-form-urlencoded`, well formed, without repeated parameters or a
 * `client_secret`, and hold a non-empty `token`. `token_type_hint` is accepted and ignored
 * (access tokens are the only kind this server issues).
 */
export function readTokenParameter(request: FastifyRequest): string | ApiError {
  const params = readClientForm(request);
  if (params instanceof ApiError) return params;
  const token = params.get('token');
  if (token === undefined || token === '') return missingToken;
  return token;
}
