// CLI entry of the benchmark: `npm run bench -- [flags]` (flags also readable from BENCH_* env vars).
//
//   --targets ceiling,ours,oidc-provider,oauth2-server   load targets (BENCH_TARGETS)
//   --duration 10          seconds per measured run (BENCH_DURATION)
//   --runs 3               measured runs per cell; the median is reported (BENCH_RUNS)
//   --warmup 3             seconds of warm-up before the runs (BENCH_WARMUP)
//   --connections 50       the main concurrency, every target (BENCH_CONNECTIONS)
//   --extra-connections 10,200   more concurrencies for ours and the best peer; "none" to skip
//   --scale 10,10000,100000      application counts for the scale scenario; "none" to skip (BENCH_SCALE)
//   --workers 1,2          `serve --workers N` counts for the workers scenario, unpinned; "none" to skip (BENCH_WORKERS)
//   --scale-rounds 9       rounds of the scale scenario, sharing runs × duration (BENCH_SCALE_ROUNDS)
//   --startup-samples 3    server starts timed per scale point (BENCH_STARTUP_SAMPLES)
//   --postgres tokens,startup,delete   parts of the PostgreSQL scenario; "none" to skip (BENCH_POSTGRES)
//   --postgres-url postgres://postgres@127.0.0.1:5432/test   its server; own schemas, dropped (BENCH_POSTGRES_URL)
//   --postgres-apps 100000 applications for its startup part (BENCH_POSTGRES_APPS)
//   --postgres-deletes 20  timed `apps delete` runs (BENCH_POSTGRES_DELETES)
//   --redis tokens,store   parts of the Redis scenario; "none" to skip (BENCH_REDIS)
//   --redis-url redis://127.0.0.1:6379   its server; keys under a per-run prefix, deleted (BENCH_REDIS_URL)
//   --redis-store-ops 20000   counts per store and round in its store part (BENCH_REDIS_STORE_OPS)
//   --algorithms EdDSA,ES256,RS256   ours vs the ceiling, both signing with each; "none" to skip (BENCH_ALGORITHMS)
//   --micro verifier,sdk   micro-benchmarks; "none" to skip (BENCH_MICRO)
//   --out bench/results    where latest.{md,json,svg} go (BENCH_OUT)
//   --server-cpu 0 --load-cpu 1   taskset pinning; --no-pin to disable (BENCH_NO_PIN=1)
//   --note "text"          a note printed at the top of the report, repeatable (BENCH_NOTE)
//   --help                 print this list
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type RunResult, runLoad } from './load.js';
import { describeMachine, readRss } from './machine.js';
import { runMicroInFreshProcess } from './micro/fresh-process.js';
import type { MicroSection } from './micro/harness.js';
import { renderJson } from './report/json.js';
import { renderMarkdown } from './report/markdown.js';
import { renderSvg } from './report/svg.js';
import {
  type BenchConfig,
  type BenchResults,
  computeChecks,
  type ScaleResult,
  scaleRoundSeconds,
  type TargetResult,
  toRow,
  type WorkersResult,
} from './results.js';
import { benchAlgorithms } from './scenarios/algorithms.js';
import { benchPostgres, DEFAULT_POSTGRES_URL, POSTGRES_PARTS, postgresFailed } from './scenarios/postgres.js';
import {
  benchRedis,
  DEFAULT_REDIS_STORE_OPS,
  DEFAULT_REDIS_URL,
  REDIS_PARTS,
  redisFailed,
} from './scenarios/redis.js';
import { seedApplications } from './seed.js';
import { median, roundOrder } from './stats.js';
import { startCeiling } from './targets/ceiling.js';
import {
  BENCH_DIR,
  checkToken,
  isMain,
  type RunningTarget,
  type StartOptions,
  TARGET_NAMES,
  type TargetName,
} from './targets/common.js';
import { ALGORITHMS, isAlgorithm } from './targets/jwt.js';
import { startOauth2Server } from './targets/oauth2-server.js';
import { startOidcProvider } from './targets/oidc-provider.js';
import { startOurs, startOursOn, waitForBuild } from './targets/ours.js';

export { roundOrder };

const STARTERS: Record<TargetName, (opts: StartOptions) => Promise<RunningTarget>> = {
  ceiling: startCeiling,
  ours: startOurs,
  'oidc-provider': startOidcProvider,
  'oauth2-server': startOauth2Server,
};
const PEERS: readonly TargetName[] = ['oidc-provider', 'oauth2-server'];

const log = (msg: string) => process.stderr.write(`${msg}\n`);
const loud = (msg: string) => log(`\n!!!!!!!! ${msg}\n`);

function list(value: string | undefined, fallback: string): string[] {
  const v = (value ?? fallback).trim();
  if (v === '' || v === 'none') return [];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function num(value: string | undefined, name: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number, got ${value}`);
  return n;
}

/**
 * The root script `npm run bench --workspace bench` has no trailing `--`, so `npm run bench -- --duration 2`
 * at the repository root makes npm swallow the flags as its own config and pass only their values.
 * Say so instead of guessing.
 */
function rejectPositionals(positionals: string[]): void {
  if (positionals.length === 0) return;
  throw new Error(
    `unexpected arguments: ${positionals.join(' ')}\n` +
      'If you ran `npm run bench -- --flag value` at the repository root, npm swallowed the flags. Use\n' +
      '  npm run bench -w bench -- --duration 2 ...   or   BENCH_DURATION=2 npm run bench',
  );
}

const HELP = `Usage: npm run bench -- [flags]   (every flag also as a BENCH_* environment variable)

  --targets ceiling,ours,oidc-provider,oauth2-server   load targets; "none" for none
  --duration 10                 seconds per measured run
  --runs 3                      measured runs per cell (the median is reported)
  --warmup 3                    warm-up seconds before a target's first run (0 = none)
  --connections 50              the main concurrency
  --extra-connections 10,200    more concurrencies for ours and the best peer; "none"
  --scale 10,10000,100000       application counts for the scale scenario; "none"
  --workers 1,2                 serve --workers N for the workers scenario (unpinned); "none"
  --scale-rounds 9              scale rounds (default 3 × runs), each runs × duration / rounds long (≥ 1 s)
  --startup-samples 3           timed server starts per scale point
  --postgres tokens,startup,delete   PostgreSQL scenario: ours on PostgreSQL vs SQLite req/s, startup
                                with --postgres-apps applications, apps delete with 2 instances × 2 workers; "none"
  --postgres-url postgres://postgres@127.0.0.1:5432/test   the PostgreSQL server (own schemas, dropped at the end)
  --postgres-apps 100000        applications for the PostgreSQL startup part
  --postgres-deletes 20         timed apps delete runs (each beside a timed apps list)
  --redis tokens,store          Redis scenario: ours with --redis vs the in-process limiter (req/s, p99,
                                Redis commands per token request), and the shared store alone against
                                rate-limiter-flexible and hand-written round trips; "none"
  --redis-url redis://127.0.0.1:6379   the Redis server (keys under a per-run prefix, deleted at the end)
  --redis-store-ops 20000       counts per store and round in the Redis store part
  --algorithms EdDSA,ES256,RS256   ours against the ceiling, both signing with each algorithm
                                (req/s, p99, interleaved); "none"
  --micro verifier,sdk          micro-benchmarks (the verifier: each algorithm); "none"
  --out bench/results           where latest.{md,json,svg} are written
  --server-cpu 0 --load-cpu 1   taskset cores; --no-pin to disable pinning
  --note "text"                 a note at the top of the report (repeatable)

A short run of our server against the ceiling, written outside the committed results:
  npm run bench -- --targets ceiling,ours --duration 5 --runs 3 --extra-connections none \\
    --scale none --workers none --postgres none --redis none --algorithms none --micro none --out /tmp/bench

The Redis scenario alone, short:
  npm run bench -w bench -- --targets none --scale none --workers none --postgres none --micro none \\
    --algorithms none --duration 5 --runs 3 --out /tmp/bench-redis

The signing algorithms alone (token endpoint and verifier):
  npm run bench -w bench -- --targets none --scale none --workers none --postgres none --redis none \\
    --micro verifier --out /tmp/bench-algorithms
`;

export interface CliOptions {
  config: BenchConfig;
  outDir: string;
  pin: boolean;
  /** Free-text notes for the report (`--note`, repeatable), e.g. what else ran on the machine. */
  notes: string[];
  /** The PostgreSQL server of the PostgreSQL scenario (kept out of the config: it may hold a password). */
  postgresUrl: string;
  /** The Redis server of the Redis scenario (kept out of the config, likewise). */
  redisUrl: string;
}

export function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): CliOptions {
  const parsed = parseArgs({
    args: argv,
    options: {
      targets: { type: 'string' },
      duration: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'extra-connections': { type: 'string' },
      scale: { type: 'string' },
      'scale-rounds': { type: 'string' },
      'startup-samples': { type: 'string' },
      micro: { type: 'string' },
      out: { type: 'string' },
      'server-cpu': { type: 'string' },
      'load-cpu': { type: 'string' },
      'no-pin': { type: 'boolean' },
      workers: { type: 'string' },
      postgres: { type: 'string' },
      'postgres-url': { type: 'string' },
      'postgres-apps': { type: 'string' },
      'postgres-deletes': { type: 'string' },
      redis: { type: 'string' },
      'redis-url': { type: 'string' },
      'redis-store-ops': { type: 'string' },
      algorithms: { type: 'string' },
      note: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: true,
  });
  rejectPositionals(parsed.positionals);
  const { values } = parsed;
  if (values.help === true) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const targets = list(values.targets ?? env.BENCH_TARGETS, TARGET_NAMES.join(','));
  for (const t of targets) {
    if (!TARGET_NAMES.includes(t as TargetName))
      throw new Error(`unknown target ${t} (known: ${TARGET_NAMES.join(', ')})`);
  }
  const micro = list(values.micro ?? env.BENCH_MICRO, 'verifier,sdk');
  for (const m of micro) if (m !== 'verifier' && m !== 'sdk') throw new Error(`unknown micro-benchmark ${m}`);
  const postgres = list(values.postgres ?? env.BENCH_POSTGRES, POSTGRES_PARTS.join(','));
  for (const p of postgres) {
    if (!(POSTGRES_PARTS as readonly string[]).includes(p))
      throw new Error(`unknown postgres part ${p} (known: ${POSTGRES_PARTS.join(', ')})`);
  }
  const redis = list(values.redis ?? env.BENCH_REDIS, REDIS_PARTS.join(','));
  for (const p of redis) {
    if (!(REDIS_PARTS as readonly string[]).includes(p))
      throw new Error(`unknown redis part ${p} (known: ${REDIS_PARTS.join(', ')})`);
  }
  const algorithms = list(values.algorithms ?? env.BENCH_ALGORITHMS, ALGORITHMS.join(','));
  for (const a of algorithms) {
    if (!isAlgorithm(a)) throw new Error(`unknown algorithm ${a} (known: ${ALGORITHMS.join(', ')})`);
  }
  const pin = !(values['no-pin'] ?? (env.BENCH_NO_PIN === '1' || env.BENCH_NO_PIN === 'true'));
  const runs = Math.max(1, Math.round(num(values.runs ?? env.BENCH_RUNS ?? '3', 'runs')));
  const config: BenchConfig = {
    // Fixed order so ratios and reports read the same every time.
    targets: TARGET_NAMES.filter((t) => targets.includes(t)),
    duration: num(values.duration ?? env.BENCH_DURATION ?? '10', 'duration'),
    runs,
    warmup: num(values.warmup ?? env.BENCH_WARMUP ?? '3', 'warmup'),
    connections: Math.max(
      1,
      Math.round(num(values.connections ?? env.BENCH_CONNECTIONS ?? '50', 'connections')),
    ),
    extraConnections: list(values['extra-connections'] ?? env.BENCH_EXTRA_CONNECTIONS, '10,200').map((c) =>
      Math.round(num(c, 'extra-connections')),
    ),
    scale: list(values.scale ?? env.BENCH_SCALE, '10,10000,100000').map((n) => Math.round(num(n, 'scale'))),
    workers: list(values.workers ?? env.BENCH_WORKERS, '1,2').map((n) =>
      Math.max(1, Math.round(num(n, 'workers'))),
    ),
    scaleRounds: Math.max(
      1,
      Math.round(num(values['scale-rounds'] ?? env.BENCH_SCALE_ROUNDS ?? String(3 * runs), 'scale-rounds')),
    ),
    startupSamples: Math.max(
      1,
      Math.round(num(values['startup-samples'] ?? env.BENCH_STARTUP_SAMPLES ?? '3', 'startup-samples')),
    ),
    // Fixed order, as for the targets.
    postgres: POSTGRES_PARTS.filter((p) => postgres.includes(p)),
    postgresApps: Math.max(
      1,
      Math.round(num(values['postgres-apps'] ?? env.BENCH_POSTGRES_APPS ?? '100000', 'postgres-apps')),
    ),
    postgresDeletes: Math.max(
      1,
      Math.round(num(values['postgres-deletes'] ?? env.BENCH_POSTGRES_DELETES ?? '20', 'postgres-deletes')),
    ),
    // Fixed order, as for the targets.
    redis: REDIS_PARTS.filter((p) => redis.includes(p)),
    redisStoreOps: Math.max(
      1,
      Math.round(
        num(
          values['redis-store-ops'] ?? env.BENCH_REDIS_STORE_OPS ?? String(DEFAULT_REDIS_STORE_OPS),
          'redis-store-ops',
        ),
      ),
    ),
    // Fixed order, as for the targets.
    algorithms: ALGORITHMS.filter((a) => algorithms.includes(a)),
    micro,
    serverCpu: undefined,
    loadCpu: undefined,
  };
  if (pin) {
    config.serverCpu = num(values['server-cpu'] ?? env.BENCH_SERVER_CPU ?? '0', 'server-cpu');
    config.loadCpu = num(values['load-cpu'] ?? env.BENCH_LOAD_CPU ?? '1', 'load-cpu');
  }
  const outDir = resolve(values.out ?? env.BENCH_OUT ?? join(BENCH_DIR, 'results'));
  const notes = values.note ?? (env.BENCH_NOTE ? [env.BENCH_NOTE] : []);
  const postgresUrl = values['postgres-url'] ?? env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;
  const redisUrl = values['redis-url'] ?? env.BENCH_REDIS_URL ?? DEFAULT_REDIS_URL;
  return { config, outDir, pin, notes, postgresUrl, redisUrl };
}

interface Live {
  result: TargetResult;
  server: RunningTarget;
}

/** Starts one target and proves it issues real tokens; a failure is recorded loudly, not thrown. */
async function startTarget(name: TargetName, start: StartOptions): Promise<Live | TargetResult> {
  log(`\n== ${name}`);
  let server: RunningTarget | undefined;
  try {
    server = await STARTERS[name](start);
    log(`   pid ${server.pid}, ${server.url}, ready after ${Math.round(server.startupMs)} ms`);
    const tokenCheck = await checkToken(server.url, server.credentials[0]!);
    log(`   token check: 200, ${tokenCheck.jwtAlg} ${tokenCheck.jwtTyp ?? ''} JWT`);
    return {
      server,
      result: { target: name, status: 'ok', tokenCheck, startupMs: server.startupMs, rows: [] },
    };
  } catch (err) {
    await server?.stop();
    const error = (err as Error).message;
    loud(`${name}: ABORTED, not benchmarked: ${error}`);
    return { target: name, status: 'failed', error, rows: [] };
  }
}

/**
 * Measures every live target at `connections` in interleaved rounds: round r runs each target once,
 * so a burst of foreign load on the machine hits every target alike instead of one target's runs.
 * The warm-up happens before each target's first run.
 */
async function measureRounds(lives: Live[], connections: number, config: BenchConfig, start: StartOptions) {
  const runs = new Map<Live, RunResult[]>(lives.map((l) => [l, []]));
  for (let round = 0; round < config.runs; round++) {
    for (const live of roundOrder(lives, round)) {
      log(
        `   ${live.result.target} c=${connections}: run ${round + 1}/${config.runs}` +
          `${round === 0 && config.warmup > 0 ? ` after ${config.warmup} s warm-up` : ''}`,
      );
      try {
        const [run] = await runLoad({
          url: live.server.url,
          connections,
          duration: config.duration,
          runs: 1,
          warmup: round === 0 ? config.warmup : 0,
          credentials: live.server.credentials,
          serverPid: live.server.pid,
          cpu: config.loadCpu,
          taskset: start.taskset,
        });
        runs.get(live)!.push(run!);
      } catch (err) {
        loud(`${live.result.target} c=${connections}: load run failed: ${(err as Error).message}`);
      }
    }
  }
  for (const live of lives) {
    const measured = runs.get(live)!;
    if (measured.length === 0) {
      live.result.status = 'failed';
      live.result.error = `every load run at c=${connections} failed`;
      continue;
    }
    const row = toRow(live.result.target, connections, 1, measured);
    if (row.non2xx > 0 || row.errors > 0) {
      loud(
        `${row.target} c=${connections}: ${row.non2xx} non-2xx answers and ${row.errors} errors — ` +
          'these req/s are not all tokens',
      );
    }
    live.result.rows.push(row);
  }
}

/** One scale point being measured: its result so far and, once started, its running server. */
interface ScalePoint {
  result: ScaleResult;
  credentials: Awaited<ReturnType<typeof seedApplications>>;
  target?: RunningTarget | undefined;
  runs: RunResult[];
}

/**
 * Ours with 10, 10,000, 100,000 ... registered applications. Every point is seeded and started
 * first (startups timed), then all are loaded in interleaved rounds, like the targets above, so a
 * slow moment of a shared machine hits every size alike; the servers idle between their runs.
 */
async function benchScale(config: BenchConfig, start: StartOptions): Promise<ScaleResult[]> {
  const points: ScalePoint[] = [];
  try {
    for (const apps of config.scale) {
      const point = await prepareScalePoint(apps, config, start);
      if (point !== undefined) points.push(point);
    }
    const live = () => points.filter((p) => p.target !== undefined);
    // The same load time as the targets get (runs × duration per point), in more, shorter rounds:
    // the spread is a ratio of a few percent between servers that idle in turn, and the median of
    // 9 per-round ratios holds against the VM's bursts far better than the median of 3.
    const rounds = config.scaleRounds;
    const duration = scaleRoundSeconds(config);
    for (let round = 0; round < rounds; round++) {
      for (const point of roundOrder(live(), round)) {
        const { apps } = point.result;
        log(`   scale ${apps}: run ${round + 1}/${rounds}`);
        try {
          const [run] = await runLoad({
            url: point.target!.url,
            connections: config.connections,
            duration,
            runs: 1,
            warmup: round === 0 ? config.warmup : 0,
            credentials: point.credentials,
            serverPid: point.target!.pid,
            cpu: config.loadCpu,
            taskset: start.taskset,
          });
          point.runs.push(run!);
        } catch (err) {
          loud(`scale ${apps}: load run failed: ${(err as Error).message}`);
        }
      }
    }
    for (const point of live()) {
      const { result } = point;
      if (point.runs.length === 0) {
        Object.assign(result, { status: 'failed', error: 'every load run failed' });
        continue;
      }
      result.row = toRow('ours', config.connections, result.apps, point.runs);
      if (result.row.non2xx > 0) loud(`scale ${result.apps}: ${result.row.non2xx} non-2xx answers`);
      const rss = readRss(point.target!.pid);
      if (rss) result.rssMiB = rss.rssMiB;
    }
  } finally {
    for (const point of points) await point.target?.stop();
  }
  return config.scale.map(
    (apps) =>
      points.find((p) => p.result.apps === apps)?.result ?? {
        apps,
        status: 'skipped',
        error: 'not prepared',
      },
  );
}

/** Seeds `apps` applications and times `--startup-samples` starts; the last server keeps running. */
async function prepareScalePoint(
  apps: number,
  config: BenchConfig,
  start: StartOptions,
): Promise<ScalePoint | undefined> {
  log(`\n== scale: ours with ${apps} applications`);
  try {
    await waitForBuild();
  } catch (err) {
    loud(`scale ${apps}: skipped: ${(err as Error).message}`);
    return { result: { apps, status: 'skipped', error: (err as Error).message }, credentials: [], runs: [] };
  }
  const dbPath = join(start.tmpDir, `scale-${apps}.db`);
  const seedStart = performance.now();
  let credentials: Awaited<ReturnType<typeof seedApplications>>;
  try {
    credentials = await seedApplications(dbPath, apps);
  } catch (err) {
    const error = (err as Error).message;
    loud(`scale ${apps}: skipped, could not seed: ${error}`);
    return { result: { apps, status: 'skipped', error }, credentials: [], runs: [] };
  }
  const point: ScalePoint = {
    result: { apps, status: 'ok', seedMs: performance.now() - seedStart, startupSamples: [] },
    credentials,
    runs: [],
  };
  try {
    for (let i = 0; i < config.startupSamples; i++) {
      await point.target?.stop();
      point.target = await startOursOn(dbPath, credentials, start);
      point.result.startupSamples!.push(point.target.startupMs);
    }
    point.result.startupMs = median(point.result.startupSamples!);
    log(`   startup ${point.result.startupSamples!.map(Math.round).join(', ')} ms`);
    await checkToken(point.target!.url, credentials[0]!);
    await checkToken(point.target!.url, credentials[credentials.length - 1]!);
  } catch (err) {
    const error = (err as Error).message;
    loud(`scale ${apps}: ABORTED: ${error}`);
    await point.target?.stop();
    point.target = undefined;
    Object.assign(point.result, { status: 'failed', error });
  }
  return point;
}

/**
 * Ours with 1, 2, ... worker processes (`serve --workers N`) on one database, measured in interleaved
 * rounds. Unpinned: the point is to let N workers use the machine's cores, which the load generator
 * then shares (the report says so).
 */
async function benchWorkers(config: BenchConfig, start: StartOptions): Promise<WorkersResult[]> {
  log(`\n== workers: ours with --workers ${config.workers.join(', ')} (server and load generator unpinned)`);
  const results: WorkersResult[] = config.workers.map((workers) => ({ workers, status: 'ok' }));
  const live: { result: WorkersResult; server: RunningTarget; runs: RunResult[] }[] = [];
  try {
    await waitForBuild();
    const dbPath = join(start.tmpDir, 'workers.db');
    const credentials = await seedApplications(dbPath, 1);
    const unpinned: StartOptions = { ...start, cpu: undefined };
    for (const result of results) {
      try {
        const server = await startOursOn(dbPath, credentials, unpinned, result.workers);
        live.push({ result, server, runs: [] });
        result.startupMs = server.startupMs;
        await checkToken(server.url, credentials[0]!);
        log(
          `   --workers ${result.workers}: pid ${server.pid}, ready after ${Math.round(server.startupMs)} ms`,
        );
      } catch (err) {
        result.status = 'failed';
        result.error = (err as Error).message;
        loud(`workers ${result.workers}: ABORTED: ${result.error}`);
      }
    }
    for (let round = 0; round < config.runs; round++) {
      for (const entry of roundOrder(live, round)) {
        if (entry.result.status !== 'ok') continue;
        log(`   --workers ${entry.result.workers}: run ${round + 1}/${config.runs}`);
        try {
          const [run] = await runLoad({
            url: entry.server.url,
            connections: config.connections,
            duration: config.duration,
            runs: 1,
            warmup: round === 0 ? config.warmup : 0,
            credentials,
            serverPid: entry.server.pid,
            cpu: undefined,
            taskset: null,
          });
          entry.runs.push(run!);
        } catch (err) {
          loud(`workers ${entry.result.workers}: load run failed: ${(err as Error).message}`);
        }
      }
    }
    for (const entry of live) {
      if (entry.runs.length === 0) {
        if (entry.result.status === 'ok') {
          entry.result.status = 'failed';
          entry.result.error = 'every load run failed';
        }
        continue;
      }
      entry.result.row = toRow(entry.server.name, config.connections, 1, entry.runs);
      if (entry.result.row.non2xx > 0)
        loud(`workers ${entry.result.workers}: ${entry.result.row.non2xx} non-2xx answers`);
    }
  } catch (err) {
    for (const result of results) {
      if (result.status === 'ok' && result.row === undefined) {
        result.status = 'failed';
        result.error = (err as Error).message;
      }
    }
    loud(`workers scenario: ${(err as Error).message}`);
  } finally {
    for (const entry of live) await entry.server.stop();
  }
  return results;
}

/** Runs the whole benchmark and writes latest.{md,json,svg} into outDir. */
export async function runBench({
  config,
  outDir,
  pin,
  notes: given,
  postgresUrl,
  redisUrl,
}: CliOptions): Promise<BenchResults> {
  const machine = describeMachine();
  const notes: string[] = [...given];
  const pinning = pin && machine.taskset !== null && machine.cores >= 2;
  if (!pinning) {
    config.serverCpu = undefined;
    config.loadCpu = undefined;
    const why = !pin
      ? 'pinning disabled (--no-pin)'
      : machine.taskset === null
        ? 'taskset NOT FOUND'
        : `only ${machine.cores} core`;
    notes.push(`No CPU pinning: ${why}. Server and load generator compete for the same cores.`);
    loud(notes[notes.length - 1]!);
  }
  if (machine.loadAverage[0] > 0.5) {
    notes.push(
      `The machine was not idle (load average ${machine.loadAverage[0].toFixed(2)} at start): absolute numbers are ` +
        'depressed; ratios between targets of the same run are what to read.',
    );
  }
  const tmpDir = mkdtempSync(join(tmpdir(), 'smscx-bench-'));
  const start: StartOptions = { cpu: config.serverCpu, taskset: pinning ? machine.taskset : null, tmpDir };
  const results: BenchResults = { machine, config, targets: [], scale: [], micro: {}, checks: [], notes };
  try {
    const lives: Live[] = [];
    try {
      for (const name of config.targets) {
        const started = await startTarget(name as TargetName, start);
        if ('server' in started) lives.push(started);
        results.targets.push('server' in started ? started.result : started);
      }
      if (lives.length > 0) {
        log(`\n== load: c=${config.connections}, ${config.runs} interleaved rounds`);
        await measureRounds(lives, config.connections, config, start);
      }
      for (const live of lives) {
        const rss = readRss(live.server.pid);
        if (rss) {
          live.result.rssMiB = rss.rssMiB;
          live.result.peakRssMiB = rss.peakMiB;
        }
      }
      // More concurrencies for ours and the best peer (highest req/s at the main concurrency).
      const rps = (l: Live) => l.result.rows[0]?.requestsPerSec ?? 0;
      const bestPeer = lives
        .filter((l) => PEERS.includes(l.result.target as TargetName))
        .sort((x, y) => rps(y) - rps(x))[0];
      const more = lives.filter((l) => l.result.target === 'ours' || l === bestPeer);
      for (const c of config.extraConnections.filter((x) => x !== config.connections)) {
        if (more.length === 0) break;
        log(`\n== load: c=${c} for ${more.map((l) => l.result.target).join(', ')}`);
        await measureRounds(more, c, config, start);
      }
    } finally {
      for (const live of lives) await live.server.stop();
    }
    if (config.scale.length > 0) results.scale = await benchScale(config, start);
    if (config.workers.length > 0) results.workers = await benchWorkers(config, start);
    if (config.postgres.length > 0)
      results.postgres = await benchPostgres({ url: postgresUrl, config, start });
    if ((config.redis ?? []).length > 0) results.redis = await benchRedis({ url: redisUrl, config, start });
    if ((config.algorithms ?? []).length > 0) results.algorithms = await benchAlgorithms({ config, start });

    // Each micro-benchmark runs in a fresh process pinned to the load core, away from the ceiling
    // server the SDK benchmark talks to (see micro/fresh-process.ts for why not in this one).
    const microCpu = start.taskset ? config.loadCpu : undefined;
    if (config.micro.includes('verifier')) {
      log('\n== micro: verifier');
      results.micro.verifier = await runMicroInFreshProcess({ kind: 'verifier' }, microCpu, start.taskset);
    }
    if (config.micro.includes('sdk')) {
      log('\n== micro: sdk (against the ceiling server)');
      let server: RunningTarget | undefined;
      try {
        server = await startCeiling(start);
        const target = { url: server.url, credentials: server.credentials };
        results.micro.sdk = await runMicroInFreshProcess({ kind: 'sdk', target }, microCpu, start.taskset);
      } catch (err) {
        results.micro.sdk = {
          status: 'skipped',
          note: `could not run: ${(err as Error).message}`,
        } satisfies MicroSection;
      } finally {
        await server?.stop();
      }
    }
    for (const [name, section] of Object.entries(results.micro)) {
      if (section.status === 'skipped') log(`   micro ${name}: SKIPPED — ${section.note}`);
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  results.checks = computeChecks(results);
  mkdirSync(outDir, { recursive: true });
  const markdown = renderMarkdown(results);
  writeFileSync(join(outDir, 'latest.md'), markdown);
  writeFileSync(join(outDir, 'latest.json'), renderJson(results));
  writeFileSync(join(outDir, 'latest.svg'), renderSvg(results));
  process.stdout.write(`\n${markdown}\n`);
  log(`wrote ${join(outDir, 'latest.md')}, latest.json, latest.svg`);
  return results;
}

if (isMain(import.meta.url)) {
  const results = await runBench(parseCli(process.argv.slice(2)));
  if (results.targets.some((t) => t.status === 'failed')) process.exitCode = 1;
  // A PostgreSQL scenario that could not run (or left a schema behind) is as loud as an aborted target.
  if (results.postgres && postgresFailed(results.postgres)) process.exitCode = 1;
  // Likewise a Redis scenario that could not run, or left keys behind.
  if (results.redis && redisFailed(results.redis)) process.exitCode = 1;
  if (results.algorithms?.algorithms.some((a) => a.status === 'failed')) process.exitCode = 1;
}
