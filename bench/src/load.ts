// Spawns the autocannon driver in its own process, pinned with taskset to the load core, and collects
// its JSON results. The server under test is pinned to the other core (see targets/common.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverConfig, RunResult } from './autocannon-driver.js';
import { BENCH_DIR, pinned } from './targets/common.js';

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
    const [command, args] = pinned(cpu, taskset, process.execPath, ['--import', 'tsx', DRIVER, file]);
    const child = spawn(command, args, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      const text = c.toString('utf8');
      stderr += text;
      process.stderr.write(text);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    if (code !== 0 || !line)
      throw new Error(`autocannon driver failed (exit ${code}):\n${stderr.slice(-2000)}`);
    return JSON.parse(line.slice(7)) as RunResult[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
