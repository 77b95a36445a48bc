import type { Logger, LogLevel } from '../configuration.js';
import { redactSecrets } from './redact.js';

/** Numeric verbosity of each level: an event is written when its level ≤ the configured one. */
export const LEVEL: Readonly<Record<LogLevel, number>> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };

/**
 * Writes one line per event, `smscx <message> {json fields}`: errors with `console.error`,
 * everything else with `console.warn` (stderr in Node, Bun and Deno, so a CLI's stdout stays
 * clean; a warning in a browser's console).
 */
const CONSOLE: Logger = {
  error: (message, fields) => console.error(line(message, fields)),
  warn: (message, fields) => console.warn(line(message, fields)),
  info: (message, fields) => console.warn(line(message, fields)),
  debug: (message, fields) => console.warn(line(message, fields)),
};

function line(message: string, fields: Record<string, unknown> | undefined): string {
  return `smscx ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`;
}

const NOTHING = () => {};

/**
 * The logger the SDK writes to: the configured one (else the console), filtered by `level`.
 * A level that is off is a no-op function, so callers on the request path can also check
 * {@link LEVEL} first and skip building fields. Every message and field value passes through
 * {@link redactSecrets} first, so even a careless call site cannot log a secret or a token.
 */
export function resolveLogger(
  configured: Logger | undefined,
  level: LogLevel,
  secrets: () => readonly string[],
): Logger {
  const target = configured ?? CONSOLE;
  const verbosity = LEVEL[level];
  const at = (name: Exclude<LogLevel, 'off'>): Logger[typeof name] => {
    if (LEVEL[name] > verbosity) return NOTHING;
    return (message, fields) => {
      const list = secrets();
      const safeFields = fields ? (redactDeep(fields, list) as Record<string, unknown>) : undefined;
      target[name](redactSecrets(message, list), safeFields);
    };
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') };
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
