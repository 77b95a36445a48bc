import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApiClient, Configuration, OauthApi, VERSION } from '../src/index.js';
import { formUrlEncode } from '../src/internal/basic-auth.js';
import { type ScriptedServer, startScriptedServer, tokenStep } from './scripted-server.js';

/** Decodes a Basic header the way RFC 6749 §2.3.1 says a server must. */
function decodeBasic(header: string | undefined): [string, string] {
  if (!header?.startsWith('Basic ')) throw new Error(`expected Basic, got ${header}`);
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const plus = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return [plus(decoded.slice(0, colon)), plus(decoded.slice(colon + 1))];
}

describe('POST /oauth/token wire format', () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer(tokenStep());
  });
  after(() => server.close());

  test('sends Basic credentials, form body, and the documented headers', async () => {
    const api = new OauthApi(
      new ApiClient(new Configuration({ username: 'app-id', password: 's3cret', host: server.url })),
    );
    const res = await api.getAccessToken({ scope: 'sms groups' });
    assert.deepEqual(res, {
      access_token: 'tok-1',
      token_type: 'Bearer',
      expires_in: 86400,
      scope: 'sms groups',
    });
    const req = server.requests.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/oauth/token');
    assert.equal(req.headers.authorization, `Basic ${Buffer.from('app-id:s3cret').toString('base64')}`);
    assert.equal(req.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(req.headers.accept, 'application/json');
    assert.equal(req.headers['user-agent'], `smscx-client-typescript/${VERSION}`);
    assert.equal(req.body, 'grant_type=client_credentials&scope=sms+groups');
  });

  test('form-encodes id and secret before base64 (":" "%" "+" space and non-ASCII survive)', async () => {
    const id = 'id:with%odd chars';
    const secret = "p@ss:w%rd+ü€ 😀!*'()~";
    const api = new OauthApi(
      new ApiClient(new Configuration({ username: id, password: secret, host: server.url })),
    );
    await api.getAccessToken();
    const header = server.requests.at(-1)!.headers.authorization;
    const raw = Buffer.from(header!.slice(6), 'base64').toString('utf8');
    // Only one ":" is left unencoded: the separator.
    assert.equal(raw.split(':').length, 2);
    assert.equal(raw, `${formUrlEncode(id)}:${formUrlEncode(secret)}`);
    assert.match(raw, /^id%3Awith%25odd\+chars:/);
    assert.deepEqual(decodeBasic(header), [id, secret]);
  });

  test('omits scope when empty or undefined; sends a custom grant type', async () => {
    const api = new OauthApi(
      new ApiClient(new Configuration({ username: 'a', password: 'b', host: server.url })),
    );
    await api.getAccessToken({ scope: '' });
    assert.equal(server.requests.at(-1)!.body, 'grant_type=client_credentials');
    await api.getAccessToken();
    assert.equal(server.requests.at(-1)!.body, 'grant_type=client_credentials');
    await api.getAccessToken({ grantType: 'password', scope: 'a&b=c' }).catch(() => {});
    assert.equal(server.requests.at(-1)!.body, 'grant_type=password&scope=a%26b%3Dc');
  });

  test('honours a host with a trailing slash and a custom user agent', async () => {
    const configuration = new Configuration({
      username: 'a',
      password: 'b',
      host: `${server.url}/`,
      userAgent: 'mine/1',
    });
    await new OauthApi(new ApiClient(configuration)).getAccessToken();
    const req = server.requests.at(-1)!;
    assert.equal(req.url, '/oauth/token');
    assert.equal(req.headers['user-agent'], 'mine/1');
  });

  test('uses the injected fetch', async () => {
    const seen: string[] = [];
    const configuration = new Configuration({
      username: 'a',
      password: 'b',
      host: server.url,
      fetch: (input, init) => {
        seen.push(String(input));
        return fetch(input, init);
      },
    });
    await new OauthApi(new ApiClient(configuration)).getAccessToken();
    assert.deepEqual(seen, [`${server.url}/oauth/token`]);
  });
});

describe('Configuration', () => {
  test('defaults', () => {
    const c = new Configuration({ username: 'APP_ID', password: 'APP_SECRET' });
    assert.equal(c.host, 'https://api.sms.cx');
    assert.equal(c.maxRetries, 2);
    assert.equal(c.timeoutMs, 30000);
    assert.equal(c.userAgent, `smscx-client-typescript/${VERSION}`);
    assert.equal(c.password, 'APP_SECRET');
  });

  test('rejects missing credentials and bad numbers', () => {
    assert.throws(() => new Configuration({ username: '', password: 'x' }), TypeError);
    assert.throws(() => new Configuration({ username: 'x', password: '' }), TypeError);
    assert.throws(() => new Configuration({ username: 'x', password: 'y', maxRetries: -1 }), TypeError);
    assert.throws(() => new Configuration({ username: 'x', password: 'y', timeoutMs: 1.5 }), TypeError);
  });

  test('an API key alone is enough; with it, username and password still come as a pair', () => {
    const c = new Configuration({ apiKey: 'ak_0123456789ab.key' });
    assert.equal(c.apiKey, 'ak_0123456789ab.key');
    assert.equal(c.username, undefined);
    assert.equal(c.password, undefined);
    const both = new Configuration({ username: 'APP_ID', password: 'APP_SECRET', apiKey: 'ak_x.y' });
    assert.equal(both.username, 'APP_ID');
    assert.equal(both.apiKey, 'ak_x.y');
    assert.equal(new Configuration({ username: 'APP_ID', password: 'APP_SECRET' }).apiKey, undefined);
    assert.throws(() => new Configuration({}), /username \(the Application ID\) is required/);
    assert.throws(() => new Configuration({ apiKey: 'k-1', username: 'x' }), /password/);
    assert.throws(() => new Configuration({ apiKey: 'k-1', password: 'y' }), /username/);
    assert.throws(() => new Configuration({ apiKey: 'k-1', username: '', password: 'y' }), TypeError);
  });

  test('rejects an API key that is not a header-safe token, without quoting it', () => {
    for (const apiKey of ['', 'has space-SECRETPART', 'line\nbreak-SECRETPART', 'ü-SECRETPART', 42]) {
      assert.throws(
        () => new Configuration({ apiKey: apiKey as string }),
        (error: unknown) =>
          error instanceof TypeError &&
          /apiKey must be/.test(error.message) &&
          !error.message.includes('SECRETPART'),
      );
    }
  });
});
