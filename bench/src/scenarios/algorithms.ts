// The algorithms scenario (`--algorithms EdDSA,ES256,RS256`): what each signing algorithm costs the
// token endpoint. For each algorithm, ours (a database whose signing key was made with the shipped
// `keys rotate --alg <alg> --publish-ahead 0`) against the ceiling target signing with the same
// algorithm, both pinned like the main targets. Rounds are interleaved, and each algorithm's two
// servers run back to back, so every ratio pairs runs seconds apart. As in the scale scenario, the
// targets' load time (runs × duration per server) is split into three times as many rounds: this
// VM's speed swings by a third within a minute (a neighbour's load), and the median of 9 per-round
// ratios holds where the median of 3 did not. Before any load, both servers' tokens must carry the
// algorithm in their JOSE header.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  type AlgorithmResult,
  type AlgorithmsResult,
  type BenchConfig,
  p99Ratio,
  scaleRoundSeconds,
  throughputRatio,
} from '../results.js';
import { SERVER_BIN, seedApplications } from '../seed.js';
import { startCeiling } from '../targets/ceiling.js';
import { checkToken, REPO_DIR, type RunningTarget, type StartOptions } from '../targets/common.js';
import type { Algorithm } from '../targets/jwt.js';
import { startOursOn, waitForBuild } from '../targets/ours.js';
import { type Contender, contenderRow, loadInterleaved } from './interleaved.js';
import { runPart } from './part.js';

const run = promisify(execFile);
/** Rounds per `--runs`: three shorter rounds in the time of one run. */
const ROUNDS_PER_RUN = 3;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

export interface AlgorithmsOptions {
  config: BenchConfig;
  start: StartOptions;
}

/** Both servers of one algorithm; absent until started. */
interface Pair {
  result: AlgorithmResult;
  ceiling?: Contender;
  ours?: Contender;
}

/** Runs the comparison for every algorithm in `config.algorithms`. */
export async function benchAlgorithms({ config, start }: AlgorithmsOptions): Promise<AlgorithmsResult> {
  const algorithms = (config.algorithms ?? []) as Algorithm[];
  log(
    `\n== algorithms: ours vs the ceiling, both signing with ${algorithms.join(', ')}, c=${config.connections}`,
  );
  const pairs: Pair[] = algorithms.map((alg) => ({ result: { alg, status: 'ok' } }));
  const dir = mkdtempSync(join(start.tmpDir, 'algorithms-'));
  const rounds = ROUNDS_PER_RUN * config.runs;
  const roundSeconds = scaleRoundSeconds({ ...config, scaleRounds: rounds });
  try {
    for (const pair of pairs) {
      await runPart(`algorithms ${pair.result.alg}`, pair.result, () => startPair(pair, dir, start));
    }
    const live = pairs.filter((p) => p.result.status === 'ok');
    log(`   ${rounds} rounds of ${roundSeconds} s per server`);
    await loadInterleaved(
      live.map((p) => [p.ceiling!, p.ours!]),
      { config: { ...config, runs: rounds, duration: roundSeconds }, start },
    );
    for (const { result, ceiling, ours } of live) {
      const rows = {
        ceiling: contenderRow(ceiling!, config.connections),
        ours: contenderRow(ours!, config.connections),
      };
      Object.assign(result, rows, {
        ratio: throughputRatio(rows.ours, rows.ceiling),
        p99Ratio: p99Ratio(rows.ours, rows.ceiling),
      });
      log(`   ${result.alg}: ours / ceiling ${((result.ratio ?? Number.NaN) * 100).toFixed(1)}%`);
    }
  } catch (err) {
    for (const { result } of pairs) {
      if (result.status === 'ok' && result.ratio === undefined) {
        result.status = 'failed';
        result.error = (err as Error).message;
      }
    }
    log(`\n!!!!!!!! algorithms scenario: ${(err as Error).message}\n`);
  } finally {
    for (const pair of pairs) {
      await pair.ceiling?.server.stop();
      await pair.ours?.server.stop();
    }
  }
  return { rounds, roundSeconds, algorithms: pairs.map((p) => p.result) };
}

/** Starts the ceiling and ours for one algorithm and proves both sign with it. */
async function startPair(pair: Pair, dir: string, start: StartOptions): Promise<void> {
  const alg = pair.result.alg as Algorithm;
  await waitForBuild();
  const ceiling = await startCeiling(start, alg);
  pair.ceiling = { name: `ceiling ${alg}`, server: ceiling, credentials: ceiling.credentials, runs: [] };
  await expectAlg(ceiling, alg);

  // As the `ours` target (one application made with the shipped CLI), then a key of this algorithm
  // made current at once, as an operator would in an emergency rotation.
  const db = join(dir, `${alg}.db`);
  const credentials = await seedApplications(db, 1);
  await keysRotate(db, alg);
  const ours = await startOursOn(db, credentials, start);
  pair.ours = { name: `ours ${alg}`, server: ours, credentials, runs: [] };
  await expectAlg(ours, alg);
  log(`   ${alg}: both servers ready, both tokens ${alg}`);
}

async function keysRotate(db: string, alg: Algorithm): Promise<void> {
  try {
    await run(
      process.execPath,
      [SERVER_BIN, 'keys', 'rotate', '--alg', alg, '--publish-ahead', '0', '--db', db],
      { cwd: REPO_DIR, maxBuffer: 1 << 20 },
    );
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim().split('\n').slice(0, 3).join(' | ');
    throw new Error(`keys rotate --alg ${alg} failed: ${stderr || (err as Error).message}`, { cause: err });
  }
}

async function expectAlg(server: RunningTarget, alg: Algorithm): Promise<void> {
  const check = await checkToken(server.url, server.credentials[0]!);
  if (check.jwtAlg !== alg) throw new Error(`${server.name} signed a token with ${check.jwtAlg}, not ${alg}`);
}
