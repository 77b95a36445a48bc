import { type AdminConfig, ConfigError, resolveAdminConfig } from '../config/options.js';
import { openPepper } from '../keys/pepper-guard.js';
import { openStorage } from '../storage/open.js';
import type { Storage } from '../storage/types.js';
import { UsageError } from './errors.js';
import type { CliOutput } from './run.js';

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
 * The admin options from flags, environment (`env`, default `process.env`) and defaults (the
 * same rule as `serve`).
 *
 * @throws UsageError when a value is malformed
 */
export function adminConfig(flags: AdminFlags, env: NodeJS.ProcessEnv = process.env): AdminConfig {
  try {
    return resolveAdminConfig(
      {
        db: flags.db,
        pepperFile: flags['pepper-file'],
        scopes: flags['scope-catalogue'],
      },
      env,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * Opens the database (a SQLite file or a PostgreSQL URL) and pepper named by `--db`/`SMSCX_DB`
 * and `--pepper-file`/`SMSCX_PEPPER_FILE` (environment `env`, default `process.env`), and checks
 * that they belong together before any command writes (`openPepper`): a missing or wrong pepper
 * file fails the command with one line naming it. Writes wait up to 5 s for another process's
 * write lock and are durable once they return (SQLite `synchronous = FULL`).
 */
export async function openAdminContext(
  flags: AdminFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AdminContext> {
  const { dbPath, pepperFile } = adminConfig(flags, env);
  const storage = await openStorage(dbPath);
  try {
    return { storage, pepper: await openPepper(storage, pepperFile, dbPath) };
  } catch (error) {
    await storage.close();
    throw error;
  }
}

/** Runs `action` with an admin context (see {@link openAdminContext}) and always closes the database. */
export async function withAdminContext<T>(
  flags: AdminFlags,
  env: NodeJS.ProcessEnv | undefined,
  action: (context: AdminContext) => Promise<T>,
): Promise<T> {
  const context = await openAdminContext(flags, env);
  try {
    return await action(context);
  } finally {
    await context.storage.close();
  }
}

/** Prints a value as one line of JSON to `out` (a run's stdout). */
export function printJson(out: CliOutput, value: unknown): void {
  out.write(`${JSON.stringify(value)}\n`);
}
