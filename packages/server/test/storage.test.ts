// The Storage contract, written once as a behaviour suite and run against every backend
// (`storageContract`): SQLite and PostgreSQL. Then what is specific to each.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { ApplicationCache } from '../src/cache/application-cache.js';
import { ScopeCatalogue } from '../src/domain/scopes.js';
import { describeDatabase, openStorage } from '../src/storage/open.js';
import { POSTGRES_MIGRATIONS } from '../src/storage/postgres/migrations.js';
import { MIGRATIONS } from '../src/storage/sqlite/migrations.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type {
  ApiKeyRecord,
  ApplicationRecord,
  AuditEntry,
  AuditRecord,
  NewApplicationRecord,
  SigningKeyRecord,
  Storage,
} from '../src/storage/types.js';
import { ChangeFollower } from '../src/sync/change-follower.js';
import { tempDb } from './helpers.js';
import { POSTGRES_URL, PostgresTestSchemas, withParams } from './storage-postgres.js';

/** A new application (no number: the storage gives it). */
function application(overrides: Partial<NewApplicationRecord> = {}): NewApplicationRecord {
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
    secretHint: null,
    ...overrides,
  };
}

function signingKey(kid: string, createdAt: number): SigningKeyRecord {
  return { kid, alg: 'EdDSA', publicJwk: '{}', privateKeyEncrypted: 'x', createdAt, retiredAt: null };
}

function apiKey(id: string, createdAt: number, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    name: `key ${id}`,
    keyHash: randomBytes(32),
    hint: id.slice(-4),
    createdAt,
    revokedAt: null,
    ...overrides,
  };
}

/** An audit entry; every field can be overridden. */
function auditOf(overrides: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at: 1_700_000_000_000,
    actor: { type: 'cli', user: 'alice' },
    action: 'application.update',
    targetType: 'application',
    targetId: 'target',
    requestId: null,
    details: {},
    ...overrides,
  };
}

/** An audit record without its sequence number: the entry as it was written. */
const entryOf = ({ seq: _seq, ...entry }: AuditRecord): AuditEntry => entry;

const rethrow = (error: unknown): never => {
  throw error;
};

/** Counts calls of a subscriber, and waits for them. */
class CallCounter {
  count = 0;
  private waiting: Array<() => void> = [];

  call(): void {
    this.count += 1;
    for (const wake of this.waiting) wake();
  }

  /** Resolves once `count` reaches `n`; fails with `message` after 5 s. */
  async waitFor(n: number, message: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (this.count < n) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) assert.fail(`${message} (${this.count} call(s) of ${n})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.waiting = [];
    }
  }
}

/** A fresh, empty database of one backend. */
export interface TestDatabase {
  /** Opens a storage on it; call it again for a second process on the same database. */
  connect(): Promise<Storage>;
}

/** What a backend offers beyond the common contract. */
export interface ContractFeatures {
  /** Whether `subscribeChanges` pushes (PostgreSQL) or resolves undefined (SQLite). */
  readonly push: boolean;
}

/**
 * Runs the storage contract against a backend: `freshDatabase()` makes a new, empty database
 * per test. Every storage a test opens is closed after it, passed or failed.
 */
export function storageContract(
  name: string,
  freshDatabase: () => Promise<TestDatabase>,
  features: ContractFeatures,
): void {
  describe(`Storage contract: ${name}`, () => {
    let opened: Storage[] = [];
    const connect = async (database: TestDatabase): Promise<Storage> => {
      const storage = await database.connect();
      opened.push(storage);
      return storage;
    };
    const open = async (): Promise<Storage> => connect(await freshDatabase());
    afterEach(async () => {
      const storages = opened;
      opened = [];
      await Promise.all(storages.map((storage) => storage.close()));
    });

    it('creates, reads, lists and counts applications', async () => {
      const storage = await open();
      assert.equal(await storage.hasApplications(), false);
      const newA = application({ name: 'a', createdAt: 1 });
      const a = await storage.createApplication(newA);
      const b = await storage.createApplication(
        application({ name: 'b', createdAt: 2, tokenExpiration: 'never' }),
      );
      assert.deepEqual(a, { ...newA, number: a.number });
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
      await assert.rejects(storage.createApplication(newA));
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
      const a = await storage.createApplication(application());
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

    it('visits many applications in creation order, a batch at a time, and logs each', async () => {
      const storage = await open();
      const start = await storage.latestChange();
      // More than one FETCH and one INSERT batch of the PostgreSQL storage; one shared createdAt,
      // so only the creation order can order them (and IDs are random, not sorted).
      const batch = Array.from({ length: 12_345 }, (_, i) =>
        application({ name: `app ${i}`, updatedAt: 2e12 + i }),
      );
      await storage.createApplications(batch);
      let index = 0;
      await storage.forEachApplication((record) => {
        // A fresh database: numbered from 1, in input order.
        assert.deepEqual(record, { ...batch[index], number: index + 1 });
        index += 1;
      });
      assert.equal(index, batch.length);
      assert.deepEqual(
        (await storage.listApplications()).map((a) => a.id),
        batch.map((a) => a.id),
      );
      const logged = await storage.changesSince(start, 20_000);
      assert.deepEqual(
        logged.map((c) => c.entityId),
        batch.map((a) => a.id),
      );
      assert.equal(await storage.latestChange(), logged.at(-1)!.seq);
    });

    it('keeps the process table: register, report, list by heartbeat, prune, unregister', async () => {
      const storage = await open();
      const start = await storage.latestChange();
      await storage.registerProcess({ id: 'p1', label: 'one', appliedSeq: 0 }, 1_000);
      await storage.registerProcess({ id: 'p0', label: 'zero', appliedSeq: 3 }, 2_000);
      assert.deepEqual(await storage.listProcesses(0), [
        { id: 'p1', label: 'one', appliedSeq: 0, heartbeatAt: 1_000 },
        { id: 'p0', label: 'zero', appliedSeq: 3, heartbeatAt: 2_000 },
      ]);
      await storage.reportProcess('p1', 7, 3_000);
      // Re-registering (a relabel) refreshes the row but keeps its place: oldest registration first.
      await storage.registerProcess({ id: 'p1', label: 'one at :8080', appliedSeq: 8 }, 3_500);
      await storage.reportProcess('nobody', 1, 3_000);
      assert.deepEqual(await storage.listProcesses(0), [
        { id: 'p1', label: 'one at :8080', appliedSeq: 8, heartbeatAt: 3_500 },
        { id: 'p0', label: 'zero', appliedSeq: 3, heartbeatAt: 2_000 },
      ]);
      assert.deepEqual(
        (await storage.listProcesses(2_001)).map((p) => p.id),
        ['p1'],
      );
      assert.deepEqual(
        (await storage.listProcesses(2_000)).map((p) => p.id),
        ['p1', 'p0'],
        'heartbeat == since is still listed',
      );
      assert.equal(await storage.pruneProcesses(2_000), 0, 'nothing before 2000');
      assert.equal(await storage.pruneProcesses(2_001), 1);
      await storage.unregisterProcess('p1');
      await storage.unregisterProcess('p1');
      assert.deepEqual(await storage.listProcesses(0), []);
      assert.equal(await storage.latestChange(), start, 'process bookkeeping is not a change');
    });

    it(
      features.push
        ? 'calls a subscriber after another connection’s write, until it unsubscribes'
        : 'has no push: subscribeChanges resolves undefined',
      async () => {
        const database = await freshDatabase();
        const server = await connect(database);
        const admin = await connect(database);
        const calls = new CallCounter();
        const unsubscribe = await server.subscribeChanges(() => calls.call());
        if (!features.push) {
          assert.equal(unsubscribe, undefined);
          return;
        }
        assert.ok(unsubscribe !== undefined);
        const start = await server.latestChange();
        await admin.createApplication(application());
        await calls.waitFor(1, 'the subscriber was not called after another connection’s write');
        assert.equal((await server.changesSince(start)).length, 1);
        await unsubscribe();
        await unsubscribe();
        const before = calls.count;
        await admin.createApplication(application());
        await admin.revokeToken({ jti: 'j', applicationId: 'x', expiresAt: null });
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(calls.count, before, 'no call after unsubscribing');
      },
    );

    it('hands revocations made through another connection to the revokedToken handler only', async () => {
      const database = await freshDatabase();
      const server = await connect(database);
      const admin = await connect(database);
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
        { onError: rethrow },
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
    });

    it('lets an ApplicationCache follow another connection’s writes', async () => {
      const database = await freshDatabase();
      const server = await connect(database);
      const admin = await connect(database);
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
        { onError: rethrow },
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
    });

    it('numbers applications in creation order and never reuses a number', async () => {
      const database = await freshDatabase();
      const storage = await connect(database);
      // createdAt decreasing: only the creation order can give these numbers.
      const a = await storage.createApplication(application({ name: 'a', createdAt: 30 }));
      const b = await storage.createApplication(application({ name: 'b', createdAt: 20 }));
      const c = await storage.createApplication(application({ name: 'c', createdAt: 10 }));
      assert.deepEqual(
        [a.number, b.number, c.number],
        [1, 2, 3],
        'a fresh database numbers from 1, in creation order',
      );
      assert.equal((await storage.getApplication(b.id))?.number, 2);
      // Deleting the newest application must not hand its number out again.
      assert.equal(await storage.deleteApplication(c.id), true);
      const d = await storage.createApplication(application({ name: 'd' }));
      assert.equal(d.number, 4);
      assert.equal(await storage.deleteApplication(a.id), true);
      // Another connection (another process) continues the same sequence.
      const other = await connect(database);
      const e = await other.createApplication(application({ name: 'e' }));
      const f = await storage.createApplication(application({ name: 'f' }));
      assert.deepEqual([e.number, f.number], [5, 6]);
      assert.equal((await other.getApplication(f.id))?.number, 6);
      assert.deepEqual(await storage.listApplications(), [b, d, e, f]);
      const visited: ApplicationRecord[] = [];
      await other.forEachApplication((record) => visited.push(record));
      assert.deepEqual(visited, [b, d, e, f]);
      // An update keeps the number.
      assert.equal((await storage.updateApplication(b.id, { name: 'b2' }, 40))?.number, 2);
      assert.equal((await storage.getApplication(b.id))?.number, 2);
    });

    it('numbers a batch of applications in input order', async () => {
      const storage = await open();
      const first = await storage.createApplication(application());
      const batch = [application({ name: 'x' }), application({ name: 'y' }), application({ name: 'z' })];
      await storage.createApplications(batch);
      const listed = await storage.listApplications();
      assert.deepEqual(
        listed.map((record) => [record.id, record.number]),
        [
          [first.id, 1],
          [batch[0]!.id, 2],
          [batch[1]!.id, 3],
          [batch[2]!.id, 4],
        ],
      );
      assert.deepEqual(await storage.getApplication(batch[2]!.id), { ...batch[2], number: 4 });
      await storage.createApplications([]);
      assert.equal((await storage.createApplication(application())).number, 5);
      // A failed batch stores nothing; whatever numbers it took, the next ones are still new.
      await assert.rejects(storage.createApplications([application(), first]));
      const next = await storage.createApplication(application());
      assert.ok(next.number > 5, `number ${next.number} after 5`);
      assert.equal(await storage.countApplications(), 6);
    });

    it('keeps the secret hint and lets an update change it', async () => {
      const storage = await open();
      const hinted = await storage.createApplication(application({ secretHint: 'x9_Z' }));
      const legacy = await storage.createApplication(application({ secretHint: null }));
      assert.equal((await storage.getApplication(hinted.id))?.secretHint, 'x9_Z');
      assert.equal((await storage.getApplication(legacy.id))?.secretHint, null);
      const secretHash = randomBytes(32);
      const rotated = await storage.updateApplication(legacy.id, { secretHash, secretHint: '-AbC' }, 20);
      assert.deepEqual(rotated, { ...legacy, secretHash, secretHint: '-AbC', updatedAt: 20 });
      assert.deepEqual(await storage.getApplication(legacy.id), rotated);
      // Other updates leave it alone.
      assert.deepEqual(await storage.updateApplication(hinted.id, { name: 'renamed' }, 30), {
        ...hinted,
        name: 'renamed',
        updatedAt: 30,
      });
      assert.equal((await storage.getApplication(hinted.id))?.secretHint, 'x9_Z');
      const bulk = application({ secretHint: 'bulk' });
      await storage.createApplications([bulk]);
      assert.equal((await storage.getApplication(bulk.id))?.secretHint, 'bulk');
      assert.deepEqual(
        (await storage.listApplications()).map((record) => record.secretHint),
        ['x9_Z', '-AbC', 'bulk'],
      );
    });

    it('creates, reads, lists and revokes API keys', async () => {
      const storage = await open();
      const k1 = apiKey('ak_000000000001', 100);
      const k2 = apiKey('ak_000000000002', 300);
      const k3 = apiKey('ak_000000000003', 200, { revokedAt: 250 });
      for (const key of [k1, k2, k3]) await storage.createApiKey(key);
      assert.deepEqual(await storage.getApiKey(k1.id), k1);
      assert.deepEqual(await storage.getApiKey(k3.id), k3);
      assert.equal(await storage.getApiKey('ak_ffffffffffff'), null);
      assert.deepEqual(await storage.listApiKeys(), [k2, k3, k1], 'newest first, revoked ones too');
      await assert.rejects(storage.createApiKey(apiKey(k1.id, 400)));
      assert.deepEqual(await storage.getApiKey(k1.id), k1, 'a duplicate ID changes nothing');

      const revoked = await storage.revokeApiKey(
        k1.id,
        500,
        auditOf({ action: 'api_key.revoke', targetType: 'api_key', targetId: k1.id, at: 500 }),
      );
      assert.deepEqual(revoked, { ...k1, revokedAt: 500 });
      assert.deepEqual(await storage.getApiKey(k1.id), revoked);
      assert.equal((await storage.listAudit({ limit: 10 })).length, 1);
      // Revoking again changes nothing and records nothing.
      const again = await storage.revokeApiKey(
        k1.id,
        600,
        auditOf({ action: 'api_key.revoke', targetType: 'api_key', targetId: k1.id, at: 600 }),
      );
      assert.deepEqual(again, revoked);
      assert.deepEqual(await storage.getApiKey(k1.id), revoked);
      assert.deepEqual(await storage.revokeApiKey(k3.id, 700), k3, 'a key revoked at creation stays so');
      assert.equal(
        await storage.revokeApiKey(
          'ak_ffffffffffff',
          800,
          auditOf({ action: 'api_key.revoke', targetType: 'api_key', targetId: 'ak_ffffffffffff' }),
        ),
        null,
      );
      assert.deepEqual(
        (await storage.listAudit({ limit: 10 })).map((record) => [record.action, record.targetId, record.at]),
        [['api_key.revoke', k1.id, 500]],
      );
      assert.deepEqual(
        (await storage.listApiKeys()).map((key) => [key.id, key.revokedAt]),
        [
          [k2.id, null],
          [k3.id, 250],
          [k1.id, 500],
        ],
      );
    });

    it('records an audit entry with each write that passes one, in the order written', async () => {
      const storage = await open();
      assert.deepEqual(await storage.listAudit({ limit: 10 }), []);
      const actor = { type: 'api_key', id: 'ak_0123456789ab', name: 'ops' } as const;
      const newA = application();
      const entries: AuditEntry[] = [
        auditOf({ actor, action: 'application.create', targetId: newA.id, details: { name: 'app' }, at: 1 }),
        auditOf({
          actor,
          action: 'application.update',
          targetId: newA.id,
          details: { name: 'renamed' },
          at: 2,
        }),
        auditOf({ action: 'signing_key.rotate', targetType: 'signing_key', targetId: 'k1', at: 3 }),
        auditOf({ action: 'api_key.create', targetType: 'api_key', targetId: 'ak_000000000001', at: 4 }),
        auditOf({ action: 'api_key.revoke', targetType: 'api_key', targetId: 'ak_000000000001', at: 5 }),
        auditOf({ actor, action: 'application.delete', targetId: newA.id, requestId: 'req-1', at: 6 }),
        auditOf({ actor: { type: 'server' }, action: 'application.create_many', targetId: '*', at: 7 }),
      ];
      await storage.createApplication(newA, entries[0]);
      await storage.updateApplication(newA.id, { name: 'renamed' }, 2, entries[1]);
      await storage.rotateSigningKey(signingKey('k1', 3), entries[2]);
      await storage.createApiKey(apiKey('ak_000000000001', 4), entries[3]);
      assert.ok((await storage.revokeApiKey('ak_000000000001', 5, entries[4])) !== null);
      assert.equal(await storage.deleteApplication(newA.id, entries[5]), true);
      await storage.appendAudit(entries[6]!);
      // The same writes without an entry record nothing.
      const b = await storage.createApplication(application());
      await storage.updateApplication(b.id, { name: 'quiet' });
      await storage.rotateSigningKey(signingKey('k2', 8));
      await storage.createApiKey(apiKey('ak_000000000002', 8));
      await storage.revokeApiKey('ak_000000000002', 9);
      await storage.deleteApplication(b.id);
      const listed = await storage.listAudit({ limit: 100 });
      assert.deepEqual(listed.map(entryOf), [...entries].reverse());
      for (let i = 1; i < listed.length; i++) {
        assert.ok(listed[i - 1]!.seq > listed[i]!.seq, 'newest (highest seq) first');
      }
      // The changes themselves were made.
      assert.equal(await storage.getApplication(newA.id), null);
      assert.equal((await storage.listSigningKeys())[0]?.kid, 'k2');
    });

    it('records nothing when a write finds nothing to change or fails', async () => {
      const storage = await open();
      const a = await storage.createApplication(application());
      const missing = 'f'.repeat(40);
      const audit = auditOf({ targetId: missing });
      assert.equal(await storage.updateApplication(missing, { name: 'x' }, 1, audit), null);
      assert.equal(
        await storage.deleteApplication(missing, { ...audit, action: 'application.delete' }),
        false,
      );
      await assert.rejects(
        storage.createApplication({ ...application(), id: a.id }, { ...audit, action: 'application.create' }),
      );
      await storage.createApiKey(apiKey('ak_000000000001', 1));
      await assert.rejects(
        storage.createApiKey(apiKey('ak_000000000001', 2), {
          ...audit,
          action: 'api_key.create',
          targetType: 'api_key',
        }),
      );
      assert.deepEqual(await storage.listAudit({ limit: 10 }), []);
    });

    it('undoes the change when its audit entry cannot be written (one transaction)', async () => {
      const storage = await open();
      // A BigInt has no JSON form: writing this entry fails after the change was made.
      const unwritable = auditOf({ details: { size: 1n } });
      const newA = application();
      await assert.rejects(storage.createApplication(newA, unwritable));
      assert.equal(await storage.getApplication(newA.id), null);
      assert.equal(await storage.countApplications(), 0);
      const a = await storage.createApplication(application());
      await assert.rejects(storage.updateApplication(a.id, { name: 'renamed' }, 5, unwritable));
      assert.deepEqual(await storage.getApplication(a.id), a);
      await assert.rejects(storage.deleteApplication(a.id, unwritable));
      assert.deepEqual(await storage.getApplication(a.id), a);
      await assert.rejects(storage.rotateSigningKey(signingKey('k1', 1), unwritable));
      assert.deepEqual(await storage.listSigningKeys(), []);
      await assert.rejects(storage.createApiKey(apiKey('ak_000000000001', 1), unwritable));
      assert.equal(await storage.getApiKey('ak_000000000001'), null);
      const key = apiKey('ak_000000000002', 1);
      await storage.createApiKey(key);
      await assert.rejects(storage.revokeApiKey(key.id, 2, unwritable));
      assert.deepEqual(await storage.getApiKey(key.id), key);
      assert.deepEqual(await storage.listAudit({ limit: 10 }), []);
    });

    it('keeps each audit entry’s actor, request ID and details exactly', async () => {
      const storage = await open();
      const details = {
        name: 'Ünïcødé "quoted" \\ back\\slash \n new line 🚀',
        scopes: 'sms groups',
        count: 12_345,
        ratio: 0.1 + 0.2,
        negative: -7,
        flags: [true, false, null],
        nested: { deep: { list: [1, 'two', { three: 3 }] }, empty: {} },
        emptyList: [],
        emptyString: '',
      };
      const entries: AuditEntry[] = [
        auditOf({
          actor: { type: 'api_key', id: 'ak_0123456789ab', name: 'ops “prod” ✓' },
          requestId: 'req-1',
        }),
        auditOf({ actor: { type: 'cli', user: 'alice' }, details }),
        auditOf({ actor: { type: 'server' }, requestId: 'a'.repeat(200), details: { zero: 0 } }),
      ];
      for (const entry of entries) await storage.appendAudit(entry);
      assert.deepEqual((await storage.listAudit({ limit: 10 })).map(entryOf), [...entries].reverse());
    });

    it('reads the audit log newest first, by limit, cursor and since', async () => {
      const storage = await open();
      // `at` out of order: the log is ordered by seq, `since` filters by at.
      const times = [3_000, 1_000, 2_000, 5_000, 4_000];
      for (const [i, at] of times.entries()) await storage.appendAudit(auditOf({ at, targetId: `t${i}` }));
      const all = await storage.listAudit({ limit: 100 });
      assert.deepEqual(
        all.map((record) => record.targetId),
        ['t4', 't3', 't2', 't1', 't0'],
      );
      const seqs = all.map((record) => record.seq);
      assert.ok(
        seqs.every((seq, i) => i === 0 || seq < seqs[i - 1]!),
        `strictly decreasing: ${seqs}`,
      );
      const ids = async (query: Parameters<Storage['listAudit']>[0]) =>
        (await storage.listAudit(query)).map((record) => record.targetId);
      assert.deepEqual(await ids({ limit: 2 }), ['t4', 't3']);
      assert.deepEqual(await ids({ limit: 1 }), ['t4']);
      assert.deepEqual(await ids({ before: seqs[1]!, limit: 2 }), ['t2', 't1'], 'before is exclusive');
      assert.deepEqual(await ids({ before: seqs[3]!, limit: 10 }), ['t0']);
      assert.deepEqual(await ids({ before: seqs[4]!, limit: 10 }), []);
      assert.deepEqual(await ids({ since: 3_000, limit: 10 }), ['t4', 't3', 't0'], 'since is inclusive');
      assert.deepEqual(await ids({ since: 3_001, limit: 10 }), ['t4', 't3']);
      assert.deepEqual(await ids({ since: 1_000, limit: 10 }), ['t4', 't3', 't2', 't1', 't0']);
      assert.deepEqual(await ids({ since: 5_001, limit: 10 }), []);
      assert.deepEqual(await ids({ since: 2_000, before: seqs[0]!, limit: 2 }), ['t3', 't2']);
      assert.deepEqual(await ids({ since: 2_000, before: seqs[2]!, limit: 10 }), ['t0']);
    });
  });
}

const dirs: Array<() => void> = [];
after(() => {
  for (const cleanup of dirs) cleanup();
});

storageContract(
  'SQLite',
  async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    return { connect: async () => openSqliteStorage(tmp.db) };
  },
  { push: false },
);

describe('SQLite specifics', () => {
  it('records applied migrations and reopens an existing database', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const first = openSqliteStorage(tmp.db);
    const a = await first.createApplication(application({ secretHint: 'AbC4' }));
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
    assert.deepEqual(
      versions,
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    db.close();
  });
});

describe('SQLite migration 4 (application numbers, secret hints, API keys, audit log)', () => {
  it('numbers a version-3 database’s applications in creation order', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const { default: Database } = await import('better-sqlite3');
    mkdirSync(dirname(tmp.db), { recursive: true });
    const v3 = new Database(tmp.db);
    v3.exec(
      'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const upToV3 = MIGRATIONS.slice(0, 3);
    assert.deepEqual(
      upToV3.map((m) => m.version),
      [1, 2, 3],
    );
    for (const migration of upToV3) {
      v3.exec(migration.sql);
      v3.prepare('INSERT INTO schema_migrations VALUES (?, ?, 0)').run(migration.version, migration.name);
    }
    // IDs and createdAt in neither creation order: only the insertion order can number them.
    const old = [
      { id: 'c'.repeat(40), name: 'first', createdAt: 3_000 },
      { id: 'a'.repeat(40), name: 'second', createdAt: 1_000 },
      { id: 'b'.repeat(40), name: 'third', createdAt: 2_000 },
    ];
    const secretHash = randomBytes(32);
    const insert = v3.prepare(
      `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before)
       VALUES (?, ?, ?, 'sms groups', '1w', 'active', ?, ?, ?)`,
    );
    for (const app of old)
      insert.run(app.id, app.name, secretHash.toString('hex'), app.createdAt, app.createdAt + 1, 7);
    v3.close();

    const storage = openSqliteStorage(tmp.db);
    try {
      const expected: ApplicationRecord[] = old.map((app, i) => ({
        id: app.id,
        name: app.name,
        secretHash,
        scopes: ['sms', 'groups'],
        tokenExpiration: '1w',
        status: 'active',
        createdAt: app.createdAt,
        updatedAt: app.createdAt + 1,
        tokensNotBefore: 7,
        secretHint: null,
        number: i + 1,
      }));
      assert.deepEqual(await storage.listApplications(), expected);
      assert.deepEqual(await storage.getApplication(old[1]!.id), expected[1]);
      assert.equal((await storage.createApplication(application())).number, old.length + 1);
      // The tables of migration 4 work.
      await storage.createApiKey(apiKey('ak_000000000001', 1), auditOf());
      assert.equal((await storage.listAudit({ limit: 10 })).length, 1);
    } finally {
      await storage.close();
    }
    const db = new Database(tmp.db, { readonly: true });
    assert.deepEqual(
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    db.close();
  });
});

describe('openStorage and describeDatabase', () => {
  it('opens a SQLite file for anything but a PostgreSQL URL', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const storage = await openStorage(tmp.db);
    try {
      await storage.createApplication(application());
      assert.equal(await storage.countApplications(), 1);
      assert.equal(await storage.subscribeChanges(() => {}), undefined);
    } finally {
      await storage.close();
    }
  });

  it('shows a database without its password', () => {
    assert.equal(describeDatabase('./data/smscx-oauth.db'), './data/smscx-oauth.db');
    assert.equal(
      describeDatabase('postgres://smscx:s3cret@db.internal:5432/oauth?schema=prod'),
      'postgres://smscx:***@db.internal:5432/oauth?schema=prod',
    );
    assert.equal(describeDatabase('postgresql://smscx@db/oauth'), 'postgresql://smscx@db/oauth');
    assert.equal(
      describeDatabase('postgres://db/oauth?user=smscx&password=s3cret'),
      'postgres://db/oauth?user=smscx&password=***',
    );
    // Not a valid URL (an unencoded `/` and `@` in the password): hidden all the same.
    const malformed = describeDatabase('postgres://smscx:s3/cr@t@db:99999/oauth');
    assert.ok(!malformed.includes('s3/cr'), malformed);
    assert.match(malformed, /^postgres:\/\/smscx:\*\*\*@/);
  });
});

describe('PostgreSQL', () => {
  const schemas = new PostgresTestSchemas();
  // Unreachable, every test below fails (a failed hook would only cancel them): this one first,
  // with the reason.
  let unreachable: Error | undefined;
  before(async () => {
    unreachable = await schemas.check().then(
      () => undefined,
      (error: Error) => error,
    );
  });
  after(async () => {
    if (unreachable === undefined) await schemas.dropAll();
  });

  it('reaches the test PostgreSQL server', () => {
    if (unreachable !== undefined) throw unreachable;
  });

  storageContract(
    'PostgreSQL',
    async () => {
      const url = schemas.freshUrl();
      return { connect: () => openStorage(url) };
    },
    { push: true },
  );

  describe('PostgreSQL specifics', () => {
    let opened: Storage[] = [];
    const open = async (url: string): Promise<Storage> => {
      const storage = await openStorage(url);
      opened.push(storage);
      return storage;
    };
    afterEach(async () => {
      const storages = opened;
      opened = [];
      await Promise.all(storages.map((storage) => storage.close()));
    });

    it('has the same migration versions as SQLite', () => {
      assert.deepEqual(
        POSTGRES_MIGRATIONS.map((m) => [m.version, m.name]),
        MIGRATIONS.map((m) => [m.version, m.name]),
      );
    });

    it('applies each migration once when several processes open a fresh schema at once', async () => {
      const schema = schemas.freshSchema();
      const url = withParams(POSTGRES_URL, { schema });
      await Promise.all(Array.from({ length: 6 }, () => open(url)));
      const rows = await schemas.query<{ version: number; n: string }>(
        `SELECT version, COUNT(*) AS n FROM ${schema}.schema_migrations GROUP BY version ORDER BY version`,
      );
      assert.deepEqual(
        rows.map((row) => [row.version, Number(row.n)]),
        POSTGRES_MIGRATIONS.map((m) => [m.version, 1]),
      );
    });

    it('reopens an existing schema and keeps its data', async () => {
      const url = schemas.freshUrl();
      const first = await open(url);
      const a = await first.createApplication(
        application({ tokensNotBefore: 1_700_000_000_123, secretHint: 'AbC4' }),
      );
      await first.close();
      const second = await open(url);
      assert.deepEqual(await second.getApplication(a.id), a);
      assert.equal(await second.countApplications(), 1);
    });

    it('numbers a version-3 schema’s applications in creation order (migration 4)', async () => {
      const schema = schemas.freshSchema();
      await schemas.query(`CREATE SCHEMA ${schema}`);
      const upToV3 = POSTGRES_MIGRATIONS.slice(0, 3);
      assert.deepEqual(
        upToV3.map((m) => m.version),
        [1, 2, 3],
      );
      // IDs and createdAt in neither creation order: only the insertion order can number them.
      const old = [
        { id: 'c'.repeat(40), name: 'first', createdAt: 3_000 },
        { id: 'a'.repeat(40), name: 'second', createdAt: 1_000 },
        { id: 'b'.repeat(40), name: 'third', createdAt: 2_000 },
      ];
      const secretHash = randomBytes(32);
      const v3 = new pg.Client({
        connectionString: withParams(POSTGRES_URL, { options: `-c search_path=${schema}` }),
      });
      await v3.connect();
      try {
        await v3.query(
          'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
        );
        for (const migration of upToV3) {
          await v3.query(migration.sql);
          await v3.query('INSERT INTO schema_migrations VALUES ($1, $2, 0)', [
            migration.version,
            migration.name,
          ]);
        }
        for (const app of old) {
          await v3.query(
            `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before)
             VALUES ($1, $2, $3, 'sms groups', '1w', 'active', $4, $5, 7)`,
            [app.id, app.name, secretHash, app.createdAt, app.createdAt + 1],
          );
        }
      } finally {
        await v3.end();
      }

      const storage = await open(withParams(POSTGRES_URL, { schema }));
      const expected: ApplicationRecord[] = old.map((app, i) => ({
        id: app.id,
        name: app.name,
        secretHash,
        scopes: ['sms', 'groups'],
        tokenExpiration: '1w',
        status: 'active',
        createdAt: app.createdAt,
        updatedAt: app.createdAt + 1,
        tokensNotBefore: 7,
        secretHint: null,
        number: i + 1,
      }));
      assert.deepEqual(await storage.listApplications(), expected);
      assert.deepEqual(await storage.getApplication(old[1]!.id), expected[1]);
      assert.equal((await storage.createApplication(application())).number, old.length + 1);
      await storage.createApiKey(apiKey('ak_000000000001', 1), auditOf());
      assert.equal((await storage.listAudit({ limit: 10 })).length, 1);
      const versions = await schemas.query<{ version: number }>(
        `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
      );
      assert.deepEqual(
        versions.map((row) => row.version),
        POSTGRES_MIGRATIONS.map((m) => m.version),
      );
    });

    it('keeps concurrent writers’ change-log entries in commit order', async () => {
      const url = schemas.freshUrl();
      const writers = await Promise.all([open(url), open(url), open(url)]);
      const reader = await open(url);
      const seen: number[] = [];
      let last = 0;
      const writes = writers.flatMap((writer, w) =>
        Array.from({ length: 20 }, (_, i) =>
          writer.revokeToken({ jti: `w${w}-${i}`, applicationId: 'a', expiresAt: null }),
        ),
      );
      // A follower polling meanwhile must never skip an entry that commits after a later one.
      const polling = (async () => {
        for (let i = 0; i < 200 && seen.length < writes.length; i++) {
          for (const change of await reader.changesSince(last)) {
            seen.push(change.seq);
            last = change.seq;
          }
        }
      })();
      await Promise.all(writes);
      await polling;
      for (const change of await reader.changesSince(last)) seen.push(change.seq);
      assert.equal(seen.length, writes.length);
    });

    it('calls subscribers again after the listen connection is lost and re-established', async () => {
      const applicationName = `${schemas.prefix}_listen`;
      const url = schemas.freshUrl({ application_name: applicationName });
      const server = await open(url);
      const admin = await open(url);
      const calls = new CallCounter();
      const other = new CallCounter();
      await server.subscribeChanges(() => calls.call());
      const unsubscribeOther = await server.subscribeChanges(() => other.call());
      assert.ok(unsubscribeOther !== undefined);
      await unsubscribeOther();
      const terminated = await schemas.query<{ ok: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
         WHERE application_name = $1 AND query LIKE 'LISTEN%'`,
        [applicationName],
      );
      assert.equal(terminated.length, 1, 'one LISTEN connection, shared by the subscribers');
      await calls.waitFor(1, 'no catch-up call after reconnecting');
      await admin.createApplication(application());
      await calls.waitFor(2, 'no call for a write after reconnecting');
      assert.equal(other.count, 0);
    });

    it('fails to open with one line naming the URL without its password', async () => {
      await assert.rejects(openStorage('postgres://u:s3cret@127.0.0.1:1/x'), (error: Error) => {
        assert.equal(
          error.message,
          'cannot connect to PostgreSQL at postgres://u:***@127.0.0.1:1/x: ECONNREFUSED',
        );
        return true;
      });
      const noSuchRole = new URL(POSTGRES_URL);
      noSuchRole.username = 'smscx_no_such_role';
      noSuchRole.password = 's3cret';
      await assert.rejects(openStorage(noSuchRole.toString()), (error: Error) => {
        assert.match(
          error.message,
          /^cannot connect to PostgreSQL at postgres:\/\/smscx_no_such_role:\*\*\*@/,
        );
        assert.ok(!error.message.includes('s3cret') && !error.message.includes('\n'), error.message);
        return true;
      });
      await assert.rejects(
        openStorage(withParams(POSTGRES_URL, { schema: 'Bad-Name' })),
        /invalid schema name/,
      );
    });
  });
});
