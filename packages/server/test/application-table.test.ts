// The in-memory application table and the rate-limit windows kept by its slots: checked against
// plain Map models over long random sequences, and at their edges (bad IDs, slot reuse, growth).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApplicationCache } from '../src/cache/application-cache.js';
import { ApplicationTable } from '../src/cache/application-table.js';
import { newSecretId } from '../src/domain/ids.js';
import { ScopeCatalogue } from '../src/domain/scopes.js';
import { PepperedHmac } from '../src/domain/secret-hmac.js';
import { CURRENT_SECRET, hashSecret, NO_SECRET, PREVIOUS_SECRET } from '../src/domain/secrets.js';
import type { ApplicationRecord } from '../src/storage/types.js';

const newId = (): string => randomBytes(20).toString('hex');

function fields(secretHash: Uint8Array = randomBytes(32)) {
  return { active: true, expirationCode: 0, scopeSet: 0, secretHash, tokensNotBefore: null };
}

describe('ApplicationTable', () => {
  it('finds every application and only those, through growth, removals and slot reuse', () => {
    const table = new ApplicationTable();
    const model = new Map<string, { slot: number; hash: Buffer }>();
    const removed: string[] = [];
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let step = 0; step < 20_000; step++) {
      const ids = [...model.keys()];
      if (ids.length > 0 && random() < 0.35) {
        const id = ids[Math.floor(random() * ids.length)]!;
        table.remove(model.get(id)!.slot);
        model.delete(id);
        removed.push(id);
      } else {
        const id = newId();
        assert.equal(table.slotOf(id), -1);
        const slot = table.add(id);
        const hash = randomBytes(32);
        table.write(slot, fields(hash));
        model.set(id, { slot, hash });
      }
    }
    assert.equal(table.size, model.size);
    const slots = new Set<number>();
    for (const [id, { slot, hash }] of model) {
      assert.equal(table.slotOf(id), slot);
      assert.equal(table.id(slot), id);
      assert.deepEqual(Buffer.from(table.secretHash(slot)), hash);
      slots.add(slot);
    }
    assert.equal(slots.size, model.size, 'no two applications share a slot');
    for (const id of removed) assert.equal(table.slotOf(id), -1);
  });

  it('gives a reused slot a new serial', () => {
    const table = new ApplicationTable();
    const first = table.add(newId());
    const serial = table.serial(first);
    table.remove(first);
    const second = table.add(newId());
    assert.equal(second, first);
    assert.notEqual(table.serial(second), serial);
  });

  it('knows only lowercase 40-hex IDs', () => {
    const table = new ApplicationTable();
    const id = newId();
    table.write(table.add(id), fields());
    for (const other of [
      id.toUpperCase(),
      id.slice(1),
      `${id}0`,
      `${id.slice(0, 39)}g`,
      '',
      ' '.repeat(40),
    ]) {
      assert.equal(table.slotOf(other), -1, other);
      assert.throws(() => table.add(other), /not an Application ID/);
    }
  });

  it('keeps every field of a row apart from its neighbours', () => {
    const table = new ApplicationTable();
    const a = table.add(newId());
    const b = table.add(newId());
    table.write(a, {
      active: false,
      expirationCode: 2,
      scopeSet: 70_000,
      secretHash: Buffer.alloc(32, 1),
      tokensNotBefore: 5,
    });
    table.write(b, {
      active: true,
      expirationCode: 1,
      scopeSet: 3,
      secretHash: Buffer.alloc(32, 2),
      tokensNotBefore: null,
    });
    const row = (slot: number) => [
      table.active(slot),
      table.expirationCode(slot),
      table.scopeSet(slot),
      table.tokensNotBefore(slot),
      table.secretHash(slot)[slot === a ? 31 : 0],
    ];
    assert.deepEqual(row(a), [false, 2, 70_000, 5, 1]);
    assert.deepEqual(row(b), [true, 1, 3, null, 2]);
    assert.throws(() => table.write(a, fields(Buffer.alloc(31))), /32 bytes/);
  });

  it('forgets everything on clear', () => {
    const table = new ApplicationTable();
    const id = newId();
    table.add(id);
    table.clear();
    assert.equal(table.size, 0);
    assert.equal(table.slotOf(id), -1);
  });
});

describe('ApplicationCache', () => {
  const record = (overrides: Partial<ApplicationRecord> = {}): ApplicationRecord => ({
    id: newId(),
    name: 'app',
    secretHash: randomBytes(32),
    scopes: ['sms'],
    tokenExpiration: '1d',
    status: 'active',
    createdAt: 1,
    updatedAt: 1,
    tokensNotBefore: null,
    secretHint: null,
    number: 1,
    secretId: newSecretId(),
    secretCreatedAt: 1,
    secretLastUsedAt: null,
    previousSecret: null,
    ...overrides,
  });

  it('returns what was put, and follows updates and removals', () => {
    const cache = new ApplicationCache(new ScopeCatalogue());
    const app = record({ scopes: ['sms', 'groups'], tokenExpiration: '1w', tokensNotBefore: 1234 });
    cache.put(app);
    const cached = cache.get(app.id)!;
    assert.deepEqual(
      [cached.id, cached.active, cached.scopes.full, cached.expiresIn, cached.tokensNotBefore],
      [app.id, true, 'sms groups', 604800, 1234],
    );
    assert.deepEqual(Buffer.from(cache.secretHash(cached)), app.secretHash);

    cache.put({ ...app, status: 'disabled', scopes: ['sms'], tokenExpiration: '1d', tokensNotBefore: null });
    const updated = cache.get(app.id)!;
    assert.deepEqual(
      [
        updated.slot,
        updated.serial,
        updated.active,
        updated.scopes.full,
        updated.expiresIn,
        updated.tokensNotBefore,
      ],
      [cached.slot, cached.serial, false, 'sms', 86400, null],
      'an update keeps the slot and serial, so rate-limit windows survive a secret rotation',
    );
    cache.remove(app.id);
    assert.equal(cache.get(app.id), undefined);
    assert.equal(cache.size, 0);
  });

  it('counts never-expiring applications through changes', () => {
    const cache = new ApplicationCache(new ScopeCatalogue());
    const app = record({ tokenExpiration: 'never' });
    cache.put(app);
    cache.put(app);
    assert.equal(cache.anyNeverExpiring, true);
    cache.put({ ...app, tokenExpiration: '1d' });
    assert.equal(cache.anyNeverExpiring, false);
    cache.put({ ...app, tokenExpiration: 'never' });
    cache.remove(app.id);
    assert.equal(cache.anyNeverExpiring, false);
  });

  it('matches the current secret, and the previous one only before its grace ends', () => {
    const cache = new ApplicationCache(new ScopeCatalogue());
    const pepper = randomBytes(32);
    const hmac = new PepperedHmac(pepper);
    const previousId = newSecretId();
    const app = record({
      secretHash: hashSecret(pepper, 'new'),
      previousSecret: {
        id: previousId,
        hash: hashSecret(pepper, 'old'),
        hint: null,
        createdAt: null,
        expiresAt: 5_000,
        lastUsedAt: null,
      },
    });
    cache.put(app);
    const cached = cache.get(app.id)!;
    assert.equal(cache.matchSecret(cached, hmac, 'new', 0), CURRENT_SECRET);
    assert.equal(cache.matchSecret(cached, hmac, 'old', 4_999), PREVIOUS_SECRET);
    assert.equal(cache.matchSecret(cached, hmac, 'old', 5_000), NO_SECRET, 'its grace is over');
    assert.equal(cache.matchSecret(cached, hmac, 'new', 5_000), CURRENT_SECRET);
    assert.equal(cache.matchSecret(cached, hmac, 'other', 0), NO_SECRET);
    assert.equal(cache.matchSecret(undefined, hmac, 'new', 0), NO_SECRET);
    // Without a previous secret its row holds zeros: nothing matches them.
    cache.put({ ...app, previousSecret: null });
    const single = cache.get(app.id)!;
    assert.equal(cache.matchSecret(single, hmac, 'old', 0), NO_SECRET);
    assert.equal(cache.matchSecret(single, hmac, 'new', 0), CURRENT_SECRET);
  });

  it('notes each secret used once, under the IDs it had, through rotations and removals', () => {
    const cache = new ApplicationCache(new ScopeCatalogue());
    const a = record();
    const b = record();
    cache.put(a);
    cache.put(b);
    assert.deepEqual(cache.takeSecretUses(), []);
    const cachedA = cache.get(a.id)!;
    for (let i = 0; i < 3; i++) cache.noteSecretUse(cachedA, CURRENT_SECRET);
    cache.noteSecretUse(cache.get(b.id)!, CURRENT_SECRET);
    cache.noteSecretUse(cachedA, NO_SECRET);
    const sorted = (uses: { applicationId: string; secretId: string }[]) =>
      uses.map((use) => `${use.applicationId} ${use.secretId}`).sort();
    assert.deepEqual(
      sorted(cache.takeSecretUses()),
      sorted([
        { applicationId: a.id, secretId: a.secretId },
        { applicationId: b.id, secretId: b.secretId },
      ]),
    );
    assert.deepEqual(cache.takeSecretUses(), [], 'taken');

    // Used, then rotated (with a grace period) before the uses were taken: the use is of the old ID.
    cache.noteSecretUse(cache.get(a.id)!, CURRENT_SECRET);
    const rotated: ApplicationRecord = {
      ...a,
      secretId: newSecretId(),
      secretHash: randomBytes(32),
      previousSecret: {
        id: a.secretId,
        hash: a.secretHash,
        hint: null,
        createdAt: 1,
        expiresAt: 9e15,
        lastUsedAt: null,
      },
    };
    cache.put(rotated);
    const cachedRotated = cache.get(a.id)!;
    cache.noteSecretUse(cachedRotated, CURRENT_SECRET);
    cache.noteSecretUse(cachedRotated, PREVIOUS_SECRET);
    assert.deepEqual(
      sorted(cache.takeSecretUses()),
      sorted([
        { applicationId: a.id, secretId: a.secretId },
        { applicationId: a.id, secretId: rotated.secretId },
        { applicationId: a.id, secretId: a.secretId },
      ]),
    );
    // Used, then removed, and its slot reused by another application: the use stays the first one's.
    cache.noteSecretUse(cache.get(b.id)!, CURRENT_SECRET);
    cache.remove(b.id);
    const c = record();
    cache.put(c);
    assert.deepEqual(cache.takeSecretUses(), [{ applicationId: b.id, secretId: b.secretId }]);
    // And through a reload.
    cache.noteSecretUse(cache.get(c.id)!, CURRENT_SECRET);
    cache.put(c);
    cache.put(c);
    assert.deepEqual(cache.takeSecretUses(), [{ applicationId: c.id, secretId: c.secretId }]);
  });
});
