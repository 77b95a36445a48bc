// Issue 18, parts 4 and 5, against the real binary, real SQLite files and a real PostgreSQL:
// every command refuses a missing or wrong pepper file before writing anything; a pepper is made
// only with a new, empty database; files are created 0600; the first-start banner keeps the
// secret out of a non-terminal stdout; a revocation that cannot get another process's SQLite
// write lock answers 503 quickly while token requests keep being served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  BIN,
  basic,
  type CliResult,
  cli,
  defaultCredentials,
  envelope,
  FORM,
  requestToken,
  send,
  startServer,
  type TestApplication,
  tempDb,
} from './helpers.js';
import { POSTGRES_URL, PostgresTestSchemas, withParams } from './storage-postgres.js';

// Files this suite's processes create get the usual umask, whatever the runner's.
process.umask(0o022);

/** What the database records of a pepper (keys/pepper-guard.ts), computed independently. */
function fingerprintOf(pepper: Buffer): string {
  return createHmac('sha256', pepper).update('smscx-oauth pepper fingerprint').digest('hex');
}

/** Runs the binary and asserts it succeeded; returns its stdout. */
function ok(args: string[], env: NodeJS.ProcessEnv = {}): string {
  const result = cli(args, env);
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** One database under test, on either backend. */
interface Backend {
  readonly name: string;
  /** `--db` (and, for PostgreSQL, `--pepper-file`) of a fresh database. */
  fresh(): Promise<{ dbArgs: string[]; pepperFile: string; snapshot: () => Promise<Snapshot> }>;
  /** Turns the database back into a version-4 one (before the pepper fingerprint). */
  downgradeToV4(dbArgs: string[]): Promise<void>;
  /** The recorded fingerprint (hex), or null. */
  fingerprint(dbArgs: string[]): Promise<string | null>;
}

/** Every table's rows, each as JSON, sorted: equal snapshots mean nothing was written. */
type Snapshot = Record<string, string[]>;

function sqliteSnapshot(db: string): Snapshot {
  const handle = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const tables = handle
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      )
      .pluck()
      .all() as string[];
    return Object.fromEntries(
      tables.map((table) => [
        table,
        (handle.prepare(`SELECT * FROM "${table}"`).all() as unknown[])
          .map((row) => JSON.stringify(row))
          .sort(),
      ]),
    );
  } finally {
    handle.close();
  }
}

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smscx-oauth-pepper-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sqlite: Backend = {
  name: 'SQLite',
  async fresh() {
    const dir = tempDir();
    const db = join(dir, 'data', 'smscx-oauth.db');
    return {
      dbArgs: ['--db', db],
      pepperFile: join(dir, 'data', 'pepper'),
      snapshot: async () => sqliteSnapshot(db),
    };
  },
  async downgradeToV4([, db]) {
    const handle = new Database(db!);
    handle.exec('DROP TABLE server_settings; DELETE FROM schema_migrations WHERE version = 5');
    handle.close();
  },
  async fingerprint([, db]) {
    const handle = new Database(db!, { readonly: true });
    try {
      const exists = handle.prepare("SELECT 1 FROM sqlite_master WHERE name = 'server_settings'").get();
      if (exists === undefined) return null;
      const value = handle
        .prepare("SELECT value FROM server_settings WHERE name = 'pepper_fingerprint'")
        .pluck()
        .get() as string | undefined;
      return value ?? null;
    } finally {
      handle.close();
    }
  },
};

const schemas = new PostgresTestSchemas();
const schemaOf = (dbArgs: string[]): string => new URL(dbArgs[1]!).searchParams.get('schema')!;

async function postgresSnapshot(schema: string): Promise<Snapshot> {
  const tables = await schemas.query<{ table_name: string }>(
    'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
    [schema],
  );
  const snapshot: Snapshot = {};
  for (const { table_name: table } of tables) {
    const rows = await schemas.query(`SELECT * FROM ${schema}.${table}`);
    snapshot[table] = rows.map((row) => JSON.stringify(row)).sort();
  }
  return snapshot;
}

const postgres: Backend = {
  name: 'PostgreSQL',
  async fresh() {
    const schema = schemas.freshSchema();
    const pepperFile = join(tempDir(), 'pepper');
    return {
      dbArgs: ['--db', withParams(POSTGRES_URL, { schema }), '--pepper-file', pepperFile],
      pepperFile,
      snapshot: () => postgresSnapshot(schema),
    };
  },
  async downgradeToV4(dbArgs) {
    const schema = schemaOf(dbArgs);
    await schemas.query(`DROP TABLE ${schema}.server_settings`);
    await schemas.query(`DELETE FROM ${schema}.schema_migrations WHERE version = 5`);
  },
  async fingerprint(dbArgs) {
    const schema = schemaOf(dbArgs);
    const [table] = await schemas.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'server_settings'",
      [schema],
    );
    if (table === undefined) return null;
    const [row] = await schemas.query<{ value: string }>(
      `SELECT value FROM ${schema}.server_settings WHERE name = 'pepper_fingerprint'`,
    );
    return row?.value ?? null;
  },
};

/** `--db` args without a `--pepper-file` (to replace it). */
const withoutPepper = (dbArgs: string[]): string[] => dbArgs.slice(0, 2);

/** Every command, with the IDs it needs from the prepared database. */
function everyCommand(appId: string, apiKeyId: string): Array<[string, string[]]> {
  return [
    ['serve', ['serve', '--port', '0', '--workers', '1']],
    ['serve --workers 2', ['serve', '--port', '0', '--workers', '2']],
    ['apps create', ['apps', 'create', '--name', 'refused']],
    ['apps list', ['apps', 'list']],
    ['apps show', ['apps', 'show', appId]],
    ['apps update', ['apps', 'update', appId, '--name', 'renamed']],
    ['apps disable', ['apps', 'disable', appId]],
    ['apps enable', ['apps', 'enable', appId]],
    ['apps rotate-secret', ['apps', 'rotate-secret', appId]],
    ['apps revoke-tokens', ['apps', 'revoke-tokens', appId]],
    ['apps delete', ['apps', 'delete', appId]],
    ['keys rotate', ['keys', 'rotate']],
    ['api-keys create', ['api-keys', 'create', '--name', 'refused']],
    ['api-keys list', ['api-keys', 'list']],
    ['api-keys revoke', ['api-keys', 'revoke', apiKeyId]],
    ['audit', ['audit']],
  ];
}

/** Asserts a refusal: exit 1, nothing on stdout, one `error:` line naming the file, no pepper bytes. */
function assertRefused(
  result: CliResult,
  kind: 'missing' | 'wrong',
  pepperFile: string,
  peppers: Buffer[],
): void {
  assert.equal(result.status, 1, result.stdout + result.stderr);
  assert.equal(result.stdout, '');
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${result.stderr}`);
  assert.ok(
    lines[0]!.startsWith(`error: ${kind} pepper file ${pepperFile}: `),
    `names the ${kind} file: ${lines[0]}`,
  );
  assert.match(lines[0]!, /--pepper-file \(SMSCX_PEPPER_FILE\)/, 'says what to do');
  for (const pepper of peppers) {
    for (const encoding of ['hex', 'base64', 'base64url'] as const) {
      assert.ok(!result.stderr.includes(pepper.toString(encoding)), 'never the pepper itself');
    }
  }
}

for (const backend of [sqlite, postgres]) {
  describe(`${backend.name}: a missing or wrong pepper file`, () => {
    let database: Awaited<ReturnType<Backend['fresh']>>;
    let pepper: Buffer;
    let app: TestApplication;
    let apiKeyId: string;

    before(async () => {
      if (backend === postgres) await schemas.check();
      database = await backend.fresh();
      // The first command makes the database and its pepper together, and a signing key.
      ok(['keys', 'rotate', ...database.dbArgs]);
      app = JSON.parse(
        ok(['apps', 'create', '--name', 'base', '--json', ...database.dbArgs]),
      ) as TestApplication;
      apiKeyId = (
        JSON.parse(ok(['api-keys', 'create', '--name', 'base', '--json', ...database.dbArgs])) as {
          id: string;
        }
      ).id;
      ok(['apps', 'revoke-tokens', app.application_id, ...database.dbArgs]);
      pepper = readFileSync(database.pepperFile);
    });
    after(async () => {
      if (backend === postgres) await schemas.dropAll();
    });

    it('the first command made the pepper (0600) and recorded its fingerprint', async () => {
      assert.equal(pepper.length, 32);
      assert.equal(statSync(database.pepperFile).mode & 0o777, 0o600);
      assert.equal(await backend.fingerprint(database.dbArgs), fingerprintOf(pepper));
    });

    for (const kind of ['missing', 'wrong'] as const) {
      it(`every command refuses a ${kind} pepper file with one line and writes nothing`, async (t) => {
        const dir = tempDir();
        const pepperFile = kind === 'missing' ? join(dir, 'absent', 'pepper') : join(dir, 'wrong-pepper');
        const wrong = randomBytes(32);
        if (kind === 'wrong') writeFileSync(pepperFile, wrong, { mode: 0o600 });
        const before = await database.snapshot();
        assert.ok((before.signing_keys?.length ?? 0) > 0 && (before.audit_log?.length ?? 0) > 0);
        for (const [name, args] of everyCommand(app.application_id, apiKeyId)) {
          await t.test(name, async () => {
            const result = cli([...args, ...withoutPepper(database.dbArgs), '--pepper-file', pepperFile]);
            assertRefused(result, kind, pepperFile, [pepper, wrong]);
            assert.deepEqual(await database.snapshot(), before, 'nothing written');
            if (kind === 'missing') assert.equal(existsSync(pepperFile), false, 'no new pepper');
            else assert.deepEqual(readFileSync(pepperFile), wrong);
          });
        }
        // The right pepper still works, and the application with it.
        assert.equal(cli(['apps', 'show', app.application_id, ...database.dbArgs]).status, 0);
      });
    }

    it('a database from before fingerprints (version 4) is checked by decrypting its signing key', async () => {
      await backend.downgradeToV4(database.dbArgs);
      assert.equal(await backend.fingerprint(database.dbArgs), null);
      const wrongFile = join(tempDir(), 'wrong-pepper');
      writeFileSync(wrongFile, randomBytes(32), { mode: 0o600 });
      const before = await database.snapshot();

      const wrong = cli(['apps', 'list', ...withoutPepper(database.dbArgs), '--pepper-file', wrongFile]);
      assertRefused(wrong, 'wrong', wrongFile, [pepper]);
      assert.match(wrong.stderr, /cannot decrypt its signing key/);
      const missingFile = join(tempDir(), 'pepper');
      assertRefused(
        cli(['keys', 'rotate', ...withoutPepper(database.dbArgs), '--pepper-file', missingFile]),
        'missing',
        missingFile,
        [pepper],
      );
      assert.equal(existsSync(missingFile), false);
      // Migration 5 ran (an empty table), but no fingerprint and no data changed.
      assert.equal(await backend.fingerprint(database.dbArgs), null);
      const after = await database.snapshot();
      assert.deepEqual(
        { ...after, server_settings: undefined, schema_migrations: undefined },
        {
          ...before,
          server_settings: undefined,
          schema_migrations: undefined,
        },
      );
      assert.deepEqual(after.server_settings, []);

      // The right pepper decrypts the key: its fingerprint is recorded, and checked from then on.
      assert.equal(cli(['apps', 'list', ...database.dbArgs]).status, 0);
      assert.equal(await backend.fingerprint(database.dbArgs), fingerprintOf(pepper));
    });
  });
}

describe('SQLite: a pepper is made only with a new, empty database', () => {
  it('first start: serve makes the database and the pepper together, every file 0600', async () => {
    const tmp = tempDb();
    dirs.push(tmp.dir);
    const folder = dirname(tmp.db);
    const server = await startServer(tmp.db);
    try {
      for (const file of [
        'smscx-oauth.db',
        'smscx-oauth.db-wal',
        'smscx-oauth.db-shm',
        'pepper',
        'default-application.json',
      ]) {
        assert.equal(statSync(join(folder, file)).mode & 0o777, 0o600, file);
      }
      const pepper = readFileSync(join(folder, 'pepper'));
      assert.equal(await sqlite.fingerprint(['--db', tmp.db]), fingerprintOf(pepper));
      // Not a terminal: the banner names the file; the secret is only in it.
      const credentials = defaultCredentials(server.stdout());
      assert.ok(!server.stdout().includes(credentials.application_secret));
      assert.equal((await requestToken(server.url, credentials)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  it('losing the pepper of an existing database is refused, never regenerated; restoring it works', async () => {
    const tmp = tempDb();
    dirs.push(tmp.dir);
    const pepperFile = join(dirname(tmp.db), 'pepper');
    const first = await startServer(tmp.db);
    const credentials = defaultCredentials(first.stdout());
    assert.equal(await first.stop(), 0);
    const pepper = readFileSync(pepperFile);
    rmSync(pepperFile);
    const before = sqliteSnapshot(tmp.db);
    for (const args of [
      ['serve', '--port', '0', '--workers', '1'],
      ['apps', 'create', '--name', 'x'],
      ['keys', 'rotate'],
    ]) {
      assertRefused(cli([...args, '--db', tmp.db]), 'missing', pepperFile, [pepper]);
      assert.equal(existsSync(pepperFile), false, `${args.join(' ')} made no new pepper`);
    }
    assert.deepEqual(sqliteSnapshot(tmp.db), before);
    writeFileSync(pepperFile, pepper, { mode: 0o600 });
    const again = await startServer(tmp.db);
    try {
      assert.equal((await requestToken(again.url, credentials)).status, 200);
    } finally {
      assert.equal(await again.stop(), 0);
    }
  });

  it('a database with a fingerprint and no data still refuses a lost pepper', () => {
    const tmp = tempDb();
    dirs.push(tmp.dir);
    ok(['apps', 'list', '--db', tmp.db]);
    const pepperFile = join(dirname(tmp.db), 'pepper');
    const pepper = readFileSync(pepperFile);
    rmSync(pepperFile);
    assertRefused(cli(['apps', 'list', '--db', tmp.db]), 'missing', pepperFile, [pepper]);
    assert.equal(existsSync(pepperFile), false);
  });

  it('an existing pepper file with a new database is kept, and its fingerprint recorded', () => {
    const dir = tempDir();
    const pepperFile = join(dir, 'secrets', 'pepper');
    mkdirSync(dirname(pepperFile));
    const pepper = randomBytes(32);
    writeFileSync(pepperFile, pepper, { mode: 0o600 });
    const db = join(dir, 'db', 'smscx-oauth.db');
    ok(['keys', 'rotate', '--db', db, '--pepper-file', pepperFile]);
    assert.deepEqual(readFileSync(pepperFile), pepper);
    assert.equal(statSync(db).mode & 0o777, 0o600);
    const handle = new Database(db, { readonly: true });
    const value = handle
      .prepare("SELECT value FROM server_settings WHERE name = 'pepper_fingerprint'")
      .pluck()
      .get();
    handle.close();
    assert.equal(value, fingerprintOf(pepper));
  });

  it('a pepper file of the wrong size is refused with one line', () => {
    const dir = tempDir();
    const pepperFile = join(dir, 'pepper');
    writeFileSync(pepperFile, randomBytes(16), { mode: 0o600 });
    const result = cli(['apps', 'list', '--db', join(dir, 'smscx-oauth.db'), '--pepper-file', pepperFile]);
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      `error: pepper file ${pepperFile} must hold exactly 32 bytes (it holds 16)\n`,
    );
  });
});

describe('PostgreSQL: the first-start banner', () => {
  after(() => schemas.dropAll());

  it('writes the credentials next to the pepper file (0600) and prints that path', async () => {
    await schemas.check();
    const dir = tempDir();
    const pepperFile = join(dir, 'pepper');
    const server = await startServer(schemas.freshUrl(), ['--pepper-file', pepperFile]);
    try {
      const credentials = defaultCredentials(server.stdout());
      assert.match(
        server.stdout(),
        new RegExp(`Credentials file: +${join(dir, 'default-application.json')}$`, 'm'),
      );
      assert.equal(statSync(join(dir, 'default-application.json')).mode & 0o777, 0o600);
      assert.equal(statSync(pepperFile).mode & 0o777, 0o600);
      assert.equal((await requestToken(server.url, credentials)).status, 200);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

describe('the first-start banner on a terminal', () => {
  it('prints the secret, and writes no credentials file', async (t) => {
    if (!existsSync('/usr/bin/script')) {
      t.skip('no script(1) to give the server a terminal');
      return;
    }
    const tmp = tempDb();
    dirs.push(tmp.dir);
    // script(1) runs the server on a pseudo-terminal; `timeout` stops it (SIGTERM) soon after.
    const command = `timeout --preserve-status -s TERM 3 ${process.execPath} ${BIN} serve --port 0 --workers 1 --log-level warn --db ${tmp.db}`;
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, output);
    assert.match(output, /Application Secret: +[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(output, /Credentials file:/);
    assert.equal(existsSync(join(dirname(tmp.db), 'default-application.json')), false);
  });
});

describe('SQLite: a revocation never waits behind another process’s write lock', () => {
  it('answers 503 Retry-After within the bound while token requests keep answering 200; succeeds after', async () => {
    const tmp = tempDb();
    dirs.push(tmp.dir);
    const app = JSON.parse(
      ok(['apps', 'create', '--db', tmp.db, '--name', 'locked', '--json']),
    ) as TestApplication;
    const server = await startServer(tmp.db);
    const other = new Database(tmp.db);
    try {
      const issued = await requestToken(server.url, app);
      assert.equal(issued.status, 200);
      const token = (issued.json as { access_token: string }).access_token;
      const revoke = () =>
        send(server.url, {
          path: '/oauth/revoke',
          headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
          body: `token=${token}`,
        });

      // Another process's write transaction holds the lock for the whole check.
      other.exec('BEGIN IMMEDIATE');
      const tokenTimes: number[] = [];
      let stop = false;
      const tokenLoop = (async () => {
        const statuses: number[] = [];
        while (!stop) {
          const started = performance.now();
          statuses.push((await requestToken(server.url, app)).status);
          tokenTimes.push(performance.now() - started);
        }
        return statuses;
      })();
      for (let i = 0; i < 3; i += 1) {
        const started = performance.now();
        const refused = await revoke();
        const elapsed = performance.now() - started;
        assert.equal(refused.status, 503, refused.body);
        assert.equal(refused.headers['retry-after'], '1');
        assert.ok(typeof refused.headers['x-request-id'] === 'string');
        assert.deepEqual(envelope(refused), {
          type: 'service_unavailable',
          code: 1656,
          message: 'The database is busy; try again shortly',
          uri: 'https://docs.sms.cx/#service_unavailable',
        });
        assert.ok(elapsed < 1500, `answered within the bound (${elapsed.toFixed(0)} ms)`);
      }
      stop = true;
      const statuses = await tokenLoop;
      assert.ok(statuses.length > 0);
      assert.deepEqual(new Set(statuses), new Set([200]), 'every token request answered 200');
      assert.ok(
        Math.max(...tokenTimes) < 1500,
        `no token request waited long (${Math.max(...tokenTimes).toFixed(0)} ms)`,
      );
      const introspect = () =>
        send(server.url, {
          path: '/oauth/introspect',
          headers: { authorization: basic(app.application_id, app.application_secret), 'content-type': FORM },
          body: `token=${token}`,
        });
      assert.equal(((await introspect()).json as { active: boolean }).active, true, 'nothing was revoked');

      other.exec('ROLLBACK');
      assert.equal((await revoke()).status, 200);
      assert.equal(((await introspect()).json as { active: boolean }).active, false, 'revoked now');
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      assert.equal(await server.stop(), 0);
    }
  });
});
