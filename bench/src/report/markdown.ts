// latest.md: the human report. Machine first (numbers mean nothing without it), then the load table,
// the scale scenario, the micro-benchmarks, and the issue's targets as pass / fail.
import {
  type BenchResults,
  type LoadRow,
  type PartStatus,
  p99Ratio,
  type RedisFigures,
  scaleRoundSeconds,
  throughputRatio,
} from '../results.js';
import { fmt } from '../stats.js';

const mark = (pass: boolean | null) => (pass === null ? '— not measured' : pass ? '✅ pass' : '❌ fail');

/** Server and load generator CPU; a load generator near a full core means the row may be generator-bound. */
function cpu(row: LoadRow): string {
  const load = `${fmt(row.loadCpuPercent)}${row.loadCpuPercent >= 90 ? ' ⚠' : ''}`;
  return `${row.serverCpuPercent === null ? 'n/a' : fmt(row.serverCpuPercent)} / ${load}`;
}

/** Half the range of the runs' req/s around their median: how much the runs disagreed. */
function spread(row: LoadRow): string {
  if (row.runs.length < 2) return '';
  const rates = row.runs.map((r) => r.requestsPerSec);
  return `±${fmt(((Math.max(...rates) - Math.min(...rates)) / 2 / row.requestsPerSec) * 100, 0)}%`;
}

function loadTable(rows: { row: LoadRow; rss?: number | undefined }[]): string[] {
  const lines = [
    '| target | conns | apps | req/s (median) | run spread | p50 ms | p99 ms | non-2xx | errors | CPU % server / loadgen | server RSS MiB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { row, rss } of rows) {
    lines.push(
      `| ${row.target} | ${row.connections} | ${fmt(row.apps)} | ${fmt(row.requestsPerSec)} | ${spread(row)} | ${fmt(row.latencyP50, 1)} | ` +
        `${fmt(row.latencyP99, 1)} | ${row.non2xx} | ${row.errors + row.timeouts} | ${cpu(row)} | ` +
        `${rss === undefined ? '' : fmt(rss, 1)} |`,
    );
  }
  return lines;
}

export function renderMarkdown(results: BenchResults): string {
  const { machine: m, config: c } = results;
  const out: string[] = [];
  out.push('# SMS.CX OAuth token server benchmark', '');
  out.push(`Run ${m.date}.`, '');
  out.push('| machine | |', '|---|---|');
  out.push(`| CPU | ${m.cpuModel} |`);
  out.push(`| cores | ${m.cores} |`);
  out.push(`| memory | ${m.memoryGiB} GiB |`);
  out.push(`| node | ${m.node} |`);
  out.push(`| OS | ${m.platform} |`);
  out.push(
    `| taskset | ${
      m.taskset && c.serverCpu !== undefined
        ? `yes (${m.taskset}): server on CPU ${c.serverCpu}, load generator on CPU ${c.loadCpu}`
        : m.taskset
          ? 'available, not used'
          : 'NO — taskset not found, server and load generator share all cores'
    } |`,
  );
  out.push(`| load average at start | ${m.loadAverage.map((l) => l.toFixed(2)).join(' / ')} |`);
  out.push(
    `| plan | warm-up ${c.warmup} s, then ${c.runs} × ${c.duration} s per cell; c=${c.connections}` +
      `${c.extraConnections.length ? ` (+ c=${c.extraConnections.join(', c=')} for ours and the best peer)` : ''} |`,
  );
  out.push('');
  for (const note of results.notes) out.push(`> ${note}`, '');

  out.push('## Token endpoint throughput', '');
  out.push(
    'POST /oauth/token, Basic auth, `grant_type=client_credentials`, every answer a signed Ed25519 JWT.',
    '',
  );
  const rows = results.targets.flatMap((t) =>
    t.rows.map((row) => ({ row, rss: row.connections === c.connections ? t.rssMiB : undefined })),
  );
  out.push(...loadTable(rows), '');
  out.push(
    "Run spread is half the range of the runs' req/s around their median: large values mean the machine was busy. " +
      'CPU % is of one core, sampled from /proc around each run (median). ⚠ marks a load generator at ≥ 90% of ' +
      'its core: that row may measure autocannon rather than the server. A server well under 100% with an ' +
      'unsaturated load generator means the machine (other processes) or the kernel took the time.',
    '',
  );
  const at = (name: string) =>
    results.targets.find((t) => t.target === name)?.rows.find((r) => r.connections === c.connections);
  const ours = at('ours');
  const ratios: string[] = [];
  for (const other of ['ceiling', 'oidc-provider', 'oauth2-server']) {
    const o = at(other);
    const r = throughputRatio(ours, o);
    if (r !== undefined) {
      ratios.push(`ours / ${other} ${r < 1.5 ? `${fmt(r * 100, 1)}%` : `${fmt(r, 2)}×`}`);
    }
  }
  const ceiling = at('ceiling');
  const p99 = p99Ratio(ours, ceiling);
  if (p99 !== undefined) ratios.push(`ours p99 / ceiling p99 ${fmt(p99, 2)}×`);
  if (ratios.length > 0) {
    out.push(
      `**Ratios at c=${c.connections}** (median of the per-round ratios; rounds are interleaved): ${ratios.join(' · ')}`,
      '',
    );
  }
  const failed = results.targets.filter((t) => t.status === 'failed');
  for (const t of failed) out.push(`**${t.target}: not benchmarked** — ${t.error?.split('\n')[0]}`, '');
  for (const t of results.targets.filter((x) => x.tokenCheck)) {
    const k = t.tokenCheck!;
    out.push(
      `- ${t.target}: token check ${k.status}, ${k.tokenType ?? '?'} ${k.jwtAlg ?? '?'} ${k.jwtTyp ?? ''}, ` +
        `expires_in ${k.expiresIn ?? '?'}, startup ${fmt(t.startupMs)} ms`,
    );
  }
  out.push('');

  if (results.scale.length > 0) {
    out.push('## Scale: ours with many registered applications', '');
    const rounds = results.config.scaleRounds;
    out.push(
      'Requests rotate over the credentials of every application (round robin over a shuffle). ' +
        `${rounds} interleaved rounds of ${scaleRoundSeconds(results.config)} s per size (the targets' load time, ` +
        'in shorter rounds); the spread is the median of the per-round ratios to the smallest size.',
      '',
    );
    out.push(
      '| apps | seeding ms | startup ms (median) | req/s | run spread | p50 ms | p99 ms | non-2xx | CPU % server / loadgen | RSS MiB | status |',
    );
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const s of results.scale) {
      out.push(
        `| ${fmt(s.apps)} | ${fmt(s.seedMs)} | ${fmt(s.startupMs)} | ${fmt(s.row?.requestsPerSec)} | ${s.row ? spread(s.row) : ''} | ${fmt(s.row?.latencyP50, 1)} | ` +
          `${fmt(s.row?.latencyP99, 1)} | ${s.row?.non2xx ?? ''} | ${s.row ? cpu(s.row) : ''} | ${fmt(s.rssMiB, 1)} | ${s.status}${s.error ? `: ${s.error.split('\n')[0]}` : ''} |`,
      );
    }
    out.push('');
  }

  const workers = results.workers ?? [];
  if (workers.length > 0) {
    out.push('## Workers: ours with `serve --workers N`', '');
    out.push(
      `Server (primary + N workers) and load generator **unpinned** on ${results.machine.cores} cores, ` +
        `c=${results.config.connections}, rounds interleaved. With ${results.machine.cores} cores the load ` +
        'generator (and, with N > 1, the primary that counts the rate limits) shares the cores with the workers: ' +
        'the ratio shows what this machine gains, not what N free cores would. CPU % is of one core, summed over ' +
        'the server processes.',
      '',
    );
    out.push(
      '| workers | req/s (median) | run spread | p50 ms | p99 ms | non-2xx | CPU % server / loadgen | × 1 worker | status |',
    );
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    const one = workers.find((w) => w.workers === 1 && w.row)?.row?.requestsPerSec;
    for (const w of workers) {
      const r = w.row;
      const times = r && one ? `${fmt(r.requestsPerSec / one, 2)}×` : '';
      out.push(
        `| ${w.workers} | ${fmt(r?.requestsPerSec)} | ${r ? spread(r) : ''} | ${fmt(r?.latencyP50, 1)} | ${fmt(r?.latencyP99, 1)} | ` +
          `${r?.non2xx ?? ''} | ${r ? cpu(r) : ''} | ${times} | ${w.status}${w.error ? `: ${w.error.split('\n')[0]}` : ''} |`,
      );
    }
    out.push('');
  }

  out.push(...postgresSection(results));
  out.push(...redisSection(results));
  out.push(...algorithmsSection(results));

  const sections = Object.entries(results.micro);
  if (sections.length > 0) {
    out.push('## Micro-benchmarks', '');
    for (const [name, section] of sections) {
      if (section.status === 'skipped') {
        out.push(`- **${name}**: skipped — ${section.note}`);
        continue;
      }
      out.push(`- **${name}**`);
      for (const r of section.results) {
        const value =
          r.unit === 'ratio'
            ? `${fmt(r.value * 100, 1)}%`
            : `${fmt(r.value, r.unit === 'ops/s' || r.unit === 'requests' ? 0 : 1)} ${r.unit}`;
        out.push(`  - ${r.name}: ${value}`);
      }
    }
    out.push('');
  }

  out.push('## Targets (issue 5)', '');
  out.push('| target | goal | measured | |', '|---|---|---|---|');
  for (const k of results.checks) out.push(`| ${k.name} | ${k.goal} | ${k.measured} | ${mark(k.pass)} |`);
  out.push('');
  out.push('Chart: [latest.svg](latest.svg). Raw runs: [latest.json](latest.json).', '');
  return out.join('\n');
}

/** `ok`, or `failed: <first line of the error>`. */
const status = (p: PartStatus) => `${p.status}${p.error ? `: ${p.error.split('\n')[0]}` : ''}`;

/** The algorithms scenario: ours against the ceiling, both signing with each algorithm. */
function algorithmsSection(results: BenchResults): string[] {
  if (results.algorithms === undefined) return [];
  const { algorithms, rounds, roundSeconds } = results.algorithms;
  const out: string[] = ['## Signing algorithms: ours vs the ceiling signing the same way', ''];
  out.push(
    `For each algorithm, ours on a database whose current key has that algorithm (\`keys rotate --alg\`) ` +
      'and the ceiling target signing with it; both pinned like the main targets, ' +
      `c=${results.config.connections}, ${rounds} interleaved rounds of ${roundSeconds} s (each server's runs × ` +
      "duration, split in three), each algorithm's two servers back to back. Ratios are medians of the per-round ratios.",
    '',
    '| alg | ceiling req/s | ours req/s | ours / ceiling | p99 ms ceiling / ours | p99 ratio | status |',
    '|---|---:|---:|---:|---:|---:|---|',
  );
  for (const a of algorithms) {
    out.push(
      `| ${a.alg} | ${fmt(a.ceiling?.requestsPerSec)} | ${fmt(a.ours?.requestsPerSec)} | ` +
        `${a.ratio === undefined ? '' : `${fmt(a.ratio * 100, 1)}%`} | ` +
        `${a.ceiling ? `${fmt(a.ceiling.latencyP99, 1)} / ${fmt(a.ours?.latencyP99, 1)}` : ''} | ` +
        `${a.p99Ratio === undefined ? '' : `${fmt(a.p99Ratio, 2)}×`} | ${status(a)} |`,
    );
  }
  const rows = algorithms.flatMap((a) => [a.ceiling, a.ours]).flatMap((row) => (row ? [{ row }] : []));
  if (rows.length > 0) out.push('', ...loadTable(rows));
  out.push('');
  return out;
}

/** The PostgreSQL scenario: token req/s vs SQLite, startup with many applications, apps delete. */
function postgresSection(results: BenchResults): string[] {
  const pg = results.postgres;
  if (pg === undefined) return [];
  const out: string[] = ['## PostgreSQL: ours on PostgreSQL vs the same build on SQLite', ''];
  out.push(
    `PostgreSQL at \`${pg.database}\`, in schemas of this run (${pg.schemas.map((x) => `\`${x}\``).join(', ') || 'none'}), ` +
      `${pg.schemasDropped ? 'all dropped at the end' : '**NOT all dropped**'}.`,
    '',
  );
  if (pg.error) out.push(`**Not run** — ${pg.error.split('\n')[0]}`, '');

  const { tokens, startup } = pg;
  if (tokens) {
    out.push('### Token endpoint', '');
    out.push(
      `The same ${fmt(tokens.apps)} applications (ids, secret hashes, pepper) in a SQLite file and in a PostgreSQL ` +
        `schema; requests rotate over all of them; ${results.config.runs} interleaved rounds, who goes first ` +
        'alternating; both servers pinned like `ours`. The token path must be served from memory, so the ' +
        'database behind it must not show. Status: ' +
        `${status(tokens)}.`,
      '',
    );
    const rows = [tokens.sqlite, tokens.postgres].flatMap((row) => (row ? [{ row }] : []));
    if (rows.length > 0) out.push(...loadTable(rows), '');
    if (tokens.ratio !== undefined)
      out.push(
        `**PostgreSQL / SQLite req/s**: ${fmt(tokens.ratio * 100, 1)}% (median of the per-round ratios).`,
        '',
      );
  }

  if (startup) {
    out.push(`### Startup with ${fmt(startup.apps)} applications`, '');
    out.push(
      'Spawn of `serve --workers 1` (pinned) → its listening line, median of the samples: the same method for both. ' +
        `Status: ${status(startup)}.`,
      '',
    );
    out.push(
      '| storage | apps | seeding ms | startup ms (median) | samples ms |',
      '|---|---:|---:|---:|---|',
    );
    out.push(
      `| PostgreSQL | ${fmt(startup.apps)} | ${fmt(startup.seedMs)} | ${fmt(startup.startupMs)} | ` +
        `${startup.startupSamples.map((x) => fmt(x)).join(', ')} |`,
    );
    const sqlite = results.scale.find((s) => s.apps === startup.apps && s.startupMs !== undefined);
    if (sqlite)
      out.push(
        `| SQLite (scale scenario) | ${fmt(sqlite.apps)} | ${fmt(sqlite.seedMs)} | ${fmt(sqlite.startupMs)} | ` +
          `${(sqlite.startupSamples ?? []).map((x) => fmt(x)).join(', ')} |`,
      );
    out.push('');
  }

  const del = pg.delete;
  if (del) {
    out.push(`### \`apps delete\` with ${del.instances} instances × \`--workers ${del.workers}\``, '');
    out.push(
      `Wall time of the shipped CLI as a process (spawn → exit 0), ${del.deleteMs.length} deletes of a freshly ` +
        `created application while ${del.instances} \`serve --workers ${del.workers}\` instances (unpinned) share ` +
        `the schema; the command returns once all ${fmt(del.processes)} live server processes serve the deletion ` +
        '(checked after each: both instances answer 401). `apps list` on the same database, timed alternately ' +
        "with the deletes, is the floor (node start-up, connecting); the difference is the guarantee's own cost. " +
        `Not judged. Status: ${status(del)}.`,
      '',
    );
    out.push('| command | runs | median ms | p90 ms |', '|---|---:|---:|---:|');
    out.push(
      `| \`apps delete <id>\` | ${del.deleteMs.length} | ${fmt(del.deleteMedianMs)} | ${fmt(del.deleteP90Ms)} |`,
    );
    out.push(`| \`apps list\` (floor) | ${del.listMs.length} | ${fmt(del.listMedianMs)} | |`);
    out.push('');
    if (del.deleteMedianMs !== undefined && del.listMedianMs !== undefined)
      out.push(
        `**The guarantee's cost** (median delete − median list): ${fmt(del.deleteMedianMs - del.listMedianMs)} ms.`,
        '',
      );
  }
  return out;
}

/** `evalsha 1.00 · incr 1.00 · pttl 1.00`: calls per operation, by command. */
function perCommand(f: RedisFigures): string {
  return Object.entries(f.perCommand)
    .filter(([, n]) => n >= 0.005)
    .map(([name, n]) => `${name} ${fmt(n, 2)}`)
    .join(' · ');
}

/** The Redis scenario: ours with --redis vs the in-process limiter, and the store designs alone. */
function redisSection(results: BenchResults): string[] {
  const redis = results.redis;
  if (redis === undefined) return [];
  const c = results.config.connections;
  const out: string[] = ['## Redis: ours with `--redis` vs the in-process limiter', ''];
  out.push(
    `Redis${redis.redisVersion ? ` ${redis.redisVersion}` : ''} at \`${redis.url}\`, keys under \`${redis.prefix}\` (this run's), ` +
      `${
        !redis.keysDeleted
          ? '**NOT all deleted**'
          : redis.keysDeletedCount === undefined
            ? 'none written'
            : `all deleted at the end (${fmt(redis.keysDeletedCount)})`
      }. ` +
      'Redis runs on the same machine, unpinned: its CPU is taken from the server or the load generator.',
    '',
  );
  if (redis.error) out.push(`**Not run** — ${redis.error.split('\n')[0]}`, '');

  const { tokens, store } = redis;
  if (tokens) {
    out.push('### Token endpoint', '');
    out.push(
      'The same build twice, each on its own SQLite database with one application (as `ours`), `--workers 1`, ' +
        'pinned like `ours`, limits raised: one with `--redis <url> --redis-prefix <this run>` (every token ' +
        'request counts once in Redis: one Lua script run), one counting in process memory. ' +
        `${results.config.runs} interleaved rounds, who goes first alternating; warm-up apart from the measured runs. ` +
        `Status: ${status(tokens)}.`,
      '',
    );
    const rows = [tokens.redis, tokens.memory].flatMap((row) => (row ? [{ row }] : []));
    if (rows.length > 0) out.push(...loadTable(rows), '');
    if (tokens.ratio !== undefined || tokens.p99Ratio !== undefined) {
      const ratio = tokens.ratio;
      const p99 = tokens.p99Ratio;
      out.push(
        `**Redis / in-process at c=${c}** (median of the per-round ratios): req/s ${fmt((ratio ?? Number.NaN) * 100, 1)}% ` +
          `(goal ≥ 85%: ${ratio === undefined ? mark(null) : mark(ratio >= 0.85)}) · p99 ${fmt(p99, 2)}× ` +
          `(goal ≤ 1.5×: ${p99 === undefined ? mark(null) : mark(p99 <= 1.5)})`,
        '',
      );
    }
    const f = tokens.perRequest;
    if (f) {
      out.push(
        '**Redis per token request** (`INFO` around each measured run of the `--redis` side, divided by its ' +
          '2xx answers; Redis counts a script run and each command it calls alike; the requests still in flight ' +
          'when a run stops, at most one per connection, were counted by Redis but not answered, hence a hair over 1):',
        '',
      );
      out.push('| figure | value |', '|---|---:|');
      out.push(`| commands Redis counted per request | ${fmt(f.commands, 2)} (${perCommand(f)}) |`);
      out.push(`| commands the server sent per request | ${fmt(f.sent, 2)} |`);
      out.push(`| Lua script runs per request | ${fmt(f.scriptRuns, 2)} |`);
      out.push(
        `| commands sent per Redis read (1 = no batching; more = auto-pipelining batches) | ${fmt(f.sentPerRead, 1)} |`,
      );
      out.push(`| Redis time per request (commandstats usec) | ${fmt(f.usecPerOp, 1)} µs |`);
      out.push(`| Redis CPU during the runs | ${fmt(f.cpuPercent, 0)}% of one core |`);
      out.push(`| token requests measured | ${fmt(f.ops)} |`);
      out.push(`| commands Redis saw during the in-process runs (control) | ${fmt(tokens.memoryCommands)} |`);
      out.push('');
    }
  }

  if (store) {
    out.push('### The shared store alone', '');
    out.push(
      `${fmt(store.ops)} counts per store and round on one key (as one application), ${store.concurrency} at a time, ` +
        `${store.rounds} interleaved rounds, medians; in a node process of its own on the load core. ` +
        '"Commands" are what Redis counted (script runs and the commands they call); "sent" what the client sent. ' +
        `"Counted" is the counter's value after a round over the counts made (worst round). Status: ${status(store)}.`,
      '',
    );
    out.push(
      '| store | counts/s | × server store | p50 ms | p99 ms | sequential round trips per count | commands per count | sent per count | sent per Redis read | Redis µs per count | Redis CPU % | counted | atomic |',
      '|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|',
    );
    for (const v of store.variants) {
      const f = v.perOp;
      out.push(
        `| ${v.name} | ${fmt(v.opsPerSec)} | ${fmt(v.vsServerStore, 2)}× | ${fmt(v.p50Ms, 2)} | ${fmt(v.p99Ms, 2)} | ${v.roundTrips} | ` +
          `${fmt(f?.commands, 2)} | ${fmt(f?.sent, 2)} | ${fmt(f?.sentPerRead, 1)} | ${fmt(f?.usecPerOp, 2)} | ` +
          `${fmt(f?.cpuPercent, 0)} | ${fmt((v.counted ?? Number.NaN) * 100, 1)}% | ${v.atomic ? 'yes' : 'no'} |`,
      );
    }
    out.push('');
    for (const v of store.variants) {
      out.push(`- ${v.name}: ${v.design}${v.perOp ? `; per count: ${perCommand(v.perOp)}` : ''}`);
    }
    out.push('');
  }
  return out;
}
