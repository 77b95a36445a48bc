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
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { inspect, promisify } from 'node:util';
import {
  type ConfigInput,
  createApplication,
  DEFAULT_SCOPES,
  loadOrCreatePepper,
  openSqliteStorage,
  resolveConfig,
  startServer,
} from 'smscx-oauth-server';
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

const execFileAsync = promisify(execFile);

interface Credentials {
  id: string;
  secret: string;
}

interface TokenServer {
  url: string;
  /** An active application allowed every scope, tokens valid 1 day. */
  active: Credentials;
  /** A disabled application (403 access_denied). */
  disabled: Credentials;
  /** An active application whose tokens never expire (expires_in 0). */
  forever: Credentials;
  close(): Promise<void>;
}

/** Starts the real server in-process: temp folder, SQLite file, three applications. */
async function startTokenServer(input: ConfigInput = {}): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-client-e2e-'));
  // An empty environment: SMSCX_* variables of whoever runs the tests must not leak in.
  const config = resolveConfig(
    { host: '127.0.0.1', port: '0', db: join(dir, 'smscx-oauth.db'), logLevel: 'silent', ...input },
    {},
  );
  const storage = openSqliteStorage(config.dbPath);
  const pepper = loadOrCreatePepper(config.pepperFile);
  const make = async (name: string, tokenExpiration: '1d' | 'never') => {
    const { application, secret } = await createApplication(storage, pepper, {
      name,
      scopes: config.scopes,
      tokenExpiration,
    });
    return { id: application.id, secret };
  };
  let credentials: Pick<TokenServer, 'active' | 'disabled' | 'forever'>;
  try {
    const active = await make('e2e-active', '1d');
    const disabled = await make('e2e-disabled', '1d');
    const forever = await make('e2e-forever', 'never');
    await storage.updateApplication(disabled.id, { status: 'disabled' });
    credentials = { active, disabled, forever };
  } finally {
    await storage.close();
  }
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const server = await startServer(config, { out: discard });
  return {
    url: server.url,
    ...credentials,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

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
    const { data } = await new ApplicationsApi(
      apiClient,
      new TokenManager({ apiClient, scope: 'sms' }),
    ).getScopes();
    assert.deepEqual(
      data.map((entry) => entry.scope),
      [...DEFAULT_SCOPES],
    );
    assert.ok(
      data.every((entry) => entry.description === undefined || typeof entry.description === 'string'),
    );
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
    assert.ok(Array.isArray(((await response.json()) as { data: unknown }).data));
    assert.notEqual(await tokens.getToken(), first);
    // token, resource (401), token again, resource (200)
    assert.equal(counter.count(), 1 + 1 + 1 + 1);
  });

  test("the README's Quick start runs as written (host and credentials filled in)", async () => {
    const readme = readFileSync(join(CLIENT_DIR, 'README.md'), 'utf8');
    const quickStart = /## Quick start\n[\s\S]*?```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.ok(quickStart, 'README has a Quick start ts block');
    const replaceOnce = (text: string, from: string, to: string) => {
      assert.equal(text.split(from).length, 2, `README example contains ${from} exactly once`);
      return text.replace(from, to);
    };
    let code = replaceOnce(
      quickStart,
      "{ username: 'APP_ID', password: 'APP_SECRET' }",
      `{ username: '${server.active.id}', password: '${server.active.secret}', host: '${server.url}' }`,
    );
    code = replaceOnce(
      code,
      "'https://api.sms.cx/applications/scopes'",
      `'${server.url}/applications/scopes'`,
    );
    code += '\nconsole.log(JSON.stringify({ res, accessToken, status: response.status }));\n';

    // A consumer folder where 'smscx-client' is this package (its built dist, via exports).
    const dir = mkdtempSync(join(tmpdir(), 'smscx-client-readme-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(CLIENT_DIR, join(dir, 'node_modules', 'smscx-client'), 'dir');
      writeFileSync(join(dir, 'example.mts'), code);
      await ensureBuilt();
      const { stdout } = await execFileAsync(
        process.execPath,
        ['--import', 'tsx', join(dir, 'example.mts')],
        {
          cwd: REPO_DIR,
        },
      );
      const out = JSON.parse(stdout) as {
        res: Record<string, unknown>;
        accessToken: string;
        status: number;
      };
      assert.deepEqual(Object.keys(out.res).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
      assert.equal(out.res.token_type, 'Bearer');
      assert.equal(out.res.expires_in, 86400);
      assert.deepEqual(String(out.res.scope).split(' ').sort(), ['groups', 'sms']);
      assert.equal(jwtPayload(out.accessToken).client_id, server.active.id);
      // tokens.fetch attached a Bearer token the server's protected /applications/scopes accepted.
      assert.equal(out.status, 200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
