// The admin REST API under /admin/v1, in process (fixture.ts): every endpoint's answers and
// errors, the audit entries of the changes (API key as actor, the response's X-Request-Id),
// changes in force on the token endpoint when the response is sent, and the OpenAPI document.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../src/admin/api-keys.js';
import { ADMIN_ROUTE_METHODS } from '../src/contract/paths.js';
import { collectingLogger, type InProcessServer, inProcessServer } from './fixture.js';
import { envelope, type RawResponse, requestToken, type TestApplication } from './helpers.js';
import { isActive, issueToken } from './lifecycle-helpers.js';

const CATALOGUE =
  'sms viber whatsapp multichannel conversations groups templates originators numbers reports shortlinks attachments optouts otp'.split(
    ' ',
  );
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN_ID = '0'.repeat(40);

interface CallOptions {
  readonly body?: unknown;
  /** Default: the suite's key; null sends none. */
  readonly key?: string | null;
  readonly contentType?: string;
  readonly remoteAddress?: string;
}

type Json = Record<string, unknown>;

/** The `data` of a success body. */
function data<T = Json>(response: RawResponse): T {
  return (response.json as { data: T }).data;
}

function assertBadRequest(response: RawResponse, message: string): void {
  assert.equal(response.status, 400, response.body);
  assert.deepEqual(envelope(response), {
    type: 'invalid_request',
    code: 1600,
    message,
    uri: 'https://docs.sms.cx/#invalid_request',
  });
  assert.equal(response.headers['cache-control'], 'no-store');
}

function assertNotFound(response: RawResponse, message: string): void {
  assert.equal(response.status, 404, response.body);
  assert.equal(envelope(response).type, 'not_found');
  assert.equal(envelope(response).message, message);
  assert.equal(response.headers['cache-control'], 'no-store');
}

describe('admin REST API', () => {
  let server: InProcessServer;
  let key: string;
  let keyId: string;

  function call(method: string, path: string, options: CallOptions = {}): Promise<RawResponse> {
    const apiKey = options.key === undefined ? key : options.key;
    const headers: Record<string, string> = {};
    if (apiKey !== null) headers['x-api-key'] = apiKey;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] = options.contentType ?? 'application/json';
    }
    return server.send({
      method,
      path: `/admin/v1${path}`,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(options.remoteAddress === undefined ? {} : { remoteAddress: options.remoteAddress }),
    });
  }

  /** The audit entries written by the request that got `response`. */
  async function auditOf(response: RawResponse): Promise<Json[]> {
    const requestId = response.headers['x-request-id'];
    assert.equal(typeof requestId, 'string');
    const entries = data<Json[]>(await call('GET', '/audit?limit=500'));
    return entries.filter((entry) => entry.request_id === requestId);
  }

  /** Asserts that `response`'s request wrote one audit entry of `action` on `targetId`, by the suite's key. */
  async function assertAudited(response: RawResponse, action: string, targetId: string): Promise<Json> {
    const entries = await auditOf(response);
    assert.equal(entries.length, 1, `one audit entry for ${action}: ${JSON.stringify(entries)}`);
    const [entry] = entries;
    assert.equal(entry!.action, action);
    assert.equal(entry!.target_id, targetId);
    assert.deepEqual(entry!.actor, { type: 'api_key', id: keyId, name: 'admin tests' });
    return entry!;
  }

  async function create(body: Json = { name: 'app' }): Promise<Json> {
    const response = await call('POST', '/applications', { body });
    assert.equal(response.status, 201, response.body);
    return data(response);
  }

  /** Token-endpoint credentials of an application made through the API. */
  function credentials(created: Json): TestApplication {
    return {
      application_id: created.application_id as string,
      application_secret: created.application_secret as string,
      name: created.name as string,
      scopes: created.scopes as string,
      token_expiration: created.token_expiration as string,
    };
  }

  before(async () => {
    server = await inProcessServer();
    const created = await createApiKey(server.storage, server.pepper, 'admin tests');
    key = created.key;
    keyId = created.record.id;
  });
  after(async () => {
    await server.close();
  });

  describe('authentication and the envelope', () => {
    it('every route but openapi.json needs the key: 401 invalid_api_key, no-store', async () => {
      for (const [path, methods] of ADMIN_ROUTE_METHODS) {
        if (path.endsWith('/openapi.json')) continue;
        const concrete = path.replace(':application_id', UNKNOWN_ID).replace(':kid', 'some-kid');
        for (const method of methods) {
          const response = await server.send({
            method,
            path: concrete,
            headers: { 'content-type': 'application/json' },
            body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
            remoteAddress: `10.1.${methods.indexOf(method)}.${ADMIN_ROUTE_METHODS.findIndex(([p]) => p === path)}`,
          } as Parameters<InProcessServer['send']>[0]);
          assert.equal(response.status, 401, `${method} ${concrete}`);
          assert.equal(response.headers['cache-control'], 'no-store', `${method} ${concrete}`);
          if (method !== 'HEAD') assert.equal(envelope(response).type, 'invalid_api_key');
        }
      }
    });

    it('unknown path under /admin/v1: 404 envelope, no-store', async () => {
      for (const path of ['/nothing', '/applications/x/y/z', '', '/keys/a/b']) {
        const response = await call('GET', path);
        assertNotFound(response, 'Not found');
      }
    });

    it('wrong method: 405 with Allow, no-store', async () => {
      const cases: Array<[string, string, string]> = [
        ['PUT', '/applications', 'GET, HEAD, POST'],
        ['DELETE', '/applications', 'GET, HEAD, POST'],
        ['POST', `/applications/${UNKNOWN_ID}`, 'GET, HEAD, PATCH, DELETE'],
        ['GET', `/applications/${UNKNOWN_ID}/disable`, 'POST'],
        ['GET', `/applications/${UNKNOWN_ID}/rotate-secret`, 'POST'],
        ['POST', '/keys', 'GET, HEAD'],
        ['PUT', '/keys/rotate', 'POST'],
        ['DELETE', '/keys/abc', 'GET, HEAD'],
        ['POST', '/audit', 'GET, HEAD'],
        ['POST', '/me', 'GET, HEAD'],
        ['DELETE', '/scopes', 'GET, HEAD'],
        ['POST', '/openapi.json', 'GET, HEAD'],
      ];
      for (const [method, path, allow] of cases) {
        const response = await call(method, path);
        assert.equal(response.status, 405, `${method} ${path}: ${response.body}`);
        assert.equal(response.headers.allow, allow, `${method} ${path}`);
        assert.equal(response.headers['cache-control'], 'no-store');
        assert.equal(envelope(response).type, 'invalid_method');
        assert.equal(envelope(response).code, 1605);
      }
    });
  });

  describe('meta', () => {
    it('GET /me: the calling key', async () => {
      const response = await call('GET', '/me');
      assert.equal(response.status, 200, response.body);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.deepEqual(response.json, { data: { id: keyId, name: 'admin tests' } });
    });

    it('GET /scopes: the catalogue with descriptions, catalogue order', async () => {
      const response = await call('GET', '/scopes');
      assert.equal(response.status, 200);
      const scopes = data<Array<{ scope: string; description: string }>>(response);
      assert.deepEqual(
        scopes.map((entry) => entry.scope),
        CATALOGUE,
      );
      assert.deepEqual(scopes[0], { scope: 'sms', description: 'Send SMS messages and read their status' });
      for (const entry of scopes) assert.equal(typeof entry.description, 'string');
    });

    it('HEAD on a GET route answers without a body', async () => {
      const response = await call('HEAD', '/me');
      assert.equal(response.status, 200);
      assert.equal(response.body, '');
    });
  });

  describe('applications', () => {
    it('POST creates with the defaults: whole catalogue, 1d; the secret only here', async () => {
      const response = await call('POST', '/applications', { body: { name: 'defaults' } });
      assert.equal(response.status, 201, response.body);
      assert.equal(response.headers['cache-control'], 'no-store');
      const created = data(response);
      assert.deepEqual(Object.keys(created), [
        'application_id',
        'application_secret',
        'name',
        'scopes',
        'token_expiration',
        'status',
        'created_at',
        'updated_at',
        'tokens_not_before',
        'number',
        'secret_hint',
        'secrets',
      ]);
      assert.match(created.application_id as string, /^[0-9a-f]{40}$/);
      assert.match(created.application_secret as string, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(created.name, 'defaults');
      assert.equal(created.scopes, CATALOGUE.join(' '));
      assert.equal(created.token_expiration, '1d');
      assert.equal(created.status, 'active');
      assert.match(created.created_at as string, ISO);
      assert.equal(created.tokens_not_before, null);
      assert.equal(typeof created.number, 'number');
      assert.equal(created.secret_hint, (created.application_secret as string).slice(-4));
      const entry = await assertAudited(response, 'application.create', created.application_id as string);
      assert.equal(JSON.stringify(entry).includes(created.application_secret as string), false);

      // In force at once: the token endpoint knows it.
      const token = await requestToken(server, credentials(created));
      assert.equal(token.status, 200, token.body);
      assert.equal((token.json as { expires_in: number }).expires_in, 86400);

      // Never the secret again.
      const shown = await call('GET', `/applications/${created.application_id}`);
      const listed = await call('GET', '/applications');
      const smscx = await server.send({
        method: 'GET',
        path: '/applications',
        headers: { 'x-api-key': key },
      });
      for (const later of [shown, listed, smscx]) {
        assert.equal(later.status, 200);
        assert.equal(later.body.includes(created.application_secret as string), false);
      }
    });

    it('POST takes scopes as a string or an array (canonical order, duplicates collapsed) and token_expiration', async () => {
      const fromString = await create({ name: 's', scopes: 'groups  sms groups', token_expiration: 'never' });
      assert.equal(fromString.scopes, 'sms groups');
      assert.equal(fromString.token_expiration, 'never');
      const fromArray = await create({ name: 'a', scopes: ['otp', 'sms'], token_expiration: '1w' });
      assert.equal(fromArray.scopes, 'sms otp');
      assert.equal(fromArray.token_expiration, '1w');
      const token = await requestToken(server, credentials(fromArray), 'grant_type=client_credentials');
      assert.equal((token.json as { scope: string }).scope, 'sms otp');
    });

    it('POST validation: each error names its field', async () => {
      const cases: Array<[unknown, string]> = [
        [{}, 'name: is required'],
        [{ name: '' }, 'name: must not be empty'],
        [{ name: 'x'.repeat(101) }, 'name: must be at most 100 characters'],
        [{ name: 'lone \ud800 surrogate' }, 'name: must be valid Unicode text'],
        [{ name: 7 }, 'name: must be a string'],
        [{ name: 'tab\there' }, 'name: must not contain control characters'],
        [{ name: 'nul\u0000' }, 'name: must not contain control characters'],
        [{ name: '   ' }, 'name: must not be empty'],
        [{ name: 'n', scopes: 'sms foo' }, 'scopes: unknown scope "foo"'],
        [{ name: 'n', scopes: ['sms', 'bar'] }, 'scopes: unknown scope "bar"'],
        [{ name: 'n', scopes: ['s m s'] }, 'scopes: malformed scope name'],
        [{ name: 'n', scopes: '' }, 'scopes: must name at least one scope'],
        [{ name: 'n', scopes: [] }, 'scopes: must name at least one scope'],
        [{ name: 'n', scopes: 5 }, 'scopes: must be a space-delimited string or an array of scope names'],
        [{ name: 'n', scopes: [1] }, 'scopes: must be a space-delimited string or an array of scope names'],
        [{ name: 'n', token_expiration: '1m' }, 'token_expiration: must be 1d, 1w or never'],
        [{ name: 'n', token_expiration: null }, 'token_expiration: must be 1d, 1w or never'],
        [{ name: 'n', status: 'active' }, 'body: unknown field "status"'],
        [{ name: 'n', a: 1, b: 2 }, 'body: unknown fields "a", "b"'],
        [[], 'body: must be a JSON object'],
        ['"name"', 'body: must be a JSON object'],
        ['null', 'body: must be a JSON object'],
        ['{"name":', 'body: must be a JSON object'],
      ];
      for (const [body, message] of cases) {
        assertBadRequest(await call('POST', '/applications', { body }), message);
      }
      assert.equal((await create({ name: 'é'.repeat(100) })).name, 'é'.repeat(100));
    });

    it('POST needs Content-Type: application/json', async () => {
      const form = await call('POST', '/applications', {
        body: 'name=x',
        contentType: 'application/x-www-form-urlencoded',
      });
      assertBadRequest(form, 'Content-Type must be application/json');
      const none = await server.send({
        method: 'POST',
        path: '/admin/v1/applications',
        headers: { 'x-api-key': key },
      });
      assertBadRequest(none, 'Content-Type must be application/json');
      const withCharset = await call('POST', '/applications', {
        body: { name: 'charset' },
        contentType: 'application/json; charset=utf-8',
      });
      assert.equal(withCharset.status, 201);
    });

    it('a body over 16 KiB is 413', async () => {
      const response = await call('POST', '/applications', { body: { name: 'x'.repeat(17 * 1024) } });
      assert.equal(response.status, 413);
      assert.equal(envelope(response).code, 1613);
    });

    it('GET /applications: newest first; ?search= matches name or ID, case-insensitively', async () => {
      const older = await create({ name: 'Billing Service' });
      const newer = await create({ name: 'reports' });
      const all = data<Json[]>(await call('GET', '/applications'));
      const numbers = all.map((entry) => entry.number as number);
      assert.deepEqual(
        numbers,
        [...numbers].sort((a, b) => b - a),
      );
      assert.equal(all[0]!.application_id, newer.application_id);
      for (const entry of all) assert.equal('application_secret' in entry, false);

      const byName = data<Json[]>(await call('GET', '/applications?search=bILLING'));
      assert.deepEqual(
        byName.map((entry) => entry.application_id),
        [older.application_id],
      );
      const byId = data<Json[]>(
        await call(
          'GET',
          `/applications?search=${(older.application_id as string).slice(5, 20).toUpperCase()}`,
        ),
      );
      assert.deepEqual(
        byId.map((entry) => entry.application_id),
        [older.application_id],
      );
      assert.deepEqual(data(await call('GET', '/applications?search=no-such-thing')), []);
      assertBadRequest(await call('GET', '/applications?search=a&search=b'), 'search: must be given once');
    });

    it('GET /applications/{id}: the view; 404 for an unknown or malformed ID', async () => {
      const created = await create({ name: 'shown', scopes: 'sms' });
      const response = await call('GET', `/applications/${created.application_id}`);
      assert.equal(response.status, 200);
      const { application_secret: _secret, ...view } = created;
      assert.deepEqual(data(response), view);
      assertNotFound(await call('GET', `/applications/${UNKNOWN_ID}`), 'No application with this ID');
      assertNotFound(await call('GET', '/applications/not-an-id'), 'No application with this ID');
    });

    it('PATCH changes name, scopes and expiration; a removed scope is refused on the next token request', async () => {
      const created = await create({ name: 'patched', scopes: 'sms groups' });
      const app = credentials(created);
      await issueToken(server, app, 'groups');

      const response = await call('PATCH', `/applications/${created.application_id}`, {
        body: { scopes: 'sms', name: 'renamed', token_expiration: '1w' },
      });
      assert.equal(response.status, 200, response.body);
      const view = data(response);
      assert.equal(view.name, 'renamed');
      assert.equal(view.scopes, 'sms');
      assert.equal(view.token_expiration, '1w');
      const entry = await assertAudited(response, 'application.update', created.application_id as string);
      assert.deepEqual(entry.details, { name: 'renamed', scopes: 'sms', token_expiration: '1w' });

      // No waiting, no applyChanges: in force when the response was sent.
      const refused = await requestToken(server, app, 'grant_type=client_credentials&scope=groups');
      assert.equal(refused.status, 400);
      assert.equal(envelope(refused).type, 'invalid_scope');
      const granted = await requestToken(server, app);
      assert.equal((granted.json as { scope: string; expires_in: number }).scope, 'sms');
      assert.equal((granted.json as { expires_in: number }).expires_in, 604800);

      const single = await call('PATCH', `/applications/${created.application_id}`, {
        body: { scopes: ['otp'] },
      });
      assert.equal(data(single).scopes, 'otp');
      assert.equal(data(single).name, 'renamed');
    });

    it('PATCH errors: empty, unknown fields, bad values, wrong content type, unknown application', async () => {
      const created = await create({ name: 'patch errors' });
      const path = `/applications/${created.application_id}`;
      assertBadRequest(
        await call('PATCH', path, { body: {} }),
        'body: must set at least one of name, scopes, token_expiration',
      );
      assertBadRequest(
        await call('PATCH', path, { body: { status: 'disabled' } }),
        'body: unknown field "status"',
      );
      assertBadRequest(await call('PATCH', path, { body: { name: '' } }), 'name: must not be empty');
      assertBadRequest(await call('PATCH', path, { body: { scopes: 'foo' } }), 'scopes: unknown scope "foo"');
      assertBadRequest(
        await call('PATCH', path, { body: { token_expiration: 'forever' } }),
        'token_expiration: must be 1d, 1w or never',
      );
      assertBadRequest(
        await call('PATCH', path, { body: 'name=x', contentType: 'text/plain' }),
        'Content-Type must be application/json',
      );
      assertNotFound(
        await call('PATCH', `/applications/${UNKNOWN_ID}`, { body: { name: 'x' } }),
        'No application with this ID',
      );
      assert.equal(data(await call('GET', path)).name, 'patch errors', 'nothing changed');
    });

    it('disable → 403 on the token endpoint at once; enable → 200 again', async () => {
      const created = await create({ name: 'toggled' });
      const app = credentials(created);
      const token = await issueToken(server, app);
      const disabled = await call('POST', `/applications/${created.application_id}/disable`);
      assert.equal(disabled.status, 200, disabled.body);
      assert.equal(data(disabled).status, 'disabled');
      await assertAudited(disabled, 'application.disable', created.application_id as string);
      const refused = await requestToken(server, app);
      assert.equal(refused.status, 403);
      assert.equal(envelope(refused).type, 'access_denied');
      assert.equal(await isActive(server, credentials(await create({ name: 'rs' })), token), false);

      const enabled = await call('POST', `/applications/${created.application_id}/enable`);
      assert.equal(data(enabled).status, 'active');
      await assertAudited(enabled, 'application.enable', created.application_id as string);
      assert.equal((await requestToken(server, app)).status, 200);

      assertNotFound(
        await call('POST', `/applications/${UNKNOWN_ID}/disable`),
        'No application with this ID',
      );
      assertNotFound(await call('POST', `/applications/${UNKNOWN_ID}/enable`), 'No application with this ID');
    });

    it('rotate-secret: the new secret works, the old one is refused; shown only in this response', async () => {
      const created = await create({ name: 'rotated' });
      const response = await call('POST', `/applications/${created.application_id}/rotate-secret`);
      assert.equal(response.status, 200, response.body);
      const rotated = data(response);
      assert.deepEqual(Object.keys(rotated), [
        'application_id',
        'application_secret',
        'secret_hint',
        'secret_id',
        'secrets',
      ]);
      assert.deepEqual(rotated.secrets, [
        {
          id: rotated.secret_id,
          hint: rotated.secret_hint,
          created_at: new Date(server.clock()).toISOString(),
          expires_at: null,
          last_used_at: null,
        },
      ]);
      assert.equal(rotated.application_id, created.application_id);
      assert.notEqual(rotated.application_secret, created.application_secret);
      assert.equal(rotated.secret_hint, (rotated.application_secret as string).slice(-4));
      const entry = await assertAudited(
        response,
        'application.rotate_secret',
        created.application_id as string,
      );
      assert.equal(JSON.stringify(entry).includes(rotated.application_secret as string), false);

      assert.equal((await requestToken(server, credentials(created))).status, 401);
      assert.equal(
        (
          await requestToken(server, {
            ...credentials(created),
            application_secret: rotated.application_secret as string,
          })
        ).status,
        200,
      );
      const shown = await call('GET', `/applications/${created.application_id}`);
      assert.equal(data(shown).secret_hint, rotated.secret_hint);
      assert.equal(shown.body.includes(rotated.application_secret as string), false);
      assertNotFound(
        await call('POST', `/applications/${UNKNOWN_ID}/rotate-secret`),
        'No application with this ID',
      );
    });

    it('rotate-secret with a grace period: both secrets work until it ends; at most two; DELETE …/secrets/{id} ends the old one', async () => {
      const created = await create({ name: 'graced' });
      const id = created.application_id as string;
      const rotatedAt = server.clock();
      const response = await call('POST', `/applications/${id}/rotate-secret`, { body: { grace: '24h' } });
      assert.equal(response.status, 200, response.body);
      const rotated = data(response);
      const entry = await assertAudited(response, 'application.rotate_secret', id);
      assert.deepEqual(entry.details, {
        secret_hint: rotated.secret_hint,
        secret_id: rotated.secret_id,
        grace_seconds: 86_400,
        previous_secret_expires_at: new Date(rotatedAt + 86_400_000).toISOString(),
      });
      const secrets = rotated.secrets as Json[];
      assert.equal(secrets.length, 2);
      assert.equal(secrets[0]!.id, rotated.secret_id);
      assert.equal(secrets[1]!.hint, (created.application_secret as string).slice(-4));
      assert.equal(secrets[1]!.expires_at, new Date(rotatedAt + 86_400_000).toISOString());
      const fresh = { ...credentials(created), application_secret: rotated.application_secret as string };
      assert.equal(
        (await requestToken(server, credentials(created))).status,
        200,
        'the old secret still works',
      );
      assert.equal((await requestToken(server, fresh)).status, 200);
      const shown = data(await call('GET', `/applications/${id}`));
      assert.deepEqual(shown.secrets, secrets);

      // At most two secrets: 409, nothing changed.
      const refused = await call('POST', `/applications/${id}/rotate-secret`, { body: { grace: 60 } });
      assert.equal(refused.status, 409, refused.body);
      assert.equal(envelope(refused).type, 'conflict');
      assert.deepEqual(await auditOf(refused), []);
      assert.deepEqual(data(await call('GET', `/applications/${id}`)).secrets, secrets);
      // The current secret cannot be revoked; an unknown one is 404.
      const current = await call('DELETE', `/applications/${id}/secrets/${rotated.secret_id as string}`);
      assert.equal(current.status, 409, current.body);
      assert.equal(envelope(current).type, 'conflict');
      assertNotFound(
        await call('DELETE', `/applications/${id}/secrets/sc_000000000000`),
        'The application has no working secret with this ID',
      );
      assertNotFound(
        await call('DELETE', `/applications/${id}/secrets/nope`),
        'The application has no working secret with this ID',
      );
      assertNotFound(
        await call('DELETE', `/applications/${UNKNOWN_ID}/secrets/${secrets[1]!.id as string}`),
        'No application with this ID',
      );

      // Revoked: in force when the response is sent.
      const revoked = await call('DELETE', `/applications/${id}/secrets/${secrets[1]!.id as string}`);
      assert.equal(revoked.status, 200, revoked.body);
      assert.deepEqual(data(revoked).secrets, [secrets[0]]);
      const revokedEntry = await assertAudited(revoked, 'application.revoke_secret', id);
      assert.deepEqual(revokedEntry.details, {
        secret_id: secrets[1]!.id,
        secret_hint: (created.application_secret as string).slice(-4),
      });
      assert.equal((await requestToken(server, credentials(created))).status, 401);
      assert.equal((await requestToken(server, fresh)).status, 200);
      assertNotFound(
        await call('DELETE', `/applications/${id}/secrets/${secrets[1]!.id as string}`),
        'The application has no working secret with this ID',
      );

      // Whole seconds work as well; the grace ends with the app's clock.
      const again = data(await call('POST', `/applications/${id}/rotate-secret`, { body: { grace: 90 } }));
      const third = { ...fresh, application_secret: again.application_secret as string };
      assert.equal((await requestToken(server, fresh)).status, 200);
      server.clock.advance(90_000);
      assert.equal((await requestToken(server, fresh)).status, 401, 'the grace is over');
      assert.equal((await requestToken(server, third)).status, 200);
      assert.equal((data(await call('GET', `/applications/${id}`)).secrets as Json[]).length, 1);
      // No body, an empty body: no grace.
      const none = data(await call('POST', `/applications/${id}/rotate-secret`));
      assert.equal((none.secrets as Json[]).length, 1);
      assert.equal((await requestToken(server, third)).status, 401);
    });

    it('rotate-secret refuses a bad grace period with 400', async () => {
      const created = await create({ name: 'bad grace' });
      const path = `/applications/${created.application_id as string}/rotate-secret`;
      const problem =
        'grace: must be a duration such as 0, 90s, 15m, 24h or 7d (a bare number is seconds), at most 30d';
      for (const grace of ['soon', '-5s', '31d', 2_592_001, -1, 1.5, true, null]) {
        assertBadRequest(await call('POST', path, { body: { grace } }), problem);
      }
      assertBadRequest(
        await call('POST', path, { body: { grace: '1h', extra: 1 } }),
        'body: unknown field "extra"',
      );
      assertBadRequest(
        await call('POST', path, { body: 'grace=1h', contentType: 'application/x-www-form-urlencoded' }),
        'Content-Type must be application/json',
      );
      assert.equal((await requestToken(server, credentials(created))).status, 200, 'nothing rotated');
    });

    it('revoke-tokens: tokens issued before are inactive, tokens issued after are active', async () => {
      const created = await create({ name: 'revoked' });
      const app = credentials(created);
      const resource = credentials(await create({ name: 'resource' }));
      const old = await issueToken(server, app);
      assert.equal(await isActive(server, resource, old), true);

      // The action returns once the not-before instant has passed on the server's clock: move the
      // test clock along while it waits.
      server.clock.set(Math.ceil(server.clock() / 1000) * 1000 - 1);
      const ticking = setInterval(() => server.clock.advance(50), 1);
      let response: RawResponse;
      try {
        response = await call('POST', `/applications/${created.application_id}/revoke-tokens`);
      } finally {
        clearInterval(ticking);
      }
      assert.equal(response.status, 200, response.body);
      const revoked = data(response);
      assert.equal(revoked.application_id, created.application_id);
      assert.match(revoked.tokens_not_before as string, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/);
      await assertAudited(response, 'application.revoke_tokens', created.application_id as string);

      assert.equal(await isActive(server, resource, old), false);
      assert.equal(await isActive(server, resource, await issueToken(server, app)), true);
      assert.equal(
        data(await call('GET', `/applications/${created.application_id}`)).tokens_not_before,
        revoked.tokens_not_before,
      );
      assertNotFound(
        await call('POST', `/applications/${UNKNOWN_ID}/revoke-tokens`),
        'No application with this ID',
      );
    });

    it('DELETE: 204, the credentials become unknown, then 404', async () => {
      const created = await create({ name: 'deleted' });
      const response = await call('DELETE', `/applications/${created.application_id}`);
      assert.equal(response.status, 204);
      assert.equal(response.body, '');
      assert.equal(response.headers['cache-control'], 'no-store');
      await assertAudited(response, 'application.delete', created.application_id as string);
      assert.equal((await requestToken(server, credentials(created))).status, 401);
      assertNotFound(
        await call('DELETE', `/applications/${created.application_id}`),
        'No application with this ID',
      );
      assertNotFound(
        await call('GET', `/applications/${created.application_id}`),
        'No application with this ID',
      );
    });
  });

  describe('signing keys', () => {
    it('GET /keys lists newest first; rotate publishes a next key that signs from activates_at; GET /keys/{kid} adds the public JWK', async () => {
      const before = data<Json[]>(await call('GET', '/keys'));
      const current = before.filter((entry) => entry.state === 'current');
      assert.equal(current.length, 1);
      for (const entry of before) {
        assert.deepEqual(Object.keys(entry), [
          'kid',
          'alg',
          'state',
          'created_at',
          'activates_at',
          'retired_at',
        ]);
        assert.equal(entry.alg, 'EdDSA');
        assert.match(entry.created_at as string, ISO);
        assert.match(entry.activates_at as string, ISO);
      }

      server.clock.advance(1000);
      const rotatedAt = server.clock();
      const response = await call('POST', '/keys/rotate');
      assert.equal(response.status, 200, response.body);
      const rotation = data(response);
      assert.deepEqual(rotation.retired, [current[0]!.kid]);
      assert.deepEqual(rotation.replaced, []);
      assert.equal(typeof rotation.pruned, 'number');
      // The default publish-ahead: 10 minutes by the server's clock.
      assert.equal(rotation.state, 'next');
      assert.equal(rotation.created_at, new Date(rotatedAt).toISOString());
      assert.equal(rotation.activates_at, new Date(rotatedAt + 600_000).toISOString());
      await assertAudited(response, 'signing_key.rotate', rotation.kid as string);

      const pending = data<Json[]>(await call('GET', '/keys'));
      assert.equal(pending[0]!.kid, rotation.kid);
      assert.equal(pending[0]!.state, 'next');
      assert.equal(pending[0]!.activates_at, rotation.activates_at);
      assert.equal(pending[0]!.retired_at, null);
      const signing = pending.find((entry) => entry.kid === current[0]!.kid)!;
      assert.equal(signing.state, 'current');
      assert.equal(signing.retired_at, rotation.activates_at, 'it retires when the next key activates');
      const app = credentials(await create({ name: 'signed' }));
      const kidOf = (token: string): string =>
        (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
      assert.equal(kidOf(await issueToken(server, app)), current[0]!.kid, 'the old key signs until then');

      server.clock.set(Date.parse(rotation.activates_at as string));
      const after = data<Json[]>(await call('GET', '/keys'));
      assert.equal(after[0]!.kid, rotation.kid);
      assert.equal(after[0]!.state, 'current');
      assert.equal(after[0]!.retired_at, null);
      const old = after.find((entry) => entry.kid === current[0]!.kid)!;
      assert.equal(old.state, 'retired');
      assert.equal(old.retired_at, rotation.activates_at);

      // From its activation on, the new key signs.
      assert.equal(kidOf(await issueToken(server, app)), rotation.kid);

      const one = await call('GET', `/keys/${rotation.kid}`);
      assert.equal(one.status, 200);
      const detail = data(one);
      assert.equal(detail.kid, rotation.kid);
      assert.equal(detail.state, 'current');
      const jwk = detail.public_jwk as Json;
      assert.equal(jwk.kty, 'OKP');
      assert.equal(jwk.crv, 'Ed25519');
      assert.equal(typeof jwk.x, 'string');
      assert.equal('d' in jwk, false, 'never the private key');
      assertNotFound(await call('GET', '/keys/no-such-kid'), 'No signing key with this ID');
    });
  });

  describe('audit log', () => {
    it('pages newest first with limit and the next cursor; since filters by time', async () => {
      for (const name of ['p1', 'p2', 'p3']) await create({ name });
      const first = await call('GET', '/audit?limit=2');
      assert.equal(first.status, 200);
      assert.equal(first.headers['cache-control'], 'no-store');
      const page1 = first.json as { data: Json[]; next: number | null };
      assert.equal(page1.data.length, 2);
      assert.equal(typeof page1.next, 'number');
      assert.deepEqual(
        page1.data.map((entry) => (entry.details as Json).name),
        ['p3', 'p2'],
      );
      const entry = page1.data[0]!;
      assert.deepEqual(Object.keys(entry), [
        'seq',
        'at',
        'actor',
        'action',
        'target_type',
        'target_id',
        'request_id',
        'details',
      ]);
      assert.match(entry.at as string, ISO);
      assert.equal(entry.target_type, 'application');

      const second = (await call('GET', `/audit?limit=2&before=${page1.next}`)).json as {
        data: Json[];
        next: number | null;
      };
      assert.equal((second.data[0]!.details as Json).name, 'p1');
      assert.ok((second.data[0]!.seq as number) < (page1.data[1]!.seq as number));

      const all = (await call('GET', '/audit?limit=500')).json as { data: Json[]; next: number | null };
      assert.equal(all.next, null);
      const latest = Date.parse(all.data[0]!.at as string);
      const sinceIso = (await call('GET', `/audit?since=${new Date(latest).toISOString()}`)).json as {
        data: Json[];
      };
      assert.ok(sinceIso.data.length >= 1);
      for (const item of sinceIso.data) assert.ok(Date.parse(item.at as string) >= latest);
      const sinceMs = (await call('GET', `/audit?since=${latest}`)).json as { data: Json[] };
      assert.deepEqual(sinceMs.data, sinceIso.data);
      assert.deepEqual(data(await call('GET', `/audit?since=${latest + 3_600_000}`)), []);
      assert.ok(data<Json[]>(await call('GET', '/audit')).length <= 100);
    });

    it('query validation names the parameter', async () => {
      const limitError = 'limit: must be an integer from 1 to 500';
      for (const limit of ['0', '501', 'x', '1.5', '-1', '']) {
        assertBadRequest(await call('GET', `/audit?limit=${limit}`), limitError);
      }
      for (const since of ['yesterday', '2026-13-45T00:00:00Z', '2026-01-01T00:00:00', '1e3']) {
        assertBadRequest(
          await call('GET', `/audit?since=${encodeURIComponent(since)}`),
          'since: must be an ISO 8601 date-time or epoch milliseconds',
        );
      }
      for (const before of ['0', 'abc', '-3']) {
        assertBadRequest(
          await call('GET', `/audit?before=${before}`),
          'before: must be the cursor of a previous page (its next)',
        );
      }
      assertBadRequest(await call('GET', '/audit?limit=1&limit=2'), 'limit: must be given once');
      assert.equal((await call('GET', '/audit?since=2026-01-01')).status, 200);
      assert.equal((await call('GET', '/audit?since=2026-01-01T00:00:00.123%2B02:00')).status, 200);
    });
  });

  describe('the OpenAPI document', () => {
    it('is served without a key, no-store', async () => {
      const response = await call('GET', '/openapi.json', { key: null });
      assert.equal(response.status, 200);
      assert.equal(response.headers['content-type'], 'application/json; charset=utf-8');
      assert.equal(response.headers['cache-control'], 'no-store');
    });

    it('is OpenAPI 3.1 and describes every route under /admin/v1 and /applications with its methods', async () => {
      const document = (await call('GET', '/openapi.json', { key: null })).json as Json;
      assert.match(document.openapi as string, /^3\.1\.\d+$/);
      const info = document.info as Json;
      assert.equal(typeof info.title, 'string');
      assert.equal(typeof info.version, 'string');
      const components = document.components as Json;
      assert.deepEqual(
        { ...((components.securitySchemes as Json).ApiKey as Json), description: undefined },
        { type: 'apiKey', in: 'header', name: 'X-API-KEY', description: undefined },
      );
      const errorSchema = (components.schemas as Json).Error as Json;
      assert.deepEqual(errorSchema.required, ['error']);

      const paths = document.paths as Record<string, Json>;
      const registered = registeredRoutes(server);
      const ours = [...registered].filter(
        ([path]) =>
          path.startsWith('/admin/v1') || path === '/applications' || path.startsWith('/applications/'),
      );
      assert.ok(ours.length >= 14, `the routes were read: ${JSON.stringify(ours)}`);
      const httpMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
      for (const [path, methods] of ours) {
        const documented = path.replace(/:([A-Za-z_]+)/g, '{$1}');
        const item = paths[documented];
        assert.ok(item, `${documented} is in paths`);
        const expected = methods.filter((method) => method !== 'HEAD').map((method) => method.toLowerCase());
        const actual = Object.keys(item).filter((name) => httpMethods.includes(name));
        assert.deepEqual(actual.sort(), expected.sort(), documented);
        for (const method of actual) {
          const operation = item[method] as Json;
          assert.ok(Object.keys(operation.responses as Json).length > 0, `${method} ${documented} responses`);
          const parameters = (documented.match(/\{([^}]+)\}/g) ?? []).map((name) => name.slice(1, -1));
          const declared = ((operation.parameters as Json[] | undefined) ?? []).map(
            (parameter) => (resolve(document, parameter) as Json).name,
          );
          for (const name of parameters)
            assert.ok(declared.includes(name), `${documented}: ${name} declared`);
        }
      }
      // The 405 table (ADMIN_ROUTE_METHODS) is what the server registers.
      assert.deepEqual(
        new Map(ADMIN_ROUTE_METHODS.map(([path, methods]) => [path, [...methods].sort()])),
        new Map(
          ours
            .filter(([path]) => path.startsWith('/admin/v1'))
            .map(([path, methods]) => [path, [...methods].sort()]),
        ),
      );
      // Nothing documented that the server does not answer.
      for (const path of Object.keys(paths)) {
        assert.ok(registered.has(path.replace(/\{([^}]+)\}/g, ':$1')), `${path} is a route of the server`);
      }

      // Every $ref resolves.
      let refs = 0;
      const walk = (node: unknown): void => {
        if (Array.isArray(node)) node.forEach(walk);
        else if (typeof node === 'object' && node !== null) {
          for (const [name, value] of Object.entries(node)) {
            if (name === '$ref') {
              refs += 1;
              assert.notEqual(resolve(document, { $ref: value }), undefined, String(value));
            } else walk(value);
          }
        }
      };
      walk(document);
      assert.ok(refs > 20);
    });
  });

  describe('failures', () => {
    it('a database that fails during an action is 503 service_unavailable (1654), never 500', async () => {
      const storage = server.storage as { updateApplication: (...args: unknown[]) => Promise<unknown> };
      const created = await create({ name: 'db down' });
      const original = storage.updateApplication;
      storage.updateApplication = () => Promise.reject(new Error('connection terminated unexpectedly'));
      try {
        const response = await call('POST', `/applications/${created.application_id}/disable`);
        assert.equal(response.status, 503);
        assert.equal(envelope(response).code, 1654);
        assert.equal(response.headers['retry-after'], '1');
        assert.equal(response.headers['cache-control'], 'no-store');
        assert.equal(response.body.includes('terminated'), false);
      } finally {
        storage.updateApplication = original;
      }
    });
  });
});

describe('admin REST API: a change another process does not confirm', () => {
  it('503 with a fixed message; the change is saved; the lagging processes only in the log', async () => {
    const { logger, lines } = collectingLogger('warn');
    const server = await inProcessServer({ logger });
    const { key } = await createApiKey(server.storage, server.pepper, 'lagging');
    // A live process that never applies anything (heartbeats, but stays at change 0).
    await server.storage.registerProcess({
      id: 'stuck-process',
      label: 'stuck.example:8080 pid 42',
      appliedSeq: 0,
    });
    const heartbeat = setInterval(() => {
      void server.storage.reportProcess('stuck-process', 0);
    }, 200);
    try {
      const response = await server.send({
        method: 'POST',
        path: '/admin/v1/applications',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'unconfirmed' }),
      });
      assert.equal(response.status, 503, response.body);
      assert.deepEqual(envelope(response), {
        type: 'service_unavailable',
        code: 1655,
        message:
          'The change was saved but not yet confirmed by every server process; it applies as soon as they catch up',
        uri: 'https://docs.sms.cx/#service_unavailable',
      });
      assert.equal(response.body.includes('stuck'), false);
      assert.ok(
        lines.some((line) => line.includes('stuck.example:8080 pid 42')),
        'the lagging process is logged',
      );
      const saved = await server.storage.listApplications();
      assert.deepEqual(
        saved.map((application) => application.name),
        ['unconfirmed'],
      );
    } finally {
      clearInterval(heartbeat);
      await server.storage.unregisterProcess('stuck-process');
      await server.close();
    }
  });
});

/** Every route the server registers: full path → methods (from Fastify's route tree). */
function registeredRoutes(server: InProcessServer): Map<string, string[]> {
  const routes = new Map<string, string[]>();
  const stack: string[] = [];
  for (const line of server.app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+?)(?: \(([^)]*)\))?$/.exec(line);
    if (match === null) continue;
    const depth = match[1]!.length / 4;
    stack.length = depth;
    stack.push(match[2]!);
    if (match[3] !== undefined) {
      const path = stack.join('');
      routes.set(path, [...(routes.get(path) ?? []), ...match[3].split(', ')]);
    }
  }
  return routes;
}

/** The object a `$ref` (or a plain object) stands for in `document`. */
function resolve(document: Json, node: unknown): unknown {
  const ref = (node as { $ref?: unknown }).$ref;
  if (typeof ref !== 'string') return node;
  assert.ok(ref.startsWith('#/'), ref);
  let target: unknown = document;
  for (const part of ref.slice(2).split('/')) {
    target = (target as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return target;
}
