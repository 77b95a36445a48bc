/**
 * The SMS.CX error envelope, `{"error":{"type","code","message","uri"}}`, shared by the token
 * server's own errors and the verifier's, so both link to the same documentation.
 *
 * @module
 */

/** Base of the envelope's `uri`: the docs section is the error type, e.g. `https://docs.sms.cx/#invalid_scope`. */
export const ERROR_DOCS_BASE = 'https://docs.sms.cx/#';

/** The SMS.CX error envelope (model `Error`). */
export interface ErrorEnvelope<Type extends string = string, Code extends number = number> {
  error: { type: Type; code: Code; message: string; uri: string };
}

/** Builds the envelope of an error of `type`; `message` must be a fixed text, never request input. */
export function errorEnvelope<Type extends string, Code extends number>(
  type: Type,
  code: Code,
  message: string,
): ErrorEnvelope<Type, Code> {
  return { error: { type, code, message, uri: ERROR_DOCS_BASE + type } };
}
