// PostgreSQL faults, against the real binary: unreachable at start (a clear one-line error
// naming the URL without its password, exit non-zero), and restarted while serving (tokens keep
// being issued for known applications, admin commands fail clearly while it is down, the server
// reconnects and catches up by itself, nothing crashes, the log is not flooded). The restart
// runs on a PostgreSQL server of this test's own (postgres-instance.ts), never the shared one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROCESS_LIVENESS_MS } from '../src/sync/change-follower.js';
import {
  type CliResult,
  childPids,
  cli,
  defaultCredentials,
  freePort,
  requestToken,
  runInProcess,
  startServer,
  type TestServer,
} from './helpers.js';
import { PostgresInstance } from './postgres-instance.js';

const PASSWORD = 's3cret-pw';
/** Requests per probe, sent at once, each on a new connection (spread over the workers). */
const PROBES = 24;
/** A line of a stack trace. */
const STACK_LINE = /^\s+at /m;
const FOLLOW_FAILED = 'cannot follow database changes';
const FOLLOW_RECOVERED = 'following database changes again';

/** Asserts that a failed command said one clear line, without password or stack trace. */
function assertOneLineError(result: CliResult, expected: RegExp, what: string): void {
  const output = `${result.stdout}${result.stderr}`;
  assert.equal(result.status, 1, `${what}: exit status (${output})`);
  assert.equal(result.stdout, '', `${what}: nothing on stdout`);
  assert.match(result.stderr, /^[^\n]+\n$/, `${what}: one line on stderr: ${result.stderr}`);
  assert.match(result.stderr, expected, what);
  assert.ok(!output.includes(PASSWORD), `${what}: the password is shown: ${output}`);
  assert.doesNotMatch(output, STACK_LINE, `${what}: a stack trace is shown`);
}

/** The server's JSON log lines (stdout) whose `msg` says `msg`, counted per process. */
function logCounts(stdout: string, msg: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: unknown; pid?: unknown };
    if (typeof entry.msg === 'string' && entry.msg.includes(msg) && typeof entry.pid === 'number') {
      counts.set(entry.pid, (counts.get(entry.pid) ?? 0) + 1);
    }
  }
  return counts;
}

/** Whether every process of `pids` logged an outage and, after each, that it follows again. */
function following(stdout: string, pids: readonly number[]): boolean {
  const failed = logCounts(stdout, FOLLOW_FAILED);
  const recovered = logCounts(stdout, FOLLOW_RECOVERED);
  return pids.every((pid) => (failed.get(pid) ?? 0) > 0 && recovered.get(pid) === failed.get(pid));
}

describe('PostgreSQL unreachable at start', () => {
  let dir: string;
  let url: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smscx-oauth-test-'));
    // A port nothing listens on: connections are refused.
    url = `postgres://smscx:${PASSWORD}@127.0.0.1:${await freePort()}/x`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const expected = (): RegExp =>
    new RegExp(
      `^error: cannot connect to PostgreSQL at ${url.replace(PASSWORD, '***').replace(/[.*]/g, '\\$&')}: \\S`,
    );

  for (const workers of ['1', '2']) {
    it(`serve --workers ${workers} exits 1 with one line naming the URL without its password`, () => {
      // cli() waits for the exit (bounded): the server must give up by itself.
      const result = cli([
        'serve',
        '--port',
        '0',
        '--db',
        url,
        '--pepper-file',
        join(dir, 'pepper'),
        '--workers',
        workers,
      ]);
      assertOneLineError(result, expected(), `serve --workers ${workers}`);
    });
  }

  it('an admin command exits 1 with the same line', () => {
    assertOneLineError(cli(['apps', 'list', '--db', url]), expected(), 'apps list');
  });

  it('--help never shows the password', () => {
    const result = cli(['serve', '--help', '--db', url]);
    assert.equal(result.status, 0);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(PASSWORD));
  });
});

describe('PostgreSQL restarted while serving (serve --workers 2)', () => {
  let pg: PostgresInstance | undefined;
  let dir: string | undefined;
  let server: TestServer | undefined;
  let url: string;
  let pepper: string;
  let app: { application_id: string; application_secret: string };
  let workers: number[];

  before(async () => {
    pg = await PostgresInstance.create();
    await pg.start();
    // Trust authentication accepts any password: one in the URL checks it never shows anywhere.
    url = pg.url(PASSWORD);
    dir = mkdtempSync(join(tmpdir(), 'smscx-oauth-test-'));
    pepper = join(dir, 'pepper');
    server = await startServer(url, [
      '--workers',
      '2',
      '--pepper-file',
      pepper,
      // Room for every probe of the test in the limits (refused ones count as failures).
      '--rate-limit',
      '100000/60',
      '--auth-failure-limit',
      '1000/60',
    ]);
    // Not a terminal: the banner names the credentials file (next to the pepper file).
    app = defaultCredentials(server.stdout());
    workers = childPids(server.process.pid!);
    assert.equal(workers.length, 2, `two workers: ${workers.join(' ')}`);
  });

  after(async () => {
    await server?.stop();
    await pg?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** {@link PROBES} token requests at once, each on a new connection. */
  async function probe(what: string): Promise<number[]> {
    const responses = await Promise.all(Array.from({ length: PROBES }, () => requestToken(server!.url, app)));
    for (const response of responses) {
      assert.doesNotMatch(response.body, STACK_LINE, `${what}: a stack trace reached a client`);
      assert.ok(!response.body.includes(PASSWORD), `${what}: the password reached a client`);
    }
    return responses.map((response) => response.status);
  }

  async function assertAll(status: number, what: string): Promise<void> {
    const statuses = await probe(what);
    assert.deepEqual(statuses, Array(PROBES).fill(status), `${what}: ${statuses.join(' ')}`);
  }

  /** `apps <action> <id>` in this process, on the test's database. */
  function admin(action: string): Promise<CliResult> {
    return runInProcess(['apps', action, app.application_id, '--db', url, '--pepper-file', pepper]);
  }

  it('issues tokens', async () => {
    await assertAll(200, 'before the outage');
  });

  it('keeps issuing tokens while PostgreSQL is down; admin commands fail with one clear line', async () => {
    await pg!.stop();
    const downSince = Date.now();
    assertOneLineError(
      cli(['apps', 'disable', app.application_id, '--db', url, '--pepper-file', pepper]),
      /^error: cannot connect to PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres: \S/,
      'apps disable while PostgreSQL is down',
    );
    // Both workers notice the outage (their polls fail) ...
    await server!.waitForStdout((out) => logCounts(out, FOLLOW_FAILED).size === workers.length);
    // ... and it lasts until every heartbeat is stale, through many polls: the workers then
    // count as gone for admin commands until they report again, the harder case to catch up from.
    let rounds = 0;
    do {
      await assertAll(200, 'while PostgreSQL is down');
      rounds += 1;
    } while (Date.now() - downSince < PROCESS_LIVENESS_MS + 500);
    assert.ok(rounds > 1);
  });

  it('reconnects and catches up by itself: an admin change is in force on return', async () => {
    await pg!.start();
    // Each worker says by itself that it follows again (its polls and heartbeat work).
    await server!.waitForStdout((out) => following(out, workers));
    // Only the time the workers take to reconnect is tolerated: the command is retried while it
    // says a server process did not confirm the change (bounded), not on any other failure.
    const deadline = Date.now() + 20_000;
    let result = await admin('disable');
    while (result.status !== 0 && /did not confirm/.test(result.stderr) && Date.now() < deadline) {
      result = await admin('disable');
    }
    assert.equal(result.status, 0, `apps disable after the restart: ${result.stderr}`);
    await assertAll(403, 'disabled after the restart');

    const enabled = await admin('enable');
    assert.equal(enabled.status, 0, `apps enable: ${enabled.stderr}`);
    await assertAll(200, 'enabled again');
  });

  it('no process died or leaked the password, and the outage was logged once per worker', async () => {
    const s = server!;
    assert.ok(following(s.stdout(), workers), 'every worker logged the outage and its end');
    assert.equal(s.process.exitCode, null, 'the server is running');
    assert.deepEqual(childPids(s.process.pid!), workers, 'the same two workers are running');
    const log = `${s.stdout()}${s.stderr()}`;
    assert.doesNotMatch(log, /uncaught|unhandled/i);
    assert.ok(!log.includes('worker died'), 'no worker died');
    assert.ok(!log.includes(PASSWORD), 'the password is in the log');
    assert.doesNotMatch(s.stderr(), STACK_LINE);
    // Many 50 ms polls failed during the outage, but each worker said so at most twice.
    const failures = logCounts(s.stdout(), FOLLOW_FAILED);
    assert.deepEqual(
      [...failures.keys()].sort((a, b) => a - b),
      workers,
    );
    for (const [pid, count] of failures)
      assert.ok(count <= 2, `worker ${pid} logged the outage ${count} times`);
    const lines = s
      .stdout()
      .split('\n')
      .filter((line) => line.includes(FOLLOW_FAILED));
    assert.ok(lines.length <= 2 * workers.length, `the outage was logged ${lines.length} times`);
  });

  it('stops cleanly', async () => {
    assert.equal(await server!.stop(), 0);
    server = undefined;
  });
});
