import { cliActor } from '../admin/audit.js';
import { listKeys, rotateKeys } from '../admin/keys.js';
import {
  DEFAULT_SIGNING_ALGORITHM,
  isSigningAlgorithm,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
} from '../keys/key-material.js';
import { formatDuration, PUBLISH_AHEAD_FORMS, parsePublishAhead } from '../keys/schedule.js';
import { printJson, withAdminContext } from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs, runSubcommand, type Subcommand } from './args.js';
import { UsageError } from './errors.js';
import type { CliIo } from './run.js';

const ROTATE_OPTIONS = {
  ...ADMIN_OPTIONS,
  alg: { type: 'string' },
  'publish-ahead': { type: 'string' },
} as const;

/** The `--alg` of `keys rotate` (default EdDSA). @throws UsageError for another value */
function parseAlg(value: string | undefined): SigningAlgorithm {
  if (value === undefined) return DEFAULT_SIGNING_ALGORITHM;
  if (isSigningAlgorithm(value)) return value;
  throw new UsageError(
    `--alg must be ${SIGNING_ALGORITHMS.slice(0, -1).join(', ')} or ${SIGNING_ALGORITHMS.at(-1)}`,
  );
}

/** The `--publish-ahead` of `keys rotate` in ms (undefined: the default). @throws UsageError */
function parseAheadFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = parsePublishAhead(value);
  if (ms === undefined) throw new UsageError(`--publish-ahead must be ${PUBLISH_AHEAD_FORMS}`);
  return ms;
}

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = { rotate: rotateCommand, list: listCommand };

/**
 * `smscx-oauth-server keys rotate|list ...`: the token signing keys. Output on `io.stdout`,
 * options from `io.env`.
 *
 * @throws UsageError for a bad command line
 */
export function runKeys(args: string[], io: CliIo): Promise<void> {
  return runSubcommand('keys', SUBCOMMANDS, args, io);
}

/**
 * `keys rotate [--alg EdDSA|ES256|RS256] [--publish-ahead <duration>]`: a new key of that
 * algorithm, in the JWKS at once, signing once the publish-ahead (default 10m) has passed.
 */
async function rotateCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, ROTATE_OPTIONS);
  const alg = parseAlg(values.alg);
  const publishAheadMs = parseAheadFlag(values['publish-ahead']);
  const now = Date.now();
  const result = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    rotateKeys(storage, pepper, now, { actor: cliActor(), alg, publishAheadMs }),
  );
  const activatesAt = new Date(result.activatesAt).toISOString();
  const next = result.activatesAt > now;
  if (values.json === true) {
    printJson(io.stdout, {
      kid: result.kid,
      alg: result.alg,
      state: next ? 'next' : 'current',
      created_at: new Date(result.createdAt).toISOString(),
      activates_at: activatesAt,
      retired: result.retired,
      replaced: result.replaced,
      pruned: result.pruned,
    });
    return;
  }
  const lines = [
    next
      ? `new signing key ${result.kid} (${result.alg}): published in the JWKS now, signs from ${activatesAt} (in ${formatDuration(result.activatesAt - now)})`
      : `new signing key ${result.kid} (${result.alg}): signs from now on`,
  ];
  if (result.retired.length > 0) {
    lines.push(
      next
        ? `${result.retired.join(', ')} signs until then, then retires (still published in the JWKS while its tokens can be valid)`
        : `retired ${result.retired.join(', ')} (still published in the JWKS while its tokens can be valid)`,
    );
  }
  if (result.replaced.length > 0) {
    lines.push(`replaced ${result.replaced.join(', ')}, which was waiting to sign: it never will`);
  }
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** `keys list [--json]`: every key, newest first, with its state now. */
async function listCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, ADMIN_OPTIONS);
  const views = await withAdminContext(values, io.env, ({ storage }) => listKeys(storage, Date.now()));
  if (values.json === true) {
    printJson(io.stdout, views);
    return;
  }
  if (views.length === 0) {
    io.stdout.write('no signing keys (the server makes one when it starts)\n');
    return;
  }
  const rows = [
    ['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATES', 'RETIRED'],
    ...views.map((view) => [
      view.kid,
      view.alg,
      view.state,
      view.created_at,
      view.activates_at,
      view.retired_at ?? '-',
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) {
    io.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}
