import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  AccessDeniedException,
  ApiClient,
  ApiException,
  ApplicationsApi,
  Configuration,
  InvalidCredentialsException,
  TokenManager,
} from '../src/index.js';
import { countingTokenStep, errorStep, type Step, sendJson, startScriptedServer } from './scripted-server.js';

function routes(scopes: Step): Step {
  const token = countingTokenStep();
  return (req, res) => (req.url === '/oauth/token' ? token(req, res) : scopes(req, res));
}

async function getScopes(scopes: Step) {
  const server = await startScriptedServer(routes(scopes));
  try {
    const api = new ApplicationsApi(
      new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url, maxRetries: 0 })),
    );
    const result = await api.getScopes().catch((e: unknown) => e);
    return { result, requests: server.requests };
  } finally {
    await server.close();
  }
}

describe('ApplicationsApi.getScopes', () => {
  test('GET /applications/scopes with a Bearer token; {data:[...]} shape', async () => {
    const body = { data: [{ scope: 'sms', description: 'Send SMS' }, { scope: 'groups' }] };
    const { result, requests } = await getScopes((_req, res) => sendJson(res, 200, body));
    assert.deepEqual(result, body);
    const resource = requests.at(-1)!;
    assert.equal(resource.method, 'GET');
    assert.equal(resource.url, '/applications/scopes');
    assert.equal(resource.headers.authorization, 'Bearer tok-1');
    assert.equal(resource.headers.accept, 'application/json');
  });

  test('a bare array (of objects or strings) is normalised to {data}', async () => {
    const { result } = await getScopes((_req, res) => sendJson(res, 200, [{ scope: 'sms' }, 'otp']));
    assert.deepEqual(result, { data: [{ scope: 'sms' }, { scope: 'otp' }] });
  });

  test('an unexpected body is an ApiException', async () => {
    const { result } = await getScopes((_req, res) => sendJson(res, 200, { scopes: 'sms' }));
    assert.ok(result instanceof ApiException);
    assert.match(result.message, /Unexpected body/);
  });

  test('error answers map to the typed errors', async () => {
    const { result } = await getScopes(errorStep(403, 'access_denied', 1603));
    assert.ok(result instanceof AccessDeniedException);
    assert.equal(result.requestId, 'req-403');
  });

  test('a 401 refreshes the token once, then surfaces InvalidCredentialsException', async () => {
    const { result, requests } = await getScopes(errorStep(401, 'invalid_token', 1600));
    assert.ok(result instanceof InvalidCredentialsException);
    assert.equal(requests.filter((r) => r.url === '/oauth/token').length, 2);
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
