// The Redis store part (`--redis store`): the shared counter alone, without HTTP, to see what each
// way of counting in Redis costs. Runs in a node process of its own, pinned to the load core
// (spawned by redis.ts through child.ts), and prints `RESULT {...}`.
//
// Each store makes `ops` counts at `concurrency` (workers awaiting one count after another) on one
// key per round, as the token endpoint counts one application; rounds interleaved (`roundOrder`),
// a warm-up of `warmupOps` counts per store first. Around each round, `INFO` (redis-stats.ts): commands per count, commands
// sent per Redis read (pipelining), Redis µs and CPU; after it, the counter's value against the
// counts made (lost counts show).
//
//   server store          the server's RedisWindowStore (dist/limits/redis-store.js) as `serve --redis`
//                         builds it: one Lua script run per count (INCR, PTTL, PEXPIRE on a new
//                         window), ioredis `defineCommand`, `enableAutoPipelining` on
//   same, no autopipelining   the very same script (dist/limits/redis-scripts.js HIT) on an ioredis
//                         client with auto-pipelining off: one socket write per count
//   rate-limiter-flexible RateLimiterRedis (its own Lua script: SET NX EX, INCRBY, PTTL) on an
//                         ioredis client with the server's options (auto-pipelining on)
//   hand-written          INCR, then PTTL (then PEXPIRE on a new window), each awaited: 2 round trips,
//                         not atomic (a crash between INCR and PEXPIRE leaves a counter that never expires)
//   rate-limiter-flexible non-atomic   RateLimiterRedisNonAtomic: GET+PTTL, then SET+PEXPIRE, as two
//                         MULTI round trips: concurrent counts overwrite each other
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RateLimiterRedis, RateLimiterRedisNonAtomic } from 'rate-limiter-flexible';
import { printResult } from '../child.js';
import type { RedisDelta, RedisStoreResult, RedisStoreRound, RedisStoreVariant } from '../results.js';
import { median, quantile, roundOrder } from '../stats.js';
import { isMain, REPO_DIR } from '../targets/common.js';
import {
  connectAdmin,
  delta,
  figures,
  type RedisClient,
  redisConstructor,
  scriptCalls,
  snapshot,
} from './redis-stats.js';

export interface StoreConfig {
  url: string;
  /** This run's key prefix; every key of this part starts with it. */
  prefix: string;
  ops: number;
  concurrency: number;
  rounds: number;
  warmupOps: number;
}

const WINDOW_SECONDS = 60;
const POINTS = 1e9;
const DIST_LIMITS = join(REPO_DIR, 'packages', 'server', 'dist', 'limits');

/** The slice of the server's RedisWindowStore used here. */
interface ServerStore {
  open(onBlock: (ip: string, msLeft: number) => void): Promise<void>;
  close(): Promise<void>;
  isReady(): boolean;
  hitApplication(application: { id: string; slot: number; serial: number }): Promise<unknown>;
}
type ServerStoreModule = {
  RedisWindowStore: new (options: {
    url: string;
    prefix: string;
    timeoutMs: number;
    requests: { points: number; durationSeconds: number };
    authFailures: { points: number; durationSeconds: number };
  }) => ServerStore;
};
type ScriptsModule = { HIT: string; HIT_ADDRESS: string; PEEK: string; BLOCKS: string };

/** One way of counting: how to count on the key of round `round`, and where that counter lives. */
interface Store {
  name: string;
  design: string;
  roundTrips: string;
  atomic: boolean;
  /** Commands its scripts call inside Redis (not sent by the client). */
  inScripts: Set<string>;
  hit(round: string): Promise<unknown>;
  counterKey(round: string): string;
  close(): Promise<void>;
}

/** Options of the server's command connection (redis-store.ts), for the clients built here. */
const SERVER_LIKE = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1000,
  enableAutoPipelining: true,
};

async function connect(url: string, autoPipelining: boolean): Promise<RedisClient> {
  const Redis = redisConstructor();
  const client = new Redis(url, { ...SERVER_LIKE, enableAutoPipelining: autoPipelining });
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function buildStores(config: StoreConfig): Promise<Store[]> {
  const { url, prefix } = config;
  const scripts = (await import(pathToFileURL(join(DIST_LIMITS, 'redis-scripts.js')).href)) as ScriptsModule;
  const { RedisWindowStore } = (await import(
    pathToFileURL(join(DIST_LIMITS, 'redis-store.js')).href
  )) as ServerStoreModule;
  const serverScripts = scriptCalls(scripts.HIT, scripts.HIT_ADDRESS, scripts.PEEK, scripts.BLOCKS);
  const stores: Store[] = [];

  const serverPrefix = `${prefix}store:server:`;
  const server = new RedisWindowStore({
    url,
    prefix: serverPrefix,
    timeoutMs: 1000,
    requests: { points: POINTS, durationSeconds: WINDOW_SECONDS },
    authFailures: { points: POINTS, durationSeconds: WINDOW_SECONDS },
  });
  await server.open(() => {});
  if (!server.isReady()) throw new Error(`the server's RedisWindowStore could not connect to ${url}`);
  stores.push({
    name: 'server store (Lua, auto-pipelined)',
    design: "the server's RedisWindowStore: one Lua script run per count (ioredis defineCommand)",
    roundTrips: '1',
    atomic: true,
    inScripts: serverScripts,
    hit: (round) => server.hitApplication({ id: round, slot: 0, serial: 1 }),
    counterKey: (round) => `${serverPrefix}app:${round}`,
    close: () => server.close(),
  });

  const plain = await connect(url, false);
  plain.defineCommand('benchHit', { lua: scripts.HIT, numberOfKeys: 1 });
  const plainHit = plain as unknown as { benchHit(key: string, ms: number): Promise<unknown> };
  const plainPrefix = `${prefix}store:plain:`;
  stores.push({
    name: 'same script, no auto-pipelining',
    design: "the server's HIT script on an ioredis client with enableAutoPipelining off",
    roundTrips: '1',
    atomic: true,
    inScripts: serverScripts,
    hit: (round) => plainHit.benchHit(`${plainPrefix}${round}`, WINDOW_SECONDS * 1000),
    counterKey: (round) => `${plainPrefix}${round}`,
    close: async () => plain.disconnect(),
  });

  const rlfClient = await connect(url, true);
  const rlfPrefix = `${prefix}store:rlf`;
  const rlf = new RateLimiterRedis({
    storeClient: rlfClient,
    points: POINTS,
    duration: WINDOW_SECONDS,
    keyPrefix: rlfPrefix,
  });
  const rlfScript = (rlf as unknown as { _incrTtlLuaScript?: string })._incrTtlLuaScript ?? '';
  stores.push({
    name: 'rate-limiter-flexible RateLimiterRedis',
    design: 'rate-limiter-flexible 11: its Lua script (SET NX EX, INCRBY, PTTL) per consume()',
    roundTrips: '1',
    atomic: true,
    inScripts: scriptCalls(rlfScript),
    hit: (round) => rlf.consume(round),
    counterKey: (round) => `${rlfPrefix}:${round}`,
    close: async () => rlfClient.disconnect(),
  });

  const manual = await connect(url, true);
  const manualPrefix = `${prefix}store:manual:`;
  stores.push({
    name: 'hand-written round trips',
    design: 'INCR, then PTTL, then PEXPIRE on a new window, each awaited (auto-pipelined client)',
    roundTrips: '2 (3 on a new window)',
    atomic: false,
    inScripts: new Set(),
    hit: async (round) => {
      const key = `${manualPrefix}${round}`;
      const count = await manual.incr(key);
      let ttl = await manual.pttl(key);
      if (ttl < 0) {
        await manual.pexpire(key, WINDOW_SECONDS * 1000);
        ttl = WINDOW_SECONDS * 1000;
      }
      return [count, ttl];
    },
    counterKey: (round) => `${manualPrefix}${round}`,
    close: async () => manual.disconnect(),
  });

  const naClient = await connect(url, true);
  const naPrefix = `${prefix}store:rlfna`;
  const nonAtomic = new RateLimiterRedisNonAtomic({
    storeClient: naClient,
    points: POINTS,
    duration: WINDOW_SECONDS,
    keyPrefix: naPrefix,
  });
  stores.push({
    name: 'rate-limiter-flexible RateLimiterRedisNonAtomic',
    design: 'rate-limiter-flexible 11: MULTI GET+PTTL, then MULTI SET+PEXPIRE (read, then write)',
    roundTrips: '2',
    atomic: false,
    inScripts: new Set(),
    hit: (round) => nonAtomic.consume(round),
    counterKey: (round) => `${naPrefix}:${round}`,
    close: async () => naClient.disconnect(),
  });
  return stores;
}

/** `ops` counts on one key by `concurrency` workers; per-count latencies in ms. */
async function hammer(store: Store, round: string, ops: number, concurrency: number) {
  const latencies = new Float64Array(ops);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < ops; i = next++) {
      const started = performance.now();
      await store.hit(round);
      latencies[i] = performance.now() - started;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, ops) }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  const sorted = Array.from(latencies);
  return { opsPerSec: ops / elapsedS, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), elapsedS };
}

/** The counter's value (rate-limiter-flexible keeps consumed points as the value too). */
async function counted(admin: RedisClient, key: string): Promise<number> {
  return Number((await admin.get(key)) ?? 0);
}

export async function benchStores(config: StoreConfig): Promise<RedisStoreResult> {
  const admin = await connectAdmin(config.url);
  const result: RedisStoreResult = {
    status: 'ok',
    ops: config.ops,
    concurrency: config.concurrency,
    rounds: config.rounds,
    variants: [],
  };
  let stores: Store[] = [];
  try {
    stores = await buildStores(config);
    const rounds = new Map<Store, RedisStoreRound[]>(stores.map((s) => [s, []]));
    for (const store of stores) await hammer(store, 'warmup', config.warmupOps, config.concurrency);
    for (let round = 0; round < config.rounds; round++) {
      for (const store of roundOrder(stores, round)) {
        const key = `r${round}`;
        const before = await snapshot(admin);
        const measured = await hammer(store, key, config.ops, config.concurrency);
        const after = await snapshot(admin);
        const d: RedisDelta = { ...delta(before, after), wallS: measured.elapsedS };
        const value = await counted(admin, store.counterKey(key));
        rounds.get(store)!.push({
          opsPerSec: measured.opsPerSec,
          p50Ms: measured.p50Ms,
          p99Ms: measured.p99Ms,
          counted: value / config.ops,
          delta: d,
        });
        process.stderr.write(
          `   ${store.name}: round ${round + 1}/${config.rounds}: ${Math.round(measured.opsPerSec)} counts/s, ` +
            `p99 ${measured.p99Ms.toFixed(2)} ms, counted ${value}/${config.ops}\n`,
        );
      }
    }
    const base = rounds.get(stores[0]!)!;
    for (const store of stores) {
      const own = rounds.get(store)!;
      const busyS = own.reduce((s, r) => s + r.delta.wallS, 0);
      const variant: RedisStoreVariant = {
        name: store.name,
        design: store.design,
        roundTrips: store.roundTrips,
        atomic: store.atomic,
        rounds: own,
        opsPerSec: median(own.map((r) => r.opsPerSec)),
        p50Ms: median(own.map((r) => r.p50Ms)),
        p99Ms: median(own.map((r) => r.p99Ms)),
        counted: Math.min(...own.map((r) => r.counted)),
        perOp: figures(
          own.map((r) => r.delta),
          config.ops * own.length,
          store.inScripts,
          busyS,
        ),
        vsServerStore: median(own.map((r, i) => r.opsPerSec / base[i]!.opsPerSec)),
      };
      result.variants.push(variant);
    }
  } finally {
    for (const store of stores) await store.close().catch(() => {});
    admin.disconnect();
  }
  return result;
}

if (isMain(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: redis-store.ts <config.json>');
  const config = JSON.parse(readFileSync(file, 'utf8')) as StoreConfig;
  printResult(await benchStores(config));
  // ioredis sockets of a failed store may linger: this process has said what it had to.
  process.exit(0);
}
