// Smoke test of the Redis scenario: the whole CLI path with tiny settings (1 round of 1 s at c=10,
// 500 counts per store, 5 rounds) against the local Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379),
// which is required: unreachable, the bench exits 1 and this test fails. No timing targets: only
// that both parts measured something sane, the report has the figures, and no key of the run is left.
//
// Redis's INFO counts server-wide, and other tests may use the same Redis at the same time: the
// per-request figures are checked from below (every token counted in Redis), not for equality.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli } from '../src/run.js';
import { DEFAULT_REDIS_STORE_OPS, DEFAULT_REDIS_URL, MIN_STORE_ROUNDS } from '../src/scenarios/redis.js';
import { connectAdmin, keysUnder } from '../src/scenarios/redis-stats.js';
import { assertPositive, runBenchCli } from './run-bench.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? DEFAULT_REDIS_URL;

test('the Redis scenario measures tokens and the stores, reports them and deletes its keys', {
  timeout: 90_000,
}, async () => {
  const { results, markdown } = await runBenchCli({
    '--redis': 'tokens,store',
    '--redis-url': REDIS_URL,
    '--redis-store-ops': '500',
  });
  const r = results.redis;
  assert.ok(r, 'a redis section in latest.json');
  assert.equal(r.error, undefined);
  assert.match(r.prefix, /^smscx-bench-[0-9a-f]{8}:$/);
  assert.ok(r.redisVersion, 'the Redis version');

  const { tokens, store } = r;
  assert.equal(tokens?.status, 'ok', tokens?.error);
  for (const row of [tokens.redis, tokens.memory]) {
    assertPositive(row?.requestsPerSec, `${row?.target} req/s`);
    assertPositive(row?.latencyP99, `${row?.target} p99`);
    assert.equal(row?.non2xx, 0);
    assert.equal(row?.errors, 0);
  }
  assertPositive(tokens.ratio, 'redis / in-process req/s');
  assertPositive(tokens.p99Ratio, 'redis / in-process p99');
  assert.equal(tokens.redisRuns.length, 1);
  assert.equal(tokens.memoryRuns.length, 1);
  // Every token request counted once in Redis: one script run (evalsha) at least.
  const perRequest = tokens.perRequest;
  assert.ok(perRequest, 'Redis figures per token request');
  assert.ok(perRequest.ops > 0);
  assert.ok(perRequest.scriptRuns >= 0.99, `script runs per request: ${perRequest.scriptRuns}`);
  assert.ok((perRequest.perCommand.evalsha ?? 0) >= 0.99, JSON.stringify(perRequest.perCommand));
  assert.ok(perRequest.commands >= perRequest.sent && perRequest.sent >= 0.99, JSON.stringify(perRequest));
  assertPositive(perRequest.sentPerRead, 'commands per Redis read');
  assert.ok(tokens.memoryCommands !== undefined);

  assert.equal(store?.status, 'ok', store?.error);
  assert.equal(store.ops, 500);
  assert.deepEqual(
    store.variants.map((v) => v.name),
    [
      'server store (Lua, auto-pipelined)',
      'same script, no auto-pipelining',
      'rate-limiter-flexible RateLimiterRedis',
      'hand-written round trips',
      'rate-limiter-flexible RateLimiterRedisNonAtomic',
    ],
  );
  for (const v of store.variants) {
    assertPositive(v.opsPerSec, `${v.name} counts/s`);
    assertPositive(v.perOp?.commands, `${v.name} commands per count`);
    assertPositive(v.perOp?.sent, `${v.name} sent per count`);
    assert.equal(v.rounds.length, MIN_STORE_ROUNDS);
    if (v.atomic) assert.equal(v.counted, 1, `${v.name} counted every count`);
  }
  const server = store.variants[0]!;
  assert.equal(server.vsServerStore, 1);
  assert.ok((server.perOp?.scriptRuns ?? 0) >= 0.99, 'the server store runs one script per count');

  // Keys: all gone, by the harness's own account and by asking Redis.
  assert.equal(r.keysDeleted, true);
  assertPositive(r.keysDeletedCount, 'keys deleted');
  const admin = await connectAdmin(REDIS_URL);
  try {
    assert.deepEqual(await keysUnder(admin, r.prefix), []);
  } finally {
    admin.disconnect();
  }

  const names = results.checks.map((c) => c.name);
  assert.ok(names.includes('ours --redis / ours in-process limiter req/s at c=10'), names.join('; '));
  assert.ok(names.includes('ours --redis p99 / ours in-process limiter p99 at c=10'), names.join('; '));

  assert.match(markdown, /^## Redis: ours with `--redis` vs the in-process limiter$/m);
  assert.match(markdown, /^\| ours --redis \| 10 \| 1 \| [\d,]+ \|/m);
  assert.match(markdown, /^\| ours in-process limiter \| 10 \| 1 \| [\d,]+ \|/m);
  assert.match(
    markdown,
    /^\*\*Redis \/ in-process at c=10\*\* .*req\/s [\d.]+% \(goal ≥ 85%: .*p99 [\d.]+× \(goal ≤ 1\.5×: /m,
  );
  assert.match(markdown, /^\| commands Redis counted per request \| [\d.]+ \(.*evalsha [\d.]+/m);
  assert.match(markdown, /^\| commands the server sent per request \| [\d.]+ \|/m);
  assert.match(markdown, /^\| server store \(Lua, auto-pipelined\) \| [\d,]+ \| 1\.00× \|/m);
  assert.match(markdown, /^\| rate-limiter-flexible RateLimiterRedis \| [\d,]+ \|/m);
  assert.match(markdown, /all deleted at the end/);
});

test('the --redis flags: both parts by default, "none", env vars, unknown parts refused', () => {
  const defaults = parseCli([], {});
  assert.deepEqual(defaults.config.redis, ['tokens', 'store']);
  assert.equal(defaults.config.redisStoreOps, DEFAULT_REDIS_STORE_OPS);
  assert.equal(defaults.redisUrl, DEFAULT_REDIS_URL);
  assert.deepEqual(parseCli(['--redis', 'none'], {}).config.redis, []);
  const fromEnv = parseCli([], {
    BENCH_REDIS: 'store,tokens',
    BENCH_REDIS_URL: 'redis://cache:6380/2',
    BENCH_REDIS_STORE_OPS: '5000',
  });
  assert.deepEqual(fromEnv.config.redis, ['tokens', 'store']);
  assert.equal(fromEnv.redisUrl, 'redis://cache:6380/2');
  assert.equal(fromEnv.config.redisStoreOps, 5000);
  assert.deepEqual(parseCli(['--redis', 'store'], {}).config.redis, ['store']);
  assert.throws(() => parseCli(['--redis', 'memcached'], {}), /unknown redis part/);
});
