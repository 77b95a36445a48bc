import { cliActor } from '../admin/audit.js';
import { rotateKeys } from '../admin/keys.js';
import {
  DEFAULT_SIGNING_ALGORITHM,
  isSigningAlgorithm,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../keys/key-material.js';
import { printJson, withAdminContext } from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs } from './args.js';
import { UsageError } from './errors.js';
import type { CliIo } from './run.js';
import { USAGE } from './usage.js';

const ROTATE_OPTIONS = { ...ADMIN_OPTIONS, alg: { type: 'string' } } as const;

/** The `--alg` of `keys rotate` (default EdDSA). @throws UsageError for another value */
function parseAlg(value: string | undefined): SigningAlgorithm {
  if (value === undefined) return DEFAULT_SIGNING_ALGORITHM;
  if (isSigningAlgorithm(value)) return value;
  throw new UsageError(
    `--alg must be ${SIGNING_ALGORITHMS.slice(0, -1).join(', ')} or ${SIGNING_ALGORITHMS.at(-1)}`,
  );
}

/**
 * `smscx-oauth-server keys rotate [--alg EdDSA|ES256|RS256]`: new current signing key of that
 * algorithm; the old one stays published. Output on `io.stdout`, options from `io.env`.
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
  const { values } = parseCommandArgs(rest, ROTATE_OPTIONS);
  const alg = parseAlg(values.alg);
  const result = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    rotateKeys(storage, pepper, Date.now(), { actor: cliActor(), alg }),
  );
  if (values.json === true) {
    printJson(io.stdout, {
      kid: result.kid,
      alg: result.alg,
      retired: result.retired,
      pruned: result.pruned,
    });
    return;
  }
  io.stdout.write(
    `new signing key ${result.kid} (${result.alg})\n` +
      (result.retired.length > 0
        ? `retired ${result.retired.join(', ')} (still published in the JWKS while its tokens can be valid)\n`
        : ''),
  );
}
