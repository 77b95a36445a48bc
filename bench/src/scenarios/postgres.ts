// The PostgreSQL scenario (`--postgres tokens,startup,delete`): the shipped server on PostgreSQL
// against the same build on SQLite, in one run, on one machine.
//
//   tokens   POST /oauth/token req/s at --connections: ours on a SQLite file vs ours on a fresh
//            PostgreSQL schema holding the very same applications (same ids, secret hashes and
//            pepper), rounds interleaved. Judged on postgres / sqlite ≥ 95%: the token path serves
//            from memory, so the database behind it must not show.
//   startup  `serve` on a schema seeded with --postgres-apps (100,000) applications, spawn → the
//            `listening on` line, --startup-samples times (median), as the scale scenario times
//            SQLite. Judged < 3 s.
//   delete   wall time of `apps delete` as a real CLI process (spawn → exit) while two
//            `serve --workers 2` instances share the schema: the command returns only once all four
//            workers serve the change, so this is what that guarantee costs. Not judged; reported
//            beside `apps list` on the same database, which changes nothing: node start-up,
//            connecting and migrations check, the floor the guarantee adds to.
//
// Every schema is named after a random per-run prefix and dropped at the end, also on failure.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  type BenchConfig,
  type PostgresDeleteResult,
  type PostgresResult,
  type PostgresStartupResult,
  type PostgresTokensResult,
  throughputRatio,
} from '../results.js';
import {
  benchApplications,
  importServerPackage,
  type PackageStorage,
  SERVER_BIN,
  type ServerPackage,
} from '../seed.js';
import { median, quantile, roundOrder } from '../stats.js';
import {
  basicAuth,
  type Credential,
  checkToken,
  freePort,
  REPO_DIR,
  type RunningTarget,
  type StartOptions,
  spawnServer,
} from '../targets/common.js';
import { startOursOn, waitForBuild } from '../targets/ours.js';
import { type Contender, contenderRow, loadInterleaved } from './interleaved.js';
import { runPart } from './part.js';

export const POSTGRES_PARTS = ['tokens', 'startup', 'delete'] as const;
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

// Applications of the tokens part, requests rotating over all of them: enough to exercise the
// in-memory table rather than one hot entry, few enough to seed in no time.
const TOKEN_APPS = 100;
// The delete part's setup, from the issue: two instances × 2 workers on one schema.
const DELETE_INSTANCES = 2;
const DELETE_WORKERS = 2;
// A server process counts as live while its heartbeat is younger than this (the server's
// PROCESS_LIVENESS_MS): the processes an admin change waits for.
const LIVENESS_MS = 2000;
// Limits raised as for `ours`: the delete part's checks are failed authentications by design.
const RAISED_LIMITS = ['--rate-limit', '100000000/60', '--auth-failure-limit', '1000/60'];

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const loud = (msg: string) => log(`\n!!!!!!!! ${msg}\n`);

export interface PostgresOptions {
  /** The PostgreSQL server; the scenario adds its own `?schema=`. */
  url: string;
  config: BenchConfig;
  start: StartOptions;
}

/** What every part shares: the package, the schemas of this run, one pepper file for everything. */
interface Context extends PostgresOptions {
  pkg: ServerPackage;
  prefix: string;
  schemas: string[];
  dir: string;
  pepperFile: string;
}

/** Runs the parts named in `config.postgres` and drops every schema it created. */
export async function benchPostgres(opts: PostgresOptions): Promise<PostgresResult> {
  const { config, url } = opts;
  log(`\n== postgres: ${config.postgres.join(', ')} on ${redact(url)}`);
  const result: PostgresResult = { database: redact(url), schemas: [], schemasDropped: true };
  try {
    await waitForBuild();
    const pkg = await importServerPackage();
    if (pkg === null || typeof pkg.openStorage !== 'function')
      throw new Error('the server package (openStorage, createApplications) cannot be imported');
    await adminQuery(url, 'SELECT 1');
    const dir = mkdtempSync(join(opts.start.tmpDir, 'postgres-'));
    const ctx: Context = {
      ...opts,
      pkg,
      // Random per run: runs on the same database (developers, CI, the smoke test) never meet.
      prefix: `smscx_bench_${randomBytes(4).toString('hex')}`,
      schemas: result.schemas,
      dir,
      pepperFile: join(dir, 'pepper'),
    };
    try {
      if (config.postgres.includes('tokens')) result.tokens = await benchTokens(ctx);
      if (config.postgres.includes('startup')) result.startup = await benchStartup(ctx);
      if (config.postgres.includes('delete')) result.delete = await benchDelete(ctx);
    } finally {
      result.schemasDropped = await dropSchemas(url, result.schemas);
    }
  } catch (err) {
    result.error = (err as Error).message;
    loud(`postgres scenario: ${result.error}`);
  }
  return result;
}

/** Whether the scenario failed anywhere: the whole of it, a part, or leaving a schema behind. */
export function postgresFailed(result: PostgresResult): boolean {
  const parts = [result.tokens, result.startup, result.delete];
  return result.error !== undefined || !result.schemasDropped || parts.some((p) => p?.status === 'failed');
}

/** A new schema of this run, as a `--db` URL (the server creates the schema when it opens it). */
function schemaUrl(ctx: Context, name: string): string {
  const schema = `${ctx.prefix}_${name}`;
  ctx.schemas.push(schema);
  const parsed = new URL(ctx.url);
  parsed.searchParams.set('schema', schema);
  return parsed.toString();
}

// ---------------------------------------------------------------------------------------------
// tokens: SQLite vs PostgreSQL, same applications, interleaved rounds

async function benchTokens(ctx: Context): Promise<PostgresTokensResult> {
  const { config, start } = ctx;
  log(
    `\n== postgres tokens: ours on SQLite vs on PostgreSQL, ${TOKEN_APPS} applications, c=${config.connections}`,
  );
  const initial: PostgresTokensResult = { status: 'ok', apps: TOKEN_APPS };
  return runPart('postgres tokens', initial, async (r) => {
    const sides: Contender[] = [];
    const dbs = [
      { name: 'ours on SQLite', db: join(ctx.dir, 'tokens.db') },
      { name: 'ours on PostgreSQL', db: schemaUrl(ctx, 'tokens') },
    ];
    const credentials = await seedBoth(ctx, dbs[0]!.db, dbs[1]!.db, TOKEN_APPS);
    try {
      for (const { name, db } of dbs) {
        const server = await startOursOn(db, credentials, start, 1, ['--pepper-file', ctx.pepperFile]);
        sides.push({ name, server, credentials, runs: [] });
        await checkToken(server.url, credentials[0]!);
        log(`   ${name}: ready after ${Math.round(server.startupMs)} ms, token check 200`);
      }
      await loadInterleaved([sides], { config, start });
    } finally {
      for (const side of sides) await side.server.stop();
    }
    const [sqlite, postgres] = sides.map((side) => contenderRow(side, config.connections, TOKEN_APPS));
    Object.assign(r, { sqlite, postgres, ratio: throughputRatio(postgres, sqlite) });
    log(`   postgres / sqlite: ${((r.ratio ?? Number.NaN) * 100).toFixed(1)}%`);
  });
}

/**
 * Creates `count` applications in the SQLite file and writes the very same records (ids, secret
 * hashes) into the PostgreSQL schema, so both servers hold identical data under one pepper.
 */
async function seedBoth(
  ctx: Context,
  sqlitePath: string,
  pgUrl: string,
  count: number,
): Promise<Credential[]> {
  const { pkg } = ctx;
  const pepper = pkg.loadOrCreatePepper(ctx.pepperFile);
  const created = await withStorage(pkg, sqlitePath, (storage) =>
    pkg.createApplications(storage, pepper, benchApplications(pkg, count)),
  );
  await withStorage(pkg, pgUrl, (storage) =>
    storage.createApplications(created.map(({ application }) => application)),
  );
  return created.map(({ application, secret }) => ({ id: application.id, secret }));
}

// ---------------------------------------------------------------------------------------------
// startup: `serve` on a schema with --postgres-apps applications

async function benchStartup(ctx: Context): Promise<PostgresStartupResult> {
  const { config, pkg } = ctx;
  const apps = config.postgresApps;
  log(`\n== postgres startup: ours with ${apps} applications on PostgreSQL`);
  const initial: PostgresStartupResult = { status: 'ok', apps, startupSamples: [] };
  return runPart('postgres startup', initial, async (r) => {
    const url = schemaUrl(ctx, 'startup');
    const pepper = pkg.loadOrCreatePepper(ctx.pepperFile);
    const seedStart = performance.now();
    const created = await withStorage(pkg, url, (storage) =>
      pkg.createApplications(storage, pepper, benchApplications(pkg, apps)),
    );
    r.seedMs = performance.now() - seedStart;
    // Only the first and the last are kept, to prove both are served after startup.
    const probes = [created[0]!, created[created.length - 1]!].map(({ application, secret }) => ({
      id: application.id,
      secret,
    }));
    created.length = 0;
    log(`   seeded in ${Math.round(r.seedMs)} ms`);
    let server: RunningTarget | undefined;
    try {
      // Same method as the scale scenario's SQLite startup (startOursOn, pinned): comparable side by side.
      for (let i = 0; i < config.startupSamples; i++) {
        await server?.stop();
        server = await startOursOn(url, probes, ctx.start, 1, ['--pepper-file', ctx.pepperFile]);
        r.startupSamples.push(server.startupMs);
      }
      r.startupMs = median(r.startupSamples);
      log(`   startup ${r.startupSamples.map(Math.round).join(', ')} ms`);
      for (const probe of probes) await checkToken(server!.url, probe);
    } finally {
      await server?.stop();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// delete: `apps delete` against two instances × 2 workers, next to `apps list` as the floor

async function benchDelete(ctx: Context): Promise<PostgresDeleteResult> {
  const { config, pkg } = ctx;
  log(
    `\n== postgres delete: apps delete × ${config.postgresDeletes}, ` +
      `${DELETE_INSTANCES} instances × --workers ${DELETE_WORKERS} (unpinned)`,
  );
  const initial: PostgresDeleteResult = {
    status: 'ok',
    instances: DELETE_INSTANCES,
    workers: DELETE_WORKERS,
    deleteMs: [],
    listMs: [],
  };
  return runPart('postgres delete', initial, async (r) => {
    const url = schemaUrl(ctx, 'delete');
    const cliDb = ['--db', url, '--pepper-file', ctx.pepperFile];
    const instances: RunningTarget[] = [];
    try {
      // One after the other: the first start migrates the schema and creates the signing key.
      for (let i = 0; i < DELETE_INSTANCES; i++) instances.push(await startInstance(ctx, url));
      await withStorage(pkg, url, async (storage) => {
        r.processes = (await storage.listProcesses(Date.now() - LIVENESS_MS)).length;
        if (r.processes < DELETE_INSTANCES * DELETE_WORKERS)
          throw new Error(
            `only ${r.processes} live server processes, expected ${DELETE_INSTANCES * DELETE_WORKERS}`,
          );
        const pepper = pkg.loadOrCreatePepper(ctx.pepperFile);
        for (let i = 0; i < config.postgresDeletes; i++) {
          // Not timed: returns once every worker serves the new application.
          const { application, secret } = await pkg.createApplication(storage, pepper, {
            ...benchApplications(pkg, 1)[0]!,
            name: `delete-${i}`,
          });
          // Alternating which command goes first, so a drifting machine favours neither.
          for (const command of roundOrder(['delete', 'list'] as const, i)) {
            if (command === 'delete')
              r.deleteMs.push(await timeCli(['apps', 'delete', application.id, ...cliDb]));
            else r.listMs.push(await timeCli(['apps', 'list', ...cliDb]));
          }
          // The delete returned: both instances must already refuse the credentials.
          for (const instance of instances) await expectRefused(instance.url, { id: application.id, secret });
        }
      });
    } finally {
      for (const instance of instances) await instance.stop();
    }
    r.deleteMedianMs = median(r.deleteMs);
    r.deleteP90Ms = quantile(r.deleteMs, 0.9);
    r.listMedianMs = median(r.listMs);
    log(
      `   apps delete median ${Math.round(r.deleteMedianMs)} ms, p90 ${Math.round(r.deleteP90Ms)} ms; ` +
        `apps list median ${Math.round(r.listMedianMs)} ms (${r.processes} live server processes)`,
    );
  });
}

/**
 * `serve --workers 2` on `url`, unpinned (the workers need the cores). Ready at the primary's own
 * `listening on` line, printed once every worker listens: a worker's earlier "Server listening at"
 * log line (what `startOursOn` accepts) or an open port would only mean one worker is up.
 */
async function startInstance(ctx: Context, url: string): Promise<RunningTarget> {
  const port = await freePort();
  const server = await spawnServer({
    label: `ours --workers ${DELETE_WORKERS} on PostgreSQL`,
    command: process.execPath,
    args: [
      SERVER_BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--db',
      url,
      '--pepper-file',
      ctx.pepperFile,
      '--workers',
      String(DELETE_WORKERS),
      ...RAISED_LIMITS,
    ],
    cwd: REPO_DIR,
    cpu: undefined,
    taskset: null,
    ready: (line) => {
      const match = /^listening on http:\/\/[^\s/]+:(\d+)/.exec(line);
      return match ? { port: Number(match[1]) } : undefined;
    },
  });
  log(`   instance on port ${server.port}: ready after ${Math.round(server.startupMs)} ms`);
  return {
    name: 'ours on PostgreSQL',
    pid: server.pid,
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    credentials: [],
    startupMs: server.startupMs,
    stop: server.stop,
  };
}

/** Runs the shipped CLI with `args`; resolves with ms from spawn to exit, rejects unless it exits 0. */
async function timeCli(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, [SERVER_BIN, ...args], {
    cwd: REPO_DIR,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let exitedAt = Number.NaN;
  child.once('exit', () => {
    exitedAt = performance.now();
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  });
  if (code !== 0) {
    const why = stderr.trim().split('\n').slice(0, 3).join(' | ');
    throw new Error(`${args.slice(0, 2).join(' ')} exited with ${code ?? signal}: ${why}`);
  }
  return exitedAt - started;
}

/** Throws unless the token endpoint at `url` refuses `credential` with 401 (it was deleted). */
async function expectRefused(url: string, credential: Credential): Promise<void> {
  const res = await fetch(`${url}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basicAuth(credential), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  await res.arrayBuffer();
  if (res.status !== 401)
    throw new Error(`a deleted application got HTTP ${res.status} from ${url}, not 401`);
}

// ---------------------------------------------------------------------------------------------
// storage and schema housekeeping

/** Opens `db` through the server package, runs `action`, always closes. */
async function withStorage<T>(
  pkg: ServerPackage,
  db: string,
  action: (storage: PackageStorage) => Promise<T>,
): Promise<T> {
  const storage = await pkg.openStorage(db);
  try {
    return await action(storage);
  } finally {
    await storage.close();
  }
}

/** The slice of node-postgres used for housekeeping. */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): void;
}
type PgModule = {
  Client: new (config: { connectionString: string; connectionTimeoutMillis: number }) => PgClient;
};

/**
 * Runs statements on a connection of its own. The driver is the one the server package depends on,
 * resolved from there: the bench declares no driver of its own and cannot load a different one.
 */
async function adminQuery(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<Record<string, unknown>[]> {
  const pg = createRequire(join(REPO_DIR, 'packages', 'server', 'package.json'))('pg') as PgModule;
  const parsed = new URL(url);
  parsed.searchParams.delete('schema'); // ours, not a node-postgres parameter
  const client = new pg.Client({ connectionString: parsed.toString(), connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${redact(url)}: ${(err as Error).message}`);
  }
  try {
    // A server that failed to stop must not make the drop wait forever on its locks.
    await client.query("SET lock_timeout = '10s'");
    return (await client.query(sql, values)).rows;
  } finally {
    await client.end();
  }
}

/** The schemas among `names` that exist on the server at `url`. */
export async function existingSchemas(url: string, names: readonly string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const rows = await adminQuery(url, 'SELECT nspname FROM pg_namespace WHERE nspname = ANY($1)', [names]);
  return rows.map((row) => String(row.nspname));
}

/** Drops `schemas` (with everything in them); true when none is left. */
async function dropSchemas(url: string, schemas: readonly string[]): Promise<boolean> {
  for (const schema of schemas) {
    try {
      // The name comes from schemaUrl (prefix of hex digits + a part name): safe unquoted.
      await adminQuery(url, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } catch (err) {
      loud(`postgres: could not drop schema ${schema}: ${(err as Error).message}`);
    }
  }
  try {
    const left = await existingSchemas(url, schemas);
    if (left.length > 0) loud(`postgres: schemas left behind: ${left.join(', ')}`);
    return left.length === 0;
  } catch {
    return false;
  }
}

/** `url` with any password replaced by `***`, for the report. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
