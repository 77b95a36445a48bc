// Options from flags and environment variables reach the running server.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, resolveConfig } from '../src/config/options.js';
import { cli, decodeJwt, requestToken, startServer, tempDb } from './helpers.js';

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

  it('applies issuer, audience, scope catalogue and rate limit from the environment', async () => {
    const tmp = tempDb();
    const env = {
      SMSCX_ISSUER: 'https://auth.example.test',
      SMSCX_AUDIENCE: 'https://api.example.test',
      SMSCX_SCOPES: 'otp sms extra',
      SMSCX_RATE_LIMIT: '7/60',
    };
    try {
      const created = cli(
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
      const server = await startServer(tmp.db, [], env);
      const response = await requestToken(server.url, app, 'grant_type=client_credentials&scope=extra sms');
      assert.equal(response.status, 200, response.body);
      assert.equal(response.headers['x-rate-limit-limit'], '7');
      const body = response.json as { access_token: string; scope: string };
      assert.equal(body.scope, 'sms extra');
      const { payload } = decodeJwt(body.access_token);
      assert.equal(payload.iss, 'https://auth.example.test');
      assert.equal(payload.aud, 'https://api.example.test');
      assert.equal(await server.stop(), 0);
    } finally {
      tmp.cleanup();
    }
  });
});
