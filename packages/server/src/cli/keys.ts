import { cliActor } from '../admin/audit.js';
import { rotateKeys } from '../admin/keys.js';
import { printJson, withAdminContext } from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs } from './args.js';
import { UsageError } from './errors.js';
import type { CliIo } from './run.js';
import { USAGE } from './usage.js';

/**
 * `smscx-oauth-server keys rotate`: new current signing key; the old one stays published.
 * Output on `io.stdout`, options from `io.env`.
 *
 * @throws UsageError for a bad command line
 */
export async function runKeys(args: string[], io: CliIo): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h') {
    io.stdout.write(USAGE);
    return;
  }
  if (subcommand !== 'rotate') {
    throw new UsageError(
      subcommand === undefined ? 'keys needs a subcommand' : `unknown keys subcommand: ${subcommand}`,
    );
  }
  const { values } = parseCommandArgs(rest, ADMIN_OPTIONS);
  const result = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    rotateKeys(storage, pepper, Date.now(), { actor: cliActor() }),
  );
  if (values.json === true) {
    printJson(io.stdout, { kid: result.kid, retired: result.retired, pruned: result.pruned });
    return;
  }
  io.stdout.write(
    `new signing key ${result.kid}\n` +
      (result.retired.length > 0
        ? `retired ${result.retired.join(', ')} (still published in the JWKS while its tokens can be valid)\n`
        : ''),
  );
}
