// `serve --workers N`: one primary (first-start work, banner and `listening on` once, the rate
// limit counters) and N worker processes sharing the port. The limits must hold whichever
// worker answers, and survive a worker that dies and is restarted.
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../src/config/options.js';
import {
  basic,
  childPids,
  cli,
  defaultCredentials,
  envelope,
  FORM,
  type RawResponse,
  requestToken,
  send,
  startServer,
  type TestServer,
  tempDb,
} from './helpers.js';

/** PIDs of the processes that wrote a per-request debug line (`"msg":"request"`). */
function answeringPids(server: TestServer): Set<number> {
  const pids = new Set<number>();
  for (const line of server.stdout().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { msg?: string; pid?: number };
    if (entry.msg === 'request' && entry.pid !== undefined) pids.add(entry.pid);
  }
  return pids;
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** PIDs of the processes that logged Fastify's `Server listening` line (a worker that listens). */
function listeningPids(stdout: string): Set<number> {
  const pids = new Set<number>();
  for (const match of stdout.matchAll(/"pid":(\d+),[^\n]*Server listening/g)) pids.add(Number(match[1]));
  return pids;
}

function assertRateLimited(response: RawResponse, limit: string): void {
  assert.equal(response.status, 429, response.body);
  assert.equal(envelope(response).type, 'rate_limit');
  assert.equal(response.headers['x-rate-limit-limit'], limit);
  assert.equal(response.headers['x-rate-limit-remaining'], '0');
}

describe('serve --workers 2', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: { application_id: string; application_secret: string };

  before(async () => {
    // An empty database: the primary creates the default application and prints its banner.
    server = await startServer(tmp.db, [
      '--workers',
      '2',
      '--rate-limit',
      '5/60',
      '--auth-failure-limit',
      '3/60',
      '--log-level',
      'debug',
    ]);
    // Not a terminal: the banner names the credentials file, never prints the secret.
    app = defaultCredentials(server.stdout());
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('prints the banner and the listening line once, and runs two workers under the primary', async () => {
    assert.equal(count(server.stdout(), 'Credentials file:'), 1);
    assert.equal(count(server.stdout(), 'listening on '), 1);
    // Both workers logged that they listen (the fact `listening on` waited for).
    await server.waitForStdout((out) => listeningPids(out).size === 2);
    assert.deepEqual([...listeningPids(server.stdout())].sort(), childPids(server.process.pid!));
  });

  it('shares the per-application limit: the 6th request is 429 whichever worker answers', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await requestToken(server.url, app);
      assert.equal(response.status, 200, response.body);
      remaining.push(String(response.headers['x-rate-limit-remaining']));
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0']);
    for (let i = 0; i < 2; i += 1) assertRateLimited(await requestToken(server.url, app), '5');
    // Each request came on a new connection, handed out in turn: both workers answered. A
    // worker writes its request line once the response is sent, so wait for the lines.
    const workers = childPids(server.process.pid!);
    await server.waitForStdout(() => workers.every((pid) => answeringPids(server).has(pid)));
    assert.deepEqual([...answeringPids(server)].sort(), workers);
  });

  it('shares the failed-authentication limit per IP across workers', async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await send(server.url, {
        headers: { authorization: basic(app.application_id, `wrong-${i}`), 'content-type': FORM },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 401);
      remaining.push(String(response.headers['x-rate-limit-remaining']));
    }
    assert.deepEqual(remaining, ['2', '1', '0']);
    for (let i = 0; i < 2; i += 1) {
      assertRateLimited(await send(server.url, { headers: { authorization: 'Basic !!' } }), '3');
    }
  });

  it('restarts a worker that dies; the new worker knows the blocked IP', async () => {
    const before = childPids(server.process.pid!);
    process.kill(before[0]!, 'SIGKILL');
    // The fact to wait for: a worker that is not one of the two before logs that it listens.
    const newcomer = (out: string): number | undefined =>
      [...listeningPids(out)].find((pid) => !before.includes(pid));
    await server.waitForStdout((out) => newcomer(out) !== undefined);
    const replacement = newcomer(server.stdout())!;
    assert.match(server.stdout(), /worker died; restarting it/);
    assert.deepEqual(childPids(server.process.pid!), [before[1]!, replacement].sort());
    for (let i = 0; i < 4; i += 1) assertRateLimited(await requestToken(server.url, app), '3');
    // Connections are handed out in turn, so the new worker answered some of the four; its
    // request lines are written after its responses: wait for them.
    await server.waitForStdout(() => answeringPids(server).has(replacement));
  });

  it('SIGTERM to the primary stops every worker and exits 0', async () => {
    const workers = childPids(server.process.pid!);
    assert.equal(await server.stop(), 0, server.stderr());
    for (const pid of workers) assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} still runs`);
  });
});

describe('serve --workers 1', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  it('runs a single process with no cluster primary (SMSCX_WORKERS works too)', async () => {
    const server = await startServer(tmp.db, [], { SMSCX_WORKERS: '1' });
    try {
      assert.equal(count(server.stdout(), 'listening on '), 1);
      assert.deepEqual(childPids(server.process.pid!), []);
      const response = await requestToken(server.url, defaultCredentials(server.stdout()));
      assert.equal(response.status, 200, response.body);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('rejects a bad worker count with a usage error', () => {
    const result = cli(['serve', '--workers', '0', '--db', tmp.db]);
    assert.equal(result.status, 2);
    assert.match(result.stderr, /workers must be an integer 1-256/);
  });

  it('defaults to one worker per CPU core', () => {
    assert.equal(resolveConfig({}, {}).workers, availableParallelism());
    assert.equal(resolveConfig({}, { SMSCX_WORKERS: '3' }).workers, 3);
    assert.equal(resolveConfig({ workers: '2' }, { SMSCX_WORKERS: '3' }).workers, 2);
  });
});
