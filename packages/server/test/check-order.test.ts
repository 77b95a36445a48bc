// The contract's check order when several errors apply at once:
// 405 → IP auth-failure limit 429 → 401/403 → application rate 429 → 400 invalid_request
// → 400 unsupported_grant_type → 400 invalid_scope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  basic,
  cli,
  createApplication,
  envelope,
  FORM,
  requestToken,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
} from './helpers.js';

describe('check order', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: TestApplication;
  let disabled: TestApplication;
  let busy: TestApplication;

  before(async () => {
    app = createApplication(tmp.db);
    disabled = createApplication(tmp.db, [], 'disabled');
    busy = createApplication(tmp.db, [], 'busy');
    assert.equal(cli(['apps', 'disable', disabled.application_id, '--db', tmp.db]).status, 0);
    server = await startServer(tmp.db, ['--rate-limit', '3/60', '--auth-failure-limit', '3/60']);
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('405 beats missing credentials and a bad body', async () => {
    const response = await send(server.url, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(response.status, 405);
    assert.equal(envelope(response).type, 'invalid_method');
  });

  it('401 beats wrong content type, repeated parameters, bad grant and bad scope', async () => {
    const response = await send(server.url, {
      headers: { authorization: basic(app.application_id, 'wrong'), 'content-type': 'text/plain' },
      body: 'grant_type=password&grant_type=x&scope=nope',
    });
    assert.equal(response.status, 401);
    assert.equal(envelope(response).type, 'invalid_client');
  });

  it('401 beats an oversized body', async () => {
    const response = await send(server.url, {
      headers: { authorization: basic(app.application_id, 'wrong2'), 'content-type': FORM },
      body: 'a'.repeat(20_000),
    });
    assert.equal(response.status, 401);
  });

  it('403 beats a bad body', async () => {
    const response = await requestToken(server.url, disabled, 'grant_type=password', {
      'content-type': 'text/plain',
    });
    assert.equal(response.status, 403);
    assert.equal(envelope(response).type, 'access_denied');
  });

  it('invalid_request beats unsupported_grant_type, which beats invalid_scope', async () => {
    const both = await requestToken(server.url, app, 'grant_type=password&scope=nope&scope=x');
    assert.equal(envelope(both).type, 'invalid_request');
    const grantAndScope = await requestToken(server.url, app, 'grant_type=password&scope=nope');
    assert.equal(envelope(grantAndScope).type, 'unsupported_grant_type');
    const missingGrant = await requestToken(server.url, app, 'scope=nope');
    assert.equal(envelope(missingGrant).type, 'invalid_request');
  });

  it("the application's rate limit beats a bad body", async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await requestToken(server.url, busy)).status, 200);
    const response = await requestToken(server.url, busy, 'grant_type=password', {
      'content-type': 'text/plain',
    });
    assert.equal(response.status, 429);
    assert.equal(envelope(response).type, 'rate_limit');
  });

  it('an IP over its auth-failure limit gets 429 even with valid credentials; 405 still wins', async () => {
    // Earlier tests spent two failures; one more spends the budget of 3.
    await send(server.url, { headers: { authorization: basic(app.application_id, 'wrong3') } });
    const response = await requestToken(server.url, app);
    assert.equal(response.status, 429);
    assert.equal(envelope(response).type, 'rate_limit');
    const method = await send(server.url, { method: 'GET' });
    assert.equal(method.status, 405);
  });
});
