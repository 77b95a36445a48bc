/** The `smscx` CLI logic, independent of the process so it stays testable. */
import { parseArgs } from 'node:util';
import {
  ApiClient,
  ApiException,
  Configuration,
  DEFAULT_HOST,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  OauthApi,
  VERSION,
} from '../index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const USAGE = `Usage: smscx <command> [options]

Commands:
  token                 Get an access token (POST /oauth/token) and print the token response

Options of "token":
  --scope <scopes>      Space-delimited scopes (default: all scopes the application may have)
  --host <url>          API base URL (default: $SMSCX_API_URL, else ${DEFAULT_HOST})
  --id <id>             Application ID (default: $SMSCX_APPLICATION_ID)
  --secret-stdin        Read the Application Secret from stdin (default: $SMSCX_APPLICATION_SECRET)
  --json                Print compact JSON on one line (default: pretty-printed JSON)
  --token-only          Print only the access token (for TOKEN=$(smscx token --token-only))
  --max-retries <n>     Retries on network errors, timeouts, 429 and 5xx (default: ${DEFAULT_MAX_RETRIES})
  --timeout <ms>        Timeout of one attempt in ms, 0 = none (default: ${DEFAULT_TIMEOUT_MS})

Global:
  -h, --help            Show this help
  -v, --version         Show the version

Environment:
  SMSCX_APPLICATION_ID, SMSCX_APPLICATION_SECRET   credentials
  SMSCX_API_URL         API base URL (SMSCX_HOST is used only when it is a full http(s):// URL,
                        since the token server reads SMSCX_HOST as its bind address)
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
        'max-retries': { type: 'string' },
        timeout: { type: 'string' },
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
    const timeoutMs = integerFlag('--timeout', values.timeout);

    const configuration = new Configuration({ username, password, host, maxRetries, timeoutMs });
    const api = new OauthApi(new ApiClient(configuration));
    const response = await api.getAccessToken({ scope: values.scope });
    if (values['token-only']) io.stdout(`${response.access_token}\n`);
    else if (values.json) io.stdout(`${JSON.stringify(response)}\n`);
    else io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    // One line, always: node's parseArgs messages span several lines.
    io.stderr(
      `error: ${describe(error)
        .replace(/\s*\n\s*/g, ' ')
        .trim()}\n`,
    );
    if (error instanceof UsageError || isParseArgsError(error)) return EXIT.usage;
    return exitCodeFor(error);
  }
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
