import type { Logger } from '../configuration.js';
import { redactSecrets } from './redact.js';

/** A logger that drops everything: debug logging is off by default. */
const SILENT: Logger = { debug() {} };

/**
 * True when `logger` drops everything, so callers can skip building log fields (redacted header
 * copies, durations) on the request path.
 */
export function isSilent(logger: Logger): boolean {
  return logger === SILENT;
}

/** Writes one line per event to stderr (via console.error), as `smscx <msg> {json}`. */
const CONSOLE: Logger = {
  debug(message, fields) {
    console.error(`smscx ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`);
  },
};

/** True when `SMSCX_DEBUG` is set to something other than "" / "0" / "false". */
function debugFromEnv(): boolean {
  // Only touch `process` when it exists: the core also runs in browsers, Deno and Bun.
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const value = env?.SMSCX_DEBUG;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

/**
 * The logger the SDK writes to: the configured one, else a console logger when SMSCX_DEBUG is
 * set, else a silent one. Whatever it is, every message and field value passes through
 * {@link redactSecrets} first, so even a careless call site cannot log a secret or a token.
 */
export function resolveLogger(configured: Logger | undefined, secrets: () => readonly string[]): Logger {
  const target = configured ?? (debugFromEnv() ? CONSOLE : SILENT);
  if (target === SILENT) return SILENT;
  return {
    debug(message, fields) {
      const list = secrets();
      const safeFields = fields ? (redactDeep(fields, list) as Record<string, unknown>) : undefined;
      target.debug(redactSecrets(message, list), safeFields);
    },
  };
}

/** Copies plain values, redacting secrets in every string (depth-limited: fields are small). */
function redactDeep(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redactSecrets(value, secrets);
  if (depth > 5 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, secrets, depth + 1);
  return out;
}
