import {
  type ApplicationView,
  createApplication,
  deleteApplication,
  revokeApplicationTokens,
  rotateApplicationSecret,
  setApplicationStatus,
  viewApplication,
} from '../admin/applications.js';
import { isTokenExpiration } from '../contract/expiration.js';
import { isApplicationId } from '../domain/ids.js';
import { ScopeCatalogue } from '../domain/scopes.js';
import type { ApplicationRecord } from '../storage/types.js';
import { type AdminContext, adminConfig, printJson, withAdminContext } from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs } from './args.js';
import { CommandError, UsageError } from './errors.js';
import type { CliIo } from './run.js';
import { USAGE } from './usage.js';

const CREATE_OPTIONS = {
  ...ADMIN_OPTIONS,
  name: { type: 'string' },
  scopes: { type: 'string' },
  expiration: { type: 'string' },
  'scope-catalogue': { type: 'string' },
} as const;

/**
 * `smscx-oauth-server apps <subcommand> ...`: output on `io.stdout`, options from `io.env`.
 *
 * @throws UsageError for a bad command line, CommandError for an unknown application
 */
export async function runApps(args: string[], io: CliIo): Promise<void> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case '--help':
    case '-h':
      io.stdout.write(USAGE);
      return;
    case 'create':
      return createCommand(rest, io);
    case 'list':
      return listCommand(rest, io);
    case 'show':
    case 'disable':
    case 'enable':
    case 'delete':
    case 'rotate-secret':
    case 'revoke-tokens':
      return applicationCommand(subcommand, rest, io);
    default:
      throw new UsageError(
        subcommand === undefined ? 'apps needs a subcommand' : `unknown apps subcommand: ${subcommand}`,
      );
  }
}

async function createCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, CREATE_OPTIONS);
  const name = values.name?.trim();
  if (name === undefined || name === '') throw new UsageError('apps create needs --name <name>');
  if (name.length > 200) throw new UsageError('--name is limited to 200 characters');
  const expiration = values.expiration ?? '1d';
  if (!isTokenExpiration(expiration)) throw new UsageError('--expiration must be 1d, 1w or never');
  let catalogue: ScopeCatalogue;
  try {
    catalogue = new ScopeCatalogue(adminConfig(values, io.env).scopes);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let scopes = catalogue.scopes;
  if (values.scopes !== undefined && values.scopes.trim() !== '') {
    const unknown = catalogue.unknown(values.scopes);
    if (unknown.length > 0) throw new UsageError(`unknown scopes: ${unknown.join(' ')}`);
    scopes = catalogue.canonical(values.scopes.split(' '));
  }
  const { application, secret } = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    createApplication(storage, pepper, { name, scopes, tokenExpiration: expiration }),
  );
  const view = viewApplication(application);
  if (values.json === true) {
    const { application_id, ...rest } = view;
    printJson(io.stdout, { application_id, application_secret: secret, ...rest });
    return;
  }
  io.stdout.write(
    `${describe(view)}Application Secret: ${secret}\n(the secret is shown only once; store it now)\n`,
  );
}

async function listCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, ADMIN_OPTIONS);
  const applications = await withAdminContext(values, io.env, ({ storage }) => storage.listApplications());
  const views = applications.map(viewApplication);
  if (values.json === true) {
    printJson(io.stdout, views);
    return;
  }
  if (views.length === 0) {
    io.stdout.write('no applications\n');
    return;
  }
  for (const view of views) {
    io.stdout.write(
      `${view.application_id}  ${view.status.padEnd(8)}  ${view.token_expiration.padEnd(5)}  ${view.name}  [${view.scopes}]\n`,
    );
  }
}

type ApplicationSubcommand = 'show' | 'disable' | 'enable' | 'delete' | 'rotate-secret' | 'revoke-tokens';

async function applicationCommand(
  subcommand: ApplicationSubcommand,
  args: string[],
  io: CliIo,
): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, ADMIN_OPTIONS, true);
  if (positionals.length !== 1) throw new UsageError(`apps ${subcommand} needs exactly one <application_id>`);
  const id = positionals[0]!;
  const output = await withAdminContext(values, io.env, (context) => perform(subcommand, id, context));
  if (output === null) {
    throw new CommandError(
      `no application with ID ${isApplicationId(id) ? id : JSON.stringify(id.slice(0, 64))}`,
    );
  }
  if (values.json === true) printJson(io.stdout, output.json);
  else io.stdout.write(output.text);
}

interface Output {
  readonly json: unknown;
  readonly text: string;
}

async function perform(
  subcommand: ApplicationSubcommand,
  id: string,
  { storage, pepper }: AdminContext,
): Promise<Output | null> {
  const shown = (application: ApplicationRecord | null, note = ''): Output | null => {
    if (application === null) return null;
    const view = viewApplication(application);
    return { json: view, text: `${note}${describe(view)}` };
  };
  switch (subcommand) {
    case 'show':
      return shown(await storage.getApplication(id));
    case 'disable':
      return shown(await setApplicationStatus(storage, id, 'disabled'), 'disabled\n');
    case 'enable':
      return shown(await setApplicationStatus(storage, id, 'active'), 'enabled\n');
    case 'delete': {
      const deleted = await deleteApplication(storage, id);
      return deleted ? { json: { application_id: id, deleted: true }, text: `deleted ${id}\n` } : null;
    }
    case 'rotate-secret': {
      const rotated = await rotateApplicationSecret(storage, pepper, id);
      if (rotated === null) return null;
      return {
        json: { application_id: id, application_secret: rotated.secret },
        text: `Application ID:     ${id}\nApplication Secret: ${rotated.secret}\n(the old secret no longer works; this one is shown only once)\n`,
      };
    }
    case 'revoke-tokens': {
      const notBefore = await revokeApplicationTokens(storage, id);
      if (notBefore === null) return null;
      const at = new Date(notBefore).toISOString();
      return {
        json: { application_id: id, tokens_not_before: at },
        text: `tokens of ${id} issued before ${at} are revoked\n`,
      };
    }
  }
}

function describe(view: ApplicationView): string {
  return [
    `Application ID:     ${view.application_id}`,
    `Name:               ${view.name}`,
    `Status:             ${view.status}`,
    `Scopes:             ${view.scopes}`,
    `Token expiration:   ${view.token_expiration}`,
    `Created:            ${view.created_at}`,
    `Tokens not before:  ${view.tokens_not_before ?? '-'}`,
    '',
  ].join('\n');
}
