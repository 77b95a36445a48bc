// The README's promises, run as written: `npm run demo` (its script) and the whole-loop block.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

describe('npm run demo', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smscx-demo-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('creates the demo application, prints a token from the smscx CLI, stops the server cleanly', async () => {
    const env = { ...process.env, SMSCX_DB: join(dir, 'demo.db') };
    const first = await run(process.execPath, [join(root, 'scripts/demo.mjs')], { env });
    assert.match(first.stdout, /application "demo": [0-9a-f]{40} \(created\)/);
    const json = first.stdout.slice(first.stdout.indexOf('{'), first.stdout.lastIndexOf('}') + 1);
    const token = JSON.parse(json) as Record<string, unknown>;
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.scope, 'sms groups');
    assert.match(String(token.access_token), /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(first.stdout, /server stopped \(exit code 0\)/);

    // A rerun cannot reuse a secret that was shown once: it rotates it and still gets a token.
    const second = await run(process.execPath, [join(root, 'scripts/demo.mjs')], { env });
    assert.match(second.stdout, /\(secret rotated\)/);
    assert.match(second.stdout, /"access_token"/);
  });
});

/** The `sh` code blocks of the README section headed `heading`, in order. */
async function shellBlocks(heading: string): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  assert.ok(start >= 0, `README has a "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** A `# expected output` line as a pattern: `...` stands for anything. */
function outputPattern(line: string): RegExp {
  const escaped = line.split('...').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`);
}

describe('README: the whole loop', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smscx-loop-'));
  });
  after(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = once(server, 'exit');
      server.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  test('runs as written and prints what the README says', async () => {
    const [startBlock, loopBlock] = await shellBlocks('The whole loop');
    assert.equal(startBlock?.trim(), 'npm start');
    assert.ok(loopBlock !== undefined);

    // `npm start` runs `smscx-oauth-server serve`; here on a free port and a fresh database.
    const port = await freePort();
    server = spawn(process.execPath, [join(root, 'packages/server/bin/smscx-oauth-server.js'), 'serve'], {
      cwd: root,
      env: { ...process.env, SMSCX_PORT: String(port), SMSCX_DB: join(dir, 'smscx-oauth.db') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const banner = await readUntil(server, /listening on /);
    // stdout is a pipe here, not a terminal: the banner names the 0600 file holding the secret.
    const file = /Credentials file:\s+(\S+)/.exec(banner)?.[1];
    assert.ok(file !== undefined, `the first start names its credentials file:\n${banner}`);
    assert.equal(file, join(dir, 'default-application.json'));
    const credentials = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
    const id = credentials.application_id;
    const secret = credentials.application_secret;
    assert.ok(id !== undefined && secret !== undefined, `the credentials file holds them: ${file}`);
    assert.match(banner, new RegExp(`Application ID:\\s+${id}`));
    assert.ok(!banner.includes(secret), 'the secret is not printed');

    const script = loopBlock
      .replace('<application id>', id)
      .replace('<application secret>', secret)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`);
    const { stdout } = await run('bash', ['-euo', 'pipefail', '-c', script], { cwd: root });

    const expected = loopBlock
      .split('\n')
      .filter((line) => line.startsWith('# '))
      .map((line) => line.slice(2));
    const printed = stdout.split('\n').filter((line) => line !== '');
    assert.equal(printed.length, expected.length, `printed:\n${stdout}`);
    for (const [i, line] of expected.entries()) assert.match(printed[i]!, outputPattern(line));
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Collects the child's stdout until `pattern` shows up (or the child exits). */
function readUntil(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) {
        child.stdout?.off('data', onData);
        resolve(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`server exited (code ${code}) before ${pattern}:\n${seen}`)),
    );
  });
}
