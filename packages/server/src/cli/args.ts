import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';

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
