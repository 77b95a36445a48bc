import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { CLIENT_DIR, ensureBuilt, REPO_DIR } from './build-helper.js';

const run = promisify(execFile);
const TSC = join(REPO_DIR, 'node_modules', '.bin', 'tsc');

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
  type OauthTokenResponse, type ApiErrorBody, type ApplicationScopes,
} from 'smscx-client';

export async function main(): Promise<void> {
  const configuration = new Configuration({ username: 'APP_ID', password: 'APP_SECRET' });
  const api = new OauthApi(new ApiClient(configuration));
  const res: OauthTokenResponse = await api.getAccessToken({ scope: 'sms groups' });
  const n: number = res.expires_in;
  const tokens = new TokenManager({ configuration, scope: 'sms groups', refreshSkewSeconds: 60 });
  const accessToken: string = await tokens.getToken();
  const response: Response = await tokens.fetch('https://api.sms.cx/applications/scopes');
  const scopes: ApplicationScopes = await new ApplicationsApi(new ApiClient(configuration), tokens).getScopes();
  try {
    await api.getAccessToken({ grantType: 'client_credentials', signal: AbortSignal.timeout(1000) });
  } catch (err) {
    if (err instanceof RateLimitExceededException) { const d: Date | undefined = err.resetAt; void d; }
    if (err instanceof ApiException) { const e: ApiErrorBody | undefined = err.error; void e; }
  }
  void [n, accessToken, response, scopes, InvalidRequestException, InvalidScopeException,
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

  test('holds only dist/, bin/, README.md, LICENSE and package.json', () => {
    const outside = files.filter((f) => !f.startsWith('dist/') && !f.startsWith('bin/'));
    assert.deepEqual(outside.sort(), ['LICENSE', 'README.md', 'package.json']);
    assert.ok(files.includes('dist/esm/index.js'));
    assert.ok(files.includes('dist/esm/index.d.ts'));
    assert.ok(files.includes('dist/cjs/index.js'));
    assert.ok(files.includes('dist/cjs/index.d.ts'));
    assert.ok(files.includes('dist/cjs/package.json'));
    assert.ok(files.includes('dist/esm/cli/main.js'));
    assert.ok(files.includes('bin/smscx.js'));
    assert.ok(!files.some((f) => f.includes('test') || f.startsWith('src/')));
  });

  test('import() and require() expose the pinned classes', async () => {
    const project = join(dir, 'project');
    const probe = `const names = ${JSON.stringify(PINNED)};
      const missing = names.filter((n) => typeof m[n] !== 'function');
      if (missing.length) { console.error('missing', missing); process.exit(1); }
      const c = new m.Configuration({ username: 'a', password: 'b' });
      if (c.host !== 'https://api.sms.cx') process.exit(3);
      if (!(new m.UnsupportedGrantTypeException('x') instanceof m.InvalidRequestException)) process.exit(4);
      if (Object.keys(m).some((k) => /sendOnce|redact|basicAuthorization/.test(k))) process.exit(5);
      console.log('ok', typeof m.VERSION);`;
    const esm = await run(
      process.execPath,
      ['--input-type=module', '-e', `import * as m from 'smscx-client';\n${probe}`],
      {
        cwd: project,
      },
    );
    assert.equal(esm.stdout.trim(), 'ok string');
    const cjs = await run(
      process.execPath,
      ['--input-type=commonjs', '-e', `const m = require('smscx-client');\n${probe}`],
      {
        cwd: project,
      },
    );
    assert.equal(cjs.stdout.trim(), 'ok string');
  });

  test('the installed bin runs', async () => {
    const { stdout } = await run(join(dir, 'project', 'node_modules', '.bin', 'smscx'), ['--version']);
    assert.match(stdout, /^\d+\.\d+\.\d+\n$/);
  });

  test('tsc resolves the types for ESM and CJS consumers (module NodeNext)', async () => {
    const project = join(dir, 'project');
    writeFileSync(join(project, 'example.ts'), EXAMPLE);
    writeFileSync(
      join(project, 'example-cjs.cts'),
      `import { Configuration, TokenManager, type OauthTokenResponse } from 'smscx-client';
       const t: TokenManager = new TokenManager({ configuration: new Configuration({ username: 'a', password: 'b' }) });
       export const p: Promise<string> = t.getToken();
       export type R = OauthTokenResponse;`,
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          lib: ['ES2022', 'DOM'],
          strict: true,
          exactOptionalPropertyTypes: true,
          noEmit: true,
          types: [],
        },
        files: ['example.ts', 'example-cjs.cts'],
      }),
    );
    const result = await run(TSC, ['-p', 'tsconfig.json'], { cwd: project }).catch(
      (e: { stdout: string; code: number }) => e,
    );
    assert.equal('code' in result ? result.code : 0, 0, 'stdout' in result ? result.stdout : '');
  });
});
