import { parseArgs } from 'node:util';
import { ConfigError, ENV, parseScopeCatalogue } from '../config.js';
import {
  type ApplicationView,
  createApplication,
  rotateApplicationSecret,
  TOKEN_EXPIRATIONS,
  viewApplication,
} from '../domain/applications.js';
import { isApplicationId } from '../domain/ids.js';
import { DEFAULT_SCOPES, ScopeCatalogue } from '../domain/scopes.js';
import { notBeforeInstant } from '../revocation/not-before.js';
import type { ApplicationRecord, TokenExpiration } from '../storage/types.js';
import { type AdminContext, printJson, withAdminContext } from './admin-context.js';
import { CommandError, UsageError } from './errors.js';
import { USAGE } from './usage.js';

const COMMON_OPTIONS = {
  db: { type: 'string' },
  'pepper-file': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const CREATE_OPTIONS = {
  ...COMMON_OPTIONS,
  name: { type: 'string' },
  scopes: { type: 'string' },
  expiration: { type: 'string' },
  'scope-catalogue': { type: 'string' },
} as const;

function parseOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `smscx-oauth-server apps <subcommand> ...` */
export async function runApps(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return;
    case 'create':
      return createCommand(rest);
    case 'list':
      return listCommand(rest);
    case 'show':
    case 'disable':
    case 'enable':
    case 'delete':
    case 'rotate-secret':
    case 'revoke-tokens':
      return applicationCommand(subcommand, rest);
    default:
      throw new UsageError(
        subcommand === undefined ? 'apps needs a subcommand' : `unknown apps subcommand: ${subcommand}`,
      );
  }
}

function catalogueFrom(flag: string | undefined): ScopeCatalogue {
  const source = flag ?? process.env[ENV.scopes];
  try {
    return new ScopeCatalogue(
      source === undefined || source === '' ? DEFAULT_SCOPES : parseScopeCatalogue(source),
    );
  } catch (error) {
    throw new UsageError(error instanceof ConfigError ? error.message : (error as Error).message);
  }
}

async function createCommand(args: string[]): Promise<void> {
  const { values } = parseOrUsage(() =>
    parseArgs({ args, strict: true, allowPositionals: false, options: CREATE_OPTIONS }),
  );
  const name = values.name?.trim();
  if (name === undefined || name === '') throw new UsageError('apps create needs --name <name>');
  if (name.length > 200) throw new UsageError('--name is limited to 200 characters');
  const expiration = values.expiration ?? '1d';
  if (!(TOKEN_EXPIRATIONS as readonly string[]).includes(expiration)) {
    throw new UsageError('--expiration must be 1d, 1w or never');
  }
  const catalogue = catalogueFrom(values['scope-catalogue']);
  let scopes = catalogue.scopes;
  if (values.scopes !== undefined && values.scopes.trim() !== '') {
    const unknown = catalogue.unknown(values.scopes);
    if (unknown.length > 0) throw new UsageError(`unknown scopes: ${unknown.join(' ')}`);
    scopes = catalogue.canonical(values.scopes.split(' '));
  }
  const { application, secret } = await withAdminContext(values, ({ storage, pepper }) =>
    createApplication(storage, pepper, { name, scopes, tokenExpiration: expiration as TokenExpiration }),
  );
  const view = viewApplication(application);
  if (values.json === true) {
    const { application_id, ...rest } = view;
    printJson({ application_id, application_secret: secret, ...rest });
    return;
  }
  process.stdout.write(
    `${describe(view)}Application Secret: ${secret}\n(the secret is shown only once; store it now)\n`,
  );
}

async function listCommand(args: string[]): Promise<void> {
  const { values } = parseOrUsage(() =>
    parseArgs({ args, strict: true, allowPositionals: false, options: COMMON_OPTIONS }),
  );
  const applications = await withAdminContext(values, ({ storage }) => storage.listApplications());
  const views = applications.map(viewApplication);
  if (values.json === true) {
    printJson(views);
    return;
  }
  if (views.length === 0) {
    process.stdout.write('no applications\n');
    return;
  }
  for (const view of views) {
    process.stdout.write(
      `${view.application_id}  ${view.status.padEnd(8)}  ${view.token_expiration.padEnd(5)}  ${view.name}  [${view.scopes}]\n`,
    );
  }
}

type ApplicationSubcommand = 'show' | 'disable' | 'enable' | 'delete' | 'rotate-secret' | 'revoke-tokens';

async function applicationCommand(subcommand: ApplicationSubcommand, args: string[]): Promise<void> {
  const { values, positionals } = parseOrUsage(() =>
    parseArgs({ args, strict: true, allowPositionals: true, options: COMMON_OPTIONS }),
  );
  if (positionals.length !== 1) throw new UsageError(`apps ${subcommand} needs exactly one <application_id>`);
  const id = positionals[0]!;
  const output = await withAdminContext(values, (context) => perform(subcommand, id, context));
  if (output === null) {
    throw new CommandError(
      `no application with ID ${isApplicationId(id) ? id : JSON.stringify(id.slice(0, 64))}`,
    );
  }
  if (values.json === true) printJson(output.json);
  else process.stdout.write(output.text);
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
      return shown(await storage.updateApplication(id, { status: 'disabled' }), 'disabled\n');
    case 'enable':
      return shown(await storage.updateApplication(id, { status: 'active' }), 'enabled\n');
    case 'delete': {
      const deleted = await storage.deleteApplication(id);
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
      // Tokens carry `iat` in whole seconds: record the next whole second and return only once
      // it has passed, so every token issued after this command is active (revocation/not-before.ts).
      const now = Date.now();
      const notBefore = notBeforeInstant(now);
      const application = await storage.updateApplication(id, { tokensNotBefore: notBefore }, now);
      if (application === null) return null;
      await sleepUntil(notBefore);
      const at = new Date(notBefore).toISOString();
      return {
        json: { application_id: id, tokens_not_before: at },
        text: `tokens of ${id} issued before ${at} are revoked\n`,
      };
    }
  }
}

/** Resolves once the clock has reached `instant` (epoch ms); at once if it already has. */
async function sleepUntil(instant: number): Promise<void> {
  for (let wait = instant - Date.now(); wait > 0; wait = instant - Date.now()) {
    await new Promise((resolveWait) => setTimeout(resolveWait, wait));
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
