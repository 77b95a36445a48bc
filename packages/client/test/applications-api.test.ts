import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  AccessDeniedException,
  ApiClient,
  ApiException,
  type Application,
  ApplicationsApi,
  Configuration,
  type ConfigurationParameters,
  InvalidCredentialsException,
  OauthApi,
  TokenManager,
  VERSION,
} from '../src/index.js';
import {
  countingTokenStep,
  errorStep,
  type RecordedRequest,
  type Step,
  sendJson,
  startScriptedServer,
} from './scripted-server.js';

const API_KEY = 'ak_0123456789ab.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE';
const SCOPES = ['sms', 'viber', 'groups'];
const APPLICATION: Application = {
  id: 7,
  application_id: '7873310555ea4ee972518ae9559f276707c77fae',
  application_secret: '****abcd',
  application_name: 'billing',
  scopes: 'sms groups',
  token_expiration: '1d',
  created_at: '2025-01-02T03:04:05.000Z',
};

/** /oauth/token answers with counting tokens; everything else with `resource`. */
function routes(resource: Step): Step {
  const token = countingTokenStep();
  return (req, res) => (req.url === '/oauth/token' ? token(req, res) : resource(req, res));
}

/** Runs `call` on an ApplicationsApi against a scripted server; returns its result or error. */
async function call(
  resource: Step,
  credentials: ConfigurationParameters,
  run: (api: ApplicationsApi) => Promise<unknown>,
): Promise<{ result: unknown; requests: RecordedRequest[] }> {
  const server = await startScriptedServer(routes(resource));
  try {
    const configuration = new Configuration({ ...credentials, host: server.url, maxRetries: 0 });
    const api = new ApplicationsApi(new ApiClient(configuration));
    const result = await run(api).catch((e: unknown) => e);
    return { result, requests: server.requests };
  } finally {
    await server.close();
  }
}

const APP = { username: 'a', password: 'b' };
const KEY = { apiKey: API_KEY };
const getScopes = (resource: Step, credentials: ConfigurationParameters = APP) =>
  call(resource, credentials, (api) => api.getScopes());
const getApplicationsList = (resource: Step, credentials: ConfigurationParameters = KEY) =>
  call(resource, credentials, (api) => api.getApplicationsList());

describe('ApplicationsApi.getScopes', () => {
  test('without an API key: GET /applications/scopes with a Bearer token; returns the array', async () => {
    const { result, requests } = await getScopes((_req, res) => sendJson(res, 200, SCOPES));
    assert.deepEqual(result, SCOPES);
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      ['POST /oauth/token', 'GET /applications/scopes'],
    );
    const resource = requests.at(-1)!;
    assert.equal(resource.headers.authorization, 'Bearer tok-1');
    assert.equal(resource.headers.accept, 'application/json');
    assert.equal(resource.headers['user-agent'], `smscx-client-typescript/${VERSION}`);
    assert.equal(resource.headers['x-api-key'], undefined);
  });

  test('with an API key: X-API-KEY, no Bearer token and no token request', async () => {
    const { result, requests } = await getScopes((_req, res) => sendJson(res, 200, SCOPES), KEY);
    assert.deepEqual(result, SCOPES);
    assert.equal(requests.length, 1);
    const [resource] = requests;
    assert.equal(resource!.url, '/applications/scopes');
    assert.equal(resource!.headers['x-api-key'], API_KEY);
    assert.equal(resource!.headers.authorization, undefined);
    assert.equal(resource!.headers.accept, 'application/json');
    assert.equal(resource!.headers['user-agent'], `smscx-client-typescript/${VERSION}`);
  });

  test('an empty array is a valid answer', async () => {
    const { result } = await getScopes((_req, res) => sendJson(res, 200, []), KEY);
    assert.deepEqual(result, []);
  });

  for (const [label, body] of [
    ['the former {data:[{scope}]} shape', { data: [{ scope: 'sms' }] }],
    ['an array with a non-string', ['sms', 1]],
    ['an object', { scopes: 'sms' }],
    ['not JSON', '<html>ok</html>'],
  ] as const) {
    test(`a 200 with ${label} is an ApiException`, async () => {
      const { result } = await getScopes((_req, res) => sendJson(res, 200, body), KEY);
      assert.ok(result instanceof ApiException);
      assert.equal(result.name, 'ApiException');
      assert.equal(result.status, 200);
      assert.match(result.message, /^Unexpected body for GET \/applications\/scopes/);
    });
  }

  test('error answers map to the typed errors', async () => {
    const { result } = await getScopes(errorStep(403, 'access_denied', 1603));
    assert.ok(result instanceof AccessDeniedException);
    assert.equal(result.requestId, 'req-403');
  });

  test('Bearer: a 401 refreshes the token once, then surfaces InvalidCredentialsException', async () => {
    const { result, requests } = await getScopes(errorStep(401, 'invalid_token', 1601));
    assert.ok(result instanceof InvalidCredentialsException);
    assert.equal(requests.filter((r) => r.url === '/oauth/token').length, 2);
  });

  test('API key: a 401 invalid_api_key is InvalidCredentialsException at once, no token involved', async () => {
    const { result, requests } = await getScopes(errorStep(401, 'invalid_api_key', 1602), KEY);
    assert.ok(result instanceof InvalidCredentialsException);
    assert.equal(result.error?.type, 'invalid_api_key');
    assert.equal(result.error?.code, 1602);
    assert.deepEqual(
      requests.map((r) => r.url),
      ['/applications/scopes'],
    );
  });

  test('token errors pass through unwrapped', async () => {
    const server = await startScriptedServer(errorStep(401, 'invalid_client', 1600));
    try {
      const apiClient = new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url }));
      const api = new ApplicationsApi(apiClient, new TokenManager({ apiClient }));
      await assert.rejects(api.getScopes(), InvalidCredentialsException);
    } finally {
      await server.close();
    }
  });
});

describe('ApplicationsApi.getApplicationsList', () => {
  test('GET /applications with X-API-KEY; returns the typed list', async () => {
    const body = { data: [APPLICATION, { ...APPLICATION, id: 6, token_expiration: 'never' }] };
    const { result, requests } = await getApplicationsList((_req, res) => sendJson(res, 200, body));
    assert.deepEqual(result, body);
    assert.equal(requests.length, 1);
    const [resource] = requests;
    assert.equal(resource!.method, 'GET');
    assert.equal(resource!.url, '/applications');
    assert.equal(resource!.headers['x-api-key'], API_KEY);
    assert.equal(resource!.headers.authorization, undefined);
    assert.equal(resource!.headers.accept, 'application/json');
  });

  test('{"data":[]} when there are none', async () => {
    const { result } = await getApplicationsList((_req, res) => sendJson(res, 200, { data: [] }));
    assert.deepEqual(result, { data: [] });
  });

  test('keeps only the documented fields', async () => {
    const body = { data: [{ ...APPLICATION, status: 'active' }], meta: { total: 1 } };
    const { result } = await getApplicationsList((_req, res) => sendJson(res, 200, body));
    assert.deepEqual(result, { data: [APPLICATION] });
  });

  test('without an API key: a Bearer token from the TokenManager', async () => {
    const { result, requests } = await getApplicationsList(
      (_req, res) => sendJson(res, 200, { data: [APPLICATION] }),
      APP,
    );
    assert.deepEqual(result, { data: [APPLICATION] });
    assert.deepEqual(
      requests.map((r) => `${r.method} ${r.url}`),
      ['POST /oauth/token', 'GET /applications'],
    );
    assert.equal(requests[1]!.headers.authorization, 'Bearer tok-1');
    assert.equal(requests[1]!.headers['x-api-key'], undefined);
  });

  const broken: Array<[string, unknown, string]> = [
    ['not JSON', 'nope', 'body is not JSON'],
    ['a bare array', [APPLICATION], 'data is not an array'],
    ['no data', {}, 'data is not an array'],
    ['an entry that is not an object', { data: [APPLICATION, 'x'] }, 'data[1] is not an object'],
    ['id as a string', { data: [{ ...APPLICATION, id: '7' }] }, 'data[0].id is not an integer'],
    ['a fractional id', { data: [{ ...APPLICATION, id: 7.5 }] }, 'data[0].id is not an integer'],
    [
      'no application_id',
      { data: [{ ...APPLICATION, application_id: undefined }] },
      'data[0].application_id is not a string',
    ],
    [
      'a null created_at',
      { data: [APPLICATION, { ...APPLICATION, created_at: null }] },
      'data[1].created_at is not a string',
    ],
    ['scopes as an array', { data: [{ ...APPLICATION, scopes: ['sms'] }] }, 'data[0].scopes is not a string'],
  ];
  for (const [label, body, why] of broken) {
    test(`a 200 with ${label} is an ApiException naming it`, async () => {
      const { result } = await getApplicationsList((_req, res) => sendJson(res, 200, body as object));
      assert.ok(result instanceof ApiException);
      assert.equal(result.name, 'ApiException');
      assert.equal(result.status, 200);
      assert.equal(result.message, `Unexpected body for GET /applications: ${why}`);
    });
  }

  test('401 invalid_api_key is InvalidCredentialsException with the envelope', async () => {
    const { result } = await getApplicationsList((_req, res) =>
      sendJson(
        res,
        401,
        {
          error: {
            type: 'invalid_api_key',
            code: 1602,
            message: 'Missing or invalid API key',
            uri: 'https://docs.sms.cx/#invalid_api_key',
          },
        },
        { 'X-Request-Id': 'req-401' },
      ),
    );
    assert.ok(result instanceof InvalidCredentialsException);
    assert.equal(result.status, 401);
    assert.deepEqual(result.error, {
      type: 'invalid_api_key',
      code: 1602,
      message: 'Missing or invalid API key',
      uri: 'https://docs.sms.cx/#invalid_api_key',
    });
    assert.equal(result.message, 'HTTP 401 invalid_api_key: Missing or invalid API key');
    assert.equal(result.requestId, 'req-401');
    for (const text of [
      result.message,
      String(result),
      inspect(result, { depth: 10 }),
      JSON.stringify(result),
    ]) {
      assert.ok(!text.includes(API_KEY), text);
    }
  });
});

describe('where the API key goes', () => {
  test('never to /oauth/token, nor on TokenManager.fetch; ApplicationsApi uses it over the token', async () => {
    const server = await startScriptedServer(routes((_req, res) => sendJson(res, 200, SCOPES)));
    try {
      const configuration = new Configuration({
        username: 'a',
        password: 'b',
        apiKey: API_KEY,
        host: server.url,
      });
      const apiClient = new ApiClient(configuration);
      const tokens = new TokenManager({ apiClient });
      await new OauthApi(apiClient).getAccessToken();
      await tokens.fetch(`${server.url}/applications/scopes`);
      assert.deepEqual(await new ApplicationsApi(apiClient, tokens).getScopes(), SCOPES);
      assert.deepEqual(
        server.requests.map((r) => [r.url, r.headers['x-api-key'], r.headers.authorization?.split(' ')[0]]),
        [
          ['/oauth/token', undefined, 'Basic'],
          ['/oauth/token', undefined, 'Basic'],
          ['/applications/scopes', undefined, 'Bearer'],
          ['/applications/scopes', API_KEY, undefined],
        ],
      );
    } finally {
      await server.close();
    }
  });

  test('an API-key-only configuration cannot get a token: TypeError, nothing sent', async () => {
    const server = await startScriptedServer(routes((_req, res) => sendJson(res, 200, SCOPES)));
    try {
      const apiClient = new ApiClient(new Configuration({ apiKey: API_KEY, host: server.url }));
      await assert.rejects(new OauthApi(apiClient).getAccessToken(), TypeError);
      await assert.rejects(new TokenManager({ apiClient }).getToken(), TypeError);
      assert.equal(server.requests.length, 0);
    } finally {
      await server.close();
    }
  });
});
