// POST /oauth/token against the app built in process (fixture.ts), through app.inject: every
// contract row, header and envelope.
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type InProcessServer, inProcessServer } from './fixture.js';
import {
  basic,
  decodeJwt,
  envelope,
  FORM,
  type RawResponse,
  requestToken,
  send,
  type TestApplication,
} from './helpers.js';

const ALL_SCOPES =
  'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp';

function assertError(response: RawResponse, status: number, type: string, code: number): void {
  assert.equal(response.status, status, response.body);
  const error = envelope(response);
  assert.equal(error.type, type);
  assert.equal(error.code, code);
  assert.equal(error.uri, `https://docs.sms.cx/#${type}`);
  assert.ok(error.message.length > 0 && error.message.length < 120);
  assert.match(String(response.headers['content-type']), /^application\/json/);
}

function assertTokenHeaders(response: RawResponse): void {
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.equal(response.headers.pragma, 'no-cache');
  assert.match(String(response.headers['x-request-id']), /^[A-Za-z0-9._:-]{1,64}$/);
  assert.match(String(response.headers['x-response-time']), /^\d+\.\d{2}ms$/);
}

describe('POST /oauth/token', () => {
  let server: InProcessServer;
  /** The bound base URL, which the default issuer becomes. */
  let url: string;
  let app: TestApplication;
  let limited: TestApplication;
  let weekly: TestApplication;
  let forever: TestApplication;
  let disabled: TestApplication;

  before(async () => {
    server = await inProcessServer();
    // Requests go through app.inject; listening only resolves the default issuer (the bound URL).
    url = await server.listen();
    app = await server.createApplication({ name: 'full' });
    limited = await server.createApplication({ name: 'limited', scopes: 'groups sms' });
    weekly = await server.createApplication({ name: 'weekly', expiration: '1w' });
    forever = await server.createApplication({ name: 'forever', expiration: 'never' });
    disabled = await server.createApplication({ name: 'disabled' });
    await server.admin.disable(disabled.application_id);
  });
  after(async () => {
    await server.close();
  });

  it('issues a token with every allowed scope when scope is omitted', async () => {
    const response = await requestToken(server, app);
    assert.equal(response.status, 200);
    assertTokenHeaders(response);
    assert.equal(response.headers['x-rate-limit-limit'], '600');
    assert.equal(response.headers['x-rate-limit-remaining'], '599');
    const body = response.json as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 86400);
    assert.equal(body.scope, ALL_SCOPES);
  });

  it('signs an RFC 9068 JWT that verifies with the published JWKS', async () => {
    const response = await requestToken(server, app, 'grant_type=client_credentials&scope=groups+sms');
    const token = (response.json as { access_token: string }).access_token;
    const { header, payload } = decodeJwt(token);
    assert.equal(header.alg, 'EdDSA');
    assert.equal(header.typ, 'at+jwt');
    assert.equal(typeof header.kid, 'string');
    assert.equal(payload.iss, url);
    assert.equal(payload.sub, app.application_id);
    assert.equal(payload.client_id, app.application_id);
    assert.equal(payload.aud, 'https://api.sms.cx');
    assert.equal(payload.scope, 'sms groups');
    assert.equal(typeof payload.iat, 'number');
    assert.equal(payload.exp, (payload.iat as number) + 86400);
    assert.match(String(payload.jti), /^[A-Za-z0-9_-]{22}$/);

    const jwks = await send(server, { method: 'GET', path: '/.well-known/jwks.json' });
    assert.equal(jwks.status, 200);
    const keys = (jwks.json as { keys: Array<Record<string, string>> }).keys;
    const jwk = keys.find((key) => key.kid === header.kid);
    assert.ok(jwk);
    assert.deepEqual(Object.keys(jwk).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x']);
    assert.equal(jwk.kty, 'OKP');
    assert.equal(jwk.crv, 'Ed25519');
    assert.equal(jwk.alg, 'EdDSA');
    assert.equal(jwk.use, 'sig');
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, format: 'jwk' });
    const [h, p, s] = token.split('.');
    assert.ok(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s!, 'base64url')));
    assert.ok(!verify(null, Buffer.from(`${h}.${p}x`), key, Buffer.from(s!, 'base64url')));
  });

  it('collapses repeated scope tokens and reports them in catalogue order', async () => {
    const response = await requestToken(
      server,
      app,
      'grant_type=client_credentials&scope=templates%20sms  groups templates',
    );
    assert.equal(response.status, 200);
    assert.equal((response.json as { scope: string }).scope, 'sms groups templates');
  });

  it('treats an empty scope like an omitted one', async () => {
    const response = await requestToken(server, limited, 'grant_type=client_credentials&scope=');
    assert.equal(response.status, 200);
    assert.equal((response.json as { scope: string }).scope, 'sms groups');
  });

  it('accepts a charset parameter and any case in the content type', async () => {
    const response = await requestToken(server, app, 'grant_type=client_credentials', {
      'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-8',
    });
    assert.equal(response.status, 200);
  });

  it('reports expires_in 604800 for 1w and 0 without exp for never', async () => {
    const week = await requestToken(server, weekly);
    assert.equal((week.json as { expires_in: number }).expires_in, 604800);
    const never = await requestToken(server, forever);
    assert.equal(never.status, 200);
    const body = never.json as { expires_in: number; access_token: string };
    assert.equal(body.expires_in, 0);
    assert.equal('exp' in decodeJwt(body.access_token).payload, false);
  });

  it('issues a fresh jti per token', async () => {
    const a = await requestToken(server, app);
    const b = await requestToken(server, app);
    const jtiA = decodeJwt((a.json as { access_token: string }).access_token).payload.jti;
    const jtiB = decodeJwt((b.json as { access_token: string }).access_token).payload.jti;
    assert.notEqual(jtiA, jtiB);
  });

  describe('400 invalid_request', () => {
    const cases: Array<[string, string, Record<string, string>?]> = [
      ['missing grant_type', 'scope=sms'],
      ['empty body', ''],
      ['repeated grant_type', 'grant_type=client_credentials&grant_type=client_credentials'],
      ['repeated scope', 'grant_type=client_credentials&scope=sms&scope=sms'],
      ['repeated unknown parameter', 'grant_type=client_credentials&x=1&x=2'],
      ['malformed percent-encoding', 'grant_type=client_credentials&scope=%E0%A4%A'],
      ['lone surrogate percent-encoding', 'grant_type=client_credentials&scope=%ED%A0%80'],
      ['client_secret in the body', 'grant_type=client_credentials&client_secret=abc'],
      ['JSON content type', '{"grant_type":"client_credentials"}', { 'content-type': 'application/json' }],
      ['text/plain content type', 'grant_type=client_credentials', { 'content-type': 'text/plain' }],
      ['multipart content type', 'grant_type=client_credentials', { 'content-type': 'multipart/form-data' }],
      [
        'content type prefix trick',
        'grant_type=client_credentials',
        { 'content-type': 'application/x-www-form-urlencodedx' },
      ],
    ];
    for (const [name, body, headers] of cases) {
      it(name, async () => {
        const response = await requestToken(server, app, body, headers ?? {});
        assertError(response, 400, 'invalid_request', 1600);
        assertTokenHeaders(response);
      });
    }

    it('missing content type', async () => {
      const response = await send(server, {
        headers: { authorization: basic(app.application_id, app.application_secret) },
        body: 'grant_type=client_credentials',
      });
      assertError(response, 400, 'invalid_request', 1600);
    });

    it('no body at all', async () => {
      const response = await send(server, {
        headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
      });
      assertError(response, 400, 'invalid_request', 1600);
    });
  });

  describe('400 unsupported_grant_type', () => {
    for (const grant of ['password', 'authorization_code', 'CLIENT_CREDENTIALS', 'client_credentials%20']) {
      it(grant, async () => {
        const response = await requestToken(server, app, `grant_type=${grant}`);
        assertError(response, 400, 'unsupported_grant_type', 1600);
      });
    }
  });

  describe('400 invalid_scope', () => {
    const scopes: Array<[string, string]> = [
      ['unknown scope', 'payments'],
      ['wrong case', 'SMS'],
      ['malformed token (quote)', '%22sms%22'],
      ['malformed token (backslash)', 'sms%5C'],
      ['non-ASCII token', '%C3%A9t%C3%A9'],
      ['control character', 'sms%09groups'],
      ['10,000-character scope', 'a'.repeat(10_000)],
      ['10,000 characters of valid tokens', 'sms+'.repeat(2_500)],
    ];
    for (const [name, scope] of scopes) {
      it(name, async () => {
        const response = await requestToken(server, app, `grant_type=client_credentials&scope=${scope}`);
        assertError(response, 400, 'invalid_scope', 1600);
      });
    }

    it('scope not allowed for this application', async () => {
      const response = await requestToken(server, limited, 'grant_type=client_credentials&scope=sms+viber');
      assertError(response, 400, 'invalid_scope', 1600);
    });
  });

  describe('401 invalid_client', () => {
    const headers: Array<[string, string | undefined]> = [
      ['no Authorization header', undefined],
      ['Bearer scheme', 'Bearer abc'],
      ['Basic without a value', 'Basic '],
      ['invalid base64', 'Basic !!!!'],
      ['base64 with bad length', 'Basic YWJj='],
      ['no colon', `Basic ${Buffer.from('justanid').toString('base64')}`],
      ['empty id', `Basic ${Buffer.from(':secret').toString('base64')}`],
      ['bad percent-encoding in id', `Basic ${Buffer.from('%zz:secret').toString('base64')}`],
      ['invalid UTF-8', `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString('base64')}`],
      ['unknown application', basic('0'.repeat(40), 'secret')],
    ];
    for (const [name, authorization] of headers) {
      it(name, async () => {
        const response = await send(server, {
          headers: { 'content-type': FORM, ...(authorization === undefined ? {} : { authorization }) },
          body: 'grant_type=client_credentials',
        });
        assertError(response, 401, 'invalid_client', 1600);
        assertTokenHeaders(response);
        assert.match(String(response.headers['www-authenticate']), /^Basic realm="[^"]+"/);
        assert.equal(response.headers['x-rate-limit-limit'], '20');
        assert.match(String(response.headers['x-rate-limit-remaining']), /^\d+$/);
      });
    }

    it('wrong secret answers exactly like an unknown application', async () => {
      const wrong = await requestToken(server, { ...app, application_secret: 'x'.repeat(43) });
      const unknown = await requestToken(server, { ...app, application_id: 'f'.repeat(40) });
      assertError(wrong, 401, 'invalid_client', 1600);
      assert.equal(wrong.body, unknown.body);
      assert.equal(wrong.headers['www-authenticate'], unknown.headers['www-authenticate']);
    });

    it('accepts form-encoded credentials inside Basic (RFC 6749 §2.3.1)', async () => {
      const encoded = `Basic ${Buffer.from(`${app.application_id}:${encodeURIComponent(app.application_secret)}`).toString('base64')}`;
      const response = await send(server, {
        headers: { authorization: encoded, 'content-type': FORM },
        body: 'grant_type=client_credentials',
      });
      assert.equal(response.status, 200);
      const lowercase = await send(server, {
        headers: {
          authorization: basic(app.application_id, app.application_secret).replace('Basic', 'basic'),
          'content-type': FORM,
        },
        body: 'grant_type=client_credentials',
      });
      assert.equal(lowercase.status, 200);
    });

    it('does not accept credentials in the body', async () => {
      const response = await send(server, {
        headers: { 'content-type': FORM },
        body: `grant_type=client_credentials&client_id=${app.application_id}&client_secret=${app.application_secret}`,
      });
      assertError(response, 401, 'invalid_client', 1600);
    });
  });

  it('403 access_denied for a disabled application with the right secret', async () => {
    const response = await requestToken(server, disabled);
    assertError(response, 403, 'access_denied', 1603);
    assertTokenHeaders(response);
    const wrong = await requestToken(server, { ...disabled, application_secret: 'nope' });
    assertError(wrong, 401, 'invalid_client', 1600);
  });

  describe('405 invalid_method', () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']) {
      it(method, async () => {
        const response = await send(server, {
          method,
          headers: { authorization: basic(app.application_id, app.application_secret) },
        });
        assert.equal(response.status, 405);
        assert.equal(response.headers.allow, 'POST');
        assertTokenHeaders(response);
        assert.equal(response.headers['x-rate-limit-limit'], '20');
        if (method !== 'HEAD') assertError(response, 405, 'invalid_method', 1605);
      });
    }
  });

  it('413 for a body over 16 KiB', async () => {
    const response = await requestToken(
      server,
      app,
      `grant_type=client_credentials&pad=${'a'.repeat(17 * 1024)}`,
    );
    assertError(response, 413, 'invalid_request', 1613);
    assert.equal(envelope(response).message, 'Request body too large');
    assertTokenHeaders(response);
  });

  it('404 not_found with the envelope and headers on unknown paths', async () => {
    for (const path of ['/', '/oauth/token/', '/oauth', '/nope?x=1', '/.well-known/openid-configuration']) {
      const response = await send(server, { method: 'GET', path });
      assertError(response, 404, 'not_found', 1604);
      assert.match(String(response.headers['x-request-id']), /^[A-Za-z0-9._:-]{1,64}$/);
      assert.match(String(response.headers['x-response-time']), /^\d+\.\d{2}ms$/);
    }
  });

  it('ignores query strings on the token path', async () => {
    const response = await send(server, {
      path: '/oauth/token?grant_type=password',
      headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 200);
  });

  describe('X-Request-Id', () => {
    it('echoes a safe incoming id', async () => {
      const response = await requestToken(server, app, undefined, { 'x-request-id': 'abc-123_X.y:z' });
      assert.equal(response.headers['x-request-id'], 'abc-123_X.y:z');
    });
    for (const [name, value] of [
      ['too long', 'a'.repeat(65)],
      ['unsafe characters', 'abc def'],
      ['header injection attempt', 'abc;rm'],
    ] as const) {
      it(`replaces an incoming id that is ${name}`, async () => {
        const response = await send(server, {
          method: 'GET',
          path: '/x',
          headers: { 'x-request-id': value },
        });
        const id = String(response.headers['x-request-id']);
        assert.notEqual(id, value);
        assert.match(id, /^[A-Za-z0-9._:-]{1,64}$/);
      });
    }
    it('makes a unique id per request', async () => {
      const a = await send(server, { method: 'GET', path: '/x' });
      const b = await send(server, { method: 'GET', path: '/x' });
      assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
    });
  });

  it('never echoes the secret in any response', async () => {
    const responses = await Promise.all([
      requestToken(server, app, `grant_type=password&client_secret=${app.application_secret}`),
      requestToken(server, app, `scope=${app.application_secret}`),
      requestToken(server, { ...app, application_secret: `${app.application_secret}x` }),
    ]);
    for (const response of responses) {
      assert.ok(response.status >= 400);
      assert.ok(!response.body.includes(app.application_secret));
      assert.ok(!JSON.stringify(response.headers).includes(app.application_secret));
    }
  });
});
