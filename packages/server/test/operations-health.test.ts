// Health and readiness against the real binary over real sockets: GET /healthz (the process
// answers) and GET /readyz (the database answers, changes are followed, Redis answers when
// configured), 200 or 503 with a small JSON body, Cache-Control: no-store, no authentication, no
// rate limit, never logged per request. Readiness follows real outages: a PostgreSQL server of
// the test's own stopped and started again, a private Redis killed, paused and brought back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createApplication,
  defaultCredentials,
  envelope,
  type RawResponse,
  requestToken,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
  waitFor,
} from './helpers.js';
import { PostgresInstance } from './postgres-instance.js';
import { PrivateRedis } from './redis-fixture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function get(url: string, path: string, method = 'GET'): Promise<RawResponse> {
  return send(url, { method, path });
}

/** `GET /readyz`: its status and body. */
async function readyz(url: string): Promise<{ status: number; body: unknown }> {
  const response = await get(url, '/readyz');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
  return { status: response.status, body: response.json };
}

/** Resolves once `/readyz` answers `status` with `body`, failing with the last answer otherwise. */
async function readyzBecomes(url: string, status: number, body: unknown, timeoutMs = 15_000): Promise<void> {
  let last: unknown;
  try {
    await waitFor(
      async () => {
        const answer = await readyz(url);
        last = answer;
        return answer.status === status && JSON.stringify(answer.body) === JSON.stringify(body);
      },
      `/readyz ${status} ${JSON.stringify(body)}`,
      timeoutMs,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answer: ${JSON.stringify(last)}`);
  }
}

const READY = { status: 'ok', checks: { database: 'ok', changes: 'ok' } };

describe('GET /healthz and GET /readyz (SQLite)', () => {
  let db: ReturnType<typeof tempDb>;
  let server: TestServer;
  let app: TestApplication;

  before(async () => {
    db = tempDb();
    app = createApplication(db.db);
    // debug: one log line per request, so that the health endpoints' absence is visible.
    server = await startServer(db.db, ['--auth-failure-limit', '2/60', '--log-level', 'debug']);
  });
  after(async () => {
    await server.stop();
    db.cleanup();
  });

  it('/healthz: 200 {"status":"ok"}, no-store, with the usual headers', async () => {
    const response = await get(server.url, '/healthz');
    assert.equal(response.status, 200);
    assert.equal(response.body, '{"status":"ok"}');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.match(String(response.headers['x-request-id']), UUID);
    assert.match(String(response.headers['x-response-time']), /ms$/);
    assert.equal(response.headers['x-rate-limit-limit'], undefined, 'no rate limit');
  });

  it('/readyz: 200 with each check', async () => {
    assert.deepEqual(await readyz(server.url), { status: 200, body: READY });
  });

  it('HEAD answers both; another method is 405 with Allow', async () => {
    for (const path of ['/healthz', '/readyz']) {
      const head = await get(server.url, path, 'HEAD');
      assert.equal(head.status, 200, path);
      assert.equal(head.body, '');
      const post = await get(server.url, path, 'POST');
      assert.equal(post.status, 405, path);
      assert.equal(post.headers.allow, 'GET, HEAD');
      assert.equal(envelope(post).type, 'invalid_method');
    }
  });

  it('need no authentication and no budget: an IP blocked for failed authentications still gets 200', async () => {
    const wrong = { application_id: app.application_id, application_secret: 'wrong' };
    for (let i = 0; i < 3; i += 1) await requestToken(server.url, wrong);
    const blocked = await requestToken(server.url, app);
    assert.equal(blocked.status, 429, 'the token endpoint refuses this IP now');
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(server.url, i % 2 === 0 ? '/healthz' : '/readyz')),
    );
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(30).fill(200),
    );
  });

  it('are never logged per request (other requests are, at debug level)', async () => {
    const before = server.stdout().length;
    await get(server.url, '/healthz');
    await get(server.url, '/readyz');
    await get(server.url, '/.well-known/jwks.json');
    // The JWKS request's line is written before its answer leaves: once it is there, the health
    // requests' lines would be too.
    await server.waitForStdout((out) => out.slice(before).includes('/.well-known/jwks.json'));
    const lines = server
      .stdout()
      .slice(before)
      .split('\n')
      .filter((line) => line.startsWith('{'));
    assert.ok(lines.some((line) => line.includes('"route":"/.well-known/jwks.json"')));
    assert.deepEqual(
      lines.filter((line) => /healthz|readyz/.test(line)),
      [],
    );
  });
});

describe('GET /readyz follows the database (PostgreSQL stopped and started again)', () => {
  let pg: PostgresInstance | undefined;
  let dir: string | undefined;
  let server: TestServer | undefined;
  let app: { application_id: string; application_secret: string };

  before(async () => {
    pg = await PostgresInstance.create();
    await pg.start();
    dir = mkdtempSync(join(tmpdir(), 'smscx-oauth-test-'));
    server = await startServer(pg.url(), ['--pepper-file', join(dir, 'pepper')]);
    app = defaultCredentials(server.stdout());
  });
  after(async () => {
    await server?.stop();
    await pg?.destroy();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('is ready while PostgreSQL answers', async () => {
    assert.deepEqual(await readyz(server!.url), { status: 200, body: READY });
  });

  it('answers 503 with the failing checks while PostgreSQL is down; /healthz and tokens go on', async () => {
    await pg!.stop();
    await readyzBecomes(server!.url, 503, {
      status: 'unavailable',
      checks: { database: 'failing', changes: 'failing' },
    });
    const alive = await get(server!.url, '/healthz');
    assert.equal(alive.status, 200, 'the process is alive');
    assert.equal((await requestToken(server!.url, app)).status, 200, 'tokens come from memory');
  });

  it('is ready again once PostgreSQL is back', async () => {
    await pg!.start();
    await readyzBecomes(server!.url, 200, READY);
  });
});

describe('GET /readyz follows Redis (--redis, a private Redis killed, paused, restarted)', () => {
  let redis: PrivateRedis | undefined;
  let db: ReturnType<typeof tempDb>;
  let server: TestServer | undefined;
  const ready = { status: 'ok', checks: { database: 'ok', changes: 'ok', redis: 'ok' } };
  const redisDown = { status: 'unavailable', checks: { database: 'ok', changes: 'ok', redis: 'failing' } };

  before(async () => {
    redis = await PrivateRedis.start();
    db = tempDb();
    createApplication(db.db);
    server = await startServer(db.db, ['--redis', redis.url]);
  });
  after(async () => {
    await server?.stop();
    await redis?.close();
    db.cleanup();
  });

  it('is ready while Redis answers, and says it checked Redis', async () => {
    await readyzBecomes(server!.url, 200, ready);
  });

  it('answers 503 (redis failing) while Redis is gone, and 200 once it is back', async () => {
    await redis!.kill();
    await readyzBecomes(server!.url, 503, redisDown);
    assert.equal((await get(server!.url, '/healthz')).status, 200);
    await redis!.restart();
    await readyzBecomes(server!.url, 200, ready);
  });

  it('answers 503 while Redis hangs (connected, silent), and 200 once it answers, with no traffic', async () => {
    redis!.pause();
    try {
      await readyzBecomes(server!.url, 503, redisDown);
    } finally {
      redis!.resume();
    }
    await readyzBecomes(server!.url, 200, ready);
  });
});
