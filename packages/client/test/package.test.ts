import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CLIENT_DIR, ensureBuilt, REPO_DIR } from './build-helper.js';

const run = promisify(execFile);
/** The repository's TypeScript, run with node (no reliance on a .bin shim). */
const TSC = join(REPO_DIR, 'node_modules', 'typescript', 'bin', 'tsc');

/** Every file below `dir`, as paths relative to the package root. */
function listFiles(dir: string, prefix: string): string[] {
  return readdirSync(join(CLIENT_DIR, dir), { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? listFiles(join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`],
  );
}

const PINNED = [
  'Configuration',
  'ApiClient',
  'OauthApi',
  'ApplicationsApi',
  'TokenManager',
  'ApiException',
  'InvalidRequestException',
  'UnsupportedGrantTypeException',
  'InvalidScopeException',
  'InvalidCredentialsException',
  'AccessDeniedException',
  'ApiMethodNotAllowedException',
  'RateLimitExceededException',
  'ServerErrorException',
  'ApiConnectionException',
  'ApiTimeoutException',
];

const EXAMPLE = `
import {
  Configuration, ApiClient, OauthApi, TokenManager, ApplicationsApi,
  ApiException, InvalidRequestException, InvalidScopeException, InvalidCredentialsException,
  AccessDeniedException, ApiMethodNotAllowedException, RateLimitExceededException,
  ServerErrorException, ApiConnectionException, UnsupportedGrantTypeException, ApiTimeoutException,
  type OauthTokenResponse, type ApiErrorBody, type ApplicationsListResponse, type Application,
  MemoryTokenStore, isApiError, type TokenStore, type ApiResponse,
} from 'smscx-client';
import { FileTokenStore } from 'smscx-client/file-store';

export async function stores(): Promise<void> {
  const configuration = new Configuration({ username: 'APP_ID', password: 'APP_SECRET', deadlineMs: 5000, logLevel: 'debug', logger: console });
  const shared: TokenStore = new FileTokenStore('/tmp/smscx-tokens');
  const tokens = new TokenManager({ configuration, store: shared });
  const memory = new TokenManager({ configuration, store: new MemoryTokenStore() });
  const { data, response } = await new OauthApi(new ApiClient(configuration)).getAccessToken().withResponse();
  const info: ApiResponse = response;
  const left: number | undefined = info.rateLimit.remaining;
  const scopes: Response = await tokens.fetch('/applications/scopes', {}, { deadlineMs: 1000 });
  try {
    await memory.getToken();
  } catch (err) {
    if (isApiError(err) && err.name === 'RateLimitExceededException') {
      const wait: number | undefined = err.retryAfterMs;
      void wait;
    }
  }
  void [data, left, scopes, tokens.cacheKey];
}

export async function main(): Promise<void> {
  const configuration = new Configuration({ username: 'APP_ID', password: 'APP_SECRET' });
  const api = new OauthApi(new ApiClient(configuration));
  const res: OauthTokenResponse = await api.getAccessToken({ scope: 'sms groups' });
  const n: number = res.expires_in;
  const tokens = new TokenManager({ configuration, scope: 'sms groups', refreshSkewSeconds: 60 });
  const accessToken: string = await tokens.getToken();
  const response: Response = await tokens.fetch('https://api.sms.cx/applications/scopes');
  const scopes: string[] = await new ApplicationsApi(new ApiClient(configuration), tokens).getScopes();
  const keyed = new ApplicationsApi(new ApiClient(new Configuration({ apiKey: 'YOUR_API_KEY' })));
  const list: ApplicationsListResponse = await keyed.getApplicationsList();
  const first: Application | undefined = list.data[0];
  const id: number | undefined = first?.id;
  try {
    await api.getAccessToken({ grantType: 'client_credentials', signal: AbortSignal.timeout(1000) });
  } catch (err) {
    if (err instanceof RateLimitExceededException) { const d: Date | undefined = err.resetAt; void d; }
    if (err instanceof ApiException) { const e: ApiErrorBody | undefined = err.error; void e; }
  }
  void [n, accessToken, response, scopes, id, InvalidRequestException, InvalidScopeException,
    InvalidCredentialsException, AccessDeniedException, ApiMethodNotAllowedException,
    ServerErrorException, ApiConnectionException, UnsupportedGrantTypeException, ApiTimeoutException];
}
`;

describe('the packed tarball, as users get it', () => {
  let dir: string;
  let tarball: string;
  let files: string[];

  before(async () => {
    await ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'smscx-client-pack-'));
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
      cwd: CLIENT_DIR,
    });
    const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    tarball = join(dir, info!.filename);
    files = info!.files.map((f) => f.path);
    const project = join(dir, 'project');
    await run('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('holds exactly the built dist/, the bin launcher, README.md, LICENSE and package.json', () => {
    const expected = [
      ...listFiles('dist', 'dist/'),
      'bin/smscx.js',
      'LICENSE',
      'README.md',
      'package.json',
    ].sort();
    assert.deepEqual([...files].sort(), expected);
    for (const built of [
      'dist/esm/index.js',
      'dist/esm/index.d.ts',
      'dist/cjs/index.js',
      'dist/cjs/index.d.ts',
      'dist/cjs/package.json',
      'dist/esm/cli/main.js',
    ]) {
      assert.ok(files.includes(built), built);
    }
    assert.ok(
      !files.some((f) => /(^|\/)(src|test)\/|\.map$|tsbuildinfo|\.ts$/.test(f) && !f.endsWith('.d.ts')),
    );
  });

  test('declares zero runtime dependencies', () => {
    const pkg = JSON.parse(
      readFileSync(join(dir, 'project', 'node_modules', 'smscx-client', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    assert.equal(pkg.dependencies, undefined);
    assert.equal(pkg.peerDependencies, undefined);
    assert.equal(pkg.optionalDependencies, undefined);
  });

  test('a .mjs import and a .cjs require both expose the pinned classes', async () => {
    const project = join(dir, 'project');
    const probe = `const names = ${JSON.stringify(PINNED)};
      const missing = names.filter((n) => typeof m[n] !== 'function');
      if (missing.length) { console.error('missing', missing); process.exit(1); }
      const c = new m.Configuration({ username: 'a', password: 'b' });
      if (c.host !== 'https://api.sms.cx') process.exit(3);
      if (!(new m.UnsupportedGrantTypeException('x') instanceof m.InvalidRequestException)) process.exit(4);
      if (Object.keys(m).some((k) => /sendOnce|redact|basicAuthorization/.test(k))) process.exit(5);
      if (typeof fs.FileTokenStore !== 'function' || typeof m.MemoryTokenStore !== 'function') process.exit(6);
      if (!m.isApiError(new m.RateLimitExceededException('x'))) process.exit(7);
      console.log('ok', typeof m.VERSION, FORMAT);`;
    writeFileSync(
      join(project, 'probe.mjs'),
      `import * as m from 'smscx-client';\nimport * as fs from 'smscx-client/file-store';\nconst FORMAT = 'esm';\n${probe}`,
    );
    writeFileSync(
      join(project, 'probe.cjs'),
      `const m = require('smscx-client');\nconst fs = require('smscx-client/file-store');\nconst FORMAT = require.resolve('smscx-client').includes('/dist/cjs/') ? 'cjs' : 'wrong';\n${probe}`,
    );
    const [esm, cjs] = await Promise.all([
      run(process.execPath, ['probe.mjs'], { cwd: project }),
      run(process.execPath, ['probe.cjs'], { cwd: project }),
    ]);
    assert.equal(esm.stdout.trim(), 'ok string esm');
    assert.equal(cjs.stdout.trim(), 'ok string cjs');
  });

  test('has the metadata a registry page needs: repository, homepage, bugs, keywords', () => {
    const pkg = JSON.parse(
      readFileSync(join(dir, 'project', 'node_modules', 'smscx-client', 'package.json'), 'utf8'),
    ) as {
      repository?: { type?: string; url?: string; directory?: string };
      homepage?: string;
      bugs?: { url?: string };
      keywords?: string[];
    };
    assert.equal(pkg.repository?.type, 'git');
    assert.match(pkg.repository?.url ?? '', /^git\+https:\/\/.+\.git$/);
    assert.equal(pkg.repository?.directory, 'packages/client');
    assert.match(pkg.homepage ?? '', /^https:\/\//);
    assert.match(pkg.bugs?.url ?? '', /^https:\/\/.+\/issues$/);
    assert.ok((pkg.keywords ?? []).length >= 5);
    for (const keyword of ['smscx', 'oauth', 'sms']) assert.ok(pkg.keywords?.includes(keyword), keyword);
  });

  test('the shipped README is for users: no repository-internal sections or paths', () => {
    const readme = readFileSync(join(dir, 'project', 'node_modules', 'smscx-client', 'README.md'), 'utf8');
    assert.doesNotMatch(readme, /^## (Tests|Development|Contributing)\b/m);
    for (const internal of [/packages\//, /\.test\.ts/, /npm test/, /DEVELOPMENT\.md/, /test\/fixtures/]) {
      assert.doesNotMatch(readme, internal);
    }
  });

  test('the installed bin runs', async () => {
    const { stdout } = await run(join(dir, 'project', 'node_modules', '.bin', 'smscx'), ['--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('tsc resolves the types for ESM and CJS consumers (module node16 and nodenext)', async () => {
    const project = join(dir, 'project');
    writeFileSync(join(project, 'example.ts'), EXAMPLE);
    // CommonJS consumer, ES import syntax (compiled to require).
    writeFileSync(
      join(project, 'example-cjs.cts'),
      `import { Configuration, TokenManager, type OauthTokenResponse } from 'smscx-client';
       const t: TokenManager = new TokenManager({ configuration: new Configuration({ username: 'a', password: 'b' }) });
       export const p: Promise<string> = t.getToken({ signal: AbortSignal.timeout(1000) });
       export type R = OauthTokenResponse;
       // @ts-expect-error the types are real: a number is not a username
       new Configuration({ username: 1, password: 'b' });`,
    );
    // CommonJS consumer, require-style import.
    writeFileSync(
      join(project, 'example-require.cts'),
      `import smscx = require('smscx-client');
       const api: smscx.OauthApi = new smscx.OauthApi(new smscx.ApiClient(new smscx.Configuration({ username: 'a', password: 'b' })));
       export const r: Promise<smscx.OauthTokenResponse> = api.getAccessToken({ scope: 'sms' });
       export const isRateLimit = (e: unknown): e is smscx.RateLimitExceededException => e instanceof smscx.RateLimitExceededException;
       // @ts-expect-error the types are real: getAccessToken has no 'scopes' option
       api.getAccessToken({ scopes: 'sms' });`,
    );
    const files = ['example.ts', 'example-cjs.cts', 'example-require.cts'];
    const compilerOptions = {
      target: 'ES2022',
      lib: ['ES2022', 'DOM'],
      strict: true,
      exactOptionalPropertyTypes: true,
      noEmit: true,
      types: [],
    };
    for (const mode of ['Node16', 'NodeNext']) {
      writeFileSync(
        join(project, `tsconfig.${mode}.json`),
        JSON.stringify({
          compilerOptions: { ...compilerOptions, module: mode, moduleResolution: mode },
          files,
        }),
      );
    }
    const results = await Promise.all(
      ['Node16', 'NodeNext'].map((mode) =>
        run(process.execPath, [TSC, '-p', `tsconfig.${mode}.json`], { cwd: project }).then(
          () => ({ mode, code: 0, stdout: '' }),
          (e: { stdout: string; code: number }) => ({ mode, code: e.code, stdout: e.stdout }),
        ),
      ),
    );
    for (const result of results) assert.equal(result.code, 0, `${result.mode}: ${result.stdout}`);
  });
});
