// The Storage contract, written once as a behaviour suite so a PostgreSQL implementation can be
// run through the same checks (call `storageBehaviour` with its factory).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ScopeCatalogue } from '../src/domain/scopes.js';
import { ApplicationCache } from '../src/storage/application-cache.js';
import { ChangeFollower } from '../src/storage/change-follower.js';
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
      assert.equal(await storage.countApplications(), 2);
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
