// The SMS.CX applications endpoints (CONTRACT.md, "SMS.CX applications endpoints"), in process:
// GET /applications/scopes with a Bearer token or an API key, GET /applications with an API key,
// and the API-key authentication itself (refusals, revocation, the per-IP failure budget, a
// database that cannot be read).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createApiKey, revokeApiKey } from '../src/admin/api-keys.js';
import { type InProcessServer, inProcessServer } from './fixture.js';
import { envelope, type RawResponse, type TestApplication } from './helpers.js';
import { getScopes, issueToken } from './lifecycle-helpers.js';

const CATALOGUE =
  'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp'.split(
    ' ',
  );

function get(
  server: InProcessServer,
  path: string,
  apiKey?: string,
  extra: { method?: string; remoteAddress?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return server.send({
    method: extra.method ?? 'GET',
    path,
    headers: { ...(apiKey === undefined ? {} : { 'x-api-key': apiKey }), ...extra.headers },
    ...(extra.remoteAddress === undefined ? {} : { remoteAddress: extra.remoteAddress }),
  });
}

function assertInvalidApiKey(response: RawResponse): void {
  assert.equal(response.status, 401, response.body);
  assert.deepEqual(envelope(response), {
    type: 'invalid_api_key',
    code: 1602,
    message: 'Missing or invalid API key',
    uri: 'https://docs.sms.cx/#invalid_api_key',
  });
}

describe('GET /applications/scopes', () => {
  let server: InProcessServer;
  let app: TestApplication;
  let key: string;

  before(async () => {
    server = await inProcessServer();
    app = await server.createApplication({ name: 'scopes', scopes: 'otp' });
    key = (await createApiKey(server.storage, server.pepper, 'reader')).key;
  });
  after(async () => {
    await server.close();
  });

  it('a Bearer access token gets the array of scope names, catalogue order', async () => {
    const response = await getScopes(server, await issueToken(server, app));
    assert.equal(response.status, 200, response.body);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(response.json, CATALOGUE);
  });

  it('an API key gets the same array', async () => {
    const response = await get(server, '/applications/scopes', key);
    assert.equal(response.status, 200, response.body);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(response.json, CATALOGUE);
  });

  it('with X-API-KEY the key decides: a wrong key is 401 invalid_api_key even beside a valid token', async () => {
    const token = await issueToken(server, app);
    const response = await get(server, '/applications/scopes', `${key.slice(0, -1)}A`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assertInvalidApiKey(response);
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('without any credential: 401 invalid_token with the Bearer challenge (as before)', async () => {
    const response = await get(server, '/applications/scopes');
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="smscx"');
    assert.equal(envelope(response).type, 'invalid_token');
  });
});

describe('GET /applications', () => {
  let server: InProcessServer;
  let key: string;

  before(async () => {
    server = await inProcessServer();
    key = (await createApiKey(server.storage, server.pepper, 'lister')).key;
  });
  after(async () => {
    await server.close();
  });

  it('{"data":[]} when there are no applications', async () => {
    const response = await get(server, '/applications', key);
    assert.equal(response.status, 200, response.body);
    assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.deepEqual(response.json, { data: [] });
  });

  it('lists every application newest first, with the secret masked', async () => {
    const first = await server.createApplication({ name: 'first', scopes: 'sms groups', expiration: '1w' });
    const second = await server.createApplication({ name: 'second', expiration: 'never' });
    const records = await server.storage.listApplications();
    const response = await get(server, '/applications', key);
    assert.equal(response.status, 200, response.body);
    const { data } = response.json as { data: Array<Record<string, unknown>> };
    assert.deepEqual(
      data.map((entry) => entry.application_id),
      [second.application_id, first.application_id],
    );
    const [newest, oldest] = data;
    const firstRecord = records.find((record) => record.id === first.application_id)!;
    assert.deepEqual(oldest, {
      id: firstRecord.number,
      application_id: first.application_id,
      application_secret: `****${first.application_secret.slice(-4)}`,
      application_name: 'first',
      scopes: 'sms groups',
      token_expiration: '1w',
      created_at: new Date(firstRecord.createdAt).toISOString(),
    });
    assert.equal(typeof oldest!.id, 'number');
    assert.ok((newest!.id as number) > (oldest!.id as number));
    assert.equal(newest!.scopes, CATALOGUE.join(' '));
    assert.equal(newest!.token_expiration, 'never');
    assert.match(newest!.created_at as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    for (const secret of [first.application_secret, second.application_secret]) {
      assert.equal(response.body.includes(secret), false, 'never the secret');
    }
  });

  it('a secret without a hint is "****"', async () => {
    const created = await server.createApplication({ name: 'no hint' });
    // A secret made before hints existed: no hint stored.
    const sqlite = new Database(server.db);
    try {
      sqlite.prepare('UPDATE applications SET secret_hint = NULL WHERE id = ?').run(created.application_id);
    } finally {
      sqlite.close();
    }
    const { data } = (await get(server, '/applications', key)).json as {
      data: Array<Record<string, unknown>>;
    };
    assert.equal(
      data.find((entry) => entry.application_id === created.application_id)?.application_secret,
      '****',
    );
  });

  it('HEAD answers like GET without a body', async () => {
    const response = await get(server, '/applications', key, { method: 'HEAD' });
    assert.equal(response.status, 200);
    assert.equal(response.body, '');
    assert.equal(response.headers['cache-control'], 'no-store');
  });

  it('API key only: a Bearer token is 401 invalid_api_key', async () => {
    const app = await server.createApplication({ name: 'bearer' });
    const response = await get(server, '/applications', undefined, {
      headers: { authorization: `Bearer ${await issueToken(server, app)}` },
    });
    assertInvalidApiKey(response);
    assert.equal(response.headers['cache-control'], 'no-store');
  });
});

describe('API-key authentication', () => {
  let server: InProcessServer;
  let key: string;
  let keyId: string;

  before(async () => {
    server = await inProcessServer({ authFailureLimit: { points: 3, durationSeconds: 60 } });
    const created = await createApiKey(server.storage, server.pepper, 'auth');
    key = created.key;
    keyId = created.record.id;
  });
  after(async () => {
    await server.close();
  });

  it('refuses missing, malformed, unknown and wrong keys alike (401 invalid_api_key)', async () => {
    const unknownId = `ak_000000000000.${key.split('.')[1]}`;
    const wrong = `${keyId}.${'A'.repeat(43)}`;
    const cases: Array<[string, string | undefined]> = [
      ['missing', undefined],
      ['empty', ''],
      ['malformed', 'not-a-key'],
      ['unknown id', unknownId],
      ['wrong secret', wrong],
    ];
    for (const [index, [name, presented]] of cases.entries()) {
      // One address per case: the budget (3) is the next test's subject.
      const response = await get(server, '/applications', presented, {
        remoteAddress: `10.0.0.${index + 1}`,
      });
      assert.equal(response.status, 401, name);
      assertInvalidApiKey(response);
      assert.equal(response.headers['x-rate-limit-remaining'], '2', name);
    }
  });

  it('wrong and missing keys spend the per-IP failure budget: then 429; another IP is unaffected', async () => {
    const ip = '192.0.2.7';
    const first = await get(server, '/admin/v1/me', 'nope', { remoteAddress: ip });
    assertInvalidApiKey(first);
    assert.equal(first.headers['x-rate-limit-limit'], '3');
    assert.equal(first.headers['x-rate-limit-remaining'], '2');
    assertInvalidApiKey(await get(server, '/applications', undefined, { remoteAddress: ip }));
    const third = await get(server, '/applications/scopes', `${keyId}.${'B'.repeat(43)}`, {
      remoteAddress: ip,
    });
    assertInvalidApiKey(third);
    assert.equal(third.headers['x-rate-limit-remaining'], '0');

    // Blocked: refused before any look-up, even with the right key.
    const blocked = await get(server, '/applications', key, { remoteAddress: ip });
    assert.equal(blocked.status, 429);
    assert.equal(envelope(blocked).type, 'rate_limit');
    assert.equal(blocked.headers['x-rate-limit-limit'], '3');
    assert.equal(blocked.headers['x-rate-limit-remaining'], '0');
    assert.ok(Number(blocked.headers['retry-after']) >= 1);
    assert.ok(Number(blocked.headers['x-rate-limit-reset']) > 0);

    // The same budget as wrong application secrets: the token endpoint refuses this IP too.
    const token = await server.send({ path: '/oauth/token', remoteAddress: ip });
    assert.equal(token.status, 429);

    const elsewhere = await get(server, '/applications', key, { remoteAddress: '192.0.2.8' });
    assert.equal(elsewhere.status, 200, elsewhere.body);

    // The window ends: the key works again from that IP.
    server.clock.advance(61_000);
    assert.equal((await get(server, '/applications', key, { remoteAddress: ip })).status, 200);
  });

  it('a revoked key is refused on the very next request', async () => {
    const { key: doomed, record } = await createApiKey(server.storage, server.pepper, 'doomed');
    assert.equal((await get(server, '/applications', doomed, { remoteAddress: '198.51.100.1' })).status, 200);
    await revokeApiKey(server.storage, record.id);
    assertInvalidApiKey(await get(server, '/applications', doomed, { remoteAddress: '198.51.100.1' }));
    assertInvalidApiKey(await get(server, '/applications/scopes', doomed, { remoteAddress: '198.51.100.1' }));
  });

  it('a database that cannot be read is 503 service_unavailable, never a 500 or a stack', async () => {
    const storage = server.storage as { getApiKey: (id: string) => Promise<unknown> };
    const original = storage.getApiKey;
    storage.getApiKey = () => Promise.reject(new Error('SQLITE_IOERR: disk I/O error at /secret/path'));
    try {
      const response = await get(server, '/applications', key, { remoteAddress: '198.51.100.2' });
      assert.equal(response.status, 503);
      assert.deepEqual(envelope(response), {
        type: 'service_unavailable',
        code: 1654,
        message: 'The database is temporarily unavailable; try again shortly',
        uri: 'https://docs.sms.cx/#service_unavailable',
      });
      assert.equal(response.headers['retry-after'], '1');
      assert.equal(response.body.includes('SQLITE'), false);
    } finally {
      storage.getApiKey = original;
    }
  });

  it('a listing that fails in the database is 503 too', async () => {
    const storage = server.storage as { listApplications: () => Promise<unknown> };
    const original = storage.listApplications;
    storage.listApplications = () => Promise.reject(new Error('connection terminated'));
    try {
      const response = await get(server, '/applications', key, { remoteAddress: '198.51.100.3' });
      assert.equal(response.status, 503);
      assert.equal(envelope(response).code, 1654);
    } finally {
      storage.listApplications = original;
    }
  });
});
