import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';
import { printable } from './printable.js';
import type { CliIo } from './run.js';
import { USAGE } from './usage.js';

/** The options of one command, as `node:util` `parseArgs` takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} returns: the flag values and the positional arguments. */
export type ParsedCommand<Options extends CommandOptions> = ReturnType<
  typeof parseArgs<{ args: string[]; options: Options; strict: true; allowPositionals: boolean }>
>;

/**
 * `parseArgs` in strict mode for one command: an unknown flag, a missing value or an unexpected
 * positional argument is a {@link UsageError} (usage on stderr, exit 2).
 */
export function parseCommandArgs<const Options extends CommandOptions>(
  args: string[],
  options: Options,
  allowPositionals = false,
): ParsedCommand<Options> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The flags every admin command (`apps …`, `keys …`, `api-keys …`, `audit`) takes. */
export const ADMIN_OPTIONS = {
  db: { type: 'string' },
  'pepper-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

/** One subcommand of a command group: its arguments after the subcommand name. */
export type Subcommand = (args: string[], io: CliIo) => Promise<void>;

/**
 * Runs `args` as `<group> <subcommand> ...` from `table`; `--help` or `-h` prints the usage. An
 * unknown subcommand is cut and escaped in the error: it comes straight from the command line and
 * is written to a terminal.
 *
 * @throws UsageError for a missing or unknown subcommand
 */
export async function runSubcommand(
  group: string,
  table: Readonly<Record<string, Subcommand>>,
  args: string[],
  io: CliIo,
): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h') {
    io.stdout.write(USAGE);
    return;
  }
  if (subcommand === undefined) throw new UsageError(`${group} needs a subcommand`);
  // Own keys only: `constructor` or `__proto__` on the command line is an unknown subcommand.
  if (!Object.hasOwn(table, subcommand)) {
    throw new UsageError(`unknown ${group} subcommand: ${printable(subcommand.slice(0, 64))}`);
  }
  return table[subcommand]!(rest, io);
}
