/** The `smscx` CLI logic, independent of the process so it stays testable. */
import { parseArgs } from 'node:util';
import { ApiClient, ApiException, Configuration, DEFAULT_HOST, OauthApi, VERSION } from '../index.js';
import { EXIT, exitCodeFor } from './exit-codes.js';

const USAGE = `Usage: smscx <command> [options]

Commands:
  token                 Get an access token (POST /oauth/token) and print the token response

Options of "token":
  --scope <scopes>      Space-delimited scopes (default: all scopes the application may have)
  --host <url>          API host (default: $SMSCX_HOST, else ${DEFAULT_HOST})
  --id <id>             Application ID (default: $SMSCX_APPLICATION_ID)
  --secret-stdin        Read the Application Secret from stdin (default: $SMSCX_APPLICATION_SECRET)
  --json                Print compact JSON on one line (default: pretty-printed JSON)
  --token-only          Print only the access token (for TOKEN=$(smscx token --token-only))

Global:
  -h, --help            Show this help
  -v, --version         Show the version

Environment: SMSCX_APPLICATION_ID, SMSCX_APPLICATION_SECRET, SMSCX_HOST, SMSCX_DEBUG=1 (debug log on stderr)

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
    const host = values.host ?? (io.env.SMSCX_HOST || DEFAULT_HOST);
    if (!/^https?:\/\/[^\s]+$/i.test(host)) throw new UsageError(`invalid --host "${host}"`);

    const api = new OauthApi(new ApiClient(new Configuration({ username, password, host })));
    const response = await api.getAccessToken({ scope: values.scope });
    if (values['token-only']) io.stdout(`${response.access_token}\n`);
    else if (values.json) io.stdout(`${JSON.stringify(response)}\n`);
    else io.stdout(`${JSON.stringify(response, null, 2)}\n`);
    return EXIT.ok;
  } catch (error) {
    io.stderr(`error: ${describe(error)}\n`);
    if (error instanceof UsageError || isParseArgsError(error)) return EXIT.usage;
    return exitCodeFor(error);
  }
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
