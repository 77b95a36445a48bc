import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  ApiClient,
  ApiException,
  ApplicationsApi,
  Configuration,
  InvalidCredentialsException,
  type Logger,
  OauthApi,
  TokenManager,
} from '../src/index.js';
import { base64Utf8 } from '../src/internal/basic-auth.js';
import { redactHeaders } from '../src/internal/redact.js';
import {
  errorStep,
  recordingInternals,
  type Step,
  sendJson,
  startScriptedServer,
  tokenStep,
} from './scripted-server.js';

const SECRET = 'Sup3r:S3cret%value-ü';
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.payload-that-is-secret.signature';
const BASIC = base64Utf8(`app:${encodeURIComponent(SECRET)}`);
const API_KEY = 'ak_0123456789ab.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';

function forbidden(text: string): void {
  for (const needle of [SECRET, encodeURIComponent(SECRET), BASIC, TOKEN, 'payload-that-is-secret']) {
    assert.ok(!text.includes(needle), `leaked ${needle} in: ${text.slice(0, 500)}`);
  }
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const write = (message: string, fields?: Record<string, unknown>) => {
    lines.push(`${message} ${JSON.stringify(fields)}`);
  };
  return { lines, logger: { error: write, warn: write, info: write, debug: write } };
}

async function failing(step: Step, logger?: Logger): Promise<unknown> {
  const server = await startScriptedServer(step);
  try {
    const configuration = new Configuration({
      username: 'app',
      password: SECRET,
      host: server.url,
      logger,
      logLevel: 'debug',
    });
    const api = new OauthApi(new ApiClient(configuration, recordingInternals().internals));
    return await api.getAccessToken().catch((e: unknown) => e);
  } finally {
    await server.close();
  }
}

describe('secrets never leak', () => {
  const steps: Array<[string, Step]> = [
    ['401', errorStep(401, 'invalid_client', 1600)],
    ['429', errorStep(429, 'rate_limit', 1629, { 'Retry-After': '1' })],
    [
      'HTML 502',
      (_req, res) => res.writeHead(502, { 'Content-Type': 'text/html' }).end('<h1>bad gateway</h1>'),
    ],
    ['reset', (_req, res) => res.socket?.destroy()],
    [
      'malformed 200 with a token',
      (_req, res) =>
        res
          .writeHead(200)
          .end(JSON.stringify({ access_token: TOKEN, token_type: 'mac', expires_in: 1, scope: '' })),
    ],
  ];
  for (const [label, step] of steps) {
    test(`${label}: message, toString, util.inspect and the debug log`, async () => {
      const { logger, lines } = capture();
      const err = await failing(step, logger);
      assert.ok(err instanceof Error);
      forbidden(err.message);
      forbidden(String(err));
      forbidden(inspect(err, { depth: 10, showHidden: true }));
      forbidden(JSON.stringify(err));
      assert.ok(lines.length > 0);
      forbidden(lines.join('\n'));
    });
  }

  test('successful flows log requests, responses and refreshes without credentials or tokens', async () => {
    const server = await startScriptedServer([
      errorStep(503, 'server_error', 1653),
      tokenStep({ access_token: TOKEN }),
    ]);
    try {
      const { logger, lines } = capture();
      const configuration = new Configuration({
        username: 'app',
        password: SECRET,
        host: server.url,
        logger,
        logLevel: 'debug',
      });
      const tokens = new TokenManager({
        apiClient: new ApiClient(configuration, recordingInternals().internals),
      });
      assert.equal(await tokens.getToken(), TOKEN);
      // A careless call site passing the token is redacted too.
      tokens.apiClient.logger.debug(`token is ${TOKEN}`, { nested: { token: TOKEN, secret: SECRET } });
      const text = lines.join('\n');
      forbidden(text);
      assert.match(text, /^request .*"authorization":"Basic \[REDACTED\]"/m);
      assert.match(text, /^retry .*"delayMs"/m);
      assert.match(text, /^response .*"requestId":"req-ok"/m);
      assert.match(text, /^token refreshed/m);
      assert.match(text, /token is \[REDACTED\]/);
      // The real server saw the real credentials.
      assert.equal(server.requests[0]!.headers.authorization, `Basic ${BASIC}`);
    } finally {
      await server.close();
    }
  });

  test('the API key: never in the debug log, an error, inspect or JSON', async () => {
    const server = await startScriptedServer([
      (_req, res) => sendJson(res, 200, ['sms']),
      errorStep(401, 'invalid_api_key', 1602),
    ]);
    try {
      const { logger, lines } = capture();
      const configuration = new Configuration({
        apiKey: API_KEY,
        host: server.url,
        logger,
        logLevel: 'debug',
      });
      const apiClient = new ApiClient(configuration);
      const api = new ApplicationsApi(apiClient);
      assert.deepEqual(await api.getScopes(), ['sms']);
      const err = await api.getApplicationsList().catch((e: unknown) => e);
      assert.ok(err instanceof InvalidCredentialsException);
      // A careless call site passing the key is redacted too.
      apiClient.logger.debug(`key is ${API_KEY}`, { headers: { 'x-api-key': API_KEY } });
      const texts = [
        lines.join('\n'),
        err.message,
        String(err),
        inspect(err, { depth: 10, showHidden: true }),
        JSON.stringify(err),
        inspect(configuration, { depth: 10, showHidden: true }),
        JSON.stringify(configuration),
        inspect(apiClient, { depth: 10 }),
      ];
      for (const text of texts)
        assert.ok(!text.includes(API_KEY), `leaked the API key in: ${text.slice(0, 500)}`);
      assert.match(lines.join('\n'), /key is \[REDACTED\]/);
      assert.equal(JSON.parse(JSON.stringify(configuration)).apiKey, '[REDACTED]');
      assert.equal(server.requests[0]!.headers['x-api-key'], API_KEY);
      assert.deepEqual(redactHeaders({ 'X-API-KEY': API_KEY }), { 'x-api-key': '[REDACTED]' });
    } finally {
      await server.close();
    }
  });

  test('Configuration hides the secret from inspect and JSON', () => {
    const configuration = new Configuration({ username: 'app', password: SECRET });
    forbidden(inspect(configuration, { depth: 10, showHidden: true }));
    forbidden(JSON.stringify(configuration));
    forbidden(inspect(new ApiClient(configuration), { depth: 10 }));
    assert.equal(configuration.password, SECRET);
  });

  test('SMSCX_DEBUG=1 turns on the console logger at debug level; output is redacted', async () => {
    const server = await startScriptedServer(tokenStep({ access_token: TOKEN }));
    const original = console.warn;
    const lines: string[] = [];
    const previous = process.env.SMSCX_DEBUG;
    process.env.SMSCX_DEBUG = '1';
    console.warn = (...args: unknown[]) => lines.push(args.join(' '));
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'app', password: SECRET, host: server.url })),
      );
      await api.getAccessToken();
    } finally {
      console.warn = original;
      if (previous === undefined) delete process.env.SMSCX_DEBUG;
      else process.env.SMSCX_DEBUG = previous;
      await server.close();
    }
    assert.ok(lines.some((l) => l.startsWith('smscx request')));
    forbidden(lines.join('\n'));
  });

  test('without a logger or SMSCX_DEBUG a successful call logs nothing', async () => {
    const server = await startScriptedServer(tokenStep());
    const original = { error: console.error, warn: console.warn };
    const previous = process.env.SMSCX_DEBUG;
    delete process.env.SMSCX_DEBUG;
    let calls = 0;
    console.error = () => {
      calls++;
    };
    console.warn = () => {
      calls++;
    };
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'app', password: SECRET, host: server.url })),
      );
      await api.getAccessToken();
    } finally {
      console.error = original.error;
      console.warn = original.warn;
      if (previous !== undefined) process.env.SMSCX_DEBUG = previous;
      await server.close();
    }
    assert.equal(calls, 0);
  });
});

describe('a proxy that echoes the request (issue 17)', () => {
  /** Answers like a debugging proxy: the request's headers in the body and in a header. */
  const echo =
    (status: number): Step =>
    (req, res) => {
      res.writeHead(status, {
        'Content-Type': 'application/json',
        'X-Echo-Authorization': String(req.headers.authorization ?? ''),
        'X-Echo-Api-Key': String(req.headers['x-api-key'] ?? ''),
        'X-Request-Id': 'req-echo',
      });
      res.end(
        JSON.stringify({
          error: { type: 'bad_gateway', message: `upstream failed for ${req.headers.authorization}` },
          request: { headers: req.headers },
        }),
      );
    };

  const texts = (err: { body: string; headers: Headers; message: string }) => [
    err.body,
    err.message,
    JSON.stringify([...err.headers]),
    inspect(err, { depth: 10, showHidden: true }),
  ];

  test('err.body, err.headers and the message never hold the Basic value or the secret', async () => {
    const err = await failing(echo(502));
    assert.ok(err instanceof ApiException);
    assert.equal(err.status, 502);
    assert.equal(err.requestId, 'req-echo');
    for (const text of texts(err)) forbidden(text);
    assert.match(err.body, /"authorization":"Basic \[REDACTED\]"/);
    assert.equal(err.headers.get('x-echo-authorization'), 'Basic [REDACTED]');
    assert.equal(err.error?.message, 'upstream failed for Basic [REDACTED]');
  });

  test('a 200 that is not a token response but echoes the request', async () => {
    const err = await failing((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Echo': String(req.headers.authorization) });
      res.end(JSON.stringify({ echoed: req.headers.authorization }));
    });
    assert.ok(err instanceof ApiException);
    assert.match(err.message, /^Invalid token response/);
    for (const text of texts(err)) forbidden(text);
  });

  test('ApplicationsApi: neither the API key nor the Bearer token', async () => {
    const server = await startScriptedServer((req, res) =>
      req.url === '/oauth/token' ? tokenStep({ access_token: TOKEN })(req, res) : echo(502)(req, res),
    );
    try {
      for (const parameters of [
        { apiKey: API_KEY, host: server.url, maxRetries: 0 },
        { username: 'app', password: SECRET, host: server.url, maxRetries: 0 },
      ]) {
        const err = await new ApplicationsApi(new ApiClient(new Configuration(parameters)))
          .getScopes()
          .catch((e: unknown) => e);
        assert.ok(err instanceof ApiException, String(err));
        for (const text of texts(err)) {
          forbidden(text);
          assert.ok(!text.includes(API_KEY), text);
        }
      }
      assert.ok(server.requests.some((r) => r.headers.authorization === `Bearer ${TOKEN}`));
      assert.ok(server.requests.some((r) => r.headers['x-api-key'] === API_KEY));
    } finally {
      await server.close();
    }
  });
});
