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
import { newApplicationId } from '../domain/ids.js';
import { notBeforeInstant } from '../domain/not-before.js';
import { hashSecret, newApplicationSecret } from '../domain/secrets.js';
import type { ApplicationPatch, ApplicationRecord, NewApplicationRecord, Storage } from '../storage/types.js';
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

/**
 * Replaces an application's secret (the old one stops working at once) and returns the new
 * one, or null when the application does not exist.
 */
export async function rotateApplicationSecret(
  storage: Storage,
  pepper: Buffer,
  id: string,
  options: AdminActionOptions = {},
): Promise<CreatedApplication | null> {
  const secret = newApplicationSecret();
  const now = Date.now();
  const application = await storage.updateApplication(
    id,
    { secretHash: hashSecret(pepper, secret), secretHint: hintOf(secret) },
    now,
    auditEntry(options, 'application.rotate_secret', 'application', id, { secret_hint: hintOf(secret) }, now),
  );
  if (application === null) return null;
  await awaitLatestChange(storage, options);
  return { application, secret };
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
}

/** Converts a record to its public view. */
export function viewApplication(application: ApplicationRecord): ApplicationView {
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
  };
}
