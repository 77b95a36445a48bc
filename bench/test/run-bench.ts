// How a smoke test runs the benchmark: the real CLI (`src/run.ts`) in a child process, with every
// target and scenario off and tiny settings unless the test turns them on, into a scratch folder it
// reads back and removes. So each test names only the part it checks, and a scenario added later
// does not slow every other smoke test down.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchResults } from '../src/results.js';
import { BENCH_DIR } from '../src/targets/common.js';

const run = promisify(execFile);

/** Everything off, one run of one second at c=10 without warm-up. */
const NOTHING: Readonly<Record<string, string>> = {
  '--targets': 'none',
  '--extra-connections': 'none',
  '--scale': 'none',
  '--workers': 'none',
  '--postgres': 'none',
  '--redis': 'none',
  '--algorithms': 'none',
  '--micro': 'none',
  '--duration': '1',
  '--runs': '1',
  '--warmup': '0',
  '--connections': '10',
};

export interface BenchOutput {
  results: BenchResults;
  markdown: string;
  svg: string;
}

/** Runs the benchmark with `flags` over {@link NOTHING}; rejects when it exits non-zero. */
export async function runBenchCli(flags: Readonly<Record<string, string>>): Promise<BenchOutput> {
  const out = mkdtempSync(join(tmpdir(), 'smscx-bench-smoke-'));
  try {
    const args = Object.entries({ ...NOTHING, ...flags, '--out': out }).flat();
    await run(process.execPath, ['--import', 'tsx', 'src/run.ts', ...args], {
      cwd: BENCH_DIR,
      maxBuffer: 8 << 20,
    });
    return {
      results: JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as BenchResults,
      markdown: readFileSync(join(out, 'latest.md'), 'utf8'),
      svg: readFileSync(join(out, 'latest.svg'), 'utf8'),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** Asserts a finite, positive figure (a rate, a latency, a ratio). */
export function assertPositive(value: number | undefined, what: string): void {
  if (!(value !== undefined && Number.isFinite(value) && value > 0))
    throw new Error(`${what}: expected a positive number, got ${value}`);
}
