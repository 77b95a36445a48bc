// The admin commands of issue 14 on the command line: `api-keys create|list|revoke`,
// `apps update` and `audit`, and the audit entries every admin command leaves (actor `cli` and
// the OS user). Run in this process through runCli against a real SQLite file in a temp folder
// (or the in-process server's, to see an update refused to a token), plus one run of the real
// binary.
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import { type InProcessServer, inProcessServer } from './fixture.js';
import {
  type CliResult,
  cli,
  envelope,
  requestToken,
  runInProcess,
  type TestApplication,
  tempDb,
} from './helpers.js';

const run = runInProcess;

/** The OS user an admin command is recorded as (what `cliActor()` should find). */
function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
const CLI_ACTOR = { type: 'cli', user: osUser() };

interface ApiKeyView {
  id: string;
  name: string;
  hint: string;
  created_at: string;
  revoked_at: string | null;
}

interface CreatedApiKey {
  id: string;
  name: string;
  api_key: string;
  hint: string;
  created_at: string;
}

interface AppView {
  application_id: string;
  name: string;
  scopes: string;
  token_expiration: string;
  status: string;
  created_at: string;
  updated_at: string;
  tokens_not_before: string | null;
  number: number;
  secret_hint: string | null;
}

interface AuditView {
  seq: number;
  at: string;
  actor: Record<string, unknown>;
  action: string;
  target_type: string;
  target_id: string;
  request_id: string | null;
  details: Record<string, unknown>;
}

interface AuditPage {
  data: AuditView[];
  next: number | null;
}

/** Runs a command that must succeed and returns its stdout. */
async function ok(args: string[]): Promise<string> {
  const result = await run(args);
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
  assert.equal(result.stderr, '');
  return result.stdout;
}

/** Asserts a bad command line: exit 2, `error: …` and the usage on stderr, nothing on stdout. */
function assertUsage(result: CliResult, message?: RegExp): void {
  assert.equal(result.status, 2, result.stderr);
  assert.match(result.stderr, /^error: .+\n\nUsage: smscx-oauth-server/);
  if (message !== undefined) assert.match(result.stderr.split('\n')[0]!, message);
  assert.equal(result.stdout, '');
}

/** The ways a stored hash could be printed. */
function encodings(hash: Buffer): string[] {
  return [hash.toString('hex'), hash.toString('base64'), hash.toString('base64url')];
}

async function storedKeyHashes(db: string): Promise<Buffer[]> {
  const storage = openSqliteStorage(db);
  try {
    return (await storage.listApiKeys()).map((key) => key.keyHash);
  } finally {
    await storage.close();
  }
}

describe('api-keys', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());
  const db = (): string[] => ['--db', tmp.db];
  /** Everything the commands printed, to look for keys and hashes in. */
  const printed: string[] = [];
  const keys: string[] = [];

  it('create --json prints exactly id, name, api_key (then hint and created_at) on one line', async () => {
    const stdout = await ok(['api-keys', 'create', ...db(), '--name', 'deploy bot', '--json']);
    assert.equal(stdout.split('\n').length, 2, 'one line of JSON');
    const created = JSON.parse(stdout) as CreatedApiKey;
    assert.deepEqual(Object.keys(created), ['id', 'name', 'api_key', 'hint', 'created_at']);
    assert.match(created.id, /^ak_[0-9a-f]{12}$/);
    assert.equal(created.name, 'deploy bot');
    assert.match(created.api_key, /^ak_[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
    assert.ok(created.api_key.startsWith(`${created.id}.`));
    assert.equal(created.hint, created.api_key.slice(-4));
    assert.ok(Math.abs(Date.parse(created.created_at) - Date.now()) < 60_000);
    keys.push(created.api_key);
  });

  it('create prints the id, the name, the key and that it is shown only once', async () => {
    const stdout = await ok(['api-keys', 'create', ...db(), '--name', '  ops  ']);
    const id = /^API key ID: +(ak_[0-9a-f]{12})$/m.exec(stdout)?.[1];
    const key = /^API key: +(\S+)$/m.exec(stdout)?.[1];
    assert.ok(id !== undefined && key !== undefined, stdout);
    assert.ok(key.startsWith(`${id}.`));
    assert.match(stdout, /^Name: +ops$/m, 'the name is trimmed');
    assert.match(stdout, /shown only once/);
    keys.push(key);
  });

  it('accepts a name of 100 characters, counted as characters', async () => {
    for (const name of ['a'.repeat(100), 'é'.repeat(100), '😀'.repeat(100)]) {
      const created = JSON.parse(
        await ok(['api-keys', 'create', ...db(), '--name', name, '--json']),
      ) as CreatedApiKey;
      assert.equal(created.name, name);
      keys.push(created.api_key);
    }
  });

  describe('refuses a bad name with exit 2', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['no --name', [], /needs --name/],
      ['empty', ['--name', ''], /must not be empty/],
      ['blank', ['--name', '   '], /must not be empty/],
      ['101 characters', ['--name', 'a'.repeat(101)], /must be at most 100 characters/],
      ['a tab', ['--name', 'a\tb'], /control characters/],
      ['a newline', ['--name', 'a\nb'], /control characters/],
      ['an escape sequence', ['--name', '\u001b[31mred'], /control characters/],
      ['a C1 control', ['--name', 'a\u009bb'], /control characters/],
      ['DEL', ['--name', 'a\u007f'], /control characters/],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        assertUsage(await run(['api-keys', 'create', ...db(), ...args]), message);
      });
    }

    it('and stores nothing', async () => {
      const views = JSON.parse(await ok(['api-keys', 'list', ...db(), '--json'])) as ApiKeyView[];
      assert.equal(views.length, keys.length);
    });
  });

  it('list prints every key, newest first, never the key itself', async () => {
    const stdout = await ok(['api-keys', 'list', ...db(), '--json']);
    printed.push(stdout);
    const views = JSON.parse(stdout) as ApiKeyView[];
    assert.equal(views.length, keys.length);
    for (const view of views) {
      assert.deepEqual(Object.keys(view), ['id', 'name', 'hint', 'created_at', 'revoked_at']);
      assert.equal(view.revoked_at, null);
    }
    assert.deepEqual(new Set(views.map((view) => view.id)), new Set(keys.map((key) => key.split('.')[0])));
    for (let i = 1; i < views.length; i++) {
      assert.ok(views[i - 1]!.created_at >= views[i]!.created_at, 'newest first');
    }
    const text = await ok(['api-keys', 'list', ...db()]);
    printed.push(text);
    assert.equal(text.trim().split('\n').length, keys.length);
    assert.match(text, /^ak_[0-9a-f]{12} +active +…\S{4} +\S+ +deploy bot$/m);
    for (const key of keys) {
      for (const output of [stdout, text]) {
        assert.ok(!output.includes(key), 'the key is not listed');
        assert.ok(!output.includes(key.split('.')[1]!), 'nor its secret part');
      }
    }
  });

  it('an empty list says so', async () => {
    const empty = tempDb();
    try {
      assert.deepEqual(await run(['api-keys', 'list', '--db', empty.db]), {
        status: 0,
        stdout: 'no API keys\n',
        stderr: '',
      });
      assert.deepEqual(await run(['api-keys', 'list', '--db', empty.db, '--json']), {
        status: 0,
        stdout: '[]\n',
        stderr: '',
      });
    } finally {
      empty.cleanup();
    }
  });

  it('revoke revokes; revoking again is not an error; --json prints the view', async () => {
    const id = keys[0]!.split('.')[0]!;
    const first = await ok(['api-keys', 'revoke', id, ...db()]);
    printed.push(first);
    assert.match(first, new RegExp(`^revoked ${id} \\(deploy bot\\)`));
    const again = await ok(['api-keys', 'revoke', id, ...db()]);
    printed.push(again);
    assert.match(again, new RegExp(`^${id} was already revoked at \\S+Z\\n$`));
    const json = await ok(['api-keys', 'revoke', id, ...db(), '--json']);
    printed.push(json);
    const view = JSON.parse(json) as ApiKeyView;
    assert.deepEqual(Object.keys(view), ['id', 'name', 'hint', 'created_at', 'revoked_at']);
    assert.equal(view.id, id);
    assert.ok(view.revoked_at !== null && again.includes(view.revoked_at), 'the first revocation time stays');
    const listed = (JSON.parse(await ok(['api-keys', 'list', ...db(), '--json'])) as ApiKeyView[]).find(
      (key) => key.id === id,
    );
    assert.equal(listed?.revoked_at, view.revoked_at);
    assert.match(await ok(['api-keys', 'list', ...db()]), new RegExp(`^${id} +revoked `, 'm'));
  });

  it('revoke of an unknown key exits 1 with no API key with ID …', async () => {
    assert.deepEqual(await run(['api-keys', 'revoke', 'ak_000000000000', ...db()]), {
      status: 1,
      stdout: '',
      stderr: 'error: no API key with ID ak_000000000000\n',
    });
    const odd = await run(['api-keys', 'revoke', 'not a key\u001b', ...db(), '--json']);
    assert.equal(odd.status, 1);
    assert.equal(odd.stderr, 'error: no API key with ID "not a key\\u001b"\n');
  });

  it('a bad revoke or api-keys command line exits 2', async () => {
    for (const args of [
      ['api-keys'],
      ['api-keys', 'frobnicate'],
      ['api-keys', 'revoke'],
      ['api-keys', 'revoke', 'a', 'b'],
      ['api-keys', 'list', 'extra'],
      ['api-keys', 'create', '--name', 'x', '--bogus'],
    ]) {
      assertUsage(await run([...args, ...db()]));
    }
  });

  it('never prints a stored hash', async () => {
    const hashes = await storedKeyHashes(tmp.db);
    assert.equal(hashes.length, keys.length);
    printed.push(await ok(['api-keys', 'list', ...db(), '--json']), await ok(['api-keys', 'list', ...db()]));
    for (const hash of hashes) {
      for (const encoded of encodings(hash)) {
        for (const output of printed) assert.ok(!output.includes(encoded));
      }
    }
  });
});

describe('apps update', () => {
  let server: InProcessServer;
  let app: TestApplication;
  before(async () => {
    server = await inProcessServer();
    app = await server.createApplication({ name: 'shop', scopes: 'sms groups otp', expiration: '1d' });
  });
  after(() => server.close());
  const show = async (): Promise<AppView> =>
    JSON.parse(await ok(['apps', 'show', app.application_id, '--db', server.db, '--json'])) as AppView;
  const update = (...args: string[]): Promise<CliResult> =>
    run(['apps', 'update', app.application_id, '--db', server.db, ...args]);

  it('--name changes the name only; --json prints the application view', async () => {
    const before = await show();
    const result = await update('--name', '  shop two ', '--json');
    assert.equal(result.status, 0, result.stderr);
    const view = JSON.parse(result.stdout) as AppView;
    assert.deepEqual(Object.keys(view), Object.keys(before));
    assert.equal(view.name, 'shop two');
    assert.deepEqual({ ...view, name: before.name, updated_at: before.updated_at }, before);
    assert.ok(view.updated_at >= before.updated_at);
    assert.deepEqual(await show(), view);
  });

  it('--scopes removes a scope: it is refused to the next token request', async () => {
    const otp = await requestToken(server, app, 'grant_type=client_credentials&scope=otp');
    assert.equal(otp.status, 200, otp.body);
    const result = await update('--scopes', 'groups  sms groups');
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^updated\n/);
    assert.match(result.stdout, /^Scopes: +sms groups$/m, 'canonical order, deduplicated');
    const refused = await requestToken(server, app, 'grant_type=client_credentials&scope=otp');
    assert.equal(refused.status, 400, refused.body);
    assert.equal(envelope(refused).type, 'invalid_scope');
    const all = await requestToken(server, app);
    assert.equal(all.status, 200, all.body);
    assert.equal((all.json as { scope: string }).scope, 'sms groups');
    assert.equal((await show()).scopes, 'sms groups');
  });

  it('--expiration changes the lifetime of the next tokens', async () => {
    const result = await update('--expiration', 'never', '--json');
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as AppView).token_expiration, 'never');
    const token = await requestToken(server, app);
    assert.equal(token.status, 200, token.body);
    assert.equal((token.json as { expires_in: number }).expires_in, 0);
    const week = await update('--expiration', '1w', '--name', 'weekly', '--scopes', 'otp', '--json');
    const view = JSON.parse(week.stdout) as AppView;
    assert.deepEqual([view.token_expiration, view.name, view.scopes], ['1w', 'weekly', 'otp']);
    assert.equal(((await requestToken(server, app)).json as { expires_in: number }).expires_in, 604800);
  });

  it('validates --scopes against --scope-catalogue / SMSCX_SCOPES, as apps create', async () => {
    assertUsage(await update('--scopes', 'custom'), /unknown scopes: custom/);
    const result = await update('--scopes', 'custom sms', '--scope-catalogue', 'sms custom', '--json');
    assert.equal(result.status, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as AppView).scopes, 'sms custom');
    const env = await run(['apps', 'update', app.application_id, '--scopes', 'other', '--json'], {
      SMSCX_DB: server.db,
      SMSCX_SCOPES: 'other sms',
    });
    assert.equal(env.status, 0, env.stderr);
    assert.equal((JSON.parse(env.stdout) as AppView).scopes, 'other');
  });

  describe('a bad command line exits 2 and changes nothing', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['no flag', [], /at least one of --name, --scopes, --expiration/],
      ['only --json', ['--json'], /at least one of/],
      ['empty --name', ['--name', ' '], /--name must not be empty/],
      ['long --name', ['--name', 'n'.repeat(101)], /must be at most 100 characters/],
      ['empty --scopes', ['--scopes', ''], /--scopes must name at least one scope/],
      ['unknown scope', ['--scopes', 'sms payments'], /unknown scopes: payments/],
      ['bad --expiration', ['--expiration', '2d'], /--expiration must be 1d, 1w or never/],
      ['unknown flag', ['--name', 'x', '--bogus'], /bogus/],
      ['bad catalogue', ['--scopes', 'sms', '--scope-catalogue', 'sms sms'], /twice/],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        const before = await show();
        assertUsage(await update(...args), message);
        assert.deepEqual(await show(), before);
      });
    }

    it('no application ID, or two', async () => {
      assertUsage(
        await run(['apps', 'update', '--name', 'x', '--db', server.db]),
        /exactly one <application_id>/,
      );
      assertUsage(await run(['apps', 'update', 'a', 'b', '--name', 'x', '--db', server.db]));
    });
  });

  it('an unknown application exits 1, like the other apps commands', async () => {
    assert.deepEqual(await run(['apps', 'update', 'a'.repeat(40), '--name', 'x', '--db', server.db]), {
      status: 1,
      stdout: '',
      stderr: `error: no application with ID ${'a'.repeat(40)}\n`,
    });
  });

  it('is recorded in the audit log with what changed', async () => {
    const page = JSON.parse(await ok(['audit', '--db', server.db, '--json'])) as AuditPage;
    const updates = page.data.filter((entry) => entry.action === 'application.update');
    assert.ok(updates.length >= 5);
    for (const entry of updates) {
      assert.deepEqual(entry.actor, CLI_ACTOR);
      assert.equal(entry.target_id, app.application_id);
    }
    assert.deepEqual(updates.find((entry) => entry.details.token_expiration === '1w')?.details, {
      name: 'weekly',
      scopes: 'otp',
      token_expiration: '1w',
    });
  });
});

describe('audit', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());
  const db = (): string[] => ['--db', tmp.db];
  /** Every action the commands below record, oldest first. */
  const actions: string[] = [];
  /** Every secret and key the commands printed. */
  const secrets: string[] = [];
  let full: AuditView[] = [];

  before(async () => {
    const app = JSON.parse(
      await ok(['apps', 'create', ...db(), '--name', 'audited', '--scopes', 'sms', '--json']),
    ) as TestApplication;
    secrets.push(app.application_secret);
    const id = app.application_id;
    await ok(['apps', 'disable', id, ...db()]);
    await ok(['apps', 'enable', id, ...db()]);
    const rotated = JSON.parse(await ok(['apps', 'rotate-secret', id, ...db(), '--json'])) as TestApplication;
    secrets.push(rotated.application_secret);
    await ok(['apps', 'revoke-tokens', id, ...db()]);
    await ok(['apps', 'update', id, ...db(), '--name', 'renamed']);
    await ok(['keys', 'rotate', ...db()]);
    const key = JSON.parse(
      await ok(['api-keys', 'create', ...db(), '--name', 'auditor', '--json']),
    ) as CreatedApiKey;
    secrets.push(key.api_key, key.api_key.split('.')[1]!);
    await ok(['api-keys', 'revoke', key.id, ...db()]);
    await ok(['apps', 'delete', id, ...db()]);
    actions.push(
      'application.create',
      'application.disable',
      'application.enable',
      'application.rotate_secret',
      'application.revoke_tokens',
      'application.update',
      'signing_key.rotate',
      'api_key.create',
      'api_key.revoke',
      'application.delete',
    );
    for (const hash of await storedKeyHashes(tmp.db)) secrets.push(...encodings(hash));
  });

  it('--json prints {data, next}: every admin command, newest first, by cli and the OS user', async () => {
    const stdout = await ok(['audit', ...db(), '--json']);
    assert.equal(stdout.split('\n').length, 2, 'one line of JSON');
    const page = JSON.parse(stdout) as AuditPage;
    assert.deepEqual(Object.keys(page), ['data', 'next']);
    assert.equal(page.next, null);
    full = page.data;
    // The first command also made the first signing key (not an admin action of the user).
    const byUser = full.filter((entry) => entry.actor.type === 'cli');
    assert.deepEqual(
      byUser.map((entry) => entry.action),
      [...actions].reverse(),
    );
    for (const entry of byUser) {
      assert.deepEqual(Object.keys(entry), [
        'seq',
        'at',
        'actor',
        'action',
        'target_type',
        'target_id',
        'request_id',
        'details',
      ]);
      assert.deepEqual(entry.actor, CLI_ACTOR);
      assert.equal(entry.request_id, null);
    }
    for (let i = 1; i < full.length; i++) {
      assert.ok(full[i - 1]!.seq > full[i]!.seq, 'newest first');
      assert.ok(full[i - 1]!.at >= full[i]!.at);
    }
  });

  it('prints one line per entry: time, actor, action, target, request ID', async () => {
    const stdout = await ok(['audit', ...db()]);
    const lines = stdout.trimEnd().split('\n');
    assert.equal(lines.length, full.length, 'no next-page line on the last page');
    for (const [i, entry] of full.entries()) {
      const line = lines[i]!;
      for (const part of [entry.at, entry.action, `${entry.target_type}:${entry.target_id}`]) {
        assert.ok(line.includes(part), `${line} has ${part}`);
      }
      if (entry.actor.type === 'cli') assert.ok(line.includes(`cli:${CLI_ACTOR.user}`), line);
      assert.match(line, / {2}-( |$)/, 'no request ID');
    }
    assert.match(stdout, /application\.update .*\{"name":"renamed"\}/);
  });

  it('never prints a secret, an API key or its hash', async () => {
    const outputs = [
      await ok(['audit', ...db(), '--json']),
      await ok(['audit', ...db()]),
      await ok(['audit', ...db(), '--limit', '1']),
    ];
    assert.ok(secrets.length >= 5);
    for (const secret of secrets) {
      for (const output of outputs) assert.ok(!output.includes(secret), 'nothing secret in the audit log');
    }
  });

  it('--limit and --before page through the log', async () => {
    const seen: AuditView[] = [];
    let cursor: number | null | undefined;
    let pages = 0;
    do {
      const args = [
        'audit',
        ...db(),
        '--limit',
        '3',
        '--json',
        ...(cursor == null ? [] : ['--before', `${cursor}`]),
      ];
      const page = JSON.parse(await ok(args)) as AuditPage;
      assert.ok(page.data.length <= 3);
      seen.push(...page.data);
      cursor = page.next;
      if (cursor !== null) assert.equal(cursor, page.data.at(-1)!.seq);
      pages++;
    } while (cursor !== null && pages < 20);
    assert.equal(pages, Math.ceil(full.length / 3));
    assert.deepEqual(seen, full);
  });

  it('text mode tells the command of the next page, and it works', async () => {
    const first = await ok(['audit', ...db(), '--limit', '4']);
    const lines = first.trimEnd().split('\n');
    assert.equal(lines.length, 5);
    const next = /^next page: smscx-oauth-server audit --before (\d+) --limit 4$/.exec(lines[4]!);
    assert.ok(next !== null, lines[4]);
    assert.equal(Number(next[1]), full[3]!.seq);
    const second = await ok(['audit', ...db(), '--limit', '4', '--before', next[1]!, '--json']);
    assert.deepEqual((JSON.parse(second) as AuditPage).data, full.slice(4, 8));
    // A relative --since comes back as the instant it meant.
    const since = await ok(['audit', ...db(), '--limit', '1', '--since', '1h']);
    assert.match(
      since,
      /\nnext page: smscx-oauth-server audit --before \d+ --limit 1 --since \d{4}-\d\d-\d\dT\S+Z\n$/,
    );
  });

  it('--limit defaults to 50 and accepts up to 500', async () => {
    const storage = openSqliteStorage(tmp.db);
    try {
      const old = Date.now() - 2 * 3_600_000;
      for (let i = 0; i < 60; i++) {
        await storage.appendAudit({
          at: old + i,
          actor: { type: 'server' },
          action: 'test.filler',
          targetType: 'application',
          targetId: `filler-${i}`,
          requestId: null,
          details: {},
        });
      }
    } finally {
      await storage.close();
    }
    const page = JSON.parse(await ok(['audit', ...db(), '--json'])) as AuditPage;
    assert.equal(page.data.length, 50);
    assert.equal(page.next, page.data[49]!.seq);
    const all = JSON.parse(await ok(['audit', ...db(), '--json', '--limit', '500'])) as AuditPage;
    assert.equal(all.data.length, full.length + 60);
    assert.equal(all.next, null);
  });

  it('--since takes an ISO 8601 time, a date or a duration back from now', async () => {
    // The fillers of the previous test are two hours old; the commands' entries are recent.
    const count = async (since: string): Promise<number> =>
      (JSON.parse(await ok(['audit', ...db(), '--json', '--limit', '500', '--since', since])) as AuditPage)
        .data.length;
    const total = full.length + 60;
    assert.equal(await count('1h'), full.length);
    assert.equal(await count('60m'), full.length);
    assert.equal(await count('3600s'), full.length);
    assert.equal(await count('3h'), total);
    assert.equal(await count('7d'), total);
    assert.equal(await count('2000-01-01'), total);
    assert.equal(await count('2999-01-01'), 0);
    assert.equal(await count('2999-01-01T00:00:00Z'), 0);
    // At an entry's own instant: it and everything after it.
    const middle = full[Math.floor(full.length / 2)]!;
    const expected = full.filter((entry) => entry.at >= middle.at).length;
    assert.equal(await count(middle.at), expected);
    // The same instant written at +02:00.
    const offset = new Date(Date.parse(middle.at) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    assert.equal(await count(offset), expected, offset);
    assert.deepEqual(await run(['audit', ...db(), '--since', '2999-01-01']), {
      status: 0,
      stdout: 'no audit entries\n',
      stderr: '',
    });
  });

  describe('bad values exit 2', () => {
    const cases: Array<[string, string[], RegExp]> = [
      ['--since yesterday', ['--since', 'yesterday'], /--since must be an ISO 8601 time/],
      ['--since empty', ['--since', ''], /--since must be/],
      ['--since 5w', ['--since', '5w'], /--since must be/],
      ['--since -1d', ['--since=-1d'], /--since must be/],
      ['--since 2026-02-30', ['--since', '2026-02-30'], /--since must be/],
      ['--since 2026-12-01T25:00:00Z', ['--since', '2026-12-01T25:00:00Z'], /--since must be/],
      ['--since without a zone', ['--since', '2026-12-01T10:00:00'], /needs its zone/],
      ['--limit 0', ['--limit', '0'], /--limit must be an integer 1-500/],
      ['--limit 501', ['--limit', '501'], /--limit must be an integer 1-500/],
      ['--limit ten', ['--limit', 'ten'], /--limit must be/],
      ['--limit 1.5', ['--limit', '1.5'], /--limit must be/],
      ['--before 0', ['--before', '0'], /--before must be/],
      ['--before abc', ['--before', 'abc'], /--before must be/],
      ['a positional', ['extra'], /extra/],
      ['an unknown flag', ['--bogus'], /bogus/],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        assertUsage(await run(['audit', ...db(), ...args]), message);
      });
    }
  });

  it('--help prints usage listing the new commands', async () => {
    for (const args of [['audit', '--help'], ['api-keys', '--help'], ['--help']]) {
      const result = await run(args);
      assert.equal(result.status, 0);
      for (const command of [
        'api-keys create --name',
        'api-keys list',
        'api-keys revoke',
        'audit [--since',
        'apps update',
      ]) {
        assert.ok(result.stdout.includes(command), `${args.join(' ')}: ${command}`);
      }
      assert.match(result.stdout, /audit log/);
    }
  });
});

// The real binary (bin/ → dist/, built by `npm test`): the new commands end to end.
describe('admin CLI binary: api-keys and audit', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  it('api-keys create, then audit --json shows it by cli and the OS user', () => {
    const created = cli(['api-keys', 'create', '--name', 'binary', '--json'], { SMSCX_DB: tmp.db });
    assert.equal(created.status, 0, created.stderr);
    const key = JSON.parse(created.stdout) as CreatedApiKey;
    const audit = cli(['audit', '--json', '--since', '10m'], { SMSCX_DB: tmp.db });
    assert.equal(audit.status, 0, audit.stderr);
    const page = JSON.parse(audit.stdout) as AuditPage;
    const entry = page.data.find((item) => item.action === 'api_key.create');
    assert.deepEqual(entry?.actor, CLI_ACTOR);
    assert.equal(entry?.target_id, key.id);
    assert.ok(!audit.stdout.includes(key.api_key));
    const bad = cli(['audit', '--since', 'soon'], { SMSCX_DB: tmp.db });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^error: --since must be/);
  });
});
