// POST /oauth/introspect (RFC 7662) and the protected GET /applications/scopes, against the app
// built in process on a real SQLite file (fixture.ts): every inactive case, the active answer,
// forged tokens.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { createVerifier, TokenVerificationError } from '../src/verify/index.js';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { basic, decodeJwt, envelope, send, type TestApplication } from './helpers.js';
import {
  assertInvalidToken,
  claimsOf,
  getScopes,
  introspect,
  introspectRaw,
  isActive,
  issueToken,
  revoke,
  serverSigningKey,
  signHs256,
  signWith,
  unsigned,
  withPayload,
} from './lifecycle-helpers.js';
import { ed25519Key, type TestKey } from './verify-helpers.js';

describe('POST /oauth/introspect and GET /applications/scopes', () => {
  let server: InProcessServer;
  /** The bound base URL (the default issuer), for the remote verifier. */
  let url: string;
  let resource: TestApplication; // the resource server asking
  let alice: TestApplication;
  let forever: TestApplication;
  let key: TestKey;

  before(async () => {
    server = await inProcessServer();
    url = await server.listen();
    resource = await server.createApplication({ name: 'resource server', scopes: 'sms' });
    alice = await server.createApplication({ name: 'alice', scopes: 'sms groups reports' });
    forever = await server.createApplication({ name: 'forever', expiration: 'never', scopes: 'otp' });
    key = await serverSigningKey(server);
  });
  after(async () => {
    await server.close();
  });

  it('describes an active token with exactly the RFC 7662 fields', async () => {
    const token = await issueToken(server, alice, 'reports sms');
    const claims = claimsOf(token);
    const response = await introspectRaw(server, resource, `token=${token}`);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers.pragma, 'no-cache');
    assert.equal(typeof response.headers['x-request-id'], 'string');
    assert.equal(typeof response.headers['x-response-time'], 'string');
    assert.deepEqual(response.json, {
      active: true,
      scope: 'sms reports',
      client_id: alice.application_id,
      sub: alice.application_id,
      aud: 'https://api.sms.cx',
      iss: url,
      iat: claims.iat,
      exp: claims.exp,
      jti: claims.jti,
      token_type: 'Bearer',
    });
    assert.equal((claims.exp as number) - (claims.iat as number), 86400);
  });

  it('omits exp for a never-expiring token', async () => {
    const token = await issueToken(server, forever);
    const answer = await introspect(server, resource, token);
    assert.equal(answer.active, true);
    assert.equal('exp' in answer, false);
    assert.equal(answer.scope, 'otp');
  });

  it('any active application may introspect any token; a disabled one gets 403, a wrong secret 401', async () => {
    const token = await issueToken(server, alice);
    assert.equal(await isActive(server, forever, token), true);
    const wrong = await introspectRaw(server, { ...resource, application_secret: 'nope' }, `token=${token}`);
    assert.equal(wrong.status, 401);
    assert.equal(envelope(wrong).type, 'invalid_client');
    assert.equal(wrong.headers['www-authenticate'], 'Basic realm="smscx-oauth", charset="UTF-8"');
    const dave = await server.createApplication({ name: 'dave' });
    assert.equal(await isActive(server, dave, token), true, 'dave may introspect while active');
    await server.admin.disable(dave.application_id);
    const refused = await introspectRaw(server, dave, `token=${token}`);
    assert.equal(refused.status, 403);
    assert.equal(envelope(refused).type, 'access_denied');
  });

  it('400 invalid_request for a missing token or a wrong content type; 405 for GET', async () => {
    for (const [body, headers] of [
      ['', {}],
      ['token=', {}],
      ['token=a&token=a', {}],
      ['token=a', { 'content-type': 'text/plain' }],
    ] as const) {
      const response = await introspectRaw(server, resource, body, headers);
      assert.equal(response.status, 400, body);
      assert.equal(envelope(response).type, 'invalid_request');
    }
    const get = await send(server, { method: 'GET', path: '/oauth/introspect' });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
  });

  it('inactive: revoked through POST /oauth/revoke (jti denylist)', async () => {
    const token = await issueToken(server, alice);
    await revoke(server, alice, token);
    assert.deepEqual(await introspect(server, resource, token), { active: false });
    assertInvalidToken(await getScopes(server, token));
  });

  it('inactive: expired (signed with the real key, exp in the past)', async () => {
    const now = Math.floor(server.clock() / 1000);
    const token = signWith(key, {
      ...claimsOf(await issueToken(server, alice)),
      iat: now - 90_000,
      exp: now - 1,
    });
    assert.deepEqual(await introspect(server, resource, token), { active: false });
    assertInvalidToken(await getScopes(server, token));
  });

  it('control: a token forged with the real key and fresh claims is active (the forging helper is sound)', async () => {
    const token = signWith(key, {
      ...claimsOf(await issueToken(server, alice)),
      jti: 'forged-but-valid',
    });
    assert.equal(await isActive(server, resource, token), true);
    assert.equal((await getScopes(server, token)).status, 200);
  });

  it('inactive: disabled application, and active again once re-enabled', async () => {
    const erin = await server.createApplication({ name: 'erin' });
    const token = await issueToken(server, erin);
    assert.equal(await isActive(server, resource, token), true);
    await server.admin.disable(erin.application_id);
    assert.equal(await isActive(server, resource, token), false);
    assertInvalidToken(await getScopes(server, token));
    await server.admin.enable(erin.application_id);
    assert.equal(await isActive(server, resource, token), true);
    assert.equal((await getScopes(server, token)).status, 200);
  });

  it('inactive: deleted application', async () => {
    const frank = await server.createApplication({ name: 'frank' });
    const token = await issueToken(server, frank);
    assert.equal(await isActive(server, resource, token), true);
    await server.admin.delete(frank.application_id);
    assert.equal(await isActive(server, resource, token), false);
    assertInvalidToken(await getScopes(server, token));
  });

  it('inactive: issued before the application’s tokens_not_before (written by another process)', async () => {
    const token = await issueToken(server, alice);
    const iat = claimsOf(token).iat as number;
    // Another process writes through its own connection; this server applies the change log
    // (what its follower does on every poll).
    const other = openSqliteStorage(server.db);
    try {
      // Not-before exactly one second after the token's iat: revoked. At its iat: still active.
      await other.updateApplication(alice.application_id, { tokensNotBefore: iat * 1000 });
      await server.app.applyChanges();
      assert.equal(await isActive(server, resource, token), true, 'iat == not-before second: active');
      await other.updateApplication(alice.application_id, { tokensNotBefore: iat * 1000 + 1 });
      await server.app.applyChanges();
      assert.equal(await isActive(server, resource, token), false);
      assertInvalidToken(await getScopes(server, token));
    } finally {
      await other.updateApplication(alice.application_id, { tokensNotBefore: null });
      await other.close();
    }
    await server.app.applyChanges();
    assert.equal(await isActive(server, resource, token), true, 'lifting it restores');
  });

  describe('forged and broken tokens: inactive, and 401 invalid_token from /applications/scopes', () => {
    const forgeries: Array<[string, () => Promise<string>]> = [
      ['malformed: not a JWT', async () => 'hello'],
      ['malformed: three bad segments', async () => 'a.b.c'],
      [
        'malformed: JSON payload that is not an object',
        async () => {
          const [h, , s] = (await issueToken(server, alice)).split('.');
          return `${h}.${Buffer.from('[1]').toString('base64url')}.${s}`;
        },
      ],
      ['alg none, no signature', async () => unsigned(claimsOf(await issueToken(server, alice)), key.kid)],
      [
        'alg none with the real signature',
        async () => {
          const real = await issueToken(server, alice);
          const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: key.kid })).toString(
            'base64url',
          );
          return `${header}.${real.split('.')[1]}.${real.split('.')[2]}`;
        },
      ],
      [
        'HS256 keyed with the public key bytes (raw x)',
        async () =>
          signHs256(
            Buffer.from(key.jwk.x as string, 'base64url'),
            claimsOf(await issueToken(server, alice)),
            key.kid,
          ),
      ],
      [
        'HS256 keyed with the public key PEM',
        async () =>
          signHs256(
            key.publicKey.export({ format: 'pem', type: 'spki' }) as string,
            claimsOf(await issueToken(server, alice)),
            key.kid,
          ),
      ],
      [
        'HS256 keyed with the JWK JSON',
        async () => signHs256(JSON.stringify(key.jwk), claimsOf(await issueToken(server, alice)), key.kid),
      ],
      [
        'wrong issuer (real key)',
        async () =>
          signWith(key, { ...claimsOf(await issueToken(server, alice)), iss: 'https://evil.example' }),
      ],
      [
        'tampered payload (scope widened, signature kept)',
        async () => {
          const real = await issueToken(server, alice, 'sms');
          return withPayload(real, { ...claimsOf(real), scope: 'sms groups reports otp' });
        },
      ],
      [
        'tampered signature',
        async () => {
          const real = await issueToken(server, alice);
          const last = real.at(-2) === 'A' ? 'B' : 'A';
          return `${real.slice(0, -2)}${last}${real.at(-1)}`;
        },
      ],
      [
        'unknown kid (another key)',
        async () => signWith(ed25519Key('someone-else'), claimsOf(await issueToken(server, alice))),
      ],
      [
        'the server’s kid, signed with another key',
        async () => signWith(ed25519Key(key.kid), claimsOf(await issueToken(server, alice))),
      ],
      [
        'wrong typ (JWT instead of at+jwt)',
        async () => signWith(key, claimsOf(await issueToken(server, alice)), { typ: 'JWT' }),
      ],
      [
        'issued in the future',
        async () => {
          const now = Math.floor(server.clock() / 1000);
          return signWith(key, {
            ...claimsOf(await issueToken(server, alice)),
            iat: now + 3600,
            exp: now + 7200,
          });
        },
      ],
    ];
    for (const [name, forge] of forgeries) {
      it(name, async () => {
        const token = await forge();
        assert.deepEqual(await introspect(server, resource, token), { active: false });
        assertInvalidToken(await getScopes(server, token), name);
      });
    }
  });

  it('GET /applications/scopes: no token is 401 with a bare Bearer challenge; Basic is not a bearer token', async () => {
    const none = await getScopes(server, undefined);
    assert.equal(none.status, 401);
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="smscx"');
    assert.deepEqual(envelope(none), {
      type: 'invalid_token',
      code: 1601,
      message: 'Missing bearer token',
      uri: 'https://docs.sms.cx/#invalid_token',
    });
    const basicAuth = await send(server, {
      method: 'GET',
      path: '/applications/scopes',
      headers: { authorization: basic(alice.application_id, alice.application_secret) },
    });
    assert.equal(basicAuth.status, 401);
    assert.equal(basicAuth.headers['www-authenticate'], 'Bearer realm="smscx"');
  });

  it('GET /applications/scopes: any valid token (any scope) gets the catalogue', async () => {
    const token = await issueToken(server, forever); // scope "otp" only
    const response = await getScopes(server, token);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    // A JSON array of the scope names, catalogue order (the descriptions are in the admin API).
    assert.deepEqual(
      response.json,
      'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp'.split(
        ' ',
      ),
    );
    assert.equal(decodeJwt(token).payload.scope, 'otp');
  });

  it('a remote verifier with introspection configured refuses a revoked token (interop with verify/)', async () => {
    const verifier = createVerifier({
      issuer: url,
      audience: 'https://api.sms.cx',
      now: server.clock,
      introspection: {
        url: `${url}/oauth/introspect`,
        clientId: resource.application_id,
        clientSecret: resource.application_secret,
        cacheTtlMs: 0,
      },
    });
    const token = await issueToken(server, alice, 'sms');
    assert.equal((await verifier.verify(token, { scopes: ['sms'] })).client_id, alice.application_id);
    await revoke(server, alice, token);
    await assert.rejects(verifier.verify(token), (err: unknown) => {
      assert.ok(err instanceof TokenVerificationError);
      assert.equal(err.reason, 'revoked');
      return true;
    });
  });
});
