import type { IncomingHttpHeaders } from 'node:http';
import { readBearerToken } from './bearer.js';
import { TokenVerificationError } from './errors.js';
import type { VerifiedAccessToken, VerifyOptions } from './types.js';
import type { AccessTokenVerifier } from './verifier.js';

/** The request shape the middleware needs (a node:http `IncomingMessage`, an Express `Request`). */
export interface BearerRequest {
  headers: IncomingHttpHeaders;
  /** Set once the bearer token is verified. */
  accessToken?: VerifiedAccessToken;
}

/** The response shape the middleware needs (a node:http `ServerResponse`, an Express `Response`). */
export interface BearerResponse {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

/**
 * `(req, res, next)` middleware for Express, Connect or bare node:http that requires a valid bearer
 * token (and `options.scopes`, if given). On success it sets `req.accessToken` and calls `next()`;
 * on failure it answers with the status (401/403/503), `WWW-Authenticate`, `Cache-Control: no-store`
 * and the JSON error envelope, and does not call `next`. An unexpected error goes to `next(err)`.
 *
 * @example
 * const auth = expressBearerAuth(verifier, { scopes: ['sms'] });
 * http.createServer((req, res) => auth(req, res, (err) => { if (!err) res.end(req.accessToken?.sub) }));
 * @see https://www.rfc-editor.org/rfc/rfc6750#section-3
 */
export function expressBearerAuth(
  verifier: AccessTokenVerifier,
  options: VerifyOptions = {},
): (req: BearerRequest, res: BearerResponse, next: (err?: unknown) => void) => void {
  const verifyOptions: VerifyOptions = { scopes: options.scopes };
  return (req, res, next) => {
    const token = readBearerToken(req.headers.authorization);
    const pending =
      token === undefined
        ? Promise.reject(new TokenVerificationError('missing'))
        : verifier.verify(token, verifyOptions);
    pending.then(
      (verified) => {
        req.accessToken = verified;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof TokenVerificationError)) {
          next(err);
          return;
        }
        res.statusCode = err.status;
        for (const [name, value] of Object.entries(err.headers())) res.setHeader(name, value);
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(err.toEnvelope()));
      },
    );
  };
}
