// A server that cannot start says why in one line and exits 1 within 10 s, with every process
// gone, whatever `--workers` says: the port taken, the pepper wrong or missing, the database
// unreadable, its migrations failing. (Before: with several workers the failed workers stayed
// alive, kept by their IPC channel, and logged some 470 error lines a minute, forever.)
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { cli, tempDb, waitFor } from './helpers.js';
import { processesWith, spawnServer } from './operations-helpers.js';

/** The bound the issue sets; a failing start normally takes well under a second. */
const EXIT_WITHIN_MS = 10_000;

/**
 * Runs `serve` expecting it to fail; returns its stderr lines and stdout once it exited (it must
 * within {@link EXIT_WITHIN_MS}) and no process of it is left.
 */
async function failedStart(
  dir: string,
  db: string,
  args: string[],
): Promise<{ code: number | null; errorLines: string[]; stdout: string; tookMs: number }> {
  const startedAt = Date.now();
  const server = spawnServer(db, args);
  const timeout = new Promise<'timeout'>((resolve) =>
    setTimeout(() => resolve('timeout'), EXIT_WITHIN_MS).unref(),
  );
  const ended = await Promise.race([server.exited, timeout]);
  if (ended === 'timeout') {
    for (const pid of processesWith(dir)) process.kill(pid, 'SIGKILL');
    assert.fail(`serve ${args.join(' ')} still runs after ${EXIT_WITHIN_MS} ms:\n${server.stderr()}`);
  }
  // Every worker shares the primary's command line, hence this test's unique folder.
  await waitFor(() => processesWith(dir).length === 0, `no process of ${dir} left`, 2000);
  return {
    code: ended.code,
    errorLines: server
      .stderr()
      .split('\n')
      .filter((line) => line !== ''),
    stdout: server.stdout(),
    tookMs: ended.at - startedAt,
  };
}

/** Asserts one `error: ...` line matching `reason`, exit 1, and no error logged on stdout. */
function assertOneLine(result: Awaited<ReturnType<typeof failedStart>>, reason: RegExp): void {
  assert.equal(result.code, 1, result.errorLines.join('\n'));
  assert.equal(result.errorLines.length, 1, `expected one line:\n${result.errorLines.join('\n')}`);
  assert.match(result.errorLines[0]!, /^error: /);
  assert.match(result.errorLines[0]!, reason);
  assert.doesNotMatch(result.stdout, /"level":(50|60)/, 'an error was also logged');
  assert.ok(result.tookMs < EXIT_WITHIN_MS, `took ${result.tookMs} ms`);
}

describe('a server that cannot start exits 1 with one line, whatever --workers', () => {
  const tmp = tempDb();
  let taken: Server;
  let takenPort: number;
  /** A database set up with its pepper (by `apps create`), the pepper moved aside. */
  let db: string;

  before(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    takenPort = typeof address === 'object' && address !== null ? address.port : 0;
    db = join(tmp.dir, 'data', 'smscx-oauth.db');
    const created = cli(['apps', 'create', '--db', db, '--name', 'probe', '--json']);
    assert.equal(created.status, 0, created.stderr);
  });
  after(() => {
    taken.close();
    tmp.cleanup();
  });

  for (const workers of ['1', '3']) {
    it(`port taken (--workers ${workers}): names the address; every worker is gone`, async () => {
      const result = await failedStart(tmp.dir, db, ['--port', String(takenPort), '--workers', workers]);
      assertOneLine(
        result,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${takenPort}: the address is already in use`),
      );
    });

    it(`wrong pepper (--workers ${workers})`, async () => {
      const pepper = join(tmp.dir, `wrong-pepper-${workers}`);
      writeFileSync(pepper, Buffer.alloc(32, 7), { mode: 0o600 });
      const result = await failedStart(tmp.dir, db, ['--workers', workers, '--pepper-file', pepper]);
      assertOneLine(result, /pepper/i);
    });

    it(`missing pepper (--workers ${workers})`, async () => {
      const pepper = join(tmp.dir, `no-such-pepper-${workers}`);
      const result = await failedStart(tmp.dir, db, ['--workers', workers, '--pepper-file', pepper]);
      assertOneLine(result, /pepper/i);
    });

    it(`database unreadable (--workers ${workers}): names the database`, async () => {
      const garbage = join(tmp.dir, `garbage-${workers}`, 'smscx-oauth.db');
      mkdirSync(join(tmp.dir, `garbage-${workers}`));
      writeFileSync(garbage, Buffer.alloc(8192, 0x5a));
      const result = await failedStart(tmp.dir, garbage, ['--workers', workers]);
      assertOneLine(result, /cannot use the database .*garbage.*: file is not a database/);
    });

    it(`migrations failed (--workers ${workers}): names the database and the failure`, async () => {
      const folder = join(tmp.dir, `clash-${workers}`);
      mkdirSync(folder);
      // A foreign table where the first migration creates its own: the migration fails.
      const clash = new Database(join(folder, 'smscx-oauth.db'));
      clash.exec('CREATE TABLE applications (something_else TEXT)');
      clash.close();
      const result = await failedStart(tmp.dir, join(folder, 'smscx-oauth.db'), ['--workers', workers]);
      assertOneLine(result, /cannot use the database .*clash.*: table applications already exists/);
      rmSync(folder, { recursive: true, force: true });
    });
  }
});
