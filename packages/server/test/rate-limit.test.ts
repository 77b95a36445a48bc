// Both limiters of /oauth/token with small limits: per application and per client IP failures.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  basic,
  createApplication,
  envelope,
  FORM,
  type RawResponse,
  requestToken,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
} from './helpers.js';

function assert429(response: RawResponse, limit: string): void {
  assert.equal(response.status, 429, response.body);
  const error = envelope(response);
  assert.equal(error.type, 'rate_limit');
  assert.equal(error.code, 1629);
  assert.equal(response.headers['x-rate-limit-limit'], limit);
  assert.equal(response.headers['x-rate-limit-remaining'], '0');
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
  const reset = Number(response.headers['x-rate-limit-reset']);
  const now = Date.now() / 1000;
  assert.ok(Number.isInteger(reset) && reset >= Math.floor(now) && reset <= now + 61, String(reset));
  assert.equal(response.headers['cache-control'], 'no-store');
}

describe('rate limits', () => {
  describe('per application', () => {
    const tmp = tempDb();
    let server: TestServer;
    let first: TestApplication;
    let second: TestApplication;
    before(async () => {
      first = createApplication(tmp.db, [], 'first');
      second = createApplication(tmp.db, [], 'second');
      server = await startServer(tmp.db, ['--rate-limit', '3/60']);
    });
    after(async () => {
      await server.stop();
      tmp.cleanup();
    });

    it('counts down X-Rate-Limit-Remaining, then answers 429 with Retry-After and X-Rate-Limit-Reset', async () => {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await requestToken(server.url, first);
        assert.equal(response.status, 200);
        assert.equal(response.headers['x-rate-limit-limit'], '3');
        assert.equal(response.headers['x-rate-limit-reset'], undefined);
        remaining.push(String(response.headers['x-rate-limit-remaining']));
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      assert429(await requestToken(server.url, first), '3');
    });

    it('counts failed requests of an authenticated application too (invalid_scope)', async () => {
      const response = await requestToken(server.url, second, 'grant_type=client_credentials&scope=nope');
      assert.equal(response.status, 400);
      assert.equal(response.headers['x-rate-limit-remaining'], '2');
    });

    it('keeps applications apart', async () => {
      const response = await requestToken(server.url, second);
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-rate-limit-remaining'], '1');
    });
  });

  describe('failed authentications per client IP', () => {
    const tmp = tempDb();
    let server: TestServer;
    let app: TestApplication;
    before(async () => {
      app = createApplication(tmp.db);
      server = await startServer(tmp.db, ['--auth-failure-limit', '3/60']);
    });
    after(async () => {
      await server.stop();
      tmp.cleanup();
    });

    it('successful requests do not spend the failure budget', async () => {
      for (let i = 0; i < 4; i += 1) assert.equal((await requestToken(server.url, app)).status, 200);
    });

    it('reports the failure budget on 401 and blocks the IP after it is spent', async () => {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await send(server.url, {
          headers: { authorization: basic(app.application_id, `wrong-${i}`), 'content-type': FORM },
          body: 'grant_type=client_credentials',
        });
        assert.equal(response.status, 401);
        assert.equal(response.headers['x-rate-limit-limit'], '3');
        remaining.push(String(response.headers['x-rate-limit-remaining']));
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      assert429(await requestToken(server.url, app), '3');
      assert429(await send(server.url, { headers: { authorization: 'Basic !!' } }), '3');
    });
  });
});
