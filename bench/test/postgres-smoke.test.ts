// Smoke test of the PostgreSQL scenario: the whole CLI path with tiny settings (1 round of 1 s,
// 1,000 applications for startup, 2 deletes) against the local PostgreSQL (BENCH_POSTGRES_URL),
// which is required, as for the server's storage tests. No timing targets: only that every part
// measured something sane, the report has the section, and no schema of the run is left behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCli } from '../src/run.js';
import { DEFAULT_POSTGRES_URL, existingSchemas } from '../src/scenarios/postgres.js';
import { assertPositive, runBenchCli } from './run-bench.js';

const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? DEFAULT_POSTGRES_URL;

test('the PostgreSQL scenario measures all three parts, reports them and drops its schemas', {
  timeout: 60_000,
}, async () => {
  const { results, markdown } = await runBenchCli({
    '--startup-samples': '1',
    '--postgres': 'tokens,startup,delete',
    '--postgres-apps': '1000',
    '--postgres-deletes': '2',
    '--postgres-url': POSTGRES_URL,
  });
  const pg = results.postgres;
  assert.ok(pg, 'a postgres section in latest.json');
  assert.equal(pg.error, undefined);

  const { tokens, startup } = pg;
  const del = pg.delete;
  assert.equal(tokens?.status, 'ok', tokens?.error);
  for (const row of [tokens.sqlite, tokens.postgres]) {
    assertPositive(row?.requestsPerSec, `${row?.target} req/s`);
    assert.equal(row?.non2xx, 0);
    assert.equal(row?.errors, 0);
  }
  assertPositive(tokens.ratio, 'postgres / sqlite');

  assert.equal(startup?.status, 'ok', startup?.error);
  assert.equal(startup.apps, 1000);
  assertPositive(startup.seedMs, 'seeding');
  assertPositive(startup.startupMs, 'startup');

  assert.equal(del?.status, 'ok', del?.error);
  assert.equal(del.deleteMs.length, 2);
  assert.equal(del.listMs.length, 2);
  assert.ok((del.processes ?? 0) >= 4, `live server processes: ${del.processes}`);
  for (const value of [...del.deleteMs, ...del.listMs, del.deleteMedianMs, del.deleteP90Ms, del.listMedianMs])
    assertPositive(value, 'CLI wall time');

  // Three schemas, all gone: by the harness's own account and by asking PostgreSQL.
  assert.equal(pg.schemas.length, 3);
  assert.equal(pg.schemasDropped, true);
  assert.deepEqual(await existingSchemas(POSTGRES_URL, pg.schemas), []);

  const names = results.checks.map((c) => c.name);
  assert.ok(names.includes('ours on PostgreSQL / ours on SQLite req/s at c=10'), names.join('; '));
  assert.ok(names.includes('startup with 1,000 applications on PostgreSQL'), names.join('; '));

  assert.match(markdown, /^## PostgreSQL: ours on PostgreSQL vs the same build on SQLite$/m);
  assert.match(markdown, /^\| ours on SQLite \| 10 \| 100 \| [\d,]+ \|/m);
  assert.match(markdown, /^\| ours on PostgreSQL \| 10 \| 100 \| [\d,]+ \|/m);
  assert.match(markdown, /^\| PostgreSQL \| 1,000 \| [\d,]+ \| [\d,]+ \|/m);
  assert.match(markdown, /^\| `apps delete <id>` \| 2 \| [\d,]+ \| [\d,]+ \|/m);
  assert.match(markdown, /^\| `apps list` \(floor\) \| 2 \| [\d,]+ \|/m);
  assert.match(markdown, /all dropped at the end/);
});

test('the --postgres flags: every part by default, "none", env vars, unknown parts refused', () => {
  const defaults = parseCli([], {});
  assert.deepEqual(defaults.config.postgres, ['tokens', 'startup', 'delete']);
  assert.equal(defaults.config.postgresApps, 100_000);
  assert.equal(defaults.config.postgresDeletes, 20);
  assert.equal(defaults.postgresUrl, DEFAULT_POSTGRES_URL);
  assert.deepEqual(parseCli(['--postgres', 'none'], {}).config.postgres, []);
  const fromEnv = parseCli([], {
    BENCH_POSTGRES: 'delete,tokens',
    BENCH_POSTGRES_URL: 'postgres://u@db:5432/x',
    BENCH_POSTGRES_APPS: '5000',
    BENCH_POSTGRES_DELETES: '3',
  });
  assert.deepEqual(fromEnv.config.postgres, ['tokens', 'delete']);
  assert.equal(fromEnv.postgresUrl, 'postgres://u@db:5432/x');
  assert.equal(fromEnv.config.postgresApps, 5000);
  assert.equal(fromEnv.config.postgresDeletes, 3);
  assert.throws(() => parseCli(['--postgres', 'mysql'], {}), /unknown postgres part/);
});
