import type { ApplicationRecord, Storage, TokenExpiration } from '../storage/types.js';
import { newApplicationId } from './ids.js';
import { hashSecret, newApplicationSecret } from './secrets.js';

/** The token expiration settings, as accepted by `--expiration`. */
export const TOKEN_EXPIRATIONS: readonly TokenExpiration[] = ['1d', '1w', 'never'];

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

/** Creates and stores an application with a fresh ID and secret. */
export async function createApplication(
  storage: Storage,
  pepper: Buffer,
  input: NewApplication,
  now: number = Date.now(),
): Promise<CreatedApplication> {
  const created = newApplication(pepper, input, now);
  await storage.createApplication(created.application);
  return created;
}

/**
 * Creates many applications in one transaction (seeding a benchmark or an import) and returns
 * them with their secrets, in input order.
 */
export async function createApplications(
  storage: Storage,
  pepper: Buffer,
  inputs: readonly NewApplication[],
  now: number = Date.now(),
): Promise<CreatedApplication[]> {
  const created = inputs.map((input) => newApplication(pepper, input, now));
  await storage.createApplications(created.map(({ application }) => application));
  return created;
}

function newApplication(pepper: Buffer, input: NewApplication, now: number): CreatedApplication {
  const secret = newApplicationSecret();
  const application: ApplicationRecord = {
    id: newApplicationId(),
    name: input.name,
    secretHash: hashSecret(pepper, secret),
    scopes: [...input.scopes],
    tokenExpiration: input.tokenExpiration,
    status: 'active',
    createdAt: now,
    updatedAt: now,
    tokensNotBefore: null,
  };
  return { application, secret };
}

/**
 * Replaces an application's secret (the old one stops working at once) and returns the new
 * one, or null when the application does not exist.
 */
export async function rotateApplicationSecret(
  storage: Storage,
  pepper: Buffer,
  id: string,
): Promise<CreatedApplication | null> {
  const secret = newApplicationSecret();
  const application = await storage.updateApplication(id, { secretHash: hashSecret(pepper, secret) });
  return application === null ? null : { application, secret };
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
  };
}
