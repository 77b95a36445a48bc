/**
 * Request ids and rate-limit headers on success (issue 17): `.withResponse()` on what
 * getAccessToken, getScopes and getApplicationsList return, which is otherwise a plain promise.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiClient,
  ApiPromise,
  ApplicationsApi,
  Configuration,
  InvalidCredentialsException,
  OauthApi,
} from '../src/index.js';
import {
  errorStep,
  type ScriptedServer,
  sendJson,
  startScriptedServer,
  tokenStep,
} from './scripted-server.js';

const RATE = {
  'X-Rate-Limit-Limit': '600',
  'X-Rate-Limit-Remaining': '599',
  'X-Rate-Limit-Reset': '1900000000',
};

describe('ApiPromise', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer((req, res) => {
      if (req.url === '/oauth/token') {
        return req.body.includes('scope=bad')
          ? errorStep(401, 'invalid_client', 1600)(req, res)
          : tokenStep({}, { 'X-Request-Id': 'req-token', ...RATE })(req, res);
      }
      return sendJson(res, 200, ['sms'], { 'X-Request-Id': 'req-scopes' });
    });
  });
  after(() => server.close());

  const api = () =>
    new OauthApi(
      new ApiClient(
        new Configuration({ username: 'app', password: 'secret', host: server.url, maxRetries: 0 }),
      ),
    );

  test('withResponse() gives the data, status, headers, X-Request-Id and the rate-limit headers', async () => {
    const { data, response } = await api().getAccessToken({ scope: 'sms' }).withResponse();
    assert.equal(data.access_token, 'tok-1');
    assert.equal(response.status, 200);
    assert.equal(response.requestId, 'req-token');
    assert.deepEqual(response.rateLimit, { limit: 600, remaining: 599, reset: 1_900_000_000 });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  test('otherwise it is a promise: await, then, catch, finally, Promise.all', async () => {
    const promise = api().getAccessToken();
    assert.ok(promise instanceof Promise);
    assert.ok(promise instanceof ApiPromise);
    assert.equal((await promise).access_token, 'tok-1');
    assert.equal(
      await api()
        .getAccessToken()
        .then((t) => t.token_type),
      'Bearer',
    );
    const [a, b] = await Promise.all([api().getAccessToken(), api().getAccessToken()]);
    assert.equal(a.access_token, b.access_token);
    let finished = false;
    await api()
      .getAccessToken()
      .finally(() => {
        finished = true;
      });
    assert.ok(finished);
    const caught = await api()
      .getAccessToken({ scope: 'bad' })
      .catch((e: unknown) => e);
    assert.ok(caught instanceof InvalidCredentialsException);
    await assert.rejects(api().getAccessToken({ scope: 'bad' }).withResponse(), InvalidCredentialsException);
    // then() returns a plain Promise, not another ApiPromise.
    assert.equal(Object.getPrototypeOf(api().getAccessToken().then()), Promise.prototype);
  });

  test('ApplicationsApi calls too', async () => {
    const apps = new ApplicationsApi(
      new ApiClient(new Configuration({ apiKey: 'ak_1.key', host: server.url })),
    );
    const { data, response } = await apps.getScopes().withResponse();
    assert.deepEqual(data, ['sms']);
    assert.equal(response.requestId, 'req-scopes');
  });
});
