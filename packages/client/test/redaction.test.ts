import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  ApiClient,
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
  return {
    lines,
    logger: { debug: (message, fields) => lines.push(`${message} ${JSON.stringify(fields)}`) },
  };
}

async function failing(step: Step, logger?: Logger): Promise<unknown> {
  const server = await startScriptedServer(step);
  try {
    const configuration = new Configuration({ username: 'app', password: SECRET, host: server.url, logger });
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
      const configuration = new Configuration({ apiKey: API_KEY, host: server.url, logger });
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

  test('SMSCX_DEBUG=1 turns on the console logger; output is redacted', async () => {
    const server = await startScriptedServer(tokenStep({ access_token: TOKEN }));
    const original = console.error;
    const lines: string[] = [];
    const previous = process.env.SMSCX_DEBUG;
    process.env.SMSCX_DEBUG = '1';
    console.error = (...args: unknown[]) => lines.push(args.join(' '));
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'app', password: SECRET, host: server.url })),
      );
      await api.getAccessToken();
    } finally {
      console.error = original;
      if (previous === undefined) delete process.env.SMSCX_DEBUG;
      else process.env.SMSCX_DEBUG = previous;
      await server.close();
    }
    assert.ok(lines.some((l) => l.startsWith('smscx request')));
    forbidden(lines.join('\n'));
  });

  test('without a logger or SMSCX_DEBUG nothing is logged', async () => {
    const server = await startScriptedServer(tokenStep());
    const original = console.error;
    const previous = process.env.SMSCX_DEBUG;
    delete process.env.SMSCX_DEBUG;
    let calls = 0;
    console.error = () => {
      calls++;
    };
    try {
      const api = new OauthApi(
        new ApiClient(new Configuration({ username: 'app', password: SECRET, host: server.url })),
      );
      await api.getAccessToken();
    } finally {
      console.error = original;
      if (previous !== undefined) process.env.SMSCX_DEBUG = previous;
      await server.close();
    }
    assert.equal(calls, 0);
  });
});
