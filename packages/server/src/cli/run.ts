import { CommandError, UsageError } from './errors.js';
import { USAGE } from './usage.js';

/** Where a command writes: a stream such as `process.stdout`, or anything else with `write`. */
export interface CliOutput {
  write(chunk: string): unknown;
}

/** The streams and environment a command-line run works with. */
export interface CliIo {
  /** Command output (text, JSON, help). */
  readonly stdout: CliOutput;
  /** Error messages and usage after a bad command line. */
  readonly stderr: CliOutput;
  /** Environment the options are read from (`SMSCX_DB`, ...). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

/** Exit code of a successful run. */
export const EXIT_OK = 0;
/** Exit code of a command that ran but failed ({@link CommandError} or any other error). */
export const EXIT_FAILURE = 1;
/** Exit code of a command line that cannot be run as given ({@link UsageError}). */
export const EXIT_USAGE = 2;

/**
 * Runs the `smscx-oauth-server` command line `argv` (the arguments after the program name) and
 * returns its exit code: 0, 1 when the command failed ({@link CommandError} or any other error:
 * `error: <message>` on stderr), 2 for a bad command line ({@link UsageError}: the message and
 * the usage on stderr). Never throws.
 *
 * `serve` resolves once the server listens and keeps running after that; it writes its banner
 * and `listening on` line to `process.stdout` whatever `io` says.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await dispatch(argv, io);
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    if (error instanceof CommandError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    io.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}

// Commands are imported on demand: admin commands then skip loading Fastify and pino.
async function dispatch(argv: readonly string[], io: CliIo): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('./serve.js')).runServe(rest, io);
    case 'apps':
      return (await import('./apps.js')).runApps(rest, io);
    case 'keys':
      return (await import('./keys.js')).runKeys(rest, io);
    case 'api-keys':
      return (await import('./api-keys.js')).runApiKeys(rest, io);
    case 'audit':
      return (await import('./audit.js')).runAudit(rest, io);
    case 'help':
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(command === undefined ? 'missing command' : `unknown command: ${command}`);
  }
}
