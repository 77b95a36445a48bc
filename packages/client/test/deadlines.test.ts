/**
 * Deadlines of issue 17: `maxRetryDelayMs` (a rate-limit wait longer than it is not waited
 * out), a total `deadlineMs` per call over every attempt and wait, and every retry logged at the
 * default log level with its reason and delay. These use the real clock and timers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ApiClient,
  ApiTimeoutException,
  Configuration,
  type ConfigurationParameters,
  type Logger,
  type LogLevel,
  OauthApi,
  RateLimitExceededException,
  ServerErrorException,
  TokenManager,
} from '../src/index.js';
import { errorStep, type Step, startScriptedServer, tokenStep } from './scripted-server.js';

interface Line {
  level: string;
  message: string;
  fields: Record<string, unknown> | undefined;
}

function capture(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, message, fields });
    };
  return { lines, logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } };
}

/** One getAccessToken() against `steps`, timed. */
async function timed(
  steps: Step | Step[],
  parameters: Partial<ConfigurationParameters> = {},
  call: { deadlineMs?: number; maxRetryDelayMs?: number } = {},
) {
  const server = await startScriptedServer(steps);
  const { logger, lines } = capture();
  try {
    const api = new OauthApi(
      new ApiClient(
        new Configuration({ username: 'app', password: 'secret', host: server.url, logger, ...parameters }),
      ),
    );
    const started = performance.now();
    const outcome = await api.getAccessToken(call).then(
      (value) => ({ value, error: undefined }),
      (error: unknown) => ({ value: undefined, error }),
    );
    return { ...outcome, ms: performance.now() - started, requests: server.requests.length, lines };
  } finally {
    await server.close();
  }
}

describe('maxRetryDelayMs', () => {
  test('default 10 s: a 429 asking for 60 s is thrown at once with retryAfterMs, and the skip is logged', async () => {
    const r = await timed(errorStep(429, 'rate_limit', 1629, { 'Retry-After': '60' }));
    assert.ok(r.error instanceof RateLimitExceededException);
    assert.equal(r.error.retryAfterMs, 60_000);
    assert.equal(r.requests, 1);
    assert.ok(r.ms < 10_000, `took ${r.ms} ms`); // not 60 s
    const skip = r.lines.find((l) => l.message.startsWith('not retrying'));
    assert.equal(skip?.level, 'warn');
    assert.equal(skip?.fields?.retryAfterMs, 60_000);
    assert.equal(skip?.fields?.maxRetryDelayMs, 10_000);
  });

  test('configured and per call; a wait within it is taken', async () => {
    const oneSecond = errorStep(429, 'rate_limit', 1629, { 'Retry-After': '1' });
    const configured = await timed([oneSecond, tokenStep()], { maxRetryDelayMs: 500 });
    assert.ok(configured.error instanceof RateLimitExceededException);
    assert.equal(configured.error.retryAfterMs, 1000);
    assert.equal(configured.requests, 1);
    const perCall = await timed(
      [oneSecond, tokenStep()],
      { maxRetryDelayMs: 500 },
      { maxRetryDelayMs: 5000 },
    );
    assert.equal(perCall.error, undefined, String(perCall.error));
    assert.equal(perCall.requests, 2);
    assert.ok(perCall.ms >= 950, `waited ${perCall.ms} ms`);
  });

  test('it also caps the backoff between retries', async () => {
    const r = await timed(errorStep(503, 'server_error', 1653), { maxRetries: 3, maxRetryDelayMs: 20 });
    assert.ok(r.error instanceof ServerErrorException);
    assert.equal(r.requests, 4);
    const delays = r.lines.filter((l) => l.message === 'retry').map((l) => l.fields?.delayMs as number);
    assert.equal(delays.length, 3);
    assert.ok(
      delays.every((d) => d >= 0 && d < 20),
      String(delays),
    );
  });
});

describe('deadlineMs', () => {
  test('bounds the whole call, not one attempt: a server that never answers', async () => {
    // timeoutMs (per attempt) is 30 s; the deadline ends the call after 300 ms, without retrying.
    const r = await timed(() => {}, { maxRetries: 5 }, { deadlineMs: 300 });
    assert.ok(r.error instanceof ApiTimeoutException, String(r.error));
    assert.equal(r.error.message, 'Deadline of 300 ms exceeded');
    assert.equal(r.requests, 1);
    assert.ok(r.ms >= 290 && r.ms < 10_000, `took ${r.ms} ms`); // not 6 × 30 s
  });

  test('covers the waits: a wait that would pass the deadline is not started, the last error is thrown', async () => {
    const r = await timed([errorStep(503, 'server_error', 1653, { 'Retry-After': '1' }), tokenStep()], {
      deadlineMs: 500,
    });
    assert.ok(r.error instanceof ServerErrorException, String(r.error));
    assert.equal(r.requests, 1, 'the 1 s wait was not started');
    assert.ok(
      r.lines.some(
        (l) => l.level === 'warn' && l.message === 'not retrying: the wait would pass the deadline',
      ),
    );
  });

  test('covers several attempts and waits: slow 503s end at the deadline', async () => {
    const slow503: Step = (req, res) => {
      setTimeout(() => errorStep(503, 'server_error', 1653, { 'Retry-After': '0' })(req, res), 150);
    };
    const r = await timed(slow503, { maxRetries: 10, deadlineMs: 400 });
    assert.ok(
      r.error instanceof ApiTimeoutException || r.error instanceof ServerErrorException,
      String(r.error),
    );
    assert.ok(r.requests >= 2 && r.requests <= 3, `${r.requests} requests`);
    assert.ok(r.ms < 900, `took ${r.ms} ms`);
  });

  test('TokenManager.fetch: the deadline covers the token wait and the resource request', async () => {
    const server = await startScriptedServer((req, res) => {
      if (req.url === '/oauth/token') tokenStep()(req, res);
      // the resource never answers
    });
    try {
      const configuration = new Configuration({ username: 'app', password: 'secret', host: server.url });
      const tokens = new TokenManager({ configuration });
      const started = performance.now();
      const error = await tokens
        .fetch('/applications/scopes', {}, { deadlineMs: 300 })
        .catch((e: unknown) => e);
      assert.ok(error instanceof ApiTimeoutException, String(error));
      assert.ok(performance.now() - started < 10_000); // not the 30 s timeout
    } finally {
      await server.close();
    }
  });
});

describe('logging', () => {
  test('every retry is logged at the default level (warn) with its reason and delay', async () => {
    const r = await timed([errorStep(503, 'server_error', 1653, { 'Retry-After': '0' }), tokenStep()]);
    assert.equal(r.error, undefined);
    const retries = r.lines.filter((l) => l.message === 'retry');
    assert.equal(retries.length, 1);
    assert.equal(retries[0]!.level, 'warn');
    assert.equal(retries[0]!.fields?.reason, 'HTTP 503 server_error');
    assert.equal(retries[0]!.fields?.delayMs, 0);
    assert.equal(retries[0]!.fields?.attempt, 2);
    assert.equal(retries[0]!.fields?.requestId, 'req-503');
    // Nothing at debug level by default.
    assert.ok(r.lines.every((l) => l.level !== 'debug'));
  });

  test('without a logger, retries go to the console (console.warn)', async () => {
    const server = await startScriptedServer([
      errorStep(502, 'server_error', 1650, { 'Retry-After': '0' }),
      tokenStep(),
    ]);
    const original = console.warn;
    const written: string[] = [];
    console.warn = (...args: unknown[]) => written.push(args.join(' '));
    try {
      await new OauthApi(
        new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url })),
      ).getAccessToken();
    } finally {
      console.warn = original;
      await server.close();
    }
    assert.equal(written.length, 1);
    assert.match(written[0]!, /^smscx retry \{.*"reason":"HTTP 502 server_error","delayMs":0/);
  });

  for (const [level, expected] of [
    ['off', []],
    ['error', []],
    ['warn', ['warn']],
    ['info', ['warn']],
    ['debug', ['debug', 'debug', 'warn', 'debug', 'debug']],
  ] as Array<[LogLevel, string[]]>) {
    test(`logLevel ${level}`, async () => {
      const r = await timed([errorStep(503, 'server_error', 1653, { 'Retry-After': '0' }), tokenStep()], {
        logLevel: level,
      });
      assert.equal(r.error, undefined);
      assert.deepEqual(
        r.lines.map((l) => l.level),
        expected,
        r.lines.map((l) => l.message).join(', '),
      );
    });
  }
});
