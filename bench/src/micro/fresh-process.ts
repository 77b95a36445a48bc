// Runs one micro-benchmark in a fresh node process pinned to the load core.
//
// Why not in the bench process: by the time the micro-benchmarks run, that process holds the scale
// scenario's credentials and every run's results, and collecting a heap that size pauses for
// milliseconds. A pause lands on whichever side of a paired measurement (verifier vs raw
// crypto.verify, SDK vs raw fetch) happens to be running, and can move those ratios by several
// points. A fresh process starts with an empty heap.
//
// Usage (as a child): node --import tsx src/micro/fresh-process.ts '{"kind":"sdk","target":{...}}'
import { join } from 'node:path';
import { printResult, runForResult } from '../child.js';
import { BENCH_DIR, type Credential, isMain } from '../targets/common.js';
import type { MicroSection } from './harness.js';
import { benchSdk } from './sdk.js';
import { benchVerifier } from './verifier.js';

/** Which micro-benchmark, and for the SDK the token server it talks to. */
export type MicroJob =
  | { kind: 'verifier' }
  | { kind: 'sdk'; target: { url: string; credentials: Credential[] } };

const SELF = join(BENCH_DIR, 'src', 'micro', 'fresh-process.ts');

/** Runs `job` in a child process on `cpu` (when taskset is there) and returns its section. */
export async function runMicroInFreshProcess(
  job: MicroJob,
  cpu: number | undefined,
  taskset: string | null,
): Promise<MicroSection> {
  return (await runForResult(SELF, [JSON.stringify(job)], cpu, taskset)) as MicroSection;
}

if (isMain(import.meta.url)) {
  const job = JSON.parse(process.argv[2] ?? '{}') as MicroJob;
  printResult(job.kind === 'sdk' ? await benchSdk(job.target) : await benchVerifier());
}
