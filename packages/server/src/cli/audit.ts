import { type AuditView, MAX_AUDIT_PAGE, readAudit, viewAudit } from '../admin/audit.js';
import { ConfigError, parseSince } from '../config/values.js';
import type { AuditActor } from '../storage/types.js';
import { printJson, withAdminContext } from './admin-context.js';
import { ADMIN_OPTIONS, parseCommandArgs } from './args.js';
import { UsageError } from './errors.js';
import { printable } from './printable.js';
import type { CliIo } from './run.js';
import { USAGE } from './usage.js';

/** Entries `audit` prints when `--limit` is not given. */
export const DEFAULT_AUDIT_LIMIT = 50;

const AUDIT_OPTIONS = {
  ...ADMIN_OPTIONS,
  since: { type: 'string' },
  limit: { type: 'string' },
  before: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * `smscx-oauth-server audit [--since <time>] [--limit <n>] [--before <cursor>]`: one page of the
 * audit log, newest first. Output on `io.stdout`, options from `io.env`.
 *
 * @throws UsageError for a bad command line
 */
export async function runAudit(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommandArgs(args, AUDIT_OPTIONS);
  if (values.help === true) {
    io.stdout.write(USAGE);
    return;
  }
  const since = values.since === undefined ? undefined : sinceOption(values.since);
  const limit = values.limit === undefined ? DEFAULT_AUDIT_LIMIT : limitOption(values.limit);
  const before = values.before === undefined ? undefined : cursorOption(values.before);
  const page = await withAdminContext(values, io.env, ({ storage }) =>
    readAudit(storage, {
      limit,
      ...(since === undefined ? {} : { since }),
      ...(before === undefined ? {} : { before }),
    }),
  );
  const views = page.entries.map(viewAudit);
  if (values.json === true) {
    printJson(io.stdout, { data: views, next: page.next });
    return;
  }
  if (views.length === 0) io.stdout.write('no audit entries\n');
  for (const view of views) io.stdout.write(`${line(view)}\n`);
  if (page.next !== null) {
    // The same query from the cursor on; a relative --since as the instant it meant now.
    const flags = [
      `--before ${page.next}`,
      ...(values.limit === undefined ? [] : [`--limit ${limit}`]),
      ...(since === undefined ? [] : [`--since ${new Date(since).toISOString()}`]),
    ];
    io.stdout.write(`next page: smscx-oauth-server audit ${flags.join(' ')}\n`);
  }
}

function sinceOption(value: string): number {
  try {
    return parseSince(value, '--since');
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function limitOption(value: string): number {
  const limit = Number(value);
  if (!/^\d{1,3}$/.test(value) || limit < 1 || limit > MAX_AUDIT_PAGE) {
    throw new UsageError(`--limit must be an integer 1-${MAX_AUDIT_PAGE}`);
  }
  return limit;
}

function cursorOption(value: string): number {
  const cursor = Number(value);
  if (!/^\d{1,15}$/.test(value) || cursor < 1) {
    throw new UsageError('--before must be the "next" cursor of a previous page (a positive integer)');
  }
  return cursor;
}

/**
 * One entry as a line of text: sequence number, time, actor, action, target, request ID, and
 * the details as JSON when there are any.
 */
function line(view: AuditView): string {
  const details = Object.keys(view.details).length === 0 ? [] : [printable(JSON.stringify(view.details))];
  return [
    String(view.seq).padStart(6),
    view.at,
    printable(actorText(view.actor)),
    view.action,
    printable(`${view.target_type}:${view.target_id}`),
    view.request_id === null ? '-' : `request:${printable(view.request_id)}`,
    ...details,
  ].join('  ');
}

function actorText(actor: AuditActor): string {
  switch (actor.type) {
    case 'cli':
      return `cli:${actor.user}`;
    case 'api_key':
      return `api_key:${actor.id}(${actor.name})`;
    default:
      return actor.type;
  }
}
