/**
 * The admin actions on applications, one function each, for every caller (the CLI, the admin
 * API, the in-process tests). Each writes storage with its audit entry and returns once every
 * live server process serves the change (`sync/propagation.ts`), so "deleted" and "disabled"
 * mean it everywhere at once.
 *
 * @module
 */
import type { TokenExpiration } from '../contract/expiration.js';
import { hintOf } from '../domain/api-keys.js';
import { type Clock, systemClock } from '../domain/clock.js';
import { isGraceSeconds, MAX_GRACE_SECONDS } from '../domain/grace.js';
import { newApplicationId, newSecretId } from '../domain/ids.js';
import { notBeforeInstant } from '../domain/not-before.js';
import { hashSecret, newApplicationSecret } from '../domain/secrets.js';
import type {
  ApplicationPatch,
  ApplicationRecord,
  NewApplicationRecord,
  PreviousSecretRecord,
  Storage,
} from '../storage/types.js';
import { awaitLatestChange } from '../sync/propagation.js';
import { type AdminActionOptions, auditEntry } from './audit.js';

export type { AdminActionOptions };

/** What {@link createApplication} needs. */
export interface NewApplication {
  readonly name: string;
  /** Allowed scopes, already validated against the catalogue and in canonical order. */
  readonly scopes: readonly string[];
  readonly tokenExpiration: TokenExpiration;
}

/** A created application with its secret, which exists in clear only here, once. */
export interface CreatedApplication {
  readonly application: ApplicationRecord;
  readonly secret: string;
}

/**
 * Creates and stores an application with a fresh ID and secret.
 *
 * @throws PropagationError when it was stored but a live server process did not confirm it in time.
 */
export async function createApplication(
  storage: Storage,
  pepper: Buffer,
  input: NewApplication,
  now: number = Date.now(),
  options: AdminActionOptions = {},
): Promise<CreatedApplication> {
  const { application, secret } = newApplication(pepper, input, now);
  const stored = await storage.createApplication(
    application,
    auditEntry(options, 'application.create', 'application', application.id, changedFields(input), now),
  );
  await awaitLatestChange(storage, options);
  return { application: stored, secret };
}

/**
 * Creates many applications in one transaction (seeding a benchmark or an import) and returns
 * them with their secrets, in input order. One audit entry (`application.create_many`) tells
 * how many.
 */
export async function createApplications(
  storage: Storage,
  pepper: Buffer,
  inputs: readonly NewApplication[],
  now: number = Date.now(),
  options: AdminActionOptions = {},
): Promise<{ readonly application: NewApplicationRecord; readonly secret: string }[]> {
  const created = inputs.map((input) => newApplication(pepper, input, now));
  await storage.createApplications(
    created.map(({ application }) => application),
    auditEntry(options, 'application.create_many', 'application', '*', { count: created.length }, now),
  );
  await awaitLatestChange(storage, options);
  return created;
}

function newApplication(
  pepper: Buffer,
  input: NewApplication,
  now: number,
): { application: NewApplicationRecord; secret: string } {
  const secret = newApplicationSecret();
  const application: NewApplicationRecord = {
    id: newApplicationId(),
    name: input.name,
    secretHash: hashSecret(pepper, secret),
    scopes: [...input.scopes],
    tokenExpiration: input.tokenExpiration,
    status: 'active',
    createdAt: now,
    updatedAt: now,
    tokensNotBefore: null,
    secretHint: hintOf(secret),
    secretId: newSecretId(),
    secretCreatedAt: now,
    secretLastUsedAt: null,
    previousSecret: null,
  };
  return { application, secret };
}

/** What {@link updateApplication} may change; absent fields stay as they are. */
export interface ApplicationChanges {
  readonly name?: string;
  /** Already validated against the catalogue and in canonical order. */
  readonly scopes?: readonly string[];
  readonly tokenExpiration?: TokenExpiration;
}

/**
 * Changes an application's name, scopes or token expiration; null when it does not exist.
 * A scope removed here is refused to the next token request on every process.
 */
export async function updateApplication(
  storage: Storage,
  id: string,
  changes: ApplicationChanges,
  options: AdminActionOptions = {},
): Promise<ApplicationRecord | null> {
  const patch: ApplicationPatch = {
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.scopes === undefined ? {} : { scopes: [...changes.scopes] }),
    ...(changes.tokenExpiration === undefined ? {} : { tokenExpiration: changes.tokenExpiration }),
  };
  const now = Date.now();
  const application = await storage.updateApplication(
    id,
    patch,
    now,
    auditEntry(options, 'application.update', 'application', id, changedFields(changes), now),
  );
  if (application !== null) await awaitLatestChange(storage, options);
  return application;
}

/** The audit details of a creation or an update: the fields given, in the views' names. */
function changedFields(changes: ApplicationChanges): Record<string, unknown> {
  return {
    ...(changes.name === undefined ? {} : { name: changes.name }),
    ...(changes.scopes === undefined ? {} : { scopes: changes.scopes.join(' ') }),
    ...(changes.tokenExpiration === undefined ? {} : { token_expiration: changes.tokenExpiration }),
  };
}

/** Why a secret action was refused (see {@link ApplicationSecretError}). */
export type SecretRefusal = 'two_secrets' | 'current_secret' | 'no_such_secret';

/**
 * A secret action refused, nothing changed: `two_secrets` (rotating while the previous secret
 * is still in its grace period: at most two secrets), `current_secret` (revoking the current
 * secret: only a rotation replaces it), `no_such_secret` (no working secret with that ID).
 */
export class ApplicationSecretError extends Error {
  readonly reason: SecretRefusal;
  /** The application as stored. */
  readonly application: ApplicationRecord;

  constructor(reason: SecretRefusal, application: ApplicationRecord, secretId?: string) {
    super(secretRefusalMessage(reason, application, secretId));
    this.name = 'ApplicationSecretError';
    this.reason = reason;
    this.application = application;
  }
}

function secretRefusalMessage(
  reason: SecretRefusal,
  application: ApplicationRecord,
  secretId?: string,
): string {
  const id = application.id;
  const previous = application.previousSecret;
  switch (reason) {
    case 'two_secrets':
      return (
        `application ${id} already has two secrets: the previous one, ${previous?.id}, works until ` +
        `${previous === null ? '?' : new Date(previous.expiresAt).toISOString()}; revoke it first ` +
        `(apps revoke-secret ${id} ${previous?.id}) or rotate once it has expired`
      );
    case 'current_secret':
      return (
        `${application.secretId} is the current secret of application ${id}: rotate the secret to ` +
        'replace it (with no grace period the old one stops at once)'
      );
    case 'no_such_secret':
      return `application ${id} has no secret ${secretId ?? '(none named)'} (a secret past its grace period is gone)`;
  }
}

/** Options of {@link rotateApplicationSecret}. */
export interface RotateSecretOptions extends AdminActionOptions {
  /**
   * How long the replaced secret keeps working, in whole seconds (0 to {@link MAX_GRACE_SECONDS}).
   * Default 0: it stops at once.
   */
  readonly graceSeconds?: number;
  /** The instant of the rotation (epoch ms; the grace period counts from it). Default: now. */
  readonly now?: number;
}

/**
 * Gives an application a new secret and returns it (the only time it exists in clear), or null
 * when the application does not exist. The replaced secret keeps working for
 * `options.graceSeconds` (default 0: it stops at once), on every process when this returns;
 * when the grace period ends it stops everywhere, each process judging by its own clock (no
 * change to propagate).
 *
 * @throws ApplicationSecretError (`two_secrets`) while the previous secret is still in its grace
 *   period: an application has at most two secrets (revoke it first, or wait).
 * @throws RangeError for a grace period that is not a whole number of seconds from 0 to 30 days.
 * @throws PropagationError when it was stored but a live server process did not confirm it in time.
 */
export async function rotateApplicationSecret(
  storage: Storage,
  pepper: Buffer,
  id: string,
  options: RotateSecretOptions = {},
): Promise<CreatedApplication | null> {
  const graceSeconds = options.graceSeconds ?? 0;
  if (!isGraceSeconds(graceSeconds))
    throw new RangeError(`a grace period is a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`);
  const secret = newApplicationSecret();
  const now = options.now ?? Date.now();
  const secretId = newSecretId();
  const previousExpiresAt = graceSeconds === 0 ? null : now + graceSeconds * 1000;
  const result = await storage.rotateApplicationSecret(
    id,
    {
      secret: { id: secretId, hash: hashSecret(pepper, secret), hint: hintOf(secret), createdAt: now },
      previousExpiresAt,
      now,
    },
    auditEntry(
      options,
      'application.rotate_secret',
      'application',
      id,
      {
        secret_hint: hintOf(secret),
        secret_id: secretId,
        grace_seconds: graceSeconds,
        ...(previousExpiresAt === null
          ? {}
          : { previous_secret_expires_at: new Date(previousExpiresAt).toISOString() }),
      },
      now,
    ),
  );
  if (result.outcome === 'not_found') return null;
  if (result.outcome === 'two_secrets') throw new ApplicationSecretError('two_secrets', result.application);
  await awaitLatestChange(storage, options);
  return { application: result.application, secret };
}

/**
 * Ends an application's previous secret `secretId` at once (in force on every process when this
 * returns) and returns the application, or null when the application does not exist.
 *
 * @throws ApplicationSecretError `current_secret` for the current secret (only a rotation
 *   replaces it), `no_such_secret` when the application has no working secret with this ID.
 * @throws PropagationError when it was stored but a live server process did not confirm it in time.
 */
export async function revokeApplicationSecret(
  storage: Storage,
  id: string,
  secretId: string,
  options: AdminActionOptions & { readonly now?: number } = {},
): Promise<ApplicationRecord | null> {
  const now = options.now ?? Date.now();
  const stored = await storage.getApplication(id);
  const hint = stored?.previousSecret?.id === secretId ? stored.previousSecret.hint : null;
  const result = await storage.revokeApplicationSecret(
    id,
    secretId,
    now,
    auditEntry(
      options,
      'application.revoke_secret',
      'application',
      id,
      { secret_id: secretId, secret_hint: hint },
      now,
    ),
  );
  if (result.outcome === 'not_found') return null;
  if (result.outcome !== 'revoked')
    throw new ApplicationSecretError(result.outcome, result.application, secretId);
  await awaitLatestChange(storage, options);
  return result.application;
}

/** Deletes an application: its credentials become unknown. False when it did not exist. */
export async function deleteApplication(
  storage: Storage,
  id: string,
  options: AdminActionOptions = {},
): Promise<boolean> {
  if (!(await storage.deleteApplication(id, auditEntry(options, 'application.delete', 'application', id))))
    return false;
  await awaitLatestChange(storage, options);
  return true;
}

/** Disables (`disabled`) or enables (`active`) an application; null when it does not exist. */
export async function setApplicationStatus(
  storage: Storage,
  id: string,
  status: ApplicationRecord['status'],
  options: AdminActionOptions = {},
): Promise<ApplicationRecord | null> {
  const now = Date.now();
  const action = status === 'disabled' ? 'application.disable' : 'application.enable';
  const application = await storage.updateApplication(
    id,
    { status },
    now,
    auditEntry(options, action, 'application', id, {}, now),
  );
  if (application !== null) await awaitLatestChange(storage, options);
  return application;
}

/**
 * Revokes every token of the application issued so far (`apps revoke-tokens`): records the
 * not-before instant and resolves once it has passed, so every token issued after this returns
 * is active (see `not-before.ts`). Returns the instant (epoch ms), or null when the application
 * does not exist.
 */
export async function revokeApplicationTokens(
  storage: Storage,
  id: string,
  now: Clock = systemClock,
  options: AdminActionOptions = {},
): Promise<number | null> {
  const start = now();
  const notBefore = notBeforeInstant(start);
  const application = await storage.updateApplication(
    id,
    { tokensNotBefore: notBefore },
    start,
    auditEntry(
      options,
      'application.revoke_tokens',
      'application',
      id,
      { tokens_not_before: new Date(notBefore).toISOString() },
      start,
    ),
  );
  if (application === null) return null;
  await awaitLatestChange(storage, options);
  for (let wait = notBefore - now(); wait > 0; wait = notBefore - now()) {
    await new Promise((resolveWait) => setTimeout(resolveWait, wait));
  }
  return notBefore;
}

/** The public view of an application (no hash), as the admin CLI prints it. */
export interface ApplicationView {
  readonly application_id: string;
  readonly name: string;
  /** Space-delimited allowed scopes, canonical order. */
  readonly scopes: string;
  readonly token_expiration: TokenExpiration;
  readonly status: 'active' | 'disabled';
  /** ISO 8601. */
  readonly created_at: string;
  readonly updated_at: string;
  /** ISO 8601, or null. */
  readonly tokens_not_before: string | null;
  /** The application's number (the `id` of the SMS.CX applications list). */
  readonly number: number;
  /** The last characters of the current secret; null for a secret made before hints existed. */
  readonly secret_hint: string | null;
  /** The secrets that work now: the current one first, then the previous one in its grace period. */
  readonly secrets: SecretView[];
}

/** The public view of one secret (never the secret or its hash). */
export interface SecretView {
  /** `sc_` and 12 hex characters. */
  readonly id: string;
  /** Its last 4 characters; null for a secret made before hints existed. */
  readonly hint: string | null;
  /** ISO 8601; null when unknown (a secret older than the record of it). */
  readonly created_at: string | null;
  /** When it stops working (ISO 8601): the end of a previous secret's grace period; null for the current one. */
  readonly expires_at: string | null;
  /** When it last authenticated a request, to the minute (ISO 8601); null when not yet. */
  readonly last_used_at: string | null;
}

const isoOrNull = (epochMs: number | null): string | null =>
  epochMs === null ? null : new Date(epochMs).toISOString();

/**
 * The secrets of `application` that work at `now` (epoch ms): the current one, then the previous
 * one while in its grace period.
 */
export function viewSecrets(application: ApplicationRecord, now: number = Date.now()): SecretView[] {
  const current: SecretView = {
    id: application.secretId,
    hint: application.secretHint,
    created_at: isoOrNull(application.secretCreatedAt),
    expires_at: null,
    last_used_at: isoOrNull(application.secretLastUsedAt),
  };
  const previous: PreviousSecretRecord | null = application.previousSecret;
  if (previous === null || now >= previous.expiresAt) return [current];
  return [
    current,
    {
      id: previous.id,
      hint: previous.hint,
      created_at: isoOrNull(previous.createdAt),
      expires_at: new Date(previous.expiresAt).toISOString(),
      last_used_at: isoOrNull(previous.lastUsedAt),
    },
  ];
}

/** Converts a record to its public view, its secrets as they are at `now` (epoch ms). */
export function viewApplication(application: ApplicationRecord, now: number = Date.now()): ApplicationView {
  return {
    application_id: application.id,
    name: application.name,
    scopes: application.scopes.join(' '),
    token_expiration: application.tokenExpiration,
    status: application.status,
    created_at: new Date(application.createdAt).toISOString(),
    updated_at: new Date(application.updatedAt).toISOString(),
    tokens_not_before:
      application.tokensNotBefore === null ? null : new Date(application.tokensNotBefore).toISOString(),
    number: application.number,
    secret_hint: application.secretHint,
    secrets: viewSecrets(application, now),
  };
}
