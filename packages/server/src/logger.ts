import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/options.js';

/**
 * Paths pino replaces with `[Redacted]`: credentials must never reach a log line even if
 * some code logs a request, headers or an application object by mistake.
 */
export const REDACTED_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  '*.authorization',
  '*.headers.authorization',
  'headers["x-api-key"]',
  'req.headers["x-api-key"]',
  '*.headers["x-api-key"]',
  'api_key',
  '*.api_key',
  'secret',
  '*.secret',
  'application_secret',
  '*.application_secret',
  'secretHash',
  '*.secretHash',
  'previousSecret.hash',
  '*.previousSecret.hash',
  'pepper',
  '*.pepper',
  'privateKey',
  '*.privateKey',
];

/** Makes the server's logger (JSON lines to stdout unless `destination` is given). */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[Redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}
