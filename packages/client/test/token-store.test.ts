/**
 * Token stores (issue 17): the cache key, the memory store, a custom async store (a serverless
 * cold start reusing a stored token), the file store and its cross-process lock, and 8
 * processes started at once against the REAL token server making one token request.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
  Configuration,
  type Logger,
  MemoryTokenStore,
  type OauthTokenResponse,
  RateLimitExceededException,
  type StoredToken,
  TokenManager,
  type TokenStore,
  tokenCacheKey,
} from '../src/index.js';
import { FileTokenStore } from '../src/node/file-store.js';
import { CLIENT_DIR, ensureBuilt } from './build-helper.js';
import { startTokenServer, type TokenServer } from './real-server.js';
import { countingTokenStep, type ScriptedServer, startScriptedServer } from './scripted-server.js';

const BASE = { host: 'https://api.sms.cx', username: 'app', password: 'secret', scope: 'sms groups' };

describe('tokenCacheKey', () => {
  test('covers host, Application ID, a hash of the secret and the scope set; never the secret', () => {
    const key = tokenCacheKey(BASE);
    assert.ok(!key.includes('secret'), key);
    assert.equal(
      tokenCacheKey({ ...BASE, scope: 'groups  sms sms' }),
      key,
      'a set: order and repeats do not matter',
    );
    for (const changed of [
      { host: 'https://other.example' },
      { username: 'other-app' },
      { password: 'secret2' },
      { scope: 'sms' },
      { scope: undefined },
    ]) {
      assert.notEqual(tokenCacheKey({ ...BASE, ...changed }), key, JSON.stringify(changed));
    }
  });

  test('TokenManager.cacheKey is that key', () => {
    const configuration = new Configuration({ username: 'app', password: 'secret' });
    assert.equal(new TokenManager({ configuration, scope: 'sms groups' }).cacheKey, tokenCacheKey(BASE));
  });
});

describe('TokenManager with a store', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer(countingTokenStep());
  });
  after(() => server.close());

  const configuration = (password = 'secret') =>
    new Configuration({ username: 'app', password, host: server.url, maxRetries: 0, logLevel: 'off' });

  test('a shared MemoryTokenStore: two managers, 50 concurrent cold calls each, one request', async () => {
    const before = server.requests.length;
    const store = new MemoryTokenStore();
    const a = new TokenManager({ configuration: configuration(), store, scope: 'sms' });
    const b = new TokenManager({ configuration: configuration(), store, scope: 'sms' });
    const all = await Promise.all([
      ...Array.from({ length: 50 }, () => a.getToken()),
      ...Array.from({ length: 50 }, () => b.getToken()),
    ]);
    assert.equal(new Set(all).size, 1);
    assert.equal(server.requests.length - before, 1);
  });

  test('a custom async store: a new manager (a serverless cold start) reuses the stored token', async () => {
    const saved = new Map<string, string>(); // as a KV service would hold it: JSON text
    const calls: string[] = [];
    const store: TokenStore = {
      async get(key) {
        calls.push('get');
        const text = saved.get(key);
        return text === undefined ? undefined : (JSON.parse(text) as StoredToken);
      },
      async set(key, token, expiresAt) {
        calls.push('set');
        saved.set(key, JSON.stringify({ token, expiresAt }));
      },
    };
    const before = server.requests.length;
    const first = await new TokenManager({ configuration: configuration(), store }).getToken();
    const second = await new TokenManager({ configuration: configuration(), store }).getToken();
    assert.equal(second, first);
    assert.equal(server.requests.length - before, 1);
    assert.deepEqual(calls, ['get', 'set', 'get']);
    // A changed secret never reuses it.
    const other = await new TokenManager({ configuration: configuration('secret-2'), store }).getToken();
    assert.notEqual(other, first);
    assert.equal(server.requests.length - before, 2);
  });

  test('a stored token due for refresh is not used; expires_in 0 is kept forever', async () => {
    let now = 1_000_000;
    const store = new MemoryTokenStore();
    const key = new TokenManager({ configuration: configuration(), store }).cacheKey;
    const token = (access_token: string, expires_in: number): OauthTokenResponse => ({
      access_token,
      expires_in,
      scope: 'sms',
      token_type: 'Bearer',
    });
    store.set(key, token('stale', 3600), now + 30_000); // 30 s left, skew 60 s
    const before = server.requests.length;
    const tokens = new TokenManager({ configuration: configuration(), store, now: () => now });
    assert.notEqual(await tokens.getToken(), 'stale');
    assert.equal(server.requests.length - before, 1);
    store.set(key, token('forever', 0), undefined);
    now += 10 * 365 * 86_400_000;
    assert.equal(
      await new TokenManager({ configuration: configuration(), store, now: () => now }).getToken(),
      'forever',
    );
  });

  test('invalidate(): the dropped token is not taken back from the store', async () => {
    const store = new MemoryTokenStore();
    const tokens = new TokenManager({ configuration: configuration(), store });
    const first = await tokens.getToken();
    tokens.invalidate();
    const second = await tokens.getToken();
    assert.notEqual(second, first);
    assert.equal(store.get(tokens.cacheKey)?.token.access_token, second);
  });

  test('a failing store is logged and does not stop token requests', async () => {
    const lines: string[] = [];
    const log = (message: string, fields?: Record<string, unknown>) => {
      lines.push(`${message} ${JSON.stringify(fields)}`);
    };
    const logger: Logger = { error: log, warn: log, info: log, debug() {} };
    const broken: TokenStore = {
      get: () => Promise.reject(new Error('store down')),
      set: () => Promise.reject(new Error('store down')),
      lock: () => Promise.reject(new Error('lock down')),
    };
    const tokens = new TokenManager({
      configuration: new Configuration({ username: 'app', password: 'secret', host: server.url, logger }),
      store: broken,
    });
    assert.match(await tokens.getToken(), /^tok-/);
    assert.equal(lines.filter((l) => /store down|lock down/.test(l)).length, 3, lines.join('\n'));
  });

  test('rejects a store without get/set', () => {
    // @ts-expect-error not a store
    assert.throws(() => new TokenManager({ configuration: configuration(), store: {} }), /store must have/);
  });
});

describe('FileTokenStore', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'smscx-file-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const token: OauthTokenResponse = {
    access_token: 'a.b.c',
    expires_in: 60,
    scope: 'sms',
    token_type: 'Bearer',
  };

  test('set/get round trip, owner-only files, unknown and torn files read as missing', async () => {
    const store = new FileTokenStore(join(dir, 'cache'));
    assert.equal(await store.get('k'), undefined);
    await store.set('k', token, 123);
    assert.deepEqual(await store.get('k'), { token, expiresAt: 123 });
    await store.set('forever', token, undefined);
    assert.deepEqual(await store.get('forever'), { token, expiresAt: undefined });
    assert.equal(statSync(join(dir, 'cache')).mode & 0o777, 0o700);
    const files = readdirSync(join(dir, 'cache'));
    assert.equal(files.length, 2);
    for (const file of files) {
      assert.match(file, /^[0-9a-f]{40}\.json$/);
      assert.equal(statSync(join(dir, 'cache', file)).mode & 0o777, 0o600);
      writeFileSync(join(dir, 'cache', file), '{"key":');
    }
    assert.equal(await store.get('k'), undefined);
  });

  test('the lock excludes, waits, and is taken over from a dead holder', async () => {
    const store = new FileTokenStore(join(dir, 'locks'), { lockTimeoutMs: 300 });
    const release = await store.lock('k');
    const started = Date.now();
    await assert.rejects(store.lock('k'), /still held after 300 ms/);
    assert.ok(Date.now() - started >= 290);
    const waiting = store.lock('k');
    setTimeout(() => void release(), 50);
    const second = await waiting;
    await second();
    assert.deepEqual(readdirSync(join(dir, 'locks')), [], 'released');
    // A lock left by a process that no longer runs is taken over at once.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.on('exit', resolve));
    const path = join(dir, 'locks', `${fileHash('k')}.lock`);
    writeFileSync(path, JSON.stringify({ pid: dead.pid, host: hostname(), at: Date.now() }));
    // Taken over although younger than staleLockMs (60 s): its process is gone.
    await (await store.lock('k'))();
  });
});

/** The hash part of a FileTokenStore file name for `key`. */
function fileHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 40);
}

describe('8 processes started at once share one token through a FileTokenStore (real server)', () => {
  let server: TokenServer;
  let dir: string;
  before(async () => {
    await ensureBuilt();
    // One token request per hour: a second request would be a 429 and fail its process.
    server = await startTokenServer({ rateLimit: '1/3600' });
    dir = mkdtempSync(join(tmpdir(), 'smscx-8-processes-'));
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('4 CLI runs (--token-cache) and 4 library workers: 8 identical tokens, exactly one token request', async () => {
    const cache = join(dir, 'cache');
    const worker = join(dir, 'worker.mjs');
    const esm = (path: string) => pathToFileURL(join(CLIENT_DIR, 'dist', 'esm', path)).href;
    writeFileSync(
      worker,
      `import { ApiClient, Configuration, TokenManager } from ${JSON.stringify(esm('index.js'))};
import { FileTokenStore } from ${JSON.stringify(esm('node/file-store.js'))};
const [host, id, secret, cache] = process.argv.slice(2);
const configuration = new Configuration({ username: id, password: secret, host });
const tokens = new TokenManager({ apiClient: new ApiClient(configuration), scope: 'sms', store: new FileTokenStore(cache) });
process.stdout.write(await tokens.getToken());
`,
    );
    const env = { PATH: process.env.PATH ?? '' };
    const cli = join(CLIENT_DIR, 'bin', 'smscx.js');
    const { id, secret } = server.active;
    const runs = Array.from({ length: 8 }, (_, i) =>
      i % 2 === 0
        ? run(
            [cli, 'token', '--host', server.url, '--scope', 'sms', '--token-cache', cache, '--token-only'],
            {
              ...env,
              SMSCX_APPLICATION_ID: id,
              SMSCX_APPLICATION_SECRET: secret,
            },
          )
        : run([worker, server.url, id, secret, cache], env),
    );
    const results = await Promise.all(runs);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const tokens = results.map((r) => r.stdout.trim());
    assert.equal(new Set(tokens).size, 1, tokens.join('\n'));
    assert.match(tokens[0]!, /^[\w-]+\.[\w-]+\.[\w-]+$/);
    // The server's own count: its one request of the hour is used up.
    const after = new TokenManager({
      configuration: new Configuration({ username: id, password: secret, host: server.url, logLevel: 'off' }),
    });
    const error = await after.getToken().catch((e: unknown) => e);
    assert.ok(error instanceof RateLimitExceededException, String(error));
    assert.equal(error.rateLimit.limit, 1);
    assert.equal(error.rateLimit.remaining, 0);
    // Locks are released; one token file.
    assert.deepEqual(
      readdirSync(cache).map((f) => f.replace(/^[0-9a-f]{40}/, 'hash')),
      ['hash.json'],
    );
  });
});

function run(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
