import {
  ApplicationSecretError,
  type ApplicationView,
  createApplication,
  deleteApplication,
  revokeApplicationSecret,
  revokeApplicationTokens,
  rotateApplicationSecret,
  type SecretView,
  setApplicationStatus,
  updateApplication,
  viewApplication,
  viewSecrets,
} from '../admin/applications.js';
import { type AdminActionOptions, cliActor } from '../admin/audit.js';
import { isTokenExpiration, type TokenExpiration } from '../contract/expiration.js';
import { systemClock } from '../domain/clock.js';
import { GRACE_FORMAT, parseGrace } from '../domain/grace.js';
import { isApplicationId, isSecretId } from '../domain/ids.js';
import { nameProblem } from '../domain/names.js';
import { ScopeCatalogue } from '../domain/scopes.js';
import type { ApplicationRecord } from '../storage/types.js';
import {
  type AdminContext,
  type AdminFlags,
  adminConfig,
  printJson,
  withAdminContext,
} from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs, runSubcommand, type Subcommand } from './args.js';
import { CommandError, UsageError } from './errors.js';
import type { CliIo } from './run.js';

/** The flags of `apps create` and `apps update`. */
const FIELD_OPTIONS = {
  ...ADMIN_OPTIONS,
  name: { type: 'string' },
  scopes: { type: 'string' },
  expiration: { type: 'string' },
  'scope-catalogue': { type: 'string' },
} as const;

const SUBCOMMANDS: Readonly<Record<string, Subcommand>> = {
  create: createCommand,
  list: listCommand,
  update: updateCommand,
  'rotate-secret': rotateSecretCommand,
  'revoke-secret': revokeSecretCommand,
  show: onApplication('show'),
  disable: onApplication('disable'),
  enable: onApplication('enable'),
  delete: onApplication('delete'),
  'revoke-tokens': onApplication('revoke-tokens'),
};

/**
 * `smscx-oauth-server apps <subcommand> ...`: output on `io.stdout`, options from `io.env`.
 *
 * @throws UsageError for a bad command line, CommandError for an unknown application
 */
export function runApps(args: string[], io: CliIo): Promise<void> {
  return runSubcommand('apps', SUBCOMMANDS, args, io);
}

/** The `--name` of `apps create` and `apps update`, trimmed (the rule: `domain/names.ts`). @throws UsageError */
function applicationName(value: string): string {
  const name = value.trim();
  const problem = nameProblem(name);
  if (problem !== undefined) throw new UsageError(`--name ${problem}`);
  return name;
}

/** The `--expiration` of `apps create` and `apps update`. @throws UsageError */
function tokenExpiration(value: string): TokenExpiration {
  if (!isTokenExpiration(value)) throw new UsageError('--expiration must be 1d, 1w or never');
  return value;
}

/**
 * The scope catalogue `--scopes` is checked against: `--scope-catalogue`, `SMSCX_SCOPES` or the
 * default, as the server reads it.
 *
 * @throws UsageError when the catalogue is malformed
 */
function scopeCatalogue(flags: AdminFlags, env: NodeJS.ProcessEnv | undefined): ScopeCatalogue {
  try {
    return new ScopeCatalogue(adminConfig(flags, env).scopes);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * The `--scopes` of `apps create` and `apps update` (space-delimited, non-blank): every token in
 * the catalogue; returned deduplicated, in canonical order.
 *
 * @throws UsageError naming the unknown scopes
 */
function allowedScopes(value: string, catalogue: ScopeCatalogue): string[] {
  const unknown = catalogue.unknown(value);
  if (unknown.length > 0) throw new UsageError(`unknown scopes: ${unknown.join(' ')}`);
  return catalogue.canonical(value.split(' '));
}

/** Options of the admin actions the CLI runs: the audit log's actor is `cli` and the OS user. */
function actionOptions(): AdminActionOptions {
  return { actor: cliActor() };
}

async function createCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, FIELD_OPTIONS);
  if (values.name === undefined) throw new UsageError('apps create needs --name <name>');
  const name = applicationName(values.name);
  const expiration = tokenExpiration(values.expiration ?? '1d');
  const catalogue = scopeCatalogue(values, io.env);
  const scopes =
    values.scopes === undefined || values.scopes.trim() === ''
      ? catalogue.scopes
      : allowedScopes(values.scopes, catalogue);
  const { application, secret } = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    createApplication(
      storage,
      pepper,
      { name, scopes, tokenExpiration: expiration },
      Date.now(),
      actionOptions(),
    ),
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

/** `apps update <application_id> [--name] [--scopes] [--expiration]`: at least one of the three. */
async function updateCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, FIELD_OPTIONS, true);
  if (positionals.length !== 1) throw new UsageError('apps update needs exactly one <application_id>');
  const id = positionals[0]!;
  if (values.name === undefined && values.scopes === undefined && values.expiration === undefined) {
    throw new UsageError('apps update needs at least one of --name, --scopes, --expiration');
  }
  if (values.scopes !== undefined && values.scopes.trim() === '') {
    throw new UsageError('--scopes must name at least one scope');
  }
  const changes = {
    ...(values.name === undefined ? {} : { name: applicationName(values.name) }),
    ...(values.scopes === undefined
      ? {}
      : { scopes: allowedScopes(values.scopes, scopeCatalogue(values, io.env)) }),
    ...(values.expiration === undefined ? {} : { tokenExpiration: tokenExpiration(values.expiration) }),
  };
  const application = await withAdminContext(values, io.env, ({ storage }) =>
    updateApplication(storage, id, changes, actionOptions()),
  );
  if (application === null) throw noSuchApplication(id);
  const view = viewApplication(application);
  if (values.json === true) printJson(io.stdout, view);
  else io.stdout.write(`updated\n${describe(view)}`);
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

/**
 * `apps rotate-secret <application_id> [--grace <duration>]`: a new secret, printed once; the old
 * one keeps working for the grace period (default 0: it stops at once).
 */
async function rotateSecretCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(
    args,
    { ...ADMIN_OPTIONS, grace: { type: 'string' } },
    true,
  );
  if (positionals.length !== 1) throw new UsageError('apps rotate-secret needs exactly one <application_id>');
  const id = positionals[0]!;
  const graceSeconds = values.grace === undefined ? 0 : parseGrace(values.grace);
  if (graceSeconds === undefined) throw new UsageError(`--grace must be ${GRACE_FORMAT}`);
  const rotated = await withAdminContext(values, io.env, ({ storage, pepper }) =>
    refusedAsError(rotateApplicationSecret(storage, pepper, id, { ...actionOptions(), graceSeconds })),
  );
  if (rotated === null) throw noSuchApplication(id);
  const { application, secret } = rotated;
  const secrets = viewSecrets(application);
  if (values.json === true) {
    printJson(io.stdout, {
      application_id: id,
      application_secret: secret,
      secret_id: application.secretId,
      secret_hint: application.secretHint,
      secrets,
    });
    return;
  }
  const previous = secrets[1];
  io.stdout.write(
    `Application ID:     ${id}\nApplication Secret: ${secret}\nSecret ID:          ${application.secretId}\n` +
      (previous === undefined
        ? '(the old secret no longer works; this one is shown only once)\n'
        : `(the old secret, ${previous.id}, keeps working until ${previous.expires_at}; this one is shown only once)\n`),
  );
}

/** `apps revoke-secret <application_id> <secret_id>`: ends a previous secret at once. */
async function revokeSecretCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, ADMIN_OPTIONS, true);
  if (positionals.length !== 2)
    throw new UsageError(
      'apps revoke-secret needs <application_id> <secret_id> (apps show lists the secret IDs)',
    );
  const [id, secretId] = positionals as [string, string];
  if (!isSecretId(secretId))
    throw new UsageError('<secret_id> is sc_ and 12 hex characters, as apps show lists it');
  const application = await withAdminContext(values, io.env, ({ storage }) =>
    refusedAsError(revokeApplicationSecret(storage, id, secretId, actionOptions())),
  );
  if (application === null) throw noSuchApplication(id);
  const view = viewApplication(application);
  if (values.json === true) {
    printJson(io.stdout, { application_id: id, secret_id: secretId, revoked: true, secrets: view.secrets });
    return;
  }
  io.stdout.write(`revoked secret ${secretId} of ${id}: it no longer works\n${describe(view)}`);
}

/** A refused secret action as a {@link CommandError} (exit 1) with its message. */
async function refusedAsError<T>(action: Promise<T>): Promise<T> {
  try {
    return await action;
  } catch (error) {
    if (error instanceof ApplicationSecretError) throw new CommandError(error.message);
    throw error;
  }
}

type ApplicationSubcommand = 'show' | 'disable' | 'enable' | 'delete' | 'revoke-tokens';

/** The subcommands on one application share {@link applicationCommand}. */
function onApplication(subcommand: ApplicationSubcommand): Subcommand {
  return (args, io) => applicationCommand(subcommand, args, io);
}

async function applicationCommand(
  subcommand: ApplicationSubcommand,
  args: string[],
  io: CliIo,
): Promise<void> {
  const { values, positionals } = parseCommandArgs(args, ADMIN_OPTIONS, true);
  if (positionals.length !== 1) throw new UsageError(`apps ${subcommand} needs exactly one <application_id>`);
  const id = positionals[0]!;
  const output = await withAdminContext(values, io.env, (context) => perform(subcommand, id, context));
  if (output === null) throw noSuchApplication(id);
  if (values.json === true) printJson(io.stdout, output.json);
  else io.stdout.write(output.text);
}

/** The error of a command on an application that does not exist (exit 1). */
function noSuchApplication(id: string): CommandError {
  return new CommandError(
    `no application with ID ${isApplicationId(id) ? id : JSON.stringify(id.slice(0, 64))}`,
  );
}

interface Output {
  readonly json: unknown;
  readonly text: string;
}

async function perform(
  subcommand: ApplicationSubcommand,
  id: string,
  { storage }: AdminContext,
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
      return shown(await setApplicationStatus(storage, id, 'disabled', actionOptions()), 'disabled\n');
    case 'enable':
      return shown(await setApplicationStatus(storage, id, 'active', actionOptions()), 'enabled\n');
    case 'delete': {
      const deleted = await deleteApplication(storage, id, actionOptions());
      return deleted ? { json: { application_id: id, deleted: true }, text: `deleted ${id}\n` } : null;
    }
    case 'revoke-tokens': {
      const notBefore = await revokeApplicationTokens(storage, id, systemClock, actionOptions());
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
    ...view.secrets.map(
      (secret, i) => `${i === 0 ? 'Secrets:           ' : '                   '} ${describeSecret(secret)}`,
    ),
    '',
  ].join('\n');
}

/** One secret on one line: ID, hint, created, last used, and until when it works. */
function describeSecret(secret: SecretView): string {
  return [
    secret.id,
    `…${secret.hint ?? '????'}`,
    `created ${secret.created_at ?? 'unknown'}`,
    `last used ${secret.last_used_at ?? 'never'}`,
    secret.expires_at === null ? '(current)' : `(works until ${secret.expires_at})`,
  ].join('  ');
}
