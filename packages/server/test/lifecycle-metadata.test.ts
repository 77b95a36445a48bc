// GET /.well-known/oauth-authorization-server (RFC 8414), the scope catalogue endpoint's body,
// and 405 answers on every known path, against the app built in process (fixture.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { envelope, send, type TestApplication } from './helpers.js';
import { getScopes, issueToken } from './lifecycle-helpers.js';

const METADATA = '/.well-known/oauth-authorization-server';

describe('authorization server metadata (default issuer)', () => {
  let server: InProcessServer;
  /** The bound base URL, which the default issuer becomes. */
  let url: string;

  before(async () => {
    server = await inProcessServer();
    url = await server.listen();
  });
  after(async () => {
    await server.close();
  });

  it('describes the server with URLs built from the issuer', async () => {
    const response = await send(server, { method: 'GET', path: METADATA });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'public, max-age=300');
    assert.equal(typeof response.headers['x-request-id'], 'string');
    assert.equal(typeof response.headers['x-response-time'], 'string');
    assert.deepEqual(response.json, {
      issuer: url,
      token_endpoint: `${url}/oauth/token`,
      jwks_uri: `${url}/.well-known/jwks.json`,
      revocation_endpoint: `${url}/oauth/revoke`,
      introspection_endpoint: `${url}/oauth/introspect`,
      scopes_supported: [
        'sms',
        'viber',
        'whatsapp',
        'multichannel',
        'conversations',
        'groups',
        'templates',
        'originators',
        'numbers',
        'reports',
        'shortlinks',
        'attachments',
        'optouts',
        'otp',
      ],
      response_types_supported: [],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic'],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
  });

  it('every advertised endpoint exists', async () => {
    const metadata = (await send(server, { method: 'GET', path: METADATA })).json as Record<string, string>;
    assert.equal(
      (await send(server, { method: 'GET', path: new URL(metadata.jwks_uri!).pathname })).status,
      200,
    );
    for (const name of ['token_endpoint', 'revocation_endpoint', 'introspection_endpoint']) {
      // Without credentials each answers 401 invalid_client (not 404).
      const response = await send(server, { path: new URL(metadata[name]!).pathname });
      assert.equal(response.status, 401, name);
      assert.equal(envelope(response).type, 'invalid_client');
    }
  });

  it('answers HEAD on the GET endpoints', async () => {
    for (const path of [METADATA, '/.well-known/jwks.json']) {
      const response = await send(server, { method: 'HEAD', path });
      assert.equal(response.status, 200, path);
      assert.equal(response.body, '');
    }
    assert.equal((await send(server, { method: 'HEAD', path: '/applications/scopes' })).status, 401);
    assert.equal((await send(server, { method: 'HEAD', path: '/applications' })).status, 401);
  });

  it('405 with Allow on every known path for a method it does not answer; 404 elsewhere', async () => {
    const cases: Array<[string, string, string]> = [
      ['POST', METADATA, 'GET, HEAD'],
      ['PUT', METADATA, 'GET, HEAD'],
      ['POST', '/.well-known/jwks.json', 'GET, HEAD'],
      ['DELETE', '/.well-known/jwks.json?x=1', 'GET, HEAD'],
      ['POST', '/applications/scopes', 'GET, HEAD'],
      ['PATCH', '/applications/scopes', 'GET, HEAD'],
      ['POST', '/applications', 'GET, HEAD'],
      ['DELETE', '/applications', 'GET, HEAD'],
      ['GET', '/oauth/revoke', 'POST'],
      ['OPTIONS', '/oauth/revoke', 'POST'],
      ['GET', '/oauth/introspect', 'POST'],
      ['PUT', '/oauth/introspect', 'POST'],
      ['GET', '/oauth/token', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await send(server, { method, path });
      assert.equal(response.status, 405, `${method} ${path}`);
      assert.equal(response.headers.allow, allow, `${method} ${path}`);
      const error = envelope(response);
      assert.equal(error.type, 'invalid_method');
      assert.equal(error.code, 1605);
      assert.equal(
        error.message,
        allow === 'POST' ? 'Method not allowed (use POST)' : 'Method not allowed (use GET)',
      );
      if (allow === 'POST') assert.equal(response.headers['cache-control'], 'no-store');
    }
    const unknown = await send(server, { method: 'GET', path: '/applications/other' });
    assert.equal(unknown.status, 404);
    assert.equal(envelope(unknown).type, 'not_found');
  });
});

describe('authorization server metadata (configured issuer and scope catalogue)', () => {
  let server: InProcessServer;
  let app: TestApplication;
  const catalogue = 'sms reports custom:read';

  before(async () => {
    server = await inProcessServer({
      issuer: 'https://auth.example.com/tenant',
      scopes: catalogue.split(' '),
    });
    app = await server.createApplication({ scopes: 'custom:read' });
  });
  after(async () => {
    await server.close();
  });

  it('builds endpoint URLs under the issuer’s path and lists the configured scopes', async () => {
    const metadata = (await send(server, { method: 'GET', path: METADATA })).json as Record<string, unknown>;
    assert.equal(metadata.issuer, 'https://auth.example.com/tenant');
    assert.equal(metadata.token_endpoint, 'https://auth.example.com/tenant/oauth/token');
    assert.equal(metadata.revocation_endpoint, 'https://auth.example.com/tenant/oauth/revoke');
    assert.equal(metadata.introspection_endpoint, 'https://auth.example.com/tenant/oauth/introspect');
    assert.equal(metadata.jwks_uri, 'https://auth.example.com/tenant/.well-known/jwks.json');
    assert.deepEqual(metadata.scopes_supported, ['sms', 'reports', 'custom:read']);
  });

  it('GET /applications/scopes lists the configured catalogue, in its order', async () => {
    const token = await issueToken(server, app);
    const response = await getScopes(server, token);
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(response.json, ['sms', 'reports', 'custom:read']);
  });
});
