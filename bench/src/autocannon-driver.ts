// The load generator process: runs autocannon (warm-up, then N measured runs) against one token
// endpoint and prints the results as one JSON line `RESULT {...}` on stdout. Spawned by load.ts,
// pinned to its own core, so the load generator never competes with the server under test.
//
// Usage: node --import tsx src/autocannon-driver.ts <config.json>
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { printResult } from './child.js';
import { basicAuth, type Credential, isMain } from './targets/common.js';

export interface DriverConfig {
  /** Base URL of the target; requests go to POST `${url}/oauth/token`. */
  url: string;
  connections: number;
  /** Seconds per measured run. */
  duration: number;
  runs: number;
  /** Seconds of warm-up before the first measured run (0 = none). */
  warmup: number;
  /** The server's pid, to sample its CPU time around each run (Linux /proc); optional. */
  serverPid?: number;
  /** Credentials to use; with more than one, each request takes the next one (round robin over a shuffle). */
  credentials: Credential[];
}

/** One measured autocannon run. Latencies are in milliseconds. */
export interface RunResult {
  requestsPerSec: number;
  latencyP50: number;
  latencyP99: number;
  latencyAvg: number;
  latencyMax: number;
  total: number;
  ok2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  durationS: number;
  /** CPU used during the run, in % of one core: the server process and this load generator. */
  serverCpuPercent: number | null;
  loadCpuPercent: number;
}

/** utime + stime of one process in seconds, from /proc/<pid>/stat (clock ticks of 1/100 s); null if unreadable. */
function ownCpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** Live child processes of `pid` (e.g. the cluster workers of `serve --workers N`). */
function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // ended while we looked
    }
  }
  return children;
}

/**
 * CPU seconds of the server: its own plus its live child processes' (a multi-process server's
 * workers); null if unreadable.
 */
function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  const own = ownCpuSeconds(pid);
  if (own === null) return null;
  let total = own;
  for (const child of childPids(pid)) total += ownCpuSeconds(child) ?? 0;
  return total;
}

function options(config: DriverConfig, duration: number): autocannon.Options {
  const base = {
    url: `${config.url}/oauth/token`,
    method: 'POST' as const,
    connections: config.connections,
    duration,
    body: 'grant_type=client_credentials',
  };
  const [first] = config.credentials;
  if (!first) throw new Error('driver: no credentials');
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (config.credentials.length === 1)
    return { ...base, headers: { ...headers, authorization: basicAuth(first) } };
  const auth = config.credentials.map(basicAuth);
  for (let i = auth.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [auth[i], auth[j]] = [auth[j]!, auth[i]!];
  }
  let next = 0;
  return {
    ...base,
    headers,
    requests: [
      {
        setupRequest: (request) => {
          const authorization = auth[next]!;
          next = (next + 1) % auth.length;
          return { ...request, headers: { ...request.headers, authorization } };
        },
      },
    ],
  };
}

function summarize(
  result: autocannon.Result,
  cpu: { serverCpuPercent: number | null; loadCpuPercent: number },
): RunResult {
  const statusCodes: Record<string, number> = {};
  for (const [code, stat] of Object.entries(result.statusCodeStats ?? {}))
    statusCodes[code] = stat.count ?? 0;
  return {
    requestsPerSec: result.requests.average,
    latencyP50: result.latency.p50,
    latencyP99: result.latency.p99,
    latencyAvg: result.latency.average,
    latencyMax: result.latency.max,
    total: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    durationS: result.duration,
    ...cpu,
  };
}

/** Runs the warm-up and the measured runs; returns only the measured ones. */
export async function drive(config: DriverConfig): Promise<RunResult[]> {
  if (config.warmup > 0) await autocannon(options(config, config.warmup));
  const runs: RunResult[] = [];
  for (let i = 0; i < config.runs; i++) {
    const wall0 = performance.now();
    const load0 = process.cpuUsage();
    const server0 = procCpuSeconds(config.serverPid);
    const raw = await autocannon(options(config, config.duration));
    const wallS = (performance.now() - wall0) / 1000;
    const load = process.cpuUsage(load0);
    const server1 = procCpuSeconds(config.serverPid);
    const result = summarize(raw, {
      serverCpuPercent: server0 === null || server1 === null ? null : ((server1 - server0) / wallS) * 100,
      loadCpuPercent: ((load.user + load.system) / 1e6 / wallS) * 100,
    });
    process.stderr.write(
      `  run ${i + 1}/${config.runs}: ${Math.round(result.requestsPerSec)} req/s, p99 ${result.latencyP99} ms, non-2xx ${result.non2xx}, ` +
        `CPU server ${Math.round(result.serverCpuPercent ?? Number.NaN)}% / load generator ${Math.round(result.loadCpuPercent)}%\n`,
    );
    runs.push(result);
  }
  return runs;
}

if (isMain(import.meta.url)) {
  const file = process.argv[2];
  if (!file) throw new Error('usage: autocannon-driver.ts <config.json>');
  const config = JSON.parse(readFileSync(file, 'utf8')) as DriverConfig;
  const runs = await drive(config);
  printResult(runs);
}
