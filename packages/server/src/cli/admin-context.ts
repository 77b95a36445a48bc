import { type AdminConfig, ConfigError, resolveAdminConfig } from '../config/options.js';
import { loadOrCreatePepper } from '../domain/secrets.js';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.js';
import type { Storage } from '../storage/types.js';
import { UsageError } from './errors.js';

/** Flags shared by the admin commands. */
export interface AdminFlags {
  readonly db?: string | undefined;
  readonly 'pepper-file'?: string | undefined;
  readonly 'scope-catalogue'?: string | undefined;
}

/** The database and pepper an admin command works with (the same ones the server reads). */
export interface AdminContext {
  readonly storage: Storage;
  readonly pepper: Buffer;
}

/**
 * The admin options from flags, environment and defaults (the same rule as `serve`).
 *
 * @throws UsageError when a value is malformed
 */
export function adminConfig(flags: AdminFlags): AdminConfig {
  try {
    return resolveAdminConfig({
      db: flags.db,
      pepperFile: flags['pepper-file'],
      scopes: flags['scope-catalogue'],
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/** Opens the database and pepper named by `--db`/`SMSCX_DB` and `--pepper-file`/`SMSCX_PEPPER_FILE`. */
export function openAdminContext(flags: AdminFlags): AdminContext {
  const { dbPath, pepperFile } = adminConfig(flags);
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
