// The Storage contract, written once as a behaviour suite and run against every backend
// (`storageContract`): SQLite and PostgreSQL. Then what is specific to each.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { after, afterEach, before, describe, it } from 'node:test';
import pg from 'pg';
import { ApplicationCache } from '../src/cache/application-cache.js';
import { isSecretId, newSecretId } from '../src/domain/ids.js';
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
  NewSecretRecord,
  SigningKeyRecord,
  Storage,
} from '../src/storage/types.js';
import { DatabaseBusyError } from '../src/storage/types.js';
import { ChangeFollower } from '../src/sync/change-follower.js';
import { tempDb } from './helpers.js';
import { postgresAtVersion, sqliteAtVersion } from './storage-migrations.js';
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
    secretId: newSecretId(),
    secretCreatedAt: 1_700_000_000_000,
    secretLastUsedAt: null,
    previousSecret: null,
    ...overrides,
  };
}

/** A new secret for a rotation. */
function newSecret(createdAt: number, hint = 'NeW1'): NewSecretRecord {
  return { id: newSecretId(), hash: randomBytes(32), hint, createdAt };
}

/** The migrated form of an application from before migration 6: its secret got an ID. */
function migratedSecret(record: ApplicationRecord | undefined): Pick<ApplicationRecord, 'secretId'> {
  assert.ok(record !== undefined && isSecretId(record.secretId), `a secret ID: ${record?.secretId}`);
  return { secretId: record.secretId };
}

function signingKey(kid: string, createdAt: number, activatesAt: number = createdAt): SigningKeyRecord {
  return {
    kid,
    alg: 'EdDSA',
    publicJwk: '{}',
    privateKeyEncrypted: 'x',
    createdAt,
    activatesAt,
    retiredAt: null,
  };
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
      await storage.rotateSigningKey(signingKey('k1', 100));
      await storage.rotateSigningKey(signingKey('k2', 200));
      const keys = await storage.listSigningKeys();
      assert.deepEqual(
        keys.map((k) => [k.kid, k.activatesAt, k.retiredAt]),
        [
          ['k2', 200, null],
          ['k1', 100, 200],
        ],
      );
      assert.deepEqual(keys[0], signingKey('k2', 200));
      assert.equal(await storage.pruneSigningKeys(150), 0);
      assert.equal(await storage.pruneSigningKeys(201), 1);
      assert.deepEqual(
        (await storage.listSigningKeys()).map((k) => k.kid),
        ['k2'],
      );
      await storage.close();
    });

    it('stores activates_at; a rotation retires the key in force at the activation and a pending next key at once', async () => {
      const storage = await open();
      await storage.rotateSigningKey(signingKey('k1', 100));
      // Published at 200, signs from 800: k1 signs until then.
      await storage.rotateSigningKey(signingKey('k2', 200, 800));
      const schedule = async () =>
        (await storage.listSigningKeys()).map((k) => [k.kid, k.createdAt, k.activatesAt, k.retiredAt]);
      assert.deepEqual(await schedule(), [
        ['k2', 200, 800, null],
        ['k1', 100, 100, 800],
      ]);
      // Another rotation while k2 waits: k2 is replaced (retired at 300, it never signs), and k1
      // signs until k3 activates.
      await storage.rotateSigningKey(signingKey('k3', 300, 1000));
      assert.deepEqual(await schedule(), [
        ['k3', 300, 1000, null],
        ['k2', 200, 800, 300],
        ['k1', 100, 100, 1000],
      ]);
      // At 1000 k3 signs; a rotation at 1200 that signs at once retires it then, nothing else.
      await storage.rotateSigningKey(signingKey('k4', 1200));
      assert.deepEqual(await schedule(), [
        ['k4', 1200, 1200, null],
        ['k3', 300, 1000, 1200],
        ['k2', 200, 800, 300],
        ['k1', 100, 100, 1000],
      ]);
      // Retention counts from retired_at: k2 (retired at 300) goes first, then k1 (1000).
      assert.equal(await storage.pruneSigningKeys(301), 1);
      assert.equal(await storage.pruneSigningKeys(1000), 0);
      assert.equal(await storage.pruneSigningKeys(1001), 1);
      assert.deepEqual(
        (await storage.listSigningKeys()).map((k) => k.kid),
        ['k4', 'k3'],
      );
      // A next key whose activation is ahead is never pruned with the key it replaces.
      await storage.rotateSigningKey(signingKey('k5', 1300, 5000));
      assert.equal(await storage.pruneSigningKeys(4000), 1);
      assert.deepEqual(await schedule(), [
        ['k5', 1300, 5000, null],
        ['k4', 1200, 1200, 5000],
      ]);
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
      await admin.rotateSigningKey(signingKey('k', 1));
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

    it('keeps the secret hint; other updates leave the secrets alone', async () => {
      const storage = await open();
      const hinted = await storage.createApplication(application({ secretHint: 'x9_Z' }));
      const legacy = await storage.createApplication(
        application({ secretHint: null, secretCreatedAt: null }),
      );
      assert.equal((await storage.getApplication(hinted.id))?.secretHint, 'x9_Z');
      assert.deepEqual(await storage.getApplication(legacy.id), legacy);
      assert.deepEqual(await storage.updateApplication(hinted.id, { name: 'renamed' }, 30), {
        ...hinted,
        name: 'renamed',
        updatedAt: 30,
      });
      assert.equal((await storage.getApplication(hinted.id))?.secretHint, 'x9_Z');
      const bulk = application({ secretHint: 'bulk' });
      await storage.createApplications([bulk]);
      assert.deepEqual(await storage.getApplication(bulk.id), { ...bulk, number: 3 });
      assert.deepEqual(
        (await storage.listApplications()).map((record) => record.secretHint),
        ['x9_Z', null, 'bulk'],
      );
    });

    it('rotates a secret: the old one stops at once, or works on as the previous secret until its grace ends', async () => {
      const storage = await open();
      const a = await storage.createApplication(
        application({ secretHint: 'old1', secretLastUsedAt: 60_000 }),
      );
      const start = await storage.latestChange();
      // No grace: the old secret is gone.
      const first = newSecret(100);
      const atOnce = await storage.rotateApplicationSecret(
        a.id,
        { secret: first, previousExpiresAt: null, now: 100 },
        auditOf({ action: 'application.rotate_secret', targetId: a.id }),
      );
      const expectedAtOnce: ApplicationRecord = {
        ...a,
        secretHash: first.hash,
        secretHint: first.hint,
        secretId: first.id,
        secretCreatedAt: 100,
        secretLastUsedAt: null,
        previousSecret: null,
        updatedAt: 100,
      };
      assert.deepEqual(atOnce, { outcome: 'rotated', application: expectedAtOnce });
      assert.deepEqual(await storage.getApplication(a.id), expectedAtOnce);
      // A grace period: the replaced secret becomes the previous one, with its hint, dates and last use.
      const second = newSecret(200, 'NeW2');
      const graced = await storage.rotateApplicationSecret(a.id, {
        secret: second,
        previousExpiresAt: 5_000,
        now: 200,
      });
      const expectedGraced: ApplicationRecord = {
        ...expectedAtOnce,
        secretHash: second.hash,
        secretHint: 'NeW2',
        secretId: second.id,
        secretCreatedAt: 200,
        previousSecret: {
          id: first.id,
          hash: first.hash,
          hint: first.hint,
          createdAt: 100,
          expiresAt: 5_000,
          lastUsedAt: null,
        },
        updatedAt: 200,
      };
      assert.deepEqual(graced, { outcome: 'rotated', application: expectedGraced });
      assert.deepEqual(await storage.getApplication(a.id), expectedGraced);
      const visited: ApplicationRecord[] = [];
      await storage.forEachApplication((record) => visited.push(record));
      assert.deepEqual(visited, [expectedGraced]);
      // At most two secrets: refused while the previous one works, nothing written or logged.
      const changes = await storage.latestChange();
      const refused = await storage.rotateApplicationSecret(
        a.id,
        { secret: newSecret(300), previousExpiresAt: null, now: 4_999 },
        auditOf({ action: 'application.rotate_secret', targetId: a.id }),
      );
      assert.deepEqual(refused, { outcome: 'two_secrets', application: expectedGraced });
      assert.deepEqual(await storage.getApplication(a.id), expectedGraced);
      assert.equal(await storage.latestChange(), changes);
      // Once the grace is over, a rotation replaces the expired previous secret.
      const third = newSecret(5_000, 'NeW3');
      const after = await storage.rotateApplicationSecret(a.id, {
        secret: third,
        previousExpiresAt: 9_000,
        now: 5_000,
      });
      assert.equal(after.outcome, 'rotated');
      assert.equal((await storage.getApplication(a.id))?.previousSecret?.id, second.id);
      assert.deepEqual(
        (await storage.changesSince(start)).map((change) => [change.entity, change.entityId]),
        [
          ['application', a.id],
          ['application', a.id],
          ['application', a.id],
        ],
      );
      assert.deepEqual(
        (await storage.listAudit({ limit: 10 })).map((entry) => entry.action),
        ['application.rotate_secret'],
        'the refused rotation recorded nothing',
      );
      assert.deepEqual(
        await storage.rotateApplicationSecret('f'.repeat(40), {
          secret: third,
          previousExpiresAt: null,
          now: 1,
        }),
        { outcome: 'not_found' },
      );
    });

    it('revokes the previous secret only: not the current one, not an expired or unknown one', async () => {
      const storage = await open();
      const a = await storage.createApplication(application());
      const secret = newSecret(100);
      await storage.rotateApplicationSecret(a.id, { secret, previousExpiresAt: 10_000, now: 100 });
      const rotated = (await storage.getApplication(a.id))!;
      const start = await storage.latestChange();
      const audit = auditOf({ action: 'application.revoke_secret', targetId: a.id });
      assert.deepEqual(await storage.revokeApplicationSecret(a.id, secret.id, 200, audit), {
        outcome: 'current_secret',
        application: rotated,
      });
      assert.deepEqual(await storage.revokeApplicationSecret(a.id, 'sc_000000000000', 200, audit), {
        outcome: 'no_such_secret',
        application: rotated,
      });
      assert.deepEqual(
        await storage.revokeApplicationSecret(a.id, a.secretId, 10_000, audit),
        {
          outcome: 'no_such_secret',
          application: rotated,
        },
        'expired at 10000',
      );
      assert.equal(await storage.latestChange(), start, 'nothing refused was written');
      assert.deepEqual(await storage.listAudit({ limit: 10 }), []);
      const revoked = await storage.revokeApplicationSecret(a.id, a.secretId, 300, audit);
      const expected = { ...rotated, previousSecret: null, updatedAt: 300 };
      assert.deepEqual(revoked, { outcome: 'revoked', application: expected });
      assert.deepEqual(await storage.getApplication(a.id), expected);
      assert.deepEqual(
        (await storage.changesSince(start)).map((change) => change.entityId),
        [a.id],
      );
      assert.deepEqual((await storage.listAudit({ limit: 10 })).map(entryOf), [audit]);
      assert.deepEqual(await storage.revokeApplicationSecret('f'.repeat(40), a.secretId, 300), {
        outcome: 'not_found',
      });
    });

    it('records secrets’ last use in one batch: forward only, gone secrets skipped, no change logged', async () => {
      const storage = await open();
      const a = await storage.createApplication(application());
      const b = await storage.createApplication(application());
      const secret = newSecret(100);
      await storage.rotateApplicationSecret(a.id, { secret, previousExpiresAt: 1e15, now: 100 });
      const start = await storage.latestChange();
      await storage.recordSecretUse([]);
      await storage.recordSecretUse([
        { applicationId: a.id, secretId: secret.id, usedAt: 120_000 },
        { applicationId: a.id, secretId: a.secretId, usedAt: 60_000 },
        { applicationId: a.id, secretId: secret.id, usedAt: 180_000 },
        { applicationId: b.id, secretId: b.secretId, usedAt: 60_000 },
        // Gone: another application's secret, an unknown secret, an unknown application.
        { applicationId: b.id, secretId: a.secretId, usedAt: 60_000 },
        { applicationId: a.id, secretId: 'sc_000000000000', usedAt: 60_000 },
        { applicationId: 'f'.repeat(40), secretId: secret.id, usedAt: 60_000 },
      ]);
      const used = (await storage.getApplication(a.id))!;
      assert.equal(used.secretLastUsedAt, 180_000);
      assert.equal(used.previousSecret?.lastUsedAt, 60_000);
      assert.equal(used.updatedAt, 100, 'not an update');
      assert.equal((await storage.getApplication(b.id))?.secretLastUsedAt, 60_000);
      // Only forward.
      await storage.recordSecretUse([
        { applicationId: a.id, secretId: secret.id, usedAt: 60_000 },
        { applicationId: a.id, secretId: a.secretId, usedAt: 240_000 },
      ]);
      const later = (await storage.getApplication(a.id))!;
      assert.equal(later.secretLastUsedAt, 180_000);
      assert.equal(later.previousSecret?.lastUsedAt, 240_000);
      assert.equal(await storage.latestChange(), start, 'bookkeeping, not a change');
      // A rotation carries the last use of the replaced secret over to the previous secret.
      await storage.revokeApplicationSecret(a.id, a.secretId, 300);
      const next = newSecret(400);
      await storage.rotateApplicationSecret(a.id, { secret: next, previousExpiresAt: 1e15, now: 400 });
      const carried = (await storage.getApplication(a.id))!;
      assert.equal(carried.secretLastUsedAt, null);
      assert.deepEqual(
        [carried.previousSecret?.id, carried.previousSecret?.lastUsedAt],
        [secret.id, 180_000],
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

    it('records the pepper fingerprint once: the first one recorded wins, and no change is logged', async () => {
      const database = await freshDatabase();
      const a = await connect(database);
      const b = await connect(database);
      assert.equal(await a.getPepperFingerprint(), null);
      const first = randomBytes(32);
      const second = randomBytes(32);
      // Two processes at once (a first start racing an admin command): both see the same winner.
      const [fromA, fromB] = await Promise.all([
        a.recordPepperFingerprint(first, 1_000),
        b.recordPepperFingerprint(second, 1_000),
      ]);
      assert.deepEqual(fromA, fromB);
      assert.ok(fromA.equals(first) || fromA.equals(second));
      assert.deepEqual(await a.recordPepperFingerprint(randomBytes(32)), fromA, 'never replaced');
      assert.deepEqual(await b.getPepperFingerprint(), fromA);
      assert.deepEqual(await (await connect(database)).getPepperFingerprint(), fromA, 'kept on reopen');
      assert.equal(await a.latestChange(), 0);
      assert.deepEqual(await a.listAudit({ limit: 10 }), []);
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
  it('creates a new database file, and its -wal and -shm, with mode 0600', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const umask = process.umask(0o022);
    try {
      const storage = openSqliteStorage(tmp.db);
      await storage.createApplication(application());
      for (const file of [tmp.db, `${tmp.db}-wal`, `${tmp.db}-shm`]) {
        assert.equal(statSync(file).mode & 0o777, 0o600, file);
      }
      await storage.close();
    } finally {
      process.umask(umask);
    }
  });

  it('syncs every data write (synchronous = FULL); the process table is written with NORMAL', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const storage = openSqliteStorage(tmp.db);
    // White box: the connection's setting, as each write leaves it (2 = FULL).
    const synchronous = () =>
      (storage as unknown as { db: { pragma(sql: string, options: { simple: true }): unknown } }).db.pragma(
        'synchronous',
        { simple: true },
      );
    assert.equal(synchronous(), 2);
    await storage.registerProcess({ id: 'p', label: 'p', appliedSeq: 0 });
    await storage.reportProcess('p', 1);
    await storage.revokeToken({ jti: 'j', applicationId: 'a', expiresAt: null });
    assert.equal(synchronous(), 2);
    await storage.close();
  });

  it('fails a write that cannot get the write lock within lockWaitMs with DatabaseBusyError; reads go on', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const storage = openSqliteStorage(tmp.db, { lockWaitMs: 100 });
    const a = await storage.createApplication(application());
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(tmp.db);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      await assert.rejects(
        storage.revokeToken({ jti: 'j', applicationId: a.id, expiresAt: null }),
        (error: unknown) => error instanceof DatabaseBusyError && /busy/.test((error as Error).message),
      );
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 90 && elapsed < 1000, `waited about lockWaitMs (${elapsed.toFixed(0)} ms)`);
      await assert.rejects(storage.updateApplication(a.id, { name: 'x' }), DatabaseBusyError);
      assert.deepEqual(await storage.getApplication(a.id), a, 'reads do not wait');
      // The heartbeat's own shorter bound is restored to lockWaitMs after it.
      await assert.rejects(storage.reportProcess('p', 1), DatabaseBusyError);
      other.exec('ROLLBACK');
      assert.equal(await storage.revokeToken({ jti: 'j', applicationId: a.id, expiresAt: null }), true);
      assert.equal(await storage.isTokenRevoked('j'), true);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await storage.close();
    }
  });

  it('gives up writing secrets’ last use at once while another connection holds the write lock', async () => {
    const tmp = tempDb();
    dirs.push(tmp.cleanup);
    const storage = openSqliteStorage(tmp.db);
    const { default: Database } = await import('better-sqlite3');
    const other = new Database(tmp.db);
    try {
      const a = await storage.createApplication(application());
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      await assert.rejects(
        storage.recordSecretUse([{ applicationId: a.id, secretId: a.secretId, usedAt: 60_000 }]),
        DatabaseBusyError,
      );
      assert.ok(performance.now() - started < 50, 'no wait for the lock (the connection waits up to 5 s)');
      other.exec('ROLLBACK');
      await storage.recordSecretUse([{ applicationId: a.id, secretId: a.secretId, usedAt: 60_000 }]);
      assert.equal((await storage.getApplication(a.id))?.secretLastUsedAt, 60_000);
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
      await storage.close();
    }
  });

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
    const tmp = sqliteAtVersion(1, (v1) => {
      v1.prepare(
        `INSERT INTO applications VALUES ('${'a'.repeat(40)}', 'old', '${'00'.repeat(32)}', 'sms', '1d', 'active', 1, 1, NULL)`,
      ).run();
    });
    dirs.push(tmp.cleanup);
    const storage = openSqliteStorage(tmp.db);
    assert.equal((await storage.getApplication('a'.repeat(40)))?.name, 'old');
    assert.equal(
      await storage.revokeToken({ jti: 'j', applicationId: 'a'.repeat(40), expiresAt: null }),
      true,
    );
    assert.equal(await storage.isTokenRevoked('j'), true);
    await storage.close();
    const { default: Database } = await import('better-sqlite3');
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
    // IDs and createdAt in neither creation order: only the insertion order can number them.
    const old = [
      { id: 'c'.repeat(40), name: 'first', createdAt: 3_000 },
      { id: 'a'.repeat(40), name: 'second', createdAt: 1_000 },
      { id: 'b'.repeat(40), name: 'third', createdAt: 2_000 },
    ];
    const secretHash = randomBytes(32);
    const tmp = sqliteAtVersion(3, (v3) => {
      const insert = v3.prepare(
        `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before)
         VALUES (?, ?, ?, 'sms groups', '1w', 'active', ?, ?, ?)`,
      );
      for (const app of old)
        insert.run(app.id, app.name, secretHash.toString('hex'), app.createdAt, app.createdAt + 1, 7);
    });
    dirs.push(tmp.cleanup);

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
        secretCreatedAt: null,
        secretLastUsedAt: null,
        previousSecret: null,
        secretId: '',
      }));
      const listed = await storage.listApplications();
      // Migration 6 gave each secret an ID.
      for (const [i, record] of expected.entries()) expected[i] = { ...record, ...migratedSecret(listed[i]) };
      assert.deepEqual(listed, expected);
      assert.deepEqual(await storage.getApplication(old[1]!.id), expected[1]);
      assert.equal((await storage.createApplication(application())).number, old.length + 1);
      // The tables of migration 4 work.
      await storage.createApiKey(apiKey('ak_000000000001', 1), auditOf());
      assert.equal((await storage.listAudit({ limit: 10 })).length, 1);
    } finally {
      await storage.close();
    }
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(tmp.db, { readonly: true });
    assert.deepEqual(
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    db.close();
  });
});

/** Applications of a version-5 database, and the secret creation times migration 6 gives them. */
const V5_APPLICATIONS = [
  // No hint (a secret from before migration 4), never rotated since: unknown.
  { id: 'a'.repeat(40), hint: null, createdAt: 1_000, rotations: [], secretCreatedAt: null },
  // A hint, never rotated: made with the application.
  { id: 'b'.repeat(40), hint: 'bbbb', createdAt: 2_000, rotations: [], secretCreatedAt: 2_000 },
  // Rotated twice: the latest audited rotation.
  { id: 'c'.repeat(40), hint: 'cccc', createdAt: 3_000, rotations: [4_000, 5_000], secretCreatedAt: 5_000 },
] as const;

/** Checks what migration 6 made of {@link V5_APPLICATIONS}, then rotates one with a grace period. */
async function assertMigratedSecrets(storage: Storage, secretHash: Buffer): Promise<void> {
  const listed = await storage.listApplications();
  assert.equal(listed.length, V5_APPLICATIONS.length);
  for (const [i, app] of V5_APPLICATIONS.entries()) {
    const record = listed[i]!;
    assert.deepEqual(
      { ...record, secretId: '' },
      {
        id: app.id,
        name: `app ${i}`,
        secretHash,
        scopes: ['sms'],
        tokenExpiration: '1d',
        status: 'active',
        createdAt: app.createdAt,
        updatedAt: app.createdAt,
        tokensNotBefore: null,
        secretHint: app.hint,
        number: i + 1,
        secretId: '',
        secretCreatedAt: app.secretCreatedAt,
        secretLastUsedAt: null,
        previousSecret: null,
      },
      app.id,
    );
    assert.ok(isSecretId(record.secretId), record.secretId);
  }
  assert.equal(new Set(listed.map((record) => record.secretId)).size, listed.length, 'one ID each');
  // The migrated secret is the current one: rotating keeps it as the previous one.
  const [first] = listed;
  const secret = newSecret(10_000);
  await storage.rotateApplicationSecret(first!.id, { secret, previousExpiresAt: 20_000, now: 10_000 });
  assert.deepEqual((await storage.getApplication(first!.id))?.previousSecret, {
    id: first!.secretId,
    hash: secretHash,
    hint: null,
    createdAt: null,
    expiresAt: 20_000,
    lastUsedAt: null,
  });
}

describe('SQLite migration 6 (overlapping secrets)', () => {
  it('makes each secret of a version-5 database the current one, with an ID, its hint and no last use', async () => {
    const secretHash = randomBytes(32);
    const tmp = sqliteAtVersion(5, (v5) => {
      const insert = v5.prepare(
        `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before, secret_hint, number)
         VALUES (?, ?, ?, 'sms', '1d', 'active', ?, ?, NULL, ?, ?)`,
      );
      const audit = v5.prepare(
        `INSERT INTO audit_log (at, actor, action, target_type, target_id, request_id, details)
         VALUES (?, '{"type":"server"}', ?, 'application', ?, NULL, '{}')`,
      );
      for (const [i, app] of V5_APPLICATIONS.entries()) {
        insert.run(
          app.id,
          `app ${i}`,
          secretHash.toString('hex'),
          app.createdAt,
          app.createdAt,
          app.hint,
          i + 1,
        );
        audit.run(app.createdAt, 'application.create', app.id);
        for (const at of app.rotations) audit.run(at, 'application.rotate_secret', app.id);
        // Another application's rotation and another action count for nothing.
        audit.run(9_000, 'application.update', app.id);
      }
      audit.run(9_500, 'application.rotate_secret', 'd'.repeat(40));
    });
    dirs.push(tmp.cleanup);

    const storage = openSqliteStorage(tmp.db);
    try {
      await assertMigratedSecrets(storage, secretHash);
    } finally {
      await storage.close();
    }
  });
});

describe('SQLite migration 7 (signing keys announced before use)', () => {
  it('gives the keys of a version-6 database activates_at = created_at, and keeps their state', async () => {
    const tmp = sqliteAtVersion(6, (v6) => {
      const insert = v6.prepare(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_encrypted, created_at, retired_at)
         VALUES (?, 'EdDSA', '{}', 'x', ?, ?)`,
      );
      insert.run('old', 1_000, 5_000);
      insert.run('current', 5_000, null);
    });
    dirs.push(tmp.cleanup);

    const storage = openSqliteStorage(tmp.db);
    try {
      assert.deepEqual(await storage.listSigningKeys(), [
        { ...signingKey('current', 5_000), activatesAt: 5_000 },
        { ...signingKey('old', 1_000), activatesAt: 1_000, retiredAt: 5_000 },
      ]);
      await storage.rotateSigningKey(signingKey('new', 6_000, 9_000));
      assert.deepEqual(
        (await storage.listSigningKeys()).map((k) => [k.kid, k.activatesAt, k.retiredAt]),
        [
          ['new', 9_000, null],
          ['current', 5_000, 9_000],
          ['old', 1_000, 5_000],
        ],
      );
    } finally {
      await storage.close();
    }
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(tmp.db, { readonly: true });
    assert.deepEqual(
      db.prepare('SELECT version FROM schema_migrations ORDER BY version').all(),
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
    const column = (db.pragma('table_info(signing_keys)') as Array<{ name: string; notnull: number }>).find(
      (info) => info.name === 'activates_at',
    );
    assert.equal(column?.notnull, 1);
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

    it('fails a write that cannot get its locks within lockWaitMs with DatabaseBusyError', async () => {
      const schema = schemas.freshSchema();
      const storage = await openStorage(withParams(POSTGRES_URL, { schema }), { lockWaitMs: 100 });
      opened.push(storage);
      const a = await storage.createApplication(application());
      const holder = new pg.Client({ connectionString: POSTGRES_URL });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`LOCK TABLE ${schema}.revoked_tokens IN ACCESS EXCLUSIVE MODE`);
        const started = performance.now();
        await assert.rejects(
          storage.revokeToken({ jti: 'j', applicationId: a.id, expiresAt: null }),
          DatabaseBusyError,
        );
        assert.ok(performance.now() - started < 2000);
        await holder.query('ROLLBACK');
        assert.equal(await storage.revokeToken({ jti: 'j', applicationId: a.id, expiresAt: null }), true);
      } finally {
        await holder.end();
      }
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
      // IDs and createdAt in neither creation order: only the insertion order can number them.
      const old = [
        { id: 'c'.repeat(40), name: 'first', createdAt: 3_000 },
        { id: 'a'.repeat(40), name: 'second', createdAt: 1_000 },
        { id: 'b'.repeat(40), name: 'third', createdAt: 2_000 },
      ];
      const secretHash = randomBytes(32);
      const { schema, url } = await postgresAtVersion(schemas, 3, async (v3) => {
        for (const app of old) {
          await v3.query(
            `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before)
             VALUES ($1, $2, $3, 'sms groups', '1w', 'active', $4, $5, 7)`,
            [app.id, app.name, secretHash, app.createdAt, app.createdAt + 1],
          );
        }
      });

      const storage = await open(url);
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
        secretCreatedAt: null,
        secretLastUsedAt: null,
        previousSecret: null,
        secretId: '',
      }));
      const listed = await storage.listApplications();
      // Migration 6 gave each secret an ID.
      for (const [i, record] of expected.entries()) expected[i] = { ...record, ...migratedSecret(listed[i]) };
      assert.deepEqual(listed, expected);
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

    it('makes each secret of a version-5 schema the current one, with an ID, its hint and no last use (migration 6)', async () => {
      const secretHash = randomBytes(32);
      const { url } = await postgresAtVersion(schemas, 5, async (v5) => {
        const audit = (at: number, action: string, target: string) =>
          v5.query(
            `INSERT INTO audit_log (at, actor, action, target_type, target_id, request_id, details)
             VALUES ($1, '{"type":"server"}', $2, 'application', $3, NULL, '{}')`,
            [at, action, target],
          );
        for (const [i, app] of V5_APPLICATIONS.entries()) {
          await v5.query(
            `INSERT INTO applications (id, name, secret_hash, scopes, token_expiration, status, created_at, updated_at, tokens_not_before, secret_hint)
             VALUES ($1, $2, $3, 'sms', '1d', 'active', $4, $4, NULL, $5)`,
            [app.id, `app ${i}`, secretHash, app.createdAt, app.hint],
          );
          await audit(app.createdAt, 'application.create', app.id);
          for (const at of app.rotations) await audit(at, 'application.rotate_secret', app.id);
          await audit(9_000, 'application.update', app.id);
        }
        await audit(9_500, 'application.rotate_secret', 'd'.repeat(40));
      });
      await assertMigratedSecrets(await open(url), secretHash);
    });

    it('gives the keys of a version-6 schema activates_at = created_at (migration 7)', async () => {
      const { schema, url } = await postgresAtVersion(schemas, 6, async (v6) => {
        const insert = `INSERT INTO signing_keys (kid, alg, public_jwk, private_key_encrypted, created_at, retired_at)
                        VALUES ($1, 'EdDSA', '{}', 'x', $2, $3)`;
        await v6.query(insert, ['old', 1_000, 5_000]);
        await v6.query(insert, ['current', 5_000, null]);
      });

      const storage = await open(url);
      assert.deepEqual(await storage.listSigningKeys(), [
        { ...signingKey('current', 5_000), activatesAt: 5_000 },
        { ...signingKey('old', 1_000), activatesAt: 1_000, retiredAt: 5_000 },
      ]);
      await storage.rotateSigningKey(signingKey('new', 6_000, 9_000));
      assert.deepEqual(
        (await storage.listSigningKeys()).map((k) => [k.kid, k.activatesAt, k.retiredAt]),
        [
          ['new', 9_000, null],
          ['current', 5_000, 9_000],
          ['old', 1_000, 5_000],
        ],
      );
      const notNull = await schemas.query<{ is_nullable: string }>(
        `SELECT is_nullable FROM information_schema.columns
         WHERE table_schema = $1 AND table_name = 'signing_keys' AND column_name = 'activates_at'`,
        [schema],
      );
      assert.deepEqual(notNull, [{ is_nullable: 'NO' }]);
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
