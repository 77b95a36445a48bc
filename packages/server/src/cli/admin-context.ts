import { DEFAULTS, defaultPepperFile, ENV } from '../config.js';
import { loadOrCreatePepper } from '../domain/secrets.js';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import type { Storage } from '../storage/types.js';

/** Flags shared by the admin commands. */
export interface AdminFlags {
  readonly db?: string | undefined;
  readonly 'pepper-file'?: string | undefined;
}

/** The database and pepper an admin command works with (the same ones the server reads). */
export interface AdminContext {
  readonly storage: Storage;
  readonly pepper: Buffer;
}

function fromEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Opens the database and pepper named by `--db`/`SMSCX_DB` and `--pepper-file`/`SMSCX_PEPPER_FILE`. */
export function openAdminContext(flags: AdminFlags): AdminContext {
  const dbPath = flags.db ?? fromEnv(ENV.db) ?? DEFAULTS.db;
  const pepperFile = flags['pepper-file'] ?? fromEnv(ENV.pepperFile) ?? defaultPepperFile(dbPath);
  const storage = openSqliteStorage(dbPath);
  try {
    return { storage, pepper: loadOrCreatePepper(pepperFile) };
  } catch (error) {
    void storage.close();
    throw error;
  }
}

/** Runs `action` with an admin context and always closes the database. */
export async function withAdminContext<T>(
  flags: AdminFlags,
  action: (context: AdminContext) => Promise<T>,
): Promise<T> {
  const context = openAdminContext(flags);
  try {
    return await action(context);
  } finally {
    await context.storage.close();
  }
}

/** Prints a value as one line of JSON. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
