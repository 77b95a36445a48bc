/**
 * End to end against the REAL token server (smscx-oauth-server), started in this process on
 * port 0 with a temp SQLite file through the server package's public exports. Nothing here is
 * scripted: every answer comes from the server's own code.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect, promisify } from 'node:util';
import { DEFAULT_SCOPES } from 'smscx-oauth-server';
import {
  AccessDeniedException,
  ApiClient,
  ApplicationsApi,
  Configuration,
  type FetchLike,
  InvalidCredentialsException,
  InvalidScopeException,
  OauthApi,
  RateLimitExceededException,
  TokenManager,
  UnsupportedGrantTypeException,
} from '../src/index.js';
import { CLIENT_DIR, ensureBuilt, REPO_DIR } from './build-helper.js';
import { type Credentials, startTokenServer, type TokenServer } from './real-server.js';

const execFileAsync = promisify(execFile);

/** A fetch that counts the requests it sends (and sends them for real). */
function countingFetch(): { fetch: FetchLike; count: () => number } {
  let n = 0;
  return {
    fetch: (input, init) => {
      n++;
      return fetch(input, init);
    },
    count: () => n,
  };
}

function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  assert.ok(part, 'a compact JWT');
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('against the real token server', () => {
  let server: TokenServer;
  before(async () => {
    server = await startTokenServer();
  });
  after(() => server?.close());

  const oauth = (credentials: Credentials, extra: { maxRetries?: number } = {}) =>
    new OauthApi(
      new ApiClient(
        new Configuration({
          username: credentials.id,
          password: credentials.secret,
          host: server.url,
          ...extra,
        }),
      ),
    );

  test('getAccessToken returns the documented fields for the requested scope', async () => {
    const res = await oauth(server.active).getAccessToken({ scope: 'sms groups' });
    assert.deepEqual(Object.keys(res).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(res.token_type, 'Bearer');
    assert.equal(res.expires_in, 86400);
    assert.deepEqual(res.scope.split(' ').sort(), ['groups', 'sms']);
    const claims = jwtPayload(res.access_token);
    assert.equal(claims.client_id, server.active.id);
    assert.equal(claims.scope, res.scope);
  });

  test('an application whose tokens never expire gets expires_in 0, which TokenManager keeps', async () => {
    const counter = countingFetch();
    const configuration = new Configuration({
      username: server.forever.id,
      password: server.forever.secret,
      host: server.url,
      fetch: counter.fetch,
    });
    let now = Date.now();
    const tokens = new TokenManager({ configuration, now: () => now });
    const first = await tokens.getTokenResponse();
    assert.equal(first.expires_in, 0);
    assert.equal(jwtPayload(first.access_token).exp, undefined);
    now += 10 * 365 * 86_400_000;
    assert.equal(await tokens.getToken(), first.access_token);
    assert.equal(counter.count(), 1);
  });

  test('a wrong secret is InvalidCredentialsException, never retried, secret not in the output', async () => {
    const counter = countingFetch();
    const wrong = 'not-the-secret-XYZ';
    const api = new OauthApi(
      new ApiClient(
        new Configuration({
          username: server.active.id,
          password: wrong,
          host: server.url,
          fetch: counter.fetch,
        }),
      ),
    );
    const error = await api.getAccessToken({ scope: 'sms' }).catch((e: unknown) => e);
    assert.ok(error instanceof InvalidCredentialsException);
    assert.equal(error.status, 401);
    assert.equal(error.error?.type, 'invalid_client');
    assert.equal(error.error?.code, 1600);
    assert.match(error.requestId ?? '', /\S/);
    assert.match(error.headers?.get('www-authenticate') ?? '', /^Basic realm=/);
    assert.equal(counter.count(), 1);
    for (const text of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
      assert.ok(!text.includes(wrong));
      assert.ok(!text.includes(server.active.secret));
    }
  });

  test('an unknown scope is InvalidScopeException', async () => {
    const error = await oauth(server.active)
      .getAccessToken({ scope: 'sms no-such-scope' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof InvalidScopeException);
    assert.equal(error.status, 400);
    assert.equal(error.error?.type, 'invalid_scope');
  });

  test('another grant type is UnsupportedGrantTypeException', async () => {
    const error = await oauth(server.active)
      .getAccessToken({ grantType: 'password' })
      .catch((e: unknown) => e);
    assert.ok(error instanceof UnsupportedGrantTypeException);
    assert.equal(error.error?.type, 'unsupported_grant_type');
  });

  test('a disabled application is AccessDeniedException', async () => {
    const error = await oauth(server.disabled)
      .getAccessToken()
      .catch((e: unknown) => e);
    assert.ok(error instanceof AccessDeniedException);
    assert.equal(error.status, 403);
    assert.equal(error.error?.type, 'access_denied');
    assert.match(error.requestId ?? '', /\S/);
  });

  test('TokenManager: one request for 200 parallel cold calls, cached after, fresh after invalidate()', async () => {
    const counter = countingFetch();
    const configuration = new Configuration({
      username: server.active.id,
      password: server.active.secret,
      host: server.url,
      fetch: counter.fetch,
    });
    const tokens = new TokenManager({ configuration, scope: 'sms', refreshSkewSeconds: 60 });
    const all = await Promise.all(Array.from({ length: 200 }, () => tokens.getToken()));
    assert.equal(new Set(all).size, 1);
    assert.equal(counter.count(), 1);
    assert.equal(await tokens.getToken(), all[0]);
    assert.equal(counter.count(), 1);
    assert.equal((await tokens.getTokenResponse()).scope, 'sms');
    tokens.invalidate();
    const fresh = await tokens.getToken();
    assert.notEqual(fresh, all[0]);
    assert.equal(jwtPayload(fresh).client_id, server.active.id);
    assert.equal(counter.count(), 2);
  });

  test('ApplicationsApi.getScopes returns the catalogue, authenticated by TokenManager', async () => {
    const apiClient = new ApiClient(
      new Configuration({ username: server.active.id, password: server.active.secret, host: server.url }),
    );
    const scopes = await new ApplicationsApi(
      apiClient,
      new TokenManager({ apiClient, scope: 'sms' }),
    ).getScopes();
    assert.deepEqual(scopes, [...DEFAULT_SCOPES]);
  });

  test('tokens.fetch recovers from a revoked token: 401, one refresh, one retry', async () => {
    const counter = countingFetch();
    const configuration = new Configuration({
      username: server.active.id,
      password: server.active.secret,
      host: server.url,
      fetch: counter.fetch,
    });
    const tokens = new TokenManager({ configuration });
    const first = await tokens.getToken();
    const revoke = await fetch(`${server.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        Authorization: `Basic ${Buffer.from(`${server.active.id}:${server.active.secret}`).toString('base64')}`,
        'Content-Type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: first }),
    });
    assert.equal(revoke.status, 200);
    const response = await tokens.fetch(`${server.url}/applications/scopes`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), [...DEFAULT_SCOPES]);
    assert.notEqual(await tokens.getToken(), first);
    // token, resource (401), token again, resource (200)
    assert.equal(counter.count(), 1 + 1 + 1 + 1);
  });

  test('withResponse(): the X-Request-Id and rate-limit headers of a successful token request', async () => {
    const { data, response } = await oauth(server.active).getAccessToken({ scope: 'sms' }).withResponse();
    assert.equal(data.scope, 'sms');
    assert.equal(response.status, 200);
    assert.match(response.requestId ?? '', /\S/);
    assert.equal(response.rateLimit.limit, 600);
    assert.ok(typeof response.rateLimit.remaining === 'number' && response.rateLimit.remaining < 600);
    // This server sends X-Rate-Limit-Reset with a 429 only.
    assert.ok(response.rateLimit.reset === undefined || response.rateLimit.reset > Date.now() / 1000);
  });

  test("tokens.fetch('/applications/scopes') resolves against the host", async () => {
    const tokens = new TokenManager({
      configuration: new Configuration({
        username: server.active.id,
        password: server.active.secret,
        host: server.url,
      }),
    });
    const response = await tokens.fetch('/applications/scopes');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), [...DEFAULT_SCOPES]);
  });

  test("the README's Quick start runs as written (host and credentials filled in)", async () => {
    const out = (await runReadmeExample(
      'Quick start',
      [
        [
          "{ username: 'APP_ID', password: 'APP_SECRET' }",
          `{ username: '${server.active.id}', password: '${server.active.secret}', host: '${server.url}' }`,
        ],
      ],
      '{ res, accessToken, status: response.status }',
    )) as { res: Record<string, unknown>; accessToken: string; status: number };
    assert.deepEqual(Object.keys(out.res).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(out.res.token_type, 'Bearer');
    assert.equal(out.res.expires_in, 86400);
    assert.deepEqual(String(out.res.scope).split(' ').sort(), ['groups', 'sms']);
    assert.equal(jwtPayload(out.accessToken).client_id, server.active.id);
    // tokens.fetch attached a Bearer token the server's protected /applications/scopes accepted.
    assert.equal(out.status, 200);
  });
});

/**
 * Runs the first ts block under the README heading `## <section>` as a consumer would (through
 * this package's built dist), after replacing each `[from, to]` exactly once, and returns the
 * JSON of `result`, an expression over the example's variables, printed on its last line.
 */
async function runReadmeExample(
  section: string,
  replacements: Array<[string, string]>,
  result: string,
): Promise<unknown> {
  const readme = readFileSync(join(CLIENT_DIR, 'README.md'), 'utf8');
  const block = new RegExp(`## ${section}\n[\\s\\S]*?\`\`\`ts\n([\\s\\S]*?)\`\`\``).exec(readme)?.[1];
  assert.ok(block, `README has a ${section} ts block`);
  let code = block;
  for (const [from, to] of replacements) {
    assert.equal(code.split(from).length, 2, `README example contains ${from} exactly once`);
    code = code.replace(from, to);
  }
  code += `\nconsole.log(JSON.stringify(${result}));\n`;

  // A consumer folder where 'smscx-client' is this package (its built dist, via exports).
  const dir = mkdtempSync(join(tmpdir(), 'smscx-client-readme-'));
  try {
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(CLIENT_DIR, join(dir, 'node_modules', 'smscx-client'), 'dir');
    writeFileSync(join(dir, 'example.mts'), code);
    await ensureBuilt();
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join(dir, 'example.mts')], {
      cwd: REPO_DIR,
    });
    return JSON.parse(stdout.trimEnd().split('\n').at(-1) ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the token server's admin CLI (`smscx-oauth-server`, its built dist) on `server`'s database. */
async function serverCli(server: TokenServer, args: string[]): Promise<unknown> {
  const bin = join(REPO_DIR, 'packages', 'server', 'bin', 'smscx-oauth-server.js');
  const { stdout } = await execFileAsync(process.execPath, [bin, ...args, '--db', server.db, '--json'], {
    env: { PATH: process.env.PATH ?? '' },
  });
  return JSON.parse(stdout);
}

describe('API key (X-API-KEY) against the real token server', () => {
  let server: TokenServer;
  let apiKey: string;
  let keyId: string;
  let newest: Credentials;
  before(async () => {
    server = await startTokenServer();
    const created = (await serverCli(server, ['api-keys', 'create', '--name', 'sdk-e2e'])) as Record<
      string,
      unknown
    >;
    assert.equal(created.name, 'sdk-e2e');
    assert.match(String(created.api_key), /^ak_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
    apiKey = String(created.api_key);
    keyId = String(created.id);
    // Created after the three applications of startTokenServer: the newest one.
    const app = (await serverCli(server, [
      'apps',
      'create',
      '--name',
      'e2e-newest',
      '--scopes',
      'sms groups',
    ])) as {
      application_id: string;
      application_secret: string;
    };
    newest = { id: app.application_id, secret: app.application_secret };
  });
  after(() => server?.close());

  /** An ApplicationsApi on an API-key-only configuration, and the requests it sent. */
  const keyed = (key: string) => {
    const sent: Array<{ path: string; headers: Headers }> = [];
    const configuration = new Configuration({
      apiKey: key,
      host: server.url,
      fetch: (input, init) => {
        sent.push({ path: new URL(String(input)).pathname, headers: new Headers(init?.headers) });
        return fetch(input, init);
      },
    });
    return { api: new ApplicationsApi(new ApiClient(configuration)), sent };
  };

  test('getScopes: the catalogue as an array of names, with the key only (no token request)', async () => {
    const { api, sent } = keyed(apiKey);
    assert.deepEqual(await api.getScopes(), [...DEFAULT_SCOPES]);
    assert.deepEqual(
      sent.map((r) => r.path),
      ['/applications/scopes'],
    );
    assert.equal(sent[0]!.headers.get('x-api-key'), apiKey);
    assert.equal(sent[0]!.headers.get('authorization'), null);
  });

  test('getApplicationsList: every application, newest first, secrets masked', async () => {
    const { api, sent } = keyed(apiKey);
    const { data } = await api.getApplicationsList();
    assert.deepEqual(
      sent.map((r) => r.path),
      ['/applications'],
    );
    assert.equal(data[0]?.application_name, 'e2e-newest');
    assert.equal(data[0]?.application_id, newest.id);
    assert.equal(data[0]?.scopes, 'sms groups');
    assert.deepEqual(data.map((a) => a.application_name).sort(), [
      'e2e-active',
      'e2e-disabled',
      'e2e-forever',
      'e2e-newest',
    ]);
    const created = data.map((a) => Date.parse(a.created_at));
    assert.ok(
      created.every((t, i) => Number.isFinite(t) && (i === 0 || t <= created[i - 1]!)),
      String(created),
    );
    const byName = new Map(data.map((a) => [a.application_name, a]));
    assert.equal(byName.get('e2e-active')?.application_id, server.active.id);
    assert.equal(byName.get('e2e-active')?.token_expiration, '1d');
    assert.equal(byName.get('e2e-forever')?.token_expiration, 'never');
    assert.equal(byName.get('e2e-active')?.scopes, DEFAULT_SCOPES.join(' '));
    assert.equal(new Set(data.map((a) => a.id)).size, data.length);
    const secrets = [server.active, server.disabled, server.forever, newest].map((c) => c.secret);
    for (const application of data) {
      assert.ok(Number.isSafeInteger(application.id));
      assert.match(application.application_id, /^[0-9a-f]{40}$/);
      assert.match(application.application_secret, /\*/, 'a masked hint');
      for (const secret of secrets) assert.ok(!JSON.stringify(application).includes(secret));
    }
  });

  test('Application ID + Secret and an API key: the key goes to /applications only, never to /oauth/token', async () => {
    const sent: Array<{ path: string; headers: Headers }> = [];
    const configuration = new Configuration({
      username: server.active.id,
      password: server.active.secret,
      apiKey,
      host: server.url,
      fetch: (input, init) => {
        sent.push({ path: new URL(String(input)).pathname, headers: new Headers(init?.headers) });
        return fetch(input, init);
      },
    });
    const apiClient = new ApiClient(configuration);
    const tokens = new TokenManager({ apiClient });
    assert.equal(jwtPayload(await tokens.getToken()).client_id, server.active.id);
    const { data } = await new ApplicationsApi(apiClient, tokens).getApplicationsList();
    assert.equal(data.length, 4);
    assert.deepEqual(
      sent.map((r) => [
        r.path,
        r.headers.get('x-api-key'),
        r.headers.get('authorization')?.split(' ')[0] ?? null,
      ]),
      [
        ['/oauth/token', null, 'Basic'],
        ['/applications', apiKey, null],
      ],
    );
  });

  test('a wrong key is InvalidCredentialsException invalid_api_key (1602), the key nowhere in it', async () => {
    const wrong = `${apiKey.slice(0, -1)}${apiKey.endsWith('A') ? 'B' : 'A'}`;
    for (const [key, call] of [
      [wrong, (api: ApplicationsApi) => api.getApplicationsList()],
      ['ak_000000000000.not-a-key', (api: ApplicationsApi) => api.getScopes()],
    ] as const) {
      const { api, sent } = keyed(key);
      const error = await call(api).catch((e: unknown) => e);
      assert.ok(error instanceof InvalidCredentialsException, String(error));
      assert.equal(error.status, 401);
      assert.deepEqual(error.error, {
        type: 'invalid_api_key',
        code: 1602,
        message: 'Missing or invalid API key',
        uri: 'https://docs.sms.cx/#invalid_api_key',
      });
      assert.match(error.requestId ?? '', /\S/);
      assert.equal(sent.length, 1, 'no token request, no retry');
      for (const text of [error.message, String(error), inspect(error), JSON.stringify(error)]) {
        assert.ok(!text.includes(key));
        assert.ok(!text.includes(apiKey));
      }
    }
  });

  test('without an API key getApplicationsList sends a Bearer token, which this server refuses (401 invalid_api_key)', async () => {
    const sent: string[] = [];
    const configuration = new Configuration({
      username: server.active.id,
      password: server.active.secret,
      host: server.url,
      fetch: (input, init) => {
        const authorization = new Headers(init?.headers).get('authorization')?.split(' ')[0];
        sent.push(`${new URL(String(input)).pathname} ${authorization}`);
        return fetch(input, init);
      },
    });
    const error = await new ApplicationsApi(new ApiClient(configuration))
      .getApplicationsList()
      .catch((e: unknown) => e);
    assert.ok(error instanceof InvalidCredentialsException, String(error));
    assert.equal(error.error?.type, 'invalid_api_key');
    // TokenManager.fetch's one refresh-and-retry on 401.
    assert.deepEqual(sent, [
      '/oauth/token Basic',
      '/applications Bearer',
      '/oauth/token Basic',
      '/applications Bearer',
    ]);
  });

  test("the README's ApplicationsApi example runs as written (API key and host filled in)", async () => {
    const out = (await runReadmeExample(
      'ApplicationsApi',
      [["{ apiKey: 'YOUR_API_KEY' }", `{ apiKey: '${apiKey}', host: '${server.url}' }`]],
      '{ scopes, data }',
    )) as { scopes: string[]; data: Array<{ application_name: string }> };
    assert.deepEqual(out.scopes, [...DEFAULT_SCOPES]);
    assert.equal(out.data[0]?.application_name, 'e2e-newest');
    assert.equal(out.data.length, 4);
  });

  test('a revoked key is refused as soon as the revocation returns', async () => {
    const { api } = keyed(apiKey);
    await api.getScopes();
    await serverCli(server, ['api-keys', 'revoke', keyId]);
    const error = await api.getApplicationsList().catch((e: unknown) => e);
    assert.ok(error instanceof InvalidCredentialsException, String(error));
    assert.equal(error.error?.type, 'invalid_api_key');
  });
});

describe('the smscx CLI against the real token server', () => {
  let server: TokenServer;
  before(async () => {
    await ensureBuilt();
    server = await startTokenServer();
  });
  after(() => server?.close());

  const BIN = join(CLIENT_DIR, 'bin', 'smscx.js');
  const cli = (args: string[], env: Record<string, string>) =>
    execFileAsync(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? '', ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  test("prints a token, with the server's own SMSCX_HOST in the environment", async () => {
    const r = await cli(['token', '--scope', 'sms', '--json'], {
      SMSCX_APPLICATION_ID: server.active.id,
      SMSCX_APPLICATION_SECRET: server.active.secret,
      SMSCX_API_URL: server.url,
      SMSCX_HOST: '127.0.0.1', // what a shell that also runs the server has set
    });
    assert.equal(r.code, 0, r.stderr);
    const res = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(res.scope, 'sms');
    assert.equal(res.token_type, 'Bearer');
    assert.equal(jwtPayload(String(res.access_token)).client_id, server.active.id);
  });

  test('SMSCX_DEBUG=1 logs request and response with request ids, and no credential or token', async () => {
    const r = await cli(['token', '--host', server.url, '--token-only'], {
      SMSCX_APPLICATION_ID: server.active.id,
      SMSCX_APPLICATION_SECRET: server.active.secret,
      SMSCX_DEBUG: '1',
    });
    assert.equal(r.code, 0, r.stderr);
    const token = r.stdout.trim();
    assert.ok(token.length > 20);
    assert.match(r.stderr, /^smscx request .*"authorization":"Basic \[REDACTED\]"/m);
    assert.match(r.stderr, /^smscx response .*"status":200,"requestId":"[^"]+"/m);
    assert.ok(!r.stderr.includes(server.active.secret));
    assert.ok(!r.stderr.includes(token));
    assert.ok(
      !r.stderr.includes(Buffer.from(`${server.active.id}:${server.active.secret}`).toString('base64')),
    );
  });

  test('exits 3 on bad credentials, one line on stderr without the secret', async () => {
    const r = await cli(['token', '--host', server.url], {
      SMSCX_APPLICATION_ID: server.active.id,
      SMSCX_APPLICATION_SECRET: 'wrong-secret-123',
    });
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: invalid_client: [^\n]+ \(request id \S+\)\n$/);
    assert.ok(!r.stderr.includes('wrong-secret-123'));
  });

  test('exits 4 for a disabled application and 5 for an unknown scope', async () => {
    const disabled = await cli(['token', '--host', server.url], {
      SMSCX_APPLICATION_ID: server.disabled.id,
      SMSCX_APPLICATION_SECRET: server.disabled.secret,
    });
    assert.equal(disabled.code, 4, disabled.stderr);
    assert.match(disabled.stderr, /^error: access_denied: /);
    const scope = await cli(['token', '--host', server.url, '--scope', 'nope'], {
      SMSCX_APPLICATION_ID: server.active.id,
      SMSCX_APPLICATION_SECRET: server.active.secret,
    });
    assert.equal(scope.code, 5, scope.stderr);
    assert.match(scope.stderr, /^error: invalid_scope: /);
  });
});

describe('rate limiting by the real token server (--rate-limit 2/3600)', () => {
  let server: TokenServer;
  before(async () => {
    server = await startTokenServer({ rateLimit: '2/3600' });
  });
  after(() => server?.close());

  test('the third request is RateLimitExceededException with resetAt and retryAfterMs', async () => {
    const counter = countingFetch();
    const api = new OauthApi(
      new ApiClient(
        new Configuration({
          username: server.active.id,
          password: server.active.secret,
          host: server.url,
          fetch: counter.fetch,
        }),
      ),
    );
    await api.getAccessToken();
    await api.getAccessToken();
    const error = await api.getAccessToken().catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitExceededException);
    assert.equal(error.status, 429);
    assert.equal(error.error?.type, 'rate_limit');
    assert.equal(error.rateLimit?.limit, 2);
    assert.equal(error.rateLimit?.remaining, 0);
    assert.ok(error.resetAt instanceof Date);
    assert.equal(error.resetAt.getTime(), (error.rateLimit?.reset ?? Number.NaN) * 1000);
    // The server asks for up to an hour: more than the client waits out, so it gave up at once
    // (maxRetries 2 by default) instead of appearing to hang.
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 60_000, String(error.retryAfterMs));
    assert.ok(error.retryAfterMs <= 3_600_000, String(error.retryAfterMs));
    assert.equal(counter.count(), 3);
  });
});
