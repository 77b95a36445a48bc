import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import {
  ApiClient,
  ApiTimeoutException,
  Configuration,
  ServerErrorException,
  TokenManager,
} from '../src/index.js';
import {
  countingTokenStep,
  errorStep,
  type RecordedRequest,
  type Step,
  sendJson,
  startScriptedServer,
} from './scripted-server.js';

function manager(
  host: string,
  options: { now?: () => number; refreshSkewSeconds?: number; scope?: string } = {},
) {
  const configuration = new Configuration({ username: 'app', password: 'secret', host, maxRetries: 0 });
  return new TokenManager({ configuration, ...options });
}

const tokenRequests = (requests: RecordedRequest[]) =>
  requests.filter((r) => r.url === '/oauth/token').length;

describe('TokenManager.getToken', () => {
  test('1000 parallel calls on a cold cache make exactly one HTTP request', async () => {
    const server = await startScriptedServer(countingTokenStep());
    try {
      const tokens = manager(server.url, { scope: 'sms groups' });
      const results = await Promise.all(Array.from({ length: 1000 }, () => tokens.getToken()));
      assert.equal(server.requests.length, 1);
      assert.ok(results.every((t) => t === 'tok-1'));
      assert.equal(server.requests[0]!.body, 'grant_type=client_credentials&scope=sms+groups');
    } finally {
      await server.close();
    }
  });

  test('returns the cached token until refreshSkewSeconds before expiry, then refreshes', async () => {
    const server = await startScriptedServer(countingTokenStep({ expires_in: 3600 }));
    try {
      let now = 1_000_000;
      const tokens = manager(server.url, { now: () => now, refreshSkewSeconds: 60 });
      assert.equal(await tokens.getToken(), 'tok-1');
      now += 3539_000;
      assert.equal(await tokens.getToken(), 'tok-1');
      assert.equal(server.requests.length, 1);
      now += 2_000; // inside the 60 s window
      assert.equal(await tokens.getToken(), 'tok-2');
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('a token shorter-lived than twice the skew is refreshed at half its lifetime', async () => {
    const server = await startScriptedServer(countingTokenStep({ expires_in: 30 }));
    try {
      let now = 0;
      const tokens = manager(server.url, { now: () => now, refreshSkewSeconds: 60 });
      await tokens.getToken();
      now = 14_999;
      assert.equal(await tokens.getToken(), 'tok-1');
      now = 15_000;
      assert.equal(await tokens.getToken(), 'tok-2');
    } finally {
      await server.close();
    }
  });

  test('expires_in 0 means the token never expires', async () => {
    const server = await startScriptedServer(countingTokenStep({ expires_in: 0 }));
    try {
      let now = 0;
      const tokens = manager(server.url, { now: () => now });
      assert.equal(await tokens.getToken(), 'tok-1');
      now = 10 * 365 * 86_400_000;
      assert.equal(await tokens.getToken(), 'tok-1');
      assert.equal(server.requests.length, 1);
      assert.equal((await tokens.getTokenResponse()).expires_in, 0);
    } finally {
      await server.close();
    }
  });

  test('a failure is shared by concurrent callers but never cached', async () => {
    const server = await startScriptedServer([errorStep(500, 'server_error', 1650), countingTokenStep()]);
    try {
      const tokens = manager(server.url);
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => tokens.getToken()));
      assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof ServerErrorException));
      assert.equal(server.requests.length, 1);
      assert.equal(await tokens.getToken(), 'tok-1');
      assert.equal(server.requests.length, 2);
    } finally {
      await server.close();
    }
  });

  test('invalidate() drops the token, and a late in-flight result is not cached', async () => {
    let release: (() => void) | undefined;
    let n = 0;
    const step: Step = (_req, res) => {
      n++;
      const token = `tok-${n}`;
      const answer = () =>
        sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: '' });
      if (n === 1) release = answer;
      else answer();
    };
    const server = await startScriptedServer(step);
    try {
      const tokens = manager(server.url);
      const late = tokens.getToken();
      while (release === undefined) await new Promise((r) => setTimeout(r, 5));
      tokens.invalidate();
      assert.equal(await tokens.getToken(), 'tok-2');
      release();
      assert.equal(await late, 'tok-1'); // its own caller still gets it...
      assert.equal(await tokens.getToken(), 'tok-2'); // ...but it did not replace the cache
      assert.equal(server.requests.length, 2);
      tokens.invalidate();
      assert.equal(await tokens.getToken(), 'tok-3');
    } finally {
      await server.close();
    }
  });

  test('requires a configuration or an api client', () => {
    assert.throws(() => new TokenManager({}), TypeError);
    assert.throws(
      () =>
        new TokenManager({
          configuration: new Configuration({ username: 'a', password: 'b' }),
          refreshSkewSeconds: -1,
        }),
      TypeError,
    );
  });

  test('shares an ApiClient when given one', async () => {
    const server = await startScriptedServer(countingTokenStep());
    try {
      const apiClient = new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url }));
      const tokens = new TokenManager({ apiClient });
      assert.equal(tokens.apiClient, apiClient);
      assert.equal(await tokens.getToken(), 'tok-1');
    } finally {
      await server.close();
    }
  });
});

/**
 * A token endpoint that holds its first answer until `release()` is called (the answer is a
 * token, or the given error step), and answers later requests at once with tok-2, tok-3...
 */
function heldTokenServer(first?: Step) {
  let release: (() => void) | undefined;
  let n = 0;
  const step: Step = (req, res) => {
    n++;
    const token = `tok-${n}`;
    const answer = () =>
      first && token === 'tok-1'
        ? first(req, res)
        : sendJson(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: '' });
    if (token === 'tok-1') release = answer;
    else answer();
  };
  return {
    step,
    /** Resolves once the first request has arrived and is being held. */
    async held(): Promise<() => void> {
      while (release === undefined) await new Promise((r) => setTimeout(r, 5));
      return release;
    },
  };
}

describe('TokenManager.getToken({ signal })', () => {
  test("an abort ends only that caller's wait; the shared request serves everyone else", async () => {
    const held = heldTokenServer();
    const server = await startScriptedServer(held.step);
    try {
      const tokens = manager(server.url);
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      const aborted = tokens.getToken({ signal: controller.signal });
      const others = Array.from({ length: 1000 }, () => tokens.getToken());
      const withLiveSignal = tokens.getToken({ signal: new AbortController().signal });
      const release = await held.held();
      controller.abort(reason);
      await assert.rejects(aborted, (error) => error === reason);
      release();
      const results = await Promise.all([...others, withLiveSignal]);
      assert.ok(results.every((t) => t === 'tok-1'));
      assert.equal(tokenRequests(server.requests), 1);
      // The aborted wait did not stop the token from being cached.
      assert.equal(await tokens.getToken(), 'tok-1');
      assert.equal(tokenRequests(server.requests), 1);
    } finally {
      await server.close();
    }
  });

  test('when every caller aborts, the request still lands and its token is cached', async () => {
    const held = heldTokenServer();
    const server = await startScriptedServer(held.step);
    try {
      const tokens = manager(server.url);
      const controller = new AbortController();
      const waits = Array.from({ length: 5 }, () => tokens.getToken({ signal: controller.signal }));
      const release = await held.held();
      controller.abort();
      for (const wait of waits) {
        await assert.rejects(wait, (error: unknown) => (error as Error).name === 'AbortError');
      }
      release();
      // The next caller joins the same in-flight request rather than starting a second one.
      assert.equal(await tokens.getToken(), 'tok-1');
      assert.equal(tokenRequests(server.requests), 1);
    } finally {
      await server.close();
    }
  });

  test('a shared request that fails after its callers aborted is not an unhandled rejection', async () => {
    const held = heldTokenServer(errorStep(500, 'server_error', 1650));
    const server = await startScriptedServer(held.step);
    try {
      const tokens = manager(server.url);
      const controller = new AbortController();
      const wait = tokens.getToken({ signal: controller.signal });
      const release = await held.held();
      controller.abort();
      await assert.rejects(wait, { name: 'AbortError' });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        release();
        // Let the failure land with no caller left waiting on it.
        await new Promise((r) => setTimeout(r, 50));
        // The failure is not cached: a later call gets a fresh token. (On a very slow machine a
        // caller may still join the failing request; it then sees the failure and tries again.)
        let token: string | undefined;
        while (token === undefined) {
          token = await tokens.getToken().catch((error: unknown) => {
            assert.ok(error instanceof ServerErrorException);
            return undefined;
          });
        }
        assert.equal(token, 'tok-2');
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      assert.deepEqual(unhandled, []);
      assert.equal(tokenRequests(server.requests), 2);
    } finally {
      await server.close();
    }
  });

  test('an already-aborted signal rejects at once without a request, even with a cached token', async () => {
    const server = await startScriptedServer(countingTokenStep());
    try {
      const tokens = manager(server.url);
      const signal = AbortSignal.abort(new Error('already'));
      await assert.rejects(tokens.getToken({ signal }), { message: 'already' });
      assert.equal(tokenRequests(server.requests), 0);
      assert.equal(await tokens.getToken(), 'tok-1');
      await assert.rejects(tokens.getTokenResponse({ signal }), { message: 'already' });
      assert.equal(tokenRequests(server.requests), 1);
    } finally {
      await server.close();
    }
  });

  test('tokens.fetch passes init.signal to the token wait', async () => {
    const held = heldTokenServer();
    const server = await startScriptedServer(held.step);
    try {
      const tokens = manager(server.url);
      const controller = new AbortController();
      const call = tokens.fetch(`${server.url}/resource`, { signal: controller.signal });
      const release = await held.held();
      controller.abort(new Error('stop'));
      await assert.rejects(call, { message: 'stop' });
      release();
      assert.equal(await tokens.getToken(), 'tok-1');
      // The resource was never requested: the caller gave up while waiting for the token.
      assert.equal(server.requests.filter((r) => r.url === '/resource').length, 0);
    } finally {
      await server.close();
    }
  });
});

describe('TokenManager.fetch', () => {
  /** Token endpoint plus a resource that answers 401 for the listed tokens. */
  function resourceServer(rejected: Set<string>): Step {
    const tokenStep = countingTokenStep();
    return (req, res: ServerResponse) => {
      if (req.url === '/oauth/token') return tokenStep(req, res);
      const token = req.headers.authorization?.replace(/^Bearer /, '') ?? '';
      if (rejected.has(token)) return sendJson(res, 401, { error: { type: 'invalid_token', code: 1600 } });
      return sendJson(res, 200, { ok: true, token, method: req.method, body: req.body });
    };
  }

  test('attaches the Bearer token', async () => {
    const server = await startScriptedServer(resourceServer(new Set()));
    try {
      const tokens = manager(server.url);
      const response = await tokens.fetch(`${server.url}/applications/scopes`, {
        headers: { 'X-Extra': '1' },
      });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, token: 'tok-1', method: 'GET', body: '' });
      const resourceRequest = server.requests.at(-1)!;
      assert.equal(resourceRequest.headers.authorization, 'Bearer tok-1');
      assert.equal(resourceRequest.headers['x-extra'], '1');
    } finally {
      await server.close();
    }
  });

  test('on a 401 it invalidates, gets a fresh token and retries once (body replayed)', async () => {
    const server = await startScriptedServer(resourceServer(new Set(['tok-1'])));
    try {
      const tokens = manager(server.url);
      const response = await tokens.fetch(`${server.url}/thing`, { method: 'POST', body: 'payload' });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { ok: true, token: 'tok-2', method: 'POST', body: 'payload' });
      assert.equal(tokenRequests(server.requests), 2);
    } finally {
      await server.close();
    }
  });

  test('a second 401 is returned to the caller, not looped on', async () => {
    const server = await startScriptedServer(resourceServer(new Set(['tok-1', 'tok-2', 'tok-3'])));
    try {
      const tokens = manager(server.url);
      const response = await tokens.fetch(new Request(`${server.url}/thing`));
      assert.equal(response.status, 401);
      assert.equal(tokenRequests(server.requests), 2);
      assert.equal(server.requests.length, 4);
    } finally {
      await server.close();
    }
  });
});

describe('TokenManager.fetch: relative paths, timeout, retries, logging (issue 17)', () => {
  /** Token endpoint, plus `resource` for everything else. */
  function routes(resource: Step): Step {
    const token = countingTokenStep();
    return (req, res) => (req.url.endsWith('/oauth/token') ? token(req, res) : resource(req, res));
  }

  function logged(host: string, extra: { timeoutMs?: number; maxRetries?: number } = {}) {
    const lines: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
      lines.push({ level, message, ...(fields ? { fields } : {}) });
    };
    const configuration = new Configuration({
      username: 'app',
      password: 'secret',
      host: `${host}/prefix`,
      logger: { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') },
      maxRetryDelayMs: 50,
      ...extra,
    });
    return { tokens: new TokenManager({ configuration }), lines };
  }

  test("'/path' (and 'path') resolve against the configured host, path prefix included", async () => {
    const server = await startScriptedServer(
      routes((req, res) => sendJson(res, 200, { url: req.url, auth: req.headers.authorization })),
    );
    try {
      const { tokens } = logged(server.url);
      for (const input of [
        '/applications/scopes?x=1',
        'applications/scopes?x=1',
        new URL(`${server.url}/prefix/applications/scopes?x=1`),
      ]) {
        const response = await tokens.fetch(input);
        assert.deepEqual(await response.json(), {
          url: '/prefix/applications/scopes?x=1',
          auth: 'Bearer tok-1',
        });
      }
    } finally {
      await server.close();
    }
  });

  test('GET: a 503 and a reset connection are retried, each retry logged with its reason and delay', async () => {
    let n = 0;
    const server = await startScriptedServer(
      routes((_req, res) => {
        n++;
        if (n === 1) return errorStep(503, 'server_error', 1653)(_req, res);
        if (n === 2) return res.socket?.destroy();
        return sendJson(res, 200, { ok: true });
      }),
    );
    try {
      const { tokens, lines } = logged(server.url);
      const response = await tokens.fetch('/applications/scopes?key=query-secret');
      assert.equal(response.status, 200);
      // URLs are logged without their query, which may carry a credential.
      assert.ok(!JSON.stringify(lines).includes('query-secret'));
      const retries = lines.filter((l) => l.message === 'retry');
      assert.deepEqual(
        retries.map((l) => [l.level, String(l.fields?.reason).split(':')[0], typeof l.fields?.delayMs]),
        [
          ['warn', 'HTTP 503', 'number'],
          ['warn', 'ApiConnectionException', 'number'],
        ],
      );
    } finally {
      await server.close();
    }
  });

  test('POST: a 5xx is returned as is (never sent twice), a 429 is retried', async () => {
    const server = await startScriptedServer(
      routes((req, res) =>
        req.url === '/prefix/fail'
          ? errorStep(500, 'server_error', 1650)(req, res)
          : server.requests.filter((r) => r.url === '/prefix/limited').length === 1
            ? errorStep(429, 'rate_limit', 1629, { 'Retry-After': '0' })(req, res)
            : sendJson(res, 200, { body: req.body }),
      ),
    );
    try {
      const { tokens } = logged(server.url);
      const failed = await tokens.fetch('/fail', { method: 'POST', body: 'x' });
      assert.equal(failed.status, 500);
      assert.equal(server.requests.filter((r) => r.url === '/prefix/fail').length, 1);
      const limited = await tokens.fetch('/limited', { method: 'POST', body: 'once' });
      assert.equal(limited.status, 200);
      assert.deepEqual(await limited.json(), { body: 'once' });
      assert.equal(server.requests.filter((r) => r.url === '/prefix/limited').length, 2);
    } finally {
      await server.close();
    }
  });

  test('timeoutMs bounds the wait for the response headers: ApiTimeoutException', async () => {
    const server = await startScriptedServer(routes(() => {}));
    try {
      const { tokens } = logged(server.url, { timeoutMs: 100, maxRetries: 0 });
      const error = await tokens.fetch('/slow').catch((e: unknown) => e);
      assert.ok(error instanceof ApiTimeoutException, String(error));
    } finally {
      await server.close();
    }
  });

  test('the body of a streamed response can still be read after the timeout would have fired', async () => {
    const server = await startScriptedServer(
      routes((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('part 1 ');
        setTimeout(() => res.end('part 2'), 1200);
      }),
    );
    try {
      const { tokens } = logged(server.url, { timeoutMs: 1000 });
      const response = await tokens.fetch('/stream');
      assert.equal(await response.text(), 'part 1 part 2');
    } finally {
      await server.close();
    }
  });
});
