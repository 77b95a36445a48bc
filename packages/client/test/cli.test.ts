import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { resolveHost, run } from '../src/cli/run.js';
import { DEFAULT_HOST, VERSION } from '../src/index.js';
import { CLIENT_DIR, ensureBuilt } from './build-helper.js';
import {
  countingTokenStep,
  errorStep,
  type ScriptedServer,
  type Step,
  startScriptedServer,
  tokenStep,
} from './scripted-server.js';

const BIN = join(CLIENT_DIR, 'bin', 'smscx.js');
const SECRET = 'cli-s3cret:%ü';

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns the built CLI asynchronously (the scripted server lives in this process). */
function smscx(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

/** The last line of `text`, with its newline. */
const lastLine = (text: string) => `${text.trimEnd().split('\n').at(-1)}\n`;

const creds = (host?: string) => ({
  SMSCX_APPLICATION_ID: 'app-id',
  SMSCX_APPLICATION_SECRET: SECRET,
  ...(host ? { SMSCX_API_URL: host } : {}),
});

async function against(step: Step, args: string[] = []): Promise<RunResult & { server: ScriptedServer }> {
  const server = await startScriptedServer(step);
  try {
    const result = await smscx(['token', '--host', server.url, ...args], creds());
    return { ...result, server };
  } finally {
    await server.close();
  }
}

describe('smscx CLI', () => {
  let server: ScriptedServer;
  before(async () => {
    await ensureBuilt();
    server = await startScriptedServer(tokenStep());
  });
  after(() => server.close());

  test('prints the token response as pretty JSON by default', async () => {
    const r = await smscx(['token', '--host', server.url, '--scope', 'sms groups'], creds());
    assert.equal(r.code, 0, r.stderr);
    const expected = { access_token: 'tok-1', expires_in: 86400, scope: 'sms groups', token_type: 'Bearer' };
    assert.equal(r.stdout, `${JSON.stringify(expected, null, 2)}\n`);
    assert.equal(r.stderr, '');
    assert.equal(server.requests.at(-1)!.body, 'grant_type=client_credentials&scope=sms+groups');
  });

  test('--json prints compact JSON, --token-only the bare token', async () => {
    const json = await smscx(['token', '--host', server.url, '--json'], creds());
    assert.equal(json.code, 0);
    assert.equal(json.stdout.trim().split('\n').length, 1);
    assert.equal(JSON.parse(json.stdout).access_token, 'tok-1');
    const only = await smscx(['token', '--token-only'], creds(server.url));
    assert.equal(only.code, 0, only.stderr);
    assert.equal(only.stdout, 'tok-1\n');
  });

  test('the command the token server prints works as written (env credentials, --host)', async () => {
    const r = await smscx(['token', '--host', server.url], {
      SMSCX_APPLICATION_ID: 'abc',
      SMSCX_APPLICATION_SECRET: 'def',
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      server.requests.at(-1)!.headers.authorization,
      `Basic ${Buffer.from('abc:def').toString('base64')}`,
    );
  });

  test('--id with --secret-stdin (trailing newline dropped; secret form-encoded)', async () => {
    const r = await smscx(
      ['token', '--host', server.url, '--id', 'other', '--secret-stdin'],
      {},
      `${SECRET}\n`,
    );
    assert.equal(r.code, 0, r.stderr);
    const raw = Buffer.from(server.requests.at(-1)!.headers.authorization!.slice(6), 'base64').toString();
    assert.equal(raw, `other:${encodeURIComponent(SECRET)}`);
  });

  test('--help and --version', async () => {
    const help = await smscx(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: smscx <command>/);
    assert.match(help.stdout, /Exit codes:/);
    const version = await smscx(['--version']);
    assert.equal(version.stdout, `${VERSION}\n`);
  });
});

// These cases each use their own server (or none), so they can run side by side.
describe('smscx CLI failures and exit codes', { concurrency: 3 }, () => {
  before(ensureBuilt);

  const usageCases: Array<[string, string[], Record<string, string>]> = [
    ['no command', [], creds()],
    ['unknown command', ['tokens'], creds()],
    ['unknown flag', ['token', '--nope'], creds()],
    ['missing id', ['token'], { SMSCX_APPLICATION_SECRET: 'x' }],
    ['missing secret', ['token'], { SMSCX_APPLICATION_ID: 'x' }],
    ['bad host', ['token', '--host', 'ftp://x'], creds()],
  ];
  for (const [label, args, env] of usageCases) {
    test(`usage error (${label}) exits 2 with one line on stderr`, async () => {
      const r = await smscx(args, env);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: usage: .+\n$/);
    });
  }

  const failures: Array<[string, Step, number, RegExp]> = [
    [
      '401',
      errorStep(401, 'invalid_client', 1600),
      3,
      /^error: invalid_client: message for invalid_client \(request id req-401\)\n$/,
    ],
    ['403', errorStep(403, 'access_denied', 1603), 4, /^error: access_denied: /],
    ['400 invalid_scope', errorStep(400, 'invalid_scope', 1600), 5, /^error: invalid_scope: /],
    [
      '400 unsupported_grant_type',
      errorStep(400, 'unsupported_grant_type', 1600),
      5,
      /unsupported_grant_type/,
    ],
    ['429', errorStep(429, 'rate_limit', 1629, { 'Retry-After': '3600' }), 6, /^error: rate_limit: /],
    ['500', errorStep(500, 'server_error', 1650, { 'Retry-After': '0' }), 7, /^error: server_error: /],
    [
      'HTML 502',
      (_req, res) => res.writeHead(502, { 'Retry-After': '0' }).end('<html>'),
      7,
      /^error: ServerErrorException: HTTP 502\n$/,
    ],
    ['404', errorStep(404, 'not_found', 1604), 1, /^error: not_found: /],
  ];
  for (const [label, step, code, pattern] of failures) {
    test(`${label} exits ${code}`, async () => {
      const r = await against(step);
      assert.equal(r.code, code, r.stderr);
      assert.equal(r.stdout, '');
      // Retries (and waits not taken) are logged first, one line each; the error is the last line.
      assert.match(lastLine(r.stderr), pattern);
      for (const line of r.stderr.trimEnd().split('\n').slice(0, -1)) {
        assert.match(line, /^smscx (retry|not retrying: )/);
      }
      assert.ok(!r.stderr.includes(SECRET));
    });
  }

  test('connection refused exits 8', async () => {
    const closed = await startScriptedServer(tokenStep());
    await closed.close();
    const r = await smscx(['token', '--host', closed.url], creds());
    assert.equal(r.code, 8);
    assert.match(lastLine(r.stderr), /^error: ApiConnectionException: Connection error/);
    // Each of the two retries is logged with its reason and delay (default log level).
    assert.equal(
      r.stderr.match(/^smscx retry .*"reason":"ApiConnectionException[^"]*","delayMs":\d+/gm)?.length,
      2,
    );
  });
});

describe('smscx CLI API URL from the environment', { concurrency: 3 }, () => {
  before(ensureBuilt);

  test("the token server's SMSCX_HOST=127.0.0.1 does not break the CLI; SMSCX_API_URL is used", async () => {
    const server = await startScriptedServer(tokenStep());
    try {
      const r = await smscx(['token', '--json'], {
        ...creds(),
        SMSCX_HOST: '127.0.0.1',
        SMSCX_API_URL: server.url,
      });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).access_token, 'tok-1');
      assert.equal(server.requests.length, 1);
    } finally {
      await server.close();
    }
  });

  test('SMSCX_API_URL that is not an http(s) URL is a usage error naming the variable', async () => {
    const r = await smscx(['token'], { ...creds(), SMSCX_API_URL: '127.0.0.1:8080' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: usage: invalid SMSCX_API_URL "127\.0\.0\.1:8080"/);
  });
});

describe('smscx CLI options, run in-process', () => {
  /** Runs the CLI logic with captured output (same code as the binary, minus the process). */
  async function runCli(argv: string[], env: Record<string, string> = creds()) {
    let stdout = '';
    let stderr = '';
    const code = await run(argv, {
      env,
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      readStdin: async () => '',
    });
    return { code, stdout, stderr };
  }

  test('API URL precedence: --host, then SMSCX_API_URL, then SMSCX_HOST only if a URL', () => {
    const env = { SMSCX_API_URL: 'http://api-url.test', SMSCX_HOST: 'https://legacy.test' };
    assert.equal(resolveHost('http://flag.test', env), 'http://flag.test');
    assert.equal(resolveHost(undefined, env), 'http://api-url.test');
    assert.equal(resolveHost(undefined, { SMSCX_HOST: 'https://legacy.test' }), 'https://legacy.test');
    assert.equal(resolveHost(undefined, { SMSCX_API_URL: '', SMSCX_HOST: 'http://h:1' }), 'http://h:1');
    for (const bindAddress of ['127.0.0.1', '0.0.0.0', '::', 'localhost', 'example.com:8080']) {
      assert.equal(resolveHost(undefined, { SMSCX_HOST: bindAddress }), DEFAULT_HOST);
    }
    assert.equal(resolveHost(undefined, {}), DEFAULT_HOST);
    assert.throws(() => resolveHost('ftp://x', {}), /invalid --host/);
    assert.throws(() => resolveHost(undefined, { SMSCX_API_URL: 'api.sms.cx' }), /invalid SMSCX_API_URL/);
  });

  test('--max-retries N sets the retries (N + 1 attempts)', async () => {
    const server = await startScriptedServer(errorStep(503, 'server_error', 1650, { 'Retry-After': '0' }));
    try {
      const none = await runCli(['token', '--host', server.url, '--max-retries', '0']);
      assert.equal(none.code, 7);
      assert.equal(server.requests.length, 1);
      const three = await runCli(['token', '--host', server.url, '--max-retries', '3']);
      assert.equal(three.code, 7);
      assert.equal(server.requests.length, 1 + 4);
    } finally {
      await server.close();
    }
  });

  test('--timeout MS bounds each attempt and exits 8', async () => {
    // Never answers: only the client's timeout can end the request.
    const server = await startScriptedServer(() => {});
    try {
      const r = await runCli(['token', '--host', server.url, '--timeout', '300', '--max-retries', '0']);
      assert.equal(r.code, 8);
      assert.match(r.stderr, /^error: ApiTimeoutException: Request timed out after 300 ms\n$/);
      // One attempt at most (on a loaded machine the timeout may fire before the server has
      // even read the request, which this server records once read).
      assert.ok(server.requests.length <= 1, `${server.requests.length} requests`);
    } finally {
      await server.close();
    }
  });

  test('invalid --max-retries / --timeout values are usage errors', async () => {
    for (const args of [
      ['--max-retries=-1'],
      ['--max-retries', 'two'],
      ['--timeout', '1.5'],
      ['--timeout', ''],
    ]) {
      const r = await runCli(['token', '--host', 'http://127.0.0.1:9', ...args]);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /^error: usage: --(max-retries|timeout) must be a non-negative integer/);
    }
    // A value that looks like a flag is refused by the parser, still on one line.
    const dashed = await runCli(['token', '--host', 'http://127.0.0.1:9', '--max-retries', '-1']);
    assert.equal(dashed.code, 2);
    assert.match(dashed.stderr, /^error: usage: Option '--max-retries' argument is ambiguous\. [^\n]+\n$/);
  });

  test('--json: errors are JSON too, one line on stderr (issue 17)', async () => {
    const server = await startScriptedServer(errorStep(401, 'invalid_client', 1600));
    try {
      const r = await runCli(['token', '--host', server.url, '--json']);
      assert.equal(r.code, 3);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').length, 2);
      assert.deepEqual(JSON.parse(r.stderr), {
        error: {
          type: 'invalid_client',
          code: 1600,
          message: 'message for invalid_client',
          class: 'InvalidCredentialsException',
          status: 401,
          request_id: 'req-401',
        },
      });
      assert.ok(!r.stderr.includes(SECRET));
    } finally {
      await server.close();
    }
    const limited = await startScriptedServer(errorStep(429, 'rate_limit', 1629, { 'Retry-After': '3600' }));
    try {
      const r = await runCli(['token', '--host', limited.url, '--json', '--log-level', 'error']);
      assert.equal(r.code, 6);
      assert.equal(JSON.parse(r.stderr).error.retry_after_ms, 3_600_000);
    } finally {
      await limited.close();
    }
    const usage = await runCli(['token', '--json', '--timeout', 'x']);
    assert.equal(usage.code, 2);
    assert.equal(JSON.parse(usage.stderr).error.type, 'usage');
    const parse = await runCli(['token', '--json', '--nope']);
    assert.equal(parse.code, 2);
    assert.match(JSON.parse(parse.stderr).error.message, /--nope/);
  });

  test('--token-cache (or SMSCX_TOKEN_CACHE): runs share one token; scope and secret are part of the key', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'smscx-cli-cache-'));
    const server = await startScriptedServer(countingTokenStep({ expires_in: 3600 }));
    try {
      const first = await runCli(['token', '--host', server.url, '--json', '--token-cache', dir]);
      assert.equal(first.code, 0, first.stderr);
      const second = await runCli(['token', '--host', server.url, '--json'], {
        ...creds(),
        SMSCX_TOKEN_CACHE: dir,
      });
      assert.equal(second.code, 0, second.stderr);
      assert.equal(JSON.parse(second.stdout).access_token, JSON.parse(first.stdout).access_token);
      assert.ok(JSON.parse(second.stdout).expires_in <= 3600);
      assert.equal(server.requests.length, 1);
      const scoped = await runCli([
        'token',
        '--host',
        server.url,
        '--token-only',
        '--token-cache',
        dir,
        '--scope',
        'sms',
      ]);
      assert.equal(scoped.stdout, 'tok-2\n');
      const otherSecret = await runCli(
        ['token', '--host', server.url, '--token-only', '--token-cache', dir],
        {
          ...creds(),
          SMSCX_APPLICATION_SECRET: 'another',
        },
      );
      assert.equal(otherSecret.stdout, 'tok-3\n');
      assert.equal(server.requests.length, 3);
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('--deadline, --max-retry-delay and --log-level are validated and applied', async () => {
    const server = await startScriptedServer(errorStep(503, 'server_error', 1650, { 'Retry-After': '5' }));
    try {
      const r = await runCli(['token', '--host', server.url, '--max-retry-delay', '1000']);
      assert.equal(r.code, 7);
      assert.equal(server.requests.length, 1, 'a 5 s wait is more than 1 s: not waited out');
      assert.match(r.stderr, /^smscx not retrying: the server asked to wait longer than maxRetryDelayMs /m);
      const quiet = await runCli([
        'token',
        '--host',
        server.url,
        '--max-retry-delay',
        '1000',
        '--log-level',
        'error',
      ]);
      assert.match(quiet.stderr, /^error: server_error/);
      const deadline = await runCli(['token', '--host', server.url, '--deadline', '1000']);
      assert.equal(deadline.code, 7);
      assert.match(deadline.stderr, /the wait would pass the deadline/);
    } finally {
      await server.close();
    }
    const bad = await runCli(['token', '--host', 'http://127.0.0.1:9', '--log-level', 'loud']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--log-level must be one of off, error, warn, info, debug/);
  });
});
