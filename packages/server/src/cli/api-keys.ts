import { createApiKey, listApiKeys, revokeApiKey, viewApiKey } from '../admin/api-keys.js';
import { cliActor } from '../admin/audit.js';
import { nameProblem } from '../domain/names.js';
import { printJson, withAdminContext } from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs, runSubcommand, type Subcommand } from './args.js';
import { CommandError, UsageError } from './errors.js';
import { printable } from './printable.js';
import type { CliIo } from './run.js';

// The shape of an API key's ID (`domain/api-keys.ts`): printed as is in an error, anything else quoted.
const API_KEY_ID = /^ak_[0-9a-f]{12}$/;

const CREATE_OPTIONS = { ...ADMIN_OPTIONS, name: { type: 'string' } } as const;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  create: createCommand,
  list: listCommand,
  revoke: revokeCommand,
};

/**
 * `smscx-oauth-server api-keys create|list|revoke ...`: the keys of the admin API. Output on
 * `io.stdout`, options from `io.env`.
 *
 * @throws UsageError for a bad command line, CommandError for an unknown key
 */
export function runApiKeys(args: string[], io: CliIo): Promise<void> {
  return runSubcommand('api-keys', SUBCOMMANDS, args, io);
}

/** The name of a new API key, trimmed (the rule: `domain/names.ts`). @throws UsageError */
export function apiKeyName(value: string | undefined): string {
  if (value === undefined) throw new UsageError('api-keys create needs --name <name>');
  const name = value.trim();
  const problem = nameProblem(name);
  if (problem !== undefined) throw new UsageError(`--name ${problem}`);
  return name;
}

async function createCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, CREATE_OPTIONS);
  const name = apiKeyName(values.name);
  const { record, key } = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    createApiKey(storage, pepper, name, { actor: cliActor() }),
  );
  const view = viewApiKey(record);
  if (values.json === true) {
    printJson(io.stdout, {
      id: view.id,
      name: view.name,
      api_key: key,
      hint: view.hint,
      created_at: view.created_at,
    });
    return;
  }
  io.stdout.write(
    `API key ID:  ${view.id}\nName:        ${printable(view.name)}\nAPI key:     ${key}\n(the key is shown only once; store it now)\n`,
  );
}

async function listCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, ADMIN_OPTIONS);
  const views = (await withAdminContext(values, io.env, ({ storage }) => listApiKeys(storage))).map(
    viewApiKey,
  );
  if (values.json === true) {
    printJson(io.stdout, views);
    return;
  }
  if (views.length === 0) {
    io.stdout.write('no API keys\n');
    return;
  }
  for (const view of views) {
    const state = view.revoked_at === null ? 'active ' : 'revoked';
    io.stdout.write(`${view.id}  ${state}  …${view.hint}  ${view.created_at}  ${printable(view.name)}\n`);
  }
}

async function revokeCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, ADMIN_OPTIONS, true);
  if (positionals.length !== 1) throw new UsageError('api-keys revoke needs exactly one <id>');
  const id = positionals[0]!;
  const { before, record } = await withAdminContext(values, io.env, async ({ storage }) => ({
    before: await storage.getApiKey(id),
    record: await revokeApiKey(storage, id, { actor: cliActor() }),
  }));
  if (record === null) {
    throw new CommandError(
      `no API key with ID ${API_KEY_ID.test(id) ? id : JSON.stringify(id.slice(0, 64))}`,
    );
  }
  const view = viewApiKey(record);
  if (values.json === true) {
    printJson(io.stdout, view);
    return;
  }
  io.stdout.write(
    before !== null && before.revokedAt !== null
      ? `${view.id} was already revoked at ${view.revoked_at}\n`
      : `revoked ${view.id} (${printable(view.name)}); it is refused from now on\n`,
  );
}
