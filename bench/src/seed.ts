// Registers applications in a database of our server, for the `ours` target and the scale scenario.
//
// PLUGGABLE: `seedApplications(dbPath, count)` is the one seam. A single application (the `ours`
// target) is created through the shipped admin CLI (`smscx-oauth-server apps create --json`), exactly
// as a user would. Many applications (the scale scenario) go through `packageSeeder`, which drives the
// server package's public API in-process (`createApplications`: every application in one
// transaction), because one CLI process per application is far too slow for 10,000 or 100,000; if
// the package cannot be imported, the CLI seeder is used up to CLI_SEED_LIMIT. `setSeeder` replaces
// all of this.
import { execFile } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Credential, REPO_DIR } from './targets/common.js';

/** Creates `count` applications in the database at `dbPath` and returns their credentials. */
export type Seeder = (dbPath: string, count: number) => Promise<Credential[]>;

export const SERVER_BIN = join(REPO_DIR, 'packages', 'server', 'bin', 'smscx-oauth-server.js');

/** Largest count the CLI seeder accepts (one node process per application). */
export const CLI_SEED_LIMIT = Number(process.env.BENCH_CLI_SEED_LIMIT ?? 500);

const run = promisify(execFile);

/** Parses the one JSON object `apps create --json` prints (ignoring any log lines around it). */
export function parseCreatedApp(stdout: string): Credential {
  const start = stdout.indexOf('{');
  const end = stdout.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`apps create printed no JSON: ${stdout.slice(0, 300)}`);
  const app = JSON.parse(stdout.slice(start, end + 1)) as Record<string, unknown>;
  const id = app.application_id;
  const secret = app.application_secret;
  if (typeof id !== 'string' || typeof secret !== 'string') {
    throw new Error(`apps create JSON lacks application_id/application_secret: ${stdout.slice(0, 300)}`);
  }
  return { id, secret };
}

/** Creates one application with the shipped CLI. */
export async function createAppWithCli(dbPath: string, name = 'bench'): Promise<Credential> {
  try {
    const { stdout } = await run(
      process.execPath,
      [SERVER_BIN, 'apps', 'create', '--db', dbPath, '--name', name, '--json'],
      { cwd: REPO_DIR, maxBuffer: 1 << 20 },
    );
    return parseCreatedApp(stdout);
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split('\n').slice(0, 3).join(' | ');
    throw new Error(`apps create failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

/** The CLI seeder: sequential (SQLite has one writer), bounded by CLI_SEED_LIMIT. */
export const cliSeeder: Seeder = async (dbPath, count) => {
  if (count > CLI_SEED_LIMIT) {
    throw new Error(
      `seeding ${count} applications through the CLI would take too long (limit ${CLI_SEED_LIMIT}); ` +
        'wire the server package bulk-creation API in bench/src/seed.ts',
    );
  }
  const credentials: Credential[] = [];
  for (let i = 0; i < count; i++) credentials.push(await createAppWithCli(dbPath, `bench-${i}`));
  return credentials;
};

/** An application record as the server package stores it (opaque to the bench). */
export type ApplicationRecord = { id: string } & Record<string, unknown>;

/** A database opened through the server package (`openStorage`, `openSqliteStorage`). */
export interface PackageStorage {
  createApplications(applications: readonly ApplicationRecord[]): Promise<void>;
  /** Server processes that reported since `since` (epoch ms): those an admin change waits for. */
  listProcesses(since: number): Promise<unknown[]>;
  close(): Promise<void> | void;
}

/** What the package's `createApplication(s)` take per application. */
export interface NewApplication {
  name: string;
  scopes: readonly string[];
  tokenExpiration: '1d' | '1w' | 'never';
}

/** A created application with its secret in clear. */
export interface CreatedApplication {
  application: ApplicationRecord;
  secret: string;
}

/** The slice of the server package's public API the bench drives in-process. */
export interface ServerPackage {
  openSqliteStorage(dbPath: string): PackageStorage;
  /** A SQLite file or a PostgreSQL URL (a `?schema=` is created when missing). */
  openStorage(db: string): Promise<PackageStorage>;
  loadOrCreatePepper(file: string): Buffer;
  createApplication(
    storage: PackageStorage,
    pepper: Buffer,
    input: NewApplication,
  ): Promise<CreatedApplication>;
  createApplications(
    storage: PackageStorage,
    pepper: Buffer,
    inputs: readonly NewApplication[],
  ): Promise<CreatedApplication[]>;
  DEFAULT_SCOPES: readonly string[];
}

/** The built server package (`smscx-oauth-server`), or null when it cannot be imported. */
export async function importServerPackage(): Promise<ServerPackage | null> {
  const specifier = 'smscx-oauth-server'; // a variable: no compile-time dependency on the built package
  try {
    const pkg = (await import(specifier)) as ServerPackage;
    return typeof pkg.createApplications === 'function' ? pkg : null;
  } catch {
    return null;
  }
}

/** `count` applications named bench-0, bench-1, ... with every scope, as the seeders create them. */
export function benchApplications(pkg: ServerPackage, count: number): NewApplication[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `bench-${i}`,
    scopes: pkg.DEFAULT_SCOPES,
    tokenExpiration: '1d' as const,
  }));
}

/**
 * In-process seeder over the server package's public exports (openSqliteStorage, loadOrCreatePepper,
 * createApplications): one process, one open database, one transaction for all the applications, and
 * the same pepper file the CLI and `serve` use by default (`pepper` next to the database). Null when
 * the package is not built.
 */
async function packageSeeder(): Promise<Seeder | null> {
  const pkg = await importServerPackage();
  if (pkg === null || typeof pkg.openSqliteStorage !== 'function') return null;
  return async (dbPath, count) => {
    const storage = pkg.openSqliteStorage(dbPath);
    try {
      const pepper = pkg.loadOrCreatePepper(join(dirname(resolve(dbPath)), 'pepper'));
      const created = await pkg.createApplications(storage, pepper, benchApplications(pkg, count));
      return created.map(({ application, secret }) => ({ id: application.id, secret }));
    } finally {
      await storage.close();
    }
  };
}

let override: Seeder | null = null;

/** Replaces the seeder (tests, or the lead wiring the bulk API from elsewhere). */
export function setSeeder(seeder: Seeder | null): void {
  override = seeder;
}

/** Creates `count` applications in `dbPath` with the best available seeder. */
export async function seedApplications(dbPath: string, count: number): Promise<Credential[]> {
  const seeder = override ?? (count > 1 ? await packageSeeder() : null) ?? cliSeeder;
  const credentials = await seeder(dbPath, count);
  if (credentials.length !== count)
    throw new Error(`seeder returned ${credentials.length} of ${count} credentials`);
  return credentials;
}
