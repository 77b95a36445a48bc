// POST /oauth/revoke (RFC 7009) against the app built in process on a real SQLite file
// (fixture.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { basic, envelope, FORM, requestToken, send, type TestApplication } from './helpers.js';
import {
  assertInvalidToken,
  claimsOf,
  getScopes,
  introspect,
  isActive,
  issueToken,
  revoke,
  revokeRaw,
  serverSigningKey,
  signWith,
} from './lifecycle-helpers.js';
import { ed25519Key } from './verify-helpers.js';

describe('POST /oauth/revoke', () => {
  let server: InProcessServer;
  let alice: TestApplication;
  let bob: TestApplication;
  let forever: TestApplication;

  before(async () => {
    server = await inProcessServer();
    alice = await server.createApplication({ name: 'alice' });
    bob = await server.createApplication({ name: 'bob' });
    forever = await server.createApplication({ name: 'forever', expiration: 'never' });
  });
  after(async () => {
    await server.close();
  });

  it('revokes the caller’s own token: 200, empty body, no-store; then inactive and refused', async () => {
    const token = await issueToken(server, alice);
    const other = await issueToken(server, alice);
    assert.equal((await getScopes(server, token)).status, 200);
    const response = await revoke(server, alice, token);
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(response.headers['content-length'], '0');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    assert.equal(typeof response.headers['x-request-id'], 'string');
    assert.match(String(response.headers['x-response-time']), /^\d+\.\d{2}ms$/);
    assert.deepEqual(await introspect(server, alice, token), { active: false });
    assertInvalidToken(await getScopes(server, token));
    // Only that token: another token of the same application stays active.
    assert.equal(await isActive(server, alice, other), true);
    assert.equal((await getScopes(server, other)).status, 200);
  });

  it('is idempotent: revoking again answers 200 and changes nothing', async () => {
    const token = await issueToken(server, alice);
    assert.equal((await revoke(server, alice, token)).status, 200);
    const again = await revoke(server, alice, token);
    assert.equal(again.status, 200);
    assert.equal(again.body, '');
    assert.equal(await isActive(server, alice, token), false);
  });

  it('does not revoke another application’s token, and answers the same 200', async () => {
    const bobs = await issueToken(server, bob);
    const response = await revoke(server, alice, bobs);
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(await isActive(server, bob, bobs), true);
    assert.equal((await getScopes(server, bobs)).status, 200);
  });

  it('answers 200 for unknown, malformed, forged and expired tokens', async () => {
    const real = await issueToken(server, alice);
    const key = await serverSigningKey(server);
    const now = Math.floor(server.clock() / 1000);
    const cases = [
      'not-a-token',
      'a.b.c',
      `${real}x`,
      signWith(ed25519Key(key.kid), claimsOf(real)),
      signWith(key, { ...claimsOf(real), iat: now - 7200, exp: now - 3600 }),
      signWith(key, { ...claimsOf(real), iss: 'https://evil.example' }),
    ];
    for (const token of cases) {
      const response = await revoke(server, alice, token);
      assert.equal(response.status, 200, token);
      assert.equal(response.body, '');
    }
    assert.equal(await isActive(server, alice, real), true, 'nothing else was revoked');
  });

  it('honours no token_type_hint value: a hint of refresh_token still revokes the access token', async () => {
    const token = await issueToken(server, alice);
    const response = await revokeRaw(server, alice, `token=${token}&token_type_hint=refresh_token`);
    assert.equal(response.status, 200);
    assert.equal(await isActive(server, alice, token), false);
  });

  it('keeps never-expiring tokens on the denylist forever (expires_at NULL)', async () => {
    const token = await issueToken(server, forever);
    assert.equal((await revoke(server, forever, token)).status, 200);
    assert.equal(await isActive(server, forever, token), false);
    const { storage } = server;
    const record = await storage.getRevokedToken(claimsOf(token).jti as string);
    assert.equal(record?.applicationId, forever.application_id);
    assert.equal(record?.expiresAt, null);
    await storage.pruneRevokedTokens(Number.MAX_SAFE_INTEGER); // drops every finite entry
    assert.equal(await storage.isTokenRevoked(claimsOf(token).jti as string), true);
  });

  it('stores expires_at as the token’s exp in milliseconds', async () => {
    const token = await issueToken(server, alice);
    await revoke(server, alice, token);
    const claims = claimsOf(token);
    const record = await server.storage.getRevokedToken(claims.jti as string);
    assert.equal(record?.expiresAt, (claims.exp as number) * 1000);
  });

  it('400 invalid_request without a token, with an empty one, a repeated one, a client_secret or a wrong content type', async () => {
    const bodies: Array<[string, Record<string, string>]> = [
      ['', {}],
      ['token_type_hint=access_token', {}],
      ['token=', {}],
      ['token=a&token=b', {}],
      ['token=a&client_secret=x', {}],
      ['token=%zz', {}],
      ['token=a', { 'content-type': 'application/json' }],
    ];
    for (const [body, headers] of bodies) {
      const response = await revokeRaw(server, alice, body, headers);
      assert.equal(response.status, 400, body);
      const error = envelope(response);
      assert.equal(error.type, 'invalid_request');
      assert.equal(error.code, 1600);
      assert.equal(response.headers['cache-control'], 'no-store');
    }
    assert.equal(
      envelope(await revokeRaw(server, alice, '')).message,
      'The request is missing a required parameter (token)',
    );
  });

  it('authenticates like the token endpoint: unknown ID and wrong secret give the same 401', async () => {
    const token = await issueToken(server, alice);
    const unknown = await send(server, {
      path: '/oauth/revoke',
      headers: { authorization: basic('0'.repeat(40), alice.application_secret), 'content-type': FORM },
      body: `token=${token}`,
    });
    const wrong = await send(server, {
      path: '/oauth/revoke',
      headers: { authorization: basic(alice.application_id, 'wrong'), 'content-type': FORM },
      body: `token=${token}`,
    });
    const none = await send(server, {
      path: '/oauth/revoke',
      headers: { 'content-type': FORM },
      body: `token=${token}`,
    });
    for (const response of [unknown, wrong, none]) {
      assert.equal(response.status, 401);
      assert.deepEqual(envelope(response), {
        type: 'invalid_client',
        code: 1600,
        message: 'Invalid client',
        uri: 'https://docs.sms.cx/#invalid_client',
      });
      assert.equal(response.headers['www-authenticate'], 'Basic realm="smscx-oauth", charset="UTF-8"');
      assert.equal(response.headers['cache-control'], 'no-store');
    }
    assert.equal(unknown.body, wrong.body);
    assert.equal(await isActive(server, alice, token), true);
  });

  it('refuses a disabled application with 403 access_denied', async () => {
    const carol = await server.createApplication({ name: 'carol' });
    assert.equal((await revoke(server, carol, 'x')).status, 200, 'accepted while active');
    await server.admin.disable(carol.application_id);
    const response = await revoke(server, carol, 'x');
    assert.equal(response.status, 403);
    assert.equal(envelope(response).type, 'access_denied');
  });

  it('answers other methods with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await send(server, { method, path: '/oauth/revoke' });
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'POST');
      assert.equal(envelope(response).type, 'invalid_method');
    }
  });

  it('does not read the body before authentication: an oversized body without credentials is 401', async () => {
    const response = await send(server, {
      path: '/oauth/revoke',
      headers: { 'content-type': FORM },
      body: `token=${'a'.repeat(20_000)}`,
    });
    assert.equal(response.status, 401);
  });
});

describe('POST /oauth/revoke and /oauth/introspect share the per-IP failed-authentication limit', () => {
  let server: InProcessServer;
  let app: TestApplication;

  before(async () => {
    server = await inProcessServer({ authFailureLimit: { points: 3, durationSeconds: 60 } });
    app = await server.createApplication();
  });
  after(async () => {
    await server.close();
  });

  it('counts failures across the token, revoke and introspect endpoints, then answers 429', async () => {
    const bad = { ...app, application_secret: 'wrong' };
    assert.equal((await revoke(server, bad, 'x')).status, 401);
    const introspected = await send(server, {
      path: '/oauth/introspect',
      headers: { authorization: basic(app.application_id, 'wrong'), 'content-type': FORM },
      body: 'token=x',
    });
    assert.equal(introspected.status, 401);
    assert.equal(introspected.headers['x-rate-limit-remaining'], '1');
    assert.equal((await requestToken(server, bad)).status, 401);
    // Budget spent: even correct credentials from this IP are refused for a while.
    const limited = await revoke(server, app, 'x');
    assert.equal(limited.status, 429);
    assert.equal(envelope(limited).type, 'rate_limit');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(
      (
        await send(server, {
          path: '/oauth/introspect',
          headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
          body: 'token=x',
        })
      ).status,
      429,
    );
  });
});
