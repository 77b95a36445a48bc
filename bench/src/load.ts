// Spawns the autocannon driver in its own process, pinned with taskset to the load core, and collects
// its JSON results. The server under test is pinned to the other core (see targets/common.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverConfig, RunResult } from './autocannon-driver.js';
import { runForResult } from './child.js';
import { BENCH_DIR } from './targets/common.js';

export type { RunResult } from './autocannon-driver.js';

const DRIVER = join(BENCH_DIR, 'src', 'autocannon-driver.ts');

export interface LoadOptions extends DriverConfig {
  /** CPU for the load generator; undefined = no pinning. */
  cpu: number | undefined;
  taskset: string | null;
}

/** Runs warm-up + measured runs in a child process and returns the measured runs. */
export async function runLoad(opts: LoadOptions): Promise<RunResult[]> {
  const { cpu, taskset, ...config } = opts;
  // Large credential lists go through a file rather than argv/env.
  const dir = mkdtempSync(join(tmpdir(), 'smscx-bench-load-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  try {
    return (await runForResult(DRIVER, [file], cpu, taskset)) as RunResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
