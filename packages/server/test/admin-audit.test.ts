// The audit entries the admin actions write (admin/applications.ts, admin/keys.ts,
// admin/api-keys.ts), and reading them back (admin/audit.ts): who did what to which target, in
// which request, with which details, and never a secret, a key or a hash. On a plain SQLite
// storage with no server process registered, so the actions return without waiting.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createApiKey, revokeApiKey } from '../src/admin/api-keys.js';
import {
  createApplication,
  createApplications,
  deleteApplication,
  revokeApplicationSecret,
  revokeApplicationTokens,
  rotateApplicationSecret,
  setApplicationStatus,
  updateApplication,
} from '../src/admin/applications.js';
import {
  type AdminActionOptions,
  auditEntry,
  cliActor,
  MAX_AUDIT_PAGE,
  readAudit,
  viewAudit,
} from '../src/admin/audit.js';
import { rotateKeys } from '../src/admin/keys.js';
import { DEFAULT_PUBLISH_AHEAD_MS } from '../src/keys/schedule.js';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { AuditEntry, AuditRecord, Storage } from '../src/storage/types.js';
import { tempDb } from './helpers.js';

const API_KEY_OPTIONS: AdminActionOptions = {
  actor: { type: 'api_key', id: 'ak_0123456789ab', name: 'ops' },
  requestId: 'req-1',
};
const CLI_OPTIONS: AdminActionOptions = { actor: { type: 'cli', user: 'alice' } };

/** A whole second (epoch ms): revoke-tokens records it as is and has nothing to wait for. */
const REVOKE_AT = 1_700_000_000_000;

let storage: Storage;
let pepper: Buffer;
let cleanup: () => void;

beforeEach(() => {
  const tmp = tempDb();
  cleanup = tmp.cleanup;
  storage = openSqliteStorage(tmp.db);
  pepper = randomBytes(32);
});

afterEach(async () => {
  await storage.close();
  cleanup();
});

/** An audit record without its sequence number. */
const entryOf = ({ seq: _seq, ...entry }: AuditRecord): AuditEntry => entry;

/** What one run of every action made: the entries it should have written and what must stay out of them. */
interface ActionRun {
  /** The expected entries, oldest first, without `at`. */
  readonly expected: Omit<AuditEntry, 'at'>[];
  /** The `at` each entry must have, or a [from, to] range for actions timed by the real clock. */
  readonly times: Array<number | readonly [number, number]>;
  /** Secrets, keys and hashes (in several encodings) that no entry may contain. */
  readonly secrets: string[];
}

/** Calls every admin action once, with `options`, on a new application and a new API key. */
async function runEveryAction(options: AdminActionOptions): Promise<ActionRun> {
  const actor = options.actor ?? { type: 'server' as const };
  const requestId = options.requestId ?? null;
  const secrets: string[] = [];
  const keep = (...values: string[]) => secrets.push(...values);
  const hashForms = (hash: Buffer) => [
    hash.toString('hex'),
    hash.toString('base64'),
    hash.toString('base64url'),
  ];
  const times: Array<number | readonly [number, number]> = [];
  const timed = async <T>(action: () => Promise<T>): Promise<T> => {
    const from = Date.now();
    const result = await action();
    times.push([from, Date.now()]);
    return result;
  };

  const createdAt = Date.now();
  const created = await createApplication(
    storage,
    pepper,
    { name: 'billing', scopes: ['sms', 'groups'], tokenExpiration: '1d' },
    createdAt,
    options,
  );
  times.push(createdAt);
  keep(created.secret, ...hashForms(created.application.secretHash));
  const id = created.application.id;
  assert.equal(created.application.secretHint, created.secret.slice(-4));

  const updated = await timed(() =>
    updateApplication(
      storage,
      id,
      { name: 'billing v2', scopes: ['sms'], tokenExpiration: 'never' },
      options,
    ),
  );
  assert.equal(updated?.name, 'billing v2');
  assert.equal(
    (await timed(() => setApplicationStatus(storage, id, 'disabled', options)))?.status,
    'disabled',
  );
  assert.equal((await timed(() => setApplicationStatus(storage, id, 'active', options)))?.status, 'active');
  const rotated = await timed(() =>
    rotateApplicationSecret(storage, pepper, id, { ...options, graceSeconds: 3600 }),
  );
  assert.ok(rotated !== null);
  keep(rotated.secret, ...hashForms(rotated.application.secretHash));
  assert.equal(rotated.application.secretHint, rotated.secret.slice(-4));
  const previous = rotated.application.previousSecret!;
  const withoutPrevious = await timed(() => revokeApplicationSecret(storage, id, previous.id, options));
  assert.equal(withoutPrevious?.previousSecret, null);
  assert.equal(await revokeApplicationTokens(storage, id, () => REVOKE_AT, options), REVOKE_AT);
  times.push(REVOKE_AT);

  const keyTime = Date.now();
  // The first key of a database signs at once; a later one is published ahead by the default.
  const ahead = (await storage.listSigningKeys()).length === 0 ? 0 : DEFAULT_PUBLISH_AHEAD_MS;
  const rotation = await rotateKeys(storage, pepper, keyTime, options);
  times.push(keyTime);
  for (const key of await storage.listSigningKeys()) keep(key.privateKeyEncrypted);

  const apiKey = await timed(() => createApiKey(storage, pepper, 'deploy bot', options));
  keep(apiKey.key, apiKey.key.slice(apiKey.key.indexOf('.') + 1), ...hashForms(apiKey.record.keyHash));
  const revoked = await timed(() => revokeApiKey(storage, apiKey.record.id, options));
  assert.ok(revoked !== null && revoked.revokedAt !== null);

  assert.equal(await timed(() => deleteApplication(storage, id, options)), true);

  const entry = (
    action: string,
    targetType: AuditEntry['targetType'],
    targetId: string,
    details: Record<string, unknown> = {},
  ): Omit<AuditEntry, 'at'> => ({ actor, action, targetType, targetId, requestId, details });
  return {
    expected: [
      entry('application.create', 'application', id, {
        name: 'billing',
        scopes: 'sms groups',
        token_expiration: '1d',
      }),
      entry('application.update', 'application', id, {
        name: 'billing v2',
        scopes: 'sms',
        token_expiration: 'never',
      }),
      entry('application.disable', 'application', id),
      entry('application.enable', 'application', id),
      entry('application.rotate_secret', 'application', id, {
        secret_hint: rotated.secret.slice(-4),
        secret_id: rotated.application.secretId,
        grace_seconds: 3600,
        previous_secret_expires_at: new Date(previous.expiresAt).toISOString(),
      }),
      entry('application.revoke_secret', 'application', id, {
        secret_id: previous.id,
        secret_hint: created.secret.slice(-4),
      }),
      entry('application.revoke_tokens', 'application', id, {
        tokens_not_before: new Date(REVOKE_AT).toISOString(),
      }),
      entry('signing_key.rotate', 'signing_key', rotation.kid, {
        alg: 'EdDSA',
        activates_at: new Date(keyTime + ahead).toISOString(),
      }),
      entry('api_key.create', 'api_key', apiKey.record.id, { name: 'deploy bot' }),
      entry('api_key.revoke', 'api_key', apiKey.record.id),
      entry('application.delete', 'application', id),
    ],
    times,
    secrets,
  };
}

/** Checks the whole log against a run: entries newest first, times, and no secret anywhere. */
async function assertLogged(run: ActionRun): Promise<AuditRecord[]> {
  const { entries, next } = await readAudit(storage);
  assert.equal(next, null);
  assert.deepEqual(
    entries.map(({ seq: _seq, at: _at, ...entry }) => entry),
    [...run.expected].reverse(),
  );
  const oldestFirst = [...entries].reverse();
  for (const [i, record] of oldestFirst.entries()) {
    const time = run.times[i]!;
    if (typeof time === 'number') assert.equal(record.at, time, record.action);
    else assert.ok(record.at >= time[0] && record.at <= time[1], `${record.action} at ${record.at}`);
  }
  for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1]!.seq > entries[i]!.seq);
  const json = [JSON.stringify(entries), JSON.stringify(entries.map(viewAudit))];
  for (const secret of run.secrets) {
    assert.ok(secret.length >= 20, 'a real secret, not a hint');
    for (const text of json) assert.ok(!text.includes(secret), `the audit log holds a secret: ${secret}`);
  }
  return entries;
}

describe('audit entries of the admin actions', () => {
  it('records every action with an API key actor and the request ID', async () => {
    const run = await runEveryAction(API_KEY_OPTIONS);
    const entries = await assertLogged(run);
    assert.deepEqual(entries[0]!.actor, { type: 'api_key', id: 'ak_0123456789ab', name: 'ops' });
    assert.ok(entries.every((record) => record.requestId === 'req-1'));
  });

  it('records every action with a CLI actor and no request ID', async () => {
    const run = await runEveryAction(CLI_OPTIONS);
    const entries = await assertLogged(run);
    assert.ok(entries.every((record) => record.actor.type === 'cli' && record.actor.user === 'alice'));
    assert.ok(entries.every((record) => record.requestId === null));
  });

  it('records the server as the actor when no options are given', async () => {
    const run = await runEveryAction({});
    const entries = await assertLogged(run);
    assert.ok(entries.every((record) => record.actor.type === 'server' && record.requestId === null));
  });

  it('keeps the entries of consecutive runs apart, newest first', async () => {
    const first = await runEveryAction(CLI_OPTIONS);
    const second = await runEveryAction(API_KEY_OPTIONS);
    const { entries } = await readAudit(storage);
    assert.deepEqual(
      entries.map(({ seq: _seq, at: _at, ...entry }) => entry),
      [...first.expected, ...second.expected].reverse(),
    );
  });

  it('records one entry for a batch of applications', async () => {
    const created = await createApplications(
      storage,
      pepper,
      [
        { name: 'a', scopes: ['sms'], tokenExpiration: '1d' },
        { name: 'b', scopes: ['sms'], tokenExpiration: '1w' },
      ],
      REVOKE_AT,
      API_KEY_OPTIONS,
    );
    assert.equal(created.length, 2);
    const { entries } = await readAudit(storage);
    assert.deepEqual(entries.map(entryOf), [
      {
        at: REVOKE_AT,
        actor: API_KEY_OPTIONS.actor,
        action: 'application.create_many',
        targetType: 'application',
        targetId: '*',
        requestId: 'req-1',
        details: { count: 2 },
      },
    ]);
    const json = JSON.stringify(entries);
    for (const { secret } of created) assert.ok(!json.includes(secret));
  });

  it('records nothing for an action on a missing application or API key', async () => {
    const missing = 'f'.repeat(40);
    assert.equal(await updateApplication(storage, missing, { name: 'x' }, API_KEY_OPTIONS), null);
    assert.equal(await setApplicationStatus(storage, missing, 'disabled', API_KEY_OPTIONS), null);
    assert.equal(await setApplicationStatus(storage, missing, 'active', API_KEY_OPTIONS), null);
    assert.equal(await rotateApplicationSecret(storage, pepper, missing, API_KEY_OPTIONS), null);
    assert.equal(await revokeApplicationSecret(storage, missing, 'sc_000000000000', API_KEY_OPTIONS), null);
    assert.equal(await revokeApplicationTokens(storage, missing, () => REVOKE_AT, API_KEY_OPTIONS), null);
    assert.equal(await deleteApplication(storage, missing, API_KEY_OPTIONS), false);
    assert.equal(await revokeApiKey(storage, 'ak_ffffffffffff', API_KEY_OPTIONS), null);
    assert.deepEqual(await readAudit(storage), { entries: [], next: null });
  });

  it('records nothing for deleting an application twice or revoking an API key twice', async () => {
    const { application } = await createApplication(
      storage,
      pepper,
      { name: 'once', scopes: ['sms'], tokenExpiration: '1d' },
      Date.now(),
      CLI_OPTIONS,
    );
    assert.equal(await deleteApplication(storage, application.id, CLI_OPTIONS), true);
    assert.equal(await deleteApplication(storage, application.id, CLI_OPTIONS), false);
    const { record } = await createApiKey(storage, pepper, 'twice', CLI_OPTIONS);
    const first = await revokeApiKey(storage, record.id, CLI_OPTIONS);
    assert.ok(first !== null && first.revokedAt !== null);
    const second = await revokeApiKey(storage, record.id, API_KEY_OPTIONS);
    assert.deepEqual(second, first, 'the second revocation changes nothing');
    const { entries } = await readAudit(storage);
    assert.deepEqual(
      entries.map((entry) => [entry.action, entry.targetId, entry.actor.type]),
      [
        ['api_key.revoke', record.id, 'cli'],
        ['api_key.create', record.id, 'cli'],
        ['application.delete', application.id, 'cli'],
        ['application.create', application.id, 'cli'],
      ],
    );
  });
});

describe('readAudit', () => {
  /** Appends `n` entries with targets t0, t1, ... and `at` 1000, 2000, ... */
  async function append(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      await storage.appendAudit(
        auditEntry(CLI_OPTIONS, 'application.update', 'application', `t${i}`, { i }, (i + 1) * 1000),
      );
    }
  }
  const targets = (entries: AuditRecord[]) => entries.map((entry) => entry.targetId);

  it('pages through the log newest first with the next cursor', async () => {
    await append(7);
    const first = await readAudit(storage, { limit: 3 });
    assert.deepEqual(targets(first.entries), ['t6', 't5', 't4']);
    assert.equal(first.next, first.entries[2]!.seq);
    const second = await readAudit(storage, { limit: 3, before: first.next! });
    assert.deepEqual(targets(second.entries), ['t3', 't2', 't1']);
    assert.equal(second.next, second.entries[2]!.seq);
    const third = await readAudit(storage, { limit: 3, before: second.next! });
    assert.deepEqual(targets(third.entries), ['t0']);
    assert.equal(third.next, null);
    // A last page that is exactly full has no next page either.
    assert.equal((await readAudit(storage, { limit: 7 })).next, null);
    const six = await readAudit(storage, { limit: 6 });
    assert.equal(six.entries.length, 6);
    assert.equal(six.next, six.entries[5]!.seq);
    assert.deepEqual(targets((await readAudit(storage, { limit: 6, before: six.next! })).entries), ['t0']);
  });

  it('filters by since (inclusive), with the cursor', async () => {
    await append(7);
    const page = await readAudit(storage, { since: 4000, limit: 2 });
    assert.deepEqual(targets(page.entries), ['t6', 't5']);
    assert.ok(page.next !== null);
    const last = await readAudit(storage, { since: 4000, limit: 2, before: page.next });
    assert.deepEqual(targets(last.entries), ['t4', 't3']);
    assert.equal(last.next, null, 'nothing older at or after since');
    assert.deepEqual(await readAudit(storage, { since: 8000 }), { entries: [], next: null });
  });

  it('reads 100 by default and clamps the limit to 1..500', async () => {
    assert.equal(MAX_AUDIT_PAGE, 500);
    await append(502);
    const byDefault = await readAudit(storage);
    assert.equal(byDefault.entries.length, 100);
    assert.equal(byDefault.entries[0]!.targetId, 't501');
    assert.equal(byDefault.next, byDefault.entries[99]!.seq);
    for (const limit of [0, -5]) {
      const page = await readAudit(storage, { limit });
      assert.deepEqual(targets(page.entries), ['t501'], `limit ${limit}`);
      assert.equal(page.next, page.entries[0]!.seq);
    }
    for (const limit of [500, 501, 10_000]) {
      const page = await readAudit(storage, { limit });
      assert.equal(page.entries.length, 500, `limit ${limit}`);
      assert.equal(page.next, page.entries[499]!.seq);
      const rest = await readAudit(storage, { limit, before: page.next! });
      assert.deepEqual(targets(rest.entries), ['t1', 't0']);
      assert.equal(rest.next, null);
    }
  });

  it('shows an entry in snake_case with an ISO time', async () => {
    await storage.appendAudit(
      auditEntry(API_KEY_OPTIONS, 'api_key.create', 'api_key', 'ak_000000000001', { name: 'x' }, REVOKE_AT),
    );
    const [record] = (await readAudit(storage)).entries;
    assert.deepEqual(viewAudit(record!), {
      seq: record!.seq,
      at: new Date(REVOKE_AT).toISOString(),
      actor: { type: 'api_key', id: 'ak_0123456789ab', name: 'ops' },
      action: 'api_key.create',
      target_type: 'api_key',
      target_id: 'ak_000000000001',
      request_id: 'req-1',
      details: { name: 'x' },
    });
  });

  it('names the OS user as the CLI actor', () => {
    const actor = cliActor();
    assert.equal(actor.type, 'cli');
    assert.ok(actor.type === 'cli' && actor.user.length > 0);
  });
});
