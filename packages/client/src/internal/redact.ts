/** Scrubbing of credentials from anything that may be logged or stored on an error. */

const REDACTED = '[REDACTED]';

/** Header names whose values are credentials. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key']);

/**
 * A plain object copy of `headers` with credential values replaced, keeping only the scheme
 * (`Basic [REDACTED]`) because the scheme helps debugging and is not secret.
 */
export function redactHeaders(headers: Headers | Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [rawName, value] of entries) {
    const name = rawName.toLowerCase();
    if (!SECRET_HEADERS.has(name)) out[name] = value;
    else {
      const scheme = /^(\w+)\s/.exec(value)?.[1];
      out[name] = scheme ? `${scheme} ${REDACTED}` : REDACTED;
    }
  }
  return out;
}

/** Replaces the value of every `"access_token"` member in a JSON text, without parsing it. */
export function redactTokenBody(body: string): string {
  return body.replace(/("access_token"\s*:\s*)"(?:[^"\\]|\\.)*"/g, `$1"${REDACTED}"`);
}

/**
 * Replaces every occurrence of each non-empty secret in `text`. A last line of defence for
 * free-form strings (error messages from an injected fetch, a proxy echoing the request) that
 * could hold a credential.
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length >= 4 && out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * `headers` with every secret removed from every value; the same object when nothing had to
 * change (the usual case: no copy).
 */
export function redactHeaderValues(headers: Headers, secrets: readonly string[]): Headers {
  let dirty = false;
  for (const [, value] of headers) {
    if (redactSecrets(value, secrets) !== value) {
      dirty = true;
      break;
    }
  }
  if (!dirty) return headers;
  const copy = new Headers();
  for (const [name, value] of headers) copy.append(name, redactSecrets(value, secrets));
  return copy;
}
