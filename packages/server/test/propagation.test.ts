// awaitPropagation: an admin change waits for every live server process, names the ones that
// lag past the bound, and stops waiting for a process whose heartbeat is old (it crashed).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.js';
import type { Storage } from '../src/storage/types.js';
import { ChangeFollower, PROCESS_LIVENESS_MS } from '../src/sync/change-follower.js';
import { awaitPropagation, PropagationError } from '../src/sync/propagation.js';

describe('awaitPropagation', () => {
  let storage: Storage;
  before(() => {
    storage = openSqliteStorage(':memory:');
  });
  after(() => storage.close());

  it('resolves at once when every live process has applied the change', async () => {
    await storage.registerProcess({ id: 'a', label: 'host-a pid 1', appliedSeq: 7 });
    await storage.registerProcess({ id: 'b', label: 'host-b pid 2', appliedSeq: 9 });
    await awaitPropagation(storage, 7, { timeoutMs: 0 });
  });

  it('waits for a process that is behind, and resolves once it reports the change', async () => {
    const waiting = awaitPropagation(storage, 8, { timeoutMs: 5000 });
    let settled = false;
    void waiting.then(() => {
      settled = true;
    });
    // Every promise job has run by the next macrotask: "a" at 7 keeps it waiting.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false);
    await storage.reportProcess('a', 8);
    await waiting;
  });

  it('names the lagging processes and fails once the bound has passed', async () => {
    const error = await awaitPropagation(storage, 10, { timeoutMs: 30 }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(error instanceof PropagationError, String(error));
    assert.deepEqual(error.lagging, ['host-a pid 1', 'host-b pid 2']);
    assert.equal(error.seq, 10);
    assert.match(error.message, /did not confirm it within 30 ms: host-a pid 1; host-b pid 2/);
  });

  it('does not wait for a process whose heartbeat is older than the liveness window', async () => {
    const longAgo = Date.now() - PROCESS_LIVENESS_MS - 1000;
    await storage.reportProcess('a', 10);
    await storage.reportProcess('b', 9, longAgo);
    await awaitPropagation(storage, 10, { timeoutMs: 0 });
  });
});

describe('ChangeFollower.register', () => {
  it('drops the rows of processes gone for a day, and keeps the others', async () => {
    const storage = openSqliteStorage(':memory:');
    try {
      const now = Date.now();
      await storage.registerProcess(
        { id: 'crashed', label: 'old pid 1', appliedSeq: 0 },
        now - 25 * 3600_000,
      );
      await storage.registerProcess({ id: 'recent', label: 'new pid 2', appliedSeq: 0 }, now - 3600_000);
      const follower = new ChangeFollower(
        storage,
        { application: async () => {}, signingKeys: async () => {} },
        { onError: (error) => assert.fail(String(error)) },
      );
      await follower.register();
      const ids = (await storage.listProcesses(0)).map((process) => process.id).sort();
      assert.deepEqual(ids, [follower.processId, 'recent'].sort());
    } finally {
      await storage.close();
    }
  });
});
