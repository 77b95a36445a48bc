// The Redis scenario (`--redis tokens,store`): what counting the rate limits in Redis costs.
//
//   tokens  POST /oauth/token req/s and p99 at --connections: ours with `--redis <url>` against the
//           same build counting in process memory, both `--workers 1`, pinned like `ours`, rounds
//           interleaved. Judged: redis / in-process req/s ≥ 85%, p99 ≤ 1.5×. Around every measured
//           run, Redis's own `INFO`: commands per token request (per command), commands sent per
//           Redis read (does auto-pipelining batch?), Redis CPU. The in-process side's runs are the
//           control: Redis must see nothing then.
//   store   the shared store alone (redis-store.ts, a process of its own on the load core): the
//           server's Lua store against rate-limiter-flexible, the same script without
//           auto-pipelining, and hand-written round trips; counts/s, commands per count, atomicity.
//
// Every key is under a random per-run prefix (`smscx-bench-<hex>:`), given to the server as
// `--redis-prefix`; all are deleted at the end (SCAN + DEL), also when a part fails.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runForResult } from '../child.js';
import {
  type BenchConfig,
  p99Ratio,
  type RedisDelta,
  type RedisResult,
  type RedisStoreResult,
  type RedisTokensResult,
  throughputRatio,
} from '../results.js';
import { seedApplications } from '../seed.js';
import { sum } from '../stats.js';
import { BENCH_DIR, checkToken, REPO_DIR, type StartOptions } from '../targets/common.js';
import { startOursOn, waitForBuild } from '../targets/ours.js';
import { type Contender, contenderRow, loadInterleaved } from './interleaved.js';
import { runPart } from './part.js';
import { redact } from './postgres.js';
import {
  connectAdmin,
  deleteKeys,
  delta,
  figures,
  keysUnder,
  type RedisClient,
  redisVersion,
  scriptCalls,
  snapshot,
  totalCalls,
} from './redis-stats.js';
import type { StoreConfig } from './redis-store.js';

export const REDIS_PARTS = ['tokens', 'store'] as const;
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_REDIS_STORE_OPS = 20_000;
/**
 * Fewest rounds of the store part: a round of 20,000 counts lasts ~0.3 s, and a burst of the VM's
 * neighbours moves one that short by a third; the median of 5 holds where the median of 3 did not.
 */
export const MIN_STORE_ROUNDS = 5;

const STORE_SCRIPT = join(BENCH_DIR, 'src', 'scenarios', 'redis-store.ts');

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const loud = (msg: string) => log(`\n!!!!!!!! ${msg}\n`);

export interface RedisOptions {
  /** The Redis server (`redis://host:port[/db]`). */
  url: string;
  config: BenchConfig;
  start: StartOptions;
}

interface Context extends RedisOptions {
  admin: RedisClient;
  /** Every key of this run starts with it. */
  prefix: string;
  dir: string;
}

/** Runs the parts named in `config.redis` and deletes every key this run wrote. */
export async function benchRedis(opts: RedisOptions): Promise<RedisResult> {
  const { config, url } = opts;
  const parts = config.redis ?? [];
  log(`\n== redis: ${parts.join(', ')} on ${redact(url)}`);
  // Random per run: runs against the same Redis (developers, CI, the smoke test) never meet.
  const prefix = `smscx-bench-${randomBytes(4).toString('hex')}:`;
  const result: RedisResult = { url: redact(url), prefix, keysDeleted: true };
  let admin: RedisClient | undefined;
  try {
    await waitForBuild();
    admin = await connectAdmin(url);
    const version = await redisVersion(admin);
    if (version !== undefined) result.redisVersion = version;
    const ctx: Context = { ...opts, admin, prefix, dir: mkdtempSync(join(opts.start.tmpDir, 'redis-')) };
    try {
      if (parts.includes('tokens')) result.tokens = await benchTokens(ctx);
      if (parts.includes('store')) result.store = await benchStore(ctx);
    } finally {
      try {
        const { deleted, left } = await deleteKeys(admin, prefix);
        result.keysDeletedCount = deleted;
        result.keysDeleted = left === 0;
        if (left > 0) loud(`redis: ${left} keys under ${prefix} left behind`);
        else log(`   redis: ${deleted} keys under ${prefix} deleted`);
      } catch (err) {
        result.keysDeleted = false;
        loud(`redis: could not delete the keys under ${prefix}: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    result.error = (err as Error).message;
    loud(`redis scenario: ${result.error}`);
  } finally {
    admin?.disconnect();
  }
  return result;
}

/** Whether the scenario failed anywhere: the whole of it, a part, or leaving keys behind. */
export function redisFailed(result: RedisResult): boolean {
  const parts = [result.tokens, result.store];
  return result.error !== undefined || !result.keysDeleted || parts.some((p) => p?.status === 'failed');
}

// ---------------------------------------------------------------------------------------------
// tokens: --redis vs the in-process limiter, interleaved rounds

/** One server of the comparison, with what Redis did during each of its measured runs. */
interface Side extends Contender {
  deltas: RedisDelta[];
}

async function benchTokens(ctx: Context): Promise<RedisTokensResult> {
  const { config, start, admin, prefix } = ctx;
  log(`\n== redis tokens: ours --redis vs ours with the in-process limiter, c=${config.connections}`);
  const initial: RedisTokensResult = { status: 'ok', prefix, redisRuns: [], memoryRuns: [] };
  return runPart('redis tokens', initial, async (r) => {
    const setups = [
      {
        name: 'ours --redis',
        db: join(ctx.dir, 'redis.db'),
        args: ['--redis', ctx.url, '--redis-prefix', prefix],
      },
      { name: 'ours in-process limiter', db: join(ctx.dir, 'memory.db'), args: [] },
    ];
    const sides: Side[] = [];
    try {
      for (const { name, db, args } of setups) {
        // As the `ours` target: one application created with the shipped CLI, one database each.
        const credentials = await seedApplications(db, 1);
        const server = await startOursOn(db, credentials, start, 1, args);
        sides.push({ name, server, credentials, runs: [], deltas: [] });
        await checkToken(server.url, credentials[0]!);
        log(`   ${name}: ready after ${Math.round(server.startupMs)} ms, token check 200`);
      }
      // The token check was counted: in Redis, under this run's prefix, for the --redis side.
      const counters = await keysUnder(admin, `${prefix}app:`);
      if (counters.length === 0)
        throw new Error(`ours --redis counted its token check nowhere under ${prefix}app: in Redis`);
      // Redis's INFO around each measured run (the warm-up apart): what the measured requests cost.
      await loadInterleaved([sides], {
        config,
        start,
        around: async (side, measured) => {
          const before = await snapshot(admin);
          const run = await measured();
          side.deltas.push(delta(before, await snapshot(admin)));
          return run;
        },
      });
    } finally {
      for (const side of sides) await side.server.stop();
    }
    const [withRedis, inMemory] = sides as [Side, Side];
    const redisRow = contenderRow(withRedis, config.connections);
    const memoryRow = contenderRow(inMemory, config.connections);
    const { HIT, HIT_UNLESS_BLOCKED, HIT_ADDRESS, PEEK, BLOCKS } = await serverScripts();
    const ok2xx = sum(withRedis.runs.map((run) => run.ok2xx));
    const busyS = sum(withRedis.runs.map((run) => run.durationS));
    const perRequest = figures(
      withRedis.deltas,
      ok2xx,
      scriptCalls(HIT, HIT_UNLESS_BLOCKED, HIT_ADDRESS, PEEK, BLOCKS),
      busyS,
    );
    Object.assign(r, {
      redis: redisRow,
      memory: memoryRow,
      ratio: throughputRatio(redisRow, memoryRow),
      p99Ratio: p99Ratio(redisRow, memoryRow),
      redisRuns: withRedis.deltas,
      memoryRuns: inMemory.deltas,
      perRequest,
      memoryCommands: sum(inMemory.deltas.map(totalCalls)),
    });
    // A request the server could not count in Redis in time (--redis-timeout) is counted in memory
    // (--redis-failure open) and answered 200 all the same: fewer script runs than tokens says so.
    if (perRequest.scriptRuns < 0.99)
      loud(
        `ours --redis: ${perRequest.scriptRuns.toFixed(3)} script runs per token: some requests were ` +
          'counted in memory, not in Redis (timeouts?)',
      );
    if ((r.memoryCommands ?? 0) > 0)
      loud(`redis: ${r.memoryCommands} commands during the in-process runs: something else uses this Redis`);
    log(
      `   redis / in-process: req/s ${((r.ratio ?? Number.NaN) * 100).toFixed(1)}%, p99 ` +
        `${(r.p99Ratio ?? Number.NaN).toFixed(2)}×; ${perRequest.commands.toFixed(2)} Redis commands ` +
        `(${perRequest.sent.toFixed(2)} sent) per token request`,
    );
  });
}

type ServerScripts = Record<'HIT' | 'HIT_UNLESS_BLOCKED' | 'HIT_ADDRESS' | 'PEEK' | 'BLOCKS', string>;

/** The server's Lua scripts, as built (their `redis.call`s are what runs inside Redis). */
async function serverScripts(): Promise<ServerScripts> {
  const file = join(REPO_DIR, 'packages', 'server', 'dist', 'limits', 'redis-scripts.js');
  return (await import(pathToFileURL(file).href)) as ServerScripts;
}

// ---------------------------------------------------------------------------------------------
// store: the counters alone, in a process of its own on the load core

async function benchStore(ctx: Context): Promise<RedisStoreResult> {
  const { config, start } = ctx;
  const ops = config.redisStoreOps ?? DEFAULT_REDIS_STORE_OPS;
  const rounds = Math.max(config.runs, MIN_STORE_ROUNDS);
  log(`\n== redis store: ${ops} counts × ${rounds} rounds per store at concurrency ${config.connections}`);
  const initial: RedisStoreResult = {
    status: 'ok',
    ops,
    concurrency: config.connections,
    rounds,
    variants: [],
  };
  return runPart('redis store', initial, async (r) => {
    const storeConfig: StoreConfig = {
      url: ctx.url,
      prefix: ctx.prefix,
      ops,
      concurrency: config.connections,
      rounds,
      warmupOps: Math.min(ops, 10_000),
    };
    // The URL may hold a password: a file, not argv.
    const dir = mkdtempSync(join(ctx.dir, 'store-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify(storeConfig), { mode: 0o600 });
    try {
      const cpu = start.taskset ? config.loadCpu : undefined;
      Object.assign(r, (await runForResult(STORE_SCRIPT, [file], cpu, start.taskset)) as RedisStoreResult);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    for (const v of r.variants) {
      if (v.atomic && (v.counted ?? 0) < 1)
        throw new Error(`${v.name} lost counts (${v.counted}) though it counts atomically`);
    }
  });
}
