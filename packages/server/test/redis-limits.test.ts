// The Redis store and its failover, against real Redis: the machine's (exact shared counts,
// blocks published and loaded), and private redis-servers the tests kill, pause and restart
// (degraded modes). Then two in-process servers on one SQLite file sharing their limits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { ApiError } from '../src/contract/errors.js';
import {
  createWindowStore,
  FailoverStore,
  MemoryWindowStore,
  RateLimiter,
  RedisWindowStore,
} from '../src/limits/index.js';
import { collectingLogger, type InProcessServer, inProcessServer } from './fixture.js';
import {
  basic,
  envelope,
  FORM,
  freePort,
  type RawResponse,
  requestToken,
  type TestApplication,
  waitFor,
} from './helpers.js';
import { PrivateRedis, REDIS_URL, RedisTestPrefixes } from './redis-fixture.js';

const requests = { points: 1_000, durationSeconds: 60 };
const failures = { points: 3, durationSeconds: 60 };
const app = (id: string) => ({ id, slot: 0, serial: 1 });

function redisStore(url: string, prefix: string, timeoutMs = 1_000): RedisWindowStore {
  return new RedisWindowStore({ url, prefix, timeoutMs, requests, authFailures: failures });
}

/** A token request to an in-process server from the client address `ip`. */
function tokenFrom(server: InProcessServer, created: TestApplication, ip: string): Promise<RawResponse> {
  return server.send({
    headers: {
      authorization: basic(created.application_id, created.application_secret),
      'content-type': FORM,
    },
    body: 'grant_type=client_credentials',
    remoteAddress: ip,
  });
}

/** Lines of `lines` whose message includes `text`. */
function logged(lines: readonly string[], text: string): number {
  return lines.filter((line) => (JSON.parse(line) as { msg: string }).msg.includes(text)).length;
}

const prefixes = new RedisTestPrefixes();
before(() => prefixes.check());
after(() => prefixes.dropAll());

describe('the Redis store', () => {
  it('counts exactly across stores: concurrent hits get every count once', async () => {
    const prefix = prefixes.fresh();
    const stores = [redisStore(REDIS_URL, prefix), redisStore(REDIS_URL, prefix)];
    await Promise.all(stores.map((store) => store.open(() => {})));
    try {
      const windows = await Promise.all(
        Array.from({ length: 200 }, (_, i) => stores[i % 2]!.hitApplication(app('shared'))),
      );
      assert.deepEqual(
        windows.map((window) => window.count).sort((a, b) => a - b),
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      for (const window of windows) assert.ok(window.msBeforeReset > 0 && window.msBeforeReset <= 60_000);
      assert.equal((await stores[1]!.peekApplication(app('shared'))).count, 200, 'a peek counts nothing');
      assert.equal((await stores[1]!.peekApplication(app('shared'))).count, 200);
      assert.deepEqual(await stores[0]!.peekApplication(app('other')), { count: 0, msBeforeReset: 0 });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it('publishes a block to every store when a failure spends the budget, and loads it at open', async () => {
    const prefix = prefixes.fresh();
    const heard: [string, number][] = [];
    const first = redisStore(REDIS_URL, prefix);
    const second = redisStore(REDIS_URL, prefix);
    await first.open(() => {});
    await second.open((ip, msLeft) => heard.push([ip, msLeft]));
    const late = redisStore(REDIS_URL, prefix);
    try {
      for (let i = 1; i <= 2; i++) assert.equal((await first.hitAddress('203.0.113.9')).count, i);
      assert.deepEqual(heard, [], 'no block before the budget is spent');
      assert.equal((await first.hitAddress('203.0.113.9')).count, 3);
      await waitFor(() => heard.length === 1, 'the block to reach the other store');
      assert.equal(heard[0]![0], '203.0.113.9');
      assert.ok(heard[0]![1] > 0 && heard[0]![1] <= 60_000);

      const loaded: string[] = [];
      await late.open((ip) => loaded.push(ip));
      await waitFor(() => loaded.includes('203.0.113.9'), 'a store opened later to load the block');
    } finally {
      await Promise.all([first.close(), second.close(), late.close()]);
    }
  });
});

describe('failover while Redis is away', () => {
  let redis: PrivateRedis;
  before(async () => {
    redis = await PrivateRedis.start();
  });
  after(() => redis.close());

  it('open: counts locally with one warning per outage, and goes back to Redis by itself', async () => {
    const { logger, lines } = collectingLogger('info');
    const store = new FailoverStore(
      redisStore(redis.url, 'open:'),
      new MemoryWindowStore(requests, failures),
      'open',
      logger,
    );
    await store.open(() => {});
    try {
      assert.equal((await store.hitApplication(app('a'), Date.now())).count, 1);
      assert.equal((await store.hitApplication(app('a'), Date.now())).count, 2);

      await redis.kill();
      await waitFor(() => logged(lines, 'Redis is unreachable') === 1, 'the outage warning');
      for (let i = 1; i <= 5; i++) {
        assert.equal((await store.hitApplication(app('a'), Date.now())).count, i, 'counted in memory');
      }
      assert.equal(logged(lines, 'Redis is unreachable'), 1, 'one warning, not one per request');
      assert.ok(!lines.join('\n').includes('password'));

      await redis.restart();
      await waitFor(() => logged(lines, 'Redis answers again') === 1, 'the recovery line');
      // The restarted Redis kept nothing: counting starts over there, not in memory.
      assert.equal((await store.hitApplication(app('a'), Date.now())).count, 1);
      assert.equal(logged(lines, 'Redis is unreachable'), 1);
    } finally {
      await store.close();
    }
  });

  it('closed: refuses with the 503 error while Redis is away', async () => {
    const { logger, lines } = collectingLogger('info');
    const store = new FailoverStore(
      redisStore(redis.url, 'closed:'),
      new MemoryWindowStore(requests, failures),
      'closed',
      logger,
    );
    await store.open(() => {});
    try {
      assert.equal((await store.hitAddress('192.0.2.5', Date.now())).count, 1);
      await redis.kill();
      await waitFor(() => logged(lines, 'Redis is unreachable') === 1, 'the outage warning');
      await assert.rejects(
        async () => store.hitApplication(app('b'), Date.now()),
        (error: unknown) =>
          error instanceof ApiError && error.status === 503 && error.type === 'service_unavailable',
      );
      await assert.rejects(async () => store.hitAddress('192.0.2.5', Date.now()), ApiError);
      await redis.restart();
      await waitFor(() => logged(lines, 'Redis answers again') === 1, 'the recovery line');
      assert.equal((await store.hitApplication(app('b'), Date.now())).count, 1);
    } finally {
      await store.close();
    }
  });

  it('a hung Redis holds a count no longer than the timeout: the answer comes from memory', async () => {
    const { logger, lines } = collectingLogger('info');
    const store = new FailoverStore(
      redisStore(redis.url, 'hung:', 50),
      new MemoryWindowStore(requests, failures),
      'open',
      logger,
    );
    await store.open(() => {});
    try {
      assert.equal((await store.hitApplication(app('c'), Date.now())).count, 1);
      redis.pause();
      // Redis cannot answer while stopped: this resolves only through the timeout and the fallback.
      assert.equal((await store.hitApplication(app('c'), Date.now())).count, 1, 'counted in memory');
      assert.equal(logged(lines, 'Redis is unreachable'), 1);
      assert.match(lines.find((line) => line.includes('unreachable'))!, /did not answer within 50 ms/);
      redis.resume();
      await waitFor(
        async () => (await store.hitApplication(app('c'), Date.now())).count > 2,
        'Redis to count again',
      );
      assert.equal(logged(lines, 'Redis answers again'), 1);
    } finally {
      await store.close();
    }
  });

  it('unreachable at start: the server starts, warns once, and counts locally', async () => {
    const { logger, lines } = collectingLogger('info');
    const nothing = `redis://:s3cret-in-url@127.0.0.1:${await freePort()}`;
    const store = new FailoverStore(
      redisStore(nothing, 'never:'),
      new MemoryWindowStore(requests, failures),
      'open',
      logger,
    );
    await store.open(() => {});
    try {
      assert.equal((await store.hitApplication(app('d'), Date.now())).count, 1);
      assert.equal(logged(lines, 'Redis is unreachable'), 1);
      assert.ok(!lines.join('\n').includes('s3cret-in-url'), 'the password is not logged');
      assert.match(lines.join('\n'), /redis:\/\/:\*\*\*@127\.0\.0\.1/);
    } finally {
      await store.close();
    }
  });
});

describe('two instances sharing their limits in Redis', () => {
  const limits = {
    rateLimit: { points: 5, durationSeconds: 60 },
    authFailureLimit: { points: 3, durationSeconds: 60 },
  };
  let first: InProcessServer;
  let second: InProcessServer;
  before(async () => {
    const prefix = prefixes.fresh();
    const store = () =>
      createWindowStore({
        requests: limits.rateLimit,
        authFailures: limits.authFailureLimit,
        redis: { url: REDIS_URL, prefix, timeoutMs: 1_000, failure: 'open' },
        logger: collectingLogger('info').logger,
      });
    first = await inProcessServer({ ...limits, rateLimitStore: store() });
    second = await inProcessServer({ ...limits, rateLimitStore: store(), sameDatabaseAs: first });
  });
  after(async () => {
    await second.close();
    await first.close();
  });

  it('an application gets its limit once whichever instance answers, counted down without gaps', async () => {
    const created = await first.createApplication();
    await second.app.applyChanges();
    const instances = [first, second, second, first, second, first];
    const answers = [];
    for (const instance of instances) answers.push(await requestToken(instance, created));
    assert.deepEqual(
      answers.map((answer) => [answer.status, answer.headers['x-rate-limit-remaining']]),
      [
        [200, '4'],
        [200, '3'],
        [200, '2'],
        [200, '1'],
        [200, '0'],
        [429, '0'],
      ],
    );
    const limited = answers[5]!;
    assert.equal(envelope(limited).type, 'rate_limit');
    assert.ok(Number(limited.headers['x-rate-limit-reset']) > Date.now() / 1000);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
  });

  it('failed authentications from one IP are counted together, and the IP is refused on both', async () => {
    const created = await first.createApplication();
    await second.app.applyChanges();
    const wrong = { ...created, application_secret: 'not-the-secret' };
    const from = '198.51.100.23';
    const failuresSeen = [];
    for (const instance of [first, second, first]) {
      const answer = await tokenFrom(instance, wrong, from);
      failuresSeen.push([answer.status, answer.headers['x-rate-limit-remaining']]);
    }
    assert.deepEqual(failuresSeen, [
      [401, '2'],
      [401, '1'],
      [401, '0'],
    ]);
    // The budget is spent: a further failure on the other instance is over it (429 at once, even
    // before the published block arrives), and then the right secret is refused there too.
    const over = await tokenFrom(second, wrong, from);
    assert.equal(over.status, 429);
    assert.equal((await tokenFrom(second, created, from)).status, 429);
    assert.equal((await tokenFrom(first, created, from)).status, 429);
    // Another client is not concerned.
    assert.equal((await tokenFrom(second, created, '198.51.100.24')).status, 200);
  });
});

describe('a limiter on Redis in closed mode, over HTTP', () => {
  it('answers 503 in the SMS.CX envelope with Retry-After while Redis is away', async () => {
    const unreachable = `redis://127.0.0.1:${await freePort()}`;
    const limits = {
      rateLimit: { points: 5, durationSeconds: 60 },
      authFailureLimit: { points: 3, durationSeconds: 60 },
    };
    const server = await inProcessServer({
      ...limits,
      rateLimitStore: createWindowStore({
        requests: limits.rateLimit,
        authFailures: limits.authFailureLimit,
        redis: { url: unreachable, prefix: 'x:', timeoutMs: 50, failure: 'closed' },
        logger: collectingLogger('silent').logger,
      }),
    });
    try {
      const created = await server.createApplication();
      const answer = await requestToken(server, created);
      assert.equal(answer.status, 503);
      assert.deepEqual(envelope(answer), {
        type: 'service_unavailable',
        code: 1653,
        message: 'Rate limiting is temporarily unavailable; try again shortly',
        uri: 'https://docs.sms.cx/#service_unavailable',
      });
      assert.equal(answer.headers['retry-after'], '1');
      assert.equal(answer.headers['cache-control'], 'no-store');
      const wrong = await server.send({ headers: { authorization: basic(created.application_id, 'wrong') } });
      assert.equal(wrong.status, 503);
    } finally {
      await server.close();
    }
  });
});

describe('RateLimiter with the failover store', () => {
  it('is a limiter like any other: remaining and limited from Redis counts', async () => {
    const prefix = prefixes.fresh();
    const small = { points: 2, durationSeconds: 60 };
    const store = new FailoverStore(
      new RedisWindowStore({
        url: REDIS_URL,
        prefix,
        timeoutMs: 1_000,
        requests: small,
        authFailures: small,
      }),
      new MemoryWindowStore(small, small),
      'open',
      collectingLogger('silent').logger,
    );
    const limiter = new RateLimiter(store, small, small);
    await limiter.open();
    try {
      const budgets = [];
      for (let i = 0; i < 3; i++) budgets.push(await limiter.consumeRequest(app('e')));
      assert.deepEqual(
        budgets.map((budget) => [budget.state.remaining, budget.limited]),
        [
          [1, false],
          [0, false],
          [0, true],
        ],
      );
    } finally {
      await limiter.close();
    }
  });
});

describe('RateLimiter on Redis: a block decided elsewhere', () => {
  it('refuses the token path of a blocked IP before the block message arrives, and counts nothing', async () => {
    const prefix = prefixes.fresh();
    const limiter = new RateLimiter(redisStore(REDIS_URL, prefix), requests, failures);
    await limiter.open();
    const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await admin.connect();
      // Another instance's block as its failure script leaves it in Redis, its message not (yet)
      // read here: in the blocked set, never published.
      const [seconds, micros] = await admin.time();
      const redisNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
      await admin.zadd(`${prefix}blocked`, redisNow + 30_000, '192.0.2.7');
      assert.equal(limiter.blockedState('192.0.2.7'), undefined, 'this process has not heard of it');

      const refused = await limiter.consumeRequest(app('f'), '192.0.2.7');
      assert.equal(refused.limited, true);
      assert.equal(refused.state.limit, failures.points, 'the failure budget, as a blocked IP gets');
      assert.equal(refused.state.remaining, 0);
      assert.ok(refused.state.msBeforeReset > 20_000 && refused.state.msBeforeReset <= 30_000);
      assert.ok(limiter.blockedState('192.0.2.7') !== undefined, 'and now this process knows it');
      assert.equal((await limiter.requestState(app('f'))).remaining, requests.points, 'nothing spent');

      const allowed = await limiter.consumeRequest(app('f'), '192.0.2.8');
      assert.deepEqual([allowed.limited, allowed.state.remaining], [false, requests.points - 1]);
    } finally {
      admin.disconnect();
      await limiter.close();
    }
  });
});

describe('a second instance on the same database', () => {
  it('without Redis, warns at start that each instance counts its own limits', async () => {
    const firstLog = collectingLogger('info');
    const secondLog = collectingLogger('info');
    const first = await inProcessServer({ logger: firstLog.logger });
    const second = await inProcessServer({ logger: secondLog.logger, sameDatabaseAs: first });
    try {
      const firstUrl = await first.listen();
      assert.equal(logged(firstLog.lines, 'another server instance'), 0, 'alone: no warning');
      await second.listen();
      const warning = secondLog.lines.find((line) => line.includes('another server instance'));
      assert.ok(warning !== undefined, secondLog.lines.join('\n'));
      const fields = JSON.parse(warning) as { level: number; otherInstances: string[] };
      assert.equal(fields.level, 40);
      assert.equal(fields.otherInstances.length, 1);
      assert.ok(fields.otherInstances[0]!.endsWith(` ${firstUrl}`), fields.otherInstances[0]);
    } finally {
      await second.close();
      await first.close();
    }
  });

  it('with Redis, says nothing', async () => {
    const prefix = prefixes.fresh();
    const log = collectingLogger('info');
    const first = await inProcessServer({});
    const store = createWindowStore({
      requests,
      authFailures: failures,
      redis: { url: REDIS_URL, prefix, timeoutMs: 1_000, failure: 'open' },
      logger: log.logger,
    });
    const second = await inProcessServer({
      logger: log.logger,
      sameDatabaseAs: first,
      rateLimitStore: store,
    });
    try {
      await first.listen();
      await second.listen();
      assert.deepEqual(
        log.lines.filter((line) => JSON.parse(line).level >= 40),
        [],
      );
    } finally {
      await second.close();
      await first.close();
    }
  });
});
