/**
 * Validation of the admin API's input: each failure is 400 `invalid_request` whose message
 * starts with the field it is about (`name: must be 1 to 100 characters`). A message quotes what
 * the client sent only when it is a short, plain token (a scope name, a field name), so no
 * message carries arbitrary input.
 *
 * @module
 */
import { type ApiError, invalidRequest } from '../../contract/errors.js';
import { isTokenExpiration, type TokenExpiration } from '../../contract/expiration.js';
import { nameProblem } from '../../domain/names.js';
import { isScopeToken, type ScopeCatalogue, splitScope } from '../../domain/scopes.js';

const FIELD_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** A 400 about `field`. */
export function fieldError(field: string, problem: string): ApiError {
  return invalidRequest(`${field}: ${problem}`);
}

/** An application name, trimmed (the rule: `domain/names.ts`). */
export function parseName(value: unknown): string {
  if (typeof value !== 'string') throw fieldError('name', 'must be a string');
  const name = value.trim();
  const problem = nameProblem(name);
  if (problem !== undefined) throw fieldError('name', problem);
  return name;
}

/**
 * Allowed scopes: a space-delimited string (`"sms groups"`) or an array of scope names, each in
 * the catalogue, at least one. Returned deduplicated, in catalogue order.
 */
export function parseScopes(value: unknown, catalogue: ScopeCatalogue): string[] {
  let tokens: string[];
  if (typeof value === 'string') tokens = splitScope(value);
  else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) tokens = value;
  else throw fieldError('scopes', 'must be a space-delimited string or an array of scope names');
  for (const token of tokens) {
    if (catalogue.has(token)) continue;
    throw fieldError(
      'scopes',
      isScopeToken(token) && token.length <= 64
        ? `unknown scope ${JSON.stringify(token)}`
        : 'malformed scope name',
    );
  }
  if (tokens.length === 0) throw fieldError('scopes', 'must name at least one scope');
  return catalogue.canonical(tokens);
}

/** A token expiration setting: `1d`, `1w` or `never`. */
export function parseTokenExpiration(value: unknown): TokenExpiration {
  if (typeof value !== 'string' || !isTokenExpiration(value))
    throw fieldError('token_expiration', 'must be 1d, 1w or never');
  return value;
}

/** Refuses a body with fields other than `allowed`, naming them. */
export function rejectUnknownFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  const unknown = Object.keys(body).filter((field) => !allowed.includes(field));
  if (unknown.length === 0) return;
  const named = unknown.map((field) => (FIELD_NAME.test(field) ? JSON.stringify(field) : '(unprintable)'));
  throw fieldError('body', `unknown field${unknown.length === 1 ? '' : 's'} ${named.join(', ')}`);
}

/** A query parameter's single value, or undefined when absent. */
export function queryValue(query: unknown, name: string): string | undefined {
  const value = (query as Record<string, unknown> | undefined)?.[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw fieldError(name, 'must be given once');
  return value;
}

const DIGITS = /^\d{1,16}$/;
// A date, or a date-time with an explicit offset (one without is local time to `Date.parse`).
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/** An instant given as ISO 8601 or as epoch milliseconds; epoch ms. */
export function parseInstant(name: string, value: string): number {
  if (DIGITS.test(value)) {
    const ms = Number(value);
    if (Number.isSafeInteger(ms)) return ms;
  } else if (ISO_8601.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw fieldError(name, 'must be an ISO 8601 date-time or epoch milliseconds');
}

/** A whole number from `min` to `max`, or the error `problem`. */
export function parseInteger(name: string, value: string, min: number, max: number, problem: string): number {
  const number = DIGITS.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) throw fieldError(name, problem);
  return number;
}
