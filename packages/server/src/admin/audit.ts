/**
 * The audit log as the admin actions write it and the CLI and the admin API read it. Every
 * admin action records one entry in the same transaction as its change: who, what, which
 * application or key, and the request; never a secret, a key or a token.
 *
 * @module
 */
import { userInfo } from 'node:os';
import type { AuditActor, AuditEntry, AuditRecord, Storage } from '../storage/types.js';
import type { PropagationOptions } from '../sync/propagation.js';

/** Options of every admin action that changes something. */
export interface AdminActionOptions extends PropagationOptions {
  /** Who acts, for the audit log. Default: the server itself (a library call, a first start). */
  readonly actor?: AuditActor;
  /** The HTTP request that asked for the change (its `X-Request-Id`). */
  readonly requestId?: string;
}

/** The audit entry of `action` on `target`, by the options' actor. */
export function auditEntry(
  options: AdminActionOptions,
  action: string,
  targetType: AuditEntry['targetType'],
  targetId: string,
  details: Readonly<Record<string, unknown>> = {},
  at: number = Date.now(),
): AuditEntry {
  return {
    at,
    actor: options.actor ?? { type: 'server' },
    action,
    targetType,
    targetId,
    requestId: options.requestId ?? null,
    details,
  };
}

/** The actor of an admin command run from a shell: `cli` with the OS user. */
export function cliActor(): AuditActor {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): the environment's word, or unknown.
  }
  return { type: 'cli', user };
}

/** Most audit entries one read returns. */
export const MAX_AUDIT_PAGE = 500;
/** Audit entries one read returns when the caller does not say. */
export const DEFAULT_AUDIT_PAGE = 100;

/** One page of the audit log, newest first, and the cursor of the next (null on the last page). */
export interface AuditPage {
  readonly entries: AuditRecord[];
  readonly next: number | null;
}

/**
 * Reads a page of the audit log, newest first: entries at or after `since` (epoch ms), before
 * the cursor `before` (a previous page's `next`), at most `limit` (1 to {@link MAX_AUDIT_PAGE}).
 */
export async function readAudit(
  storage: Storage,
  query: { readonly since?: number; readonly before?: number; readonly limit?: number } = {},
): Promise<AuditPage> {
  const asked = Math.trunc(query.limit ?? DEFAULT_AUDIT_PAGE);
  const limit = Number.isNaN(asked) ? DEFAULT_AUDIT_PAGE : Math.min(Math.max(asked, 1), MAX_AUDIT_PAGE);
  // One more than asked tells whether a next page exists.
  const entries = await storage.listAudit({
    ...(query.since === undefined ? {} : { since: query.since }),
    ...(query.before === undefined ? {} : { before: query.before }),
    limit: limit + 1,
  });
  const more = entries.length > limit;
  if (more) entries.length = limit;
  return { entries, next: more ? entries[entries.length - 1]!.seq : null };
}

/** The public view of an audit entry (snake_case, ISO 8601), as the CLI and the admin API print it. */
export interface AuditView {
  readonly seq: number;
  readonly at: string;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target_type: AuditEntry['targetType'];
  readonly target_id: string;
  readonly request_id: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export function viewAudit(entry: AuditRecord): AuditView {
  return {
    seq: entry.seq,
    at: new Date(entry.at).toISOString(),
    actor: entry.actor,
    action: entry.action,
    target_type: entry.targetType,
    target_id: entry.targetId,
    request_id: entry.requestId,
    details: entry.details,
  };
}
