/**
 * HTTP Basic client authentication as RFC 6749 §2.3.1 specifies it: the client id and secret
 * are each encoded with application/x-www-form-urlencoded (Appendix B) *before* being joined
 * with ":" and base64-encoded, so a ":" or "%" inside a secret survives the round trip.
 */

/**
 * application/x-www-form-urlencoded encoding of one value (RFC 6749 Appendix B / WHATWG URL):
 * UTF-8 percent-encoding of everything except ALPHA / DIGIT / "*" / "-" / "." / "_", with a
 * space written as "+". `encodeURIComponent` leaves `!'()~` alone, so those are escaped here.
 */
export function formUrlEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** Base64 of the UTF-8 bytes of `text`, with only web-standard APIs (TextEncoder, btoa). */
export function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The full `Authorization` header value: `Basic base64(urlenc(id) ":" urlenc(secret))`. */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  return `Basic ${base64Utf8(`${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`)}`;
}
