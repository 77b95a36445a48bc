/**
 * Reads the token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme is
 * case-insensitive). Undefined when there is no header or another scheme: the request carried no
 * bearer credentials. An empty token is returned as `''` and then refused as malformed.
 */
export function readBearerToken(authorization: string | readonly string[] | undefined): string | undefined {
  if (typeof authorization !== 'string' || authorization.length < 7) return undefined;
  if (authorization.charCodeAt(6) !== 32 || authorization.slice(0, 6).toLowerCase() !== 'bearer')
    return undefined;
  return authorization.slice(7).trim();
}
