import {
  AccessDeniedException,
  ApiConnectionException,
  InvalidCredentialsException,
  InvalidRequestException,
  InvalidScopeException,
  RateLimitExceededException,
  ServerErrorException,
} from '../index.js';

/** Exit codes of the `smscx` CLI, one per class of failure (documented in the README). */
export const EXIT = {
  ok: 0,
  other: 1,
  usage: 2,
  invalidCredentials: 3,
  accessDenied: 4,
  invalidRequest: 5,
  rateLimited: 6,
  serverError: 7,
  connection: 8,
} as const;

/** Maps an error to its exit code. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof InvalidCredentialsException) return EXIT.invalidCredentials;
  if (error instanceof AccessDeniedException) return EXIT.accessDenied;
  if (error instanceof InvalidRequestException || error instanceof InvalidScopeException) {
    return EXIT.invalidRequest;
  }
  if (error instanceof RateLimitExceededException) return EXIT.rateLimited;
  if (error instanceof ServerErrorException) return EXIT.serverError;
  if (error instanceof ApiConnectionException) return EXIT.connection;
  return EXIT.other;
}
