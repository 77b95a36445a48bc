// Prometheus metrics against the real binary over real sockets: off by default (no listener at
// all); with --metrics-port, GET /metrics on that listener only (the public port answers 404).
// With --workers 2 the primary serves the sum over both workers: after token requests of every
// outcome, the counters are exact, the histogram counts every answer, and a worker killed with
// SIGKILL takes nothing off the sums. A metrics port that cannot be taken fails the start.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../src/config/options.js';
import {
  childPids,
  cli,
  createApplication,
  envelope,
  freePort,
  type RawResponse,
  requestToken,
  send,
  startServer,
  type TestApplication,
  type TestServer,
  tempDb,
  waitFor,
} from './helpers.js';
import { openSocket, type WatchedSocket } from './operations-helpers.js';

/** One scrape: every sample by its series (`name{labels}` as written), and the raw text. */
interface Scrape {
  readonly text: string;
  readonly samples: Map<string, number>;
  readonly contentType: string;
}

async function scrape(metricsUrl: string): Promise<Scrape> {
  const response = await send(metricsUrl, { method: 'GET', path: '/metrics' });
  assert.equal(response.status, 200, response.body);
  const samples = new Map<string, number>();
  for (const line of response.body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return { text: response.body, samples, contentType: String(response.headers['content-type']) };
}

/** A sample's value, failing when the series is absent. */
function value(scraped: Scrape, series: string): number {
  const found = scraped.samples.get(series);
  assert.ok(found !== undefined, `no ${series} in:\n${scraped.text}`);
  return found;
}

/** TCP ports a process listens on (Linux: its socket inodes in /proc/net/tcp and tcp6). */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:[')) inodes.add(target.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is ADDR:PORT in hex; st 0A is LISTEN; the inode is the 10th field.
      if (fields[3] === '0A' && inodes.has(fields[9] ?? '')) {
        ports.push(Number.parseInt(fields[1]!.split(':')[1]!, 16));
      }
    }
  }
  return ports.sort((a, b) => a - b);
}

/** Token requests, each on a new connection (so spread over the workers). */
function tokens(url: string, app: TestApplication, count: number, body = 'grant_type=client_credentials') {
  return Promise.all(Array.from({ length: count }, () => requestToken(url, app, body)));
}

function statuses(responses: RawResponse[]): number[] {
  return responses.map((response) => response.status);
}

describe('metrics are off by default', () => {
  let db: ReturnType<typeof tempDb>;
  let server: TestServer;

  before(async () => {
    db = tempDb();
    createApplication(db.db);
    server = await startServer(db.db);
  });
  after(async () => {
    await server.stop();
    db.cleanup();
  });

  it('no metrics listener: the process listens on the public port only, and says nothing of metrics', () => {
    assert.equal(resolveConfig({}, {}).metrics, undefined);
    assert.deepEqual(listeningPorts(server.process.pid!), [server.port]);
    assert.doesNotMatch(server.stdout(), /metrics on/);
  });

  it('/metrics on the public port is 404', async () => {
    const response = await send(server.url, { method: 'GET', path: '/metrics' });
    assert.equal(response.status, 404);
    assert.equal(envelope(response).type, 'not_found');
  });
});

describe('metrics of one process (--workers 1 --metrics-port)', () => {
  let db: ReturnType<typeof tempDb>;
  let server: TestServer;
  let metricsPort: number;
  let metricsUrl: string;
  let app: TestApplication;

  before(async () => {
    db = tempDb();
    app = createApplication(db.db);
    metricsPort = await freePort();
    // A small cap, so that idle sockets get a connection evicted (the last tests).
    server = await startServer(db.db, ['--metrics-port', String(metricsPort), '--max-connections', '4']);
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
  });
  after(async () => {
    await server.stop();
    db.cleanup();
  });

  it('listens on 127.0.0.1:<metrics port> besides the public port, and says where', () => {
    assert.deepEqual(
      listeningPorts(server.process.pid!),
      [server.port, metricsPort].sort((a, b) => a - b),
    );
    assert.match(server.stdout(), new RegExp(`metrics on http://127\\.0\\.0\\.1:${metricsPort}/metrics\\n`));
  });

  it("counts this process's token requests, without the cluster metrics", async () => {
    assert.deepEqual(statuses(await tokens(server.url, app, 3)), [200, 200, 200]);
    assert.equal((await requestToken(server.url, app, 'grant_type=password')).status, 400);
    const scraped = await scrape(metricsUrl);
    assert.equal(scraped.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(value(scraped, 'smscx_oauth_token_requests_total{outcome="issued"}'), 3);
    assert.equal(value(scraped, 'smscx_oauth_token_requests_total{outcome="400"}'), 1);
    assert.equal(value(scraped, 'smscx_oauth_token_request_duration_seconds_count'), 4);
    assert.equal(value(scraped, 'smscx_oauth_applications'), 1);
    assert.equal(scraped.samples.has('smscx_oauth_workers'), false);
  });

  it('answers GET and HEAD on /metrics only', async () => {
    const head = await send(metricsUrl, { method: 'HEAD', path: '/metrics' });
    assert.equal(head.status, 200);
    assert.ok(Number(head.headers['content-length']) > 0);
    const post = await send(metricsUrl, { method: 'POST', path: '/metrics' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    const other = await send(metricsUrl, { method: 'GET', path: '/oauth/token' });
    assert.equal(other.status, 404);
    assert.equal(envelope(other).type, 'not_found');
  });

  it('counts the connections: open ones, and one evicted at the cap', async () => {
    const sockets: WatchedSocket[] = [];
    try {
      for (let i = 0; i < 5; i += 1) sockets.push(await openSocket(server.port));
      await waitFor(
        async () =>
          (await scrape(metricsUrl)).samples.get('smscx_oauth_connections_closed_total{reason="evicted"}') ===
          1,
        'one idle connection evicted for the fifth',
      );
      const scraped = await scrape(metricsUrl);
      assert.equal(value(scraped, 'smscx_oauth_connections_open'), 4);
      assert.equal(value(scraped, 'smscx_oauth_connections_max'), 4);
      assert.ok(value(scraped, 'smscx_oauth_connections_accepted_total') >= 9);
    } finally {
      for (const watched of sockets) watched.socket.destroy();
    }
  });

  it('stops cleanly on SIGTERM, metrics listener included', async () => {
    assert.equal(await server.stop(), 0);
  });
});

describe('metrics over the workers (serve --workers 2 --metrics-port)', () => {
  let db: ReturnType<typeof tempDb>;
  let server: TestServer;
  let metricsUrl: string;
  let apps: { a: TestApplication; b: TestApplication; disabled: TestApplication };
  /** The expected `smscx_oauth_token_requests_total` by outcome after the requests below. */
  const expected = { issued: 4, '400': 1, '401': 3, '403': 2, '413': 1, '415': 1, '429': 2 };

  before(async () => {
    db = tempDb();
    apps = {
      a: createApplication(db.db, [], 'a'),
      b: createApplication(db.db, [], 'b'),
      disabled: createApplication(db.db, [], 'disabled'),
    };
    assert.equal(cli(['apps', 'disable', apps.disabled.application_id, '--db', db.db]).status, 0);
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}`;
    server = await startServer(db.db, [
      '--workers',
      '2',
      '--metrics-port',
      String(metricsPort),
      // 4 token requests per application: the 5th and 6th of `a` get 429.
      '--rate-limit',
      '4/60',
      '--auth-failure-limit',
      '100/60',
      '--max-connections',
      '500',
      // One line per request with its process: both workers must have served some.
      '--log-level',
      'debug',
    ]);
  });
  after(async () => {
    await server.stop();
    db.cleanup();
  });

  it('the primary listens for metrics: every worker is there before any request', async () => {
    const scraped = await scrape(metricsUrl);
    assert.equal(value(scraped, 'smscx_oauth_workers'), 2);
    assert.equal(value(scraped, 'smscx_oauth_workers_reporting'), 2);
    assert.equal(value(scraped, 'smscx_oauth_token_request_duration_seconds_count'), 0);
    assert.ok(listeningPorts(server.process.pid!).includes(Number(new URL(metricsUrl).port)));
  });

  it('sums the token requests of every outcome over both workers, exactly', async () => {
    const { a, b, disabled } = apps;
    // a: 3 issued and 1 unsupported grant type spend its 4 requests; 2 more get 429.
    assert.deepEqual(statuses(await tokens(server.url, a, 3)), [200, 200, 200]);
    assert.equal((await requestToken(server.url, a, 'grant_type=password')).status, 400);
    assert.deepEqual(statuses(await tokens(server.url, a, 2)), [429, 429]);
    // b: a gzip-labelled body (415), a body over 16 KiB (413), then a token.
    const gzipped = await requestToken(server.url, b, 'grant_type=client_credentials', {
      'content-encoding': 'gzip',
    });
    assert.equal(gzipped.status, 415);
    const large = await requestToken(
      server.url,
      b,
      `grant_type=client_credentials&pad=${'x'.repeat(20_000)}`,
    );
    assert.equal(large.status, 413);
    assert.deepEqual(statuses(await tokens(server.url, b, 1)), [200]);
    // A disabled application (403) and a wrong secret (401).
    assert.deepEqual(statuses(await tokens(server.url, disabled, 2)), [403, 403]);
    const wrong = { ...a, application_secret: 'wrong' };
    assert.deepEqual(statuses(await tokens(server.url, wrong, 3)), [401, 401, 401]);

    const scraped = await scrape(metricsUrl);
    const total = Object.values(expected).reduce((sum, count) => sum + count, 0);
    for (const [outcome, count] of Object.entries(expected)) {
      assert.equal(value(scraped, `smscx_oauth_token_requests_total{outcome="${outcome}"}`), count, outcome);
    }
    for (const outcome of ['500', '503', 'other']) {
      assert.equal(value(scraped, `smscx_oauth_token_requests_total{outcome="${outcome}"}`), 0, outcome);
    }
    // The histogram counts every answer, each once.
    assert.equal(value(scraped, 'smscx_oauth_token_request_duration_seconds_count'), total);
    assert.equal(value(scraped, 'smscx_oauth_token_request_duration_seconds_bucket{le="+Inf"}'), total);
    assert.ok(value(scraped, 'smscx_oauth_token_request_duration_seconds_sum') > 0);
    const buckets = [...scraped.samples.entries()].filter(([series]) =>
      series.startsWith('smscx_oauth_token_request_duration_seconds_bucket'),
    );
    assert.equal(buckets.length, 14);
    for (let i = 1; i < buckets.length; i += 1) {
      assert.ok(buckets[i]![1] >= buckets[i - 1]![1], 'buckets are cumulative');
    }
    // Both workers served some of them (their request lines name their process).
    const servedBy = new Set(
      server
        .stdout()
        .split('\n')
        .filter((line) => line.includes('"route":"/oauth/token"'))
        .map((line) => (JSON.parse(line) as { pid: number }).pid),
    );
    assert.equal(servedBy.size, 2, `token requests served by ${[...servedBy].join(', ')}`);
  });

  it('has the applications, readiness, following, connection and process metrics', async () => {
    const scraped = await scrape(metricsUrl);
    assert.equal(value(scraped, 'smscx_oauth_applications'), 3);
    assert.equal(value(scraped, 'smscx_oauth_database_up'), 1);
    assert.equal(value(scraped, 'smscx_oauth_ready'), 1);
    assert.equal(scraped.samples.has('smscx_oauth_redis_up'), false, 'no Redis configured');
    assert.ok(value(scraped, 'smscx_oauth_change_lag_seconds') < 2);
    assert.equal(value(scraped, 'smscx_oauth_changes_behind'), 0);
    // 14 token requests, each on its own connection.
    assert.ok(value(scraped, 'smscx_oauth_connections_accepted_total') >= 14);
    assert.ok(value(scraped, 'smscx_oauth_connections_open') >= 0);
    assert.equal(value(scraped, 'smscx_oauth_connections_max'), 1000, '--max-connections 500, two workers');
    for (const reason of ['evicted', 'refused', 'timed_out', 'shutdown']) {
      assert.equal(value(scraped, `smscx_oauth_connections_closed_total{reason="${reason}"}`), 0, reason);
    }
    assert.equal(value(scraped, 'smscx_oauth_connection_accept_errors_total'), 0);
    // prom-client's process metrics, over the primary and the workers.
    for (const series of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'process_open_fds',
      'nodejs_heap_size_used_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      assert.ok(value(scraped, series) >= 0, series);
    }
    assert.ok(value(scraped, 'process_resident_memory_bytes') > 3 * 10_000_000, 'three processes');
  });

  it('a new application is in the metrics when the admin command returns (every worker applied it)', async () => {
    const result = cli(['apps', 'create', '--db', db.db, '--name', 'late', '--json']);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(value(await scrape(metricsUrl), 'smscx_oauth_applications'), 4);
  });

  it('/metrics is not served on the public port', async () => {
    const response = await send(server.url, { method: 'GET', path: '/metrics' });
    assert.equal(response.status, 404);
    assert.equal(envelope(response).type, 'not_found');
  });

  it('a worker killed with SIGKILL takes nothing off the sums; its replacement reports', async () => {
    const before = await scrape(metricsUrl);
    const issued = value(before, 'smscx_oauth_token_requests_total{outcome="issued"}');
    const count = value(before, 'smscx_oauth_token_request_duration_seconds_count');
    const workers = childPids(server.process.pid!);
    assert.equal(workers.length, 2);
    process.kill(workers[0]!, 'SIGKILL');
    await waitFor(
      async () => {
        const scraped = await scrape(metricsUrl);
        return (
          scraped.samples.get('smscx_oauth_worker_restarts_total') === 1 &&
          scraped.samples.get('smscx_oauth_workers_reporting') === 2
        );
      },
      'the worker restarted and reporting',
      20_000,
    );
    const after = await scrape(metricsUrl);
    assert.equal(value(after, 'smscx_oauth_token_requests_total{outcome="issued"}'), issued);
    assert.equal(value(after, 'smscx_oauth_token_request_duration_seconds_count'), count);
    // The replacement counts on top.
    const c = createApplication(db.db, [], 'c');
    assert.deepEqual(statuses(await tokens(server.url, c, 2)), [200, 200]);
    const last = await scrape(metricsUrl);
    assert.equal(value(last, 'smscx_oauth_token_requests_total{outcome="issued"}'), issued + 2);
  });

  it('stops cleanly on SIGTERM: exit 0, the metrics port freed', async () => {
    const port = Number(new URL(metricsUrl).port);
    assert.equal(await server.stop(), 0);
    const probe = createServer();
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise((resolve) => probe.close(resolve));
  });
});

describe('metrics options', () => {
  let taken: Server;
  let takenPort: number;
  let db: ReturnType<typeof tempDb>;

  before(async () => {
    db = tempDb();
    createApplication(db.db);
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as { port: number }).port;
  });
  after(async () => {
    await new Promise((resolve) => taken.close(resolve));
    db.cleanup();
  });

  for (const workers of ['1', '2']) {
    it(`a metrics port already taken fails the start (--workers ${workers}): one line, exit 1`, () => {
      const result = cli(['serve', '--port', '0', '--db', db.db, '--metrics-port', String(takenPort)], {
        SMSCX_WORKERS: workers,
      });
      assert.equal(result.status, 1, result.stdout + result.stderr);
      assert.equal(
        result.stderr,
        `error: cannot listen on 127.0.0.1:${takenPort} for metrics (--metrics-port): the address is already in use (another server on this port?)\n`,
      );
      assert.doesNotMatch(result.stdout, /listening on/);
    });
  }

  it('--metrics-host alone, or the public port as metrics port, is a usage error', () => {
    const alone = cli(['serve', '--db', db.db, '--metrics-host', '0.0.0.0']);
    assert.equal(alone.status, 2);
    assert.match(alone.stderr, /SMSCX_METRICS_HOST \(or its flag\) needs --metrics-port/);
    const same = cli(['serve', '--db', db.db, '--port', '9464', '--metrics-port', '9464']);
    assert.equal(same.status, 2);
    assert.match(same.stderr, /metrics port must differ from the server port/);
    const bad = cli(['serve', '--db', db.db, '--metrics-port', 'x']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /metrics port must be an integer 0-65535/);
  });

  it('environment variables set them, the flag wins', () => {
    const config = resolveConfig(
      { metricsPort: '9100' },
      { SMSCX_METRICS_PORT: '9200', SMSCX_METRICS_HOST: '0.0.0.0' },
    );
    assert.deepEqual(config.metrics, { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(resolveConfig({}, { SMSCX_METRICS_PORT: '9200' }).metrics, {
      host: '127.0.0.1',
      port: 9200,
    });
  });
});
