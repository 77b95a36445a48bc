// A throwaway PostgreSQL server of a test's own (PostgreSQL 15 binaries), on a free port with its
// data and socket in a temp folder, so a test can stop and restart it without touching the
// shared server other tests use. As root the binaries run as the `postgres` user (initdb refuses
// to run as root).
import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './helpers.js';

const run = promisify(execFile);

/** Where the PostgreSQL 15 server binaries are (override with SMSCX_TEST_PG_BIN). */
export const PG_BIN = process.env.SMSCX_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/** One PostgreSQL server: `start()`, `stop()`, `start()` again, then `destroy()`. */
export class PostgresInstance {
  readonly dir: string;
  readonly dataDir: string;
  readonly port: number;
  private running = false;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.dataDir = join(dir, 'data');
    this.port = port;
  }

  /** Creates the cluster (initdb, trust authentication) in a new temp folder; not started. */
  static async create(): Promise<PostgresInstance> {
    const dir = mkdtempSync(join(tmpdir(), 'smscx-pg-'));
    const instance = new PostgresInstance(dir, await freePort());
    try {
      if (userInfo().uid === 0) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
      }
      await instance.pg('initdb', ['-D', instance.dataDir, '-U', 'postgres', '--auth=trust', '--no-sync']);
    } catch (error) {
      await instance.destroy();
      throw error;
    }
    return instance;
  }

  /** `postgres://postgres[:password]@127.0.0.1:<port>/postgres` (trust: any password is accepted). */
  url(password?: string): string {
    const user = password === undefined ? 'postgres' : `postgres:${encodeURIComponent(password)}`;
    return `postgres://${user}@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server and waits until it accepts connections (`pg_ctl -w`). */
  async start(): Promise<void> {
    await this.pg('pg_ctl', [
      '-D',
      this.dataDir,
      '-l',
      join(this.dir, 'postgres.log'),
      '-o',
      `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      '-w',
      'start',
    ]);
    this.running = true;
  }

  /** Stops the server (fast: open connections are closed) and waits until it is down. */
  async stop(): Promise<void> {
    await this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
    this.running = false;
  }

  /** Stops the server if it runs and removes the temp folder. Never throws. */
  async destroy(): Promise<void> {
    if (this.running) await this.stop().catch(() => {});
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async pg(binary: string, args: string[]): Promise<void> {
    const path = join(PG_BIN, binary);
    const [command, argv] =
      userInfo().uid === 0 ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
    try {
      await run(command, argv, { timeout: 60_000, cwd: this.dir });
    } catch (error) {
      const { stderr = '', stdout = '' } = error as { stderr?: string; stdout?: string };
      throw new Error(`${binary} ${args.at(-1)} failed: ${(error as Error).message}\n${stdout}${stderr}`);
    }
  }
}
