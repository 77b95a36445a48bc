import { parseArgs } from 'node:util';
import { rotateSigningKey } from '../keys/key-ring.js';
import { RETIRED_KEY_RETENTION_MS } from '../keys/retention.js';
import { printJson, withAdminContext } from './admin-context.js';
import { UsageError } from './errors.js';
import { USAGE } from './usage.js';

/** `smscx-oauth-server keys rotate`: new current signing key; the old one stays published. */
export async function runKeys(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand === '--help' || subcommand === '-h') {
    process.stdout.write(USAGE);
    return;
  }
  if (subcommand !== 'rotate') {
    throw new UsageError(
      subcommand === undefined ? 'keys needs a subcommand' : `unknown keys subcommand: ${subcommand}`,
    );
  }
  let values: { db?: string | undefined; 'pepper-file'?: string | undefined; json?: boolean | undefined };
  try {
    values = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: false,
      options: { db: { type: 'string' }, 'pepper-file': { type: 'string' }, json: { type: 'boolean' } },
    }).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const result = await withAdminContext(values, async ({ storage, pepper }) => {
    const rotated = await rotateSigningKey(storage, pepper);
    const applications = await storage.listApplications();
    // Retired keys past retention go, unless never-expiring tokens may still need them.
    const pruned = applications.some((application) => application.tokenExpiration === 'never')
      ? 0
      : await storage.pruneSigningKeys(Date.now() - RETIRED_KEY_RETENTION_MS);
    return { ...rotated, pruned };
  });
  if (values.json === true) {
    printJson({ kid: result.kid, retired: result.retired, pruned: result.pruned });
    return;
  }
  process.stdout.write(
    `new signing key ${result.kid}\n` +
      (result.retired.length > 0
        ? `retired ${result.retired.join(', ')} (still published in the JWKS while its tokens can be valid)\n`
        : ''),
  );
}
