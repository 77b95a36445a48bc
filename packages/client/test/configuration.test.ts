/**
 * Configuration defects of issue 17: the injected fetch called as a method (browsers: "Illegal
 * invocation"), credentials in browser code, a host without a scheme, SMSCX_DEBUG read
 * unguarded (Deno without --allow-env), and the log level.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ApiClient,
  ApplicationsApi,
  Configuration,
  type FetchLike,
  type Logger,
  type LogLevel,
  OauthApi,
  TokenManager,
} from '../src/index.js';
import { countingTokenStep, type ScriptedServer, sendJson, startScriptedServer } from './scripted-server.js';

/**
 * A fetch with the brand check of a browser's `window.fetch`: called with any `this` but the
 * global object (or none), it throws "Illegal invocation", as Chromium does.
 */
function brandCheckedFetch(): FetchLike {
  return function (this: unknown, input, init) {
    if (this !== undefined && this !== globalThis) throw new TypeError('Illegal invocation');
    return fetch(input, init);
  };
}

describe('Configuration.fetch is called as a plain function', () => {
  let server: ScriptedServer;
  before(async () => {
    const token = countingTokenStep();
    server = await startScriptedServer((req, res) =>
      req.url === '/oauth/token' ? token(req, res) : sendJson(res, 200, ['sms']),
    );
  });
  after(() => server.close());

  test('getAccessToken, getScopes and tokens.fetch work with a brand-checked fetch (window.fetch)', async () => {
    const configuration = new Configuration({
      username: 'app',
      password: 'secret',
      host: server.url,
      fetch: brandCheckedFetch(),
      maxRetries: 0,
    });
    const apiClient = new ApiClient(configuration);
    assert.equal((await new OauthApi(apiClient).getAccessToken()).access_token, 'tok-1');
    const tokens = new TokenManager({ apiClient });
    assert.deepEqual(await new ApplicationsApi(apiClient, tokens).getScopes(), ['sms']);
    assert.equal((await tokens.fetch('/applications/scopes')).status, 200);
    // Reading the property and calling it as a method of the configuration works too.
    assert.equal((await configuration.fetch(`${server.url}/x`, { method: 'GET', headers: {} })).status, 200);
  });
});

describe('credentials in a browser', () => {
  const g = globalThis as Record<string, unknown>;
  const saved = { window: g.window, navigator: Object.getOwnPropertyDescriptor(globalThis, 'navigator') };
  before(() => {
    // What openai-node (and this SDK) look for: a window with a document, and a navigator.
    g.window = { document: {} };
    Object.defineProperty(globalThis, 'navigator', { value: { userAgent: 'test' }, configurable: true });
  });
  after(() => {
    if (saved.window === undefined) delete g.window;
    else g.window = saved.window;
    if (saved.navigator) Object.defineProperty(globalThis, 'navigator', saved.navigator);
    else delete g.navigator;
  });

  test('an Application Secret throws a clear TypeError unless dangerouslyAllowBrowser', () => {
    assert.throws(
      () => new Configuration({ username: 'app', password: 'the-secret' }),
      (error: unknown) =>
        error instanceof TypeError &&
        /browser/.test(error.message) &&
        /Application Secret/.test(error.message) &&
        /dangerouslyAllowBrowser: true/.test(error.message) &&
        !error.message.includes('the-secret'),
    );
    const allowed = new Configuration({
      username: 'app',
      password: 'the-secret',
      dangerouslyAllowBrowser: true,
    });
    assert.equal(allowed.username, 'app');
  });

  test('no User-Agent header from a browser (it would need a CORS preflight to allow it)', async () => {
    const server = await startScriptedServer(countingTokenStep());
    try {
      const configuration = new Configuration({
        username: 'app',
        password: 'secret',
        host: server.url,
        dangerouslyAllowBrowser: true,
      });
      await new OauthApi(new ApiClient(configuration)).getAccessToken();
      assert.ok(!String(server.requests[0]?.headers['user-agent']).startsWith('smscx-client'));
    } finally {
      await server.close();
    }
  });

  test('an API key too', () => {
    assert.throws(
      () => new Configuration({ apiKey: 'ak_1.x' }),
      /API key \(apiKey\).*dangerouslyAllowBrowser/,
    );
    assert.equal(new Configuration({ apiKey: 'ak_1.x', dangerouslyAllowBrowser: true }).apiKey, 'ak_1.x');
  });
});

describe('Configuration.host', () => {
  test('a host without a scheme is a configuration error at construction, not a connection error', () => {
    for (const host of [
      'api.sms.cx',
      'localhost:8080',
      '127.0.0.1',
      'ftp://api.sms.cx',
      '',
      'https://',
      '//api.sms.cx',
    ]) {
      assert.throws(
        () => new Configuration({ username: 'a', password: 'b', host }),
        (error: unknown) =>
          error instanceof TypeError &&
          /host must be an absolute http:\/\/ or https:\/\/ URL/.test(error.message),
        host,
      );
    }
    assert.throws(
      () => new Configuration({ username: 'a', password: 'b', host: 'api.sms.cx' }),
      /\(got "api\.sms\.cx"\)/,
    );
    // A host with credentials is refused without being echoed.
    assert.throws(
      () => new Configuration({ username: 'a', password: 'b', host: 'https://user:pw@api.sms.cx' }),
      (error: unknown) => error instanceof TypeError && !error.message.includes('pw@'),
    );
    assert.throws(() => new Configuration({ username: 'a', password: 'b', host: 'https://api.sms.cx/?x=1' }));
  });

  test('http(s) URLs are kept, with a path prefix, without the trailing slash', () => {
    const host = (h: string) => new Configuration({ username: 'a', password: 'b', host: h }).host;
    assert.equal(host('https://api.sms.cx/'), 'https://api.sms.cx');
    assert.equal(host('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
    assert.equal(host('HTTPS://gateway.example/smscx//'), 'HTTPS://gateway.example/smscx');
  });
});

describe('the environment', () => {
  test('a process.env that refuses reads (Deno without --allow-env: NotCapable) does not break construction', () => {
    const original = process.env;
    const refusing = new Proxy(
      {},
      {
        get() {
          throw Object.assign(new Error('Requires env access to "SMSCX_DEBUG", run again with --allow-env'), {
            name: 'NotCapable',
          });
        },
      },
    );
    process.env = refusing as NodeJS.ProcessEnv;
    try {
      const configuration = new Configuration({ username: 'a', password: 'b' });
      assert.equal(configuration.logLevel, 'warn');
      assert.ok(new ApiClient(configuration));
      assert.ok(new TokenManager({ configuration }));
    } finally {
      process.env = original;
    }
  });

  test('SMSCX_DEBUG=1 means logLevel debug unless logLevel is given', () => {
    const previous = process.env.SMSCX_DEBUG;
    process.env.SMSCX_DEBUG = '1';
    try {
      assert.equal(new Configuration({ username: 'a', password: 'b' }).logLevel, 'debug');
      assert.equal(new Configuration({ username: 'a', password: 'b', logLevel: 'error' }).logLevel, 'error');
    } finally {
      if (previous === undefined) delete process.env.SMSCX_DEBUG;
      else process.env.SMSCX_DEBUG = previous;
    }
  });

  test('logLevel and logger are validated', () => {
    const notALevel = 'verbose' as unknown as LogLevel;
    assert.throws(() => new Configuration({ username: 'a', password: 'b', logLevel: notALevel }), /logLevel/);
    const notALogger = { debug() {} } as unknown as Logger;
    assert.throws(() => new Configuration({ username: 'a', password: 'b', logger: notALogger }), /logger/);
    assert.equal(new Configuration({ username: 'a', password: 'b', logger: console }).logger, console);
  });
});
