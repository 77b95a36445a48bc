// The shape of one benchmark run's results (what latest.json holds) and the pass/fail checks that
// compare it with the targets of issue 5.
import type { RunResult } from './autocannon-driver.js';
import type { MachineInfo } from './machine.js';
import type { MicroResult, MicroSection } from './micro/harness.js';
import { NULL_CONTROL, SDK_OVER_RAW, SDK_OVER_TIMED, SDK_UNTIMED_OVER_RAW } from './micro/sdk.js';
import { fmt, max, maxDeviation, median, min, sum } from './stats.js';
import type { TokenCheck } from './targets/common.js';

export interface BenchConfig {
  targets: string[];
  duration: number;
  runs: number;
  warmup: number;
  connections: number;
  extraConnections: number[];
  scale: number[];
  /** Worker counts of the workers scenario (`serve --workers N`), e.g. [1, 2]; empty = skipped. */
  workers: number[];
  /** Rounds of the scale scenario; they share its load time (runs × duration per point). */
  scaleRounds: number;
  startupSamples: number;
  micro: string[];
  serverCpu: number | undefined;
  loadCpu: number | undefined;
}

/** Seconds per scale round: the targets' load time per cell (runs × duration) split over the rounds. */
export function scaleRoundSeconds(config: Pick<BenchConfig, 'runs' | 'duration' | 'scaleRounds'>): number {
  return Math.max(1, Math.round(((config.runs * config.duration) / config.scaleRounds) * 10) / 10);
}

/** Medians over the measured runs of one (target, connections) cell. */
export interface LoadRow {
  target: string;
  connections: number;
  /** Registered applications the requests rotate over (scale scenario), else 1. */
  apps: number;
  requestsPerSec: number;
  latencyP50: number;
  latencyP99: number;
  /** Sums over all measured runs. */
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Median CPU use during the runs, % of one core (null when /proc is unavailable). */
  serverCpuPercent: number | null;
  loadCpuPercent: number;
  runs: RunResult[];
}

export interface TargetResult {
  target: string;
  status: 'ok' | 'failed';
  error?: string;
  tokenCheck?: TokenCheck;
  startupMs?: number;
  /** VmRSS / VmHWM of the server process after its c=<connections> runs, MiB. */
  rssMiB?: number;
  peakRssMiB?: number;
  rows: LoadRow[];
}

export interface ScaleResult {
  apps: number;
  status: 'ok' | 'failed' | 'skipped';
  error?: string;
  seedMs?: number;
  /** Median spawn → listening over the startup samples, ms. */
  startupMs?: number;
  startupSamples?: number[];
  rssMiB?: number;
  row?: LoadRow;
}

/** Ours with N worker processes (`serve --workers N`), server and load generator unpinned. */
export interface WorkersResult {
  workers: number;
  status: 'ok' | 'failed';
  error?: string;
  row?: LoadRow;
  /** Startup (spawn → `listening on`), ms. */
  startupMs?: number;
}

export interface Check {
  name: string;
  goal: string;
  measured: string;
  /** null = could not be measured in this run. */
  pass: boolean | null;
}

export interface BenchResults {
  machine: MachineInfo;
  config: BenchConfig;
  targets: TargetResult[];
  scale: ScaleResult[];
  /** The workers scenario (absent in results written before it existed). */
  workers?: WorkersResult[];
  micro: Record<string, MicroSection>;
  checks: Check[];
  notes: string[];
}

/** Collapses measured runs into one row (medians; counts summed). */
export function toRow(target: string, connections: number, apps: number, runs: RunResult[]): LoadRow {
  return {
    target,
    connections,
    apps,
    requestsPerSec: median(runs.map((r) => r.requestsPerSec)),
    latencyP50: median(runs.map((r) => r.latencyP50)),
    latencyP99: median(runs.map((r) => r.latencyP99)),
    non2xx: sum(runs.map((r) => r.non2xx)),
    errors: sum(runs.map((r) => r.errors)),
    timeouts: sum(runs.map((r) => r.timeouts)),
    serverCpuPercent: runs.every((r) => r.serverCpuPercent !== null)
      ? median(runs.map((r) => r.serverCpuPercent!))
      : null,
    loadCpuPercent: median(runs.map((r) => r.loadCpuPercent)),
    runs,
  };
}

function row(results: BenchResults, target: string, connections: number): LoadRow | undefined {
  return results.targets
    .find((t) => t.target === target && t.status === 'ok')
    ?.rows.find((r) => r.connections === connections);
}

function micro(results: BenchResults, section: string, name: string): MicroResult | undefined {
  const s = results.micro[section];
  return s?.status === 'ok' ? s.results.find((r) => r.name === name) : undefined;
}

/**
 * `a / b` for two cells measured in the same interleaved rounds: the median of the per-round
 * ratios, so a round the machine slowed down for everyone (a noisy neighbour on a shared VM)
 * moves both sides of its ratio alike. Falls back to the ratio of the medians when the cells
 * do not have the same number of runs.
 */
export function pairedRatio(
  a: LoadRow | undefined,
  b: LoadRow | undefined,
  pick: (run: RunResult) => number,
  pickRow: (row: LoadRow) => number,
): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.runs.length > 0 && a.runs.length === b.runs.length) {
    const perRound = a.runs.map((run, i) => pick(run) / pick(b.runs[i]!)).filter(Number.isFinite);
    if (perRound.length > 0) return median(perRound);
  }
  const denominator = pickRow(b);
  return denominator > 0 ? pickRow(a) / denominator : undefined;
}

/** Paired (per-round) ratio of two cells' req/s. */
export const throughputRatio = (a: LoadRow | undefined, b: LoadRow | undefined) =>
  pairedRatio(
    a,
    b,
    (run) => run.requestsPerSec,
    (row) => row.requestsPerSec,
  );

/** Paired (per-round) ratio of two cells' p99 latency. */
export const p99Ratio = (a: LoadRow | undefined, b: LoadRow | undefined) =>
  pairedRatio(
    a,
    b,
    (run) => run.latencyP99,
    (row) => row.latencyP99,
  );

const pct = (x: number) => `${fmt(x * 100, 1)}%`;

/** The targets, each judged pass / fail / not measured. */
export function computeChecks(results: BenchResults): Check[] {
  const c = results.config.connections;
  const ours = row(results, 'ours', c);
  const ceiling = row(results, 'ceiling', c);
  const oidc = row(results, 'oidc-provider', c);
  const checks: Check[] = [];
  const vsCeiling = throughputRatio(ours, ceiling);
  checks.push({
    name: `ours / ceiling req/s at c=${c}`,
    goal: '≥ 85%',
    measured: vsCeiling === undefined ? 'n/a' : pct(vsCeiling),
    pass: vsCeiling === undefined ? null : vsCeiling >= 0.85,
  });
  const vsOidc = throughputRatio(ours, oidc);
  checks.push({
    name: `ours / oidc-provider req/s at c=${c}`,
    goal: '≥ 2.4×',
    measured: vsOidc === undefined ? 'n/a' : `${fmt(vsOidc, 2)}×`,
    pass: vsOidc === undefined ? null : vsOidc >= 2.4,
  });
  const p99 = p99Ratio(ours, ceiling);
  checks.push({
    name: `ours p99 / ceiling p99 at c=${c}`,
    goal: '≤ 2×',
    measured:
      p99 === undefined ? 'n/a' : `${fmt(p99, 2)}× (${ours?.latencyP99} ms vs ${ceiling?.latencyP99} ms)`,
    pass: p99 === undefined ? null : p99 <= 2,
  });

  const scaled = results.scale.filter((s) => s.status === 'ok' && s.row);
  const base = scaled.find((s) => s.apps === min(scaled.map((x) => x.apps)));
  const top = max(scaled.map((s) => s.apps));
  // The sizes are measured in interleaved rounds: compare each with the smallest round by round.
  const spread =
    base?.row && scaled.length >= 2
      ? maxDeviation(
          scaled.map((s) => throughputRatio(s.row, base.row) ?? Number.NaN),
          1,
        )
      : undefined;
  checks.push({
    name: `req/s spread, ${fmt(base?.apps)} → ${fmt(top)} applications`,
    goal: '±10% (from 10 to 100,000 apps)',
    measured: spread === undefined ? 'n/a' : `±${fmt(spread * 100, 2)}%`,
    pass: spread === undefined ? null : spread <= 0.1 && top >= 100_000 ? true : spread > 0.1 ? false : null,
  });
  const big = results.scale.find((s) => s.apps === 100_000 && s.startupMs !== undefined);
  checks.push({
    name: 'startup with 100,000 applications',
    goal: '< 2 s',
    measured: big?.startupMs === undefined ? 'n/a' : `${fmt(big.startupMs)} ms`,
    pass: big?.startupMs === undefined ? null : big.startupMs < 2000,
  });

  const repeated = micro(results, 'verifier', 'verifier: repeated token');
  checks.push({
    name: 'verifier, repeated token',
    goal: '≥ 1,000,000 verifications/s',
    measured: repeated ? `${fmt(repeated.value)}/s` : 'n/a',
    pass: repeated ? repeated.value >= 1_000_000 : null,
  });
  const distinct = micro(results, 'verifier', 'verifier distinct / raw crypto.verify');
  checks.push({
    name: 'verifier, distinct tokens / raw crypto.verify',
    goal: '≥ 90%',
    measured: distinct ? pct(distinct.value) : 'n/a',
    pass: distinct ? distinct.value >= 0.9 : null,
  });
  const cached = micro(results, 'sdk', 'TokenManager.getToken() cached');
  checks.push({
    name: 'cached TokenManager.getToken()',
    goal: '≤ 1 µs',
    measured: cached ? `${fmt(cached.value)} ns` : 'n/a',
    pass: cached ? cached.value <= 1000 : null,
  });
  // The SDK's own overhead, like for like: the default SDK against a raw fetch with the same timeout,
  // and the SDK without a timeout against a plain raw fetch; the worse of the two is judged. Shown
  // beside it: the default SDK against a plain raw fetch (what the timeout signal costs in Node's
  // fetch on top), and the null control (bench/README.md, "Micro-benchmarks", src/micro/sdk.ts).
  const sdkRatio = (name: string, statistic = 'median request') =>
    micro(results, 'sdk', `${name}, ${statistic}`);
  const overTimed = sdkRatio(SDK_OVER_TIMED);
  const untimedOverRaw = sdkRatio(SDK_UNTIMED_OVER_RAW);
  const judged = overTimed && untimedOverRaw ? Math.max(overTimed.value, untimedOverRaw.value) : undefined;
  const detail = (
    [
      ['default SDK over fetch with the same timeout', overTimed],
      ['timeoutMs 0 over plain fetch', untimedOverRaw],
      ['default SDK over plain fetch', sdkRatio(SDK_OVER_RAW)],
      ['null control', sdkRatio(NULL_CONTROL)],
      ['null control on mean times', sdkRatio(NULL_CONTROL, 'mean time')],
    ] as const
  ).flatMap(([label, r]) => (r ? [`${label} ${pct(r.value)}`] : []));
  checks.push({
    name: 'SDK getAccessToken() overhead over raw fetch (median request, like for like)',
    goal: '≤ 5%',
    measured: judged === undefined ? 'n/a' : `${pct(judged)} (${detail.join('; ')})`,
    pass: judged === undefined ? null : judged <= 0.05,
  });
  return checks;
}
