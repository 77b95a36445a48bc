import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApiClient,
  ApiConnectionException,
  Configuration,
  InvalidCredentialsException,
  OauthApi,
  RateLimitExceededException,
  ServerErrorException,
} from '../src/index.js';
import { backoffDelayMs, serverRequestedWaitMs } from '../src/internal/retry.js';
import {
  errorStep,
  recordingInternals,
  type Step,
  startScriptedServer,
  tokenStep,
} from './scripted-server.js';

async function scenario(
  steps: Step[],
  options: { maxRetries?: number; perCall?: number; timeoutMs?: number; now?: () => number } = {},
) {
  const server = await startScriptedServer(steps);
  const { delays, internals } = recordingInternals(0.5);
  const configuration = new Configuration({
    username: 'app',
    password: 'secret',
    host: server.url,
    maxRetries: options.maxRetries,
    timeoutMs: options.timeoutMs,
  });
  const api = new OauthApi(
    new ApiClient(configuration, options.now ? { ...internals, now: options.now } : internals),
  );
  let result: unknown;
  let error: unknown;
  try {
    result = await api.getAccessToken({ maxRetries: options.perCall });
  } catch (e) {
    error = e;
  } finally {
    await server.close();
  }
  return { result, error, delays, requests: server.requests.length };
}

describe('retry decisions', () => {
  test('a 503 is retried with jittered backoff, then succeeds', async () => {
    const r = await scenario([errorStep(503, 'server_error', 1653), tokenStep()]);
    assert.equal(r.error, undefined);
    assert.equal(r.requests, 2);
    assert.deepEqual(r.delays, [250]); // random 0.5 × min(8000, 500 × 2^0)
  });

  test('5xx retries stop after maxRetries (default 2) and throw the last error', async () => {
    const r = await scenario([errorStep(500, 'server_error', 1650)]);
    assert.ok(r.error instanceof ServerErrorException);
    assert.equal(r.requests, 3);
    assert.deepEqual(r.delays, [250, 500]);
  });

  test('maxRetries from Configuration and per call', async () => {
    const five = await scenario([errorStep(502, 'server_error', 1650)], { maxRetries: 5 });
    assert.equal(five.requests, 6);
    assert.deepEqual(five.delays, [250, 500, 1000, 2000, 4000]);
    const none = await scenario([errorStep(502, 'server_error', 1650)], { maxRetries: 5, perCall: 0 });
    assert.equal(none.requests, 1);
    assert.deepEqual(none.delays, []);
  });

  for (const [status, type] of [
    [400, 'invalid_scope'],
    [401, 'invalid_client'],
    [403, 'access_denied'],
    [404, 'not_found'],
    [405, 'invalid_method'],
  ] as const) {
    test(`${status} ${type} is never retried`, async () => {
      const r = await scenario([errorStep(status, type, 1600), tokenStep()]);
      assert.equal(r.requests, 1);
      assert.deepEqual(r.delays, []);
      assert.equal((r.error as { status?: number }).status, status);
    });
  }

  test('a reset connection is retried', async () => {
    const r = await scenario([(_req, res) => res.socket?.destroy(), tokenStep()]);
    assert.equal(r.error, undefined);
    assert.equal(r.requests, 2);
    assert.deepEqual(r.delays, [250]);
  });

  test('a timeout is retried', async () => {
    const r = await scenario([() => {}, tokenStep()], { timeoutMs: 100 });
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.requests, 2);
  });

  test('connection failures exhaust retries into ApiConnectionException', async () => {
    const r = await scenario([(_req, res) => res.socket?.destroy()], { maxRetries: 1 });
    assert.ok(r.error instanceof ApiConnectionException);
    assert.equal(r.requests, 2);
  });

  test('429 honours Retry-After in seconds', async () => {
    const r = await scenario([errorStep(429, 'rate_limit', 1629, { 'Retry-After': '3' }), tokenStep()]);
    assert.equal(r.requests, 2);
    assert.deepEqual(r.delays, [3000]);
  });

  test('429 honours Retry-After as an HTTP date, measured against the Date header', async () => {
    const serverNow = Date.UTC(2030, 0, 1, 12, 0, 0);
    const r = await scenario(
      [
        errorStep(429, 'rate_limit', 1629, {
          Date: new Date(serverNow).toUTCString(),
          'Retry-After': new Date(serverNow + 7000).toUTCString(),
        }),
        tokenStep(),
      ],
      { now: () => serverNow - 3_600_000 },
    );
    assert.deepEqual(r.delays, [7000]);
  });

  test('X-Rate-Limit-Reset is corrected for clock skew with the Date header', async () => {
    const serverNow = Date.UTC(2030, 0, 1, 12, 0, 0);
    // The local clock is an hour behind the server: reset - localNow would be ~3600 s.
    const r = await scenario(
      [
        errorStep(429, 'rate_limit', 1629, {
          Date: new Date(serverNow).toUTCString(),
          'X-Rate-Limit-Reset': String(serverNow / 1000 + 5),
        }),
        tokenStep(),
      ],
      { now: () => serverNow - 3_600_000 },
    );
    assert.equal(r.error, undefined);
    assert.deepEqual(r.delays, [5000]);
  });

  test('a 429 asking for more than maxRetryDelayMs (default 10 s) is not retried and carries the wait', async () => {
    const r = await scenario([errorStep(429, 'rate_limit', 1629, { 'Retry-After': '11' }), tokenStep()]);
    assert.ok(r.error instanceof RateLimitExceededException);
    assert.equal(r.error.retryAfterMs, 11_000);
    assert.equal(r.requests, 1);
    assert.deepEqual(r.delays, []);
    // 10 s itself is still waited out.
    const ten = await scenario([errorStep(429, 'rate_limit', 1629, { 'Retry-After': '10' }), tokenStep()]);
    assert.equal(ten.error, undefined);
    assert.deepEqual(ten.delays, [10_000]);
  });

  test('a 429 without hints falls back to backoff', async () => {
    const r = await scenario([
      (_req, res) => {
        res.writeHead(429, { 'Content-Type': 'text/plain' });
        res.end('slow down');
      },
      tokenStep(),
    ]);
    assert.deepEqual(r.delays, [250]);
  });

  test('a caller abort during the backoff wait stops the retries', async () => {
    const server = await startScriptedServer(errorStep(500, 'server_error', 1650));
    try {
      const controller = new AbortController();
      const client = new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url }), {
        sleep: async (_ms, signal) => {
          controller.abort(new Error('caller gave up'));
          signal?.throwIfAborted();
        },
      });
      await assert.rejects(
        new OauthApi(client).getAccessToken({ signal: controller.signal }),
        /caller gave up/,
      );
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('401 is thrown at once even with retries left', async () => {
    const r = await scenario([errorStep(401, 'invalid_client', 1600)], { maxRetries: 4 });
    assert.ok(r.error instanceof InvalidCredentialsException);
  });
});

describe('backoff arithmetic', () => {
  test('full jitter grows exponentially and is capped at 8 s', () => {
    const top = () => 0.999999;
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 10].map((i) => backoffDelayMs(i, top)),
      [499, 999, 1999, 3999, 7999, 7999, 7999],
    );
    assert.equal(
      backoffDelayMs(3, () => 0),
      0,
    );
  });

  test('server hints: Retry-After beats X-Rate-Limit-Reset; local clock only without Date', () => {
    const now = 1_000_000_000_000;
    assert.equal(
      serverRequestedWaitMs(new Headers({ 'retry-after': '2', 'x-rate-limit-reset': '9999999999' }), now),
      2000,
    );
    assert.equal(
      serverRequestedWaitMs(new Headers({ 'x-rate-limit-reset': String(now / 1000 + 4) }), now),
      4000,
    );
    assert.equal(
      serverRequestedWaitMs(new Headers({ 'x-rate-limit-reset': String(now / 1000 - 4) }), now),
      0,
    );
    assert.equal(serverRequestedWaitMs(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(serverRequestedWaitMs(new Headers(), now), undefined);
  });
});
