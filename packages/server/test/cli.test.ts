// Every admin command of the command line, its output formats and exit codes: run in this
// process through runCli (the function the binary calls) against a real SQLite file in a temp
// folder, plus a few runs of the real binary for its entry point, exit codes and streams.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cli, createApplication, runInProcess, type TestApplication, tempDb } from './helpers.js';

const run = runInProcess;

interface View {
  application_id: string;
  name: string;
  scopes: string;
  token_expiration: string;
  status: string;
  created_at: string;
  tokens_not_before: string | null;
}

/** `apps create --json` in this process; returns its JSON output. */
async function create(db: string, extra: string[] = [], name = 'test'): Promise<TestApplication> {
  const result = await run(['apps', 'create', '--db', db, '--name', name, '--json', ...extra]);
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as TestApplication;
}

describe('admin CLI', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  it('apps create --json prints one JSON object with the credentials', async () => {
    const result = await run([
      'apps',
      'create',
      '--db',
      tmp.db,
      '--name',
      'shop',
      '--scopes',
      'groups sms',
      '--expiration',
      '1w',
      '--json',
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const created = JSON.parse(lines[0]!) as View & { application_secret: string };
    assert.match(created.application_id, /^[0-9a-f]{40}$/);
    assert.ok(Buffer.from(created.application_secret, 'base64url').length >= 32);
    assert.equal(created.name, 'shop');
    assert.equal(created.scopes, 'sms groups');
    assert.equal(created.token_expiration, '1w');
    assert.equal(created.status, 'active');
    // The pepper lives next to the database, readable only by its owner.
    const pepper = statSync(join(dirname(tmp.db), 'pepper'));
    assert.equal(pepper.size, 32);
    assert.equal(pepper.mode & 0o777, 0o600);
  });

  it('apps create defaults to every scope and 1d, and prints text without --json', async () => {
    const result = await run(['apps', 'create', '--db', tmp.db, '--name', 'plain']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Application ID: +[0-9a-f]{40}/);
    assert.match(result.stdout, /Application Secret: +[A-Za-z0-9_-]{43}/);
    assert.match(result.stdout, /Token expiration: +1d/);
    assert.match(result.stdout, /Scopes: +sms viber whatsapp .* otp/);
  });

  it('apps list prints every application, never a secret', async () => {
    const app = await create(tmp.db, [], 'listed');
    const json = await run(['apps', 'list', '--db', tmp.db, '--json']);
    assert.equal(json.status, 0);
    const views = JSON.parse(json.stdout) as View[];
    assert.ok(views.some((view) => view.application_id === app.application_id && view.name === 'listed'));
    assert.ok(!json.stdout.includes(app.application_secret));
    assert.ok(!json.stdout.includes('application_secret'));
    const text = await run(['apps', 'list', '--db', tmp.db]);
    assert.equal(text.status, 0);
    assert.ok(text.stdout.includes(app.application_id));
  });

  it('apps list on an empty database says so', async () => {
    const empty = tempDb();
    try {
      assert.deepEqual(await run(['apps', 'list', '--db', empty.db]), {
        status: 0,
        stdout: 'no applications\n',
        stderr: '',
      });
      assert.deepEqual(await run(['apps', 'list', '--db', empty.db, '--json']), {
        status: 0,
        stdout: '[]\n',
        stderr: '',
      });
    } finally {
      empty.cleanup();
    }
  });

  it('apps show, disable, enable', async () => {
    const app = await create(tmp.db);
    const show = await run(['apps', 'show', app.application_id, '--db', tmp.db, '--json']);
    assert.equal(show.status, 0);
    assert.equal((JSON.parse(show.stdout) as View).status, 'active');
    const disabled = await run(['apps', 'disable', app.application_id, '--db', tmp.db, '--json']);
    assert.equal((JSON.parse(disabled.stdout) as View).status, 'disabled');
    const enabled = await run(['apps', 'enable', app.application_id, '--db', tmp.db, '--json']);
    assert.equal((JSON.parse(enabled.stdout) as View).status, 'active');
    assert.equal((await run(['apps', 'show', app.application_id, '--db', tmp.db])).status, 0);
  });

  it('apps rotate-secret prints a new secret', async () => {
    const app = await create(tmp.db);
    const result = await run(['apps', 'rotate-secret', app.application_id, '--db', tmp.db, '--json']);
    assert.equal(result.status, 0, result.stderr);
    const rotated = JSON.parse(result.stdout) as { application_id: string; application_secret: string };
    assert.equal(rotated.application_id, app.application_id);
    assert.notEqual(rotated.application_secret, app.application_secret);
  });

  it('apps revoke-tokens records tokens_not_before', async () => {
    const app = await create(tmp.db);
    const before = Date.now();
    const result = await run(['apps', 'revoke-tokens', app.application_id, '--db', tmp.db]);
    assert.equal(result.status, 0, result.stderr);
    const view = JSON.parse(
      (await run(['apps', 'show', app.application_id, '--db', tmp.db, '--json'])).stdout,
    ) as View;
    assert.ok(view.tokens_not_before !== null && Date.parse(view.tokens_not_before) >= before - 1000);
  });

  it('apps delete removes the application', async () => {
    const app = await create(tmp.db);
    const result = await run(['apps', 'delete', app.application_id, '--db', tmp.db, '--json']);
    assert.equal(result.status, 0);
    assert.deepEqual(JSON.parse(result.stdout), { application_id: app.application_id, deleted: true });
    const show = await run(['apps', 'show', app.application_id, '--db', tmp.db]);
    assert.notEqual(show.status, 0);
  });

  it('an unknown application ID is a clear error with a non-zero exit code', async () => {
    for (const command of ['show', 'disable', 'enable', 'delete', 'rotate-secret', 'revoke-tokens']) {
      const result = await run(['apps', command, 'a'.repeat(40), '--db', tmp.db]);
      assert.equal(result.status, 1, command);
      assert.match(result.stderr, /no application with ID a{40}/);
    }
  });

  it('keys rotate makes a new key', async () => {
    const first = await run(['keys', 'rotate', '--db', tmp.db, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const second = await run(['keys', 'rotate', '--db', tmp.db, '--json']);
    const a = JSON.parse(first.stdout) as { kid: string };
    const b = JSON.parse(second.stdout) as { kid: string; retired: string[] };
    assert.notEqual(a.kid, b.kid);
    assert.deepEqual(b.retired, [a.kid]);
    const text = await run(['keys', 'rotate', '--db', tmp.db]);
    assert.match(text.stdout, /new signing key \S+/);
  });

  it('reads the database path from SMSCX_DB', async () => {
    const result = await run(['apps', 'create', '--name', 'env', '--json'], { SMSCX_DB: tmp.db });
    assert.equal(result.status, 0, result.stderr);
    const id = (JSON.parse(result.stdout) as View).application_id;
    assert.equal((await run(['apps', 'show', id, '--db', tmp.db])).status, 0);
  });

  describe('bad command lines print usage on stderr and exit 2', () => {
    const cases: string[][] = [
      [],
      ['nope'],
      ['apps'],
      ['apps', 'frobnicate'],
      ['apps', 'create', '--db', 'x.db'],
      ['apps', 'create', '--name', 'x', '--expiration', '2d'],
      ['apps', 'create', '--name', 'x', '--scopes', 'sms payments'],
      ['apps', 'create', '--name', 'x', '--bogus'],
      ['apps', 'show'],
      ['apps', 'show', 'a', 'b'],
      ['keys'],
      ['keys', 'rotate', '--bogus'],
      ['serve', '--port', 'eighty'],
      ['serve', '--rate-limit', '600'],
      ['serve', '--auth-failure-limit', '0/60'],
      ['serve', '--log-level', 'loud'],
      ['serve', '--unknown-flag'],
    ];
    for (const args of cases) {
      it(args.join(' ') || '(no arguments)', async () => {
        const result = await run(args, { SMSCX_DB: tmp.db });
        assert.equal(result.status, 2, result.stderr);
        assert.match(result.stderr, /^error: .+\n\nUsage: smscx-oauth-server/);
        assert.equal(result.stdout, '');
      });
    }
  });

  it('an unknown subcommand of any group is named escaped and cut, never as typed', async () => {
    const typed = `\u001b[2J${'x'.repeat(100)}`;
    for (const group of ['apps', 'keys', 'api-keys']) {
      const result = await run([group, typed], { SMSCX_DB: tmp.db });
      assert.equal(result.status, 2, group);
      const [first] = result.stderr.split('\n');
      assert.equal(first, `error: unknown ${group} subcommand: \\u001b[2J${'x'.repeat(60)}`);
      assert.ok(!result.stderr.includes('\u001b'), `${group}: no raw escape character on stderr`);
    }
    for (const group of ['apps', 'keys', 'api-keys']) {
      const result = await run([group], { SMSCX_DB: tmp.db });
      assert.equal(result.status, 2);
      assert.match(result.stderr, new RegExp(`^error: ${group} needs a subcommand\n`));
    }
  });

  it('--help prints usage on stdout and exits 0', async () => {
    for (const args of [['--help'], ['apps', '--help'], ['keys', '-h'], ['serve', '--help']]) {
      const result = await run(args);
      assert.equal(result.status, 0, args.join(' '));
      assert.match(result.stdout, /Usage: smscx-oauth-server/);
      assert.equal(result.stderr, '');
    }
  });
});

// The real binary (bin/ → dist/), spawned: its entry point, exit codes and process streams.
describe('admin CLI binary', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  it('a bad command line prints usage on stderr and exits 2', () => {
    for (const args of [[], ['apps', 'create', '--name', 'x', '--bogus']]) {
      const result = cli(args, { SMSCX_DB: tmp.db });
      assert.equal(result.status, 2, result.stderr);
      assert.match(result.stderr, /^error: .+\n\nUsage: smscx-oauth-server/);
      assert.equal(result.stdout, '');
    }
  });

  it('apps create --json, then apps list --json shows it; an unknown ID exits 1', () => {
    const app = createApplication(tmp.db, [], 'black-box');
    assert.match(app.application_id, /^[0-9a-f]{40}$/);
    const list = cli(['apps', 'list', '--db', tmp.db, '--json']);
    assert.equal(list.status, 0, list.stderr);
    assert.equal(list.stdout.split('\n').length, 2, 'one line of JSON');
    const views = JSON.parse(list.stdout) as View[];
    assert.deepEqual(
      views.map((view) => [view.application_id, view.name]),
      [[app.application_id, 'black-box']],
    );
    assert.ok(!list.stdout.includes(app.application_secret));
    const unknown = cli(['apps', 'show', 'a'.repeat(40)], { SMSCX_DB: tmp.db });
    assert.equal(unknown.status, 1);
    assert.equal(unknown.stderr, `error: no application with ID ${'a'.repeat(40)}\n`);
  });

  it('--help prints usage on stdout and exits 0', () => {
    const result = cli(['--help']);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^Usage: smscx-oauth-server/);
    assert.equal(result.stderr, '');
  });
});
