// CORS (`--cors-origin`): browsers of the listed origins may get tokens and call the SMS.CX
// applications endpoints; nobody else, and never the admin API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/admin/api-keys.js';
import { ConfigError, resolveConfig } from '../src/config/options.js';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { basic, FORM, type TestApplication } from './helpers.js';

const APP_ORIGIN = 'https://app.example.test';

describe('CORS', () => {
  let server: InProcessServer;
  let created: TestApplication;
  before(async () => {
    server = await inProcessServer({ corsOrigins: [APP_ORIGIN, 'http://localhost:5173'] });
    created = await server.createApplication();
  });
  after(() => server.close());

  it('answers a preflight of an allowed origin on the token endpoint, before any authentication', async () => {
    const response = await server.send({
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    assert.equal(response.status, 204);
    assert.equal(response.headers['access-control-allow-origin'], APP_ORIGIN);
    assert.equal(response.headers['access-control-allow-methods'], 'POST');
    assert.match(String(response.headers['access-control-allow-headers']), /Authorization/);
    assert.match(String(response.headers['access-control-allow-headers']), /Content-Type/);
    assert.equal(response.headers['access-control-max-age'], '600');
    assert.equal(response.headers['access-control-allow-credentials'], undefined);
    assert.match(String(response.headers.vary), /Origin/);
  });

  it('lets the allowed origin read the token answer and its request ID and rate-limit headers', async () => {
    const response = await server.send({
      headers: {
        origin: APP_ORIGIN,
        authorization: basic(created.application_id, created.application_secret),
        'content-type': FORM,
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers['access-control-allow-origin'], APP_ORIGIN);
    const exposed = String(response.headers['access-control-expose-headers']);
    for (const header of ['X-Request-Id', 'X-Rate-Limit-Remaining', 'X-Rate-Limit-Reset', 'Retry-After']) {
      assert.ok(exposed.includes(header), `${header} is exposed`);
    }
  });

  it('covers the applications endpoints and the key documents', async () => {
    const { key } = await createApiKey(server.storage, server.pepper, 'browser');
    for (const path of ['/applications/scopes', '/applications', '/.well-known/jwks.json']) {
      const response = await server.send({
        method: 'GET',
        path,
        headers: { origin: APP_ORIGIN, 'x-api-key': key },
      });
      assert.equal(response.status, 200, path);
      assert.equal(response.headers['access-control-allow-origin'], APP_ORIGIN, path);
    }
  });

  it('says nothing to another origin, nor on the admin API, revocation or introspection', async () => {
    const other = await server.send({
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.test', 'access-control-request-method': 'POST' },
    });
    assert.notEqual(other.status, 204);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
    for (const path of ['/admin/v1/me', '/oauth/revoke', '/oauth/introspect']) {
      const preflight = await server.send({
        method: 'OPTIONS',
        path,
        headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
      });
      assert.notEqual(preflight.status, 204, path);
      assert.equal(preflight.headers['access-control-allow-origin'], undefined, path);
    }
  });

  it('is off by default: a preflight is a 405 like any OPTIONS', async () => {
    const plain = await inProcessServer();
    try {
      const response = await plain.send({
        method: 'OPTIONS',
        headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' },
      });
      assert.equal(response.status, 405);
      assert.equal(response.headers['access-control-allow-origin'], undefined);
    } finally {
      await plain.close();
    }
  });

  it('takes origins from --cors-origin or SMSCX_CORS_ORIGINS, and refuses anything but origins', () => {
    assert.deepEqual(resolveConfig({}, {}).corsOrigins, []);
    assert.deepEqual(
      resolveConfig({}, { SMSCX_CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` }).corsOrigins,
      [APP_ORIGIN, 'http://localhost:5173'],
    );
    for (const bad of [
      '*',
      'app.example.test',
      'https://app.example.test/',
      'https://app.example.test/path',
      'ftp://x',
    ]) {
      assert.throws(() => resolveConfig({ corsOrigins: bad }, {}), ConfigError, bad);
    }
  });
});
