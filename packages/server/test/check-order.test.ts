// The contract's check order when several errors apply at once:
// 405 → IP auth-failure limit 429 → 401/403 → application rate 429 → 400 invalid_request
// → 400 unsupported_grant_type → 400 invalid_scope. Against the app built in process (fixture.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { basic, envelope, FORM, requestToken, send, type TestApplication } from './helpers.js';

describe('check order', () => {
  let server: InProcessServer;
  let app: TestApplication;
  let disabled: TestApplication;
  let busy: TestApplication;

  before(async () => {
    server = await inProcessServer({
      rateLimit: { points: 3, durationSeconds: 60 },
      authFailureLimit: { points: 3, durationSeconds: 60 },
    });
    app = await server.createApplication();
    disabled = await server.createApplication({ name: 'disabled' });
    busy = await server.createApplication({ name: 'busy' });
    await server.admin.disable(disabled.application_id);
  });
  after(async () => {
    await server.close();
  });

  it('405 beats missing credentials and a bad body', async () => {
    const response = await send(server, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    assert.equal(response.status, 405);
    assert.equal(envelope(response).type, 'invalid_method');
  });

  it('401 beats wrong content type, repeated parameters, bad grant and bad scope', async () => {
    const response = await send(server, {
      headers: { authorization: basic(app.application_id, 'wrong'), 'content-type': 'text/plain' },
      body: 'grant_type=password&grant_type=x&scope=nope',
    });
    assert.equal(response.status, 401);
    assert.equal(envelope(response).type, 'invalid_client');
  });

  it('401 beats an oversized body', async () => {
    const response = await send(server, {
      headers: { authorization: basic(app.application_id, 'wrong2'), 'content-type': FORM },
      body: 'a'.repeat(20_000),
    });
    assert.equal(response.status, 401);
  });

  it('403 beats a bad body', async () => {
    const response = await requestToken(server, disabled, 'grant_type=password', {
      'content-type': 'text/plain',
    });
    assert.equal(response.status, 403);
    assert.equal(envelope(response).type, 'access_denied');
  });

  it('invalid_request beats unsupported_grant_type, which beats invalid_scope', async () => {
    const both = await requestToken(server, app, 'grant_type=password&scope=nope&scope=x');
    assert.equal(envelope(both).type, 'invalid_request');
    const grantAndScope = await requestToken(server, app, 'grant_type=password&scope=nope');
    assert.equal(envelope(grantAndScope).type, 'unsupported_grant_type');
    const missingGrant = await requestToken(server, app, 'scope=nope');
    assert.equal(envelope(missingGrant).type, 'invalid_request');
  });

  it("the application's rate limit beats a bad body", async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await requestToken(server, busy)).status, 200);
    const response = await requestToken(server, busy, 'grant_type=password', {
      'content-type': 'text/plain',
    });
    assert.equal(response.status, 429);
    assert.equal(envelope(response).type, 'rate_limit');
  });

  it('an IP over its auth-failure limit gets 429 even with valid credentials; 405 still wins', async () => {
    // Earlier tests spent two failures; one more spends the budget of 3.
    await send(server, { headers: { authorization: basic(app.application_id, 'wrong3') } });
    const response = await requestToken(server, app);
    assert.equal(response.status, 429);
    assert.equal(envelope(response).type, 'rate_limit');
    const method = await send(server, { method: 'GET' });
    assert.equal(method.status, 405);
  });
});
