// Runs a bench script in its own node process (pinned with taskset when asked) and returns what it
// printed as one `RESULT {...}` line on stdout; its stderr is passed through as it comes.
import { spawn } from 'node:child_process';
import { BENCH_DIR, pinned } from './targets/common.js';

/** Spawns `node --import tsx <script> ...args` and resolves with the parsed `RESULT` JSON. */
export async function runForResult(
  script: string,
  args: readonly string[],
  cpu: number | undefined,
  taskset: string | null,
): Promise<unknown> {
  const [command, argv] = pinned(cpu, taskset, process.execPath, ['--import', 'tsx', script, ...args]);
  const child = spawn(command, argv, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
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
  if (code !== 0 || !line) throw new Error(`${script} failed (exit ${code}):\n${stderr.slice(-2000)}`);
  return JSON.parse(line.slice('RESULT '.length));
}

/** Prints a child's result the way {@link runForResult} reads it. */
export function printResult(result: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
