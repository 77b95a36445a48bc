// Registers applications in a database of our server, for the `ours` target and the scale scenario.
//
// PLUGGABLE: `seedApplications` is the one seam. Today it drives the shipped admin CLI
// (`smscx-oauth-server apps create --json`), one process per application, which is fine for a few
// applications and far too slow for 10,000 or 100,000. The server package will export a programmatic
// bulk-creation API; wire it in `bulkSeeder` below (or call `setSeeder`) and the scale scenario runs
// at every size unchanged.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
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
  const { stdout } = await run(
    process.execPath,
    [SERVER_BIN, 'apps', 'create', '--db', dbPath, '--name', name, '--json'],
    {
      cwd: REPO_DIR,
      maxBuffer: 1 << 20,
    },
  );
  return parseCreatedApp(stdout);
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

/**
 * TODO(lead): the server package's programmatic bulk creation. Return null while it does not exist;
 * the CLI seeder is used then. Expected shape: open the database at dbPath, create `count`
 * applications in one transaction, return their ids and plaintext secrets.
 */
async function bulkSeeder(): Promise<Seeder | null> {
  return null;
}

let override: Seeder | null = null;

/** Replaces the seeder (tests, or the lead wiring the bulk API from elsewhere). */
export function setSeeder(seeder: Seeder | null): void {
  override = seeder;
}

/** Creates `count` applications in `dbPath` with the best available seeder. */
export async function seedApplications(dbPath: string, count: number): Promise<Credential[]> {
  const seeder = override ?? (await bulkSeeder()) ?? cliSeeder;
  const credentials = await seeder(dbPath, count);
  if (credentials.length !== count)
    throw new Error(`seeder returned ${credentials.length} of ${count} credentials`);
  return credentials;
}
