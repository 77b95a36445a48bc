// The Storage contract, written once as a behaviour suite so a PostgreSQL implementation can be
// run through the same checks (call `storageBehaviour` with its factory).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ApplicationCache } from '../src/cache/application-cache.js';
import { ChangeFollower } from '../src/cache/change-follower.js';
import { ScopeCatalogue } from '../src/domain/scopes.js';
import { MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { ApplicationRecord, Storage } from '../src/storage/types.js';
import { tempDb } from './helpers.js';

function application(overrides: Partial<ApplicationRecord> = {}): ApplicationRecord {
  return {
    id: randomBytes(20).toString('hex'),
    name: 'app',
    secretHash: randomBytes(32),
    scopes: ['sms', 'groups'],
    tokenExpiration: '1d',
    status: 'active',
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    tokensNotBefore: null,
    ...overrides,
  };
}

/** Runs the storage contract against `open()` (a fresh, empty storage per call). */
export function storageBehaviour(name: string, open: () => Promise<Storage>): void {
  describe(`Storage contract: ${name}`, () => {
    it('creates, reads, lists and counts applications', async () => {
      const storage = await open();
      assert.equal(await storage.hasApplications(), false);
      const a = application({ name: 'a', createdAt: 1 });
      const b = application({ name: 'b', createdAt: 2, tokenExpiration: 'never' });
      await storage.createApplication(a);
      await storage.createApplication(b);
      assert.deepEqual(await storage.getApplication(a.id), a);
      assert.equal(await storage.getApplication('0'.repeat(40)), null);
      assert.deepEqual(
        (await storage.listApplications()).map((x) => x.id),
        [a.id, b.id],
      );
      const visited: ApplicationRecord[] = [];
      await storage.forEachApplication((record) => visited.push(record));
      assert.deepEqual(visited, [a, b]);
      assert.equal(await storage.countApplications(), 2);
      assert.equal(await storage.hasApplications(), true);
      await assert.rejects(storage.createApplication(a));
      await storage.close();
    });

    it('creates many applications in one all-or-nothing transaction', async () => {
      const storage = await open();
      const batch = [application(), application(), application()];
      await storage.createApplications(batch);
      assert.equal(await storage.countApplications(), 3);
      await assert.rejects(storage.createApplications([application(), batch[0]!]));
      assert.equal(await storage.countApplications(), 3);
      await storage.close();
    });

    it('updates only the patched fields and reports unknown IDs', async () => {
      const storage = await open();
      const a = application();
      await storage.createApplication(a);
      const updated = await storage.updateApplication(a.id, { status: 'disabled', tokensNotBefore: 5 }, 10);
      assert.deepEqual(updated, { ...a, status: 'disabled', tokensNotBefore: 5, updatedAt: 10 });
      assert.deepEqual(await storage.getApplication(a.id), updated);
      assert.equal(await storage.updateApplication('f'.repeat(40), { status: 'active' }), null);
      await storage.close();
    });

    it('deletes applications', async () => {
      const storage = await open();
      const a = application();
      await storage.createApplication(a);
      assert.equal(await storage.deleteApplication(a.id), true);
      assert.equal(await storage.deleteApplication(a.id), false);
      assert.equal(await storage.getApplication(a.id), null);
      await storage.close();
    });

    it('rotates and prunes signing keys', async () => {
      const storage = await open();
      const key = (kid: string, createdAt: number) => ({
        kid,
        alg: 'EdDSA',
        publicJwk: '{}',
        privateKeyEncrypted: 'x',
        createdAt,
        retiredAt: null,
      });
      await storage.rotateSigningKey(key('k1', 100));
      await storage.rotateSigningKey(key('k2', 200));
      const keys = await storage.listSigningKeys();
      assert.deepEqual(
        keys.map((k) => [k.kid, k.retiredAt]),
        [
          ['k2', null],
          ['k1', 200],
        ],
      );
      assert.equal(await storage.pruneSigningKeys(150), 0);
      assert.equal(await storage.pruneSigningKeys(201), 1);
      assert.deepEqual(
        (await storage.listSigningKeys()).map((k) => k.kid),
        ['k2'],
      );
      await storage.close();
    });

    it('logs every change in order', async () => {
      const storage = await open();
      const start = await storage.latestChange();
      const a = application();
      await storage.createApplication(a);
      await storage.updateApplication(a.id, { name: 'renamed' });
      await storage.deleteApplication(a.id);
      const changes = await storage.changesSince(start);
      assert.deepEqual(
        changes.map((c) => [c.entity, c.entityId]),
        [
          ['application', a.id],
          ['application', a.id],
          ['application', a.id],
        ],
      );
      assert.ok(changes[0]!.seq < changes[1]!.seq && changes[1]!.seq < changes[2]!.seq);
      assert.equal(await storage.latestChange(), changes[2]!.seq);
      assert.deepEqual(await storage.changesSince(changes[2]!.seq), []);
      assert.equal((await storage.changesSince(start, 1)).length, 1);
      await storage.close();
    });

    it('puts tokens on the denylist idempotently and logs each new entry once', async () => {
      const storage = await open();
      const a = application();
      await storage.createApplication(a);
      const start = await storage.latestChange();
      const revocation = { jti: 'jti-1', applicationId: a.id, expiresAt: 2_000 };
      assert.equal(await storage.revokeToken(revocation, 1_000), true);
      assert.equal(await storage.revokeToken({ ...revocation, expiresAt: 9_999 }, 1_500), false);
      assert.deepEqual(await storage.getRevokedToken('jti-1'), {
        jti: 'jti-1',
        applicationId: a.id,
        expiresAt: 2_000,
        revokedAt: 1_000,
      });
      assert.equal(await storage.isTokenRevoked('jti-1'), true);
      assert.equal(await storage.isTokenRevoked('jti-2'), false);
      assert.equal(await storage.getRevokedToken('jti-2'), null);
      assert.deepEqual(
        (await storage.changesSince(start)).map((c) => [c.entity, c.entityId]),
        [['revoked_token', 'jti-1']],
      );
      await storage.close();
    });

    it('keeps entries until their token expires, and never-expiring ones forever', async () => {
      const storage = await open();
      const a = application();
      await storage.createApplication(a);
      await storage.revokeToken({ jti: 'short', applicationId: a.id, expiresAt: 1_000 }, 10);
      await storage.revokeToken({ jti: 'long', applicationId: a.id, expiresAt: 5_000 }, 20);
      await storage.revokeToken({ jti: 'never', applicationId: a.id, expiresAt: null }, 30);
      const listed = async (now: number) => (await storage.listRevokedTokens(now)).map((r) => r.jti);
      assert.deepEqual(await listed(0), ['short', 'long', 'never']);
      assert.deepEqual(await listed(1_000), ['short', 'long', 'never'], 'expiresAt == now is still listed');
      assert.deepEqual(await listed(1_001), ['long', 'never']);
      assert.deepEqual(await listed(Number.MAX_SAFE_INTEGER), ['never']);
      assert.equal(await storage.pruneRevokedTokens(1_000), 0, 'nothing expired before 1000');
      assert.equal(await storage.pruneRevokedTokens(1_001), 1);
      assert.equal(await storage.isTokenRevoked('short'), false);
      assert.equal(await storage.pruneRevokedTokens(Number.MAX_SAFE_INTEGER), 1);
      assert.equal(await storage.isTokenRevoked('long'), false);
      assert.equal(await storage.isTokenRevoked('never'), true);
      await storage.close();
    });

    it('drops an application’s denylist entries with the application', async () => {
      const storage = await open();
      const a = application();
      const b = application();
      await storage.createApplications([a, b]);
      await storage.revokeToken({ jti: 'a1', applicationId: a.id, expiresAt: null });
      await storage.revokeToken({ jti: 'b1', applicationId: b.id, expiresAt: null });
      await storage.deleteApplication(a.id);
      assert.equal(await storage.isTokenRevoked('a1'), false);
      assert.equal(await storage.isTokenRevoked('b1'), true);
      await storage.close();
    });
  });
}

const dirs: Array<() => void> = [];
after(() => {
  for (const cleanup of dirs) cleanup();
});

storageBehaviour('SQLite', async () => {
  const tmp = tempDb();
  dirs.push(tmp.cleanup);
  return openSqliteStorage(tmp.db);
});

describe('SQLite specifics', () => {
  it('records applied migrations and reopens an existing database', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const first = openSqliteStorage(tmp.db);
    const a = application();
    await first.createApplication(a);
    await first.close();
    const second = openSqliteStorage(tmp.db);
    assert.deepEqual(await second.getApplication(a.id), a);
    await second.close();
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(tmp.db, { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as Array<{
      version: number;
    }>;
    assert.deepEqual(
      versions.map((v) => v.version),
      MIGRATIONS.map((m) => m.version),
    );
    assert.equal((db.pragma('journal_mode', { simple: true }) as string).toLowerCase(), 'wal');
    db.close();
  });
});

describe('SQLite migration 2 (revoked_tokens)', () => {
  it('upgrades a version-1 database and keeps its data', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const { default: Database } = await import('better-sqlite3');
    mkdirSync(dirname(tmp.db), { recursive: true });
    const v1 = new Database(tmp.db);
    v1.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    v1.exec(MIGRATIONS[0]!.sql);
    v1.prepare('INSERT INTO schema_migrations VALUES (1, ?, 0)').run(MIGRATIONS[0]!.name);
    v1.prepare(
      `INSERT INTO applications VALUES ('${'a'.repeat(40)}', 'old', '${'00'.repeat(32)}', 'sms', '1d', 'active', 1, 1, NULL)`,
    ).run();
    v1.close();
    const storage = openSqliteStorage(tmp.db);
    assert.equal((await storage.getApplication('a'.repeat(40)))?.name, 'old');
    assert.equal(
      await storage.revokeToken({ jti: 'j', applicationId: 'a'.repeat(40), expiresAt: null }),
      true,
    );
    assert.equal(await storage.isTokenRevoked('j'), true);
    await storage.close();
    const db = new Database(tmp.db, { readonly: true });
    const versions = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(versions, [{ version: 1 }, { version: 2 }]);
    db.close();
  });
});

describe('ChangeFollower and revoked tokens', () => {
  it('hands revocations made through another connection to the revokedToken handler only', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const server = openSqliteStorage(tmp.db);
    const admin = openSqliteStorage(tmp.db);
    const revoked: string[] = [];
    let keyChanges = 0;
    const follower = new ChangeFollower(
      server,
      {
        application: async () => {},
        signingKeys: async () => {
          keyChanges += 1;
        },
        revokedToken: async (jti) => {
          revoked.push(jti);
        },
      },
      (error) => {
        throw error;
      },
    );
    await follower.markCurrent();
    const a = application();
    await admin.createApplication(a);
    await admin.revokeToken({ jti: 'x', applicationId: a.id, expiresAt: null });
    await admin.revokeToken({ jti: 'x', applicationId: a.id, expiresAt: null });
    await admin.revokeToken({ jti: 'y', applicationId: a.id, expiresAt: 1 });
    await follower.poll();
    assert.deepEqual(revoked, ['x', 'y']);
    assert.equal(keyChanges, 0);
    await admin.close();
    await server.close();
  });
});

describe('ApplicationCache with ChangeFollower', () => {
  it('follows another connection’s writes to the same file', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const server = openSqliteStorage(tmp.db);
    const admin = openSqliteStorage(join(tmp.dir, 'data', 'smscx-oauth.db'));
    const cache = new ApplicationCache(new ScopeCatalogue());
    let keyChanges = 0;
    const follower = new ChangeFollower(
      server,
      {
        application: (id) => cache.refresh(server, id),
        signingKeys: async () => {
          keyChanges += 1;
        },
      },
      (error) => {
        throw error;
      },
    );
    await follower.markCurrent();
    await cache.loadAll(server);
    const a = application({ tokenExpiration: 'never' });
    await admin.createApplication(a);
    assert.equal(cache.get(a.id), undefined);
    await follower.poll();
    assert.equal(cache.get(a.id)?.expiresIn, 0);
    assert.equal(cache.get(a.id)?.scopes.full, 'sms groups');
    assert.equal(cache.anyNeverExpiring, true);
    await admin.updateApplication(a.id, { status: 'disabled' });
    await follower.poll();
    assert.equal(cache.get(a.id)?.active, false);
    await admin.deleteApplication(a.id);
    await admin.rotateSigningKey({
      kid: 'k',
      alg: 'EdDSA',
      publicJwk: '{}',
      privateKeyEncrypted: 'x',
      createdAt: 1,
      retiredAt: null,
    });
    await follower.poll();
    assert.equal(cache.get(a.id), undefined);
    assert.equal(cache.anyNeverExpiring, false);
    assert.equal(keyChanges, 1);
    await admin.close();
    await server.close();
  });
});
