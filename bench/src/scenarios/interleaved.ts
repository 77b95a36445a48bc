// The comparison every scenario makes: two or more running servers loaded in interleaved rounds at
// the main concurrency. Round r runs every contender once, and who goes first alternates
// (roundOrder), so a burst of foreign load on the machine hits every side alike instead of one
// side's runs; the per-round pairs are what `pairedRatio` divides.
import { type RunResult, runLoad } from '../load.js';
import { type BenchConfig, type LoadRow, toRow } from '../results.js';
import { roundOrder } from '../stats.js';
import type { Credential, RunningTarget, StartOptions } from '../targets/common.js';

const log = (msg: string) => process.stderr.write(`${msg}\n`);

/** One running server of a comparison and the measured runs it collects. */
export interface Contender {
  name: string;
  server: RunningTarget;
  credentials: Credential[];
  runs: RunResult[];
}

export interface InterleaveOptions<C extends Contender> {
  config: Pick<BenchConfig, 'runs' | 'duration' | 'warmup' | 'connections' | 'loadCpu'>;
  start: Pick<StartOptions, 'taskset'>;
  /**
   * Wraps each measured run (not the warm-up), e.g. to read a server's counters before and after
   * it. When given, the warm-up is a load run of its own, so the counters see measured requests only.
   */
  around?: (contender: C, measured: () => Promise<RunResult>) => Promise<RunResult>;
}

/**
 * Loads the contenders in `config.runs` rounds. Contenders are given in groups whose members run
 * back to back (e.g. our server and the ceiling signing with the same algorithm), so the pairs a
 * ratio is made of are minutes apart at most; the groups' order alternates per round as well.
 */
export async function loadInterleaved<C extends Contender>(
  groups: readonly (readonly C[])[],
  { config, start, around }: InterleaveOptions<C>,
): Promise<void> {
  for (let round = 0; round < config.runs; round++) {
    for (const group of roundOrder(groups, round)) {
      for (const contender of roundOrder(group, round)) {
        const load = {
          url: contender.server.url,
          connections: config.connections,
          duration: config.duration,
          credentials: contender.credentials,
          serverPid: contender.server.pid,
          cpu: config.loadCpu,
          taskset: start.taskset,
        };
        const warmup = round === 0 ? config.warmup : 0;
        if (around !== undefined && warmup > 0) {
          log(`   ${contender.name}: ${warmup} s warm-up`);
          await runLoad({ ...load, runs: 0, warmup });
        }
        log(`   ${contender.name}: run ${round + 1}/${config.runs}`);
        const measured = async () => {
          const [run] = await runLoad({ ...load, runs: 1, warmup: around === undefined ? warmup : 0 });
          return run!;
        };
        contender.runs.push(around === undefined ? await measured() : await around(contender, measured));
      }
    }
  }
}

/** A contender's measured runs as one report row; answers other than tokens are said out loud. */
export function contenderRow(contender: Contender, connections: number, apps = 1): LoadRow {
  const row = toRow(contender.name, connections, apps, contender.runs);
  if (row.non2xx > 0 || row.errors > 0)
    log(`\n!!!!!!!! ${row.target}: ${row.non2xx} non-2xx answers and ${row.errors} errors: not all tokens\n`);
  return row;
}
