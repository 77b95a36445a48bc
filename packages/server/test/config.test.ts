// Options from flags and environment variables reach the running server. All in this process:
// the admin command through runCli and the server through startServer, each given the same
// environment object (the binary's own reading of process.env is covered where it is spawned,
// e.g. persistence.test.ts with SMSCX_PEPPER_FILE).
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../src/config/options.js';
import { startServer } from '../src/server.js';
import { decodeJwt, requestToken, runInProcess, tempDb } from './helpers.js';

const run = runInProcess;

/** Discards what the server prints (banner, `listening on`). */
const discard = new Writable({
  write(_chunk, _encoding, done) {
    done();
  },
});

describe('configuration', () => {
  it('resolves flags over environment over defaults', () => {
    const defaults = resolveConfig({}, {});
    assert.equal(defaults.host, '127.0.0.1');
    assert.equal(defaults.port, 8080);
    assert.equal(defaults.dbPath, './data/smscx-oauth.db');
    assert.deepEqual(defaults.rateLimit, { points: 600, durationSeconds: 60 });
    assert.deepEqual(defaults.authFailureLimit, { points: 20, durationSeconds: 60 });
    assert.equal(defaults.logLevel, 'info');
    assert.equal(defaults.issuer, undefined);
    assert.equal(defaults.audience, 'https://api.sms.cx');
    assert.equal(defaults.scopes.length, 14);
    assert.match(defaults.pepperFile, /data[/\\]pepper$/);

    const env = { SMSCX_PORT: '9000', SMSCX_RATE_LIMIT: '5/10', SMSCX_DB: '/tmp/x/y.db' };
    const fromEnv = resolveConfig({}, env);
    assert.equal(fromEnv.port, 9000);
    assert.deepEqual(fromEnv.rateLimit, { points: 5, durationSeconds: 10 });
    assert.equal(fromEnv.pepperFile, '/tmp/x/pepper');
    assert.equal(resolveConfig({ port: '9100' }, env).port, 9100);
    assert.throws(() => resolveConfig({ rateLimit: '0/60' }, {}), ConfigError);
    assert.throws(() => resolveConfig({ port: '70000' }, {}), ConfigError);
  });

  it('resolves the Redis options, and refuses them without --redis or malformed', () => {
    assert.equal(resolveConfig({}, {}).redis, undefined);
    assert.deepEqual(resolveConfig({}, { SMSCX_REDIS_URL: 'redis://10.0.0.5:6379/2' }).redis, {
      url: 'redis://10.0.0.5:6379/2',
      prefix: 'smscx-oauth:',
      timeoutMs: 50,
      failure: 'open',
    });
    const env = {
      SMSCX_REDIS_URL: 'rediss://app:pw@cache.example.test:6380',
      SMSCX_REDIS_FAILURE: 'closed',
      SMSCX_REDIS_TIMEOUT_MS: '20',
      SMSCX_REDIS_PREFIX: 'eu1:',
    };
    assert.deepEqual(resolveConfig({ redisTimeout: '35' }, env).redis, {
      url: 'rediss://app:pw@cache.example.test:6380',
      prefix: 'eu1:',
      timeoutMs: 35,
      failure: 'closed',
    });
    const refused = (input: Parameters<typeof resolveConfig>[0], pattern: RegExp): void =>
      assert.throws(
        () => resolveConfig(input, {}),
        (error: unknown) => error instanceof ConfigError && pattern.test(error.message),
      );
    refused({ redisFailure: 'closed' }, /SMSCX_REDIS_FAILURE \(or its flag\) needs --redis/);
    refused({ redis: 'http://cache:6379' }, /redis must be a URL like redis:\/\//);
    refused({ redis: 'redis://:hunter2@cache:6379/x' }, /^(?!.*hunter2)/);
    refused({ redis: 'redis://cache:6379', redisFailure: 'ajar' }, /one of open, closed/);
    refused({ redis: 'redis://cache:6379', redisTimeout: '0' }, /1-10000/);
  });

  it('applies issuer, audience, scope catalogue and rate limit from the environment', async () => {
    const tmp = tempDb();
    const env = {
      SMSCX_ISSUER: 'https://auth.example.test',
      SMSCX_AUDIENCE: 'https://api.example.test',
      SMSCX_SCOPES: 'otp sms extra',
      SMSCX_RATE_LIMIT: '7/60',
    };
    try {
      const created = await run(
        ['apps', 'create', '--db', tmp.db, '--name', 'cfg', '--scopes', 'sms extra', '--json'],
        env,
      );
      assert.equal(created.status, 0, created.stderr);
      const app = JSON.parse(created.stdout) as {
        application_id: string;
        application_secret: string;
        scopes: string;
      };
      assert.equal(app.scopes, 'sms extra');
      // What `serve --port 0 --db <db>` resolves and starts, with this environment.
      const config = resolveConfig({ port: '0', db: tmp.db, logLevel: 'silent' }, env);
      const server = await startServer(config, { out: discard });
      try {
        const response = await requestToken(server.url, app, 'grant_type=client_credentials&scope=extra sms');
        assert.equal(response.status, 200, response.body);
        assert.equal(response.headers['x-rate-limit-limit'], '7');
        const body = response.json as { access_token: string; scope: string };
        assert.equal(body.scope, 'sms extra');
        const { payload } = decodeJwt(body.access_token);
        assert.equal(payload.iss, 'https://auth.example.test');
        assert.equal(payload.aud, 'https://api.example.test');
      } finally {
        await server.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
