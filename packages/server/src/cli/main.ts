import { CommandError, UsageError } from './errors.js';
import { USAGE } from './usage.js';

// Commands are imported on demand: admin commands then skip loading Fastify and pino.

/** Entry point of the `smscx-oauth-server` binary: dispatches to the command. */
async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return (await import('./serve.js')).runServe(rest);
    case 'apps':
      return (await import('./apps.js')).runApps(rest);
    case 'keys':
      return (await import('./keys.js')).runKeys(rest);
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    default:
      throw new UsageError(command === undefined ? 'missing command' : `unknown command: ${command}`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (error instanceof CommandError) {
    process.stderr.write(`error: ${error.message}\n`);
    process.exitCode = 1;
  } else {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
});
