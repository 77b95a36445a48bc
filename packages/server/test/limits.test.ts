// The rate limiter's policy and its in-memory counters: windows by slot and by key, the limiter's
// remaining/limited/blocked answers, and the cluster store's primary and worker sides joined by an
// in-process channel (the real IPC is in workers.test.ts).
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import {
  ClusterStoreHost,
  ClusterWindowStore,
  MemoryWindowStore,
  RateLimiter,
  type WindowStore,
} from '../src/limits/index.js';
import { FixedWindowCounter, WindowSlots } from '../src/limits/windows.js';
import { testClock } from './fixture.js';

const app = (id: string, slot: number) => ({ id, slot, serial: 1 });

describe('WindowSlots', () => {
  const setting = { points: 3, durationSeconds: 60 };

  it('counts every event in a window, over the limit too, and starts over when it ends', () => {
    const windows = new WindowSlots(setting);
    const at = 1_000_000;
    const counts = [1, 2, 3, 4].map(() => windows.hit(5, 1, at));
    assert.deepEqual(
      counts.map((window) => window.count),
      [1, 2, 3, 4],
    );
    assert.equal(counts[0]!.msBeforeReset, 60_000);
    assert.deepEqual(windows.peek(5, 1, at + 59_999), { count: 4, msBeforeReset: 1 });
    assert.deepEqual(windows.hit(5, 1, at + 60_000), { count: 1, msBeforeReset: 60_000 });
  });

  it('gives a new owner of a slot a fresh window', () => {
    const windows = new WindowSlots(setting);
    for (let i = 0; i < 4; i++) windows.hit(0, 1, 10);
    assert.equal(windows.peek(0, 2, 10).count, 0);
    assert.equal(windows.hit(0, 2, 10).count, 1);
  });
});

describe('FixedWindowCounter', () => {
  it('keeps keys apart, and gives ended windows’ slots to new keys without mixing counts', () => {
    const counter = new FixedWindowCounter({ points: 2, durationSeconds: 1 });
    counter.hit('a', 0);
    counter.hit('a', 0);
    assert.equal(counter.hit('a', 0).count, 3);
    assert.equal(counter.hit('b', 0).count, 1);
    // 'a' and 'b' ended; 'c' arrives after the sweep interval and may take one of their slots.
    assert.equal(counter.hit('c', 1_000).count, 1);
    assert.equal(counter.hit('d', 1_000).count, 1);
    assert.equal(counter.peek('c', 1_000).count, 1);
    assert.equal(counter.peek('a', 1_000).count, 0);
    assert.equal(counter.hit('a', 1_000).count, 1);
  });
});

describe('RateLimiter over the in-process store', () => {
  const requests = { points: 2, durationSeconds: 60 };
  const failures = { points: 2, durationSeconds: 30 };

  it('answers synchronously: remaining counts down, the request over the limit is limited', () => {
    const clock = testClock(1_000_000);
    const limiter = new RateLimiter(new MemoryWindowStore(requests, failures), requests, failures, clock);
    const budgets = [1, 2, 3].map(() => limiter.consumeRequest(app('a', 0)));
    for (const budget of budgets) assert.ok(!(budget instanceof Promise), 'no promise on the in-memory path');
    assert.deepEqual(budgets, [
      { state: { limit: 2, remaining: 1, msBeforeReset: 60_000 }, limited: false },
      { state: { limit: 2, remaining: 0, msBeforeReset: 60_000 }, limited: false },
      { state: { limit: 2, remaining: 0, msBeforeReset: 60_000 }, limited: true },
    ]);
    clock.advance(60_000);
    assert.deepEqual(limiter.requestState(app('a', 0)), { limit: 2, remaining: 2, msBeforeReset: 0 });
  });

  it('blocks an IP when a failure spends its budget, until its window ends', () => {
    const clock = testClock(1_000_000);
    const limiter = new RateLimiter(new MemoryWindowStore(requests, failures), requests, failures, clock);
    assert.deepEqual(limiter.recordAuthFailure('192.0.2.1'), {
      state: { limit: 2, remaining: 1, msBeforeReset: 30_000 },
      limited: false,
    });
    assert.equal(limiter.blockedState('192.0.2.1'), undefined);
    clock.advance(10_000);
    assert.deepEqual(limiter.recordAuthFailure('192.0.2.1'), {
      state: { limit: 2, remaining: 0, msBeforeReset: 20_000 },
      limited: false,
    });
    assert.deepEqual(limiter.blockedState('192.0.2.1'), { limit: 2, remaining: 0, msBeforeReset: 20_000 });
    assert.equal(limiter.blockedState('192.0.2.2'), undefined);
    clock.advance(20_000);
    assert.equal(limiter.blockedState('192.0.2.1'), undefined);
  });
});

/** A primary and `count` workers of the cluster store, joined by in-process channels. */
function cluster(count: number): { workers: RateLimiter[]; stores: WindowStore[] } {
  const requests = { points: 3, durationSeconds: 60 };
  const failures = { points: 2, durationSeconds: 60 };
  const toWorkers: EventEmitter[] = [];
  const host = new ClusterStoreHost(requests, failures, () =>
    toWorkers.map((channel) => ({
      send: (message: unknown) => channel.emit('message', message),
      isConnected: () => true,
    })),
  );
  const stores: WindowStore[] = [];
  const workers = Array.from({ length: count }, () => {
    const channel = new EventEmitter();
    toWorkers.push(channel);
    const worker = { send: (message: unknown) => channel.emit('message', message), isConnected: () => true };
    const store = new ClusterWindowStore({
      // Worker → primary, asynchronously as over IPC.
      send: (message) => setImmediate(() => host.handle(worker, message)),
      on: (_event, listener) => channel.on('message', listener),
    });
    stores.push(store);
    return new RateLimiter(store, requests, failures);
  });
  return { workers, stores };
}

describe('the cluster store', () => {
  it('counts one application across workers, by ID, without gaps or repeats', async () => {
    const { workers } = cluster(2);
    await Promise.all(workers.map((worker) => worker.open()));
    const budgets = [];
    for (const index of [0, 1, 0, 1])
      budgets.push(await workers[index]!.consumeRequest(app('shared', index + 7)));
    assert.deepEqual(
      budgets.map((budget) => [budget.state.remaining, budget.limited]),
      [
        [2, false],
        [1, false],
        [0, false],
        [0, true],
      ],
    );
  });

  it('tells every worker of a block before the failing call is answered, and a new worker asks', async () => {
    const { workers } = cluster(3);
    await Promise.all(workers.slice(0, 2).map((worker) => worker.open()));
    await workers[0]!.recordAuthFailure('198.51.100.7');
    const spent = await workers[0]!.recordAuthFailure('198.51.100.7');
    assert.equal(spent.state.remaining, 0);
    assert.equal(workers[1]!.blockedState('198.51.100.7')?.remaining, 0, 'the other worker knows at once');
    await workers[2]!.open();
    assert.equal(
      workers[2]!.blockedState('198.51.100.7')?.remaining,
      0,
      'a worker that starts later loads it',
    );
  });
});
