// The whole loop through the SDK (`smscx-client`, resolved through the workspace link; built by
// `npm run build`): get a token, call the protected GET /applications/scopes through the
// TokenManager, revoke the token, and see what the SDK does with the refusal. The server is
// built in process (fixture.ts) and listens on loopback: the SDK talks real HTTP to it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  AccessDeniedException,
  ApiClient,
  ApplicationsApi,
  Configuration,
  InvalidCredentialsException,
  OauthApi,
  TokenManager,
} from 'smscx-client';
import { type InProcessServer, inProcessServer, testClock } from './fixture.js';
import type { TestApplication } from './helpers.js';
import { claimsOf, isActive, revoke } from './lifecycle-helpers.js';

/** The requests the SDK sent, as "METHOD /path -> status". */
function recordingFetch(log: string[]): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(request);
    log.push(`${request.method} ${new URL(request.url).pathname} -> ${response.status}`);
    return response;
  };
}

/** A TokenManager that always hands out one fixed token (as a client holding a stolen or stale token would). */
class FixedTokenManager extends TokenManager {
  readonly #token: string;
  constructor(apiClient: ApiClient, token: string) {
    super({ apiClient });
    this.#token = token;
  }
  override async getToken(): Promise<string> {
    return this.#token;
  }
}

describe('SDK round trip: token → protected endpoint → revoke → refused', () => {
  let server: InProcessServer;
  let url: string;
  let app: TestApplication;
  let resource: TestApplication;

  before(async () => {
    // Mid-second, so that `revokeTokens` (which moves the clock to the next whole second) always
    // comes after the second the earlier tokens were issued in.
    server = await inProcessServer({ clock: testClock(Math.floor(Date.now() / 1000) * 1000 + 500) });
    url = await server.listen();
    app = await server.createApplication({ name: 'sdk', scopes: 'sms groups' });
    resource = await server.createApplication({ name: 'resource' });
  });
  after(async () => {
    await server.close();
  });

  function client(log: string[], credentials: TestApplication = app): ApiClient {
    return new ApiClient(
      new Configuration({
        username: credentials.application_id,
        password: credentials.application_secret,
        host: url,
        maxRetries: 0,
        fetch: recordingFetch(log),
      }),
    );
  }

  it('OauthApi gets a token; ApplicationsApi.getScopes() reads the catalogue through the TokenManager', async () => {
    const log: string[] = [];
    const apiClient = client(log);
    const issued = await new OauthApi(apiClient).getAccessToken({ scope: 'sms' });
    assert.equal(issued.token_type, 'Bearer');
    assert.equal(issued.scope, 'sms');
    const tokens = new TokenManager({ apiClient });
    const scopes = await new ApplicationsApi(apiClient, tokens).getScopes();
    assert.equal(scopes.length, 14);
    assert.equal(scopes[0], 'sms');
    assert.deepEqual(log, [
      'POST /oauth/token -> 200',
      'POST /oauth/token -> 200',
      'GET /applications/scopes -> 200',
    ]);
  });

  it('a revoked token: the protected endpoint refuses it and the SDK throws InvalidCredentialsException', async () => {
    const log: string[] = [];
    const apiClient = client(log);
    const tokens = new TokenManager({ apiClient });
    const api = new ApplicationsApi(apiClient, tokens);
    await api.getScopes();
    const token = await tokens.getToken();
    assert.equal((await revoke(server, app, token)).status, 200);
    assert.equal(await isActive(server, resource, token), false);

    // Calling with exactly that token: 401 invalid_token, retried once with the same token
    // (the manager cannot get another), then surfaced as InvalidCredentialsException.
    const stuck: string[] = [];
    const fixedClient = client(stuck);
    const fixed = new ApplicationsApi(fixedClient, new FixedTokenManager(fixedClient, token));
    await assert.rejects(fixed.getScopes(), (err: unknown) => {
      assert.ok(err instanceof InvalidCredentialsException, String(err));
      assert.equal(err.status, 401);
      assert.equal(err.error?.type, 'invalid_token');
      assert.equal(err.error?.code, 1601);
      assert.match(err.headers.get('www-authenticate') ?? '', /^Bearer realm="smscx", error="invalid_token"/);
      assert.equal(typeof err.requestId, 'string');
      assert.equal(err.message.includes(token), false, 'the token is not in the message');
      return true;
    });
    assert.deepEqual(stuck, ['GET /applications/scopes -> 401', 'GET /applications/scopes -> 401']);
  });

  it('the real TokenManager recovers from a revoked token by fetching a fresh one (one 401, one retry)', async () => {
    const log: string[] = [];
    const apiClient = client(log);
    const tokens = new TokenManager({ apiClient });
    const api = new ApplicationsApi(apiClient, tokens);
    await api.getScopes();
    const revoked = await tokens.getToken();
    await revoke(server, app, revoked);
    log.length = 0;
    const scopes = await api.getScopes();
    assert.equal(scopes.length, 14);
    assert.deepEqual(log, [
      'GET /applications/scopes -> 401',
      'POST /oauth/token -> 200',
      'GET /applications/scopes -> 200',
    ]);
    const fresh = await tokens.getToken();
    assert.notEqual(claimsOf(fresh).jti, claimsOf(revoked).jti);
  });

  it('credentials leaked: rotate-secret + revoke-tokens make the SDK fail with InvalidCredentialsException', async () => {
    const leaked = await server.createApplication({ name: 'leaked' });
    const log: string[] = [];
    const apiClient = client(log, leaked);
    const tokens = new TokenManager({ apiClient });
    const api = new ApplicationsApi(apiClient, tokens);
    await api.getScopes();
    // Both changes are in force when the admin actions return.
    await server.admin.rotateSecret(leaked.application_id);
    await server.admin.revokeTokens(leaked.application_id);
    let last: unknown;
    await api.getScopes().catch((err: unknown) => {
      last = err;
    });
    assert.ok(last instanceof InvalidCredentialsException, String(last));
    assert.equal(last.status, 401);
    assert.equal(last.error?.type, 'invalid_client', 'the refresh with the old secret is what fails');
    assert.deepEqual(log.slice(-2), ['GET /applications/scopes -> 401', 'POST /oauth/token -> 401']);
  });

  it('a disabled application: the refresh is refused with AccessDeniedException', async () => {
    const disabled = await server.createApplication({ name: 'to-disable' });
    const log: string[] = [];
    const apiClient = client(log, disabled);
    const api = new ApplicationsApi(apiClient, new TokenManager({ apiClient }));
    await api.getScopes();
    await server.admin.disable(disabled.application_id);
    let last: unknown;
    await api.getScopes().catch((err: unknown) => {
      last = err;
    });
    assert.ok(last instanceof AccessDeniedException, String(last));
    assert.deepEqual(log.slice(-2), ['GET /applications/scopes -> 401', 'POST /oauth/token -> 403']);
  });
});
