/** The `smscx` CLI logic, independent of the process so it stays testable. */
import { parseArgs } from 'node:util';
import {
  ApiClient,
  ApiException,
  Configuration,
  DEFAULT_HOST,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  LOG_LEVELS,
  type Logger,
  type LogLevel,
  OauthApi,
  type OauthTokenResponse,
  RateLimitExceededException,
  TokenManager,
  VERSION,
} from '../index.js';
import { FileTokenStore } from '../node/file-store.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const USAGE = `Usage: smscx <command> [options]

Commands:
  token                 Get an access token (POST /oauth/token) and print the token response

Options of "token":
  --scope <scopes>      Space-delimited scopes (default: all scopes the application may have)
  --host <url>          API base URL (default: $SMSCX_API_URL, else ${DEFAULT_HOST})
  --id <id>             Application ID (default: $SMSCX_APPLICATION_ID)
  --secret-stdin        Read the Application Secret from stdin (default: $SMSCX_APPLICATION_SECRET)
  --json                Print compact JSON on one line (default: pretty-printed JSON); errors too,
                        as {"error":{...}} on stderr
  --token-only          Print only the access token (for TOKEN=$(smscx token --token-only))
  --token-cache <dir>   Reuse a token cached in <dir>, shared by parallel runs (default: $SMSCX_TOKEN_CACHE;
                        none: every run asks for a new token)
  --max-retries <n>     Retries on network errors, timeouts, 429 and 5xx (default: ${DEFAULT_MAX_RETRIES})
  --max-retry-delay <ms>  Longest wait before a retry; a longer rate-limit wait fails at once
                        (default: ${DEFAULT_MAX_RETRY_DELAY_MS})
  --timeout <ms>        Timeout of one attempt in ms, 0 = none (default: ${DEFAULT_TIMEOUT_MS})
  --deadline <ms>       Total time, every attempt and wait included, 0 = none (default: 0)
  --log-level <level>   ${LOG_LEVELS.join(', ')} (default: warn, every retry; debug with SMSCX_DEBUG=1)

Global:
  -h, --help            Show this help
  -v, --version         Show the version

Environment:
  SMSCX_APPLICATION_ID, SMSCX_APPLICATION_SECRET   credentials
  SMSCX_API_URL         API base URL (SMSCX_HOST is used only when it is a full http(s):// URL,
                        since the token server reads SMSCX_HOST as its bind address)
  SMSCX_TOKEN_CACHE     token cache folder (as --token-cache)
  SMSCX_DEBUG=1         redacted debug log on stderr

Exit codes: 0 ok, 1 other error, 2 usage, 3 invalid credentials (401), 4 access denied (403),
  5 invalid request/scope/grant type (400), 6 rate limited (429), 7 server error (5xx),
  8 connection error or timeout
`;

/** Where the CLI reads and writes; injectable so the logic is testable without a process. */
export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
}

class UsageError extends Error {}

/**
 * Runs the CLI with `argv` (without the node and script paths) and returns the exit code.
 * Never throws: every failure becomes a one-line message on stderr and an exit code.
 */
export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        scope: { type: 'string' },
        host: { type: 'string' },
        id: { type: 'string' },
        'secret-stdin': { type: 'boolean' },
        json: { type: 'boolean' },
        'token-only': { type: 'boolean' },
        'token-cache': { type: 'string' },
        'max-retries': { type: 'string' },
        'max-retry-delay': { type: 'string' },
        timeout: { type: 'string' },
        deadline: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return EXIT.ok;
    }
    if (values.version) {
      io.stdout(`${VERSION}\n`);
      return EXIT.ok;
    }
    const [command, ...rest] = positionals;
    if (command === undefined) throw new UsageError('missing command (try "smscx --help")');
    if (command !== 'token') throw new UsageError(`unknown command "${command}"`);
    if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
    if (values.json && values['token-only'])
      throw new UsageError('--json and --token-only exclude each other');

    const username = values.id ?? io.env.SMSCX_APPLICATION_ID;
    if (!username) throw new UsageError('no Application ID: set SMSCX_APPLICATION_ID or pass --id');
    const password = values['secret-stdin']
      ? (await io.readStdin()).replace(/\r?\n$/, '')
      : io.env.SMSCX_APPLICATION_SECRET;
    if (!password) {
      throw new UsageError('no Application Secret: set SMSCX_APPLICATION_SECRET or pass --secret-stdin');
    }
    const host = resolveHost(values.host, io.env);
    const maxRetries = integerFlag('--max-retries', values['max-retries']);
    const maxRetryDelayMs = integerFlag('--max-retry-delay', values['max-retry-delay']);
    const timeoutMs = integerFlag('--timeout', values.timeout);
    const deadlineMs = integerFlag('--deadline', values.deadline);
    const logLevel = logLevelOf(values['log-level'], io.env);
    const cacheDir = values['token-cache'] ?? (io.env.SMSCX_TOKEN_CACHE || undefined);

    const configuration = new Configuration({
      username,
      password,
      host,
      maxRetries,
      maxRetryDelayMs,
      timeoutMs,
      deadlineMs,
      logLevel,
      logger: stderrLogger(io),
    });
    const apiClient = new ApiClient(configuration);
    const response =
      cacheDir === undefined
        ? await new OauthApi(apiClient).getAccessToken({ scope: values.scope })
        : await cachedToken(apiClient, values.scope, cacheDir);
    if (values['token-only']) io.stdout(`${response.access_token}\n`);
    else if (values.json) io.stdout(`${JSON.stringify(response)}\n`);
    else io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    const usage = error instanceof UsageError || isParseArgsError(error);
    // --json asks for machine-readable output: errors too (also when the flags did not parse).
    if (argv.includes('--json')) io.stderr(`${JSON.stringify({ error: errorJson(error, usage) })}\n`);
    else {
      // One line, always: node's parseArgs messages span several lines.
      io.stderr(`error: ${oneLine(describe(error))}\n`);
    }
    return usage ? EXIT.usage : exitCodeFor(error);
  }
}

/**
 * A token through a TokenManager on a FileTokenStore in `directory`: parallel runs share one
 * token request. `expires_in` is what is left of the cached token's lifetime.
 */
async function cachedToken(
  apiClient: ApiClient,
  scope: string | undefined,
  directory: string,
): Promise<OauthTokenResponse> {
  const store = new FileTokenStore(directory);
  const tokens = new TokenManager({ apiClient, scope, store });
  const response = await tokens.getTokenResponse();
  const stored = await store.get(tokens.cacheKey).catch(() => undefined);
  if (stored?.token.access_token !== response.access_token || stored.expiresAt === undefined) return response;
  const left = Math.max(1, Math.floor((stored.expiresAt - Date.now()) / 1000));
  return { ...response, expires_in: Math.min(left, response.expires_in) };
}

/** The library's log lines (`smscx <event> {fields}`), on the CLI's stderr. */
function stderrLogger(io: CliIo): Logger {
  const write = (message: string, fields?: Record<string, unknown>) => {
    io.stderr(`smscx ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  };
  return { error: write, warn: write, info: write, debug: write };
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** The `--json` form of a failure: `{ type, message, ... }` (snake_case, like the API's). */
function errorJson(error: unknown, usage: boolean): Record<string, unknown> {
  if (usage)
    return { type: 'usage', message: oneLine(error instanceof Error ? error.message : String(error)) };
  if (error instanceof ApiException) {
    return {
      type: error.error?.type ?? error.name,
      code: error.error?.code,
      message: error.error?.message ?? error.message,
      class: error.name,
      status: error.status,
      request_id: error.requestId,
      retry_after_ms: error instanceof RateLimitExceededException ? error.retryAfterMs : undefined,
    };
  }
  return { type: 'error', message: oneLine(error instanceof Error ? error.message : String(error)) };
}

/** `--log-level`, else debug when SMSCX_DEBUG is set, else the library's default. */
function logLevelOf(flag: string | undefined, env: Record<string, string | undefined>): LogLevel | undefined {
  if (flag !== undefined) {
    if (!(LOG_LEVELS as readonly string[]).includes(flag)) {
      throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${flag}"`);
    }
    return flag as LogLevel;
  }
  const debug = env.SMSCX_DEBUG;
  if (debug !== undefined && debug !== '' && debug !== '0' && debug.toLowerCase() !== 'false') return 'debug';
  return 'warn';
}

const HTTP_URL = /^https?:\/\/[^\s/]+\S*$/i;

/**
 * The API base URL: `--host`, else `SMSCX_API_URL`, else `SMSCX_HOST` but only when it is a full
 * http(s) URL, else the default. The token server reads `SMSCX_HOST` as its bind address (a bare
 * `127.0.0.1`), so a shell that runs both must not have that value break the CLI: it is ignored.
 */
export function resolveHost(flag: string | undefined, env: Record<string, string | undefined>): string {
  if (flag !== undefined) {
    if (!HTTP_URL.test(flag)) throw new UsageError(`invalid --host "${flag}" (expected an http(s):// URL)`);
    return flag;
  }
  const apiUrl = env.SMSCX_API_URL;
  if (apiUrl !== undefined && apiUrl !== '') {
    if (!HTTP_URL.test(apiUrl)) {
      throw new UsageError(`invalid SMSCX_API_URL "${apiUrl}" (expected an http(s):// URL)`);
    }
    return apiUrl;
  }
  const legacy = env.SMSCX_HOST;
  if (legacy !== undefined && HTTP_URL.test(legacy)) return legacy;
  return DEFAULT_HOST;
}

/** A non-negative integer flag, or undefined when not given. */
function integerFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d{1,9}$/.test(raw)) throw new UsageError(`${name} must be a non-negative integer, got "${raw}"`);
  return Number(raw);
}

function describe(error: unknown): string {
  if (error instanceof UsageError) return `usage: ${error.message}`;
  if (error instanceof ApiException) {
    const type = error.error?.type ?? error.name;
    const message = error.error?.message ?? error.message;
    const id = error.requestId ? ` (request id ${error.requestId})` : '';
    return `${type}: ${message}${id}`;
  }
  if (isParseArgsError(error)) return `usage: ${(error as Error).message}`;
  return error instanceof Error ? error.message : String(error);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
