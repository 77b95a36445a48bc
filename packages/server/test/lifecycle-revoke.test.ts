// POST /oauth/revoke (RFC 7009) against the real server binary and a real SQLite file.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
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
  const tmp = tempDb();
  let server: TestServer;
  let alice: TestApplication;
  let bob: TestApplication;
  let forever: TestApplication;

  before(async () => {
    alice = createApplication(tmp.db, [], 'alice');
    bob = createApplication(tmp.db, [], 'bob');
    forever = createApplication(tmp.db, ['--expiration', 'never'], 'forever');
    server = await startServer(tmp.db);
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('revokes the caller’s own token: 200, empty body, no-store; then inactive and refused', async () => {
    const token = await issueToken(server.url, alice);
    const other = await issueToken(server.url, alice);
    assert.equal((await getScopes(server.url, token)).status, 200);
    const response = await revoke(server.url, alice, token);
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(response.headers['content-length'], '0');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    assert.equal(typeof response.headers['x-request-id'], 'string');
    assert.match(String(response.headers['x-response-time']), /^\d+\.\d{2}ms$/);
    assert.deepEqual(await introspect(server.url, alice, token), { active: false });
    assertInvalidToken(await getScopes(server.url, token));
    // Only that token: another token of the same application stays active.
    assert.equal(await isActive(server.url, alice, other), true);
    assert.equal((await getScopes(server.url, other)).status, 200);
  });

  it('is idempotent: revoking again answers 200 and changes nothing', async () => {
    const token = await issueToken(server.url, alice);
    assert.equal((await revoke(server.url, alice, token)).status, 200);
    const again = await revoke(server.url, alice, token);
    assert.equal(again.status, 200);
    assert.equal(again.body, '');
    assert.equal(await isActive(server.url, alice, token), false);
  });

  it('does not revoke another application’s token, and answers the same 200', async () => {
    const bobs = await issueToken(server.url, bob);
    const response = await revoke(server.url, alice, bobs);
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(await isActive(server.url, bob, bobs), true);
    assert.equal((await getScopes(server.url, bobs)).status, 200);
  });

  it('answers 200 for unknown, malformed, forged and expired tokens', async () => {
    const real = await issueToken(server.url, alice);
    const key = await serverSigningKey(tmp.db);
    const now = Math.floor(Date.now() / 1000);
    const cases = [
      'not-a-token',
      'a.b.c',
      `${real}x`,
      signWith(ed25519Key(key.kid), claimsOf(real)),
      signWith(key, { ...claimsOf(real), iat: now - 7200, exp: now - 3600 }),
      signWith(key, { ...claimsOf(real), iss: 'https://evil.example' }),
    ];
    for (const token of cases) {
      const response = await revoke(server.url, alice, token);
      assert.equal(response.status, 200, token);
      assert.equal(response.body, '');
    }
    assert.equal(await isActive(server.url, alice, real), true, 'nothing else was revoked');
  });

  it('honours no token_type_hint value: a hint of refresh_token still revokes the access token', async () => {
    const token = await issueToken(server.url, alice);
    const response = await revokeRaw(server.url, alice, `token=${token}&token_type_hint=refresh_token`);
    assert.equal(response.status, 200);
    assert.equal(await isActive(server.url, alice, token), false);
  });

  it('keeps never-expiring tokens on the denylist forever (expires_at NULL)', async () => {
    const token = await issueToken(server.url, forever);
    assert.equal((await revoke(server.url, forever, token)).status, 200);
    assert.equal(await isActive(server.url, forever, token), false);
    const storage = openSqliteStorage(tmp.db);
    try {
      const record = await storage.getRevokedToken(claimsOf(token).jti as string);
      assert.equal(record?.applicationId, forever.application_id);
      assert.equal(record?.expiresAt, null);
      await storage.pruneRevokedTokens(Number.MAX_SAFE_INTEGER); // drops every finite entry
      assert.equal(await storage.isTokenRevoked(claimsOf(token).jti as string), true);
    } finally {
      await storage.close();
    }
  });

  it('stores expires_at as the token’s exp in milliseconds', async () => {
    const token = await issueToken(server.url, alice);
    await revoke(server.url, alice, token);
    const claims = claimsOf(token);
    const storage = openSqliteStorage(tmp.db);
    try {
      const record = await storage.getRevokedToken(claims.jti as string);
      assert.equal(record?.expiresAt, (claims.exp as number) * 1000);
    } finally {
      await storage.close();
    }
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
      const response = await revokeRaw(server.url, alice, body, headers);
      assert.equal(response.status, 400, body);
      const error = envelope(response);
      assert.equal(error.type, 'invalid_request');
      assert.equal(error.code, 1600);
      assert.equal(response.headers['cache-control'], 'no-store');
    }
    assert.equal(
      envelope(await revokeRaw(server.url, alice, '')).message,
      'The request is missing a required parameter (token)',
    );
  });

  it('authenticates like the token endpoint: unknown ID and wrong secret give the same 401', async () => {
    const token = await issueToken(server.url, alice);
    const unknown = await send(server.url, {
      path: '/oauth/revoke',
      headers: { authorization: basic('0'.repeat(40), alice.application_secret), 'content-type': FORM },
      body: `token=${token}`,
    });
    const wrong = await send(server.url, {
      path: '/oauth/revoke',
      headers: { authorization: basic(alice.application_id, 'wrong'), 'content-type': FORM },
      body: `token=${token}`,
    });
    const none = await send(server.url, {
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
    assert.equal(await isActive(server.url, alice, token), true);
  });

  it('refuses a disabled application with 403 access_denied', async () => {
    const carol = createApplication(tmp.db, [], 'carol');
    assert.equal(cli(['apps', 'disable', carol.application_id, '--db', tmp.db]).status, 0);
    let response = await revoke(server.url, carol, 'x');
    for (let i = 0; i < 40 && response.status !== 403; i++) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      response = await revoke(server.url, carol, 'x');
    }
    assert.equal(response.status, 403);
    assert.equal(envelope(response).type, 'access_denied');
  });

  it('answers other methods with 405 and Allow: POST', async () => {
    for (const method of ['GET', 'PUT', 'DELETE']) {
      const response = await send(server.url, { method, path: '/oauth/revoke' });
      assert.equal(response.status, 405);
      assert.equal(response.headers.allow, 'POST');
      assert.equal(envelope(response).type, 'invalid_method');
    }
  });

  it('does not read the body before authentication: an oversized body without credentials is 401', async () => {
    const response = await send(server.url, {
      path: '/oauth/revoke',
      headers: { 'content-type': FORM },
      body: `token=${'a'.repeat(20_000)}`,
    });
    assert.equal(response.status, 401);
  });
});

describe('POST /oauth/revoke and /oauth/introspect share the per-IP failed-authentication limit', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: TestApplication;

  before(async () => {
    app = createApplication(tmp.db);
    server = await startServer(tmp.db, ['--auth-failure-limit', '3/60']);
  });
  after(async () => {
    await server.stop();
    tmp.cleanup();
  });

  it('counts failures across the token, revoke and introspect endpoints, then answers 429', async () => {
    const bad = { ...app, application_secret: 'wrong' };
    assert.equal((await revoke(server.url, bad, 'x')).status, 401);
    const introspected = await send(server.url, {
      path: '/oauth/introspect',
      headers: { authorization: basic(app.application_id, 'wrong'), 'content-type': FORM },
      body: 'token=x',
    });
    assert.equal(introspected.status, 401);
    assert.equal(introspected.headers['x-rate-limit-remaining'], '1');
    assert.equal((await requestToken(server.url, bad)).status, 401);
    // Budget spent: even correct credentials from this IP are refused for a while.
    const limited = await revoke(server.url, app, 'x');
    assert.equal(limited.status, 429);
    assert.equal(envelope(limited).type, 'rate_limit');
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(
      (
        await send(server.url, {
          path: '/oauth/introspect',
          headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
          body: 'token=x',
        })
      ).status,
      429,
    );
  });
});
