// Target "ours": the token server as shipped, started through its own CLI:
//   node packages/server/bin/smscx-oauth-server.js serve --host 127.0.0.1 --port <free> --db <db>
//        --rate-limit 100000000/60 --auth-failure-limit 1000/60 --workers 1
// The limits are raised so the benchmark measures issuing tokens, not answering 429s. One worker
// (one process, pinned to the server core) unless the workers scenario asks for more.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SERVER_BIN, seedApplications } from '../seed.js';
import {
  type Credential,
  freePort,
  REPO_DIR,
  type RunningTarget,
  type StartOptions,
  spawnServer,
} from './common.js';

const LISTENING = /listening (?:on|at) http:\/\/[^\s"':]+:(\d+)/i;

/** Why `ours` cannot run right now (the server package not built yet), or null when it can. */
export function oursUnavailable(): string | null {
  const dist = join(REPO_DIR, 'packages', 'server', 'dist', 'cli', 'main.js');
  if (!existsSync(dist)) return `the server package is not built (${dist} missing; run npm run build)`;
  return null;
}

/**
 * Waits (bounded) for the server build to be present. While the packages are being developed, another
 * process may be rebuilding dist/ (clean, then tsc) at the moment we spawn; a rebuild takes seconds.
 */
export async function waitForBuild(timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let missing = oursUnavailable();
  while (missing && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    missing = oursUnavailable();
  }
  if (missing) throw new Error(missing);
  // A fresh dist/ may still be being written: give tsc a moment to finish.
  await new Promise((resolve) => setTimeout(resolve, 200));
}

/**
 * Starts the shipped server on an existing database (a SQLite file or a PostgreSQL URL) whose
 * applications are `credentials`, with `workers` processes (`serve --workers`) and `extraArgs`
 * after the usual ones (e.g. `--pepper-file`, which a PostgreSQL URL needs: its default is
 * ./data/pepper under the working directory, i.e. inside the repository).
 */
export async function startOursOn(
  dbPath: string,
  credentials: Credential[],
  opts: StartOptions,
  workers = 1,
  extraArgs: readonly string[] = [],
): Promise<RunningTarget> {
  try {
    return await spawnOurs(dbPath, credentials, opts, workers, extraArgs);
  } catch (err) {
    // Only a build that vanished under us is retried (once); any other failure is real.
    if (!/ERR_MODULE_NOT_FOUND|Cannot find module/.test((err as Error).message)) throw err;
    await waitForBuild();
    return spawnOurs(dbPath, credentials, opts, workers, extraArgs);
  }
}

async function spawnOurs(
  dbPath: string,
  credentials: Credential[],
  opts: StartOptions,
  workers: number,
  extraArgs: readonly string[],
): Promise<RunningTarget> {
  const port = await freePort();
  const server = await spawnServer({
    label: 'ours',
    command: process.execPath,
    args: [
      SERVER_BIN,
      'serve',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--db',
      dbPath,
      '--rate-limit',
      '100000000/60',
      '--auth-failure-limit',
      '1000/60',
      '--workers',
      String(workers),
      ...extraArgs,
    ],
    cwd: REPO_DIR,
    cpu: opts.cpu,
    taskset: opts.taskset,
    port,
    ready: (line) => {
      const match = LISTENING.exec(line);
      return match ? { port: Number(match[1]) } : undefined;
    },
  });
  return {
    name: workers === 1 ? 'ours' : `ours --workers ${workers}`,
    pid: server.pid,
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    credentials,
    startupMs: server.startupMs,
    stop: server.stop,
  };
}

/** Creates a fresh database with one application (via the CLI) and starts the server on it. */
export async function startOurs(opts: StartOptions): Promise<RunningTarget> {
  await waitForBuild();
  const dbPath = join(opts.tmpDir, 'bench.db');
  const credentials = await seedApplications(dbPath, 1);
  return startOursOn(dbPath, credentials, opts);
}
