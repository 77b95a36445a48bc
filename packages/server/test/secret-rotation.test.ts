// Overlapping secrets (issue 16, part 1): `apps rotate-secret --grace` keeps the old secret
// working until its grace period ends, then it stops on every process (each judging by its own
// clock: nothing to propagate); `revoke-secret` ends it at once, in force on every process when
// it returns; at most two secrets; each secret's `last_used_at`, to the minute, written in the
// background and never on the token request's path. In process: two servers on one SQLite file
// with one test clock. Then the real binary: `serve --workers 2` and the admin CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import {
  ApplicationSecretError,
  revokeApplicationSecret,
  rotateApplicationSecret,
  viewApplication,
} from '../src/admin/applications.js';
import { toMinute } from '../src/sync/secret-use.js';
import { collectingLogger, type InProcessServer, inProcessServer, testClock } from './fixture.js';
import {
  cli,
  createApplication,
  envelope,
  requestToken,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
  waitFor,
} from './helpers.js';

const HOUR = 3_600_000;

/** The status of a token request with `secret` on `server`. */
async function status(server: InProcessServer, app: TestApplication, secret: string): Promise<number> {
  const response = await server.send({
    headers: {
      authorization: `Basic ${Buffer.from(`${app.application_id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (response.status === 401) assert.equal(envelope(response).type, 'invalid_client');
  return response.status;
}

/** The statuses of `secrets` on every server, as `[[s1 secret1, s1 secret2], [s2 …]]`. */
async function statuses(
  servers: readonly InProcessServer[],
  app: TestApplication,
  secrets: readonly string[],
): Promise<number[][]> {
  const all: number[][] = [];
  for (const server of servers) {
    const row: number[] = [];
    for (const secret of secrets) row.push(await status(server, app, secret));
    all.push(row);
  }
  return all;
}

describe('overlapping secrets on two server processes (one SQLite file, one clock)', () => {
  let first: InProcessServer;
  let second: InProcessServer;
  let servers: InProcessServer[];

  before(async () => {
    first = await inProcessServer();
    second = await inProcessServer({ sameDatabaseAs: first, clock: first.clock });
    servers = [first, second];
  });
  after(async () => {
    await second?.close();
    await first?.close();
  });

  /** A new application both processes serve. */
  async function newApplication(): Promise<TestApplication> {
    const app = await first.createApplication();
    await second.app.applyChanges();
    return app;
  }

  it('with a grace period both secrets work everywhere, then only the new one, as each clock passes its end', async () => {
    const app = await newApplication();
    const old = app.application_secret;
    // The fixture's rotation returns once every live process (both here) serves it.
    const rotatedAt = first.clock();
    const fresh = await first.admin.rotateSecret(app.application_id, 3600);
    assert.deepEqual(await statuses(servers, app, [old, fresh]), [
      [200, 200],
      [200, 200],
    ]);
    const view = viewApplication((await first.storage.getApplication(app.application_id))!, first.clock());
    assert.equal(view.secrets.length, 2);
    assert.equal(view.secrets[1]!.expires_at, new Date(rotatedAt + HOUR).toISOString());

    first.clock.set(rotatedAt + HOUR - 1);
    assert.deepEqual(await statuses(servers, app, [old, fresh]), [
      [200, 200],
      [200, 200],
    ]);
    // The grace ends: no change to propagate, each process judges by its clock.
    first.clock.set(rotatedAt + HOUR);
    assert.deepEqual(await statuses(servers, app, [old, fresh]), [
      [401, 200],
      [401, 200],
    ]);
    assert.deepEqual(
      viewApplication((await first.storage.getApplication(app.application_id))!, first.clock()).secrets.map(
        (secret) => secret.id,
      ),
      [view.secrets[0]!.id],
      'an expired secret is no longer listed',
    );
  });

  it('with no grace period (the default) the old secret stops at once, everywhere', async () => {
    const app = await newApplication();
    const fresh = await first.admin.rotateSecret(app.application_id);
    assert.deepEqual(await statuses(servers, app, [app.application_secret, fresh]), [
      [401, 200],
      [401, 200],
    ]);
  });

  it('revoke-secret ends the old secret on every process by the time it returns', async () => {
    const app = await newApplication();
    const fresh = await first.admin.rotateSecret(app.application_id, 86_400);
    const stored = (await first.storage.getApplication(app.application_id))!;
    const previousId = stored.previousSecret!.id;
    assert.deepEqual(await statuses(servers, app, [app.application_secret, fresh]), [
      [200, 200],
      [200, 200],
    ]);
    // The service function itself (no applyChanges): it returns once both processes serve it.
    const revoked = await revokeApplicationSecret(first.storage, app.application_id, previousId, {
      now: first.clock(),
    });
    assert.equal(revoked?.previousSecret, null);
    assert.deepEqual(await statuses(servers, app, [app.application_secret, fresh]), [
      [401, 200],
      [401, 200],
    ]);
    const audit = (await first.storage.listAudit({ limit: 5 })).find(
      (entry) => entry.targetId === app.application_id && entry.action === 'application.revoke_secret',
    );
    assert.deepEqual(audit?.details, {
      secret_id: previousId,
      secret_hint: app.application_secret.slice(-4),
    });
  });

  it('keeps at most two secrets: a rotation during a grace period is refused until the old secret is revoked or expired', async () => {
    const app = await newApplication();
    const second1 = await first.admin.rotateSecret(app.application_id, 600);
    const stored = (await first.storage.getApplication(app.application_id))!;
    await assert.rejects(
      rotateApplicationSecret(first.storage, first.pepper, app.application_id, {
        graceSeconds: 600,
        now: first.clock(),
      }),
      (error: unknown) =>
        error instanceof ApplicationSecretError &&
        error.reason === 'two_secrets' &&
        error.message.includes(`apps revoke-secret ${app.application_id} ${stored.previousSecret!.id}`),
    );
    assert.deepEqual(await first.storage.getApplication(app.application_id), stored, 'nothing changed');
    assert.deepEqual(await statuses(servers, app, [app.application_secret, second1]), [
      [200, 200],
      [200, 200],
    ]);
    // The current secret cannot be revoked: only a rotation replaces it.
    await assert.rejects(
      revokeApplicationSecret(first.storage, app.application_id, stored.secretId),
      (error: unknown) => error instanceof ApplicationSecretError && error.reason === 'current_secret',
    );
    await assert.rejects(
      revokeApplicationSecret(first.storage, app.application_id, 'sc_000000000000'),
      (error: unknown) => error instanceof ApplicationSecretError && error.reason === 'no_such_secret',
    );
    // Revoked: a rotation goes through.
    await first.admin.revokeSecret(app.application_id, stored.previousSecret!.id);
    const third = await first.admin.rotateSecret(app.application_id, 600);
    await second.app.applyChanges();
    assert.deepEqual(await statuses(servers, app, [app.application_secret, second1, third]), [
      [401, 200, 200],
      [401, 200, 200],
    ]);
    // Expired: a rotation replaces it without a revocation.
    first.clock.advance(600_000);
    const fourth = await first.admin.rotateSecret(app.application_id, 60);
    await second.app.applyChanges();
    assert.deepEqual(await statuses(servers, app, [second1, third, fourth]), [
      [401, 200, 200],
      [401, 200, 200],
    ]);
    const audit = (await first.storage.listAudit({ limit: 1 }))[0]!;
    assert.equal(audit.action, 'application.rotate_secret');
    assert.deepEqual(Object.keys(audit.details).sort(), [
      'grace_seconds',
      'previous_secret_expires_at',
      'secret_hint',
      'secret_id',
    ]);
    assert.equal(audit.details.grace_seconds, 60);
  });
});

describe('last_used_at: to the minute, written off the request path', () => {
  let server: InProcessServer;
  const log = collectingLogger('warn');

  before(async () => {
    // Mid-minute, so the minute of a use is unambiguous.
    server = await inProcessServer({
      clock: testClock(Math.floor(Date.now() / 60_000) * 60_000 + 30_000),
      logger: log.logger,
    });
  });
  after(async () => {
    await server?.close();
  });

  /** The stored record, read now. */
  async function stored(id: string) {
    return (await server.storage.getApplication(id))!;
  }

  it('records the secret that was used, each about once a minute, in the background', async () => {
    const app = await server.createApplication();
    const fresh = await server.admin.rotateSecret(app.application_id, 3600);
    const usedAt = server.clock();
    assert.equal(await status(server, app, fresh), 200);
    assert.equal(await status(server, app, fresh), 200);
    // Nothing is written on the request path.
    assert.equal((await stored(app.application_id)).secretLastUsedAt, null);
    // The follower's tick (every poll) writes once a minute of the app's clock has passed.
    server.clock.advance(60_000);
    await waitFor(
      async () => (await stored(app.application_id)).secretLastUsedAt !== null,
      'the current secret’s last use to be written',
    );
    const record = await stored(app.application_id);
    assert.equal(record.secretLastUsedAt, toMinute(usedAt) + 60_000, 'the minute of the write');
    assert.equal(record.previousSecret?.lastUsedAt, null, 'the old secret was not used');
    const shown = viewApplication(record, server.clock()).secrets;
    assert.equal(shown[0]!.last_used_at, new Date(toMinute(usedAt) + 60_000).toISOString());
    assert.equal(shown[1]!.last_used_at, null);

    // The old secret, used now, is written on the next minute.
    assert.equal(await status(server, app, app.application_secret), 200);
    server.clock.advance(30_000);
    // The follower's tick, at once (as its next poll would): it must not write yet.
    await server.app.applyChanges();
    assert.equal((await stored(app.application_id)).previousSecret?.lastUsedAt, null, 'not before a minute');
    server.clock.advance(30_000);
    await waitFor(
      async () => (await stored(app.application_id)).previousSecret?.lastUsedAt !== null,
      'the old secret’s last use to be written',
    );
    assert.equal((await stored(app.application_id)).previousSecret?.lastUsedAt, toMinute(server.clock()));
  });

  it('answers token requests fast while another connection holds the write lock; the write comes later', async () => {
    const app = await server.createApplication();
    const other = new Database(server.db);
    try {
      other.exec('BEGIN IMMEDIATE');
      // The storage's own lock wait is 5 s: a write on the request path would stall each request.
      for (let i = 0; i < 20; i++) {
        const started = performance.now();
        assert.equal(await status(server, app, app.application_secret), 200);
        const elapsed = performance.now() - started;
        assert.ok(elapsed < 1000, `request ${i} took ${elapsed.toFixed(0)} ms`);
      }
      // The minute is over: the background write is tried, finds the lock taken, gives up at
      // once (no stall of the process) and keeps the use for later.
      server.clock.advance(60_000);
      await server.app.applyChanges();
      await waitFor(
        async () => log.lines.some((line) => line.includes('cannot record when secrets were last used yet')),
        'the background write to give up on the lock',
      );
      const started = performance.now();
      assert.equal(await status(server, app, app.application_secret), 200);
      assert.ok(performance.now() - started < 1000, 'still fast');
      const row = other
        .prepare('SELECT secret_last_used_at FROM applications WHERE id = ?')
        .get(app.application_id) as { secret_last_used_at: number | null };
      assert.equal(row.secret_last_used_at, null, 'not written while the lock is held');
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
    // The retry, once the lock is free.
    server.clock.advance(10_000);
    await waitFor(
      async () => (await stored(app.application_id)).secretLastUsedAt !== null,
      'the last use to be written after the lock was released',
    );
    assert.ok((await stored(app.application_id)).secretLastUsedAt! <= server.clock());
  });
});

describe('last_used_at at shutdown', () => {
  it('is written when the app closes, for the uses of its last minute', async () => {
    const first = await inProcessServer();
    try {
      const app = await first.createApplication();
      const closing = await inProcessServer({ sameDatabaseAs: first, clock: first.clock });
      assert.equal(await status(closing, app, app.application_secret), 200);
      await closing.close();
      const record = (await first.storage.getApplication(app.application_id))!;
      assert.equal(record.secretLastUsedAt, toMinute(first.clock()));
    } finally {
      await first.close();
    }
  });
});

describe('`apps rotate-secret --grace` and `apps revoke-secret` with `serve --workers 2`', () => {
  const tmp = tempDb();
  let server: TestServer;
  let app: TestApplication;

  before(async () => {
    app = createApplication(tmp.db);
    server = await startServer(tmp.db, [], { SMSCX_WORKERS: '2' });
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  /** Whether `rounds` token requests in a row (new connections: spread over the workers) get `expected`. */
  async function allAnswer(secret: string, expected: number, rounds = 8): Promise<boolean> {
    for (let i = 0; i < rounds; i++) {
      const response = await requestToken(server.url, { ...app, application_secret: secret });
      if (response.status !== expected) return false;
    }
    return true;
  }

  function ok(args: string[]): string {
    const result = cli([...args, '--db', tmp.db]);
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  }

  it('rotates with a grace period: both secrets work on every worker, then only the new one', async () => {
    const rotated = JSON.parse(
      ok(['apps', 'rotate-secret', app.application_id, '--grace', '6s', '--json']),
    ) as {
      application_id: string;
      application_secret: string;
      secret_id: string;
      secret_hint: string;
      secrets: Array<Record<string, unknown>>;
    };
    const returnedAt = Date.now();
    assert.deepEqual(Object.keys(rotated), [
      'application_id',
      'application_secret',
      'secret_id',
      'secret_hint',
      'secrets',
    ]);
    assert.ok(await allAnswer(app.application_secret, 200), 'the old secret, on every worker');
    assert.ok(await allAnswer(rotated.application_secret, 200), 'the new secret, on every worker');

    const shown = JSON.parse(ok(['apps', 'show', app.application_id, '--json'])) as {
      secret_hint: string;
      secrets: Array<Record<string, string | null>>;
    };
    assert.equal(shown.secrets.length, 2);
    for (const secret of shown.secrets)
      assert.deepEqual(Object.keys(secret), ['id', 'hint', 'created_at', 'expires_at', 'last_used_at']);
    const [current, previous] = shown.secrets as [
      Record<string, string | null>,
      Record<string, string | null>,
    ];
    assert.equal(current.id, rotated.secret_id);
    assert.equal(current.hint, rotated.application_secret.slice(-4));
    assert.equal(current.expires_at, null);
    assert.equal(previous.hint, app.application_secret.slice(-4));
    assert.match(String(previous.id), /^sc_[0-9a-f]{12}$/);
    const expiresAt = Date.parse(String(previous.expires_at));
    assert.ok(expiresAt > returnedAt - 6000 && expiresAt <= returnedAt + 6000, String(previous.expires_at));
    assert.match(
      ok(['apps', 'show', app.application_id]),
      /Secrets: +sc_[0-9a-f]{12} .*\(current\)\n +sc_[0-9a-f]{12} .*works until/,
    );

    // The grace ends: the old secret stops on every worker, the new one goes on.
    await waitFor(async () => Date.now() > expiresAt + 50, 'the end of the grace period', 10_000);
    assert.ok(await allAnswer(app.application_secret, 401), 'the old secret, refused by every worker');
    assert.ok(await allAnswer(rotated.application_secret, 200));
    app = { ...app, application_secret: rotated.application_secret };
  });

  it('refuses a third secret, and revoke-secret ends the old one on every worker when it returns', async () => {
    const rotated = JSON.parse(
      ok(['apps', 'rotate-secret', app.application_id, '--grace', '1h', '--json']),
    ) as {
      application_secret: string;
      secrets: Array<{ id: string; expires_at: string | null }>;
    };
    const previous = rotated.secrets[1]!;
    assert.ok(previous.expires_at !== null);
    const refused = cli(['apps', 'rotate-secret', app.application_id, '--grace', '1h', '--db', tmp.db]);
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      new RegExp(`already has two secrets.*apps revoke-secret ${app.application_id} ${previous.id}`),
    );
    const current = cli([
      'apps',
      'revoke-secret',
      app.application_id,
      rotated.secrets[0]!.id,
      '--db',
      tmp.db,
    ]);
    assert.equal(current.status, 1);
    assert.match(current.stderr, /is the current secret/);
    const badGrace = cli(['apps', 'rotate-secret', app.application_id, '--grace', '31d', '--db', tmp.db]);
    assert.equal(badGrace.status, 2);
    assert.match(badGrace.stderr, /--grace must be a duration/);
    assert.ok(await allAnswer(app.application_secret, 200));

    const revoked = JSON.parse(ok(['apps', 'revoke-secret', app.application_id, previous.id, '--json'])) as {
      revoked: boolean;
      secrets: unknown[];
    };
    assert.equal(revoked.revoked, true);
    assert.equal(revoked.secrets.length, 1);
    // In force on every worker by the time the command returned: no waiting.
    assert.ok(await allAnswer(app.application_secret, 401), 'the revoked secret, on every worker');
    assert.ok(await allAnswer(rotated.application_secret, 200));
    const audit = JSON.parse(ok(['audit', '--limit', '3', '--json'])) as {
      data: Array<{ action: string; details: Record<string, unknown> }>;
    };
    assert.deepEqual(
      audit.data.map((entry) => entry.action),
      ['application.revoke_secret', 'application.rotate_secret', 'application.rotate_secret'],
    );
    assert.equal(audit.data[1]!.details.grace_seconds, 3600);
    assert.equal(audit.data[2]!.details.grace_seconds, 6);
  });
});
