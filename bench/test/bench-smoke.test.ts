// Smoke test of the benchmark harness: the whole CLI path (target process pinned with taskset when
// available, autocannon in its own process, report generation) with tiny durations, so it cannot rot.
// No timing assertions: only that real tokens were measured and the reports were written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scaleRoundSeconds } from '../src/results.js';
import { parseCli, roundOrder } from '../src/run.js';
import { median } from '../src/stats.js';
import { runBenchCli } from './run-bench.js';

test('the harness benchmarks the ceiling target and writes md, json and svg reports', {
  timeout: 60_000,
}, async () => {
  const { results, markdown, svg } = await runBenchCli({ '--targets': 'ceiling', '--connections': '5' });
  const [ceiling] = results.targets;
  assert.equal(ceiling?.target, 'ceiling');
  assert.equal(ceiling.status, 'ok', ceiling.error);
  assert.equal(ceiling.tokenCheck?.jwtAlg, 'EdDSA');
  const [row] = ceiling.rows;
  assert.ok(row, 'a c=5 row');
  assert.equal(row.connections, 5);
  assert.ok(row.requestsPerSec > 0, 'req/s > 0');
  assert.equal(row.non2xx, 0);
  assert.equal(row.errors, 0);
  assert.ok(results.machine.cores >= 1);
  assert.ok(results.checks.length > 0);

  assert.match(markdown, /^\| ceiling \| 5 \| 1 \| [\d,]+ \|/m);
  assert.match(markdown, /\| taskset \| /);
  assert.match(svg, /^<svg [^>]*>[\s\S]*ceiling c=5[\s\S]*<\/svg>\s*$/);
});

test('CLI flags override the defaults', () => {
  const { config, pin } = parseCli(
    ['--duration', '2', '--runs', '1', '--targets', 'ours,ceiling', '--scale', 'none', '--no-pin'],
    {},
  );
  assert.equal(config.duration, 2);
  assert.equal(config.runs, 1);
  assert.deepEqual(config.targets, ['ceiling', 'ours']);
  assert.deepEqual(config.scale, []);
  assert.equal(config.connections, 50);
  assert.deepEqual(config.extraConnections, [10, 200]);
  assert.deepEqual(config.workers, [1, 2]);
  assert.deepEqual(parseCli(['--workers', 'none'], {}).config.workers, []);
  assert.equal(pin, false);
  assert.throws(() => parseCli(['--targets', 'nginx'], {}), /unknown target/);
});

test('median', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('rounds alternate the order of the targets, without changing the list', () => {
  const targets = ['ceiling', 'ours', 'oidc-provider'];
  assert.deepEqual(roundOrder(targets, 0), ['ceiling', 'ours', 'oidc-provider']);
  assert.deepEqual(roundOrder(targets, 1), ['oidc-provider', 'ours', 'ceiling']);
  assert.deepEqual(roundOrder(targets, 2), ['ceiling', 'ours', 'oidc-provider']);
  assert.deepEqual(targets, ['ceiling', 'ours', 'oidc-provider']);
});

test("the scale scenario splits the targets' load time into three times as many rounds", () => {
  const defaults = parseCli([], {}).config;
  assert.equal(defaults.scaleRounds, 9);
  assert.equal(scaleRoundSeconds(defaults), 3.3);
  const short = parseCli(['--runs', '1', '--duration', '2'], {}).config;
  assert.equal(short.scaleRounds, 3);
  assert.equal(scaleRoundSeconds(short), 1);
  assert.equal(parseCli(['--scale-rounds', '5'], {}).config.scaleRounds, 5);
});
