// Both limiters of /oauth/token with small limits: per application and per client IP failures.
// Against the app built in process (fixture.ts); windows end by moving its clock, never by waiting.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcessServer, inProcessServer } from './fixture.js';
import {
  basic,
  envelope,
  FORM,
  type RawResponse,
  requestToken,
  send,
  type TestApplication,
} from './helpers.js';

/** Checks a 429 of a 60-second window that ends at `resetsAt` (epoch ms), seen at `now` (epoch ms). */
function assert429(response: RawResponse, limit: string, resetsAt: number, now: number): void {
  assert.equal(response.status, 429, response.body);
  const error = envelope(response);
  assert.equal(error.type, 'rate_limit');
  assert.equal(error.code, 1629);
  assert.equal(response.headers['x-rate-limit-limit'], limit);
  assert.equal(response.headers['x-rate-limit-remaining'], '0');
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, String(retryAfter));
  assert.equal(retryAfter, Math.ceil((resetsAt - now) / 1000));
  const reset = Number(response.headers['x-rate-limit-reset']);
  assert.ok(
    Number.isInteger(reset) && reset >= Math.floor(now / 1000) && reset <= now / 1000 + 61,
    String(reset),
  );
  assert.equal(reset, Math.ceil(resetsAt / 1000));
  assert.equal(response.headers['cache-control'], 'no-store');
}

describe('rate limits', () => {
  describe('per application', () => {
    let server: InProcessServer;
    let first: TestApplication;
    let second: TestApplication;
    before(async () => {
      server = await inProcessServer({ rateLimit: { points: 3, durationSeconds: 60 } });
      first = await server.createApplication({ name: 'first' });
      second = await server.createApplication({ name: 'second' });
    });
    after(async () => {
      await server.close();
    });

    it('counts down X-Rate-Limit-Remaining, then answers 429 with Retry-After and X-Rate-Limit-Reset', async () => {
      const opened = server.clock();
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await requestToken(server, first);
        assert.equal(response.status, 200);
        assert.equal(response.headers['x-rate-limit-limit'], '3');
        assert.equal(response.headers['x-rate-limit-reset'], undefined);
        remaining.push(String(response.headers['x-rate-limit-remaining']));
        server.clock.advance(1_000);
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      server.clock.advance(17_500);
      assert429(await requestToken(server, first), '3', opened + 60_000, server.clock());
    });

    it('counts failed requests of an authenticated application too (invalid_scope)', async () => {
      const response = await requestToken(server, second, 'grant_type=client_credentials&scope=nope');
      assert.equal(response.status, 400);
      assert.equal(response.headers['x-rate-limit-remaining'], '2');
    });

    it('keeps applications apart', async () => {
      const response = await requestToken(server, second);
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-rate-limit-remaining'], '1');
    });

    it('opens a new window once the old one ended', async () => {
      // The window of `first` opened 20.5 s ago (test clock): still limited just before its end.
      server.clock.advance(39_499);
      assert.equal((await requestToken(server, first)).status, 429);
      server.clock.advance(1);
      const response = await requestToken(server, first);
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-rate-limit-remaining'], '2');
      assert.equal(response.headers['x-rate-limit-reset'], undefined);
    });
  });

  describe('failed authentications per client IP', () => {
    let server: InProcessServer;
    let app: TestApplication;
    before(async () => {
      server = await inProcessServer({ authFailureLimit: { points: 3, durationSeconds: 60 } });
      app = await server.createApplication();
    });
    after(async () => {
      await server.close();
    });

    const wrongSecret = (i: number): Promise<RawResponse> =>
      send(server, {
        headers: { authorization: basic(app.application_id, `wrong-${i}`), 'content-type': FORM },
        body: 'grant_type=client_credentials',
      });

    it('successful requests do not spend the failure budget', async () => {
      for (let i = 0; i < 4; i += 1) assert.equal((await requestToken(server, app)).status, 200);
    });

    it('reports the failure budget on 401 and blocks the IP after it is spent', async () => {
      const opened = server.clock();
      const remaining: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await wrongSecret(i);
        assert.equal(response.status, 401);
        assert.equal(response.headers['x-rate-limit-limit'], '3');
        remaining.push(String(response.headers['x-rate-limit-remaining']));
        server.clock.advance(2_000);
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      assert429(await requestToken(server, app), '3', opened + 60_000, server.clock());
      server.clock.advance(10_250);
      assert429(
        await send(server, { headers: { authorization: 'Basic !!' } }),
        '3',
        opened + 60_000,
        server.clock(),
      );
    });

    it('counts each client IP on its own', async () => {
      const other = await server.send({
        headers: { authorization: basic(app.application_id, 'wrong-elsewhere'), 'content-type': FORM },
        body: 'grant_type=client_credentials',
        remoteAddress: '192.0.2.7',
      });
      assert.equal(other.status, 401);
      assert.equal(other.headers['x-rate-limit-remaining'], '2');
      assert.equal((await requestToken(server, app)).status, 429);
    });

    it('lifts the block once the window ended', async () => {
      // The window of 127.0.0.1 opened 16.25 s ago (test clock).
      server.clock.advance(43_749);
      assert.equal((await requestToken(server, app)).status, 429);
      server.clock.advance(1);
      assert.equal((await requestToken(server, app)).status, 200);
      const response = await wrongSecret(3);
      assert.equal(response.status, 401);
      assert.equal(response.headers['x-rate-limit-remaining'], '2');
    });
  });
});
