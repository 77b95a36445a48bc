/**
 * The runtimes the README names, tested rather than claimed (issue 17): the BUILT SDK
 * (dist/esm) run by Node (this one, 20), Bun and Deno from their npm packages (devDependencies
 * of this package) against the REAL token server, and bundled with esbuild into a page that
 * Debian's Chromium (driven by playwright-core) loads from another origin: it gets a token from
 * the real server binary, started with `--cors-origin <the page's origin>`.
 *
 * Node 22: the binary `npm test` fetches first (scripts/fetch-node22.mjs, Linux x64), or the one
 * SMSCX_TEST_NODE22 names.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { DEFAULT_SCOPES } from 'smscx-oauth-server';
import { CLIENT_DIR, ensureBuilt, REPO_DIR } from './build-helper.js';
import { startTokenServer, type TokenServer } from './real-server.js';

const execFileAsync = promisify(execFile);
const BIN = join(REPO_DIR, 'node_modules', '.bin');
const DIST = join(CLIENT_DIR, 'dist', 'esm');
const CHROMIUM = process.env.SMSCX_CHROMIUM ?? '/usr/bin/chromium';
const SERVER_BIN = join(REPO_DIR, 'packages', 'server', 'bin', 'smscx-oauth-server.js');

/** What the smoke script prints (one JSON line). */
interface SmokeResult {
  runtime: string;
  tokenParts: number;
  scope: string;
  requestId: boolean;
  remaining: number | undefined;
  scopes: string[];
  apiScopes: number;
  wrong: { isApiError: boolean; name: string; instanceOf: boolean; status: number; leaked: boolean };
  hostError: string;
  fileStore: { same: boolean; files: number };
}

/**
 * The same script for every runtime: it imports the built SDK by absolute path (no
 * permission needed in Deno for that) and exercises what the README promises.
 */
function smokeScript(): string {
  const index = JSON.stringify(join(DIST, 'index.js'));
  const fileStore = JSON.stringify(join(DIST, 'node', 'file-store.js'));
  return `import * as sdk from ${index};
import { FileTokenStore } from ${fileStore};
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
const [host, id, secret, cacheDir] = args;
const runtime = globalThis.Deno ? 'deno ' + Deno.version.deno : globalThis.Bun ? 'bun ' + Bun.version : 'node ' + process.version;
const configuration = new sdk.Configuration({ username: id, password: secret, host });
const tokens = new sdk.TokenManager({ configuration, scope: 'sms' });
const token = await tokens.getToken();
const { data, response } = await new sdk.OauthApi(new sdk.ApiClient(configuration))
  .getAccessToken({ scope: 'sms groups' })
  .withResponse();
const scopes = await (await tokens.fetch('/applications/scopes')).json();
const apiScopes = (await new sdk.ApplicationsApi(new sdk.ApiClient(configuration), tokens).getScopes()).length;
const wrongConfiguration = new sdk.Configuration({ username: id, password: 'wrong-secret-xyz', host, logLevel: 'off' });
const wrong = await new sdk.OauthApi(new sdk.ApiClient(wrongConfiguration)).getAccessToken().catch((e) => e);
let hostError = 'accepted';
try {
  new sdk.Configuration({ username: id, password: secret, host: 'api.sms.cx' });
} catch (e) {
  hostError = e.name;
}
const store = new FileTokenStore(cacheDir);
const a = await new sdk.TokenManager({ configuration, scope: 'groups', store }).getToken();
const b = await new sdk.TokenManager({ configuration, scope: 'groups', store }).getToken();
const files = (await import('node:fs')).readdirSync(cacheDir).length;
console.log(JSON.stringify({
  runtime,
  tokenParts: token.split('.').length,
  scope: data.scope,
  requestId: typeof response.requestId === 'string' && response.requestId.length > 0,
  remaining: response.rateLimit.remaining,
  scopes,
  apiScopes,
  wrong: {
    isApiError: sdk.isApiError(wrong),
    name: wrong.name,
    instanceOf: wrong instanceof sdk.InvalidCredentialsException,
    status: wrong.status,
    leaked: JSON.stringify(wrong).includes('wrong-secret-xyz') || String(wrong.body).includes('wrong-secret-xyz'),
  },
  hostError,
  fileStore: { same: a === b, files },
}));
`;
}

/** Node 22: the binary SMSCX_TEST_NODE22 names, else the one `npm test` fetched, else none. */
const FETCHED_NODE22 = join(REPO_DIR, 'node_modules', '.cache', 'node22', 'bin', 'node');
const NODE22 = process.env.SMSCX_TEST_NODE22 ?? (existsSync(FETCHED_NODE22) ? FETCHED_NODE22 : undefined);

/** The platform binary of an npm package that ships one (`bun`, `deno`). */
function npmBinary(name: 'bun' | 'deno'): string {
  const candidates =
    name === 'bun'
      ? [join(BIN, 'bun'), join(REPO_DIR, 'node_modules', 'bun', 'bin', 'bun.exe')]
      : [join(BIN, 'deno'), join(REPO_DIR, 'node_modules', 'deno', 'deno')];
  const found = candidates.find((path) => existsSync(path));
  assert.ok(found, `${name} from npm: run npm ci (it is a devDependency of packages/client)`);
  return found;
}

describe('the built SDK on every runtime it claims, against the real token server', () => {
  let server: TokenServer;
  let dir: string;
  let script: string;

  before(async () => {
    await ensureBuilt();
    server = await startTokenServer();
    dir = mkdtempSync(join(tmpdir(), 'smscx-runtimes-'));
    script = join(dir, 'smoke.mjs');
    writeFileSync(script, smokeScript());
  });
  after(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the smoke script with `command` and checks what it printed. */
  async function smoke(command: string, prefix: string[], label: string): Promise<SmokeResult> {
    const cache = join(dir, `cache-${label}`);
    const { stdout, stderr } = await execFileAsync(
      command,
      [...prefix, script, server.url, server.active.id, server.active.secret, cache],
      {
        cwd: dir,
        // SMSCX_DEBUG is set to show it is not read where the runtime forbids reading it
        // (Deno without --allow-env used to throw NotCapable from `new ApiClient()`).
        env: { PATH: process.env.PATH ?? '', HOME: dir, DENO_NO_UPDATE_CHECK: '1', SMSCX_DEBUG: '1' },
        timeout: 60_000,
      },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as SmokeResult;
    assert.equal(result.tokenParts, 3, stderr);
    assert.deepEqual(result.scope.split(' ').sort(), ['groups', 'sms']);
    assert.ok(result.requestId);
    assert.equal(typeof result.remaining, 'number');
    assert.deepEqual(result.scopes, [...DEFAULT_SCOPES]);
    assert.equal(result.apiScopes, DEFAULT_SCOPES.length);
    assert.deepEqual(result.wrong, {
      isApiError: true,
      name: 'InvalidCredentialsException',
      instanceOf: true,
      status: 401,
      leaked: false,
    });
    assert.equal(result.hostError, 'TypeError');
    assert.deepEqual(result.fileStore, { same: true, files: 1 });
    return result;
  }

  test(`Node ${process.version}`, async () => {
    const result = await smoke(process.execPath, [], 'node');
    assert.equal(result.runtime, `node ${process.version}`);
  });

  test('Node 22', {
    skip:
      NODE22 === undefined
        ? 'no Node 22 binary (see scripts/fetch-node22.mjs, or set SMSCX_TEST_NODE22)'
        : false,
  }, async () => {
    const result = await smoke(NODE22 ?? '', [], 'node22');
    assert.match(result.runtime, /^node v22\./);
  });

  test('Bun (npm package bun)', async () => {
    const result = await smoke(npmBinary('bun'), [], 'bun');
    assert.match(result.runtime, /^bun \d+\.\d+/);
  });

  test('Deno (npm package deno), with network and file access only: no --allow-env', async () => {
    const cache = join(dir, 'cache-deno');
    const port = new URL(server.url).port;
    const result = await smoke(
      npmBinary('deno'),
      [
        'run',
        '--no-prompt',
        '--no-config',
        `--allow-net=127.0.0.1:${port}`,
        `--allow-read=${cache}`,
        `--allow-write=${cache}`,
      ],
      'deno',
    );
    assert.match(result.runtime, /^deno \d+\.\d+/);
  });
});

/** A static page server on loopback: `/` loads `/sdk.js`, the bundled SDK. */
async function startPageServer(bundle: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(bundle);
      return;
    }
    res
      .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
      .end(
        '<!doctype html><title>smscx-client</title><script type="module">import * as sdk from "/sdk.js"; window.sdk = sdk; document.title = "ready";</script>',
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Runs the server binary; resolves to what it printed when it exits. */
function serverCli(args: string[]): Promise<string> {
  return execFileAsync(process.execPath, [SERVER_BIN, ...args], {
    env: { PATH: process.env.PATH ?? '' },
  }).then(({ stdout }) => stdout);
}

/** Starts `serve` from the server binary and resolves to its URL once it listens. */
function startServerBinary(
  args: string[],
): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const child = spawn(
    process.execPath,
    [SERVER_BIN, 'serve', '--host', '127.0.0.1', '--port', '0', ...args],
    {
      env: { PATH: process.env.PATH ?? '', SMSCX_WORKERS: '1', SMSCX_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output}`));
    });
  });
}

describe("the SDK bundled with esbuild, in Debian's Chromium, against the real server binary with CORS", () => {
  let dir: string;
  let page: { url: string; server: Server } | undefined;
  let tokenServer: { url: string; child: ChildProcess; output: () => string } | undefined;
  let credentials: { application_id: string; application_secret: string };

  before(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'smscx-browser-'));
    const bundled = await build({
      entryPoints: [join(DIST, 'index.js')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      write: false,
      logLevel: 'silent',
    });
    page = await startPageServer(bundled.outputFiles[0]!.text);
    const db = join(dir, 'smscx-oauth.db');
    credentials = JSON.parse(
      await serverCli([
        'apps',
        'create',
        '--db',
        db,
        '--name',
        'browser',
        '--scopes',
        'sms groups',
        '--json',
      ]),
    ) as typeof credentials;
    try {
      tokenServer = await startServerBinary(['--db', db, '--cors-origin', page.url]);
    } catch (error) {
      throw new Error(
        `the token server did not start with --cors-origin (does it support CORS yet?): ${(error as Error).message}`,
      );
    }
  });
  after(async () => {
    tokenServer?.child.kill('SIGTERM');
    if (tokenServer) await new Promise((resolve) => tokenServer?.child.once('exit', resolve));
    page?.server.closeAllConnections();
    page?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a token from another origin with fetch: window.fetch; the secret needs dangerouslyAllowBrowser', async () => {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on('pageerror', (error) => errors.push(error.message));
      await tab.goto(page!.url);
      await tab.waitForFunction(() => document.title === 'ready');
      const result = await tab.evaluate(
        async ({ host, id, secret }) => {
          // biome-ignore lint/suspicious/noExplicitAny: the bundle's exports, set by the page
          const sdk = (window as any).sdk;
          let refused = '';
          try {
            new sdk.Configuration({ username: id, password: secret, host });
          } catch (error) {
            refused = `${(error as Error).name}: ${(error as Error).message}`;
          }
          const configuration = new sdk.Configuration({
            username: id,
            password: secret,
            host,
            fetch: window.fetch, // was "Illegal invocation": called as a method of the configuration
            dangerouslyAllowBrowser: true,
            logLevel: 'off',
          });
          const tokens = new sdk.TokenManager({ configuration, scope: 'sms' });
          const token: string = await tokens.getToken();
          const { data, response } = await new sdk.OauthApi(new sdk.ApiClient(configuration))
            .getAccessToken({ scope: 'groups' })
            .withResponse();
          const scopes = await new sdk.ApplicationsApi(new sdk.ApiClient(configuration), tokens).getScopes();
          const viaFetch = await tokens.fetch('/applications/scopes');
          return {
            origin: location.origin,
            refused,
            tokenParts: token.split('.').length,
            scope: data.scope,
            requestId: response.requestId,
            remaining: response.rateLimit.remaining,
            scopes,
            fetchStatus: viaFetch.status,
          };
        },
        { host: tokenServer!.url, id: credentials.application_id, secret: credentials.application_secret },
      );
      assert.notEqual(result.origin, new URL(tokenServer!.url).origin, 'cross-origin');
      assert.match(result.refused, /^TypeError: .*browser.*dangerouslyAllowBrowser: true/);
      assert.ok(!result.refused.includes(credentials.application_secret));
      assert.equal(result.tokenParts, 3);
      assert.equal(result.scope, 'groups');
      assert.match(
        result.requestId ?? '',
        /\S/,
        'X-Request-Id is exposed to the page (Access-Control-Expose-Headers)',
      );
      assert.equal(typeof result.remaining, 'number', 'X-Rate-Limit-Remaining is exposed to the page');
      assert.deepEqual(result.scopes, [...DEFAULT_SCOPES]);
      assert.equal(result.fetchStatus, 200);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
});
