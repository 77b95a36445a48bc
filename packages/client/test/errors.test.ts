import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import {
  AccessDeniedException,
  ApiClient,
  ApiConnectionException,
  ApiException,
  ApiMethodNotAllowedException,
  ApiTimeoutException,
  Configuration,
  InvalidCredentialsException,
  InvalidRequestException,
  InvalidScopeException,
  OauthApi,
  RateLimitExceededException,
  ServerErrorException,
  UnsupportedGrantTypeException,
} from '../src/index.js';
import {
  errorStep,
  type ScriptedServer,
  type Step,
  startScriptedServer,
  tokenStep,
} from './scripted-server.js';

async function callOnce(step: Step, options: { timeoutMs?: number } = {}): Promise<unknown> {
  const server = await startScriptedServer(step);
  try {
    const configuration = new Configuration({
      username: 'app',
      password: 'secret',
      host: server.url,
      maxRetries: 0,
      timeoutMs: options.timeoutMs,
    });
    await new OauthApi(new ApiClient(configuration)).getAccessToken({ scope: 'sms' });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await server.close();
  }
}

const rows: Array<[number, string, number, new (...args: never[]) => ApiException, string]> = [
  [400, 'invalid_request', 1600, InvalidRequestException, 'InvalidRequestException'],
  [400, 'unsupported_grant_type', 1600, UnsupportedGrantTypeException, 'UnsupportedGrantTypeException'],
  [400, 'invalid_scope', 1600, InvalidScopeException, 'InvalidScopeException'],
  [400, 'something_new', 1600, InvalidRequestException, 'InvalidRequestException'],
  [401, 'invalid_client', 1600, InvalidCredentialsException, 'InvalidCredentialsException'],
  [401, 'invalid_token', 1601, InvalidCredentialsException, 'InvalidCredentialsException'],
  [401, 'invalid_api_key', 1602, InvalidCredentialsException, 'InvalidCredentialsException'],
  [403, 'access_denied', 1603, AccessDeniedException, 'AccessDeniedException'],
  [404, 'not_found', 1604, ApiException, 'ApiException'],
  [405, 'invalid_method', 1605, ApiMethodNotAllowedException, 'ApiMethodNotAllowedException'],
  [413, 'invalid_request', 1613, ApiException, 'ApiException'],
  [429, 'rate_limit', 1629, RateLimitExceededException, 'RateLimitExceededException'],
  [500, 'server_error', 1650, ServerErrorException, 'ServerErrorException'],
  [503, 'server_error', 1653, ServerErrorException, 'ServerErrorException'],
];

describe('every error row of the contract maps to its class', () => {
  for (const [status, type, code, Class, name] of rows) {
    test(`${status} ${type} → ${name}`, async () => {
      const err = await callOnce(
        errorStep(status, type, code, { 'X-Rate-Limit-Limit': '10', 'X-Rate-Limit-Remaining': '0' }),
      );
      assert.ok(err instanceof Class, `got ${String(err)}`);
      assert.ok(err instanceof ApiException);
      assert.equal(err.name, name);
      assert.equal(err.constructor.name, name);
      assert.equal(err.status, status);
      assert.deepEqual(err.error, {
        type,
        code,
        message: `message for ${type}`,
        uri: `https://docs.sms.cx/#${type}`,
      });
      assert.equal(err.requestId, `req-${status}`);
      assert.deepEqual(err.rateLimit, { limit: 10, remaining: 0, reset: undefined });
      assert.match(err.message, new RegExp(`HTTP ${status} ${type}: message for ${type}`));
      assert.match(err.body, /"error"/);
    });
  }

  test('UnsupportedGrantTypeException is an InvalidRequestException; ApiTimeoutException an ApiConnectionException', () => {
    assert.ok(new UnsupportedGrantTypeException('x') instanceof InvalidRequestException);
    assert.ok(new ApiTimeoutException('x') instanceof ApiConnectionException);
  });
});

describe('bodies that are not the envelope', () => {
  test('an HTML 502 from a proxy is a ServerErrorException with the raw text', async () => {
    const html = '<html><body><h1>502 Bad Gateway</h1></body></html>';
    const err = await callOnce((_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end(html);
    });
    assert.ok(err instanceof ServerErrorException);
    assert.equal(err.status, 502);
    assert.equal(err.body, html);
    assert.equal(err.error, undefined);
    assert.equal(err.message, 'HTTP 502');
  });

  test('an empty 401 is an InvalidCredentialsException', async () => {
    const err = await callOnce((_req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="sms.cx"' });
      res.end();
    });
    assert.ok(err instanceof InvalidCredentialsException);
    assert.equal(err.body, '');
    assert.equal(err.headers.get('www-authenticate'), 'Basic realm="sms.cx"');
  });

  test('JSON that is not the envelope keeps the class and the body', async () => {
    const err = await callOnce((_req, res) => {
      res.writeHead(400, { 'Content-Type': 'application/json' });
      res.end('{"error":"invalid_scope"}');
    });
    assert.ok(err instanceof InvalidRequestException);
    assert.equal(err.error, undefined);
    assert.equal(err.body, '{"error":"invalid_scope"}');
  });

  test('429 exposes resetAt and retryAfterMs', async () => {
    const err = await callOnce(
      errorStep(429, 'rate_limit', 1629, {
        'X-Rate-Limit-Reset': '2000000030',
        'Retry-After': '30',
        Date: new Date(2_000_000_000_000).toUTCString(),
      }),
    );
    assert.ok(err instanceof RateLimitExceededException);
    assert.equal(err.resetAt?.getTime(), 2_000_000_030_000);
    assert.equal(err.retryAfterMs, 30_000);
    assert.equal(err.rateLimit.reset, 2000000030);
  });
});

describe('malformed 200 responses are ApiExceptions, not undefined', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', 'hello', /not JSON/],
    ['an array', '[]', /not an object/],
    ['no access_token', '{"token_type":"Bearer","expires_in":1,"scope":""}', /access_token/],
    [
      'token_type mac',
      '{"access_token":"t0ps3cr3t","token_type":"mac","expires_in":1,"scope":""}',
      /token_type/,
    ],
    [
      'negative expires_in',
      '{"access_token":"t","token_type":"Bearer","expires_in":-1,"scope":""}',
      /expires_in/,
    ],
    [
      'fractional expires_in',
      '{"access_token":"t","token_type":"Bearer","expires_in":1.5,"scope":""}',
      /expires_in/,
    ],
    [
      'string expires_in',
      '{"access_token":"t","token_type":"Bearer","expires_in":"60","scope":""}',
      /expires_in/,
    ],
    ['missing scope', '{"access_token":"t","token_type":"Bearer","expires_in":60}', /scope/],
  ];
  for (const [label, body, pattern] of cases) {
    test(label, async () => {
      const err = await callOnce((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(body);
      });
      assert.ok(err instanceof ApiException, String(err));
      assert.equal(err.name, 'ApiException');
      assert.equal(err.status, 200);
      assert.match(err.message, pattern);
      assert.doesNotMatch(err.body, /t0ps3cr3t/);
    });
  }

  test('token_type is compared case-insensitively', async () => {
    const server = await startScriptedServer(tokenStep({ token_type: 'bearer', expires_in: 0 }));
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url })),
      );
      const res = await api.getAccessToken();
      assert.equal(res.token_type, 'bearer');
      assert.equal(res.expires_in, 0);
    } finally {
      await server.close();
    }
  });
});

describe('no response', () => {
  test('a reset connection is an ApiConnectionException with a cause', async () => {
    const err = await callOnce((_req, res) => {
      res.socket?.destroy();
    });
    assert.ok(err instanceof ApiConnectionException);
    assert.ok(!(err instanceof ApiTimeoutException));
    assert.equal(err.name, 'ApiConnectionException');
    assert.equal(err.status, undefined);
    assert.ok(err.cause instanceof Error);
  });

  test('a refused connection is an ApiConnectionException', async () => {
    const server = await startScriptedServer(tokenStep());
    const host = server.url;
    await server.close();
    const api = new OauthApi(
      new ApiClient(new Configuration({ username: 'a', password: 'b', host, maxRetries: 0 })),
    );
    await assert.rejects(api.getAccessToken(), ApiConnectionException);
  });

  test('a slow server is an ApiTimeoutException', async () => {
    const err = await callOnce(() => {}, { timeoutMs: 50 });
    assert.ok(err instanceof ApiTimeoutException, String(err));
    assert.equal(err.name, 'ApiTimeoutException');
    assert.match(err.message, /timed out after 50 ms/);
  });

  test('a body that stalls after the headers also times out', async () => {
    const err = await callOnce(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"access_token":');
      },
      { timeoutMs: 50 },
    );
    assert.ok(err instanceof ApiTimeoutException, String(err));
  });

  // With no timeout the caller's signal goes to fetch as is; with one, it is linked to ours.
  for (const timeoutMs of [30_000, 0]) {
    const name = `a caller abort rejects with the abort reason and is not wrapped (timeoutMs ${timeoutMs})`;
    // A lost link to the caller's signal would hang until the server closes: fail fast instead.
    test(name, { timeout: 5000 }, async () => {
      let server: ScriptedServer | undefined;
      try {
        server = await startScriptedServer(() => {});
        const api = new OauthApi(
          new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url, timeoutMs })),
        );
        const controller = new AbortController();
        const reason = new Error('stop');
        const pending = api.getAccessToken({ signal: controller.signal });
        setTimeout(() => controller.abort(reason), 20);
        await assert.rejects(pending, (e) => e === reason);
      } finally {
        await server?.close();
      }
    });
  }

  test("an answered request lets go of the caller's signal", async () => {
    const server = await startScriptedServer(tokenStep());
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url, maxRetries: 0 })),
      );
      const controller = new AbortController();
      await api.getAccessToken({ signal: controller.signal });
      // With a timeout, fetch is given our signal, so ours was the only listener on the caller's.
      assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    } finally {
      await server.close();
    }
  });

  test('timeoutMs 0 means no timeout: a slow answer still arrives', async () => {
    const server = await startScriptedServer((_req, res) => {
      setTimeout(() => tokenStep()(_req, res), 100);
    });
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url, timeoutMs: 0 })),
      );
      const token = await api.getAccessToken();
      assert.equal(token.token_type, 'Bearer');
    } finally {
      await server.close();
    }
  });
});

describe('ApiException.fromResponse', () => {
  test('maps a synthetic response without any server', () => {
    const err = ApiException.fromResponse(
      400,
      new Headers({ 'x-request-id': 'abc' }),
      '{"error":{"type":"invalid_scope","code":1600,"message":"bad"}}',
    );
    assert.ok(err instanceof InvalidScopeException);
    assert.equal(err.requestId, 'abc');
    assert.equal(err.error?.uri, undefined);
    assert.equal(err.message, 'HTTP 400 invalid_scope: bad');
  });
});
