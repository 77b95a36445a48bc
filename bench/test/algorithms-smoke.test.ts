// Smoke test of the signing algorithms: the algorithms scenario through the whole CLI path with tiny
// settings (1 round of 1 s at c=10 per server), and the verifier micro-benchmark in this process
// with few operations. No timing targets: only that every algorithm was measured on both sides with
// real tokens of that algorithm, that the figures are sane and that the report shows them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { benchVerifier, distinctResultNames } from '../src/micro/verifier.js';
import { parseCli } from '../src/run.js';
import { ALGORITHMS } from '../src/targets/jwt.js';
import { assertPositive, runBenchCli } from './run-bench.js';

test('the algorithms scenario measures ours against the ceiling for each algorithm', {
  timeout: 120_000,
}, async () => {
  const { results, markdown } = await runBenchCli({ '--algorithms': 'RS256,EdDSA,ES256' });
  const measured = results.algorithms?.algorithms ?? [];
  // One --runs of 1 s: three rounds of 1 s (a round is never shorter).
  assert.equal(results.algorithms?.rounds, 3);
  assert.equal(results.algorithms?.roundSeconds, 1);
  // In the fixed order, whatever order the flag gave.
  assert.deepEqual(
    measured.map((a) => a.alg),
    ['EdDSA', 'ES256', 'RS256'],
  );
  for (const a of measured) {
    // `ok` means both servers' token checks carried this `alg` before any load.
    assert.equal(a.status, 'ok', a.error);
    for (const row of [a.ceiling, a.ours]) {
      assertPositive(row?.requestsPerSec, `${row?.target} req/s`);
      assertPositive(row?.latencyP99, `${row?.target} p99`);
      assert.equal(row?.non2xx, 0);
      assert.equal(row?.errors, 0);
    }
    assert.equal(a.ceiling?.target, `ceiling ${a.alg}`);
    assert.equal(a.ours?.target, `ours ${a.alg}`);
    assertPositive(a.ratio, `${a.alg} ours / ceiling`);
    assertPositive(a.p99Ratio, `${a.alg} p99 ratio`);
    const check = results.checks.find((c) => c.name.endsWith(`both signing ${a.alg}`));
    assert.ok(check && check.pass !== null, `a judged check for ${a.alg}`);
    assert.match(markdown, new RegExp(`^\\| ${a.alg} \\| [\\d,]+ \\| [\\d,]+ \\| [\\d.]+% \\|`, 'm'));
    assert.match(markdown, new RegExp(`^\\| ours ${a.alg} \\| 10 \\| 1 \\| [\\d,]+ \\|`, 'm'));
  }
  assert.match(markdown, /^## Signing algorithms: ours vs the ceiling signing the same way$/m);
});

test('the verifier micro-benchmark verifies distinct tokens of every algorithm against raw crypto.verify', {
  timeout: 120_000,
}, async () => {
  const section = await benchVerifier({ repeatedOps: 2_000, distinctOps: 30 });
  assert.equal(section.status, 'ok', section.status === 'skipped' ? section.note : '');
  const byName = new Map(section.results.map((r) => [r.name, r]));
  assertPositive(byName.get('verifier: repeated token')?.value, 'repeated token');
  for (const alg of ALGORITHMS) {
    const names = distinctResultNames(alg);
    assertPositive(byName.get(names.verifier)?.value, names.verifier);
    assertPositive(byName.get(names.raw)?.value, names.raw);
    const ratio = byName.get(names.ratio);
    assertPositive(ratio?.value, names.ratio);
    assert.equal(ratio?.unit, 'ratio');
    assert.equal(ratio?.samples?.length, 9);
  }
});

test('the --algorithms flag: all three by default, "none", env var, fixed order, unknown refused', () => {
  assert.deepEqual(parseCli([], {}).config.algorithms, ['EdDSA', 'ES256', 'RS256']);
  assert.deepEqual(parseCli(['--algorithms', 'none'], {}).config.algorithms, []);
  assert.deepEqual(parseCli([], { BENCH_ALGORITHMS: 'RS256,ES256' }).config.algorithms, ['ES256', 'RS256']);
  assert.throws(() => parseCli(['--algorithms', 'HS256'], {}), /unknown algorithm HS256/);
});
